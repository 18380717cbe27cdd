// Where admission's numbers live: fixed-size slots in a Float64Array and an Int32Array, one
// table slot per table (its lock word and its table-wide buckets) and one partition slot per
// partition (its read and its write meter). The shared arena is backed by SharedArrayBuffers so
// that a second front-door thread can admit and charge against the very same buckets
// (attached-admission.ts); tables it has no room for live in a private arena of the same layout.
//
// Concurrency: every number of a table and of its partitions is read and written only while the
// table's lock word is held (Atomics.compareExchange spin; the critical sections are a few float
// operations). Slots are allocated and freed by the main thread only, under the table's lock; a
// slot's generation goes up on both, so it is odd while in use, and a thread holding a stale
// directory sees a generation that no longer matches (attached-admission.ts).
import { threadId } from 'node:worker_threads';
import { bucketAvailable, bucketCanTake, bucketFloats, bucketRate, bucketTake, initBucket } from './token-bucket.ts';

// A meter (one direction of one partition): its share of the table's provisioned capacity (used
// while the table is PROVISIONED), its hard ceiling, and what it consumed.
const SHARE = 0;
const CEILING = SHARE + bucketFloats;
const THROTTLED = CEILING + bucketFloats;
const CONSUMED = THROTTLED + 1;
/**
 * Read meters: what a strongly consistent read of one of the partition's items cost lately (from
 * the last point read, or the last put's size), taken at admission so that concurrent reads of
 * large items (a BatchGetItem's) cannot all slip in on one unit each.
 */
const ITEM_READ_UNITS = CONSUMED + 1;
const WINDOW_START = ITEM_READ_UNITS + 1;
const WINDOW_UNITS = WINDOW_START + 1;
const LAST_RATE = WINDOW_UNITS + 1;
const meterFloats = LAST_RATE + 1;

/** Offsets of a partition slot's meters and of a table slot's buckets. */
export const readMeter = 0;
export const writeMeter = meterFloats;
const partitionFloats = 2 * meterFloats;
export const tableReadBucket = 0;
export const tableWriteBucket = bucketFloats;
const tableFloats = 2 * bucketFloats;

// Table slot ints, 64 bytes a slot so that two tables' lock words never share a cache line.
const LOCK = 0;
const TABLE_GENERATION = 1;
const PROVISIONED = 2;
const tableInts = 16;
// Partition slot ints.
const PARTITION_GENERATION = 0;
const OWNER_TABLE_SLOT = 1;
const partitionInts = 4;

/** Bytes of shared memory one partition takes (plus one table slot's per partition: the pool has as many table slots as partition slots). */
export const sharedBytesPerPartition = (partitionFloats + tableFloats) * 8 + (partitionInts + tableInts) * 4;

/** Consumed-rate window for the observability endpoint. */
const rateWindowMs = 1000;

/** This thread's mark in a lock word (never 0, which means free). */
export const lockHolder = threadId + 1;

/** Spins before a waiter starts giving the holder (perhaps preempted) the processor back. */
const spinsBeforeWait = 4096;

export class AdmissionInvariantError extends Error {
  constructor(message: string) {
    super('admission invariant violated: ' + message);
    this.name = 'AdmissionInvariantError';
  }
}

function broken(message: string): never {
  throw new AdmissionInvariantError(message);
}

export class MeterArena {
  floats: Float64Array;
  ints: Int32Array;
  /** Whether other threads may attach (SharedArrayBuffers, fixed size) or not (private, grows on demand). */
  readonly shared: boolean;
  tableSlotsMax: number;
  partitionSlotsMax: number;
  private readonly freeTables: number[] = [];
  private readonly freePartitions: number[] = [];

  private constructor(shared: boolean, tableSlotsMax: number, partitionSlotsMax: number) {
    this.shared = shared;
    this.tableSlotsMax = tableSlotsMax;
    this.partitionSlotsMax = partitionSlotsMax;
    const floatsBytes = (tableSlotsMax * tableFloats + partitionSlotsMax * partitionFloats) * 8;
    const intsBytes = (tableSlotsMax * tableInts + partitionSlotsMax * partitionInts) * 4;
    this.floats = new Float64Array(shared ? new SharedArrayBuffer(floatsBytes) : new ArrayBuffer(floatsBytes));
    this.ints = new Int32Array(shared ? new SharedArrayBuffer(intsBytes) : new ArrayBuffer(intsBytes));
    for (let slot = tableSlotsMax - 1; slot >= 0; slot--) this.freeTables.push(slot);
    for (let slot = partitionSlotsMax - 1; slot >= 0; slot--) this.freePartitions.push(slot);
  }

  /** A fixed pool another thread can attach to (its buffers: sharedState()). */
  static shared(partitionSlotsMax: number): MeterArena {
    return new MeterArena(true, partitionSlotsMax, partitionSlotsMax);
  }

  /** This thread's own meters, for tables the shared pool has no room for; grows as needed. */
  static private(): MeterArena {
    return new MeterArena(false, 4, 16);
  }

  freeTableSlots(): number {
    return this.freeTables.length;
  }

  freePartitionSlots(): number {
    return this.freePartitions.length;
  }

  /** Where a table slot's floats start. */
  tableAt(slot: number): number {
    return slot * tableFloats;
  }

  /** Where a partition slot's floats start. */
  partitionAt(slot: number): number {
    return partitionAt(this, slot);
  }

  private partitionIntsAt(slot: number): number {
    return this.tableSlotsMax * tableInts + slot * partitionInts;
  }

  tableGeneration(slot: number): number {
    return Atomics.load(this.ints, slot * tableInts + TABLE_GENERATION);
  }

  partitionGeneration(slot: number): number {
    return Atomics.load(this.ints, this.partitionIntsAt(slot) + PARTITION_GENERATION);
  }

  /** A table slot, zeroed and marked in use. */
  allocateTable(): number {
    if (this.freeTables.length === 0) {
      if (this.shared) broken('no free table slot in the shared pool (callers check first)');
      this.grow(this.tableSlotsMax * 2, this.partitionSlotsMax);
    }
    const slot = this.freeTables.pop()!;
    const at = slot * tableInts;
    const generation = this.ints[at + TABLE_GENERATION];
    if ((generation & 1) !== 0 || this.ints[at + LOCK] !== 0) broken(`table slot ${slot} allocated while in use (generation ${generation}, lock ${this.ints[at + LOCK]})`);
    this.floats.fill(0, this.tableAt(slot), this.tableAt(slot) + tableFloats);
    this.ints[at + PROVISIONED] = 0;
    Atomics.store(this.ints, at + TABLE_GENERATION, (generation + 1) | 0);
    return slot;
  }

  /** Frees a table slot whose partitions were freed already; the caller holds its lock. */
  freeTable(slot: number): void {
    const at = slot * tableInts;
    const generation = this.ints[at + TABLE_GENERATION];
    if ((generation & 1) === 0 || this.ints[at + LOCK] !== lockHolder) broken(`table slot ${slot} freed while free or not locked by this thread (generation ${generation}, lock ${this.ints[at + LOCK]})`);
    Atomics.store(this.ints, at + TABLE_GENERATION, (generation + 1) | 0);
    this.freeTables.push(slot);
  }

  /** A partition slot for the table in `tableSlot` (whose lock the caller holds), its meters fresh at `now`. */
  allocatePartition(tableSlot: number, readUnitsMax: number, writeUnitsMax: number, now: number): number {
    if (this.freePartitions.length === 0) {
      if (this.shared) broken('no free partition slot in the shared pool (callers check first)');
      this.grow(this.tableSlotsMax, this.partitionSlotsMax * 2);
    }
    const slot = this.freePartitions.pop()!;
    const at = this.partitionIntsAt(slot);
    const generation = this.ints[at + PARTITION_GENERATION];
    if ((generation & 1) !== 0) broken(`partition slot ${slot} allocated while in use (generation ${generation})`);
    const f = this.floats;
    const base = this.partitionAt(slot);
    f.fill(0, base, base + partitionFloats);
    initBucket(f, base + readMeter + CEILING, readUnitsMax, 1, now);
    initBucket(f, base + writeMeter + CEILING, writeUnitsMax, 1, now);
    f[base + readMeter + ITEM_READ_UNITS] = 1;
    f[base + writeMeter + ITEM_READ_UNITS] = 1;
    this.ints[at + OWNER_TABLE_SLOT] = tableSlot;
    Atomics.store(this.ints, at + PARTITION_GENERATION, (generation + 1) | 0);
    return slot;
  }

  /** Frees a partition slot of the table in `tableSlot`, whose lock the caller holds. */
  freePartition(slot: number, tableSlot: number): void {
    const at = this.partitionIntsAt(slot);
    const generation = this.ints[at + PARTITION_GENERATION];
    if ((generation & 1) === 0 || this.ints[at + OWNER_TABLE_SLOT] !== tableSlot) broken(`partition slot ${slot} freed while free or owned by table slot ${this.ints[at + OWNER_TABLE_SLOT]}, not ${tableSlot}`);
    if (this.ints[tableSlot * tableInts + LOCK] !== lockHolder) broken(`partition slot ${slot} freed without its table's lock`);
    Atomics.store(this.ints, at + PARTITION_GENERATION, (generation + 1) | 0);
    this.freePartitions.push(slot);
  }

  isProvisioned(tableSlot: number): boolean {
    return this.ints[tableSlot * tableInts + PROVISIONED] === 1;
  }

  setProvisioned(tableSlot: number, provisioned: boolean): void {
    this.ints[tableSlot * tableInts + PROVISIONED] = provisioned ? 1 : 0;
  }

  /** Copies a table's numbers (table slot and one partition slot at a time) from another arena. */
  copyTable(from: MeterArena, fromSlot: number, toSlot: number): void {
    this.floats.set(from.floats.subarray(from.tableAt(fromSlot), from.tableAt(fromSlot) + tableFloats), this.tableAt(toSlot));
    this.setProvisioned(toSlot, from.isProvisioned(fromSlot));
  }

  copyPartition(from: MeterArena, fromSlot: number, toSlot: number): void {
    this.floats.set(from.floats.subarray(from.partitionAt(fromSlot), from.partitionAt(fromSlot) + partitionFloats), this.partitionAt(toSlot));
  }

  /** Private arenas only: room for more slots (slot numbers and contents stay). */
  private grow(tableSlotsMax: number, partitionSlotsMax: number): void {
    if (this.shared) broken('a shared arena cannot grow');
    const floats = new Float64Array(tableSlotsMax * tableFloats + partitionSlotsMax * partitionFloats);
    const ints = new Int32Array(tableSlotsMax * tableInts + partitionSlotsMax * partitionInts);
    floats.set(this.floats.subarray(0, this.tableSlotsMax * tableFloats), 0);
    floats.set(this.floats.subarray(this.tableSlotsMax * tableFloats), tableSlotsMax * tableFloats);
    ints.set(this.ints.subarray(0, this.tableSlotsMax * tableInts), 0);
    ints.set(this.ints.subarray(this.tableSlotsMax * tableInts), tableSlotsMax * tableInts);
    for (let slot = tableSlotsMax - 1; slot >= this.tableSlotsMax; slot--) this.freeTables.push(slot);
    for (let slot = partitionSlotsMax - 1; slot >= this.partitionSlotsMax; slot--) this.freePartitions.push(slot);
    this.floats = floats;
    this.ints = ints;
    this.tableSlotsMax = tableSlotsMax;
    this.partitionSlotsMax = partitionSlotsMax;
  }
}

/** A view of the shared arena's buffers on another thread: the same layout, no allocation. */
export interface ArenaView {
  readonly floats: Float64Array;
  readonly ints: Int32Array;
  readonly tableSlotsMax: number;
}

/** Where a partition slot's floats start, for a view. */
export function partitionAt(view: ArenaView, slot: number): number {
  return view.tableSlotsMax * tableFloats + slot * partitionFloats;
}

export function tableAt(slot: number): number {
  return slot * tableFloats;
}

export function tableGenerationAt(ints: Int32Array, tableSlot: number): number {
  return ints[tableSlot * tableInts + TABLE_GENERATION];
}

export function provisionedAt(ints: Int32Array, tableSlot: number): boolean {
  return ints[tableSlot * tableInts + PROVISIONED] === 1;
}

export function partitionGenerationAt(view: ArenaView, slot: number): number {
  return view.ints[view.tableSlotsMax * tableInts + slot * partitionInts + PARTITION_GENERATION];
}

export function partitionOwnerAt(view: ArenaView, slot: number): number {
  return view.ints[view.tableSlotsMax * tableInts + slot * partitionInts + OWNER_TABLE_SLOT];
}

/** Takes the table's lock. */
export function lockTable(ints: Int32Array, tableSlot: number): void {
  const at = tableSlot * tableInts + LOCK;
  if (Atomics.compareExchange(ints, at, 0, lockHolder) !== 0) spinForLock(ints, at);
}

function spinForLock(ints: Int32Array, at: number): void {
  for (let spins = 1; ; spins++) {
    const holder = Atomics.compareExchange(ints, at, 0, lockHolder);
    if (holder === 0) return;
    if (holder === lockHolder) broken(`table lock at ${at} taken again by its holder (thread ${lockHolder - 1})`);
    if (!(ints.buffer instanceof SharedArrayBuffer)) broken(`private table lock at ${at} held by thread ${holder - 1}`);
    // A holder preempted in its few instructions: let it run rather than burn its processor.
    if (spins >= spinsBeforeWait) Atomics.wait(ints, at, holder, 0.05);
  }
}

/** Releases the table's lock, which this thread must hold. */
export function unlockTable(ints: Int32Array, tableSlot: number): void {
  const at = tableSlot * tableInts + LOCK;
  const holder = Atomics.compareExchange(ints, at, lockHolder, 0);
  if (holder !== lockHolder) broken(`table lock at ${at} released by thread ${lockHolder - 1} while held by ${holder === 0 ? 'none' : `thread ${holder - 1}`}`);
}

// What follows runs with the table's lock held. `meterAt` is where the meter's floats start
// (partition slot + readMeter or writeMeter), `tableBucketAt` where the table-wide bucket of the
// same direction starts (used while the table is provisioned).

/**
 * Whether a request expected to cost `units` may start; if so its units are taken at once (so
 * concurrent requests cannot all slip past an almost empty bucket), if not the throttle counted.
 */
export function admitLocked(f: Float64Array, meterAt: number, tableBucketAt: number, provisioned: boolean, adaptive: boolean, units: number, now: number): boolean {
  let ok = bucketCanTake(f, meterAt + CEILING, units, now);
  if (ok && provisioned) ok = bucketCanTake(f, meterAt + SHARE, units, now) || (adaptive && bucketCanTake(f, tableBucketAt, units, now));
  if (!ok) {
    f[meterAt + THROTTLED]++;
    return false;
  }
  takeLocked(f, meterAt, tableBucketAt, provisioned, units, now);
  return true;
}

export function takeLocked(f: Float64Array, meterAt: number, tableBucketAt: number, provisioned: boolean, units: number, now: number): void {
  if (units === 0) return;
  bucketTake(f, meterAt + CEILING, units, now);
  if (provisioned) {
    bucketTake(f, meterAt + SHARE, units, now);
    bucketTake(f, tableBucketAt, units, now);
  }
}

/** Counts consumed units, in total and in the consumed-rate window. */
export function recordLocked(f: Float64Array, meterAt: number, units: number, now: number): void {
  f[meterAt + CONSUMED] += units;
  const windowStart = f[meterAt + WINDOW_START];
  if (now - windowStart >= rateWindowMs) {
    f[meterAt + LAST_RATE] = (f[meterAt + WINDOW_UNITS] * 1000) / Math.max(rateWindowMs, now - windowStart);
    f[meterAt + WINDOW_START] = now;
    f[meterAt + WINDOW_UNITS] = 0;
  }
  f[meterAt + WINDOW_UNITS] += units;
}

/** Units per second over the last full window (zero once traffic stopped). */
export function rateLocked(f: Float64Array, meterAt: number, now: number): number {
  if (now - f[meterAt + WINDOW_START] >= 2 * rateWindowMs) return 0;
  return f[meterAt + LAST_RATE];
}

export function itemReadUnitsLocked(f: Float64Array, partitionAt: number): number {
  return f[partitionAt + readMeter + ITEM_READ_UNITS];
}

export function setItemReadUnitsLocked(f: Float64Array, partitionAt: number, units: number): void {
  f[partitionAt + readMeter + ITEM_READ_UNITS] = Math.max(1, units);
}

/** A meter's figures for GET /_monodyne/partitions (refills its buckets to `now`). */
export function meterStatsLocked(f: Float64Array, meterAt: number, tableBucketAt: number, provisioned: boolean, throttling: boolean, now: number): unknown {
  return {
    consumedUnitsPerSecond: Math.round(rateLocked(f, meterAt, now) * 100) / 100,
    consumedUnitsTotal: Math.round(f[meterAt + CONSUMED] * 100) / 100,
    provisionedUnitsPerSecond: provisioned ? bucketRate(f, meterAt + SHARE) : null,
    availableUnits: provisioned ? Math.round(bucketAvailable(f, meterAt + SHARE, now) * 100) / 100 : null,
    tableAvailableUnits: provisioned ? Math.round(bucketAvailable(f, tableBucketAt, now) * 100) / 100 : null,
    ceilingUnitsPerSecond: bucketRate(f, meterAt + CEILING),
    /** false with capacity.throttling off: the limits above are not applied. */
    throttling,
    throttledRequests: f[meterAt + THROTTLED],
  };
}

/** Offsets of a meter's share and ceiling buckets (for configure). */
export const shareBucket = SHARE;
export const ceilingBucket = CEILING;
