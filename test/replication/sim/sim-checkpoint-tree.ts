// The simulated B-tree under one node's memtable: the CheckpointTree the real WalNodeStore
// checkpoints into, in memory. As LMDB under lmdb-js's asynchronous writes, a checkpoint's writes
// are committed ("written") as step() queues them, in the order LmdbTree queues them (items,
// then records and positions, then log trims and entries, the mark last: recovery relies on that
// order), and the checkpoint is done once a flush of the simulated disk completes after its last
// write. Two states are kept: what is written (a process crash keeps it: the tree may be ahead of
// its last flushed mark, even carry a new mark not yet flushed) and what is flushed (a power loss
// rolls the tree back to it: a checkpoint in progress is lost whole). Copies share structure
// (sorted-btree clones copy on write), so a pinned view or a flushed state costs little.
import sortedBtree from 'sorted-btree';
import type { ReplicaRecord } from '../../../src/replication/replica-machine.ts';
import { logIndexMax, type FollowerPositions, type ItemEntry, type ItemRangeOptions, type ItemTree } from '../../../src/storage/node-store.ts';
import type { MemLayer, MemtableBase } from '../../../src/storage/memtable.ts';
import type { CheckpointTree, PinnedTree } from '../../../src/storage/lmdb-tree.ts';

// CommonJS default export, as memtable.ts takes it.
const BTree: typeof sortedBtree.default = (sortedBtree as unknown as { default?: typeof sortedBtree.default }).default ?? (sortedBtree as unknown as typeof sortedBtree.default);
type Tree<K, V> = InstanceType<typeof BTree<K, V>>;
const compareBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/** Everything the tree holds at one moment: items and followers' data by tree id, logs by 'table:pid', metadata, the mark. */
export class TreeState implements MemtableBase {
  readonly trees = new Map<string, Tree<Buffer, Buffer>>();
  readonly logs = new Map<string, Tree<number, [number, Uint8Array]>>();
  readonly replicaRecords = new Map<string, ReplicaRecord>();
  readonly followerPositions = new Map<string, FollowerPositions>();
  mark = 0;
  /** The mark of the last checkpoint that began writing (LmdbTree's intent). */
  intent = 0;

  /** A copy that shares structure with this one until either changes. */
  clone(): TreeState {
    const c = new TreeState();
    for (const [id, t] of this.trees) c.trees.set(id, t.clone());
    for (const [key, l] of this.logs) c.logs.set(key, l.clone());
    for (const [key, r] of this.replicaRecords) c.replicaRecords.set(key, r);
    for (const [key, p] of this.followerPositions) c.followerPositions.set(key, p);
    c.mark = this.mark;
    c.intent = this.intent;
    return c;
  }

  itemTree(id: string): Tree<Buffer, Buffer> {
    let t = this.trees.get(id);
    if (t === undefined) this.trees.set(id, (t = new BTree<Buffer, Buffer>(undefined, compareBytes)));
    return t;
  }

  log(key: string): Tree<number, [number, Uint8Array]> {
    let l = this.logs.get(key);
    if (l === undefined) this.logs.set(key, (l = new BTree<number, [number, Uint8Array]>()));
    return l;
  }

  // ---- reads (MemtableBase) ----------------------------------------------------------------

  tree(id: string): ItemTree {
    return new TreeView(this.trees.get(id));
  }

  logEntry(table: string, pid: number, index: number): [number, Uint8Array] | undefined {
    return this.logs.get(table + ':' + pid)?.get(index);
  }

  *logIndices(table: string, pid: number): Iterable<[number, number]> {
    const l = this.logs.get(table + ':' + pid);
    if (l === undefined) return;
    for (const [index, [epoch]] of l.entries()) yield [index, epoch];
  }

  record(table: string, pid: number): ReplicaRecord | undefined {
    return this.replicaRecords.get(table + ':' + pid);
  }

  records(): Iterable<ReplicaRecord> {
    return [...this.replicaRecords.values()];
  }

  positions(table: string, pid: number): FollowerPositions | undefined {
    return this.followerPositions.get(table + ':' + pid);
  }
}

/** One ordered tree read with lmdb-js's range semantics (start inclusive, end exclusive; reversed, start is the high end). */
class TreeView implements ItemTree {
  constructor(private readonly t: Tree<Buffer, Buffer> | undefined) {}

  get(key: Buffer): Buffer | undefined {
    return this.t?.get(key);
  }

  *getRange(options: ItemRangeOptions): Iterable<ItemEntry> {
    const t = this.t;
    if (t === undefined) return;
    if (options.reverse === true) {
      for (const [key, value] of t.entriesReversed(options.start)) {
        if (options.start !== undefined && Buffer.compare(key, options.start) > 0) continue;
        if (options.end !== undefined && Buffer.compare(key, options.end) <= 0) return;
        yield { key, value };
      }
      return;
    }
    for (const [key, value] of t.entries(options.start)) {
      if (options.end !== undefined && Buffer.compare(key, options.end) >= 0) return;
      yield { key, value };
    }
  }
}

/** The tree on a disk: what LMDB committed, what its last flush made durable, and whether the first is ahead of the second. */
export interface TreeOnDisk {
  written: TreeState;
  flushed: TreeState;
  ahead: boolean;
}

/** A disk's tree as a crash leaves it: a process crash keeps what was written; a power loss keeps what was flushed. */
export function treeAfter(kind: 'process' | 'power', tree: TreeOnDisk): TreeOnDisk {
  const kept = kind === 'process' ? tree.written : tree.flushed;
  return kind === 'process' ? { written: kept.clone(), flushed: tree.flushed.clone(), ahead: tree.ahead } : { written: kept.clone(), flushed: kept.clone(), ahead: false };
}

/** An empty tree (a new disk). */
export function emptyTree(): TreeOnDisk {
  return { written: new TreeState(), flushed: new TreeState(), ahead: false };
}

/** Asks the simulated disk for a flush; `flushed` runs once it completes (never, if the process dies first). */
export type FlushRequest = (flushed: () => void) => void;

export class SimCheckpointTree implements CheckpointTree {
  /** What LMDB has committed (reads see it). */
  private written: TreeState;
  /** What the last completed flush put on the disk. */
  private flushed: TreeState;
  private covered: number;
  private writes: Generator<void, void, void> | null = null;
  private done: (err: Error | null) => void = () => {};
  /** A checkpoint has written something not flushed yet. */
  private unflushed = false;
  private readonly flush: FlushRequest;
  /** Checkpoints flushed (tests and counts). */
  checkpointsFlushed = 0;

  /** Opens the tree as the disk holds it: what was written (reads see it; its mark is the one recovery starts from) and what was flushed. */
  constructor(onDisk: TreeOnDisk, flush: FlushRequest) {
    this.written = onDisk.written.clone();
    this.flushed = onDisk.flushed.clone();
    this.unflushed = onDisk.ahead;
    this.covered = this.written.mark;
    this.flush = flush;
  }

  get coveredLsn(): number {
    return this.covered;
  }

  get intentLsn(): number {
    return Math.max(this.covered, this.written.intent);
  }

  /** Whether a checkpoint has written part of itself (or all of itself, mark included) and no flush has covered it yet. */
  get aheadOfFlushed(): boolean {
    return this.unflushed;
  }

  /** The tree on the disk as it is now (written, and flushed): what a crash of the process leaves. */
  onDisk(): TreeOnDisk {
    return { written: this.written.clone(), flushed: this.flushed.clone(), ahead: this.unflushed };
  }

  // ---- reads: what is written -------------------------------------------------------------

  tree(id: string): ItemTree {
    return this.written.tree(id);
  }

  logEntry(table: string, pid: number, index: number): [number, Uint8Array] | undefined {
    return this.written.logEntry(table, pid, index);
  }

  logIndices(table: string, pid: number): Iterable<[number, number]> {
    return this.written.logIndices(table, pid);
  }

  record(table: string, pid: number): ReplicaRecord | undefined {
    return this.written.record(table, pid);
  }

  records(): Iterable<ReplicaRecord> {
    return this.written.records();
  }

  positions(table: string, pid: number): FollowerPositions | undefined {
    return this.written.positions(table, pid);
  }

  pin(): PinnedTree {
    const view = this.written.clone();
    return Object.assign(view, { close: () => {} });
  }

  // ---- checkpoints ------------------------------------------------------------------------

  checkpoint(layer: MemLayer, coveredLsn: number, done: (err: Error | null) => void): void {
    if (this.writes !== null) throw new Error('a checkpoint is already under way');
    this.writes = this.layerWrites(layer, coveredLsn);
    this.done = (err) => {
      if (err === null) this.covered = coveredLsn;
      done(err);
    };
  }

  step(budget: number): boolean {
    const writes = this.writes;
    if (writes === null) return false;
    for (let n = 0; n < budget; n++) {
      this.unflushed = true;
      if (writes.next().done !== true) continue;
      this.writes = null;
      const done = this.done;
      this.flush(() => {
        this.flushed = this.written.clone();
        this.unflushed = false;
        this.checkpointsFlushed++;
        done(null);
      });
      return false;
    }
    return true;
  }

  /** The layer's writes, one per step, in LmdbTree's order (see its layerWrites: a crash may leave any prefix). */
  private *layerWrites(layer: MemLayer, coveredLsn: number): Generator<void, void, void> {
    const s = this.written;
    s.intent = coveredLsn;
    yield;
    for (const table of layer.droppedTables) {
      s.trees.delete('d:' + table);
      s.trees.delete('x:' + table);
      for (const key of [...s.logs.keys()]) if (key.startsWith(table + ':')) s.logs.delete(key);
      yield;
      for (const key of [...s.replicaRecords.keys()]) if (key.startsWith(table + ':')) s.replicaRecords.delete(key);
      for (const key of [...s.followerPositions.keys()]) if (key.startsWith(table + ':')) s.followerPositions.delete(key);
      yield;
    }
    for (const [id, t] of layer.trees) {
      if (layer.droppedTables.has(id.slice(2))) continue;
      for (const range of t.cleared) {
        const tree = s.itemTree(id);
        const keys: Buffer[] = [];
        for (const [key] of tree.entries(range.start)) {
          if (range.end !== undefined && Buffer.compare(key, range.end) >= 0) break;
          keys.push(key);
        }
        for (const key of keys) {
          tree.delete(key);
          yield;
        }
      }
      for (const [key, value] of t.entries.entries()) {
        if (value === null) s.itemTree(id).delete(key);
        else s.itemTree(id).set(key, value);
        yield;
      }
    }
    for (const [key, record] of layer.records) {
      if (record === null) s.replicaRecords.delete(key);
      else s.replicaRecords.set(key, structuredClone(record));
      yield;
    }
    for (const [key, positions] of layer.positions) {
      if (positions === null) s.followerPositions.delete(key);
      else s.followerPositions.set(key, { ...positions });
      yield;
    }
    for (const [replica, l] of layer.logs) {
      if (layer.droppedTables.has(replica.slice(0, replica.lastIndexOf(':')))) continue;
      const log = s.log(replica);
      for (const [from, to] of l.removed) {
        const keys: number[] = [];
        log.forRange(from, Math.min(to, logIndexMax), true, (index) => void keys.push(index));
        for (const index of keys) {
          log.delete(index);
          yield;
        }
      }
      for (const [index, [epoch, bytes]] of l.entries) {
        log.set(index, [epoch, Buffer.from(bytes)]);
        yield;
      }
    }
    s.mark = coveredLsn;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
