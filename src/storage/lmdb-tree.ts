// A storage node's B-tree on LMDB (lmdb-js), written only by checkpoints: per table one tree of
// items, one of the log followers' data and one of log entries, plus a metadata tree of replica
// records, followers' positions and the checkpoint's mark (the write-ahead log position every
// record before which it holds). A checkpoint writes one frozen memtable layer with lmdb-js's
// asynchronous writes (its writer thread does the B-tree work; this thread only queues them, a
// bounded number per step), the mark last, and is done once lmdb-js reports it flushed
// (overlappingSync: after a power loss LMDB reopens at its last flushed transaction, after a
// process crash at its last committed one, which may be ahead of the mark: replaying the log
// from the mark is idempotent). Never noSync while the server promises durability.
import { open, type Database, type RootDatabase } from 'lmdb';
import type { ReplicaRecord } from '../replication/replica-machine.ts';
import { InvariantError } from '../replication/invariants.ts';
import { logEpochBytes, logIndexMax, logKey, logKeyIndex, positionsKey, recordKey, type FollowerPositions, type ItemEntry, type ItemRangeOptions, type ItemTree } from './node-store.ts';
import type { MemLayer, MemtableBase } from './memtable.ts';

export interface LmdbTreeOptions {
  path: string;
  sync: boolean;
  mapSizeBytes: number;
  /** lmdb-js's key (32 ASCII characters): pages are encrypted on disk (ChaCha8); absent: plain. */
  encryptionKey?: string;
  /** Told when this thread may block on the disk (the failure detector's view). */
  watch?: DiskWatch;
}

/**
 * Calls that may block this thread on the disk: reads fault B-tree pages in. A thread blocked in
 * one is waiting on a slow disk, not hung.
 */
export interface DiskWatch {
  enter(): void;
  leave(): void;
}

const unwatched: DiskWatch = { enter() {}, leave() {} };

/** The tree a checkpoint writes and the memtable reads over: LMDB in the server, memory in the simulator. */
export interface CheckpointTree extends MemtableBase {
  /** The write-ahead log position the last durable checkpoint covers (0: none yet). */
  readonly coveredLsn: number;
  /**
   * The mark of the last checkpoint that began writing (its first write): above coveredLsn, the
   * tree may hold part of that checkpoint (items, records, log trims of records up to it) ahead of
   * its mark; equal to it, it holds nothing past its mark.
   */
  readonly intentLsn: number;
  /**
   * Starts writing `layer`, then `coveredLsn` as the new mark. step() queues its writes a bounded
   * number at a time; `done` runs once the whole checkpoint is durable (or with the error that stops the node).
   */
  checkpoint(layer: MemLayer, coveredLsn: number, done: (err: Error | null) => void): void;
  /** Queues up to `budget` writes of the checkpoint under way; returns whether one is under way. */
  step(budget: number): boolean;
  /** A consistent read view of the tree as it is now (what a snapshot stream reads), pinned until closed. */
  pin(): PinnedTree;
  close(): Promise<void>;
}

export interface PinnedTree extends MemtableBase {
  close(): void;
}

/** Named databases: one metadata tree plus three per table. */
const namedDbsMax = 10_000;
const checkpointKey = 'checkpoint';
const checkpointIntentKey = 'checkpoint-intent';

interface TableDbs {
  items: Database<Buffer, Buffer>;
  followerData: Database<Buffer, Buffer>;
  log: Database<Buffer, Buffer>;
}

/**
 * The environment's options. Every thread that opens a node's directory passes the same: lmdb-js
 * shares one environment per path in the process, made with the options of whoever opened it first.
 */
export function environmentOptions(options: Pick<LmdbTreeOptions, 'path' | 'sync' | 'mapSizeBytes' | 'encryptionKey'>) {
  return {
    path: options.path,
    maxDbs: namedDbsMax,
    mapSize: options.mapSizeBytes,
    // A checkpoint counts once lmdb-js reports it flushed; overlappingSync keeps a flushed
    // meta to reopen at after a power loss. (Without syncing there is nothing to overlap.)
    overlappingSync: options.sync,
    noSync: !options.sync,
    compression: false,
    cache: false,
    ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
  };
}

/** A table's items in the B-tree (what the front door's local reads open too, without creating it). */
export function itemsDbOptions(table: string, create = true) {
  return { name: `d:${table}`, keyEncoding: 'binary' as const, encoding: 'binary' as const, ...(create ? {} : { create: false }) };
}

/** A table's followers' data (local secondary index entries, the global indexes' outbox, ...), opened as itemsDbOptions. */
export function followerDataDbOptions(table: string, create = true) {
  return { name: `x:${table}`, keyEncoding: 'binary' as const, encoding: 'binary' as const, ...(create ? {} : { create: false }) };
}

export class LmdbTree implements CheckpointTree {
  private readonly root: RootDatabase;
  private readonly meta: Database<unknown, string>;
  private readonly tables = new Map<string, TableDbs>();
  private readonly watch: DiskWatch;
  private covered: number;
  /** The mark of the last checkpoint that began writing (intentLsn). */
  private intent: number;
  /** The checkpoint under way: its writes still to queue, and what to do when it is durable. */
  private writes: Generator<void, void, void> | null = null;
  private lastWrite: Promise<unknown> | null = null;
  /** Trees as the node reads them (every read inside the disk watch), by tree id. */
  private readonly watched = new Map<string, ItemTree>();
  /** A checkpoint write failed: the node must stop. */
  failure: Error | null = null;

  constructor(options: LmdbTreeOptions) {
    this.watch = options.watch ?? unwatched;
    this.root = open(environmentOptions(options));
    this.meta = this.root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
    this.covered = (this.meta.get(checkpointKey) as { lsn: number } | undefined)?.lsn ?? 0;
    this.intent = Math.max(this.covered, (this.meta.get(checkpointIntentKey) as { lsn: number } | undefined)?.lsn ?? 0);
  }

  get coveredLsn(): number {
    return this.covered;
  }

  get intentLsn(): number {
    return this.intent;
  }

  private dbs(table: string): TableDbs {
    let dbs = this.tables.get(table);
    if (dbs === undefined) {
      dbs = {
        items: this.root.openDB<Buffer, Buffer>(itemsDbOptions(table)),
        followerData: this.root.openDB<Buffer, Buffer>(followerDataDbOptions(table)),
        log: this.root.openDB<Buffer, Buffer>({ name: `l:${table}`, keyEncoding: 'binary', encoding: 'binary' }),
      };
      this.tables.set(table, dbs);
    }
    return dbs;
  }

  private treeDb(id: string): Database<Buffer, Buffer> {
    const dbs = this.dbs(id.slice(2));
    return id.startsWith('d:') ? dbs.items : dbs.followerData;
  }

  // ---- reads (MemtableBase) ----------------------------------------------------------------

  tree(id: string): ItemTree {
    let t = this.watched.get(id);
    if (t === undefined) this.watched.set(id, (t = new WatchedTree(this.treeDb(id), this.watch, undefined)));
    return t;
  }

  logEntry(table: string, pid: number, index: number): [number, Uint8Array] | undefined {
    this.watch.enter();
    try {
      const value = this.dbs(table).log.get(logKey(pid, index));
      return value === undefined ? undefined : [value.readUInt32BE(0), value.subarray(logEpochBytes)];
    } finally {
      this.watch.leave();
    }
  }

  *logIndices(table: string, pid: number): Iterable<[number, number]> {
    for (const { key, value } of new WatchedTree(this.dbs(table).log, this.watch, undefined).getRange({ start: logKey(pid, 0), end: logKey(pid + 1, 0) })) yield [logKeyIndex(key), value.readUInt32BE(0)];
  }

  record(table: string, pid: number): ReplicaRecord | undefined {
    return this.metaGet(recordKey(table, pid)) as ReplicaRecord | undefined;
  }

  positions(table: string, pid: number): FollowerPositions | undefined {
    return this.metaGet(positionsKey(table, pid)) as FollowerPositions | undefined;
  }

  *records(): Iterable<ReplicaRecord> {
    const out: ReplicaRecord[] = [];
    this.watch.enter();
    try {
      for (const { value } of this.meta.getRange({ start: 'r:', end: 'r;' })) if ((value as ReplicaRecord | undefined)?.membership !== undefined) out.push(value as ReplicaRecord);
    } finally {
      this.watch.leave();
    }
    yield* out;
  }

  private metaGet(key: string): unknown {
    this.watch.enter();
    try {
      return this.meta.get(key);
    } finally {
      this.watch.leave();
    }
  }

  pin(): PinnedTree {
    const txn = this.root.useReadTransaction();
    const options = { transaction: txn } as never;
    const watch = this.watch;
    const self = this;
    return {
      tree: (id) => new WatchedTree(self.treeDb(id), watch, txn),
      logEntry: (table, pid, index) => {
        const value = self.dbs(table).log.get(logKey(pid, index), options) as Buffer | undefined;
        return value === undefined ? undefined : [value.readUInt32BE(0), value.subarray(logEpochBytes)];
      },
      logIndices: function* (table, pid) {
        for (const { key, value } of self.dbs(table).log.getRange({ start: logKey(pid, 0), end: logKey(pid + 1, 0), transaction: txn } as never) as Iterable<ItemEntry>) yield [logKeyIndex(key), value.readUInt32BE(0)];
      },
      record: (table, pid) => self.meta.get(recordKey(table, pid), options) as ReplicaRecord | undefined,
      positions: (table, pid) => self.meta.get(positionsKey(table, pid), options) as FollowerPositions | undefined,
      records: () => [],
      close: () => txn.done(),
    };
  }

  // ---- checkpoints ------------------------------------------------------------------------

  checkpoint(layer: MemLayer, coveredLsn: number, done: (err: Error | null) => void): void {
    if (this.writes !== null) throw new Error('a checkpoint is already under way');
    // The mark only moves on: a lower one would have the next recovery replay what the tree holds.
    if (coveredLsn < this.covered) throw new InvariantError(`checkpoint mark ${coveredLsn} below the tree's ${this.covered}`);
    this.writes = this.layerWrites(layer, coveredLsn);
    this.lastWrite = null;
    this.done = (err) => {
      if (err === null) {
        // Readers see the whole checkpoint from now on (its frozen layer goes next).
        this.root.resetReadTxn();
        this.covered = coveredLsn;
      } else this.failure = err;
      done(err);
    };
  }

  private done: (err: Error | null) => void = () => {};

  step(budget: number): boolean {
    const writes = this.writes;
    if (writes === null) return false;
    for (let n = 0; n < budget; n++) {
      if (writes.next().done !== true) continue;
      this.writes = null;
      const done = this.done;
      (this.lastWrite ?? Promise.resolve())
        .then(() => this.root.flushed)
        .then(
          () => done(null),
          (err: Error) => done(err),
        );
      return false;
    }
    return true;
  }

  /**
   * The layer's writes, one per step of the generator: drops, items (cleared ranges, then values),
   * replica records and positions, log entries, the mark last. A crash may leave any prefix of
   * them: items before records, so a record never claims items the tree lacks; records before
   * log trims, so no entry recovery still has to apply is gone.
   */
  private *layerWrites(layer: MemLayer, coveredLsn: number): Generator<void, void, void> {
    // First: the tree may hold this checkpoint's writes from here on (recovery must know, see intentLsn).
    this.intent = coveredLsn;
    this.lastWrite = this.meta.put(checkpointIntentKey, { lsn: coveredLsn });
    yield;
    for (const table of layer.droppedTables) {
      const dbs = this.dbs(table);
      for (const db of [dbs.items, dbs.followerData, dbs.log]) {
        this.lastWrite = db.drop();
        yield;
      }
      this.tables.delete(table);
      this.watched.delete('d:' + table);
      this.watched.delete('x:' + table);
      for (const prefix of ['r', 'f']) {
        for (const key of this.keysOf(this.meta as unknown as Database<Buffer, Buffer>, { start: `${prefix}:${table}:` as never, end: `${prefix}:${table};` as never })) {
          this.lastWrite = this.meta.remove(key as unknown as string);
          yield;
        }
      }
    }
    for (const [id, t] of layer.trees) {
      if (layer.droppedTables.has(id.slice(2))) continue;
      const db = this.treeDb(id);
      for (const range of t.cleared) {
        for (const key of this.keysOf(db, { start: range.start, end: range.end })) {
          this.lastWrite = db.remove(key);
          yield;
        }
      }
      for (const [key, value] of t.entries.entries()) {
        this.lastWrite = value === null ? db.remove(key) : db.put(key, value);
        yield;
      }
    }
    for (const [key, record] of layer.records) {
      const cut = key.lastIndexOf(':');
      this.lastWrite = record === null ? this.meta.remove(recordKey(key.slice(0, cut), Number(key.slice(cut + 1)))) : this.meta.put(recordKey(record.table, record.pid), record);
      yield;
    }
    for (const [key, positions] of layer.positions) {
      const cut = key.lastIndexOf(':');
      const pk = positionsKey(key.slice(0, cut), Number(key.slice(cut + 1)));
      this.lastWrite = positions === null ? this.meta.remove(pk) : this.meta.put(pk, { ...positions });
      yield;
    }
    for (const [replica, l] of layer.logs) {
      const cut = replica.lastIndexOf(':');
      const table = replica.slice(0, cut);
      const pid = Number(replica.slice(cut + 1));
      if (layer.droppedTables.has(table)) continue;
      const db = this.dbs(table).log;
      for (const [from, to] of l.removed) {
        for (const key of this.keysOf(db, { start: logKey(pid, from), end: to >= logIndexMax ? logKey(pid + 1, 0) : logKey(pid, to + 1) })) {
          this.lastWrite = db.remove(key);
          yield;
        }
      }
      for (const [index, [epoch, bytes]] of l.entries) {
        const value = Buffer.allocUnsafe(logEpochBytes + bytes.length);
        value.writeUInt32BE(epoch, 0);
        value.set(bytes, logEpochBytes);
        this.lastWrite = db.put(logKey(pid, index), value);
        yield;
      }
    }
    this.lastWrite = this.meta.put(checkpointKey, { lsn: coveredLsn });
  }

  private keysOf(db: Database<Buffer, Buffer>, range: ItemRangeOptions): Buffer[] {
    this.watch.enter();
    try {
      return [...db.getKeys(range)] as Buffer[];
    } finally {
      this.watch.leave();
    }
  }

  /** A consistent copy of the whole tree as it is now, into the empty directory `dir` (the crash trace's). */
  copyTo(dir: string): Promise<void> {
    return this.root.backup(dir, false);
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

/** A tree with every read inside the disk watch (a point read or a range walk may fault pages in). */
class WatchedTree implements ItemTree {
  constructor(
    private readonly db: Database<Buffer, Buffer>,
    private readonly watch: DiskWatch,
    private readonly transaction: unknown,
  ) {}

  get(key: Buffer): Buffer | undefined {
    this.watch.enter();
    try {
      return this.transaction === undefined ? this.db.get(key) : (this.db.get(key, { transaction: this.transaction } as never) as Buffer | undefined);
    } finally {
      this.watch.leave();
    }
  }

  getRange(options: ItemRangeOptions): Iterable<ItemEntry> {
    const range = this.db.getRange(this.transaction === undefined ? options : ({ ...options, transaction: this.transaction } as never)) as Iterable<ItemEntry>;
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
