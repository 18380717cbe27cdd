// A replica as its storage node holds it: the replication state machine, and while it leads,
// its view of the writes appended but not yet applied (the overlay its write decisions read).
import type { ReplicaMachine } from '../replication/replica-machine.ts';
import type { GetRequest, RangeRequest } from './messages.ts';
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
}

/** A read held until the leader's data covers every write committed before it arrived. */
export type ReadToken = GetRequest | RangeRequest;

export class ReplicaSlot {
  readonly machine: ReplicaMachine<WriteAnswer, ReadToken>;
  /** Leader only: appended, not yet applied writes by key. */
  unapplied: UnappliedWrites | null = null;
  /** Ticks since it retired (a split parent): how long its followers have had to apply the split. */
  retiredTicks = 0;

  constructor(machine: ReplicaMachine<WriteAnswer, ReadToken>) {
    this.machine = machine;
  }

  /** A new leader's overlay starts from the entries its log holds beyond what it applied. */
  becameLeader(): void {
    const m = this.machine;
    const overlay = new UnappliedWrites();
    for (let i = m.applied + 1; i <= m.last; i++) overlay.addEntry(m.entryAt(i));
    this.unapplied = overlay;
  }
}
