// The storage node's NodeStore on LMDB (lmdb-js): per table one B-tree of items, one of the log
// followers' data and one of log entries, plus a metadata tree of replica records and follower
// positions, in the node's own environment.
//
// Commits are pipelined: a batch is one lmdb-js asynchronous transaction (its writes run on this
// thread inside it, in order; lmdb-js's writer thread commits it), and with overlappingSync the
// flush of one transaction overlaps the next ones. The storage node's thread never waits on the
// disk: it keeps draining and batching, and commit(onDurable) calls back once the batch is
// flushed. LMDB's metas keep a flushed transaction to restart from after a power loss
// (overlappingSync's crash safety), and a process crash loses nothing committed.
import { open, type Database, type RootDatabase } from 'lmdb';
import type { ReplicaRecord } from '../replication/replica-machine.ts';
import { InvariantError } from '../replication/invariants.ts';
import { bufferView } from './buffer-view.ts';
import { hashRangeOptions, logEpochBytes, logIndexMax, logKey, logKeyIndex, positionsKey, recordKey, type FollowerPositions, type ItemEntry, type ItemRangeOptions, type ItemTree, type NodeStore, type ReplicaSnapshot, type StoredLog } from './node-store.ts';
import { storedItemSize } from './stored-item.ts';

export interface LmdbStoreOptions {
  path: string;
  sync: boolean;
  mapSizeBytes: number;
  /** lmdb-js's key (32 ASCII characters): pages are encrypted on disk (ChaCha8); absent: plain. */
  encryptionKey?: string;
  /** Told when this thread may block on the disk (the failure detector's view). */
  watch?: DiskWatch;
}

/**
 * Calls that may block this thread on the disk: reads fault B-tree pages in, and a batch's
 * writes run on this thread inside lmdb-js's write transaction. A thread blocked in one is
 * waiting on a slow disk, not hung.
 */
export interface DiskWatch {
  enter(): void;
  leave(): void;
}

const unwatched: DiskWatch = { enter() {}, leave() {} };

interface TableDbs {
  items: Database<Buffer, Buffer>;
  followerData: Database<Buffer, Buffer>;
  log: Database<Buffer, Buffer>;
  /** The items and the followers' data as the node reads them: every read inside the disk watch. */
  watched: ItemTree;
  watchedFollowerData: ItemTree;
}

/** Named databases: one metadata tree plus three per table. */
const namedDbsMax = 10_000;
// Batch operations, kept as flat tuples in one array (no closure per write).
const PUT = 1;
const REMOVE = 2;
const REMOVE_RANGE = 3;
const DROP_TABLE = 4;

export class LmdbNodeStore implements NodeStore {
  private readonly root: RootDatabase;
  private readonly meta: Database<ReplicaRecord | FollowerPositions, string>;
  private readonly tables = new Map<string, TableDbs>();
  private ops: unknown[] = [];
  /** Commits not yet reported durable. */
  private inFlight = 0;
  /** A write transaction failed: the node must stop (what it acknowledged next could be wrong). */
  private failure: Error | null = null;
  private readonly watch: DiskWatch;

  constructor(options: LmdbStoreOptions) {
    this.watch = options.watch ?? unwatched;
    this.root = open({
      path: options.path,
      maxDbs: namedDbsMax,
      mapSize: options.mapSizeBytes,
      // Durability: a batch counts as durable once lmdb-js reports it flushed (not merely
      // committed); overlappingSync lets that flush overlap the next transactions.
      // (Without syncing there is no flush to overlap; lmdb-js refuses the combination.)
      overlappingSync: options.sync,
      noSync: !options.sync,
      compression: false,
      cache: false,
      ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
    });
    this.meta = this.root.openDB<ReplicaRecord | FollowerPositions, string>({ name: 'meta', encoding: 'msgpack' });
  }

  private dbs(table: string): TableDbs {
    let dbs = this.tables.get(table);
    if (dbs === undefined) {
      const items = this.root.openDB<Buffer, Buffer>({ name: `d:${table}`, keyEncoding: 'binary', encoding: 'binary' });
      const followerData = this.root.openDB<Buffer, Buffer>({ name: `x:${table}`, keyEncoding: 'binary', encoding: 'binary' });
      dbs = {
        items,
        followerData,
        log: this.root.openDB<Buffer, Buffer>({ name: `l:${table}`, keyEncoding: 'binary', encoding: 'binary' }),
        watched: new WatchedTree(items, this.watch),
        watchedFollowerData: new WatchedTree(followerData, this.watch),
      };
      this.tables.set(table, dbs);
    }
    return dbs;
  }

  items(table: string): ItemTree {
    return this.dbs(table).watched;
  }

  followerData(table: string): ItemTree {
    return this.dbs(table).watchedFollowerData;
  }

  followerPositions(table: string, pid: number): FollowerPositions {
    this.watch.enter();
    try {
      return (this.meta.get(positionsKey(table, pid)) as FollowerPositions | undefined) ?? {};
    } finally {
      this.watch.leave();
    }
  }

  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[] {
    this.watch.enter();
    try {
      return this.readLogNow(table, pid, from, to, maxBytes);
    } finally {
      this.watch.leave();
    }
  }

  private readLogNow(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let bytes = 0;
    let expected = from;
    for (const { key, value } of this.dbs(table).log.getRange({ start: logKey(pid, from), end: logKey(pid, to + 1) })) {
      // Entries read back for a resend must be contiguous, as they were when written.
      if (logKeyIndex(key) !== expected) throw new InvariantError(`log of ${table}/${pid} has a hole at ${expected}`);
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
    this.watch.enter();
    try {
      for (const { key, value } of this.dbs(table).log.getRange({ start: logKey(pid, 0), end: logKey(pid + 1, 0) })) {
        const index = logKeyIndex(key);
        const epoch = value.readUInt32BE(0);
        if (epochs.length === 0 || epochs[epochs.length - 1][1] !== epoch) epochs.push([index, epoch]);
        last = index;
      }
    } finally {
      this.watch.leave();
    }
    return { epochs, last };
  }

  records(): ReplicaRecord[] {
    const out: ReplicaRecord[] = [];
    this.watch.enter();
    try {
      for (const { value } of this.meta.getRange({ start: 'r:', end: 'r;' })) if ((value as ReplicaRecord | undefined)?.membership !== undefined) out.push(value as ReplicaRecord);
    } finally {
      this.watch.leave();
    }
    return out;
  }

  snapshot(table: string, pid: number, hashStart: number, hashEnd: number): ReplicaSnapshot {
    const dbs = this.dbs(table);
    this.watch.enter();
    try {
      // One read transaction for the record, the positions, the items and their followers' data: the snapshot's position is exact.
      const txn = this.root.useReadTransaction();
      const record = this.meta.get(recordKey(table, pid), { transaction: txn } as never) as ReplicaRecord | undefined;
      const positions = (this.meta.get(positionsKey(table, pid), { transaction: txn } as never) as FollowerPositions | undefined) ?? {};
      const range = hashRangeOptions(hashStart, hashEnd);
      const items = dbs.items.getRange({ ...range, transaction: txn } as never)[Symbol.iterator]() as Iterator<ItemEntry>;
      const followerData = dbs.followerData.getRange({ ...range, transaction: txn } as never)[Symbol.iterator]() as Iterator<ItemEntry>;
      return { record, positions, items: new WatchedIterator(items, this.watch), followerData: new WatchedIterator(followerData, this.watch), close: () => txn.done() };
    } finally {
      this.watch.leave();
    }
  }

  countRange(table: string, hashStart: number, hashEnd: number, itemsMax: number): { items: number; bytes: number } | null {
    let items = 0;
    let bytes = 0;
    this.watch.enter();
    try {
      for (const { value } of this.dbs(table).items.getRange(hashRangeOptions(hashStart, hashEnd))) {
        if (++items > itemsMax) return null;
        bytes += storedItemSize(value);
      }
    } finally {
      this.watch.leave();
    }
    return { items, bytes };
  }

  putItem(table: string, key: Uint8Array, value: Uint8Array): void {
    this.ops.push(PUT, this.dbs(table).items, bufferView(key), bufferView(value));
  }

  removeItem(table: string, key: Uint8Array): void {
    this.ops.push(REMOVE, this.dbs(table).items, bufferView(key), null);
  }

  putSnapshotItem(table: string, key: Uint8Array, value: Uint8Array): void {
    this.putItem(table, key, value);
  }

  pollDurable(): void {
    // Durability comes through the event loop (lmdb-js's flush promise).
  }

  hasNews(): boolean {
    return false;
  }

  waitsOnEventLoop(): boolean {
    return this.inFlight > 0;
  }

  hasBacklog(): boolean {
    return false;
  }

  putFollowerData(table: string, key: Uint8Array, value: Uint8Array): void {
    this.ops.push(PUT, this.dbs(table).followerData, bufferView(key), bufferView(value));
  }

  removeFollowerData(table: string, key: Uint8Array): void {
    this.ops.push(REMOVE, this.dbs(table).followerData, bufferView(key), null);
  }

  putFollowerPositions(table: string, pid: number, positions: FollowerPositions): void {
    this.ops.push(PUT, this.meta, positionsKey(table, pid), { ...positions });
  }

  appendLog(table: string, pid: number, index: number, epoch: number, bytes: Uint8Array): void {
    const value = Buffer.allocUnsafe(logEpochBytes + bytes.length);
    value.writeUInt32BE(epoch, 0);
    value.set(bytes, logEpochBytes);
    this.ops.push(PUT, this.dbs(table).log, logKey(pid, index), value);
  }

  removeLog(table: string, pid: number, from: number, to: number): void {
    // The key after `to`: the next partition's first key when `to` is the last index there is.
    this.ops.push(REMOVE_RANGE, this.dbs(table).log, logKey(pid, from), to >= logIndexMax ? logKey(pid + 1, 0) : logKey(pid, to + 1));
  }

  putRecord(record: ReplicaRecord): void {
    this.ops.push(PUT, this.meta, recordKey(record.table, record.pid), record);
  }

  removeRecord(table: string, pid: number): void {
    this.ops.push(REMOVE, this.meta, recordKey(table, pid), null);
    this.ops.push(REMOVE, this.meta, positionsKey(table, pid), null);
  }

  clearRange(table: string, hashStart: number, hashEnd: number): void {
    const range = hashRangeOptions(hashStart, hashEnd);
    const dbs = this.dbs(table);
    this.ops.push(REMOVE_RANGE, dbs.items, range.start, range.end);
    this.ops.push(REMOVE_RANGE, dbs.followerData, range.start, range.end);
  }

  dropTable(table: string): void {
    this.ops.push(DROP_TABLE, this.dbs(table), table, null);
    this.tables.delete(table);
  }

  batchPending(): boolean {
    return this.ops.length > 0;
  }

  /**
   * Hands the batch to lmdb-js's writer: it runs as one transaction (the callback executes on
   * this thread inside that transaction, in the order the writes were made), is committed by the
   * writer thread, and flushed while later batches are being made; onDurable runs once flushed.
   */
  commit(onDurable: () => void): void {
    if (this.failure !== null) throw this.failure;
    const ops = this.ops;
    this.ops = [];
    const committed = ops.length === 0 ? Promise.resolve() : this.root.transaction(() => this.runOps(ops));
    this.inFlight++;
    committed
      .then(() => this.root.flushed)
      .then(() => {
        // Reads from now on must see the batch: renew the read snapshot before anyone is told.
        this.root.resetReadTxn();
        this.inFlight--;
        onDurable();
      })
      .catch((err: Error) => (this.failure ??= err));
  }

  /** The batch's writes, run on this thread inside lmdb-js's write transaction (they fault B-tree pages in). */
  private runOps(ops: unknown[]): void {
    this.watch.enter();
    try {
      this.runOpsNow(ops);
    } finally {
      this.watch.leave();
    }
  }

  private runOpsNow(ops: unknown[]): void {
    for (let i = 0; i < ops.length; i += 4) {
      const db = ops[i + 1] as Database<unknown, Buffer | string>;
      switch (ops[i]) {
        case PUT:
          db.put(ops[i + 2] as never, ops[i + 3] as never);
          break;
        case REMOVE:
          db.remove(ops[i + 2] as never);
          break;
        case REMOVE_RANGE: {
          // Keys first, then removes: the cursor is not walked while the tree changes under it.
          const keys = [...db.getKeys({ start: ops[i + 2] as Buffer, end: (ops[i + 3] as Buffer | undefined) ?? undefined })];
          for (const key of keys) db.remove(key);
          break;
        }
        case DROP_TABLE: {
          const dbs = ops[i + 1] as unknown as TableDbs;
          dbs.items.dropSync();
          dbs.followerData.dropSync();
          dbs.log.dropSync();
          const table = ops[i + 2] as string;
          for (const prefix of ['r', 'f']) {
            const keys = [...this.meta.getKeys({ start: `${prefix}:${table}:`, end: `${prefix}:${table};` })];
            for (const key of keys) this.meta.remove(key);
          }
          break;
        }
      }
    }
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

/** A table's items with every read inside the disk watch (a point read or a range walk may fault pages in). */
class WatchedTree implements ItemTree {
  constructor(
    private readonly db: Database<Buffer, Buffer>,
    private readonly watch: DiskWatch,
  ) {}

  get(key: Buffer): Buffer | undefined {
    this.watch.enter();
    try {
      return this.db.get(key);
    } finally {
      this.watch.leave();
    }
  }

  getRange(options: ItemRangeOptions): Iterable<ItemEntry> {
    const range = this.db.getRange(options) as Iterable<ItemEntry>;
    const watch = this.watch;
    return { [Symbol.iterator]: () => new WatchedIterator(range[Symbol.iterator](), watch) };
  }
}

/** A range walk whose every step is inside the disk watch; ending it early releases lmdb-js's cursor. */
class WatchedIterator implements Iterator<ItemEntry> {
  constructor(
    private readonly inner: Iterator<ItemEntry>,
    private readonly watch: DiskWatch,
  ) {}

  next(): IteratorResult<ItemEntry> {
    this.watch.enter();
    try {
      return this.inner.next();
    } finally {
      this.watch.leave();
    }
  }

  return(value?: unknown): IteratorResult<ItemEntry> {
    return this.inner.return?.(value) ?? { done: true, value: undefined };
  }
}
