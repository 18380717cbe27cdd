// One replica's replication log, as its machine sees it: which indices it holds and in which
// epoch each was written, the recent entries kept in memory (the rest are read back from the
// node's store), how far it is durable, and the truncations that make an earlier "durable" seal
// vouch for less than it covered. Pure: reading stored entries goes through the reader it is
// given; nothing here touches a disk.
//
// Positions (every one asserted where it changes):
//   base ≤ tailBase ≤ last        entries base+1..last are in the log (stored ≤ tailBase, in memory after it)
//   durable ≤ last                entries ≤ durable are on this node's disk
import { broken, invariant } from './invariants.ts';
import { EpochRuns } from './epoch-runs.ts';
import { decodeLogEntry, type LogEntry } from './log-entry.ts';

/** Reads stored entries from..to (inclusive), at most maxBytes of them (at least one). */
export type StoredEntryReader = (from: number, to: number, maxBytes: number) => Uint8Array[];

/** What one batch made durable, as seen when it was sealed. */
export interface LogSeal {
  last: number;
  generation: number;
}

export class ReplicaLog {
  private readonly name: string;
  private readonly readStored: StoredEntryReader;
  /**
   * The log starts after base: entries ≤ base were trimmed (all applied) or came with a snapshot.
   * Invariant: base ≤ last.
   */
  base: number;
  baseEpoch: number;
  /** The last index held, and its epoch. */
  last: number;
  lastEpoch: number;
  /**
   * Entries ≤ durable are on this node's disk. Moves up when a batch's seal is reported durable,
   * down only when a truncation removes entries. Invariant: durable ≤ last.
   */
  durable: number;
  private readonly epochs = new EpochRuns();
  /** Entries after tailBase are in memory (tail, and decoded in tailEntries); the others are read back. */
  private tailBase: number;
  private readonly tail: Uint8Array[] = [];
  private readonly tailEntries: LogEntry[] = [];
  /** Bumped by every truncation and wipe: a seal from an earlier generation vouches only for what survived. */
  private generation = 0;
  /** truncationFloors[g]: the highest index that survived the truncation ending generation g. */
  private readonly truncationFloors: number[] = [];

  constructor(name: string, readStored: StoredEntryReader, base: number, baseEpoch: number, storedEpochs: ReadonlyArray<readonly [number, number]>, storedLast: number) {
    this.name = name;
    this.readStored = readStored;
    this.base = base;
    this.baseEpoch = baseEpoch;
    this.epochs.append(base, baseEpoch);
    for (const [index, epoch] of storedEpochs) if (index > base) this.epochs.append(index, epoch);
    this.last = Math.max(storedLast, base);
    this.lastEpoch = this.epochs.at(this.last);
    // What a store holds after a restart is what its disk kept.
    this.durable = this.last;
    this.tailBase = this.last;
  }

  epochAt(index: number): number {
    if (index === this.base) return this.baseEpoch;
    if (!(index > this.base && index <= this.last)) broken(`${this.name}: epoch of ${index} outside the log ${this.base}..${this.last}`);
    return this.epochs.at(index);
  }

  /** Bytes of entries from..to (inclusive), at most maxBytes (at least one entry). */
  entries(from: number, to: number, maxBytes: number): Uint8Array[] {
    invariant(from > this.base && to <= this.last && from <= to, () => `${this.name}: entries ${from}..${to} outside the log ${this.base + 1}..${this.last}`);
    const out: Uint8Array[] = [];
    let bytes = 0;
    if (from <= this.tailBase) {
      const stored = this.readStored(from, Math.min(to, this.tailBase), maxBytes);
      for (const e of stored) {
        out.push(e);
        bytes += e.length;
      }
      invariant(out.length > 0, () => `${this.name}: stored log has no entry ${from}`);
      if (from + out.length - 1 < Math.min(to, this.tailBase)) return out;
      from += out.length;
    }
    for (let i = from; i <= to; i++) {
      const e = this.tail[i - this.tailBase - 1];
      if (out.length > 0 && bytes + e.length > maxBytes) break;
      out.push(e);
      bytes += e.length;
    }
    return out;
  }

  /** The entry at `index`, decoded (from memory when recent). */
  entryAt(index: number): LogEntry {
    if (index > this.tailBase && index <= this.last) return this.tailEntries[index - this.tailBase - 1];
    return decodeLogEntry(this.entries(index, index, Infinity)[0]);
  }

  /** Appends the entry at last+1, written in `epoch`. */
  push(index: number, epoch: number, bytes: Uint8Array, entry: LogEntry): void {
    if (index !== this.last + 1) broken(`${this.name}: entry ${index} appended after ${this.last}`);
    if (epoch < this.lastEpoch) broken(`${this.name}: entry of epoch ${epoch} after epoch ${this.lastEpoch}`);
    if (entry.i !== index || entry.e !== epoch) broken(`${this.name}: entry bytes say ${entry.e}/${entry.i}, the log position is ${epoch}/${index}`);
    this.tail.push(bytes);
    this.tailEntries.push(entry);
    this.last = index;
    this.lastEpoch = epoch;
    this.epochs.append(index, epoch);
  }

  /**
   * Removes the suffix from `index` on (entries never committed) and returns them. Stored entries
   * are read back for it: a replica restarted with durable but unapplied entries may have to cut
   * them when a newer leader's log differs there (finding N4).
   */
  truncate(index: number, committed: number): LogEntry[] {
    invariant(index > committed && index > this.base, () => `${this.name}: truncating at ${index}, at or below committed ${committed} (base ${this.base})`);
    invariant(index <= this.last, () => `${this.name}: truncating at ${index}, after the last entry ${this.last}`);
    const removed: LogEntry[] = [];
    if (index <= this.tailBase) {
      for (let i = index; i <= this.tailBase; i++) removed.push(this.entryAt(i));
      // The stored part is gone too: nothing below index is kept in memory any more.
      for (const e of this.tailEntries) removed.push(e);
      this.tail.length = 0;
      this.tailEntries.length = 0;
      this.tailBase = index - 1;
    } else {
      const from = index - this.tailBase - 1;
      for (let i = from; i < this.tailEntries.length; i++) removed.push(this.tailEntries[i]);
      this.tail.length = from;
      this.tailEntries.length = from;
    }
    this.truncationFloors[this.generation] = index - 1;
    this.generation++;
    this.last = index - 1;
    this.epochs.truncateFrom(index);
    this.lastEpoch = this.epochAt(this.last);
    if (this.durable > this.last) this.durable = this.last;
    invariant(removed.length > 0 && removed[0].i === index, () => `${this.name}: truncation at ${index} removed entries from ${removed[0]?.i}`);
    return removed;
  }

  /**
   * Empties the log and starts it after (index, epoch): a snapshot install or a split child.
   * `durable`: how much of that counts as on disk already (an install's chunks are not, until
   * their batch is).
   */
  reset(index: number, epoch: number, durable: number): void {
    invariant(durable <= index, () => `${this.name}: reset at ${index} durable through ${durable}`);
    this.epochs.reset();
    this.epochs.append(index, epoch);
    this.base = this.last = this.tailBase = index;
    this.durable = durable;
    this.baseEpoch = this.lastEpoch = epoch;
    this.tail.length = 0;
    this.tailEntries.length = 0;
    this.truncationFloors[this.generation] = index;
    this.generation++;
  }

  /** The generation now: a seal taken before a later reset() vouches for nothing. */
  get currentGeneration(): number {
    return this.generation;
  }

  seal(): LogSeal {
    return { last: this.last, generation: this.generation };
  }

  /** A batch sealed with `seal` is durable: entries it covered that survived truncations are. */
  persisted(seal: LogSeal): void {
    let durableTo = seal.last;
    for (let g = seal.generation; g < this.generation; g++) durableTo = Math.min(durableTo, this.truncationFloors[g] ?? durableTo);
    durableTo = Math.min(durableTo, this.last);
    if (durableTo > this.durable) this.durable = durableTo;
  }

  /** Forgets in-memory entries up to `upTo` (applied and durable: the store has them). */
  dropTail(upTo: number): void {
    if (upTo <= this.tailBase) return;
    invariant(upTo <= this.durable && upTo <= this.last, () => `${this.name}: dropping in-memory entries through ${upTo}, beyond durable ${this.durable}`);
    this.tail.splice(0, upTo - this.tailBase);
    this.tailEntries.splice(0, upTo - this.tailBase);
    this.tailBase = upTo;
  }

  /** Entries through here are read back from the store; later ones are (also) in memory. */
  get storedThrough(): number {
    return this.tailBase;
  }

  /** Forgets entries through `upTo` (trimmed from the store by the caller). */
  trim(upTo: number): void {
    invariant(upTo > this.base && upTo <= this.tailBase, () => `${this.name}: trimming through ${upTo} outside ${this.base}..${this.tailBase}`);
    this.baseEpoch = this.epochAt(upTo);
    this.epochs.trimBefore(upTo);
    this.base = upTo;
  }

  check(): void {
    if (!(this.base <= this.tailBase && this.tailBase <= this.last)) broken(`${this.name}: log positions base ${this.base} tailBase ${this.tailBase} last ${this.last}`);
    if (this.durable > this.last) broken(`${this.name}: durable ${this.durable} beyond last ${this.last}`);
    if (this.tail.length !== this.last - this.tailBase || this.tailEntries.length !== this.tail.length) broken(`${this.name}: ${this.tail.length} entries in memory for ${this.tailBase + 1}..${this.last}`);
  }
}
