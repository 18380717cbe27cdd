// What the front door may read straight from a storage node's B-tree (LMDB, which any thread of
// the process can read) instead of asking the node: one of these per node incarnation, in shared
// memory, written by the node and read by the front door.
//
// A node's B-tree lags its data by the memtable (what was written since the last durable
// checkpoint). The node therefore marks, before it applies a write to an item, the item's
// partition key hash as dirty in the bitset of the memtable layer taking writes; a range cleared
// or a table dropped marks the whole layer. When a checkpoint of a layer is durable the node
// bumps the generation and only then clears that layer's marks. A reader that finds the key's bit
// clear in both layers' bitsets, and then renews its read transaction whenever the generation
// moved, reads the item as the node last applied it: either no write since the checkpoint the
// B-tree holds, or the checkpoint that holds it is committed before the bit was cleared.
//
// The node also publishes the hash ranges of its replicas that serve eventually consistent reads
// (their data is a committed prefix of the partition), under a sequence lock.
//
// Layout (32-bit words): 0 sequence lock of the serving list (odd while written), 1 serving
// count, 2 generation, 3..4 "whole layer dirty" per bitset; the serving list from word 16 (four
// words an entry: two table tags, first hash, last hash); the two bitsets after it, then a
// summary of each (a bit per block of 1,024 marks) for reads of a whole hash range (Scan).

/** Bits of a partition key hash a dirty mark keys on (the top ones): 2^20 marks per layer. */
const markBits = 20;
const markShift = 32 - markBits;
const bitsetWords = 2 ** markBits / 32;
const servingMax = 1024;
const wordSeq = 0;
const wordCount = 1;
const wordGeneration = 2;
const wordLayerDirty = 3;
const servingBase = 16;
const entryWords = 4;
const bitsetBase = servingBase + servingMax * entryWords;
/** A summary bit stands for this many marks. */
const blockShift = 10;
const summaryWords = 2 ** (markBits - blockShift) / 32;
const summaryBase = bitsetBase + 2 * bitsetWords;
const totalWords = summaryBase + 2 * summaryWords;

/** One replica's range that serves eventually consistent reads. */
export interface ServingRange {
  table: string;
  hashStart: number;
  /** Exclusive; 2^32 for the last range. */
  hashEnd: number;
}

/** A table's tag: two independent 32-bit hashes of its id (a node's tables never share both). */
export interface TableTag {
  a: number;
  b: number;
}

/** Tags computed so far (a server has few tables; dropped ones cost a few bytes each, until the bound clears them all). */
const tags = new Map<string, TableTag>();
const tagsMax = 100_000;

export function tableTag(tableId: string): TableTag {
  let tag = tags.get(tableId);
  if (tag !== undefined) return tag;
  let a = 0x811c9dc5;
  let b = 0x2f3e4d5c;
  for (let i = 0; i < tableId.length; i++) {
    const c = tableId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
    b ^= b >>> 15;
  }
  tag = { a, b: b >>> 0 };
  if (tags.size >= tagsMax) tags.clear();
  tags.set(tableId, tag);
  return tag;
}

/** What a reader saw before reading the B-tree; the read stands only if nothing moved since. */
export interface ReadStamp {
  seq: number;
  generation: number;
}

/** A stamp for a range read, with where the serving replica's range ends (exclusive). */
export interface SpanStamp extends ReadStamp {
  end: number;
}

export class ReadVisibility {
  readonly sab: SharedArrayBuffer;
  private readonly words: Uint32Array;
  // Writer (node) state.
  private active = 0;
  private frozen = -1;

  static create(): ReadVisibility {
    return new ReadVisibility(new SharedArrayBuffer(totalWords * 4));
  }

  constructor(sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== totalWords * 4) throw new TypeError('ReadVisibility needs the SharedArrayBuffer of one made by ReadVisibility.create');
    this.sab = sab;
    this.words = new Uint32Array(sab);
  }

  // ---- the node's side ----------------------------------------------------------------------

  /** Before an item with this partition key hash is written in the layer taking writes. */
  markDirty(hash32: number): void {
    const bit = hash32 >>> markShift;
    const word = bitsetBase + this.active * bitsetWords + (bit >>> 5);
    const mask = 1 << (bit & 31);
    if ((this.words[word] & mask) !== 0) return;
    // The block's summary bit first: a reader that finds the summary clear finds the mark clear too.
    const block = bit >>> blockShift;
    const summary = summaryBase + this.active * summaryWords + (block >>> 5);
    const blockMask = 1 << (block & 31);
    if ((this.words[summary] & blockMask) === 0) Atomics.or(this.words, summary, blockMask);
    Atomics.or(this.words, word, mask);
  }

  /** Before a range is cleared or a table dropped (or a replay fills the layer): every read of this node goes to it until the layer is checkpointed. */
  markLayerDirty(): void {
    Atomics.store(this.words, wordLayerDirty + this.active, 1);
  }

  /** The layer taking writes is frozen for a checkpoint; a new one (with clean marks) takes them. */
  freeze(): void {
    if (this.frozen !== -1) throw new Error('read visibility: a layer is frozen already (one checkpoint at a time)');
    this.frozen = this.active;
    this.active ^= 1;
  }

  /** The frozen layer's checkpoint is durable (committed in the B-tree): its marks go, after the generation moves. */
  checkpointDurable(): void {
    if (this.frozen === -1) throw new Error('read visibility: no frozen layer to release');
    Atomics.add(this.words, wordGeneration, 1);
    const base = bitsetBase + this.frozen * bitsetWords;
    for (let w = base; w < base + bitsetWords; w++) if (this.words[w] !== 0) Atomics.store(this.words, w, 0);
    const summary = summaryBase + this.frozen * summaryWords;
    for (let w = summary; w < summary + summaryWords; w++) Atomics.store(this.words, w, 0);
    Atomics.store(this.words, wordLayerDirty + this.frozen, 0);
    this.frozen = -1;
  }

  /** Publishes the ranges that serve eventually consistent reads (whenever they change). */
  publishServing(ranges: readonly ServingRange[]): void {
    const count = Math.min(ranges.length, servingMax);
    Atomics.add(this.words, wordSeq, 1);
    // More replicas than the list holds: those left out are read through the node.
    for (let i = 0; i < count; i++) {
      const r = ranges[i];
      const tag = tableTag(r.table);
      const at = servingBase + i * entryWords;
      Atomics.store(this.words, at, tag.a);
      Atomics.store(this.words, at + 1, tag.b);
      Atomics.store(this.words, at + 2, r.hashStart);
      Atomics.store(this.words, at + 3, r.hashEnd - 1);
    }
    Atomics.store(this.words, wordCount, count);
    Atomics.add(this.words, wordSeq, 1);
  }


  // ---- the reader's side --------------------------------------------------------------------

  /**
   * Whether the B-tree holds what this node last applied to items of this partition key hash,
   * and a replica here serving eventually consistent reads owns it: then the stamp to check
   * after the read; otherwise null (ask the node).
   */
  readable(tag: TableTag, hash32: number): ReadStamp | null {
    const w = this.words;
    const seq = Atomics.load(w, wordSeq);
    if ((seq & 1) === 1) return null;
    if (!this.serves(tag, hash32)) return null;
    if (this.dirty(hash32)) return null;
    const generation = Atomics.load(w, wordGeneration);
    return Atomics.load(w, wordSeq) === seq ? { seq, generation } : null;
  }

  /** Whether what was read under `stamp` stands: no publication, no checkpoint and no write to the key since. */
  stillReadable(stamp: ReadStamp, hash32: number): boolean {
    return Atomics.load(this.words, wordSeq) === stamp.seq && Atomics.load(this.words, wordGeneration) === stamp.generation && !this.dirty(hash32);
  }

  /**
   * For a read of the hash range from `fromHash` up to `toHash` (exclusive) that stops where the
   * replica holding `fromHash` ends: the stamp and that end, when the B-tree holds everything the
   * node applied in the range (judged per block of marks: a write near it also sends the read to the node).
   */
  readableSpan(tag: TableTag, fromHash: number, toHash: number): SpanStamp | null {
    const w = this.words;
    const seq = Atomics.load(w, wordSeq);
    if ((seq & 1) === 1) return null;
    const rangeEnd = this.servingEnd(tag, fromHash);
    if (rangeEnd === -1) return null;
    const end = Math.min(toHash, rangeEnd);
    if (end <= fromHash || this.dirtySpan(fromHash, end - 1)) return null;
    const generation = Atomics.load(w, wordGeneration);
    return Atomics.load(w, wordSeq) === seq ? { seq, generation, end } : null;
  }

  stillReadableSpan(stamp: SpanStamp, fromHash: number): boolean {
    return Atomics.load(this.words, wordSeq) === stamp.seq && Atomics.load(this.words, wordGeneration) === stamp.generation && !this.dirtySpan(fromHash, stamp.end - 1);
  }

  private serves(tag: TableTag, hash32: number): boolean {
    return this.servingEnd(tag, hash32) !== -1;
  }

  /** The end (exclusive) of the published range of the table holding `hash32`, or -1. */
  private servingEnd(tag: TableTag, hash32: number): number {
    const w = this.words;
    const count = Atomics.load(w, wordCount);
    for (let i = 0; i < count; i++) {
      const at = servingBase + i * entryWords;
      if (Atomics.load(w, at) !== tag.a || Atomics.load(w, at + 1) !== tag.b) continue;
      const last = Atomics.load(w, at + 3);
      if (hash32 >= Atomics.load(w, at + 2) && hash32 <= last) return last + 1;
    }
    return -1;
  }

  /** Whether any block of marks covering hashes first..last (inclusive) is dirty in either layer. */
  private dirtySpan(first: number, last: number): boolean {
    const w = this.words;
    if (Atomics.load(w, wordLayerDirty) !== 0 || Atomics.load(w, wordLayerDirty + 1) !== 0) return true;
    const shift = markShift + blockShift;
    for (let block = first >>> shift; block <= last >>> shift; block++) {
      const word = summaryBase + (block >>> 5);
      if (((Atomics.load(w, word) | Atomics.load(w, word + summaryWords)) & (1 << (block & 31))) !== 0) return true;
    }
    return false;
  }

  private dirty(hash32: number): boolean {
    const w = this.words;
    if (Atomics.load(w, wordLayerDirty) !== 0 || Atomics.load(w, wordLayerDirty + 1) !== 0) return true;
    const bit = hash32 >>> markShift;
    const mask = 1 << (bit & 31);
    const word = bitsetBase + (bit >>> 5);
    return ((Atomics.load(w, word) | Atomics.load(w, word + bitsetWords)) & mask) !== 0;
  }
}
