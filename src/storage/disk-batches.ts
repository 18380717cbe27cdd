// The batches a storage node hands to its store: the one being built during a pump, and those
// committed but not yet durable. A batch carries seals (which machines' writes it holds), so
// that when the store reports it durable each machine learns exactly what reached the disk.
//
// At most `inFlightMax` batches are on their way to the disk at once; meanwhile the next one
// keeps growing, so under load a commit carries what arrived during the previous one.
import type { SealToken } from '../replication/replica-machine.ts';
import type { NodeStore } from './node-store.ts';
import type { ReplicaSlot } from './replica-slot.ts';

export type Seal = [ReplicaSlot, SealToken];

export class DiskBatches {
  /** When each committed batch still waiting on the disk was committed, oldest first. */
  private readonly waitingSince: number[] = [];
  /** Bytes the batch being built writes, and those of batches committed but not yet durable. */
  private buildingBytes = 0;
  private bytesInFlight = 0;
  /** Seals of the batch being built, reported durable when it commits. */
  private seals: Seal[] = [];
  constructor(
    private readonly store: NodeStore,
    private readonly inFlightMax: number,
    private readonly now: () => number,
    /** Batches committed and log entries persisted in them (writes per commit, for benchmarks). */
    readonly stats: { batches: number; entries: number } = { batches: 0, entries: 0 },
  ) {}

  /** The batch being built takes `entries` log entries and writes about `bytes`. */
  grow(entries: number, bytes: number): void {
    this.stats.entries += entries;
    this.buildingBytes += bytes;
  }

  seal(seal: Seal): void {
    this.seals.push(seal);
  }

  /** Whether another batch may go to the disk now. */
  mayCommit(): boolean {
    return this.waitingSince.length < this.inFlightMax;
  }

  /** Whether the batch being built holds anything (it waits while mayCommit() is false). */
  held(): boolean {
    return this.seals.length > 0 || this.store.batchPending();
  }

  /**
   * Commits the batch being built (if it holds anything); `onDurable` gets its seals once the
   * store reports it durable.
   */
  commit(onDurable: (seals: Seal[]) => void): void {
    const seals = this.seals;
    this.seals = [];
    if (!this.store.batchPending() && seals.length === 0) return;
    this.waitingSince.push(this.now());
    this.stats.batches++;
    const bytes = this.buildingBytes;
    this.buildingBytes = 0;
    this.bytesInFlight += bytes;
    this.store.commit(() => {
      this.waitingSince.shift();
      this.bytesInFlight -= bytes;
      onDurable(seals);
    });
  }

  /** How long the oldest batch not yet durable has waited on the disk (0: none waits). */
  lagMs(): number {
    return this.waitingSince.length === 0 ? 0 : this.now() - this.waitingSince[0];
  }

  /**
   * Bytes of the batches on their way to the disk: their writes run in one go on this thread
   * when lmdb-js starts their transaction, a long step when they hold items of tens of megabytes.
   */
  bytesGoingToDisk(): number {
    return this.bytesInFlight;
  }

  /** Whether batches wait on the disk (their durability arrives later, through the event loop). */
  awaitsDisk(): boolean {
    return this.waitingSince.length > 0;
  }
}
