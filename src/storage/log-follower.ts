// Followers of a replica's committed log: everything that reacts to writes consumes committed
// entries through this one interface, on every replica alike, in log order. The item store is
// the first follower (ItemApplier); indexes, streams, TTL and backups are the next ones. Each
// follower has a position per replica (the last index it took), written in the same batch as
// what it made of the entries, so that a restart resumes exactly where it stopped; trimming the
// log waits for the slowest follower (one further behind than the log may grow is told and
// rebuilt); a split hands a follower from the parent to both children (the parent's entries
// first, then each child's from its index 1); a snapshot install brings a follower's data with
// the items (a snapshot is taken only where every follower has caught up with the data).
import type { LogEntry } from '../replication/log-entry.ts';
import { InvariantError } from '../replication/invariants.ts';
import type { NodeStore } from './node-store.ts';

/** The replica a follower is told about: which table and hash range it covers. */
export interface FollowedReplica {
  readonly table: string;
  readonly pid: number;
  readonly hashStart: number;
  readonly hashEnd: number;
  /** The map version at which the partition was made: above its split parent's (0 when unknown). */
  readonly since: number;
}

export interface LogFollower {
  /** Positions and data are kept under this name (one of the node's followers). */
  readonly name: string;
  /**
   * Committed entries after the follower's position on `replica`, in log order: entries[0] is at
   * index `from` + 1. It takes a prefix (all of them, to keep up; fewer to lag), writes what it
   * makes of them into `batch` (the node's batch being built, committed with its new position),
   * and returns how many it took. With `takeAll` it must take them all (a split or a snapshot
   * waits for it).
   */
  committed(replica: FollowedReplica, from: number, entries: readonly LogEntry[], batch: NodeStore, takeAll: boolean): number;
  /** `parent` applied its split at `index` (this follower has taken every entry before it): the children continue from their index 0. */
  split(parent: FollowedReplica, index: number, children: readonly FollowedReplica[], batch: NodeStore): void;
  /**
   * The follower fell further behind than the log keeps (logEntriesMax): its state on `replica`
   * is rebuilt from the replica's data as of `index` (and its position set there).
   */
  fellBehind(replica: FollowedReplica, index: number, batch: NodeStore): void;
}

/** Entries a lagging follower is handed per pump when it catches up from the stored log. */
export const catchUpEntriesPerPump = 512;

/** The item store, the first follower of the log: puts and deletes, in order, on every replica. */
export class ItemStoreFollower implements LogFollower {
  readonly name = 'items';

  /** Always takes everything: its position is the replica's applied index (the machine's, in the replica record). */
  committed(replica: FollowedReplica, _from: number, entries: readonly LogEntry[], batch: NodeStore, _takeAll: boolean): number {
    for (const entry of entries) {
      for (const mu of entry.m) {
        if (mu.b === null) batch.removeItem(replica.table, mu.k);
        else batch.putItem(replica.table, mu.k, mu.b);
      }
    }
    return entries.length;
  }

  split(): void {
    // A table's items share one tree on a node: the children's hash ranges already hold theirs.
  }

  fellBehind(replica: FollowedReplica): never {
    // Its position is the applied index, which trimming never passes.
    throw new InvariantError(`${replica.table}/${replica.pid}: the item store fell behind the trimmed log`);
  }
}

/**
 * Keys of a follower's own data on a node (one tree per table beside the items): the item's
 * 4-byte hash first, so that a hash range of the data is a key range (cleared, snapshotted and
 * split with the items), then the follower's name, then the rest of the item's storage key.
 */
export function followerDataKey(follower: string, storageKey: Uint8Array): Buffer {
  const name = Buffer.from(follower, 'utf8');
  const key = Buffer.allocUnsafe(4 + 1 + name.length + storageKey.length - 4);
  key.set(storageKey.subarray(0, 4), 0);
  key[4] = name.length;
  name.copy(key, 5);
  key.set(storageKey.subarray(4), 5 + name.length);
  return key;
}

/** The follower a data key belongs to, and the item storage key it is about. */
export function parseFollowerDataKey(key: Uint8Array): { follower: string; storageKey: Buffer } {
  const length = key[4];
  const follower = Buffer.from(key.buffer, key.byteOffset + 5, length).toString('utf8');
  const storageKey = Buffer.concat([key.subarray(0, 4), key.subarray(5 + length)]);
  return { follower, storageKey };
}
