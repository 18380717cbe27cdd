// Admission on another thread (the second front door): admits and charges against the main
// thread's meters in shared memory (Admission.sharedState()), so that throttling, consumed
// capacity and the consumed-rate figures behave as if there were one thread. It finds a table's
// meters through the directory the main thread ships it (Admission.directory()); every method
// answers "unknown" (false, or null) when the directory has gone stale (the table was forgotten
// or reconfigured and the slot reused, or the pid is not in it): the caller then hands the
// request to the main thread, which knows. It never admits a meter it cannot find.
import { DynamoError } from '../protocol/errors.ts';
import {
  admitLocked, itemReadUnitsLocked, lockTable, partitionAt, partitionGenerationAt, partitionOwnerAt, provisionedAt, readMeter,
  recordLocked, setItemReadUnitsLocked, tableAt, tableGenerationAt, tableReadBucket, tableWriteBucket, takeLocked, unlockTable,
  writeMeter, AdmissionInvariantError,
} from './meter-arena.ts';
import { onDemandMessage, provisionedMessage, type AdmissionSharedState, type Direction, type MeterDirectory, type PartitionSlotRef } from './admission.ts';

export class AttachedAdmission {
  readonly floats: Float64Array;
  readonly ints: Int32Array;
  readonly tableSlotsMax: number;
  private readonly adaptive: boolean;
  private readonly throttling: boolean;

  constructor(state: AdmissionSharedState) {
    this.floats = new Float64Array(state.floats);
    this.ints = new Int32Array(state.ints);
    this.tableSlotsMax = state.tableSlotsMax;
    this.adaptive = state.adaptive === 1;
    this.throttling = state.throttling === 1;
  }

  /**
   * As Admission.admit: takes `units` or throws ProvisionedThroughputExceededException (with
   * capacity.throttling off, admits everything); false: unknown meter, ask the main thread.
   */
  admit(dir: MeterDirectory, pid: number, direction: Direction, units: number, now = Date.now()): boolean {
    return this.admitHeld(dir, pid, direction, false, units, now) !== null;
  }

  /**
   * admit() of an eventually consistent read, with its expected units read in the same hold of the
   * table's lock (each hold is a window in which a preempted holder stalls the other threads): a
   * point read is admitted for what expectedReadUnits expects, any other for `units`. The units
   * admitted, or null: unknown meter, ask the main thread.
   */
  admitRead(dir: MeterDirectory, pid: number, pointRead: boolean, units: number, now = Date.now()): number | null {
    return this.admitHeld(dir, pid, 'read', pointRead, units, now);
  }

  private admitHeld(dir: MeterDirectory, pid: number, direction: Direction, expected: boolean, units: number, now: number): number | null {
    const ref = dir.partitions.get(pid);
    if (ref === undefined) return null;
    const slot = dir.tableSlot;
    lockTable(this.ints, slot);
    if (!this.current(dir, ref)) {
      unlockTable(this.ints, slot);
      return null;
    }
    const at = partitionAt(this, ref.slot);
    if (expected) units = itemReadUnitsLocked(this.floats, at) / 2;
    if (!this.throttling) {
      unlockTable(this.ints, slot);
      return units;
    }
    const provisioned = provisionedAt(this.ints, slot);
    const meterAt = at + (direction === 'read' ? readMeter : writeMeter);
    const tableBucketAt = tableAt(slot) + (direction === 'read' ? tableReadBucket : tableWriteBucket);
    const ok = admitLocked(this.floats, meterAt, tableBucketAt, provisioned, this.adaptive, units, now);
    unlockTable(this.ints, slot);
    if (!ok) throw new DynamoError('ProvisionedThroughputExceededException', provisioned ? provisionedMessage : onDemandMessage);
    return units;
  }

  /** As Admission.expectedReadUnits; null: unknown meter, ask the main thread. */
  expectedReadUnits(dir: MeterDirectory, pid: number, consistent: boolean): number | null {
    const ref = dir.partitions.get(pid);
    if (ref === undefined) return null;
    lockTable(this.ints, dir.tableSlot);
    const known = this.current(dir, ref);
    const units = known ? itemReadUnitsLocked(this.floats, partitionAt(this, ref.slot)) : 0;
    unlockTable(this.ints, dir.tableSlot);
    if (!known) return null;
    return consistent ? units : units / 2;
  }

  /** As Admission.noteItemReadUnits; false: unknown meter, nothing noted. */
  noteItemReadUnits(dir: MeterDirectory, pid: number, units: number): boolean {
    const ref = dir.partitions.get(pid);
    if (ref === undefined) return false;
    lockTable(this.ints, dir.tableSlot);
    const known = this.current(dir, ref);
    if (known) setItemReadUnitsLocked(this.floats, partitionAt(this, ref.slot), units);
    unlockTable(this.ints, dir.tableSlot);
    return known;
  }

  /** As Admission.charge; false: unknown meter, nothing charged (hand the charge to the main thread). */
  charge(dir: MeterDirectory, pid: number, direction: Direction, units: number, admitted: number, now = Date.now()): boolean {
    return this.settle(dir, pid, direction, units, admitted, -1, now);
  }

  /** As Admission.settle: charge(), and noteItemReadUnits(itemReadUnits) when it is 0 or more, in one hold of the lock; false: unknown meter, nothing done. */
  settle(dir: MeterDirectory, pid: number, direction: Direction, units: number, admitted: number, itemReadUnits: number, now = Date.now()): boolean {
    const ref = dir.partitions.get(pid);
    if (ref === undefined) return false;
    const slot = dir.tableSlot;
    lockTable(this.ints, slot);
    if (!this.current(dir, ref)) {
      unlockTable(this.ints, slot);
      return false;
    }
    const at = partitionAt(this, ref.slot);
    const meterAt = at + (direction === 'read' ? readMeter : writeMeter);
    if (this.throttling) {
      const tableBucketAt = tableAt(slot) + (direction === 'read' ? tableReadBucket : tableWriteBucket);
      takeLocked(this.floats, meterAt, tableBucketAt, provisionedAt(this.ints, slot), units - admitted, now);
    }
    recordLocked(this.floats, meterAt, units, now);
    if (itemReadUnits >= 0) setItemReadUnitsLocked(this.floats, at, itemReadUnits);
    unlockTable(this.ints, slot);
    return true;
  }

  /**
   * Whether the directory's table and partition slots still hold this table's meters; called
   * with the table slot's lock held, under which slots are freed (their generation bumped).
   */
  private current(dir: MeterDirectory, ref: PartitionSlotRef): boolean {
    if (tableGenerationAt(this.ints, dir.tableSlot) !== dir.tableGeneration) return false;
    if (partitionGenerationAt(this, ref.slot) !== ref.generation) return false;
    if (partitionOwnerAt(this, ref.slot) !== dir.tableSlot) {
      throw new AdmissionInvariantError(`partition slot ${ref.slot} (generation ${ref.generation}) is owned by table slot ${partitionOwnerAt(this, ref.slot)}, its directory says ${dir.tableSlot}`);
    }
    return true;
  }
}
