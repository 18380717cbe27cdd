// Followers' data derived from committed log entries alone (secondary index entries, the GSI
// outbox, transaction locks). Like the items, a store with a write-ahead log does not log it:
// the entries are logged, and recovery derives it again from them (deriveFollowerData), so each
// write costs one logged entry instead of the entry plus a record per piece of derived data.
import type { LogEntry } from '../replication/log-entry.ts';
import type { NodeStore } from './node-store.ts';

/** Where a derived write goes. */
export interface DerivedWrites {
  put(table: string, key: Uint8Array, value: Uint8Array): void;
  remove(table: string, key: Uint8Array): void;
}

/** The replica an entry was applied on (what derivation depends on besides the entry). */
export interface DerivedSource {
  readonly table: string;
  readonly pid: number;
}

/** A store's batch as the place derived data goes (not logged). */
export function derivedWritesOf(batch: NodeStore): DerivedWrites {
  // One per store, made once: each follower asks for it on every commit of every replica.
  let writes = writesByStore.get(batch);
  if (writes === undefined) writesByStore.set(batch, (writes = new StoreDerivedWrites(batch)));
  return writes;
}

const writesByStore = new WeakMap<NodeStore, DerivedWrites>();

class StoreDerivedWrites implements DerivedWrites {
  private readonly store: NodeStore;

  constructor(store: NodeStore) {
    this.store = store;
  }

  put(table: string, key: Uint8Array, value: Uint8Array): void {
    this.store.putDerivedData(table, key, value);
  }

  remove(table: string, key: Uint8Array): void {
    this.store.removeDerivedData(table, key);
  }
}

/** A follower whose data is derived: it can make it again from an entry, during recovery. */
export interface DerivingFollower {
  derive(replica: DerivedSource, entry: LogEntry, out: DerivedWrites): void;
}
