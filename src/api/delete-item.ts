// DeleteItem: route the key's deletion to its partition's leader; acknowledged at W = 2.
import { withMember } from '../admission/consumed-capacity.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { prepareWriteExpressions, returnValuesCode, writeExpressionShapes } from './write-expressions.ts';
import { Op, WriteKind, type WriteRequest } from '../storage/messages.ts';
import { keyInfoOf } from '../control/table-record.ts';
import { sendByKey, tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { indexedWriteDone, itemCollectionMetricsMember, withIndexSpec, writeCapacityMember } from './index-writes.ts';
import { keyShape, returnConsumedCapacityShape, returnItemCollectionMetricsShape, returnValuesShape } from './common-shapes.ts';

const deleteItemShape = {
  TableName: tableNameShape,
  Key: keyShape,
  ReturnValues: returnValuesShape,
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  ReturnItemCollectionMetrics: returnItemCollectionMetricsShape,
  ...writeExpressionShapes,
} as const;

export async function deleteItem(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, deleteItemShape);
  const rv = returnValuesCode(input, ['NONE', 'ALL_OLD'], 'ReturnValues can only be ALL_OLD or NONE');
  const { x } = prepareWriteExpressions(input, 'DeleteItem', ['ConditionExpression']);
  const table = tableFor(ctx, input.TableName as string);
  const key = validateKey(input.Key, table.keySchema, table.attributeDefinitions);
  const info = keyInfoOf(table);
  const { hash32, storageKey } = routeKey(info, key);
  const req: WriteRequest = { id: 0, op: Op.Write, t: table.tableId, p: 0, v: 0, k: storageKey, w: WriteKind.Delete, item: null, sz: 0, key: null, x, rv, rvf: input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' };
  const res = await sendByKey(ctx, table, key[info.partitionKey], hash32, withIndexSpec(ctx, table, req, input.ReturnConsumedCapacity), true);
  indexedWriteDone(ctx, table);
  const body = withMember(res.item ? `{"Attributes":${res.item}}` : '{}', writeCapacityMember(input.ReturnConsumedCapacity, table, res));
  return withMember(body, itemCollectionMetricsMember(input, table, key, res.ic));
}
