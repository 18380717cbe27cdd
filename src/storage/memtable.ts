// What a storage node has written since its B-tree's last checkpoint, in memory, read over the
// B-tree: the newest value of each key (or its deletion), the hash ranges cleared and the trees
// dropped, the replication log's entries and removals, and the replica records and followers'
// positions. Writes go to the newest layer; a checkpoint freezes it (a new layer takes the writes)
// and, once the checkpoint is durable in the B-tree, the frozen layer is dropped. Reads look at the
// layers newest first, then at the B-tree. Pure: the B-tree is whatever `MemtableBase` reads.
import sortedBtree from 'sorted-btree';
import type { ReplicaRecord } from '../replication/replica-machine.ts';
import type { FollowerPositions, ItemEntry, ItemRangeOptions, ItemTree } from './node-store.ts';
import { compareKeys } from './compare-keys.ts';

// sorted-btree is CommonJS: Node's ESM loader makes its module.exports the default import, while
// a loader that honours its __esModule flag (tsx in a worker thread) gives the class itself.
const BTree: typeof sortedBtree.default = (sortedBtree as unknown as { default?: typeof sortedBtree.default }).default ?? (sortedBtree as unknown as typeof sortedBtree.default);

/** A range [start, end) of keys (end undefined: to the last key). */
interface KeyRange {
  start: Buffer;
  end: Buffer | undefined;
}

function inRange(key: Buffer, r: KeyRange): boolean {
  return compareKeys(key, r.start) >= 0 && (r.end === undefined || compareKeys(key, r.end) < 0);
}

/** One ordered tree's writes in one layer (a table's items, or its followers' data). */
export class LayerTree {
  /** Key → new value, or null: deleted. */
  entries: InstanceType<typeof BTree<Buffer, Buffer | null>> = new BTree<Buffer, Buffer | null>(undefined, compareKeys);
  /** Ranges cleared in this layer: what older layers and the B-tree hold there is gone. Entries newer than a clear are in `entries`. */
  readonly cleared: KeyRange[] = [];
  /** The whole tree was dropped in this layer. */
  dropped = false;

  /** Whether the value of `key` below this layer is hidden by it. */
  hides(key: Buffer): boolean {
    if (this.dropped) return true;
    for (let i = 0; i < this.cleared.length; i++) if (inRange(key, this.cleared[i])) return true;
    return false;
  }
}

/** One replica's log writes in one layer: entries appended, ranges removed (older than the appends after them). */
export class LayerLog {
  /** Index → [epoch, entry bytes]. */
  readonly entries = new Map<number, [number, Uint8Array]>();
  /** Inclusive index ranges removed in this layer. */
  readonly removed: Array<[number, number]> = [];

  hides(index: number): boolean {
    for (const [from, to] of this.removed) if (index >= from && index <= to) return true;
    return false;
  }
}

export class MemLayer {
  /** 'd:' + table (items) or 'x:' + table (followers' data) → writes. */
  readonly trees = new Map<string, LayerTree>();
  /** 'table:pid' → log writes. */
  readonly logs = new Map<string, LayerLog>();
  /** 'table:pid' → the newest record, or null: removed. */
  readonly records = new Map<string, ReplicaRecord | null>();
  readonly positions = new Map<string, FollowerPositions | null>();
  /** Tables dropped in this layer (their logs, older than this layer, are gone too). */
  readonly droppedTables = new Set<string>();
  /** Bytes held (keys, values and log entries): what bounds the memory between checkpoints. */
  bytes = 0;

  /** A copy to read as this layer is now while writes go on into this one (its trees copy on write). */
  copyForReading(): MemLayer {
    const copy = new MemLayer();
    for (const [id, t] of this.trees) {
      const c = new LayerTree();
      c.entries = t.entries.clone();
      c.cleared.push(...t.cleared);
      c.dropped = t.dropped;
      copy.trees.set(id, c);
    }
    for (const [k, r] of this.records) copy.records.set(k, r);
    for (const [k, p] of this.positions) copy.positions.set(k, p);
    for (const t of this.droppedTables) copy.droppedTables.add(t);
    return copy;
  }

  tree(id: string): LayerTree {
    let t = this.trees.get(id);
    if (t === undefined) this.trees.set(id, (t = new LayerTree()));
    return t;
  }

  log(key: string): LayerLog {
    let l = this.logs.get(key);
    if (l === undefined) this.logs.set(key, (l = new LayerLog()));
    return l;
  }
}

/** What the layers are read over: the B-tree as of its last checkpoint. */
export interface MemtableBase {
  tree(id: string): ItemTree;
  logEntry(table: string, pid: number, index: number): [number, Uint8Array] | undefined;
  /** Stored (index, epoch) pairs of one replica's log, ascending. */
  logIndices(table: string, pid: number): Iterable<[number, number]>;
  record(table: string, pid: number): ReplicaRecord | undefined;
  records(): Iterable<ReplicaRecord>;
  positions(table: string, pid: number): FollowerPositions | undefined;
}

export function itemsTreeId(table: string): string {
  return 'd:' + table;
}

export function followerDataTreeId(table: string): string {
  return 'x:' + table;
}

/** The layers (oldest first; the last takes writes) over a base. */
export class Memtable {
  readonly layers: MemLayer[];
  base: MemtableBase;

  /** `layers`: oldest first (a read-only view passes copies; a new memtable starts with one empty layer). */
  constructor(base: MemtableBase, layers: MemLayer[] = [new MemLayer()]) {
    this.base = base;
    this.layers = layers;
  }

  get active(): MemLayer {
    return this.layers[this.layers.length - 1];
  }

  /** Freezes the layer taking writes (it is checkpointed next) and starts a new one; returns the frozen layer. */
  freeze(): MemLayer {
    const frozen = this.active;
    this.layers.push(new MemLayer());
    return frozen;
  }

  /** A frozen layer is in the B-tree now (its checkpoint is durable): reads no longer need it. */
  release(layer: MemLayer): void {
    const i = this.layers.indexOf(layer);
    if (i >= 0 && i < this.layers.length - 1) this.layers.splice(i, 1);
  }

  /** Bytes held by every layer. */
  get bytes(): number {
    let total = 0;
    for (const l of this.layers) total += l.bytes;
    return total;
  }

  // ---- writes (into the active layer) ------------------------------------------------------

  put(treeId: string, key: Buffer, value: Buffer): void {
    const layer = this.active;
    layer.tree(treeId).entries.set(key, value);
    layer.bytes += key.length + value.length + 32;
  }

  remove(treeId: string, key: Buffer): void {
    const layer = this.active;
    layer.tree(treeId).entries.set(key, null);
    layer.bytes += key.length + 32;
  }

  clearRange(treeId: string, start: Buffer, end: Buffer | undefined): void {
    const t = this.active.tree(treeId);
    const doomed: Buffer[] = [];
    t.entries.forRange(start, end ?? maxKey, false, (k: Buffer) => {
      doomed.push(k);
    });
    if (end === undefined) for (const k of t.entries.keys(maxKey)) doomed.push(k);
    for (const k of doomed) t.entries.delete(k);
    t.cleared.push({ start, end });
  }

  dropTable(table: string): void {
    const layer = this.active;
    for (const id of [itemsTreeId(table), followerDataTreeId(table)]) {
      const t = layer.tree(id);
      t.entries.clear();
      t.cleared.length = 0;
      t.dropped = true;
    }
    for (const key of [...layer.logs.keys()]) if (key.startsWith(table + ':')) layer.logs.delete(key);
    layer.droppedTables.add(table);
  }

  appendLog(table: string, pid: number, index: number, epoch: number, bytes: Uint8Array): void {
    const layer = this.active;
    layer.log(table + ':' + pid).entries.set(index, [epoch, bytes]);
    layer.bytes += bytes.length + 48;
  }

  removeLog(table: string, pid: number, from: number, to: number): void {
    const l = this.active.log(table + ':' + pid);
    for (const index of [...l.entries.keys()]) if (index >= from && index <= to) l.entries.delete(index);
    l.removed.push([from, to]);
  }

  putRecord(record: ReplicaRecord): void {
    this.active.records.set(record.table + ':' + record.pid, record);
  }

  putPositions(table: string, pid: number, positions: FollowerPositions): void {
    this.active.positions.set(table + ':' + pid, positions);
  }

  removeRecord(table: string, pid: number): void {
    const key = table + ':' + pid;
    this.active.records.set(key, null);
    this.active.positions.set(key, null);
  }

  // ---- reads (layers newest first, then the base) ---------------------------------------

  get(treeId: string, key: Buffer): Buffer | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const t = this.layers[i].trees.get(treeId);
      if (t === undefined) continue;
      const v = t.entries.get(key);
      if (v !== undefined) return v === null ? undefined : v;
      if (t.hides(key)) return undefined;
    }
    return this.base.tree(treeId).get(key);
  }

  /** Entries of a tree in a key range, merged over the layers and the base, in key order. */
  range(treeId: string, options: ItemRangeOptions, layers: readonly MemLayer[] = this.layers, base: ItemTree = this.base.tree(treeId)): Iterable<ItemEntry> {
    // No layer wrote, cleared or dropped this tree (a table only read since its last
    // checkpoint): the B-tree's own range, without a merge.
    let untouched = true;
    for (let i = 0; i < layers.length && untouched; i++) {
      const t = layers[i].trees.get(treeId);
      untouched = t === undefined || (t.entries.size === 0 && t.cleared.length === 0 && !t.dropped);
    }
    return untouched ? base.getRange(options) : this.mergedRange(treeId, options, layers, base);
  }

  private *mergedRange(treeId: string, options: ItemRangeOptions, layers: readonly MemLayer[], base: ItemTree): Generator<ItemEntry> {
    const reverse = options.reverse === true;
    // Cursors newest first: each layer's entries in the range, then the base's.
    const cursors: RangeCursor[] = [];
    const trees: Array<LayerTree | undefined> = [];
    for (let i = layers.length - 1; i >= 0; i--) {
      const t = layers[i].trees.get(treeId);
      trees.push(t);
      if (t === undefined || t.entries.size === 0) continue;
      cursors.push(new LayerCursor(t, options, trees.length - 1));
    }
    cursors.push(new BaseCursor(base, options, trees.length));
    for (;;) {
      let best: RangeCursor | null = null;
      for (let s = 0; s < cursors.length; s++) {
        const c = cursors[s];
        if (c.key === null) continue;
        if (best === null) {
          best = c;
          continue;
        }
        const order = compareKeys(c.key, best.key!);
        // The smallest key (largest in reverse); on a tie the newest cursor (listed first) wins.
        if (reverse ? order > 0 : order < 0) best = c;
      }
      if (best === null) return;
      const key = best.key!;
      const value = best.value;
      // Older cursors' copies of this key are shadowed.
      for (let s = 0; s < cursors.length; s++) {
        const c = cursors[s];
        if (c !== best && c.key !== null && compareKeys(c.key, key) === 0) c.advance();
      }
      const from = best.layer;
      best.advance();
      if (value === null) continue;
      // A value from an older source is hidden by a clear or a drop in a newer layer.
      let hidden = false;
      for (let l = 0; l < from && !hidden; l++) hidden = trees[l]?.hides(key) === true;
      if (!hidden) yield { key, value };
    }
  }

  /** The entry at `index` of a replica's log, newest first: [epoch, bytes], or undefined (removed or never there). */
  logEntry(table: string, pid: number, index: number, layers: readonly MemLayer[] = this.layers): [number, Uint8Array] | undefined {
    const key = table + ':' + pid;
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      const l = layer.logs.get(key);
      if (l !== undefined) {
        const e = l.entries.get(index);
        if (e !== undefined) return e;
        if (l.hides(index)) return undefined;
      }
      if (layer.droppedTables.has(table)) return undefined;
    }
    return this.base.logEntry(table, pid, index);
  }

  /** (index, epoch) of every entry of a replica's log, ascending. */
  logIndices(table: string, pid: number): Array<[number, number]> {
    const key = table + ':' + pid;
    const epochs = new Map<number, number>();
    for (const [index, epoch] of this.base.logIndices(table, pid)) epochs.set(index, epoch);
    for (const layer of this.layers) {
      // A drop removes everything older than its layer; what the layer wrote after the drop stays.
      if (layer.droppedTables.has(table)) epochs.clear();
      const l = layer.logs.get(key);
      if (l === undefined) continue;
      for (const [from, to] of l.removed) for (const index of [...epochs.keys()]) if (index >= from && index <= to) epochs.delete(index);
      for (const [index, [epoch]] of l.entries) epochs.set(index, epoch);
    }
    return [...epochs].sort((a, b) => a[0] - b[0]);
  }

  record(table: string, pid: number): ReplicaRecord | undefined {
    const key = table + ':' + pid;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const r = this.layers[i].records.get(key);
      if (r !== undefined) return r ?? undefined;
      if (this.layers[i].droppedTables.has(table)) return undefined;
    }
    return this.base.record(table, pid);
  }

  positions(table: string, pid: number): FollowerPositions | undefined {
    const key = table + ':' + pid;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const p = this.layers[i].positions.get(key);
      if (p !== undefined) return p ?? undefined;
      if (this.layers[i].droppedTables.has(table)) return undefined;
    }
    return this.base.positions(table, pid);
  }

  records(): ReplicaRecord[] {
    const out = new Map<string, ReplicaRecord | null>();
    for (const r of this.base.records()) out.set(r.table + ':' + r.pid, r);
    for (const layer of this.layers) {
      for (const table of layer.droppedTables) for (const key of [...out.keys()]) if (key.startsWith(table + ':')) out.delete(key);
      for (const [key, r] of layer.records) out.set(key, r);
    }
    const list: ReplicaRecord[] = [];
    for (const r of out.values()) if (r !== null) list.push(r);
    return list;
  }
}

/** A key above every item key (keys are a 4-byte hash then more bytes): an exclusive end for "to the last key". */
const maxKey = Buffer.alloc(64, 0xff);

/** One source of a merged range read: its current entry (key null: exhausted), moved on by advance(). */
interface RangeCursor {
  key: Buffer | null;
  value: Buffer | null;
  /** Which layer it reads, newest 0 (the base: the number of layers). */
  readonly layer: number;
  advance(): void;
}

/** A layer's entries in the range (lmdb-js semantics: start inclusive, end exclusive; reversed, start is the high bound). */
class LayerCursor implements RangeCursor {
  key: Buffer | null = null;
  value: Buffer | null = null;
  readonly layer: number;
  private readonly it: IterableIterator<[Buffer, Buffer | null]>;
  private readonly high: Buffer | undefined;
  private readonly low: Buffer | undefined;
  private readonly reverse: boolean;

  constructor(t: LayerTree, options: ItemRangeOptions, layer: number) {
    this.layer = layer;
    this.reverse = options.reverse === true;
    this.high = this.reverse ? options.start : options.end;
    this.low = this.reverse ? options.end : options.start;
    // One pair array reused for every entry: the cursor copies key and value out of it.
    const pair: Array<Buffer | null> = [];
    this.it = this.reverse ? t.entries.entriesReversed(this.high, pair) : t.entries.entries(this.low, pair);
    this.advance();
  }

  advance(): void {
    for (;;) {
      const r = this.it.next();
      if (r.done === true) {
        this.key = null;
        return;
      }
      const k = r.value[0];
      if (this.reverse) {
        if (this.high !== undefined && compareKeys(k, this.high) > 0) continue;
        if (this.low !== undefined && compareKeys(k, this.low) <= 0) break;
      } else if (this.high !== undefined && compareKeys(k, this.high) >= 0) break;
      this.key = k;
      this.value = r.value[1];
      return;
    }
    this.key = null;
  }
}

/** The base's entries in the range (its own getRange). */
class BaseCursor implements RangeCursor {
  key: Buffer | null = null;
  value: Buffer | null = null;
  readonly layer: number;
  private readonly it: Iterator<ItemEntry>;

  constructor(base: ItemTree, options: ItemRangeOptions, layer: number) {
    this.layer = layer;
    this.it = base.getRange(options)[Symbol.iterator]();
    this.advance();
  }

  advance(): void {
    const r = this.it.next();
    if (r.done === true) {
      this.key = null;
      return;
    }
    this.key = r.value.key;
    this.value = r.value.value;
  }
}
