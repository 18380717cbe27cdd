// Query: one partition key's items in sort key order, as an LMDB range walk on one replica of
// the partition that holds the key; Limit, the 1 MB page, the page's JSON budget, filter and
// projection apply there.
import { consumedCapacityMember } from '../admission/consumed-capacity.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { Op, type RangeRequest } from '../storage/messages.ts';
import { keyInfoOf, type KeyInfo } from '../control/table-record.ts';
import { partitionKeyHash32, sortKeyRange, type SortKeyCondition } from '../storage/key-encoding.ts';
import { evaluateCondition, keyConditionToRange, valuesEqual, type CompiledCondition, type KeyRange } from '../expressions/index.ts';
import { checkKeyConditionsSchema, checkQueryFilterKeys } from '../expressions/legacy.ts';
import { pageBytesMax } from '../limits.ts';
import { pageJsonBytesMax } from '../limits-relations.ts';
import { sendByKey, tableFor, type ReadApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import {
  attributeMapShape,
  attributesToGetShape,
  conditionalOperatorShape,
  conditionsShape,
  expressionNamesShape,
  expressionValuesShape,
  returnConsumedCapacityShape,
  selectShape,
  indexNameShape,
} from './common-shapes.ts';
import { checkFilterExpressionKeys, checkKeyPathsScalar, pageResponse, prepareReadExpressions, selectMode } from './read-page.ts';
import type { TableRecord } from '../control/table-record.ts';
import { indexTarget, queryIndex } from './index-reads.ts';
import { indexSelect } from './read-page.ts';
import type { Item } from '../values/types.ts';
import type { ResponseBody } from '../protocol/wire.ts';

export const queryShape = {
  TableName: tableNameShape,
  IndexName: indexNameShape,
  Select: selectShape,
  AttributesToGet: attributesToGetShape,
  Limit: { type: 'Integer', min: 1 },
  ConsistentRead: { type: 'Boolean' },
  KeyConditions: conditionsShape,
  QueryFilter: conditionsShape,
  ConditionalOperator: conditionalOperatorShape,
  ScanIndexForward: { type: 'Boolean' },
  ExclusiveStartKey: attributeMapShape,
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  ProjectionExpression: { type: 'String' },
  FilterExpression: { type: 'String' },
  KeyConditionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
  ExpressionAttributeValues: expressionValuesShape,
} as const;

export async function query(ctx: ReadApiContext, input: Record<string, unknown>): Promise<ResponseBody> {
  checkRequestShape(input, queryShape);
  const select = selectMode(input, 'Query');
  const { expressions, compiled, keyConditions, queryFilter } = prepareReadExpressions(input, 'Query');
  const table = tableFor(ctx, input.TableName as string);
  if (input.IndexName !== undefined) {
    const chosen = indexSelect(input, select);
    const target = indexTarget(ctx, table, input.IndexName as string, input.ConsistentRead === true, chosen);
    const indexKeySchema = [...target.hashNames.map((n) => ({ AttributeName: n, KeyType: 'HASH' as const })), ...target.rangeNames.map((n) => ({ AttributeName: n, KeyType: 'RANGE' as const }))];
    if (keyConditions !== null) checkKeyConditionsSchema(keyConditions, indexKeySchema, table.attributeDefinitions);
    if (compiled.projection !== null) checkKeyPathsScalar(compiled.projection.paths, indexKeySchema);
    if (input.FilterExpression != null && compiled.filter !== null) checkFilterExpressionKeys(compiled.filter, indexKeySchema);
    return queryIndex(ctx, { input, table, target, select: chosen, expressions, compiled });
  }
  const info = keyInfoOf(table);
  if (keyConditions !== null) checkKeyConditionsSchema(keyConditions, table.keySchema, table.attributeDefinitions);
  const keyCondition = compiled.keyCondition!;
  const keyRange = keyConditionToRange(keyCondition, table.keySchema, table.attributeDefinitions);
  const pk = keyRange.partitionKeyValue;
  // The partition key value must be a valid key value (size, emptiness) like any key.
  validateKey({ [info.partitionKey]: pk, ...(info.sortKey ? { [info.sortKey]: placeholderSortKey(info.sortKeyType!) } : {}) }, table.keySchema, table.attributeDefinitions);
  const hash32 = partitionKeyHash32(pk);
  const range = sortKeyRange(hash32, pk, sortKeyCondition(keyRange));
  const forward = input.ScanIndexForward !== false;

  let lo = range.start;
  let loInc = range.startInclusive;
  let hi = range.end ?? null;
  let hiInc = range.endInclusive;
  if (input.ExclusiveStartKey !== undefined) {
    const esk = exclusiveStartKey(input.ExclusiveStartKey, table, info, keyRange, keyCondition);
    const routed = routeKey(info, esk);
    if (forward) {
      lo = routed.storageKey;
      loInc = false;
    } else {
      hi = routed.storageKey;
      hiInc = false;
    }
  }
  if (compiled.projection !== null) checkKeyPathsScalar(compiled.projection.paths, table.keySchema);
  if (queryFilter !== null && queryFilter.length > 0) checkQueryFilterKeys(queryFilter, table.keySchema);
  if (input.FilterExpression != null && compiled.filter !== null) checkFilterExpressionKeys(compiled.filter, table.keySchema);

  const consistent = input.ConsistentRead === true;
  // The node re-checks the key condition per item when the range is not exact; when it needs
  // the expressions for a filter or projection anyway, it gets the key condition too, so that
  // every name and value sent is used by some expression.
  const needsExpressions = !range.exact || compiled.filter !== null || compiled.projection !== null;
  const req: RangeRequest = {
    id: 0,
    op: Op.Query,
    t: table.tableId,
    p: 0,
    v: 0,
    lo,
    loInc,
    hi,
    hiInc,
    pre: range.prefix ?? null,
    rev: !forward,
    lim: (input.Limit as number | undefined) ?? 0,
    max: pageBytesMax,
    jm: pageJsonBytesMax,
    c: consistent,
    kn: info.names,
    x: needsExpressions ? expressions : null,
    cnt: select === 'COUNT',
  };
  const res = await sendByKey(ctx, table, pk, hash32, req, consistent);
  const cc = consumedCapacityMember(input.ReturnConsumedCapacity, table.name, res.cu ?? 0, 'read');
  return pageResponse(select, [res.items!], res.count!, res.scanned!, res.last ?? null, cc);
}

const startKeyInvalid = 'The provided starting key is invalid';

/**
 * Validates ExclusiveStartKey for a Query: a key of the table (DynamoDB prefixes its key errors
 * with "The provided starting key is invalid: "), inside the range the key condition selects.
 */
function exclusiveStartKey(raw: unknown, table: TableRecord, info: KeyInfo, keyRange: KeyRange, keyCondition: CompiledCondition): Item {
  const given = raw as Record<string, unknown>;
  if (Object.keys(given).length !== table.keySchema.length) throw validationError(startKeyInvalid);
  for (const name of info.names) if (given[name] == null) throw validationError(startKeyInvalid);
  let esk: Item;
  try {
    esk = validateKey(raw, table.keySchema, table.attributeDefinitions);
  } catch (e) {
    if (e instanceof DynamoError && e.kind.name === 'ValidationException') throw validationError(`${startKeyInvalid}: ${e.message}`);
    throw e;
  }
  const samePartition = valuesEqual(esk[info.partitionKey]!, keyRange.partitionKeyValue);
  if (keyRange.sortKey === undefined) {
    if (!samePartition) throw validationError('The provided starting key is outside query boundaries based on provided conditions');
    return esk;
  }
  // Does the start key's sort key satisfy the sort key condition (with the partition key matched)?
  const probe: Item = { [info.partitionKey]: keyRange.partitionKeyValue, [info.sortKey!]: esk[info.sortKey!]! };
  if (!evaluateCondition(keyCondition, probe)) throw validationError('The provided starting key does not match the range key predicate');
  if (!samePartition) throw validationError('The query can return at most one row and cannot be restarted');
  return esk;
}

function sortKeyCondition(range: KeyRange): SortKeyCondition | undefined {
  const sk = range.sortKey;
  if (sk === undefined) return undefined;
  switch (sk.op) {
    case 'BETWEEN':
      return { op: 'BETWEEN', low: sk.values[0], high: sk.values[1] };
    case 'BEGINS_WITH':
      return { op: 'begins_with', value: sk.values[0] };
    default:
      return { op: sk.op, value: sk.values[0] };
  }
}

function placeholderSortKey(type: 'S' | 'N' | 'B'): Item[string] {
  return type === 'S' ? { S: 'x' } : type === 'N' ? { N: '0' } : { B: 'AA==' };
}
