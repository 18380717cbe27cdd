// A storage node's store as DynamoDB's storage nodes have it: a write-ahead log and a B-tree.
// Every change a commit makes goes into the memtable at once (reads see it) and, except the items
// applied from committed log entries (they follow from the entries), into one batch of log records
// that the log writer makes durable in its next group commit; commit(onDurable) calls back once
// it is. The B-tree (LMDB) is written only by checkpoints of frozen memtable layers, each marking
// the log position it covers; reads merge the memtable over it. Recovery is the B-tree as its last
// checkpoint left it plus the node's log records after that mark, items re-applied from the log
// entries as each replica record's applied index says (replaying from an older mark is idempotent).
import type { DerivedWrites } from './derived-writes.ts';
import { derivedFollowers } from './server-followers.ts';
import { decodeLogEntry } from '../replication/log-entry.ts';
import { InvariantError } from '../replication/invariants.ts';
import type { ReplicaRecord } from '../replication/replica-machine.ts';
import { Memtable, MemLayer, followerDataTreeId, itemsTreeId } from './memtable.ts';
import { hashRangeOptions, logIndexMax, type FollowerPositions, type ItemEntry, type ItemRangeOptions, type ItemTree, type NodeStore, type PinnedRange, type ReplicaSnapshot, type StoredLog } from './node-store.ts';
import type { CheckpointTree } from './lmdb-tree.ts';
import { WalBatchBuilder, decodeChange, type WalChange } from './wal/wal-payloads.ts';
import { WalRecordType } from './wal/wal-format.ts';
import { scanWal, type WalSource } from './wal/wal-reader.ts';
import type { WalCipher } from './wal/wal-cipher.ts';
import type { CheckpointObserver } from './crash-trace.ts';
import type { ReadVisibility } from './read-visibility.ts';
import { keyHash } from './leader-write.ts';

/** The node's end of the write-ahead log: where its batches go, and how far they are durable. */
export interface WalLink {
  send(batch: Uint8Array): void;
  /** Moves batches that waited for room on their way to the log; returns whether none is left waiting. */
  flush(): boolean;
  /** The node's last batch durable in the log (its sequence number), and the LSN just after it. */
  durableSequence(): number;
  durableLsn(): number;
  /** Every record of this node before `lsn` is in a durable checkpoint: what holds only those may be reused. */
  covered(lsn: number): void;
}

export interface WalStoreOptions {
  /** Bytes the memtable may hold: half of it starts a checkpoint; all of it stops the node taking work until one ends. */
  memtableBytesMax: number;
  /** A checkpoint at least this often while anything was written. */
  checkpointIntervalMs: number;
  /** B-tree writes a checkpoint queues per pump (the node keeps serving meanwhile). */
  checkpointWritesPerStep: number;
  now: () => number;
  /** Told of each checkpoint (the crash trace); the log it covers is released once durable() settles. */
  observer?: CheckpointObserver;
  /** Wakes the node's loop (a checkpoint ended: a full store has room again). */
  wake?: () => void;
  /** Marks what the B-tree does not hold yet, for readers of it on other threads (read-visibility.ts). */
  visibility?: ReadVisibility;
}

/** Where recovery reads the log from, and how far. */
export interface WalReplay {
  source: WalSource;
  segmentBytes: number;
  cipher: WalCipher | null;
  node: number;
  incarnation: number;
  /** The log's end as the process found it at start-up (what lies beyond is being written now). */
  end: number;
  /** Called after each record replayed, with how many so far (fault injection: a kill mid-recovery). */
  afterRecord?: (replayed: number) => void;
}

export class WalNodeStore implements NodeStore {
  private readonly tree: CheckpointTree;
  private readonly link: WalLink;
  private readonly options: WalStoreOptions;
  private readonly memtable: Memtable;
  private readonly builder = new WalBatchBuilder();
  /** Sequence number of the last batch handed to the log writer. */
  private sequence = 0;
  /** Commits waiting for their batch (or, with no records, those before it) to be durable. */
  private readonly waiting: Array<{ sequence: number; onDurable: () => void }> = [];
  private readonly views = new Map<string, ItemTree>();
  /** The observer's work on checkpoints so far (the log is released in checkpoint order). */
  private observed: Promise<void> = Promise.resolve();
  private checkpointing: MemLayer | null = null;
  private lastCheckpointAt: number;
  private checkpointDue = false;
  /** A checkpoint failed: the node stops (its B-tree can no longer be trusted to catch up). */
  private failure: Error | null = null;
  /** Checkpoints completed (benchmarks and tests). */
  checkpoints = 0;
  /**
   * The lowest mark the next checkpoint may take: where the B-tree's mark is, and after a replay
   * the log's end as found at start-up (the memtable holds every record before it). The log's
   * durable position for this node stays 0 until its first batch after the restart is durable:
   * alone, it would mark a checkpoint of the replayed records 0, and the next recovery would
   * replay the whole log kept over a newer B-tree.
   */
  private markFloor: number;

  constructor(tree: CheckpointTree, link: WalLink, options: WalStoreOptions) {
    this.tree = tree;
    this.link = link;
    this.options = options;
    this.memtable = new Memtable(tree);
    this.lastCheckpointAt = options.now();
    this.markFloor = tree.coveredLsn;
  }

  /** Opens the store: the B-tree's last checkpoint plus this node's log records after its mark. */
  static open(tree: CheckpointTree, link: WalLink, options: WalStoreOptions, replay: WalReplay): WalNodeStore {
    const store = new WalNodeStore(tree, link, options);
    const covered = tree.coveredLsn;
    // A checkpoint cut short may have left the tree holding part of itself past its mark: then the
    // tree's replica records cannot say how far their items were when the mark was written.
    store.treeAhead = tree.intentLsn > covered;
    const applied = new Map<string, number>();
    let replayed = 0;
    // Only the records after the checkpoint's mark are read, up to where the log ended at start-up.
    scanWal(replay.source, replay.segmentBytes, (h, payload) => {
      if (h.lsn >= replay.end || h.node !== replay.node || h.incarnation !== replay.incarnation || h.lsn < covered) return;
      if (h.type === WalRecordType.SegmentEnd) return;
      store.replayChange(decodeChange(h.type, replay.cipher === null ? payload : replay.cipher.open(h.lsn, payload)), applied);
      replayed++;
      replay.afterRecord?.(replayed);
    }, { from: covered, to: replay.end });
    store.markFloor = Math.max(covered, replay.end);
    // The replay filled the memtable without marking keys: readers of the B-tree ask the node
    // until the first checkpoint (due at once, below) holds it.
    options.visibility?.markLayerDirty();
    // No log is released yet: after a process crash the B-tree may hold a checkpoint whose flush
    // never completed (its mark read from the kernel's cache), and a power loss would roll it
    // back to the last flushed mark, which needs the log from there. The first checkpoint, due at
    // once, makes the tree durable up to the replay's end and releases the log below it.
    store.checkpointDue = true;
    return store;
  }

  // ---- reads: the memtable over the B-tree ------------------------------------------------

  items(table: string): ItemTree {
    return this.view(itemsTreeId(table));
  }

  followerData(table: string): ItemTree {
    return this.view(followerDataTreeId(table));
  }

  private view(id: string): ItemTree {
    let v = this.views.get(id);
    if (v === undefined) {
      const memtable = this.memtable;
      v = { get: (key: Buffer) => memtable.get(id, key), getRange: (options: ItemRangeOptions) => memtable.range(id, options) };
      this.views.set(id, v);
    }
    return v;
  }

  followerPositions(table: string, pid: number): FollowerPositions {
    return { ...(this.memtable.positions(table, pid) ?? {}) };
  }

  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (let i = from; i <= to; i++) {
      const e = this.memtable.logEntry(table, pid, i);
      // Entries read back for a resend must be contiguous, as they were when written.
      if (e === undefined) throw new InvariantError(`log of ${table}/${pid} has a hole at ${i}`);
      if (out.length > 0 && bytes + e[1].length > maxBytes) break;
      out.push(e[1]);
      bytes += e[1].length;
    }
    return out;
  }

  storedLog(table: string, pid: number): StoredLog {
    const epochs: Array<[number, number]> = [];
    let last = 0;
    for (const [index, epoch] of this.memtable.logIndices(table, pid)) {
      if (epochs.length === 0 || epochs[epochs.length - 1][1] !== epoch) epochs.push([index, epoch]);
      last = index;
    }
    return { epochs, last };
  }

  records(): ReplicaRecord[] {
    return this.memtable.records();
  }

  snapshot(table: string, pid: number, hashStart: number, hashEnd: number): ReplicaSnapshot {
    // The layers as they are now (the one taking writes copied: its trees copy on write) over a pinned B-tree.
    const pinned = this.tree.pin();
    const view = new Memtable(pinned, [...this.memtable.layers.slice(0, -1), this.memtable.active.copyForReading()]);
    const range = hashRangeOptions(hashStart, hashEnd);
    return {
      record: view.record(table, pid),
      positions: { ...(view.positions(table, pid) ?? {}) },
      items: view.range(itemsTreeId(table), range)[Symbol.iterator](),
      followerData: view.range(followerDataTreeId(table), range)[Symbol.iterator](),
      close: () => pinned.close(),
    };
  }

  pinRange(table: string, hashStart: number, hashEnd: number): PinnedRange {
    // As snapshot(): the layers as they are now over a pinned B-tree.
    const pinned = this.tree.pin();
    const view = new Memtable(pinned, [...this.memtable.layers.slice(0, -1), this.memtable.active.copyForReading()]);
    return { items: view.range(itemsTreeId(table), hashRangeOptions(hashStart, hashEnd))[Symbol.iterator](), close: () => pinned.close() };
  }

  // ---- the batch: the memtable now, the log when committed --------------------------------

  /** An item applied from a committed log entry: it follows from the entry, so it is not logged. */
  putItem(table: string, key: Uint8Array, value: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.put(itemsTreeId(table), toBuffer(key), toBuffer(value));
  }

  removeItem(table: string, key: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.remove(itemsTreeId(table), toBuffer(key));
  }

  putSnapshotItem(table: string, key: Uint8Array, value: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.put(itemsTreeId(table), toBuffer(key), toBuffer(value));
    this.builder.keyValue(WalRecordType.SnapshotItem, table, key, value);
  }

  // Followers' data (local secondary index entries among it) is read by other threads as the
  // items are (read-visibility.ts): its keys start with their item's partition key hash.
  putFollowerData(table: string, key: Uint8Array, value: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.put(followerDataTreeId(table), toBuffer(key), toBuffer(value));
    this.builder.keyValue(WalRecordType.FollowerDataPut, table, key, value);
  }

  putDerivedData(table: string, key: Uint8Array, value: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.put(followerDataTreeId(table), toBuffer(key), toBuffer(value));
  }

  removeDerivedData(table: string, key: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.remove(followerDataTreeId(table), toBuffer(key));
  }

  removeFollowerData(table: string, key: Uint8Array): void {
    this.options.visibility?.markDirty(keyHash(key));
    this.memtable.remove(followerDataTreeId(table), toBuffer(key));
    this.builder.followerDataRemove(table, key);
  }

  putFollowerPositions(table: string, pid: number, positions: FollowerPositions): void {
    this.memtable.putPositions(table, pid, { ...positions });
    this.builder.followerPositions(table, pid, positions);
  }

  appendLog(table: string, pid: number, index: number, epoch: number, bytes: Uint8Array): void {
    this.memtable.appendLog(table, pid, index, epoch, bytes);
    this.builder.logAppend(table, pid, index, epoch, bytes);
  }

  removeLog(table: string, pid: number, from: number, to: number): void {
    this.memtable.removeLog(table, pid, from, to);
    this.builder.logRemove(table, pid, from, to);
  }

  /** A machine hands out a new record object each time (its membership is replaced, never changed in place): kept as is. */
  putRecord(record: ReplicaRecord): void {
    this.memtable.putRecord(record);
    this.builder.replicaRecord(record);
  }

  removeRecord(table: string, pid: number): void {
    this.memtable.removeRecord(table, pid);
    this.builder.replicaRemove(table, pid);
  }

  clearRange(table: string, hashStart: number, hashEnd: number): void {
    const range = hashRangeOptions(hashStart, hashEnd);
    this.options.visibility?.markLayerDirty();
    this.memtable.clearRange(itemsTreeId(table), range.start!, range.end);
    this.memtable.clearRange(followerDataTreeId(table), range.start!, range.end);
    this.builder.clearRange(table, hashStart, hashEnd);
  }

  dropTable(table: string): void {
    this.options.visibility?.markLayerDirty();
    this.memtable.dropTable(table);
    this.builder.dropTable(table);
  }

  batchPending(): boolean {
    return this.builder.count > 0;
  }

  /** Hands the batch's records to the log writer; onDurable runs (from pollDurable) once they are durable. */
  commit(onDurable: () => void): void {
    if (this.failure !== null) throw this.failure;
    if (this.builder.count > 0) {
      this.sequence++;
      this.link.send(this.builder.take(this.sequence));
    }
    this.waiting.push({ sequence: this.sequence, onDurable });
  }

  /** Calls back the commits whose batches are durable now, and moves checkpoints on; call at every pump. */
  pollDurable(): boolean {
    if (this.failure !== null) throw this.failure;
    this.backlog = !this.link.flush();
    const durable = this.link.durableSequence();
    while (this.waiting.length > 0 && this.waiting[0].sequence <= durable) this.waiting.shift()!.onDurable();
    if (this.checkpointing !== null) {
      this.options.observer?.during();
      return this.tree.step(this.options.checkpointWritesPerStep);
    }
    const now = this.options.now();
    if (this.memtable.active.bytes * 2 >= this.options.memtableBytesMax || (this.memtable.active.bytes > 0 && now - this.lastCheckpointAt >= this.options.checkpointIntervalMs)) this.checkpointDue = true;
    // A checkpoint starts where every batch handed to the log is durable: its mark is exact.
    if (this.checkpointDue && this.waiting.length === 0 && this.builder.count === 0 && durable === this.sequence) return this.startCheckpoint(Math.max(this.link.durableLsn(), this.markFloor), now);
    return false;
  }

  /** Returns whether the checkpoint has writes left to queue. */
  private startCheckpoint(coveredLsn: number, now: number): boolean {
    // A mark below the B-tree's would make the next recovery replay records the tree already holds.
    if (coveredLsn < this.tree.coveredLsn) throw new InvariantError(`checkpoint mark ${coveredLsn} below the B-tree's ${this.tree.coveredLsn}`);
    this.markFloor = coveredLsn;
    const layer = this.memtable.freeze();
    this.options.visibility?.freeze();
    this.checkpointing = layer;
    this.checkpointDue = false;
    this.lastCheckpointAt = now;
    this.tree.checkpoint(layer, coveredLsn, (err) => {
      if (err !== null) {
        this.failure = err;
        return;
      }
      this.memtable.release(layer);
      // Committed in the B-tree: its readers there may stop asking the node for these keys.
      this.options.visibility?.checkpointDurable();
      this.checkpointing = null;
      this.checkpoints++;
      // A full node sleeps until now: it may take work again.
      this.options.wake?.();
      const observer = this.options.observer;
      if (observer === undefined) this.link.covered(coveredLsn);
      else this.observed = this.observed.then(() => observer.durable(coveredLsn)).then(() => this.link.covered(coveredLsn), (err: Error) => void (this.failure = err));
    });
    return this.tree.step(this.options.checkpointWritesPerStep);
  }

  hasNews(): boolean {
    return this.waiting.length > 0 && this.link.durableSequence() >= this.waiting[0].sequence;
  }

  waitsOnEventLoop(): boolean {
    return this.checkpointing !== null;
  }

  hasBacklog(): boolean {
    return this.backlog;
  }

  private backlog = false;

  /** Whether the memtable is full (checkpoints fall behind): the node takes no new work until one ends. */
  full(): boolean {
    return this.memtable.bytes >= this.options.memtableBytesMax;
  }

  /** Whether a checkpoint waits on lmdb-js (its completion comes through the event loop). */
  checkpointUnderWay(): boolean {
    return this.checkpointing !== null;
  }

  /** Bytes the memtable holds. */
  get memtableBytes(): number {
    return this.memtable.bytes;
  }

  close(): Promise<void> {
    return this.tree.close();
  }

  // ---- recovery ------------------------------------------------------------------------

  /**
   * One logged change, into the memtable as the commit that logged it made it. A replica record
   * also brings the replica's items up to its applied index, from its log entries: items are not
   * logged, they follow from the entries.
   */
  private replayChange(change: WalChange, applied: Map<string, number>): void {
    const m = this.memtable;
    switch (change.type) {
      case WalRecordType.LogAppend:
        return m.appendLog(change.table, change.pid, change.index, change.epoch, change.entry);
      case WalRecordType.LogRemove: {
        const key = change.table + ':' + change.pid;
        if (change.from === 0 && change.to >= logIndexMax) {
          // The whole log goes (an install or a removed replica): what follows starts afresh.
          applied.set(key, 0);
        } else if (change.from === 0) {
          // A trim: its entries are committed, and the commit that trimmed them may also be the
          // one that applied them (its record comes after this): their items go in first.
          this.applyEntries(change.table, change.pid, this.itemsThrough(applied, change.table, change.pid), change.to);
          applied.set(key, Math.max(this.itemsThrough(applied, change.table, change.pid), change.to));
        }
        return m.removeLog(change.table, change.pid, change.from, change.to);
      }
      case WalRecordType.ReplicaRecord: {
        const r = change.record;
        // Entries up to base came with a snapshot (its items logged) or were applied before a trim.
        const from = Math.max(this.itemsThrough(applied, r.table, r.pid), r.base);
        this.applyEntries(r.table, r.pid, from, r.applied);
        applied.set(r.table + ':' + r.pid, Math.max(from, r.applied));
        return m.putRecord(r);
      }
      case WalRecordType.ReplicaRemove:
        applied.set(change.table + ':' + change.pid, 0);
        return m.removeRecord(change.table, change.pid);
      case WalRecordType.FollowerPositions:
        return m.putPositions(change.table, change.pid, change.positions);
      case WalRecordType.SnapshotItem:
        return m.put(itemsTreeId(change.table), change.key, change.value);
      case WalRecordType.FollowerDataPut:
        return m.put(followerDataTreeId(change.table), change.key, change.value);
      case WalRecordType.FollowerDataRemove:
        return m.remove(followerDataTreeId(change.table), change.key);
      case WalRecordType.ClearRange: {
        const range = hashRangeOptions(change.hashStart, change.hashEnd);
        m.clearRange(itemsTreeId(change.table), range.start!, range.end);
        return m.clearRange(followerDataTreeId(change.table), range.start!, range.end);
      }
      case WalRecordType.DropTable:
        for (const key of [...applied.keys()]) if (key.startsWith(change.table + ':')) applied.set(key, 0);
        return m.dropTable(change.table);
    }
  }

  /**
   * How far a replica's items reflect its log during replay: what replay brought them to, else
   * the record the B-tree holds. When the tree may be ahead of its mark (treeAhead), its records
   * are no guide: one replica's may claim items a later write of another replica has since
   * changed in the tree (a split's child), while a record the checkpoint removed (the retired
   * parent's) would have replay put back older items over them. Then every replica replays its
   * log's entries from its base, in the log's order, which leaves each item as its last write.
   */
  private itemsThrough(applied: Map<string, number>, table: string, pid: number): number {
    const replayed = applied.get(table + ':' + pid);
    if (replayed !== undefined) return replayed;
    return this.treeAhead ? 0 : (this.memtable.record(table, pid)?.applied ?? 0);
  }

  /** Set at open: the tree may hold part of a checkpoint past its mark (see itemsThrough). */
  private treeAhead = false;

  /** Re-applies the items of entries from+1..to (committed) from the replica's log. */
  private applyEntries(table: string, pid: number, from: number, to: number): void {
    const m = this.memtable;
    for (let i = from + 1; i <= to; i++) {
      const e = m.logEntry(table, pid, i);
      if (e === undefined) {
        // Trimmed by a checkpoint that got ahead of its mark: it wrote the entry's items before
        // the records that let the trim go, and later entries are replayed over them.
        if (this.treeAhead) continue;
        // A checkpoint under way when the process died may have deleted the replica's record (it
        // was removed later: a retired split parent, a replica moved away) and its log, with its
        // mark not yet written. That checkpoint wrote every item before any record: the entries'
        // items are in the B-tree already. A replica the B-tree still has a record of has a hole.
        if (this.tree.record(table, pid) === undefined) return;
        throw new InvariantError(`recovery: ${table}/${pid} applied through ${to} but its log has no entry ${i}`);
      }
      const entry = decodeLogEntry(e[1]);
      for (const mu of entry.m) {
        if (mu.b === null) m.remove(itemsTreeId(table), toBuffer(mu.k));
        else m.put(itemsTreeId(table), toBuffer(mu.k), toBuffer(mu.b));
      }
      // The followers' data derived from the entry, which was not logged (derived-writes.ts).
      for (const f of derivedFollowers()) f.derive({ table, pid }, entry, this.derivedReplay);
    }
  }

  /** Where recovery's derived writes go: the memtable, as the entries' items. */
  private readonly derivedReplay: DerivedWrites = {
    put: (table, key, value) => this.memtable.put(followerDataTreeId(table), toBuffer(key), toBuffer(value)),
    remove: (table, key) => this.memtable.remove(followerDataTreeId(table), toBuffer(key)),
  };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export type { ItemEntry };
