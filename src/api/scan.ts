// Scan: walks the table's partitions in hash order (the order of storage keys), one page at a
// time, bounded by Limit, the 1 MB page size and the page's JSON budget; Segment/TotalSegments
// cut the hash space.
import { consumedCapacityMember } from '../admission/consumed-capacity.ts';
import { rangeReadUnits } from '../admission/capacity-units.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { checkKeyPathsScalar, conditionPaths, indexSelect, pageResponse, prepareReadExpressions, selectMode } from './read-page.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { hashSpaceEnd } from '../router/partition-map.ts';
import { tableFor, type ReadApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { scanPages } from './scan-pages.ts';
import { indexTarget, scanIndex } from './index-reads.ts';
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
import type { ResponseBody } from '../protocol/wire.ts';

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

export async function scan(ctx: ReadApiContext, input: Record<string, unknown>): Promise<ResponseBody> {
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
  const consistentRead = input.ConsistentRead === true;
  const target = input.IndexName === undefined ? null : indexTarget(ctx, table, input.IndexName as string, consistentRead, indexSelect(input, select));
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
  if (target !== null) {
    return scanIndex(ctx, { input, table, target, select: indexSelect(input, select), expressions: withExpressions, compiled, hashLo, hashHi, limit });
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

  const page = await scanPages(ctx, {
    tableId: table.tableId,
    startKey,
    startHash,
    hashHi,
    limit,
    consistent,
    kn: info.names,
    x: withExpressions,
    cnt: select === 'COUNT',
  });
  return pageResponse(select, page.items, page.count, page.scanned, page.last, consumedCapacityMember(input.ReturnConsumedCapacity, table.name, rangeReadUnits(page.bytes, consistent), 'read'));
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
