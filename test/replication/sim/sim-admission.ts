// Admission control in the simulation: the real token buckets, read on the scheduler's clock.
// The router and the control plane call Admission without a time (it then reads Date.now()), so
// a bucket would refill with the wall clock and a run would depend on how fast the machine is;
// here every call is given the virtual time instead.
import { Admission, type AdmissionOptions, type Direction } from '../../../src/admission/admission.ts';
import type { TableRecord } from '../../../src/control/table-record.ts';
import type { Scheduler } from './scheduler.ts';

/** Ceilings no scripted scenario reaches (simulate.ts sets its own). */
const unthrottled: AdmissionOptions = { burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 1e12, partitionWriteUnitsMax: 1e12 };

export class SimAdmission extends Admission {
  private readonly scheduler: Scheduler;

  constructor(scheduler: Scheduler, options: AdmissionOptions = unthrottled) {
    super(options);
    this.scheduler = scheduler;
  }

  override configure(table: TableRecord): void {
    super.configure(table, this.scheduler.now);
  }

  override admit(tableId: string, pid: number, direction: Direction, units: number): void {
    super.admit(tableId, pid, direction, units, this.scheduler.now);
  }

  /** charge() settles through this too. */
  override settle(tableId: string, pid: number, direction: Direction, units: number, admitted: number, itemReadUnits: number): void {
    super.settle(tableId, pid, direction, units, admitted, itemReadUnits, this.scheduler.now);
  }

  override unitsPerSecond(tableId: string, pid: number): number {
    return super.unitsPerSecond(tableId, pid, this.scheduler.now);
  }

  override stats(tableId: string, pid: number): unknown {
    return super.stats(tableId, pid, this.scheduler.now);
  }
}
