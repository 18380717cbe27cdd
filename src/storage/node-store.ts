// One storage node's LMDB environment: a data B-tree and a replication log per partition
// replica, plus the node's own record of which replicas it holds.
import { open, type RootDatabase, type Database } from 'lmdb';

export interface NodeStoreOptions {
  path: string;
  sync: boolean;
  mapSizeBytes: number;
  /** lmdb-js's key (32 ASCII characters): pages are encrypted on disk (ChaCha8); absent: plain. */
  encryptionKey?: string;
}

export interface ReplicaDbs {
  data: Database<Buffer, Buffer>;
  log: Database<Buffer, number>;
}

/** Every replica uses two named databases; LMDB needs their count bounded up front. */
const namedDbsMax = 4096;

export class NodeStore {
  readonly root: RootDatabase;
  /** replica name → stored metadata (applied index, epoch), survives restarts. */
  readonly meta: Database<unknown, string>;

  constructor(options: NodeStoreOptions) {
    this.root = open({
      path: options.path,
      maxDbs: namedDbsMax,
      mapSize: options.mapSizeBytes,
      // Durability is decided here: with overlappingSync off and noSync off, a
      // transactionSync has been fsynced when it returns, so acknowledging after it is safe.
      overlappingSync: false,
      noSync: !options.sync,
      compression: false,
      cache: false,
      ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
    });
    this.meta = this.root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
  }

  openReplica(table: string, pid: number): ReplicaDbs {
    const data = this.root.openDB<Buffer, Buffer>({ name: `d:${table}:${pid}`, keyEncoding: 'binary', encoding: 'binary' });
    const log = this.root.openDB<Buffer, number>({ name: `l:${table}:${pid}`, keyEncoding: 'uint32', encoding: 'binary' });
    return { data, log };
  }

  /** Applies `fn` in one synchronous write transaction: the unit of group commit. */
  writeTransaction(fn: () => void): void {
    this.root.transactionSync(fn);
  }

  dropReplica(table: string, pid: number, dbs: ReplicaDbs): void {
    this.root.transactionSync(() => {
      dbs.data.dropSync();
      dbs.log.dropSync();
      this.meta.remove(replicaMetaKey(table, pid));
    });
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

export function replicaMetaKey(table: string, pid: number): string {
  return `r:${table}:${pid}`;
}
