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

/** A write to the table was acknowledged: its global indexes have changes to deliver. */
export function indexedWriteDone(ctx: ApiContext, table: TableRecord): void {
  if (table.indexes !== undefined) ctx.control.propagator?.written(table);
}
