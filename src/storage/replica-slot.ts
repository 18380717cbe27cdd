// A replica as its storage node holds it: the replication state machine, the positions of the
// log's followers on it, while it leads its view of the writes appended but not yet applied
// (the overlay its write decisions read), and what the node has in progress for it.
import type { ReplicaMachine, Ready } from '../replication/replica-machine.ts';
import type { GetRequest, RangeRequest, OutboxRequest } from './messages.ts';
import type { FollowedReplica } from './log-follower.ts';
import type { FollowerPositions } from './node-store.ts';
import { UnappliedWrites } from './unapplied-writes.ts';

/** A client write's answer, held until its entry (or, for a write that changed nothing, the state it saw) is committed. */
export interface WriteAnswer {
  id: number;
  /** ReturnValues Attributes as JSON text, or null. */
  attributes: string | null;
  /** A DynamoDB error to answer instead (e.g. ConditionalCheckFailedException), or null. */
  err: string | null;
  msg: string | null;
  /** The item returned with a failed condition (ReturnValuesOnConditionCheckFailure), JSON text. */
  errItem: string | null;
  /** The larger of the item's old and new sizes: what the write is charged for. */
  bytes: number;
  /** Backfill: where its next page starts (null: the partition is done), how many items this page brought, where the partition ends. */
  next?: Uint8Array | null;
  count?: number;
  hashEnd?: number;
  /** A table with local indexes: the size of the written item's collection afterwards (ReturnItemCollectionMetrics). */
  collectionBytes?: number;
  /** IndexBatch: write units of its entries. */
  units?: number;
  /** Local indexes' write units (charged to the table), and with rc each index's. */
  localUnits?: number;
  indexUnits?: Record<string, number>;
}

/** A read held until the leader's data covers every write committed before it arrived. */
export type ReadToken = GetRequest | RangeRequest | OutboxRequest;

export type SlotMachine = ReplicaMachine<WriteAnswer, ReadToken>;

export class ReplicaSlot implements FollowedReplica {
  readonly machine: SlotMachine;
  /** Leader only: appended, not yet applied writes by key, built in epoch `overlayEpoch`. */
  unapplied: UnappliedWrites | null = null;
  private overlayEpoch = -1;
  /**
   * The last index handed to the item store here (the machine's applying, as the node saw it: the
   * node's own count, checked against each ready it applies). Invariant: followers' positions ≤ it.
   */
  appliedTo: number;
  /** Each log follower's position here (the item store's is the machine's applied index). */
  readonly positions: FollowerPositions;
  positionsDirty = false;
  /** Ticks since it retired as a split's leader: how long its followers have had to apply the split. */
  retiredTicks = 0;
  /** Snapshot streams asked for and not started yet (they start once the followers caught up with the data). */
  readonly snapshotsWaiting: Array<{ target: number; sid: number }> = [];
  /** The ready taken in this pump, until the node has sent and answered what it holds. */
  ready: Ready<WriteAnswer, ReadToken> | null = null;

  constructor(machine: SlotMachine, positions: FollowerPositions) {
    this.machine = machine;
    this.positions = positions;
    this.appliedTo = machine.applied;
  }

  get table(): string {
    return this.machine.table;
  }
  get pid(): number {
    return this.machine.pid;
  }
  get hashStart(): number {
    return this.machine.membership.hashStart;
  }
  get hashEnd(): number {
    return this.machine.membership.hashEnd;
  }
  get since(): number {
    return this.machine.membership.since ?? 0;
  }

  /** The overlay a write decision reads: rebuilt whenever this replica leads in a new epoch (finding N7). */
  overlay(): UnappliedWrites | null {
    const m = this.machine;
    if (!m.acceptsWrites()) return null;
    if (this.unapplied === null || this.overlayEpoch !== m.epoch) {
      const overlay = new UnappliedWrites();
      for (let i = m.applied + 1; i <= m.last; i++) overlay.addEntry(m.entryAt(i));
      this.unapplied = overlay;
      this.overlayEpoch = m.epoch;
    }
    return this.unapplied;
  }

  /** Leadership ended: the overlay is of no use to anyone. */
  dropOverlay(): void {
    this.unapplied = null;
    this.overlayEpoch = -1;
  }

  /** Sets a follower's position (written with the batch that holds what it took). */
  setPosition(follower: string, index: number): void {
    if (this.positions[follower] === index) return;
    this.positions[follower] = index;
    this.positionsDirty = true;
  }

  /** The lowest index any follower of the log still needs here (Infinity: no follower but the item store). */
  neededFrom(): number {
    let needed = Infinity;
    for (const name in this.positions) needed = Math.min(needed, this.positions[name] + 1);
    return needed;
  }
}
