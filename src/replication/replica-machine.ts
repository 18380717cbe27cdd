// The replication protocol of one partition replica, as a pure state machine: events go in (a
// client write appended, entries received, an ack, a snapshot chunk, a tick, a fence, an
// assignment, a hand-off, a split, "your batch is durable") and one value comes out: ready()
// gathers everything the storage node must do, in order (persist: install chunks, truncate,
// append, apply the committed entries, make a split's children; send: frames to peers; answer:
// writes, reads, snapshots to start, events for the control plane), and advance() is the node's
// word that the persist part is in the batch it is about to commit. Nothing here touches LMDB, a
// ring, a timer or a thread: the storage node carries the actions out (storage-node.ts documents
// the order), and the simulator (test/replication/) drives many machines with a seeded scheduler.
//
// Log positions (documented at each field; all checked after every event by checkInvariants):
//   base ≤ applied ≤ applying ≤ committed ≤ last
//   durable ≤ last;  verified ≤ last
// The leader applies like everyone else, after commit; its write decisions see its appended but
// unapplied entries through the storage node's overlay.
import { broken, invariant } from './invariants.ts';
import { Progress, ProgressState } from './progress.ts';
import { quorumIndex } from './quorum.ts';
import { ReplicaLog, type LogSeal } from './replica-log.ts';
import { ReplicaState, isLeaderState, isRetired, leadsLog, transition, type ReplicaStateName } from './replica-state.ts';
import { ReplFrameType, type AckFrame, type EntriesFrame, type SnapshotChunkFrame, type SnapshotRequestFrame, type ReplFrame } from './frames.ts';
import { decodeLogEntry, encodeLogEntry, noopEntry, type LogEntry, type SplitEntry } from './log-entry.ts';

/** Where a partition lives, as the control plane assigns it (and the replica records it). */
export interface Membership {
  hashStart: number;
  /** Exclusive; may be 2^32. */
  hashEnd: number;
  /** The replicas that count toward W = 2 and that elections consider. */
  voters: number[];
  leader: number;
  epoch: number;
  /** Map version at which this was published. */
  version: number;
  /** Set on a partition made by a split: the partition it came from. */
  parent?: number;
  /** The map version at which the partition was made (messages.ts PartitionAssignment.since). */
  since?: number;
}

/** What a replica persists about itself (in the node's metadata, in the batch that changes it). */
export interface ReplicaRecord {
  table: string;
  pid: number;
  membership: Membership;
  state: ReplicaStateName;
  epoch: number;
  applied: number;
  /** The log holds base+1..last; base is the last index of the snapshot it was built from (or trimmed to). */
  base: number;
  baseEpoch: number;
  items: number;
  bytes: number;
  /** Retired: the index of the split entry. */
  splitIndex?: number;
}

export interface MachineConfig {
  self: number;
  /** Most entries, and bytes of entries, in one Entries frame (a frame always fits a ring). */
  entriesPerFrameMax: number;
  entriesFrameBytesMax: number;
  /** Most log entries kept; a follower (or log follower) further behind is rebuilt from a snapshot. */
  logEntriesMax: number;
  /** Entries kept behind the slowest follower, for catch-up after restarts. */
  logRetainedEntries: number;
  /** Trimming waits until this many entries can go (whole pages, not one entry per commit). */
  logTrimStep: number;
  /** Ticks without an answer before a leader resends to a follower. */
  probeTicks: number;
  /** Ticks a replica waits for its parent's split before asking its leader for a snapshot. */
  awaitSplitTicksMax: number;
  /** Ticks without a snapshot chunk before an install asks again. */
  installStallTicksMax: number;
  /** Entries appended but not committed a leader holds before it refuses writes (backpressure). */
  uncommittedEntriesMax: number;
}

/** Path counts the simulator and benchmarks read (how often each rare path ran). */
export interface ReplicationCounts {
  truncations: number;
  prevEpochRefusals: number;
  installs: number;
}

/** What the machine needs of its node: its stored log, who was declared dead, stream ids, counts. */
export interface MachineHost {
  /** Reads entries this replica's node has durably stored (the machine keeps only the recent tail in memory). */
  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[];
  /** Whether the control plane declared a peer dead: what it acknowledged, earlier acks included, no longer counts (finding N8). */
  peerFenced(node: number): boolean;
  /** A snapshot stream id, unique for the life of the node. */
  nextStreamId(): number;
  readonly counts: ReplicationCounts;
}

/** What a fenced replica tells the control plane: how far its log goes, or why it cannot lead. */
export interface FenceReport {
  state: ReplicaStateName;
  /** Whether an election may choose it (it holds a log that counts). */
  candidate: boolean;
  lastIndex: number;
  lastEpoch: number;
  /** How far its log is on its disk (elections compare these: what is not durable may be cut). */
  durableIndex: number;
  durableEpoch: number;
  applied: number;
  epoch: number;
  /** The voters and map version of the membership it knows (a publish may have reached it before the catalog). */
  voters: number[];
  version: number;
  splitIndex?: number;
}

/** Handed back to persisted() once the batch it was sealed into is durable. */
export interface SealToken {
  log: LogSeal;
  apply: number;
  installDone: boolean;
}

export type MachineEvent =
  /** This replica became its partition's leader (the node rebuilds its view of unapplied writes). */
  | { event: 'promoted' }
  /** This replica stopped leading (the node drops its view of unapplied writes). */
  | { event: 'steppedDown' }
  | { event: 'installed'; index: number }
  | { event: 'handoffReady'; index: number }
  | { event: 'splitApplied'; index: number; split: SplitEntry };

/** A frame to send, addressed to one peer. */
export interface Outgoing {
  to: number;
  frame: ReplFrame;
}

/** Snapshot chunks to write: the first one of a stream clears the replica's range and log first. */
export interface InstallWrite {
  clear: boolean;
  kv: Uint8Array[];
  /** The log followers' data (keys and values alternating). */
  fkv: Uint8Array[];
  /** Set on the last chunk: the log index the snapshot reflects (where every follower stands now). */
  index: number | null;
  /** Write-id records, four values each: write id, partition of the log position, index, Attributes. */
  ids: Array<string | number | null>;
}

export interface Append {
  index: number;
  bytes: Uint8Array;
  entry: LogEntry;
}

/**
 * Everything one step of the machine asks of its node, in the order the node carries it out:
 * persist (installs, truncation, appends, committed entries, a split's children), send, answer.
 * Valid until the next ready(): the node finishes with it within its pump.
 */
export interface Ready<W, R> {
  installs: InstallWrite[];
  /** Remove log entries from this index on, before the appends (-1: none); `truncated` are those entries. */
  truncateFrom: number;
  truncated: LogEntry[];
  appends: Append[];
  /** Committed entries to apply now, in log order: indices applyFrom+1 … applyFrom+committed.length. */
  applyFrom: number;
  committed: LogEntry[];
  /**
   * A committed split entry, everything before it applied and durable: a configuration change the
   * node carries out after the persist pass (it makes the two children); this replica has retired.
   */
  split: { index: number; entry: SplitEntry } | null;
  messages: Outgoing[];
  writesDone: W[];
  /** Writes whose outcome is unknown here (leadership lost): the router retries them, same write id. */
  writesUnknown: W[];
  readsReady: R[];
  /** Reads this replica may no longer answer (leadership lost): the router retries them. */
  readsRefused: R[];
  /** Snapshot streams to start: the node pins a snapshot of the applied data and calls snapshotStarted. */
  snapshotsToStart: Array<{ target: number; sid: number }>;
  events: MachineEvent[];
}

/** What advance() hands back: the batch's seal (null: nothing to persist), a trim, the record to write last. */
export interface Advanced {
  seal: SealToken | null;
  /** Remove log entries through this index (-1: none). */
  trimThrough: number;
  record: ReplicaRecord | null;
}

function emptyReady<W, R>(): Ready<W, R> {
  return { installs: [], truncateFrom: -1, truncated: [], appends: [], applyFrom: 0, committed: [], split: null, messages: [], writesDone: [], writesUnknown: [], readsReady: [], readsRefused: [], snapshotsToStart: [], events: [] };
}

function clearReady<W, R>(rd: Ready<W, R>): void {
  rd.installs.length = 0;
  rd.truncateFrom = -1;
  rd.truncated.length = 0;
  rd.appends.length = 0;
  rd.applyFrom = 0;
  rd.committed.length = 0;
  rd.split = null;
  rd.messages.length = 0;
  rd.writesDone.length = 0;
  rd.writesUnknown.length = 0;
  rd.readsReady.length = 0;
  rd.readsRefused.length = 0;
  rd.snapshotsToStart.length = 0;
  rd.events.length = 0;
}

export class ReplicaMachine<W, R> {
  readonly table: string;
  readonly pid: number;
  readonly self: number;
  private readonly config: MachineConfig;
  private readonly host: MachineHost;
  private readonly log: ReplicaLog;

  /** The replica's one state: its role and its phase (replica-state.ts lists the legal moves). */
  private stateNow: ReplicaStateName;
  private membershipNow: Membership;
  /** The highest epoch this replica has seen; never decreases. */
  private epochNow: number;
  /**
   * The leader this replica knows: itself exactly when its state leads the log (leadsLog); -1
   * while unknown (after a fence or a restart).
   */
  private leaderNow: number;
  /**
   * Committed: on two durable voter copies (the leader counts them; followers learn it from the
   * leader, never beyond what they verified). Moves up only. Invariant: applying ≤ committed ≤ last.
   */
  private committedNow: number;
  /**
   * Applying: committed entries handed to the node (in a ready) to apply in its next batch.
   * Moves up when ready() hands out entries. Invariant: applied ≤ applying ≤ committed.
   */
  private applying: number;
  /**
   * Applied: entries applied to the partition's data and durable there (reads see exactly these).
   * Moves up when a batch is reported durable. Invariant: base ≤ applied ≤ applying.
   */
  private appliedNow: number;
  /**
   * Follower: its log matches its current leader's through here. Moves up with matching entries,
   * back to applied when the leader changes. Invariant: verified ≤ last.
   */
  private verified: number;
  /** Leader: the index of the entry that opened its epoch; reads wait until it commits. */
  private leaderStart = 0;
  private itemsNow: number;
  private bytesNow: number;
  /** Retired: the index of the split entry. */
  private splitIndexNow = -1;
  /** The lowest index a follower of this replica's log (index, stream) still needs: trimming keeps it. */
  private retainedFrom = 0;
  /**
   * Eventually consistent reads may be served: false from an install's first chunk until the
   * batch holding its last one is durable (finding N3); applied is the snapshot's index from the
   * last chunk on, and this is what keeps reads off the items until they are in the store.
   */
  private readsAllowed = true;

  /** Leader side: each follower's and learner's progress. */
  private readonly progressByPeer = new Map<number, Progress>();
  private readonly learners = new Set<number>();
  private readonly pendingWrites: Array<{ index: number; token: W }> = [];
  private pendingWritesHead = 0;
  private readonly pendingReads: Array<{ index: number; token: R }> = [];
  private handoffTarget = -1;
  /** The epoch of the last fence (an election): the only epoch, besides a raised one, it may be promoted in. */
  private fencedAt = -1;
  private handoffReported = false;
  private splitPending: SplitEntry | null = null;
  private splitReported = false;

  /** Follower side: an ack is owed once what was appended is durable. */
  private ackDue = false;
  private ackReject = -2;
  /** Installing: the stream accepted and the next chunk expected; ticks without a chunk. */
  private installStream = -1;
  private installNextSeq = 0;
  private installTicks = 0;
  private awaitTicks = 0;
  /** The generation at which the replica was last wiped (an install began): earlier seals apply nothing. */
  private wipedAtGeneration = 0;
  private installDonePending = false;
  private recordDirty = false;

  /** The ready being gathered, and the one handed out last (reused: valid until the next ready()). */
  private out: Ready<W, R> = emptyReady();
  private handedOut: Ready<W, R> = emptyReady();
  private awaitingAdvance = false;

  constructor(table: string, pid: number, config: MachineConfig, host: MachineHost, record: ReplicaRecord, storedEpochs: ReadonlyArray<readonly [number, number]>, storedLast: number) {
    this.table = table;
    this.pid = pid;
    this.self = config.self;
    this.config = config;
    this.host = host;
    this.membershipNow = { ...record.membership, voters: record.membership.voters.slice() };
    this.stateNow = record.state;
    invariant(!leadsLog(record.state), () => `${this.name}: restored in state ${record.state} (nothing leads before an election)`);
    this.epochNow = record.epoch;
    this.leaderNow = -1;
    let base = record.base;
    let applied = record.applied;
    if (record.state === ReplicaState.Installing) {
      // Interrupted while being rebuilt: nothing it holds counts; it asks for a snapshot again.
      base = applied = 0;
      storedEpochs = [];
      storedLast = 0;
    }
    this.log = new ReplicaLog(this.name, (from, to, maxBytes) => host.readLog(table, pid, from, to, maxBytes), base, record.baseEpoch, storedEpochs, storedLast);
    this.appliedNow = this.applying = this.committedNow = this.verified = applied;
    this.itemsNow = record.items;
    this.bytesNow = record.bytes;
    this.splitIndexNow = record.splitIndex ?? -1;
    this.checkInvariants();
    invariant(this.epochNow >= this.log.lastEpoch, () => `${this.name}: restored epoch ${this.epochNow} below its last entry's ${this.log.lastEpoch}`);
  }

  /** A replica created now (new table, split child, install target): nothing in its log yet. */
  static emptyRecord(table: string, pid: number, membership: Membership, state: ReplicaStateName, baseEpoch: number): ReplicaRecord {
    return { table, pid, membership, state, epoch: membership.epoch, applied: 0, base: 0, baseEpoch, items: 0, bytes: 0 };
  }

  get name(): string {
    return `${this.table}/${this.pid}@${this.self}`;
  }

  // ---- what the node and the control plane read ------------------------------------------

  get state(): ReplicaStateName {
    return this.stateNow;
  }
  get membership(): Readonly<Membership> {
    return this.membershipNow;
  }
  get epoch(): number {
    return this.epochNow;
  }
  get leader(): number {
    return this.leaderNow;
  }
  get base(): number {
    return this.log.base;
  }
  get last(): number {
    return this.log.last;
  }
  get durable(): number {
    return this.log.durable;
  }
  get committed(): number {
    return this.committedNow;
  }
  get applied(): number {
    return this.appliedNow;
  }
  get items(): number {
    return this.itemsNow;
  }
  get bytes(): number {
    return this.bytesNow;
  }
  get splitIndex(): number {
    return this.splitIndexNow;
  }
  /** Leader: each voter's and learner's matched and applied positions (for reports). */
  followers(): Array<{ node: number; match: number; applied: number; voter: boolean }> {
    const out: Array<{ node: number; match: number; applied: number; voter: boolean }> = [];
    for (const [node, p] of this.progressByPeer) out.push({ node, match: p.match, applied: p.applied, voter: this.membershipNow.voters.includes(node) });
    return out;
  }

  record(): ReplicaRecord {
    const r: ReplicaRecord = {
      table: this.table,
      pid: this.pid,
      membership: this.membershipNow,
      state: this.stateNow,
      epoch: this.epochNow,
      // What the batch this record goes into leaves applied (records and data commit together).
      applied: this.applying,
      base: this.log.base,
      baseEpoch: this.log.baseEpoch,
      items: this.itemsNow,
      bytes: this.bytesNow,
    };
    if (this.splitIndexNow >= 0) r.splitIndex = this.splitIndexNow;
    return r;
  }

  isLeader(): boolean {
    return isLeaderState(this.stateNow);
  }

  /** Leader that may take a new client write now. */
  acceptsWrites(): boolean {
    return this.stateNow === ReplicaState.Leading;
  }

  /** Too many appended entries wait for a follower: refuse writes until they commit. */
  overloaded(): boolean {
    return this.log.last - this.committedNow >= this.config.uncommittedEntriesMax;
  }

  /** Whether a live voter other than this leader can bring a write to W = 2 (asked per write, allocates nothing). */
  hasVotingFollower(): boolean {
    const voters = this.membershipNow.voters;
    for (let i = 0; i < voters.length; i++) if (voters[i] !== this.self && !this.host.peerFenced(voters[i])) return true;
    return false;
  }

  /** Serves eventually consistent reads: its data is a committed prefix of the partition, durable here. */
  servesEventualReads(): boolean {
    return (this.stateNow === ReplicaState.Following && this.readsAllowed) || isLeaderState(this.stateNow);
  }

  ownsHash(hash32: number): boolean {
    return hash32 >= this.membershipNow.hashStart && hash32 < this.membershipNow.hashEnd;
  }

  epochAt(index: number): number {
    return this.log.epochAt(index);
  }

  /** The entry at `index`, decoded (from memory when recent). */
  entryAt(index: number): LogEntry {
    return this.log.entryAt(index);
  }

  /** Stored-or-in-memory bytes of entries from..to (inclusive), at most maxBytes (at least one entry). */
  entries(from: number, to: number, maxBytes: number): Uint8Array[] {
    return this.log.entries(from, to, maxBytes);
  }

  // ---- leader: client writes and reads ----------------------------------------------------

  /** The index the next appended entry must carry. */
  nextIndex(): number {
    return this.log.last + 1;
  }

  /** Appends an entry this leader wrote: `bytes` is `entry` encoded, at nextIndex() in this epoch. */
  append(bytes: Uint8Array, entry: LogEntry): void {
    if (!isLeaderState(this.stateNow)) broken(`${this.name}: append while ${this.stateNow}`);
    if (entry.e !== this.epochNow) broken(`${this.name}: append in epoch ${entry.e}, leader epoch ${this.epochNow}`);
    if (entry.split !== undefined && this.stateNow !== ReplicaState.Splitting) broken(`${this.name}: a split entry appended while ${this.stateNow}`);
    this.pushEntry(entry.i, entry.e, bytes, entry);
    this.checkInvariants();
  }

  /** Answer `token` once everything up to `index` is committed. */
  awaitCommit(index: number, token: W): void {
    if (index <= this.committedNow) {
      this.out.writesDone.push(token);
      return;
    }
    const pending = this.pendingWrites;
    // In log order, except a retry found at an older index: keep the queue sorted.
    if (pending.length > this.pendingWritesHead && pending[pending.length - 1].index > index) {
      let at = pending.length;
      while (at > this.pendingWritesHead && pending[at - 1].index > index) at--;
      pending.splice(at, 0, { index, token });
      return;
    }
    pending.push({ index, token });
  }

  /**
   * A read on the leader (ReadIndex): it may be answered from the applied data once every write
   * committed when it arrived is applied and this leader's own epoch has committed (so it knows
   * everything its predecessors committed). Returns true when it may be answered now.
   */
  readBarrier(token: R): boolean {
    const index = Math.max(this.committedNow, this.leaderStart);
    if (this.committedNow >= this.leaderStart && this.appliedNow >= index) return true;
    this.pendingReads.push({ index, token });
    return false;
  }

  // ---- events from the control plane and the node ----------------------------------------

  /**
   * Raises the epoch so nothing from an older leader is accepted any more, steps down if
   * leading, and reports how far the log goes (the control plane promotes the best survivor).
   */
  fence(epoch: number): FenceReport {
    if (epoch >= this.epochNow) this.fencedAt = Math.max(this.fencedAt, epoch);
    if (epoch > this.epochNow) {
      this.setEpoch(epoch);
      this.stepDown(-1);
    }
    this.checkInvariants();
    return this.report();
  }

  report(): FenceReport {
    // Retired replicas are not candidates either: the control plane elects the children instead.
    const candidate = this.stateNow === ReplicaState.Following || isLeaderState(this.stateNow);
    const r: FenceReport = {
      state: this.stateNow,
      candidate,
      lastIndex: this.log.last,
      lastEpoch: this.log.lastEpoch,
      durableIndex: this.log.durable,
      // Right after an install its snapshot may not be durable yet: nothing it holds counts then.
      durableEpoch: this.log.durable >= this.log.base ? this.log.epochAt(this.log.durable) : 0,
      applied: this.appliedNow,
      epoch: this.epochNow,
      voters: this.membershipNow.voters.slice(),
      version: this.membershipNow.version,
    };
    if (this.splitIndexNow >= 0) r.splitIndex = this.splitIndexNow;
    return r;
  }

  /**
   * A new assignment from the control plane: membership, leader and epoch. Stale ones (older
   * epoch, or older version at the same epoch) are ignored, as is everything once retired.
   */
  assign(m: Membership): void {
    if (m.epoch < this.epochNow || (m.epoch === this.epochNow && m.version < this.membershipNow.version)) return;
    if (isRetired(this.stateNow)) return;
    const epochRaised = m.epoch > this.epochNow;
    if (epochRaised) this.setEpoch(m.epoch);
    this.membershipNow = { ...m, voters: m.voters.slice() };
    this.recordDirty = true;
    for (const v of m.voters) this.learners.delete(v);
    if (m.leader === this.self) {
      if (this.isLeader() && !epochRaised) {
        this.syncProgress();
        this.checkInvariants();
        return;
      }
      // Leading is allowed in a new epoch only (an election fenced it at this epoch, or a
      // hand-off raised it): never again in an epoch it may already have written in, as a
      // restarted node would with its old assignment (finding F1).
      if (epochRaised || m.epoch === this.fencedAt) {
        this.stepDown(-1);
        this.becomeLeader();
      }
      this.checkInvariants();
      return;
    }
    if (leadsLog(this.stateNow)) this.stepDown(m.leader);
    if (this.leaderNow !== m.leader || epochRaised) this.followLeader(m.leader);
    this.checkInvariants();
  }

  /** Leader balancing: stop taking writes and say (event handoffReady) once `target` has every entry. -1 cancels. */
  handoff(target: number): boolean {
    if (target === -1) {
      if (this.stateNow === ReplicaState.HandingOff) this.stateNow = transition(this.stateNow, ReplicaState.Leading, this.name);
      this.handoffTarget = -1;
      this.checkInvariants();
      return true;
    }
    if (this.stateNow !== ReplicaState.Leading || !this.membershipNow.voters.includes(target) || target === this.self) return false;
    this.stateNow = transition(this.stateNow, ReplicaState.HandingOff, this.name);
    this.handoffTarget = target;
    this.handoffReported = false;
    this.checkHandoff();
    this.checkInvariants();
    return true;
  }

  /** Starts a split: the caller appends the split entry next; no other write is taken until it is applied. */
  beginSplit(split: SplitEntry): boolean {
    if (this.stateNow !== ReplicaState.Leading) return false;
    if (!(split.at > this.membershipNow.hashStart && split.at < this.membershipNow.hashEnd)) return false;
    this.stateNow = transition(this.stateNow, ReplicaState.Splitting, this.name);
    this.splitPending = split;
    return true;
  }

  /** A replica made by a split (or created empty for a new table) learns who leads it. */
  adoptLeader(leader: number): void {
    if (leader === this.self) this.becomeLeader();
    else this.followLeader(leader);
    this.checkInvariants();
  }

  /** An awaiting-split replica becomes a follower now that its parent's split made it (its items are the parent's). */
  fillFromSplit(m: Membership, baseEpoch: number, items: number, bytes: number): void {
    invariant(this.stateNow === ReplicaState.AwaitingSplit, () => `${this.name}: filled by a split while ${this.stateNow}`);
    this.stateNow = transition(this.stateNow, ReplicaState.Following, this.name);
    if (m.epoch > this.epochNow) this.setEpoch(m.epoch);
    // The split's leader and epoch win over a map's news of the children from an older epoch
    // (published while the leader that made the split still lived): that leader may be gone (F3).
    if (m.epoch > this.membershipNow.epoch || (m.epoch === this.membershipNow.epoch && m.version >= this.membershipNow.version)) this.membershipNow = { ...m, voters: m.voters.slice() };
    this.log.reset(0, baseEpoch, 0);
    this.appliedNow = this.applying = this.committedNow = this.verified = 0;
    this.itemsNow = items;
    this.bytesNow = bytes;
    this.readsAllowed = true;
    this.recordDirty = true;
    if (this.membershipNow.leader === this.self) this.becomeLeader();
    else this.followLeader(this.membershipNow.leader);
    this.checkInvariants();
  }

  /**
   * A split child just made on a follower tells its leader where its log ends (nowhere yet): the
   * leader made the child first, and the entries it sent before the child existed here were
   * dropped; without this it would resend them only once it probes a silent follower
   * (probeTicks), and the child's first commit, which its reads wait for, with them.
   */
  askLeaderToSend(): void {
    if (this.stateNow !== ReplicaState.Following || this.leaderNow < 0) return;
    this.ackDue = true;
    this.ackReject = this.log.last;
  }

  /**
   * A split child this replica leads because, as its parent's leader, it applied the split: the
   * child holds the parent's committed state at the split entry, and no replica can hold a
   * committed entry of the child's log that this one lacks (it is the child's first leader: had
   * another replica led it and committed anything, a survivor holding the children would have
   * been elected instead of the parent). Its reads need not wait for its first entry (the no-op)
   * to commit, which takes a follower's apply of the split and a round trip to its disk.
   */
  leadsSplitChild(): void {
    if (!isLeaderState(this.stateNow) || this.log.base !== 0 || this.committedNow !== 0) return;
    this.leaderStart = 0;
  }

  /** A split child's counts, started from an estimate, corrected once the node counted its half (split-children.ts). */
  correctCounts(items: number, bytes: number): void {
    if (items === 0 && bytes === 0) return;
    this.itemsNow = Math.max(0, this.itemsNow + items);
    this.bytesNow = Math.max(0, this.bytesNow + bytes);
    this.recordDirty = true;
  }

  /** Repair, or a follower too far behind the leader's log: wipe and rebuild from a snapshot. */
  startInstall(): void {
    if (this.stateNow !== ReplicaState.Installing) this.stateNow = transition(this.stateNow, ReplicaState.Installing, this.name);
    this.recordDirty = true;
    this.readsAllowed = false;
    this.requestSnapshot();
    this.checkInvariants();
  }

  /**
   * A peer's node was replaced by an empty one: its copy is gone, so it is no voter here until
   * the control plane publishes it as one again (after repair); nothing it says before that
   * counts toward W = 2.
   */
  forgetPeer(peer: number): void {
    this.learners.delete(peer);
    this.progressByPeer.delete(peer);
    if (!this.membershipNow.voters.includes(peer)) return;
    this.membershipNow = { ...this.membershipNow, voters: this.membershipNow.voters.filter((v) => v !== peer) };
    this.recordDirty = true;
    this.checkInvariants();
  }

  /** The node started streaming a snapshot of the applied data (at `index`) to `target`. */
  snapshotStarted(target: number, sid: number, index: number): void {
    const p = this.progressByPeer.get(target);
    if (p !== undefined) p.becomeSnapshot(index, sid);
  }

  /** Followers of this replica's log (indexes, streams, …) still need entries from `index` on: trimming keeps them. */
  retainFrom(index: number): void {
    this.retainedFrom = index;
  }

  /**
   * The node drops this replica: returns the answers it still holds (writes committed or of
   * unknown outcome, reads to refuse); nothing else it would have done matters any more. The
   * ready handed out last stays valid.
   */
  close(): Pick<Ready<W, R>, 'writesDone' | 'writesUnknown' | 'readsReady' | 'readsRefused'> {
    this.failPending();
    return this.out;
  }

  /** Periodic: resend to silent followers, restart a stalled install, give up waiting for a split. */
  tick(): void {
    if (leadsLog(this.stateNow)) {
      for (const p of this.progressByPeer.values()) {
        if (++p.silentTicks < this.config.probeTicks * (p.state === ProgressState.Snapshot ? 8 : 1)) continue;
        // Silent for long: probe (an installing follower ignores it and asks again if its stream died).
        p.silentTicks = 0;
        p.becomeProbe(p.match + 1);
        this.sendTo(p);
      }
      return;
    }
    if (this.stateNow === ReplicaState.Installing && this.leaderNow >= 0 && ++this.installTicks >= this.config.installStallTicksMax) {
      this.requestSnapshot();
    } else if (this.stateNow === ReplicaState.AwaitingSplit && this.leaderNow >= 0 && ++this.awaitTicks >= this.config.awaitSplitTicksMax) {
      this.startInstall();
    }
  }

  // ---- replication frames ---------------------------------------------------------------

  step(frame: ReplFrame): void {
    switch (frame.r) {
      case ReplFrameType.Entries:
        this.onEntries(frame);
        break;
      case ReplFrameType.Ack:
        this.onAck(frame);
        break;
      case ReplFrameType.SnapshotRequest:
        this.onSnapshotRequest(frame);
        break;
      case ReplFrameType.SnapshotChunk:
        this.onSnapshotChunk(frame);
        break;
    }
    this.checkInvariants();
  }

  private onEntries(f: EntriesFrame): void {
    if (f.e < this.epochNow) {
      // A leader of an older epoch: tell it, so it steps down (it may not know it was replaced).
      this.send(f.from, this.ackFrame(false, -1));
      return;
    }
    if (f.e > this.epochNow) {
      this.setEpoch(f.e);
      this.stepDown(f.from);
      this.followLeader(f.from);
    } else if (this.leaderNow !== f.from) {
      invariant(!leadsLog(this.stateNow), () => `${this.name}: two leaders in epoch ${f.e} (${this.self} and ${f.from})`);
      const mayLearn = this.leaderNow === -1 || this.stateNow === ReplicaState.Installing || this.stateNow === ReplicaState.AwaitingSplit || this.stateNow === ReplicaState.Retired;
      invariant(mayLearn, () => `${this.name}: leader ${f.from} in epoch ${f.e}, but ${this.leaderNow} led it`);
      this.followLeader(f.from);
    }
    switch (this.stateNow) {
      case ReplicaState.Following:
        return this.appendFromLeader(f);
      case ReplicaState.Installing:
        if (this.installStream < 0) this.requestSnapshot();
        return;
      case ReplicaState.Retired:
        // It applied the split: say so, so the leader stops keeping the parent for it.
        if (f.ack) this.ackDue = true;
        return;
      default:
        // Awaiting a split: the parent's split entry normally fills it within moments; a long wait ends in a snapshot.
        return;
    }
  }

  private appendFromLeader(f: EntriesFrame): void {
    // A refusal is always sent (the leader must learn where to resume); a match only when asked.
    if (f.ack) this.ackDue = true;
    let prev = f.prev;
    let skip = 0;
    const base = this.log.base;
    if (prev < base) {
      // Entries up to base are committed here (trimmed or from a snapshot): they match any leader's.
      skip = Math.min(base - prev, f.entries.length);
      prev += skip;
      if (prev < base) return;
    }
    if (prev > this.log.last) {
      if (this.log.last < f.base) {
        // What it lacks is no longer in the leader's log: only a snapshot can bring it back.
        this.ackDue = false;
        this.startInstall();
        return;
      }
      this.ackDue = true;
      this.ackReject = this.log.last;
      return;
    }
    // Entries up to `applied` are committed: every later leader holds the same ones (its base,
    // after a split, may carry another epoch number; what is committed still matches).
    const prevEpoch = skip > 0 ? f.epochs[skip - 1] : f.prevEpoch;
    if (prev > this.appliedNow && this.log.epochAt(prev) !== prevEpoch) {
      this.host.counts.prevEpochRefusals++;
      this.ackDue = true;
      this.ackReject = prev - 1;
      return;
    }
    for (let j = skip; j < f.entries.length; j++) {
      const index = f.prev + 1 + j;
      const epoch = f.epochs[j];
      if (index <= this.log.last) {
        if (this.log.epochAt(index) === epoch) continue;
        this.truncate(index);
      }
      invariant(epoch <= this.epochNow, () => `${this.name}: entry ${index} of epoch ${epoch} from a leader of epoch ${this.epochNow}`);
      this.pushEntry(index, epoch, f.entries[j], decodeLogEntry(f.entries[j]));
    }
    const matched = f.prev + f.entries.length;
    if (matched > this.verified) this.verified = matched;
    const commit = Math.min(f.commit, this.verified, this.log.last);
    if (commit > this.committedNow) this.committedNow = commit;
    this.ackReject = -2;
  }

  private onAck(f: AckFrame): void {
    if (f.e > this.epochNow) {
      // Someone knows a newer epoch: this replica's leadership (if any) is over (finding F10).
      this.setEpoch(f.e);
      this.stepDown(-1);
      return;
    }
    if (f.e < this.epochNow || !leadsLog(this.stateNow)) return;
    const p = this.progressByPeer.get(f.from);
    if (p === undefined) return;
    p.silentTicks = 0;
    p.applied = Math.max(p.applied, f.applied);
    if (f.ok) {
      invariant(f.i <= this.log.last, () => `${this.name}: follower ${f.from} acknowledged ${f.i}, beyond the leader's last ${this.log.last}`);
      if (f.i > p.match) p.match = f.i;
      // A follower that acknowledges a position the log still continues from is not installing
      // (any more): stream to it (a late ack from before its install cannot do this: it is behind base).
      if (p.state !== ProgressState.Snapshot || f.i >= p.snapshotIndex || f.i >= this.log.base) p.becomeReplicate();
      this.advanceCommit();
      this.checkHandoff();
      return;
    }
    if (f.i === -1) return; // a stale frame from us reached a replica of a newer epoch
    if (p.state === ProgressState.Snapshot) return;
    p.becomeProbe(Math.min(p.next, f.i + 1));
    this.sendTo(p);
  }

  private onSnapshotRequest(f: SnapshotRequestFrame): void {
    if (f.e > this.epochNow || !isLeaderState(this.stateNow)) return;
    let p = this.progressByPeer.get(f.from);
    if (p === undefined) {
      // A replica being added by repair: it is a learner until the control plane makes it a voter.
      this.learners.add(f.from);
      p = new Progress(f.from, this.log.last + 1);
      this.progressByPeer.set(f.from, p);
    }
    // The same request again (a duplicated frame): the stream it asked for is already going.
    if (p.state === ProgressState.Snapshot && p.snapshotSid === f.sid) return;
    p.becomeSnapshot(this.appliedNow, f.sid);
    p.silentTicks = 0;
    this.out.snapshotsToStart.push({ target: f.from, sid: f.sid });
  }

  private onSnapshotChunk(c: SnapshotChunkFrame): void {
    if (c.e < this.epochNow || this.stateNow !== ReplicaState.Installing || c.sid !== this.installStream || c.from !== this.leaderNow) return;
    if (c.seq !== this.installNextSeq) {
      // A chunk was lost: this stream can no longer complete; start another.
      this.requestSnapshot();
      return;
    }
    this.installTicks = 0;
    this.installNextSeq++;
    if (c.seq === 0) {
      // From here on this replica holds nothing that counts: its log is gone.
      this.log.reset(0, 0, 0);
      this.wipedAtGeneration = this.log.currentGeneration;
      this.readsAllowed = false;
      this.appliedNow = this.applying = this.committedNow = this.verified = 0;
      const rd = this.out;
      rd.truncated.length = 0;
      rd.truncateFrom = -1;
      rd.appends.length = 0;
      rd.committed.length = 0;
      rd.split = null;
    }
    this.out.installs.push({ clear: c.seq === 0, kv: c.kv, fkv: c.fkv, ids: c.ids, index: c.done ? c.index : null });
    if (!c.done) return;
    this.stateNow = transition(this.stateNow, ReplicaState.Following, this.name);
    this.installStream = -1;
    // Durable only once the batch holding the chunks is (and eventual reads wait for that, finding N3).
    this.log.reset(c.index, c.indexEpoch, 0);
    this.appliedNow = this.applying = this.committedNow = this.verified = c.index;
    this.itemsNow = c.items;
    this.bytesNow = c.bytes;
    if (c.e > this.epochNow) this.setEpoch(c.e);
    this.recordDirty = true;
    this.installDonePending = true;
    this.ackDue = true;
    this.host.counts.installs++;
  }

  // ---- the node's side: ready, advance, persisted ------------------------------------------

  /**
   * Everything to do now, in order (see Ready). The node carries out its persist part, calls
   * advance(), commits its batch, then sends and answers. Committed entries are handed out once.
   */
  ready(): Ready<W, R> {
    invariant(!this.awaitingAdvance, () => `${this.name}: ready() again before advance()`);
    const rd = this.out;
    this.collectCommitted(rd);
    this.collectMessages(rd);
    // The ready handed out last time is no longer in use: it gathers from now on.
    clearReady(this.handedOut);
    this.out = this.handedOut;
    this.handedOut = rd;
    this.awaitingAdvance = true;
    this.checkInvariants();
    return rd;
  }

  /**
   * The node put `rd`'s persist part into the batch it is about to commit (and, for a split,
   * made the children): returns the seal for that batch (null when nothing needs persisting), a
   * trim, and the record to write last.
   */
  advance(rd: Ready<W, R>): Advanced {
    invariant(this.awaitingAdvance && rd === this.handedOut, () => `${this.name}: advance() of a ready that was not handed out last`);
    this.awaitingAdvance = false;
    const trimThrough = this.trimLog();
    const persists = rd.installs.length > 0 || rd.truncateFrom >= 0 || rd.appends.length > 0 || rd.committed.length > 0 || rd.split !== null || trimThrough >= 0 || this.recordDirty;
    if (!persists) return { seal: null, trimThrough: -1, record: null };
    const applies = rd.committed.length > 0 || rd.split !== null || rd.installs.length > 0;
    const record = this.recordDirty || applies ? this.record() : null;
    this.recordDirty = false;
    const seal: SealToken = { log: this.log.seal(), apply: this.applying, installDone: this.installDonePending };
    this.installDonePending = false;
    return { seal, trimThrough, record };
  }

  /** The batch sealed with `seal` is durable (and visible to reads). */
  persisted(seal: SealToken): void {
    this.log.persisted(seal.log);
    const current = seal.log.generation >= this.wipedAtGeneration;
    if (current && seal.apply > this.appliedNow) {
      invariant(seal.apply <= this.applying && seal.apply <= this.committedNow, () => `${this.name}: applied ${seal.apply} beyond applying ${this.applying} / committed ${this.committedNow}`);
      this.appliedNow = seal.apply;
    }
    if (current && seal.installDone && this.stateNow === ReplicaState.Following) {
      this.readsAllowed = true;
      this.out.events.push({ event: 'installed', index: this.appliedNow });
    }
    this.log.dropTail(Math.min(this.appliedNow, this.log.durable));
    if (leadsLog(this.stateNow)) {
      this.advanceCommit();
      this.releaseReads();
    }
    if (this.stateNow === ReplicaState.RetiredLeader && this.appliedNow >= this.splitIndexNow && !this.splitReported && this.splitPending !== null) {
      this.splitReported = true;
      this.out.events.push({ event: 'splitApplied', index: this.splitIndexNow, split: this.splitPending });
    }
    this.checkInvariants();
  }

  // ---- internals ---------------------------------------------------------------------

  /** Committed entries not yet handed out, up to (not including) a split entry, which goes alone. */
  private collectCommitted(rd: Ready<W, R>): void {
    if (this.applying >= this.committedNow) return;
    if (this.stateNow !== ReplicaState.Following && !isLeaderState(this.stateNow)) return;
    rd.applyFrom = this.applying;
    for (let i = this.applying + 1; i <= this.committedNow; i++) {
      const entry = this.log.entryAt(i);
      if (entry.split !== undefined) {
        // Applied alone, once everything before it is applied and durable (its halves are counted on it).
        if (rd.committed.length === 0 && this.appliedNow === this.applying) this.takeSplit(rd, i, entry.split);
        break;
      }
      rd.committed.push(entry);
      for (const mu of entry.m) {
        this.itemsNow += mu.d;
        this.bytesNow += mu.z;
      }
      this.applying = i;
    }
  }

  /** The split entry at `index` is applied now: this replica retires; the node makes the children. */
  private takeSplit(rd: Ready<W, R>, index: number, split: SplitEntry): void {
    invariant(index === this.applying + 1 && index <= this.committedNow, () => `${this.name}: split at ${index} applied out of order (applying ${this.applying}, committed ${this.committedNow})`);
    rd.split = { index, entry: split };
    this.applying = index;
    this.splitIndexNow = index;
    this.recordDirty = true;
    if (isLeaderState(this.stateNow)) {
      // Reads waiting here go to the children, as the router retries them; no write can be waiting
      // (none is taken after a split entry, and those before it are committed with it).
      this.failPending();
      this.splitPending = split;
      this.stateNow = transition(this.stateNow, ReplicaState.RetiredLeader, this.name);
    } else {
      this.stateNow = transition(this.stateNow, ReplicaState.Retired, this.name);
    }
  }

  /** Frames each peer needs now (new entries, commit news, an owed ack). */
  private collectMessages(_rd: Ready<W, R>): void {
    if (leadsLog(this.stateNow)) {
      for (const p of this.progressByPeer.values()) this.sendTo(p);
      return;
    }
    if (!this.ackDue || this.leaderNow < 0) return;
    if (this.stateNow === ReplicaState.Retired) {
      this.ackDue = false;
      this.send(this.leaderNow, this.ackFrame(true, Math.min(this.verified, this.log.last)));
      return;
    }
    if (this.stateNow !== ReplicaState.Following) return;
    if (this.ackReject >= -1) {
      this.ackDue = false;
      this.send(this.leaderNow, this.ackFrame(false, this.ackReject));
      this.ackReject = -2;
      return;
    }
    // An ack says "durable and matching through i": wait until what was appended is durable.
    const matched = Math.min(this.verified, this.log.last);
    if (this.log.durable < matched) return;
    this.ackDue = false;
    this.send(this.leaderNow, this.ackFrame(true, matched));
  }

  private requestSnapshot(): void {
    this.installTicks = 0;
    this.installNextSeq = 0;
    if (this.leaderNow < 0) {
      this.installStream = -1;
      return;
    }
    this.installStream = this.host.nextStreamId();
    this.send(this.leaderNow, { r: ReplFrameType.SnapshotRequest, t: this.table, p: this.pid, from: this.self, e: this.epochNow, sid: this.installStream });
  }

  private pushEntry(index: number, epoch: number, bytes: Uint8Array, entry: LogEntry): void {
    if (epoch > this.epochNow) broken(`${this.name}: entry of epoch ${epoch} in a replica of epoch ${this.epochNow}`);
    this.log.push(index, epoch, bytes, entry);
    this.out.appends.push({ index, bytes, entry });
  }

  /** Drops the log suffix from `index` on: entries appended but never committed. */
  private truncate(index: number): void {
    const removed = this.log.truncate(index, this.committedNow);
    invariant(index > this.applying, () => `${this.name}: truncating at ${index}, at or below what it applies (${this.applying})`);
    this.host.counts.truncations++;
    const rd = this.out;
    for (const e of removed) rd.truncated.push(e);
    // Appends of this ready past the cut never reach the store.
    while (rd.appends.length > 0 && rd.appends[rd.appends.length - 1].index >= index) rd.appends.pop();
    if (rd.truncateFrom === -1 || index < rd.truncateFrom) rd.truncateFrom = index;
    if (this.verified > this.log.last) this.verified = this.log.last;
  }

  private setEpoch(epoch: number): void {
    invariant(epoch >= this.epochNow, () => `${this.name}: epoch would go down from ${this.epochNow} to ${epoch}`);
    this.epochNow = epoch;
    this.recordDirty = true;
  }

  /** Follows `leader` (a new one, or the first one known): its log is verified afresh. */
  private followLeader(leader: number): void {
    invariant(!leadsLog(this.stateNow), () => `${this.name}: told to follow ${leader} while ${this.stateNow}`);
    this.leaderNow = leader;
    this.verified = Math.min(this.verified, this.appliedNow);
    // An ack owed to the previous leader is not owed to this one. Sent with the new epoch to a
    // leader-to-be whose own assignment is still on its way, it would raise that replica's epoch
    // first, and it would then refuse to lead in an epoch it already knew.
    this.ackDue = false;
    this.ackReject = -2;
    if (this.stateNow === ReplicaState.Installing && leader >= 0) this.requestSnapshot(); // from the new leader
  }

  private becomeLeader(): void {
    if (this.stateNow !== ReplicaState.Following) {
      // Installing, awaiting a split or retired: it holds nothing an election should have picked.
      this.leaderNow = -1;
      return;
    }
    this.stateNow = transition(this.stateNow, ReplicaState.Leading, this.name);
    this.leaderNow = this.self;
    this.progressByPeer.clear();
    this.syncProgress();
    this.handoffTarget = -1;
    this.ackDue = false;
    // An entry of its own epoch first: once it commits, so has everything before it (a leader
    // counts copies only of its own epoch's entries, as in Raft), and reads wait for it.
    const index = this.log.last + 1;
    const noop = noopEntry(this.epochNow, index);
    const split = this.unappliedSplit();
    this.pushEntry(index, this.epochNow, encodeLogEntry(noop), noop);
    this.leaderStart = index;
    if (split !== null) {
      // A predecessor appended a split: no write may follow it; this leader finishes it (the
      // no-op after it carries nothing, and the parent is retired at the split entry).
      this.stateNow = transition(this.stateNow, ReplicaState.Splitting, this.name);
      this.splitPending = split;
    }
    this.out.events.push({ event: 'promoted' });
  }

  /** A split entry among the entries not yet applied (at most one: nothing but no-ops follows it). */
  private unappliedSplit(): SplitEntry | null {
    for (let i = this.log.last; i > this.applying; i--) {
      const split = this.log.entryAt(i).split;
      if (split !== undefined) return split;
    }
    return null;
  }

  /** Progress for every voter and learner (new ones probe from the end of the log). */
  private syncProgress(): void {
    for (const v of this.membershipNow.voters) {
      if (v !== this.self && !this.progressByPeer.has(v)) this.progressByPeer.set(v, new Progress(v, this.log.last + 1));
    }
    for (const [node] of this.progressByPeer) {
      if (!this.membershipNow.voters.includes(node) && !this.learners.has(node)) this.progressByPeer.delete(node);
    }
  }

  /** Leadership (if any) is over: writes waiting here have an unknown outcome, reads go elsewhere. */
  private stepDown(newLeader: number): void {
    if (isLeaderState(this.stateNow)) {
      this.failPending();
      this.stateNow = transition(this.stateNow, ReplicaState.Following, this.name);
      this.out.events.push({ event: 'steppedDown' });
    } else if (this.stateNow === ReplicaState.RetiredLeader) {
      this.stateNow = transition(this.stateNow, ReplicaState.Retired, this.name);
    }
    this.progressByPeer.clear();
    this.learners.clear();
    this.handoffTarget = -1;
    if (!isRetired(this.stateNow)) this.splitPending = null;
    this.leaderNow = newLeader;
  }

  private failPending(): void {
    for (let i = this.pendingWritesHead; i < this.pendingWrites.length; i++) this.out.writesUnknown.push(this.pendingWrites[i].token);
    this.pendingWrites.length = 0;
    this.pendingWritesHead = 0;
    for (const r of this.pendingReads) this.out.readsRefused.push(r.token);
    this.pendingReads.length = 0;
  }

  private advanceCommit(): void {
    const matches: number[] = [];
    for (const v of this.membershipNow.voters) {
      if (v === this.self) continue;
      const p = this.progressByPeer.get(v);
      // A voter declared dead counts for nothing, not even what it acknowledged before (N8).
      matches.push(p === undefined || this.host.peerFenced(v) ? 0 : p.match);
    }
    const q = Math.min(quorumIndex(this.log.durable, matches), this.log.last);
    if (q <= this.committedNow) return;
    // Copies count only for entries of this leader's epoch: an older one is committed with the
    // first of its own epoch after it (Raft §5.4.2; a leader's first entry is its no-op).
    if (this.log.epochAt(q) !== this.epochNow) return;
    this.committedNow = q;
    const pending = this.pendingWrites;
    while (this.pendingWritesHead < pending.length && pending[this.pendingWritesHead].index <= q) {
      this.out.writesDone.push(pending[this.pendingWritesHead].token);
      this.pendingWritesHead++;
    }
    if (this.pendingWritesHead > 1024 && this.pendingWritesHead * 2 > pending.length) {
      pending.splice(0, this.pendingWritesHead);
      this.pendingWritesHead = 0;
    }
    this.checkHandoff();
  }

  private releaseReads(): void {
    if (this.pendingReads.length === 0 || this.committedNow < this.leaderStart) return;
    let kept = 0;
    for (const r of this.pendingReads) {
      if (r.index <= this.appliedNow) this.out.readsReady.push(r.token);
      else this.pendingReads[kept++] = r;
    }
    this.pendingReads.length = kept;
  }

  private checkHandoff(): void {
    if (this.stateNow !== ReplicaState.HandingOff || this.handoffReported) return;
    const p = this.progressByPeer.get(this.handoffTarget);
    if (p === undefined || p.match < this.log.last || this.committedNow < this.log.last) return;
    this.handoffReported = true;
    this.out.events.push({ event: 'handoffReady', index: this.log.last });
  }

  /** Sends a peer the entries it lacks (bounded frames), or the commit index it has not heard. */
  private sendTo(p: Progress): void {
    if (p.state === ProgressState.Snapshot) return;
    if (p.state === ProgressState.Probe && p.probeOut) return;
    const log = this.log;
    if (p.next <= log.base) {
      // Behind what the log still holds: only a snapshot can bring it back; it asks for one.
      this.send(p.node, this.entriesFrame(log.base, [], true));
      p.probeOut = p.state === ProgressState.Probe;
      p.commitSent = this.committedNow;
      return;
    }
    if (p.next > log.last) {
      if (p.commitSent >= this.committedNow && p.state === ProgressState.Replicate) return;
      this.send(p.node, this.entriesFrame(p.next - 1, [], p.state !== ProgressState.Replicate));
      p.commitSent = this.committedNow;
      p.probeOut = p.state === ProgressState.Probe;
      return;
    }
    do {
      const prev = p.next - 1;
      const to = Math.min(log.last, prev + this.config.entriesPerFrameMax);
      const entries = log.entries(p.next, to, this.config.entriesFrameBytesMax);
      this.send(p.node, this.entriesFrame(prev, entries, true));
      p.commitSent = this.committedNow;
      p.next += entries.length;
      if (p.state === ProgressState.Probe) {
        p.probeOut = true;
        return;
      }
    } while (p.next <= log.last);
  }

  private entriesFrame(prev: number, entries: Uint8Array[], ack: boolean): EntriesFrame {
    const epochs: number[] = new Array(entries.length);
    for (let j = 0; j < entries.length; j++) epochs[j] = this.log.epochAt(prev + 1 + j);
    return { r: ReplFrameType.Entries, t: this.table, p: this.pid, from: this.self, e: this.epochNow, prev, prevEpoch: this.log.epochAt(prev), base: this.log.base, entries, epochs, commit: this.committedNow, ack };
  }

  private send(to: number, frame: ReplFrame): void {
    this.out.messages.push({ to, frame });
  }

  private ackFrame(ok: boolean, i: number): AckFrame {
    return { r: ReplFrameType.Ack, t: this.table, p: this.pid, from: this.self, e: this.epochNow, ok, i, applied: this.appliedNow };
  }

  /**
   * How far the log may be trimmed now (-1: not now): entries every follower has (keeping
   * logRetainedEntries of them for catch-up) and every follower of the log has taken, but never
   * more than logEntriesMax entries kept (a follower further behind gets a snapshot; a follower of
   * the log further behind is rebuilt).
   */
  private trimLog(): number {
    const c = this.config;
    const log = this.log;
    let keepAfter = Math.min(this.appliedNow - Math.min(c.logRetainedEntries, c.logEntriesMax), this.retainedFrom - 1);
    if (leadsLog(this.stateNow)) {
      for (const p of this.progressByPeer.values()) {
        const needs = p.state === ProgressState.Snapshot ? p.snapshotIndex : p.match;
        if (needs >= 0) keepAfter = Math.min(keepAfter, needs - c.logRetainedEntries);
      }
    }
    keepAfter = Math.max(keepAfter, log.last - c.logEntriesMax);
    const upTo = Math.min(keepAfter, this.appliedNow, log.durable, log.storedThrough);
    if (upTo - log.base < c.logTrimStep && log.last - log.base <= c.logEntriesMax) return -1;
    if (upTo <= log.base) return -1;
    log.trim(upTo);
    this.recordDirty = true;
    return upTo;
  }

  /** The chain of positions and the role, checked after every event (TigerBeetle's invariants()). */
  private checkInvariants(): void {
    const log = this.log;
    log.check();
    if (!(log.base <= this.appliedNow && this.appliedNow <= this.applying && this.applying <= this.committedNow && this.committedNow <= log.last)) broken(`${this.name}: positions base ${log.base} applied ${this.appliedNow} applying ${this.applying} committed ${this.committedNow} last ${log.last}`);
    if (this.verified > log.last) broken(`${this.name}: verified ${this.verified} beyond last ${log.last}`);
    if (this.epochNow < log.lastEpoch) broken(`${this.name}: epoch ${this.epochNow} below its last entry's ${log.lastEpoch}`);
    if (leadsLog(this.stateNow) !== (this.leaderNow === this.self)) broken(`${this.name}: state ${this.stateNow} but leader ${this.leaderNow}`);
    if (isRetired(this.stateNow) && this.splitIndexNow < 0) broken(`${this.name}: retired without a split index`);
  }
}
