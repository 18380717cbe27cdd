// Progress of the control plane's long work (splits, repairs, and later index backfills): shown
// by GET /_monodyne/partitions and the console, and logged once a piece of work has lasted more
// than a second — one line per step, never a flood.
import type { Clock } from './clock.ts';
import { log } from '../server/logger.ts';

/** Work that lasts less than this is not logged (most splits and repairs on small partitions). */
const quietMs = 1000;
/** Finished work shown for this long after it ends. */
const keptMs = 60_000;
const entriesMax = 500;

export interface LongWork {
  kind: 'split' | 'repair' | 'backfill';
  tableName: string;
  partition: number;
  node?: number;
  startedAt: number;
  step: string;
  done: boolean;
  /** Set once done: whether it succeeded. */
  ok?: boolean;
  endedAt?: number;
}

export class LongWorkBoard {
  private readonly clock: Clock;
  private readonly entries: LongWork[] = [];

  constructor(clock: Clock) {
    this.clock = clock;
  }

  start(kind: LongWork['kind'], tableName: string, partition: number, step: string, node?: number): WorkHandle {
    const work: LongWork = { kind, tableName, partition, startedAt: this.clock.now(), step, done: false };
    if (node !== undefined) work.node = node;
    this.entries.push(work);
    if (this.entries.length > entriesMax) this.entries.splice(0, this.entries.length - entriesMax);
    const handle = new WorkHandle(work, this.clock);
    // Past a second, say what it is doing (and every step from then on).
    this.clock.after(quietMs, () => {
      if (!work.done) handle.logStep();
    });
    return handle;
  }

  /** Work in progress, and work finished within the last minute. */
  list(): LongWork[] {
    const now = this.clock.now();
    return this.entries.filter((w) => !w.done || now - (w.endedAt ?? now) < keptMs);
  }
}

export class WorkHandle {
  private readonly work: LongWork;
  private readonly clock: Clock;
  private logged = false;

  constructor(work: LongWork, clock: Clock) {
    this.work = work;
    this.clock = clock;
  }

  step(step: string): void {
    this.work.step = step;
    if (this.logged) this.logStep();
  }

  finish(ok: boolean, step: string): void {
    this.work.step = step;
    this.work.done = true;
    this.work.ok = ok;
    this.work.endedAt = this.clock.now();
    if (this.logged) this.logStep();
  }

  logStep(): void {
    this.logged = true;
    const w = this.work;
    const seconds = ((this.clock.now() - w.startedAt) / 1000).toFixed(1);
    const where = w.node === undefined ? '' : ` on node ${w.node}`;
    log.info(`${w.kind} ${w.tableName}/${w.partition}${where}: ${w.step} (${seconds} s)`);
  }
}
