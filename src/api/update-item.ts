// UpdateItem: validated and compiled here, applied by the partition leader to the item's
// current version (creating it when absent), acknowledged at W = 2.
import { withMember } from '../admission/consumed-capacity.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { Op, WriteKind, type WriteRequest } from '../storage/messages.ts';
import { keyInfoOf } from '../control/table-record.ts';
import { assertKeyNotUpdated, incorrectOperandTypeMessage } from '../expressions/index.ts';
import { attributeUpdateTypeMismatchMessage } from '../expressions/legacy.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { sendByKey, tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { indexedWriteDone, itemCollectionMetricsMember, withIndexSpec, writeCapacityMember } from './index-writes.ts';
import { attributeUpdatesShape, keyShape, returnConsumedCapacityShape, returnItemCollectionMetricsShape, returnValuesShape } from './common-shapes.ts';
import { prepareWriteExpressions, returnValuesCode, writeExpressionShapes } from './write-expressions.ts';

const updateItemShape = {
  TableName: tableNameShape,
  Key: keyShape,
  UpdateExpression: { type: 'String' },
  AttributeUpdates: attributeUpdatesShape,
  ReturnValues: returnValuesShape,
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  ReturnItemCollectionMetrics: returnItemCollectionMetricsShape,
  ...writeExpressionShapes,
} as const;

const allReturnValues = ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'];

export async function updateItem(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, updateItemShape);
  const rv = returnValuesCode(input, allReturnValues, 'ReturnValues must be one of NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW');
  const { x, compiled, legacyUpdate } = prepareWriteExpressions(input, 'UpdateItem', ['UpdateExpression', 'ConditionExpression']);
  const table = tableFor(ctx, input.TableName as string);
  const info = keyInfoOf(table);
  const key = validateKey(input.Key, table.keySchema, table.attributeDefinitions);
  if (compiled.update !== null) assertKeyNotUpdated(compiled.update, info.names);
  const { hash32, storageKey } = routeKey(info, key);
  const req: WriteRequest = {
    id: 0,
    op: Op.Write,
    t: table.tableId,
    p: 0,
    v: 0,
    k: storageKey,
    w: WriteKind.Update,
    item: null,
    sz: 0,
    key,
    x,
    rv,
    rvf: input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
  };
  let res;
  try {
    res = await sendByKey(ctx, table, key[info.partitionKey], hash32, withIndexSpec(ctx, table, req, input.ReturnConsumedCapacity), true);
  } catch (e) {
    // A legacy ADD or DELETE on an attribute of another type: DynamoDB words it differently
    // from the equivalent UpdateExpression's type error.
    if (legacyUpdate && e instanceof DynamoError && e.message === incorrectOperandTypeMessage) throw validationError(attributeUpdateTypeMismatchMessage);
    throw e;
  }
  indexedWriteDone(ctx, table);
  const body = withMember(res.item ? `{"Attributes":${res.item}}` : '{}', writeCapacityMember(input.ReturnConsumedCapacity, table, res));
  return withMember(body, itemCollectionMetricsMember(input, table, key, res.ic));
}
