// Transactions as a follower of the log, on every replica alike: a prepare leaves a lock on its
// item (followers' data: the transaction's id and the image its commit writes), a commit or a
// cancel removes it. The commit's item change itself is an ordinary mutation of its entry (the
// item store and the indexes take it like any write).
import type { LogEntry } from '../replication/log-entry.ts';
import { InvariantError } from '../replication/invariants.ts';
import type { FollowedReplica, LogFollower } from './log-follower.ts';
import type { NodeStore } from './node-store.ts';
import { derivedWritesOf, type DerivedSource, type DerivedWrites } from './derived-writes.ts';
import { TxOp, encodeTxLock, txLockKey } from '../transactions/tx-record.ts';

export class TxFollower implements LogFollower {
  readonly name = 'transactions';

  /** Takes every entry at once; what it writes is derived from the entries alone (not logged: recovery derives it again). */
  committed(replica: FollowedReplica, _from: number, entries: readonly LogEntry[], batch: NodeStore, _takeAll: boolean): number {
    const out = derivedWritesOf(batch);
    for (const entry of entries) this.derive(replica, entry, out);
    return entries.length;
  }

  /** The lock a committed entry takes or releases. */
  derive(replica: DerivedSource, entry: LogEntry, out: DerivedWrites): void {
    if (entry.tf !== undefined) for (const f of entry.tf) out.remove(replica.table, txLockKey(f.k));
    const t = entry.t;
    if (t === undefined) return;
    const key = txLockKey(t.k);
    if (t.op === TxOp.Prepare) out.put(replica.table, key, encodeTxLock({ id: t.id, b: t.b, check: t.check }));
    else out.remove(replica.table, key);
  }

  split(): void {
    // Locks are keyed by their item's hash: each child has its own already.
  }

  fellBehind(replica: FollowedReplica): never {
    throw new InvariantError(`${replica.table}/${replica.pid}: the transaction follower fell behind the trimmed log`);
  }
}
