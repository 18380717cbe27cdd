// A table's stream as a follower of the log, on every replica alike: each committed change of an
// item, on a table whose writes carry an enabled stream in their spec (index-spec.ts st), leaves
// a change record (streams/stream-change.ts) beside the partition's data, keyed by the item's
// hash (so it moves with the partition through splits, snapshots and failovers) and its log
// position. The stream collector takes the records into the stream in log order and then
// acknowledges them through the log, which removes them here. A write that changes nothing
// leaves no record, as DynamoDB writes none.
import type { LogEntry, LogMutation } from '../replication/log-entry.ts';
import { InvariantError } from '../replication/invariants.ts';
import type { FollowedReplica, LogFollower } from './log-follower.ts';
import type { NodeStore } from './node-store.ts';
import { derivedWritesOf, type DerivedSource, type DerivedWrites } from './derived-writes.ts';
import { decodeIndexSpec } from '../indexes/index-spec.ts';
import { outboxKey, sameItem } from '../indexes/index-entries.ts';
import { decodeStoredItem } from './stored-item.ts';
import { encodeStreamChange, type StreamChange } from '../streams/stream-change.ts';
import { ttlWriteIdPrefix } from '../ttl/sweeper.ts';

export class StreamFollower implements LogFollower {
  readonly name = 'streams';

  /** What it writes is derived from the entries alone (not logged: recovery derives it again). */
  committed(replica: FollowedReplica, _from: number, entries: readonly LogEntry[], batch: NodeStore, _takeAll: boolean): number {
    const out = derivedWritesOf(batch);
    for (const entry of entries) this.derive(replica, entry, out);
    return entries.length;
  }

  derive(replica: DerivedSource, entry: LogEntry, out: DerivedWrites): void {
    // A backfill brings items into a new index: no item changes.
    if (entry.x === undefined || entry.rx !== undefined) return;
    const stream = decodeIndexSpec(entry.x).st;
    if (stream === undefined) return;
    const ttl = entry.w !== null && entry.w.startsWith(ttlWriteIdPrefix);
    for (const mu of entry.m) {
      if (changesNothing(mu)) continue;
      const change: StreamChange = { k: mu.k, o: mu.o, b: mu.b };
      if (ttl) change.t = true;
      out.put(replica.table, outboxKey(stream, mu.k, replica.pid, entry.i, 'S'), encodeStreamChange(change));
    }
  }

  split(): void {
    // Change records are keyed by their item's hash: each child has its own already.
  }

  fellBehind(replica: FollowedReplica): never {
    throw new InvariantError(`${replica.table}/${replica.pid}: the stream follower fell behind the trimmed log`);
  }
}

function changesNothing(mu: LogMutation): boolean {
  if (mu.o === null || mu.b === null) return mu.o === mu.b;
  if (Buffer.compare(mu.o, mu.b) === 0) return true;
  return sameItem(decodeStoredItem(mu.o), decodeStoredItem(mu.b));
}
