// What a storage node keeps on disk, behind one small interface: the items of each table it
// holds replicas of (one B-tree per table: the replicas of a table's partitions on one node have
// disjoint hash ranges, so a split moves no data), the data of the log's followers beside them
// (keyed by hash too), each replica's replication log, and each replica's record (membership,
// epoch, applied position) with its followers' positions. Writes go into a batch; commit() makes
// the batch atomic and calls back once it is durable. Reads see only committed batches.
// WalNodeStore (wal-store.ts: a write-ahead log and a B-tree checkpointed from it) is the real
// one; the simulator (test/replication/) has an in-memory one whose unsynced batches are lost in a crash.
import type { ReplicaRecord } from '../replication/replica-machine.ts';
import { encodeHashPrefix } from './key-encoding.ts';
import { bufferView } from './buffer-view.ts';

export interface ItemEntry {
  key: Buffer;
  value: Buffer;
}

export interface ItemRangeOptions {
  start?: Buffer;
  end?: Buffer;
  reverse?: boolean;
}

/** A table's items on this node, as committed: point reads and ordered range walks. */
export interface ItemTree {
  get(key: Buffer): Buffer | undefined;
  getRange(options: ItemRangeOptions): Iterable<ItemEntry>;
}

/** A consistent read view of one replica: its record, its followers' positions, its items and their data, pinned together. */
export interface ReplicaSnapshot {
  record: ReplicaRecord | undefined;
  positions: FollowerPositions;
  items: Iterator<ItemEntry>;
  followerData: Iterator<ItemEntry>;
  close(): void;
}

/** A pinned ordered walk of items; close() releases the view. */
export interface PinnedRange {
  items: Iterator<ItemEntry>;
  close(): void;
}

/** Each log follower's position on one replica (the item store's is the record's applied index). */
export type FollowerPositions = Record<string, number>;

export interface StoredLog {
  /** Runs of epochs: [first index of the run, epoch], ascending. */
  epochs: Array<[number, number]>;
  /** Highest index stored (0 when empty). */
  last: number;
}

export interface NodeStore {
  items(table: string): ItemTree;
  /** The log followers' own data for a table's items (keys from log-follower.ts followerDataKey). */
  followerData(table: string): ItemTree;
  followerPositions(table: string, pid: number): FollowerPositions;
  /** Stored log entries from..to (inclusive) in order, at most maxBytes (at least one). */
  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[];
  storedLog(table: string, pid: number): StoredLog;
  records(): ReplicaRecord[];
  snapshot(table: string, pid: number, hashStart: number, hashEnd: number): ReplicaSnapshot;
  /** The items in [hashStart, hashEnd) as committed now, through a pinned read view (later writes do not show): walked a slice at a time. */
  pinRange(table: string, hashStart: number, hashEnd: number): PinnedRange;

  // The current batch (applied atomically by commit(), in call order).
  /** An item applied from a committed log entry (a store with a write-ahead log does not log it: the entry is). */
  putItem(table: string, key: Uint8Array, value: Uint8Array): void;
  removeItem(table: string, key: Uint8Array): void;
  /** An item a snapshot install brings (logged: nothing else says it). */
  putSnapshotItem(table: string, key: Uint8Array, value: Uint8Array): void;
  putFollowerData(table: string, key: Uint8Array, value: Uint8Array): void;
  removeFollowerData(table: string, key: Uint8Array): void;
  /** Followers' data derived from a committed entry alone (derived-writes.ts): a store with a write-ahead log does not log it, recovery derives it again. */
  putDerivedData(table: string, key: Uint8Array, value: Uint8Array): void;
  removeDerivedData(table: string, key: Uint8Array): void;
  putFollowerPositions(table: string, pid: number, positions: FollowerPositions): void;
  appendLog(table: string, pid: number, index: number, epoch: number, bytes: Uint8Array): void;
  /** Removes log entries from..to (inclusive). */
  removeLog(table: string, pid: number, from: number, to: number): void;
  putRecord(record: ReplicaRecord): void;
  /** Removes a replica's record and its followers' positions. */
  removeRecord(table: string, pid: number): void;
  /** Removes every item, and the followers' data, in [hashStart, hashEnd) (a replica rebuilt or dropped). */
  clearRange(table: string, hashStart: number, hashEnd: number): void;
  dropTable(table: string): void;
  /** Whether anything was written since the last commit. */
  batchPending(): boolean;
  /** Seals the batch; `onDurable` runs once it is on disk (possibly before commit returns, or from pollDurable). */
  commit(onDurable: () => void): void;
  /**
   * Runs the callbacks of commits now durable (a store whose durability is not reported through
   * the event loop), and its background work; returns whether that work wants another pass at
   * once (a checkpoint has writes left to queue).
   */
  pollDurable(): boolean;
  /** Whether pollDurable has something to report now (a commit became durable). */
  hasNews(): boolean;
  /** Whether what the store waits for comes back through the event loop (the node must not block its thread). */
  waitsOnEventLoop(): boolean;
  /** Whether batches wait for room on their way to the disk (the node looks again soon). */
  hasBacklog(): boolean;
  /** Whether the store holds as much in memory as it may: the node takes no new work until it has written some out. */
  full(): boolean;
  close(): Promise<void>;
}

/** The highest log index: 2^48 (a partition writing 1,000 entries a second for 8,900 years). */
export const logIndexMax = 2 ** 48;

/** Log keys: partition id (4 bytes) and index (8 bytes), big-endian, so a replica's log is one ordered run. */
export function logKey(pid: number, index: number): Buffer {
  if (!(index >= 0 && index <= logIndexMax)) throw new RangeError(`log index ${index} outside 0..${logIndexMax}`);
  const key = Buffer.allocUnsafe(12);
  key.writeUInt32BE(pid, 0);
  key.writeUInt32BE(Math.floor(index / 2 ** 32), 4);
  key.writeUInt32BE(index >>> 0, 8);
  return key;
}

export function logKeyIndex(key: Buffer): number {
  return key.readUInt32BE(4) * 2 ** 32 + key.readUInt32BE(8);
}

/** Log values: the entry's epoch (4 bytes, big-endian) then the entry as the leader encoded it. */
export const logEpochBytes = 4;

export function recordKey(table: string, pid: number): string {
  return `r:${table}:${pid}`;
}

export function positionsKey(table: string, pid: number): string {
  return `f:${table}:${pid}`;
}

/** Item keys start with the partition key's 32-bit hash (key-encoding.ts): a hash range is a key range. */
export function hashRangeOptions(hashStart: number, hashEnd: number): ItemRangeOptions {
  return { start: bufferView(encodeHashPrefix(hashStart)), end: hashEnd < 2 ** 32 ? bufferView(encodeHashPrefix(hashEnd)) : undefined };
}
