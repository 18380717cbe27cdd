// Writes to a table with secondary indexes: the router checks a new item's index keys before
// anything is written, hands the leader the table's index spec to put in the log entry, holds
// writes back while a global index is throttled, and tells the propagator of each write done.
import type { TableRecord } from '../control/table-record.ts';
import type { StorageResponse, WriteRequest } from '../storage/messages.ts';
import type { Item } from '../values/types.ts';
import type { ApiContext } from './context.ts';
import { indexSpecOf } from '../indexes/index-spec.ts';
import { checkIndexKeys } from '../indexes/index-entries.ts';
import { DynamoError } from '../protocol/errors.ts';

export const indexThrottledMessage =
  'The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. ' +
  'Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API';

/** Checks `item`'s index keys (a put), if the table has indexes. */
export function checkItemIndexKeys(table: TableRecord, item: Item): void {
  const spec = indexSpecOf(table);
  if (spec !== null) checkIndexKeys(spec.spec, item, 'item');
}

/**
 * Puts the table's index spec on a write (nothing for a table without indexes), and asks for
 * each index's units when the client asked for consumed capacity.
 */
export function withIndexSpec(ctx: ApiContext, table: TableRecord, req: WriteRequest, returnConsumedCapacity: unknown): WriteRequest {
  const spec = indexSpecOf(table);
  if (spec === null) return req;
  if (ctx.control.propagator?.holdsBack(table) === true) throw new DynamoError('ProvisionedThroughputExceededException', indexThrottledMessage);
  req.ix = spec.bytes;
  if (returnConsumedCapacity === 'TOTAL' || returnConsumedCapacity === 'INDEXES') req.rc = true;
  return req;
}

/**
 * A write's ConsumedCapacity as DynamoDB reports it for a table with indexes: the table's units
 * plus each index's (GSIs' writes are the propagator's, metered on the index; LSIs' are charged
 * with the table's, in res.cu), with the breakdown for INDEXES.
 */
export function writeCapacity(mode: 'TOTAL' | 'INDEXES', table: TableRecord, res: StorageResponse): Record<string, unknown> {
  const all = res.cu ?? 0;
  const local = res.xu ?? 0;
  const globals: Record<string, { CapacityUnits: number; WriteCapacityUnits: number }> = {};
  const locals: Record<string, { CapacityUnits: number; WriteCapacityUnits: number }> = {};
  let globalUnits = 0;
  for (const [name, units] of Object.entries(res.iu ?? {})) {
    const kind = table.indexes?.find((ix) => ix.name === name)?.kind;
    if (kind === 'GSI') {
      globals[name] = { CapacityUnits: units, WriteCapacityUnits: units };
      globalUnits += units;
    } else if (kind === 'LSI') {
      locals[name] = { CapacityUnits: units, WriteCapacityUnits: units };
    }
  }
  const total = all + globalUnits;
  const capacity: Record<string, unknown> = { TableName: table.name, CapacityUnits: total, WriteCapacityUnits: total };
  if (mode === 'INDEXES') {
    capacity.Table = { CapacityUnits: all - local, WriteCapacityUnits: all - local };
    if (Object.keys(locals).length > 0) capacity.LocalSecondaryIndexes = locals;
    if (Object.keys(globals).length > 0) capacity.GlobalSecondaryIndexes = globals;
  }
  return capacity;
}

/** The ConsumedCapacity member of a single-item write ('' when not asked for). */
export function writeCapacityMember(mode: unknown, table: TableRecord, res: StorageResponse): string {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return '';
  return `"ConsumedCapacity":${JSON.stringify(writeCapacity(mode, table, res))}`;
}

/**
 * ItemCollectionMetrics of one write (ReturnItemCollectionMetrics SIZE, tables with local
 * indexes): the collection's partition key and its size estimate in GB, as a range of one GB.
 */
export function itemCollectionMetrics(table: TableRecord, key: Item, collectionBytes: number | undefined): Record<string, unknown> | null {
  if (collectionBytes === undefined) return null;
  const pk = table.keySchema[0].AttributeName;
  const gb = Math.floor(collectionBytes / 2 ** 30);
  return { ItemCollectionKey: { [pk]: key[pk] }, SizeEstimateRangeGB: [gb, gb + 1] };
}

/** The ItemCollectionMetrics member of a single-item write's answer ('' when not asked for or not applicable). */
export function itemCollectionMetricsMember(input: Record<string, unknown>, table: TableRecord, key: Item, collectionBytes: number | undefined): string {
  if (input.ReturnItemCollectionMetrics !== 'SIZE') return '';
  const metrics = itemCollectionMetrics(table, key, collectionBytes);
  return metrics === null ? '' : `"ItemCollectionMetrics":${JSON.stringify(metrics)}`;
}

/** A write to the table was acknowledged: its global indexes have changes to deliver. */
export function indexedWriteDone(ctx: ApiContext, table: TableRecord): void {
  if (table.indexes !== undefined) ctx.control.propagator?.written(table);
  // A stream's records are taken at once (a reader waits for them, not for the next poll).
  if (table.stream?.enabled === true) ctx.control.streams?.collectSoon();
}
