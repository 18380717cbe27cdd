// Scan: walks the table's partitions in hash order (the order of storage keys), one page at a
// time, bounded by Limit, the 1 MB page size and the page's JSON budget; Segment/TotalSegments
// cut the hash space.
import { consumedCapacityMember, withMember } from '../admission/consumed-capacity.ts';
import { rangeReadUnits } from '../admission/capacity-units.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { checkKeyPathsScalar, conditionPaths, pageResponse, prepareReadExpressions, selectMode } from './read-page.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { Op, type RangeRequest } from '../storage/messages.ts';
import { keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { encodeHashPrefix } from '../storage/key-encoding.ts';
import { hashSpaceEnd } from '../router/partition-map.ts';
import { pageBytesMax } from '../limits.ts';
import { pageJsonBytesMax } from '../limits-relations.ts';
import { tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import type { Item } from '../values/types.ts';
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

const scanShape = {
  TableName: tableNameShape,
  IndexName: indexNameShape,
  AttributesToGet: attributesToGetShape,
  Limit: { type: 'Integer', min: 1 },
  ScanFilter: conditionsShape,
  ConditionalOperator: conditionalOperatorShape,
  ExclusiveStartKey: attributeMapShape,
  ConsistentRead: { type: 'Boolean' },
  Segment: { type: 'Integer', min: 0, max: 999999 },
  TotalSegments: { type: 'Integer', min: 1, max: 1000000 },
  Select: selectShape,
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  FilterExpression: { type: 'String' },
  ProjectionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
  ExpressionAttributeValues: expressionValuesShape,
} as const;

export async function scan(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, scanShape);
  const select = selectMode(input, 'Scan');
  const { expressions, compiled } = prepareReadExpressions(input, 'Scan');
  const segment = input.Segment as number | undefined;
  const totalSegments = input.TotalSegments as number | undefined;
  if (segment !== undefined && totalSegments === undefined) {
    throw validationError('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
  }
  if (totalSegments !== undefined && segment === undefined) {
    throw validationError('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
  }
  if (segment !== undefined && totalSegments !== undefined && segment >= totalSegments) {
    throw validationError(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${segment} is not less than TotalSegments: ${totalSegments}`);
  }
  const withExpressions = compiled.filter !== null || compiled.projection !== null ? expressions : null;
  const table = tableFor(ctx, input.TableName as string);
  if (input.IndexName !== undefined) throw validationError(`The table does not have the specified index: ${input.IndexName as string}`);
  const info = keyInfoOf(table);
  if (compiled.projection !== null) checkKeyPathsScalar(compiled.projection.paths, table.keySchema);
  if (compiled.filter !== null) checkKeyPathsScalar(conditionPaths(compiled.filter), table.keySchema);
  const consistent = input.ConsistentRead === true;
  const limit = (input.Limit as number | undefined) ?? 0;

  // The slice of the hash space this scan covers.
  let hashLo = 0;
  let hashHi = hashSpaceEnd;
  if (segment !== undefined && totalSegments !== undefined) {
    hashLo = Math.floor((hashSpaceEnd * segment) / totalSegments);
    hashHi = Math.floor((hashSpaceEnd * (segment + 1)) / totalSegments);
  }
  let startKey: Uint8Array | null = null;
  let startHash = hashLo;
  if (input.ExclusiveStartKey !== undefined) {
    const esk = exclusiveStartKey(input.ExclusiveStartKey, table);
    const routed = routeKey(info, esk);
    if (routed.hash32 < hashLo || routed.hash32 >= hashHi) {
      throw validationError(
        `The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: ${totalSegments} Segment: ${segment}`,
      );
    }
    startKey = routed.storageKey;
    startHash = routed.hash32;
  }

  let itemsJson = '';
  let count = 0;
  let scanned = 0;
  let bytes = 0;
  // UTF-8 bytes of the partitions' item arrays so far: the next partition gets what is left of the JSON budget.
  let jsonBytes = 0;
  let last: unknown = null;
  // Walk the hash space by position, not by partition id: a split during the scan (or a stale
  // map) moves partitions, and each storage node says where the range it served ends.
  let position = startHash;
  while (position < hashHi) {
    const partition = ctx.control.map.find(table.tableId, position);
    const lo = startKey !== null && position === startHash ? startKey : encodeHashPrefix(position);
    const end = Math.min(partition.hashEnd, hashHi);
    const req: RangeRequest = {
      id: 0,
      op: Op.Scan,
      t: table.tableId,
      p: 0,
      v: 0,
      lo,
      loInc: lo !== startKey,
      hi: end < hashSpaceEnd ? encodeHashPrefix(end) : null,
      hiInc: false,
      pre: null,
      rev: false,
      lim: limit > 0 ? limit - scanned : 0,
      max: pageBytesMax - bytes,
      jm: Math.max(0, pageJsonBytesMax - jsonBytes),
      c: consistent,
      kn: info.names,
      x: withExpressions,
      cnt: select === 'COUNT',
    };
    const res = await ctx.router.sendByHash(table.tableId, position, req, consistent);
    if (res.count! > 0) {
      if (select !== 'COUNT') {
        itemsJson += (count > 0 ? ',' : '') + res.items!.slice(1, -1);
        jsonBytes += Buffer.byteLength(res.items!, 'utf8');
      }
      count += res.count!;
    }
    scanned += res.scanned!;
    bytes += res.n ?? 0;
    if (res.last) {
      last = res.last;
      break;
    }
    position = res.he ?? end;
  }
  return withMember(pageResponse(select, itemsJson, count, scanned, last as Item | null), consumedCapacityMember(input.ReturnConsumedCapacity, table.name, rangeReadUnits(bytes, consistent), 'read'));
}

/** ExclusiveStartKey must be a key of the table; DynamoDB prefixes its key errors. */
function exclusiveStartKey(raw: unknown, table: TableRecord): Item {
  try {
    return validateKey(raw, table.keySchema, table.attributeDefinitions);
  } catch (e) {
    if (e instanceof DynamoError && e.kind.name === 'ValidationException') throw validationError(`The provided starting key is invalid: ${e.message}`);
    throw e;
  }
}
