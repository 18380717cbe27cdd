// Transactions as a follower of the log, on every replica alike: a prepare leaves a lock on its
// item (followers' data: the transaction's id and the image its commit writes), a commit or a
// cancel removes it. The commit's item change itself is an ordinary mutation of its entry (the
// item store and the indexes take it like any write).
import type { LogEntry } from '../replication/log-entry.ts';
import { InvariantError } from '../replication/invariants.ts';
import type { FollowedReplica, LogFollower } from './log-follower.ts';
import type { NodeStore } from './node-store.ts';
import { TxOp, encodeTxLock, txLockKey } from '../transactions/tx-record.ts';

export class TxFollower implements LogFollower {
  readonly name = 'transactions';

  committed(replica: FollowedReplica, _from: number, entries: readonly LogEntry[], batch: NodeStore, _takeAll: boolean): number {
    for (const entry of entries) {
      const t = entry.t;
      if (t === undefined) continue;
      const key = txLockKey(t.k);
      if (t.op === TxOp.Prepare) batch.putFollowerData(replica.table, key, encodeTxLock({ id: t.id, b: t.b, check: t.check }));
      else batch.removeFollowerData(replica.table, key);
    }
    return entries.length;
  }

  split(): void {
    // Locks are keyed by their item's hash: each child has its own already.
  }

  fellBehind(replica: FollowedReplica): never {
    throw new InvariantError(`${replica.table}/${replica.pid}: the transaction follower fell behind the trimmed log`);
  }
}
