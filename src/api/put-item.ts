// PutItem: validate and normalize the item, route it to its partition's leader, and answer
// once the leader and one follower have it durably.
import { withMember } from '../admission/consumed-capacity.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { normalizeItem, itemSizeBytes, validateItemKeyAttributes } from '../validation/attribute-values.ts';
import { validationError } from '../protocol/errors.ts';
import { Op, WriteKind, type WriteRequest } from '../storage/messages.ts';
import { prepareWriteExpressions, returnValuesCode, writeExpressionShapes } from './write-expressions.ts';
import { itemSizeBytesMax } from '../limits.ts';
import { keyInfoOf } from '../control/table-record.ts';
import { sendByKey, tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { checkItemIndexKeys, indexedWriteDone, itemCollectionMetricsMember, withIndexSpec, writeCapacityMember } from './index-writes.ts';
import { returnConsumedCapacityShape, returnItemCollectionMetricsShape, returnValuesShape } from './common-shapes.ts';

export const putItemShape = {
  TableName: tableNameShape,
  Item: { type: 'Map', notNull: true, value: { type: 'AttributeValue' } },
  ReturnValues: returnValuesShape,
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  ReturnItemCollectionMetrics: returnItemCollectionMetricsShape,
  ...writeExpressionShapes,
} as const;

export async function putItem(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, putItemShape);
  const rv = returnValuesCode(input, ['NONE', 'ALL_OLD'], 'ReturnValues can only be ALL_OLD or NONE');
  const item = normalizeItem(input.Item, 'Item');
  const { x } = prepareWriteExpressions(input, 'PutItem', ['ConditionExpression']);
  const table = tableFor(ctx, input.TableName as string);
  validateItemKeyAttributes(item, table.keySchema, table.attributeDefinitions);
  checkItemIndexKeys(table, item);
  const size = itemSizeBytes(item);
  if (size > itemSizeBytesMax) throw validationError('Item size has exceeded the maximum allowed size');
  const info = keyInfoOf(table);
  const { hash32, storageKey } = routeKey(info, item);
  const req: WriteRequest = { id: 0, op: Op.Write, t: table.tableId, p: 0, v: 0, k: storageKey, w: WriteKind.Put, item, sz: size, key: null, x, rv, rvf: input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' };
  const res = await sendByKey(ctx, table, item[info.partitionKey], hash32, withIndexSpec(ctx, table, req, input.ReturnConsumedCapacity), true);
  indexedWriteDone(ctx, table);
  const body = withMember(res.item ? `{"Attributes":${res.item}}` : '{}', writeCapacityMember(input.ReturnConsumedCapacity, table, res));
  return withMember(body, itemCollectionMetricsMember(input, table, item, res.ic));
}
