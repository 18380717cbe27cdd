// Which epoch wrote each log index, kept as runs (an epoch changes only at a failover or a
// hand-off, so a log of a million entries has a handful of runs): log matching compares the
// epoch at an index without reading the entry.
import { invariant } from './invariants.ts';

export class EpochRuns {
  /** starts[k]..starts[k+1]-1 were written in epochs[k]; starts ascending, epochs non-decreasing. */
  private readonly starts: number[] = [];
  private readonly epochs: number[] = [];

  /** The entry at `index` (the last one of the log) has `epoch`. */
  append(index: number, epoch: number): void {
    const n = this.epochs.length;
    if (n > 0) {
      invariant(epoch >= this.epochs[n - 1], () => `epoch went down in the log: ${epoch} after ${this.epochs[n - 1]} at index ${index}`);
      invariant(index > this.starts[n - 1], () => `epoch run appended at ${index}, not after ${this.starts[n - 1]}`);
      if (epoch === this.epochs[n - 1]) return;
    }
    this.starts.push(index);
    this.epochs.push(epoch);
  }

  /** Epoch of the entry at `index`, or -1 when no run covers it (before the first run). */
  at(index: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    if (hi < 0 || index < this.starts[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.epochs[lo];
  }

  /** Forgets indices ≥ `index` (a truncated suffix). */
  truncateFrom(index: number): void {
    while (this.starts.length > 0 && this.starts[this.starts.length - 1] >= index) {
      this.starts.pop();
      this.epochs.pop();
    }
  }

  /** Forgets runs that end before `index` (a trimmed prefix), keeping the run that covers it. */
  trimBefore(index: number): void {
    let drop = 0;
    while (drop + 1 < this.starts.length && this.starts[drop + 1] <= index) drop++;
    if (drop > 0) {
      this.starts.splice(0, drop);
      this.epochs.splice(0, drop);
    }
  }

  reset(): void {
    this.starts.length = 0;
    this.epochs.length = 0;
  }
}
