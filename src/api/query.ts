// Query: one partition key's items in sort key order, as an LMDB range walk on one replica of
// the partition that holds the key; Limit, the 1 MB page, filter and projection apply there.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { normalizeItem, validateKey } from '../validation/attribute-values.ts';
import { validationError } from '../protocol/errors.ts';
import { Op, type RangeExpressions, type RangeRequest } from '../storage/messages.ts';
import { keyInfoOf } from '../control/table-record.ts';
import { partitionKeyHash32, sortKeyRange, type SortKeyCondition } from '../storage/key-encoding.ts';
import { compileRequestExpressions, keyConditionToRange, type KeyRange } from '../expressions/index.ts';
import { pageBytesMax } from '../limits.ts';
import { tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { attributeMapShape, expressionNamesShape, expressionValuesShape, returnConsumedCapacityShape, selectShape } from './common-shapes.ts';
import { selectMode, pageResponse } from './read-page.ts';
import type { Item } from '../values/types.ts';

const queryShape = {
  TableName: tableNameShape,
  IndexName: { type: 'String', minLength: 3, maxLength: 255, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' },
  Select: selectShape,
  Limit: { type: 'Integer', min: 1 },
  ConsistentRead: { type: 'Boolean' },
  ScanIndexForward: { type: 'Boolean' },
  ExclusiveStartKey: attributeMapShape,
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  KeyConditionExpression: { type: 'String' },
  FilterExpression: { type: 'String' },
  ProjectionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
  ExpressionAttributeValues: expressionValuesShape,
} as const;

export async function query(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, queryShape);
  for (const legacy of ['KeyConditions', 'QueryFilter', 'AttributesToGet', 'ConditionalOperator'] as const) {
    if (input[legacy] !== undefined) throw validationError(`The ${legacy} parameter is not supported by this server yet; use expressions`);
  }
  if (input.KeyConditionExpression === undefined) {
    throw validationError('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  }
  const select = selectMode(input);
  const values = input.ExpressionAttributeValues === undefined ? undefined : normalizeItem(input.ExpressionAttributeValues, 'ExpressionAttributeValues');
  const expressions: RangeExpressions = {
    KeyConditionExpression: input.KeyConditionExpression as string,
    FilterExpression: input.FilterExpression as string | undefined,
    ProjectionExpression: input.ProjectionExpression as string | undefined,
    ExpressionAttributeNames: input.ExpressionAttributeNames as Record<string, string> | undefined,
    ExpressionAttributeValues: values,
  };
  const compiled = compileRequestExpressions(expressions, {
    expressionParameters: ['KeyConditionExpression', 'FilterExpression', 'ProjectionExpression'],
  });
  const table = tableFor(ctx, input.TableName as string);
  if (input.IndexName !== undefined) throw validationError(`The table does not have the specified index: ${input.IndexName as string}`);
  const info = keyInfoOf(table);
  const keyRange = keyConditionToRange(compiled.keyCondition!, table.keySchema, table.attributeDefinitions);
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
    const esk = validateKey(input.ExclusiveStartKey, table.keySchema, table.attributeDefinitions);
    const routed = routeKey(info, esk);
    if (routed.hash32 !== hash32 || !sameValue(esk[info.partitionKey], pk)) {
      throw validationError('The provided starting key is invalid: The provided key element does not match the schema');
    }
    if (forward) {
      lo = routed.storageKey;
      loInc = false;
    } else {
      hi = routed.storageKey;
      hiInc = false;
    }
  }
  const consistent = input.ConsistentRead === true;
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
    c: consistent,
    kn: info.names,
    x: needsExpressions ? { ...expressions, KeyConditionExpression: range.exact ? undefined : expressions.KeyConditionExpression } : null,
    cnt: select === 'COUNT',
  };
  const res = await ctx.router.sendByHash(table.tableId, hash32, req, consistent);
  return pageResponse(select, res.items!.slice(1, -1), res.count!, res.scanned!, res.last ?? null);
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

function sameValue(a: Item[string] | undefined, b: Item[string]): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
