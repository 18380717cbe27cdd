// One replica of one partition on a storage node: its data B-tree, its replication log and,
// when it leads, the followers' acknowledged positions and the writes waiting on them.
import type { ReplicaDbs } from './node-store.ts';
import type { PartitionAssignment } from './messages.ts';

/**
 * A client write's answer, held until one follower has everything up to `index` (W = 2). Answers
 * that change nothing (a failed condition, a delete of a missing item) wait too, so no client
 * sees a state that is not yet on two replicas.
 */
export interface PendingWrite {
  index: number;
  requestId: number;
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

export class PartitionReplica {
  readonly table: string;
  readonly pid: number;
  hashStart: number;
  hashEnd: number;
  replicas: number[];
  leader: number;
  epoch: number;
  version: number;
  readonly dbs: ReplicaDbs;
  /** Highest log index applied and committed here (0 = empty log). */
  appliedIndex: number;
  /** Lowest log index still kept (entries below were trimmed). */
  logFirstIndex: number;

  /** Leader: each follower's highest durably applied index. */
  readonly followerAcked = new Map<number, number>();
  /** Leader: writes committed locally, in log order, not yet acknowledged by a follower. */
  readonly pending: PendingWrite[] = [];
  pendingHead = 0;
  /** Entries appended in the current write transaction (as their log bytes), sent to followers after it commits. */
  staged: Uint8Array[] = [];
  /** Follower: a gap was seen; the leader has been asked to resend after this index. */
  resendRequestedAfter = -1;
  /** A new replica receiving its snapshot: it serves nothing until the snapshot is complete. */
  installing = false;
  /** Leader handing its leadership to this node (-1: not handing off): it takes no writes meanwhile. */
  handoffTo = -1;
  /** Split into two partitions (at this map version): serves nothing, kept until its last entries are acknowledged. */
  retiredAtVersion = 0;
  /** A partition made by a split that this replica has not reached yet in its parent's log. */
  awaitingSplit = false;
  /** For a partition made by a split: the partition it came from (-1: none). */
  parentPid = -1;

  get retired(): boolean {
    return this.retiredAtVersion > 0;
  }

  /** What this replica knows about its partition, as the control plane's map records it. */
  assignment(): PartitionAssignment {
    const a: PartitionAssignment = {
      table: this.table,
      pid: this.pid,
      hashStart: this.hashStart,
      hashEnd: this.hashEnd,
      replicas: this.replicas,
      leader: this.leader,
      epoch: this.epoch,
      version: this.version,
    };
    if (this.parentPid !== -1) a.parent = this.parentPid;
    return a;
  }

  /** `snapshotIndex`: the log index of the snapshot this replica was built from, if any (its log starts after it). */
  constructor(assignment: PartitionAssignment, dbs: ReplicaDbs, snapshotIndex = 0) {
    this.table = assignment.table;
    this.pid = assignment.pid;
    this.hashStart = assignment.hashStart;
    this.hashEnd = assignment.hashEnd;
    this.replicas = assignment.replicas;
    this.leader = assignment.leader;
    this.epoch = assignment.epoch;
    this.version = assignment.version;
    this.parentPid = assignment.parent ?? -1;
    this.dbs = dbs;
    this.appliedIndex = snapshotIndex;
    this.logFirstIndex = snapshotIndex + 1;
    for (const key of dbs.log.getKeys({ reverse: true, limit: 1 })) this.appliedIndex = Math.max(key, snapshotIndex);
    for (const key of dbs.log.getKeys({ limit: 1 })) this.logFirstIndex = key;
  }

  update(assignment: PartitionAssignment): void {
    // An assignment can arrive after this replica already learned a newer epoch from its new
    // leader's entries; the epoch never goes back.
    if (assignment.epoch < this.epoch) return;
    if (assignment.leader !== this.leader) this.handoffTo = -1;
    this.hashStart = assignment.hashStart;
    this.hashEnd = assignment.hashEnd;
    this.replicas = assignment.replicas;
    this.leader = assignment.leader;
    this.epoch = assignment.epoch;
    this.version = assignment.version;
  }

  followers(self: number): number[] {
    return this.replicas.filter((w) => w !== self);
  }

  /** Followers plus replicas being built from a snapshot: everyone the leader sends entries to. */
  readonly learners = new Set<number>();

  replicationTargets(self: number): number[] {
    const targets = this.followers(self);
    for (const w of this.learners) if (!targets.includes(w)) targets.push(w);
    return targets;
  }

  /** Whether the leader has anyone to replicate to (asked per write, so it allocates nothing). */
  hasReplicationTarget(self: number): boolean {
    for (const w of this.replicas) if (w !== self) return true;
    for (const w of this.learners) if (w !== self) return true;
    return false;
  }

  ownsHash(hash32: number): boolean {
    return hash32 >= this.hashStart && hash32 < this.hashEnd;
  }

  /** Highest index acknowledged by any follower: with the leader's own copy, that is W = 2. */
  bestFollowerIndex(): number {
    let best = 0;
    for (const [w, index] of this.followerAcked) {
      if (index > best && (this.replicas.includes(w) || this.learners.has(w))) best = index;
    }
    return best;
  }

  /** Lowest index every follower has: log entries at or below it are no longer needed for catch-up. */
  slowestFollowerIndex(self: number): number {
    let slowest = Infinity;
    for (const w of this.replicas) if (w !== self) slowest = Math.min(slowest, this.followerAcked.get(w) ?? 0);
    for (const w of this.learners) if (w !== self) slowest = Math.min(slowest, this.followerAcked.get(w) ?? 0);
    return slowest === Infinity ? this.appliedIndex : slowest;
  }

  /** Takes the pending writes that are now acknowledged by at least one follower. */
  takeAcknowledged(out: PendingWrite[]): void {
    const acked = this.bestFollowerIndex();
    const pending = this.pending;
    while (this.pendingHead < pending.length && pending[this.pendingHead].index <= acked) {
      out.push(pending[this.pendingHead]);
      this.pendingHead++;
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > pending.length) {
      pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** Drops pending writes (they will never be acknowledged here), e.g. when leadership moves. */
  takeAllPending(out: PendingWrite[]): void {
    for (let i = this.pendingHead; i < this.pending.length; i++) out.push(this.pending[i]);
    this.pending.length = 0;
    this.pendingHead = 0;
  }
}
