// Which followers lag behind their partition's committed log, as the control plane last saw it.
//
// A follower cut off from its leader (a network partition, a disk that lost its batches) can stay
// behind while the leader and the other follower commit. Its replica is alive, but it is not a
// whole copy: if the replicas that hold the newest committed entries are failed over, electing it
// loses acknowledged writes. The failure detector must therefore count only whole copies when it
// asks whether failing a hung node over would leave a partition without one.
//
// A follower trails the commit index by the writes in flight at any moment; it lags when it has
// not reached, by one refresh of the map, what its leader had committed at the refresh before.
// Pure: the control plane feeds it every refresh's reports (ReplicaReport), in order.
import type { ReplicaReport } from './control-messages.ts';

interface Seen {
  /** The leader's epoch and committed index at the last refresh that reached it. */
  epoch: number;
  committed: number;
  lagging: ReadonlySet<number>;
}

const none: ReadonlySet<number> = new Set();

export class ReplicaLag {
  private readonly seen = new Map<string, Seen>();

  /**
   * One refresh: `reports[node]` is what node answered (nothing when it could not). A partition
   * whose leader did not answer keeps what was seen before (a hung leader tells nothing new).
   */
  observe(reports: ReadonlyArray<readonly ReplicaReport[]>): void {
    const leaders = new Map<string, ReplicaReport>();
    for (const list of reports) {
      for (const r of list) {
        if (!r.leader) continue;
        const key = keyOf(r.table, r.pid);
        const other = leaders.get(key);
        // Two replicas that think they lead: the one of the later epoch does.
        if (other === undefined || r.epoch > other.epoch) leaders.set(key, r);
      }
    }
    for (const [key, r] of leaders) {
      const before = this.seen.get(key);
      const lagging = new Set<number>();
      if (before !== undefined && before.epoch <= r.epoch) {
        for (const [node, f] of Object.entries(r.followers)) if (f.match < before.committed) lagging.add(Number(node));
      }
      this.seen.set(key, { epoch: r.epoch, committed: r.committed, lagging });
    }
  }

  /** Followers of the partition last seen short of what had been committed a refresh earlier. */
  lagging(table: string, pid: number): ReadonlySet<number> {
    return this.seen.get(keyOf(table, pid))?.lagging ?? none;
  }

  /** Forgets partitions not in `partitions` (a dropped table, a split parent). */
  retain(partitions: Iterable<{ table: string; pid: number }>): void {
    const live = new Set<string>();
    for (const p of partitions) live.add(keyOf(p.table, p.pid));
    for (const key of this.seen.keys()) if (!live.has(key)) this.seen.delete(key);
  }
}

function keyOf(table: string, pid: number): string {
  return `${table}:${pid}`;
}
