// Secondary indexes as a follower of the log, on every replica alike. Each committed entry that
// carries its table's index spec (index-spec.ts) is turned into index changes from its old and
// new images, in the same batch as the items:
//   - a local index's entries are written beside the items (followers' data), so a consistent
//     read of the index on the leader sees the latest write;
//   - a global index's changes go to the outbox: one record per change of an item's entry
//     (which entry to delete, which to put, and what), keyed by the item's hash so that it moves
//     with the partition through splits and snapshots, and ordered per item by its log position.
//     The propagator (indexes/propagator.ts) delivers them to the index's own partitions and
//     then acknowledges them through the log, which removes them here.
import type { LogEntry, LogMutation } from '../replication/log-entry.ts';
import { InvariantError } from '../replication/invariants.ts';
import type { FollowedReplica, LogFollower } from './log-follower.ts';
import type { NodeStore } from './node-store.ts';
import { derivedWritesOf, type DerivedSource, type DerivedWrites } from './derived-writes.ts';
import { decodeStoredItem, encodeStoredItem, storedItemSize } from './stored-item.ts';
import { decodeIndexSpec, ProjectionCode, type IndexSpec, type IndexSpecEntry } from '../indexes/index-spec.ts';
import { gsiEntryKey, lsiEntryKey, outboxKey, projectForIndex, sameItem } from '../indexes/index-entries.ts';
import { encodeOutboxRecord } from '../indexes/outbox-record.ts';
import { itemSizeBytes } from '../validation/attribute-values.ts';
import type { Item } from '../values/types.ts';

export class IndexFollower implements LogFollower {
  readonly name = 'indexes';

  /**
   * Takes every entry at once: local indexes must be as current as the items. What it writes is
   * derived from the entries alone (not logged: recovery derives it again, derived-data.ts).
   */
  committed(replica: FollowedReplica, _from: number, entries: readonly LogEntry[], batch: NodeStore, _takeAll: boolean): number {
    const out = derivedWritesOf(batch);
    for (const entry of entries) this.derive(replica, entry, out);
    return entries.length;
  }

  /** The index entries and outbox records one committed entry makes (or removes). */
  derive(replica: DerivedSource, entry: LogEntry, out: DerivedWrites): void {
    if (entry.oa !== undefined) for (const key of entry.oa) out.remove(replica.table, key);
    if (entry.x === undefined) return;
    const spec = decodeIndexSpec(entry.x);
    for (const mu of entry.m) this.mutation(replica, entry, spec, mu, out);
  }

  private mutation(replica: DerivedSource, entry: LogEntry, spec: IndexSpec, mu: LogMutation, batch: DerivedWrites): void {
    // A backfill brings existing items into one new index: there is no old image to take out.
    const backfill = entry.rx !== undefined;
    const before = backfill || mu.o === null ? null : decodeStoredItem(mu.o);
    const after = mu.b === null ? null : decodeStoredItem(mu.b);
    for (const ix of spec.ix) {
      if (backfill && ix.n !== entry.rx) continue;
      if (ix.g) this.global(replica, entry, spec, ix, mu, before, after, batch);
      else this.local(replica, spec, ix, mu, before, after, batch);
    }
  }

  private local(replica: DerivedSource, spec: IndexSpec, ix: IndexSpecEntry, mu: LogMutation, before: Item | null, after: Item | null, batch: DerivedWrites): void {
    const pkName = spec.tk[0];
    const oldKey = before === null ? null : lsiEntryKey(ix, before, mu.k, pkName);
    const newKey = after === null ? null : lsiEntryKey(ix, after, mu.k, pkName);
    const sameKey = oldKey !== null && newKey !== null && Buffer.compare(oldKey, newKey) === 0;
    if (oldKey !== null && !sameKey) batch.remove(replica.table, oldKey);
    if (newKey === null) return;
    const projected = projectForIndex(spec, ix, after!);
    if (sameKey && sameItem(projectForIndex(spec, ix, before!), projected)) return;
    const size = ix.p === ProjectionCode.ALL ? storedItemSize(mu.b!) : itemSizeBytes(projected);
    batch.put(replica.table, newKey, encodeStoredItem(projected, size));
  }

  private global(replica: DerivedSource, entry: LogEntry, spec: IndexSpec, ix: IndexSpecEntry, mu: LogMutation, before: Item | null, after: Item | null, batch: DerivedWrites): void {
    const oldKey = before === null ? null : gsiEntryKey(ix, before, mu.k);
    const newKey = after === null ? null : gsiEntryKey(ix, after, mu.k);
    if (oldKey === null && newKey === null) return;
    const sameKey = oldKey !== null && newKey !== null && Buffer.compare(oldKey, newKey) === 0;
    const projected = newKey === null ? null : projectForIndex(spec, ix, after!);
    // DynamoDB writes nothing to an index whose entry would not change.
    if (sameKey && sameItem(projectForIndex(spec, ix, before!), projected!)) return;
    // An ALL projection is the item itself: its stored bytes go as they are.
    const stored = projected === null ? null : ix.p === ProjectionCode.ALL ? mu.b! : encodeStoredItem(projected, itemSizeBytes(projected));
    const record = encodeOutboxRecord({ k: mu.k, d: oldKey !== null && !sameKey ? oldKey : null, p: newKey, b: stored });
    batch.put(replica.table, outboxKey(ix.o ?? ix.n, mu.k, replica.pid, entry.i), record);
  }

  split(): void {
    // Index entries and outbox records are keyed by their item's hash: each child has its own already.
  }

  fellBehind(replica: FollowedReplica): never {
    // It takes every entry as it is applied, like the item store.
    throw new InvariantError(`${replica.table}/${replica.pid}: the index follower fell behind the trimmed log`);
  }
}
