// Writes to a table with secondary indexes: the router checks a new item's index keys before
// anything is written, hands the leader the table's index spec to put in the log entry, holds
// writes back while a global index is throttled, and tells the propagator of each write done.
import type { TableRecord } from '../control/table-record.ts';
import type { WriteRequest } from '../storage/messages.ts';
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

/** Puts the table's index spec on a write (nothing for a table without indexes). */
export function withIndexSpec(ctx: ApiContext, table: TableRecord, req: WriteRequest): WriteRequest {
  const spec = indexSpecOf(table);
  if (spec === null) return req;
  if (ctx.control.propagator?.holdsBack(table) === true) throw new DynamoError('ProvisionedThroughputExceededException', indexThrottledMessage);
  req.ix = spec.bytes;
  return req;
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
}
