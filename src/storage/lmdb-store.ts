// The storage node's NodeStore on LMDB (lmdb-js): per table one B-tree of items and one of log
// entries, plus a metadata tree of replica records, in the node's own environment. A batch is
// gathered in memory and written by one synced write transaction at commit(): when it returns,
// the batch is durable (fsynced, unless storage.sync is off).
import { open, type Database, type RootDatabase } from 'lmdb';
import type { ReplicaRecord } from '../replication/replica-machine.ts';
import { bufferView } from './buffer-view.ts';
import { hashRangeOptions, logEpochBytes, logIndexMax, logKey, logKeyIndex, recordKey, type ItemEntry, type ItemTree, type NodeStore, type ReplicaSnapshot, type StoredLog } from './node-store.ts';
import { storedItemSize } from './stored-item.ts';

export interface LmdbStoreOptions {
  path: string;
  sync: boolean;
  mapSizeBytes: number;
  /** lmdb-js's key (32 ASCII characters): pages are encrypted on disk (ChaCha8); absent: plain. */
  encryptionKey?: string;
  /** Called around each commit: a node waiting on its disk is not a dead node (see AutoAdmin). */
  onCommitting?: (committing: boolean) => void;
}

interface TableDbs {
  items: Database<Buffer, Buffer>;
  log: Database<Buffer, Buffer>;
}

// Batch operations, kept as flat tuples in one array (no closure per write).
const PUT_ITEM = 1;
const REMOVE_ITEM = 2;
const APPEND_LOG = 3;
const REMOVE_LOG = 4;
const PUT_RECORD = 5;
const REMOVE_RECORD = 6;
const CLEAR_RANGE = 7;
const DROP_TABLE = 8;

/** Named databases: one metadata tree plus two per table. */
const namedDbsMax = 10_000;

export class LmdbNodeStore implements NodeStore {
  private readonly root: RootDatabase;
  private readonly meta: Database<ReplicaRecord, string>;
  private readonly tables = new Map<string, TableDbs>();
  private readonly ops: unknown[] = [];
  private readonly onCommitting: (committing: boolean) => void;

  constructor(options: LmdbStoreOptions) {
    this.root = open({
      path: options.path,
      maxDbs: namedDbsMax,
      mapSize: options.mapSizeBytes,
      // Durability is decided here: with overlappingSync off and noSync off, a transactionSync
      // has been fsynced when it returns, so what depends on durability may run after it.
      overlappingSync: false,
      noSync: !options.sync,
      compression: false,
      cache: false,
      ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
    });
    this.meta = this.root.openDB<ReplicaRecord, string>({ name: 'meta', encoding: 'msgpack' });
    this.onCommitting = options.onCommitting ?? (() => {});
  }

  private dbs(table: string): TableDbs {
    let dbs = this.tables.get(table);
    if (dbs === undefined) {
      dbs = {
        items: this.root.openDB<Buffer, Buffer>({ name: `d:${table}`, keyEncoding: 'binary', encoding: 'binary' }),
        log: this.root.openDB<Buffer, Buffer>({ name: `l:${table}`, keyEncoding: 'binary', encoding: 'binary' }),
      };
      this.tables.set(table, dbs);
    }
    return dbs;
  }

  items(table: string): ItemTree {
    return this.dbs(table).items;
  }

  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let bytes = 0;
    let expected = from;
    for (const { key, value } of this.dbs(table).log.getRange({ start: logKey(pid, from), end: logKey(pid, to + 1) })) {
      if (logKeyIndex(key) !== expected) throw new Error(`log of ${table}/${pid} has a hole at ${expected}`);
      const entry = value.subarray(logEpochBytes);
      if (out.length > 0 && bytes + entry.length > maxBytes) break;
      out.push(entry);
      bytes += entry.length;
      expected++;
    }
    return out;
  }

  storedLog(table: string, pid: number): StoredLog {
    const epochs: Array<[number, number]> = [];
    let last = 0;
    for (const { key, value } of this.dbs(table).log.getRange({ start: logKey(pid, 0), end: logKey(pid + 1, 0) })) {
      const index = logKeyIndex(key);
      const epoch = value.readUInt32BE(0);
      if (epochs.length === 0 || epochs[epochs.length - 1][1] !== epoch) epochs.push([index, epoch]);
      last = index;
    }
    return { epochs, last };
  }

  records(): ReplicaRecord[] {
    const out: ReplicaRecord[] = [];
    for (const { value } of this.meta.getRange({ start: 'r:', end: 'r;' })) if (value?.membership !== undefined) out.push(value);
    return out;
  }

  snapshot(table: string, pid: number, hashStart: number, hashEnd: number): ReplicaSnapshot {
    const dbs = this.dbs(table);
    // One read transaction for the record and the items: the snapshot's position is exact.
    const txn = this.root.useReadTransaction();
    const record = this.meta.get(recordKey(table, pid), { transaction: txn } as never) as ReplicaRecord | undefined;
    const items = dbs.items.getRange({ ...hashRangeOptions(hashStart, hashEnd), transaction: txn } as never)[Symbol.iterator]() as Iterator<ItemEntry>;
    return { record, items, close: () => txn.done() };
  }

  countRange(table: string, hashStart: number, hashEnd: number, itemsMax: number): { items: number; bytes: number } | null {
    let items = 0;
    let bytes = 0;
    for (const { value } of this.dbs(table).items.getRange(hashRangeOptions(hashStart, hashEnd))) {
      if (++items > itemsMax) return null;
      bytes += storedItemSize(value);
    }
    return { items, bytes };
  }

  putItem(table: string, key: Uint8Array, value: Uint8Array): void {
    this.ops.push(PUT_ITEM, this.dbs(table).items, bufferView(key), bufferView(value));
  }

  removeItem(table: string, key: Uint8Array): void {
    this.ops.push(REMOVE_ITEM, this.dbs(table).items, bufferView(key), null);
  }

  appendLog(table: string, pid: number, index: number, epoch: number, bytes: Uint8Array): void {
    const value = Buffer.allocUnsafe(logEpochBytes + bytes.length);
    value.writeUInt32BE(epoch, 0);
    value.set(bytes, logEpochBytes);
    this.ops.push(APPEND_LOG, this.dbs(table).log, logKey(pid, index), value);
  }

  removeLog(table: string, pid: number, from: number, to: number): void {
    // The key after `to`: the next partition's first key when `to` is the last index there is.
    const end = to >= logIndexMax ? logKey(pid + 1, 0) : logKey(pid, to + 1);
    this.ops.push(REMOVE_LOG, this.dbs(table).log, logKey(pid, from), end);
  }

  putRecord(record: ReplicaRecord): void {
    this.ops.push(PUT_RECORD, null, recordKey(record.table, record.pid), record);
  }

  removeRecord(table: string, pid: number): void {
    this.ops.push(REMOVE_RECORD, null, recordKey(table, pid), null);
  }

  clearRange(table: string, hashStart: number, hashEnd: number): void {
    this.ops.push(CLEAR_RANGE, this.dbs(table).items, hashStart, hashEnd);
  }

  dropTable(table: string): void {
    this.ops.push(DROP_TABLE, this.dbs(table), table, null);
    this.tables.delete(table);
  }

  batchPending(): boolean {
    return this.ops.length > 0;
  }

  commit(onDurable: () => void): void {
    if (this.ops.length > 0) {
      this.onCommitting(true);
      try {
        this.root.transactionSync(() => this.runOps());
      } finally {
        this.ops.length = 0;
        this.onCommitting(false);
      }
    }
    onDurable();
  }

  private runOps(): void {
    const ops = this.ops;
    for (let i = 0; i < ops.length; i += 4) {
      switch (ops[i]) {
        case PUT_ITEM:
        case APPEND_LOG:
          (ops[i + 1] as Database<Buffer, Buffer>).put(ops[i + 2] as Buffer, ops[i + 3] as Buffer);
          break;
        case REMOVE_ITEM:
          (ops[i + 1] as Database<Buffer, Buffer>).remove(ops[i + 2] as Buffer);
          break;
        case REMOVE_LOG: {
          const log = ops[i + 1] as Database<Buffer, Buffer>;
          // Keys first, then removes: the cursor is not walked while the tree changes under it.
          const keys = [...log.getKeys({ start: ops[i + 2] as Buffer, end: ops[i + 3] as Buffer })];
          for (const key of keys) log.remove(key);
          break;
        }
        case PUT_RECORD:
          this.meta.put(ops[i + 2] as string, ops[i + 3] as ReplicaRecord);
          break;
        case REMOVE_RECORD:
          this.meta.remove(ops[i + 2] as string);
          break;
        case CLEAR_RANGE: {
          const items = ops[i + 1] as Database<Buffer, Buffer>;
          const keys = [...items.getKeys(hashRangeOptions(ops[i + 2] as number, ops[i + 3] as number))];
          for (const key of keys) items.remove(key as Buffer);
          break;
        }
        case DROP_TABLE: {
          const dbs = ops[i + 1] as TableDbs;
          dbs.items.dropSync();
          dbs.log.dropSync();
          const table = ops[i + 2] as string;
          const keys = [...this.meta.getKeys({ start: `r:${table}:`, end: `r:${table};` })];
          for (const key of keys) this.meta.remove(key);
          break;
        }
      }
    }
  }

  close(): Promise<void> {
    return this.root.close();
  }
}
