// A simulated disk for one storage node: the NodeStore interface in memory. A committed batch is
// visible at once (as an LMDB commit is) and durable only when its simulated sync completes; a
// crash (power loss) throws away every batch not yet synced, and with them the callbacks waiting
// on their durability.
import type { ReplicaRecord } from '../../../src/replication/replica-machine.ts';
import { hashRangeOptions, type FollowerPositions, type ItemEntry, type ItemRangeOptions, type ItemTree, type NodeStore, type ReplicaSnapshot, type StoredLog } from '../../../src/storage/node-store.ts';
import { decodeStoredItem, storedItemSize } from '../../../src/storage/stored-item.ts';
import { decodeLogEntry } from '../../../src/replication/log-entry.ts';

/** Write ids of decoded log entries (each entry's bytes are decoded once). */
const entryWids = new WeakMap<Uint8Array, string | null>();
import type { Scheduler } from './scheduler.ts';
import type { Random } from './random.ts';

/** One table's items, ordered by key bytes (latin1 text compares as the bytes do). */
class Items implements ItemTree {
  readonly map = new Map<string, Buffer>();
  private sorted: string[] | null = null;

  get(key: Buffer): Buffer | undefined {
    return this.map.get(key.toString('latin1'));
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const k = Buffer.from(key).toString('latin1');
    if (!this.map.has(k)) this.sorted = null;
    this.map.set(k, Buffer.from(value));
  }

  remove(key: Uint8Array): void {
    if (this.map.delete(Buffer.from(key).toString('latin1'))) this.sorted = null;
  }

  keys(): string[] {
    this.sorted ??= [...this.map.keys()].sort();
    return this.sorted;
  }

  *getRange(options: ItemRangeOptions): Iterable<ItemEntry> {
    const keys = this.keys().slice();
    const start = options.start?.toString('latin1');
    const end = options.end?.toString('latin1');
    if (options.reverse) {
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        if (start !== undefined && k > start) continue;
        if (end !== undefined && k <= end) break;
        const value = this.map.get(k);
        if (value !== undefined) yield { key: Buffer.from(k, 'latin1'), value };
      }
      return;
    }
    for (const k of keys) {
      if (start !== undefined && k < start) continue;
      if (end !== undefined && k >= end) break;
      const value = this.map.get(k);
      if (value !== undefined) yield { key: Buffer.from(k, 'latin1'), value };
    }
  }

  clone(): Items {
    const c = new Items();
    for (const [k, v] of this.map) c.map.set(k, v);
    return c;
  }
}

/** Everything a node stores: what is visible, or what survived on disk. */
class StoreState {
  readonly items = new Map<string, Items>();
  readonly followerData = new Map<string, Items>();
  /** table:pid → the log followers' positions */
  readonly positions = new Map<string, FollowerPositions>();
  /** table:pid → index → [epoch, entry bytes] */
  readonly logs = new Map<string, Map<number, [number, Uint8Array]>>();
  readonly records = new Map<string, ReplicaRecord>();

  table(table: string): Items {
    let t = this.items.get(table);
    if (t === undefined) this.items.set(table, (t = new Items()));
    return t;
  }

  data(table: string): Items {
    let t = this.followerData.get(table);
    if (t === undefined) this.followerData.set(table, (t = new Items()));
    return t;
  }

  log(table: string, pid: number): Map<number, [number, Uint8Array]> {
    const key = `${table}:${pid}`;
    let l = this.logs.get(key);
    if (l === undefined) this.logs.set(key, (l = new Map()));
    return l;
  }

  clone(): StoreState {
    const c = new StoreState();
    for (const [t, items] of this.items) c.items.set(t, items.clone());
    for (const [t, data] of this.followerData) c.followerData.set(t, data.clone());
    for (const [k, p] of this.positions) c.positions.set(k, { ...p });
    for (const [k, log] of this.logs) c.logs.set(k, new Map(log));
    for (const [k, r] of this.records) c.records.set(k, structuredClone(r));
    return c;
  }
}

type Op = (s: StoreState) => void;

export class SimStore implements NodeStore {
  private visible = new StoreState();
  private synced = new StoreState();
  private batch: Op[] = [];
  /** Batches committed and not yet synced, oldest first, each with its callback. */
  private unsynced: Array<{ ops: Op[]; onDurable: () => void }> = [];
  private crashed = false;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  /** Syncing is serial (as one disk's flushes are): the next sync starts after this time. */
  private diskFreeAt = 0;
  /** Disk latency of one sync, in virtual ms. */
  syncLatency: () => number;
  /** A "hang-in-commit" fault: syncs wait until this time. */
  stallUntil = 0;
  /** Batches synced so far (the failure detector's view of a disk that still makes progress). */
  batchesSynced = 0;

  constructor(scheduler: Scheduler, random: Random) {
    this.scheduler = scheduler;
    this.random = random;
    this.syncLatency = () => 0.1 + this.random.next() * 2;
  }

  /** Power loss: what was not synced is gone. Returns a store over what survived. */
  crash(): SimStore {
    this.crashed = true;
    const survivor = new SimStore(this.scheduler, this.random);
    survivor.visible = this.synced.clone();
    survivor.synced = this.synced.clone();
    survivor.syncLatency = this.syncLatency;
    return survivor;
  }

  items(table: string): ItemTree {
    return this.visible.table(table);
  }

  followerData(table: string): ItemTree {
    return this.visible.data(table);
  }

  followerPositions(table: string, pid: number): FollowerPositions {
    return { ...(this.visible.positions.get(`${table}:${pid}`) ?? {}) };
  }

  /** The log followers' data of one hash range (durably, or as visible now), key (hex) → value (hex). */
  followerDataIn(table: string, hashStart: number, hashEnd: number, durableOnly = false): Map<string, string> {
    const state = durableOnly ? this.synced : this.visible;
    const out = new Map<string, string>();
    for (const { key, value } of state.data(table).getRange(hashRangeOptions(hashStart, hashEnd))) out.set(key.toString('hex'), value.toString('hex'));
    return out;
  }

  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[] {
    const log = this.visible.log(table, pid);
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (let i = from; i <= to; i++) {
      const e = log.get(i);
      if (e === undefined) {
        if (out.length === 0) throw new Error(`sim store: log of ${table}/${pid} has no entry ${i}`);
        break;
      }
      if (out.length > 0 && bytes + e[1].length > maxBytes) break;
      out.push(e[1]);
      bytes += e[1].length;
    }
    return out;
  }

  storedLog(table: string, pid: number): StoredLog {
    const log = this.visible.log(table, pid);
    const indices = [...log.keys()].sort((a, b) => a - b);
    const epochs: Array<[number, number]> = [];
    for (const i of indices) {
      const epoch = log.get(i)![0];
      if (epochs.length === 0 || epochs[epochs.length - 1][1] !== epoch) epochs.push([i, epoch]);
    }
    return { epochs, last: indices.length === 0 ? 0 : indices[indices.length - 1] };
  }

  records(): ReplicaRecord[] {
    return [...this.visible.records.values()].map((r) => structuredClone(r));
  }

  snapshot(table: string, pid: number, hashStart: number, hashEnd: number): ReplicaSnapshot {
    const record = this.visible.records.get(`${table}:${pid}`);
    const range = hashRangeOptions(hashStart, hashEnd);
    const entries = [...this.visible.table(table).getRange(range)];
    const data = [...this.visible.data(table).getRange(range)];
    return {
      record: record === undefined ? undefined : structuredClone(record),
      positions: { ...(this.visible.positions.get(`${table}:${pid}`) ?? {}) },
      items: entries[Symbol.iterator](),
      followerData: data[Symbol.iterator](),
      close: () => {},
    };
  }

  countRange(table: string, hashStart: number, hashEnd: number, itemsMax: number): { items: number; bytes: number } | null {
    let items = 0;
    let bytes = 0;
    for (const { value } of this.visible.table(table).getRange(hashRangeOptions(hashStart, hashEnd))) {
      if (++items > itemsMax) return null;
      bytes += storedItemSize(value);
    }
    return { items, bytes };
  }

  /** The items of one hash range as they are now (for convergence checks). */
  itemsIn(table: string, hashStart: number, hashEnd: number, durableOnly = false): Map<string, string> {
    const state = durableOnly ? this.synced : this.visible;
    const out = new Map<string, string>();
    for (const { key, value } of state.table(table).getRange(hashRangeOptions(hashStart, hashEnd))) out.set(key.toString('hex'), value.toString('hex'));
    return out;
  }

  /** The durable log entry at `index`, if any: [epoch, bytes]. */
  durableEntry(table: string, pid: number, index: number): [number, Uint8Array] | undefined {
    return this.synced.log(table, pid).get(index);
  }

  /** Whether some durable log entry of `table` carries write id `wid`. */
  durableHasWrite(table: string, wid: string): boolean {
    for (const [key, log] of this.synced.logs) {
      if (!key.startsWith(table + ':')) continue;
      for (const [, bytes] of log.values()) {
        let w = entryWids.get(bytes);
        if (w === undefined) entryWids.set(bytes, (w = decodeLogEntry(bytes).w));
        if (w === wid) return true;
      }
    }
    return false;
  }

  /** Whether the durable item at `keyHex` has attribute v = `value`. */
  durableItemHas(table: string, keyHex: string, value: string): boolean {
    const bytes = this.synced.table(table).map.get(Buffer.from(keyHex, 'hex').toString('latin1'));
    return bytes !== undefined && (decodeStoredItem(bytes).v as { S?: string } | undefined)?.S === value;
  }

  durableRecord(table: string, pid: number): ReplicaRecord | undefined {
    return this.synced.records.get(`${table}:${pid}`);
  }

  putItem(table: string, key: Uint8Array, value: Uint8Array): void {
    const k = Buffer.from(key);
    const v = Buffer.from(value);
    this.batch.push((s) => s.table(table).put(k, v));
  }

  putSnapshotItem(table: string, key: Uint8Array, value: Uint8Array): void {
    this.putItem(table, key, value);
  }

  pollDurable(): boolean {
    // Durability comes through the scheduler; there is no background work.
    return false;
  }

  hasNews(): boolean {
    return false;
  }

  waitsOnEventLoop(): boolean {
    return false;
  }

  hasBacklog(): boolean {
    return false;
  }

  full(): boolean {
    return false;
  }

  removeItem(table: string, key: Uint8Array): void {
    const k = Buffer.from(key);
    this.batch.push((s) => s.table(table).remove(k));
  }

  putFollowerData(table: string, key: Uint8Array, value: Uint8Array): void {
    const k = Buffer.from(key);
    const v = Buffer.from(value);
    this.batch.push((s) => s.data(table).put(k, v));
  }

  removeFollowerData(table: string, key: Uint8Array): void {
    const k = Buffer.from(key);
    this.batch.push((s) => s.data(table).remove(k));
  }

  putFollowerPositions(table: string, pid: number, positions: FollowerPositions): void {
    const p = { ...positions };
    this.batch.push((s) => s.positions.set(`${table}:${pid}`, { ...p }));
  }

  appendLog(table: string, pid: number, index: number, epoch: number, bytes: Uint8Array): void {
    const b = Buffer.from(bytes);
    this.batch.push((s) => s.log(table, pid).set(index, [epoch, b]));
  }

  removeLog(table: string, pid: number, from: number, to: number): void {
    this.batch.push((s) => {
      const log = s.log(table, pid);
      for (const i of [...log.keys()]) if (i >= from && i <= to) log.delete(i);
    });
  }

  putRecord(record: ReplicaRecord): void {
    const r = structuredClone(record);
    this.batch.push((s) => s.records.set(`${r.table}:${r.pid}`, structuredClone(r)));
  }

  removeRecord(table: string, pid: number): void {
    this.batch.push((s) => {
      s.records.delete(`${table}:${pid}`);
      s.positions.delete(`${table}:${pid}`);
    });
  }

  clearRange(table: string, hashStart: number, hashEnd: number): void {
    this.batch.push((s) => {
      for (const tree of [s.table(table), s.data(table)]) for (const { key } of [...tree.getRange(hashRangeOptions(hashStart, hashEnd))]) tree.remove(key);
    });
  }

  dropTable(table: string): void {
    this.batch.push((s) => {
      s.items.delete(table);
      s.followerData.delete(table);
      for (const k of [...s.logs.keys()]) if (k.startsWith(table + ':')) s.logs.delete(k);
      for (const k of [...s.records.keys()]) if (k.startsWith(table + ':')) s.records.delete(k);
      for (const k of [...s.positions.keys()]) if (k.startsWith(table + ':')) s.positions.delete(k);
    });
  }

  batchPending(): boolean {
    return this.batch.length > 0;
  }

  commit(onDurable: () => void): void {
    const ops = this.batch;
    this.batch = [];
    if (ops.length === 0) {
      // Nothing new to sync: durable once what was committed before is.
      const last = this.unsynced.at(-1);
      if (last === undefined) this.scheduler.after(0, () => !this.crashed && onDurable());
      else {
        const previous = last.onDurable;
        last.onDurable = () => {
          previous();
          onDurable();
        };
      }
      return;
    }
    for (const op of ops) op(this.visible);
    this.unsynced.push({ ops, onDurable });
    // Syncs complete in commit order, each after the disk's latency (a stalled disk holds them).
    const start = Math.max(this.scheduler.now, this.diskFreeAt, this.stallUntil);
    this.diskFreeAt = start + this.syncLatency();
    this.scheduler.at(this.diskFreeAt, () => this.syncOne());
  }

  private syncOne(): void {
    if (this.crashed) return;
    if (this.stallUntil > this.scheduler.now) {
      this.scheduler.at(this.stallUntil, () => this.syncOne());
      return;
    }
    const batch = this.unsynced.shift();
    if (batch === undefined) return;
    for (const op of batch.ops) op(this.synced);
    this.batchesSynced++;
    batch.onDurable();
  }

  /** Batches committed and not yet synced. */
  batchesOnDisk(): number {
    return this.unsynced.length;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
