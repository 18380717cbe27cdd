// The replication protocol of one partition replica, as a pure state machine: events go in
// (a client write appended, entries received, an ack, a snapshot chunk, a tick, a fence, an
// assignment, a hand-off, a split, "your batch is durable") and actions come out, gathered on the
// machine until the storage node's loop takes them (entries to persist, entries to apply, frames
// to send to each peer, client answers now allowed, snapshots to start, events for the control
// plane). Nothing here touches LMDB, a ring, a timer or a thread: the storage node carries the
// actions out (storage-node.ts documents the order), and the simulator (test/replication/)
// drives many machines with a seeded scheduler.
//
// Log positions, per replica (every one asserted where it changes):
//   base ≤ applied ≤ committed ≤ last      entries base+1..last are in the log
//   durable ≤ last                         entries ≤ durable are on this node's disk
//   verified ≤ last                        (follower) entries ≤ verified match the leader's log
// committed: on two durable voter copies (the leader computes it; followers learn it).
// applied: committed entries written to the partition's data (reads see exactly these).
// The leader applies like everyone else, after commit; its write decisions see its appended but
// unapplied entries through the storage node's overlay.
import { invariant } from './invariants.ts';
import { EpochRuns } from './epoch-runs.ts';
import { Progress, ProgressState } from './progress.ts';
import { quorumIndex } from './quorum.ts';
import { ReplicaState, isLeaderState, transition, type ReplicaStateName } from './replica-state.ts';
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
  /** Most log entries kept; a follower further behind is rebuilt from a snapshot. */
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

/** Reads entries this replica's node has durably stored (the machine keeps only the recent tail in memory). */
export interface LogReader {
  readLog(table: string, pid: number, from: number, to: number, maxBytes: number): Uint8Array[];
}

/** What a fenced replica tells the control plane: how far its log goes, or why it cannot lead. */
export interface FenceReport {
  state: ReplicaStateName;
  /** Whether an election may choose it (it holds a log that counts). */
  candidate: boolean;
  lastIndex: number;
  lastEpoch: number;
  applied: number;
  epoch: number;
  splitIndex?: number;
}

/** Handed back to persisted() once the batch sealed by seal() is durable. */
export interface SealToken {
  last: number;
  generation: number;
  apply: number;
  record: boolean;
  installDone: boolean;
}

export type MachineEvent =
  /** This replica became its partition's leader (the node rebuilds its view of unapplied writes). */
  | { event: 'promoted' }
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
  ids: Array<string | number | null>;
}

export class ReplicaMachine<W, R> {
  readonly table: string;
  readonly pid: number;
  readonly self: number;
  private readonly config: MachineConfig;
  private readonly logReader: LogReader;

  state: ReplicaStateName;
  membership: Membership;
  /** The highest epoch this replica has seen; never decreases. */
  epoch: number;
  /** The leader it follows (or itself); -1 while unknown (after a fence or a restart). */
  leader: number;

  base: number;
  baseEpoch: number;
  last: number;
  lastEpoch: number;
  durable: number;
  committed: number;
  applied: number;
  /** Follower: its log matches its current leader's through here. */
  verified: number;
  /** Leader: the index of the entry that opened its epoch; nothing is read before it commits. */
  leaderStart = 0;
  items: number;
  bytes: number;
  splitIndex = -1;

  private readonly epochs = new EpochRuns();
  /** Entries after tailBase, in memory (not yet applied or not yet durable here). */
  private tailBase: number;
  private readonly tail: Uint8Array[] = [];
  /** The same entries decoded (each is decoded once: on the leader it is the entry it built). */
  private readonly tailEntries: LogEntry[] = [];
  /** Bumped by every truncation: a seal from before one vouches only for what survived it. */
  private generation = 0;
  private readonly truncationFloors: number[] = [];
  /** The generation at which the replica was last wiped (a snapshot install began): earlier seals vouch for nothing. */
  private wipedAtGeneration = 0;

  /** Leader side: each follower's and learner's progress. */
  readonly progress = new Map<number, Progress>();
  readonly learners = new Set<number>();
  private readonly pendingWrites: Array<{ index: number; token: W }> = [];
  private pendingWritesHead = 0;
  private readonly pendingReads: Array<{ index: number; token: R }> = [];
  private handoffTarget = -1;
  /** The epoch of the last fence (an election): the only epoch, besides a raised one, it may be promoted in. */
  private fencedAt = -1;
  private handoffReported = false;
  private splitPending: SplitEntry | null = null;

  /** Follower side: an ack is owed once what was appended is durable. */
  private ackDue = false;
  private ackReject = -2;
  /** Installing: the stream accepted and the next chunk expected; ticks without a chunk. */
  installStream = -1;
  private installNextSeq = 0;
  private installTicks = 0;
  private awaitTicks = 0;

  // ---- actions, taken by the storage node --------------------------------------------
  readonly appends: Array<{ index: number; bytes: Uint8Array; entry: LogEntry }> = [];
  /** Remove log entries from this index on (before the appends); -1: none. */
  truncateFrom = -1;
  /** Entries removed by the truncation (their write ids must be forgotten). */
  readonly truncated: LogEntry[] = [];
  /** Remove log entries up to and including this index; -1: none. */
  trimThrough = -1;
  /** Apply entries (applyFrom, applyTo] to the data; applyTo -1: none. */
  applyFrom = -1;
  applyTo = -1;
  private applyRequested: number;
  recordDirty = false;
  readonly installs: InstallWrite[] = [];
  private installDone = false;
  readonly outgoing: Outgoing[] = [];
  readonly writesDone: W[] = [];
  /** Writes whose outcome is unknown here (leadership lost): the router retries them, same write id. */
  readonly writesUnknown: W[] = [];
  readonly readsReady: R[] = [];
  /** Reads this replica may no longer answer (leadership lost): the router retries them. */
  readonly readsRefused: R[] = [];
  /** Snapshot streams to start: the node pins a snapshot of the applied data and calls snapshotStarted. */
  readonly snapshotsToStart: Array<{ target: number; sid: number }> = [];
  /** Stream ids this replica asks for when it needs a snapshot (chosen by the node: unique per incarnation). */
  readonly events: MachineEvent[] = [];

  constructor(table: string, pid: number, config: MachineConfig, logReader: LogReader, record: ReplicaRecord, storedEpochs: Array<[number, number]>, storedLast: number) {
    this.table = table;
    this.pid = pid;
    this.self = config.self;
    this.config = config;
    this.logReader = logReader;
    this.membership = { ...record.membership, voters: record.membership.voters.slice() };
    this.state = record.state;
    this.epoch = record.epoch;
    this.leader = -1;
    this.base = record.base;
    this.baseEpoch = record.baseEpoch;
    this.applied = record.applied;
    this.committed = record.applied;
    this.items = record.items;
    this.bytes = record.bytes;
    this.splitIndex = record.splitIndex ?? -1;
    if (record.state === ReplicaState.Installing) {
      // Interrupted while being rebuilt: nothing it holds counts; it asks for a snapshot again.
      this.base = this.applied = this.committed = 0;
      storedEpochs = [];
      storedLast = 0;
    }
    this.epochs.append(this.base, this.baseEpoch);
    for (const [index, epoch] of storedEpochs) if (index > this.base) this.epochs.append(index, epoch);
    this.last = Math.max(storedLast, this.base);
    this.lastEpoch = this.epochs.at(this.last);
    this.durable = this.last;
    this.verified = this.applied;
    this.tailBase = this.last;
    this.applyRequested = this.applied;
    invariant(this.base <= this.applied && this.applied <= this.last, () => `${this.name}: restored positions base ${this.base} applied ${this.applied} last ${this.last}`);
    invariant(this.epoch >= this.lastEpoch, () => `${this.name}: restored epoch ${this.epoch} below its last entry's ${this.lastEpoch}`);
  }

  /** A replica created now (new table, split child, install target): nothing in its log yet. */
  static emptyRecord(table: string, pid: number, membership: Membership, state: ReplicaStateName, baseEpoch: number): ReplicaRecord {
    return { table, pid, membership, state, epoch: membership.epoch, applied: 0, base: 0, baseEpoch, items: 0, bytes: 0 };
  }

  get name(): string {
    return `${this.table}/${this.pid}@${this.self}`;
  }

  record(): ReplicaRecord {
    const r: ReplicaRecord = {
      table: this.table,
      pid: this.pid,
      membership: this.membership,
      state: this.state,
      epoch: this.epoch,
      // What the batch this record goes into leaves applied (records and data commit together).
      applied: this.applyRequested,
      base: this.base,
      baseEpoch: this.baseEpoch,
      items: this.items,
      bytes: this.bytes,
    };
    if (this.splitIndex >= 0) r.splitIndex = this.splitIndex;
    return r;
  }

  isLeader(): boolean {
    return this.leader === this.self && isLeaderState(this.state);
  }

  /** Leader that may take a new client write now. */
  acceptsWrites(): boolean {
    return this.state === ReplicaState.Leading && this.leader === this.self;
  }

  /** Too many appended entries wait for a follower: refuse writes until they commit. */
  overloaded(): boolean {
    return this.last - this.committed >= this.config.uncommittedEntriesMax;
  }

  /** Whether a voter other than this leader is alive to reach W = 2 (asked per write, allocates nothing). */
  hasVotingFollower(): boolean {
    const voters = this.membership.voters;
    for (let i = 0; i < voters.length; i++) if (voters[i] !== this.self) return true;
    return false;
  }

  /** Serves eventually consistent reads (its data is a committed prefix of the partition). */
  servesEventualReads(): boolean {
    return this.state === ReplicaState.Following || isLeaderState(this.state);
  }

  ownsHash(hash32: number): boolean {
    return hash32 >= this.membership.hashStart && hash32 < this.membership.hashEnd;
  }

  epochAt(index: number): number {
    if (index === this.base) return this.baseEpoch;
    return this.epochs.at(index);
  }

  /** Stored-or-in-memory bytes of entries from..to (inclusive), at most maxBytes (at least one entry). */
  entries(from: number, to: number, maxBytes: number): Uint8Array[] {
    invariant(from > this.base && to <= this.last, () => `${this.name}: entries ${from}..${to} outside the log ${this.base + 1}..${this.last}`);
    const out: Uint8Array[] = [];
    let bytes = 0;
    if (from <= this.tailBase) {
      const stored = this.logReader.readLog(this.table, this.pid, from, Math.min(to, this.tailBase), maxBytes);
      for (const e of stored) {
        out.push(e);
        bytes += e.length;
      }
      invariant(out.length > 0, () => `${this.name}: stored log has no entry ${from}`);
      if (from + out.length - 1 < Math.min(to, this.tailBase)) return out;
      from += out.length;
    }
    for (let i = from; i <= to; i++) {
      const e = this.tail[i - this.tailBase - 1];
      if (out.length > 0 && bytes + e.length > maxBytes) break;
      out.push(e);
      bytes += e.length;
    }
    return out;
  }

  // ---- leader: client writes ------------------------------------------------------------

  /** The index and epoch the next appended entry must carry. */
  nextIndex(): number {
    return this.last + 1;
  }

  /** Appends an entry this leader wrote: `bytes` is `entry` encoded, at nextIndex() in this epoch. */
  append(bytes: Uint8Array, entry: LogEntry): void {
    invariant(this.leader === this.self && isLeaderState(this.state), () => `${this.name}: append while ${this.state}`);
    invariant(entry.i === this.last + 1, () => `${this.name}: append of index ${entry.i} after ${this.last}`);
    invariant(entry.e === this.epoch, () => `${this.name}: append in epoch ${entry.e}, leader epoch ${this.epoch}`);
    this.pushEntry(entry.i, entry.e, bytes, entry);
  }

  /** The entry at `index`, decoded (from memory when recent). */
  entryAt(index: number): LogEntry {
    if (index > this.tailBase && index <= this.last) return this.tailEntries[index - this.tailBase - 1];
    return decodeLogEntry(this.entries(index, index, Infinity)[0]);
  }

  /** Answer `token` once everything up to `index` is committed. */
  awaitCommit(index: number, token: W): void {
    if (index <= this.committed) {
      this.writesDone.push(token);
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
    const index = Math.max(this.committed, this.leaderStart);
    if (this.committed >= this.leaderStart && this.applied >= index) return true;
    this.pendingReads.push({ index, token });
    return false;
  }

  // ---- events from the control plane ---------------------------------------------------

  /**
   * Raises the epoch so nothing from an older leader is accepted any more, steps down if
   * leading, and reports how far the log goes (the control plane promotes the best survivor).
   */
  fence(epoch: number): FenceReport {
    if (epoch >= this.epoch) this.fencedAt = Math.max(this.fencedAt, epoch);
    if (epoch > this.epoch) {
      this.setEpoch(epoch);
      if (this.state !== ReplicaState.Retired) {
        this.stepDown(-1);
        this.leader = -1;
      }
    }
    return this.report();
  }

  report(): FenceReport {
    // Retired replicas are not candidates either: the control plane elects the children instead.
    const candidate = this.state === ReplicaState.Following || isLeaderState(this.state);
    const r: FenceReport = { state: this.state, candidate, lastIndex: this.last, lastEpoch: this.lastEpoch, applied: this.applied, epoch: this.epoch };
    if (this.splitIndex >= 0) r.splitIndex = this.splitIndex;
    return r;
  }

  /**
   * A new assignment from the control plane: membership, leader and epoch. Stale ones (older
   * epoch, or older version at the same epoch) are ignored.
   */
  assign(m: Membership): void {
    if (m.epoch < this.epoch || (m.epoch === this.epoch && m.version < this.membership.version)) return;
    if (this.state === ReplicaState.Retired) return;
    const epochRaised = m.epoch > this.epoch;
    if (epochRaised) this.setEpoch(m.epoch);
    this.membership = { ...m, voters: m.voters.slice() };
    this.recordDirty = true;
    for (const v of m.voters) this.learners.delete(v);
    if (m.leader === this.self) {
      if (this.isLeader() && !epochRaised) {
        this.syncProgress();
        return;
      }
      // Leading is allowed in a new epoch only (an election fenced it at this epoch, or a
      // hand-off raised it): never again in an epoch it may already have written in, as a
      // restarted node would with its old assignment (finding F1).
      if (!epochRaised && m.epoch !== this.fencedAt) return;
      if (this.isLeader()) this.stepDown(-1);
      this.becomeLeader();
      return;
    }
    if (this.leader === this.self || isLeaderState(this.state)) this.stepDown(m.leader);
    if (this.leader !== m.leader || epochRaised) {
      this.leader = m.leader;
      this.verified = Math.min(this.verified, this.applied);
      // An ack owed to the previous leader is not owed to this one. Sent with the new epoch to a
      // leader-to-be whose own assignment is still on its way, it would raise that replica's
      // epoch first, and it would then refuse to lead in an epoch it already knew.
      this.ackDue = false;
      this.ackReject = -2;
      if (this.state === ReplicaState.Installing) this.requestSnapshot(); // from the new leader
    }
  }

  /** Leader balancing: stop taking writes and say (event handoffReady) once `target` has every entry. -1 cancels. */
  handoff(target: number): boolean {
    if (target === -1) {
      if (this.state === ReplicaState.HandingOff) this.state = transition(this.state, ReplicaState.Leading, this.name);
      this.handoffTarget = -1;
      return true;
    }
    if (this.state !== ReplicaState.Leading || this.leader !== this.self || !this.membership.voters.includes(target) || target === this.self) return false;
    this.state = transition(this.state, ReplicaState.HandingOff, this.name);
    this.handoffTarget = target;
    this.handoffReported = false;
    this.checkHandoff();
    return true;
  }

  /** Starts a split: the caller appends the split entry next; no other write is taken until it commits. */
  beginSplit(split: SplitEntry): boolean {
    if (this.state !== ReplicaState.Leading || this.leader !== this.self) return false;
    if (!(split.at > this.membership.hashStart && split.at < this.membership.hashEnd)) return false;
    this.state = transition(this.state, ReplicaState.Splitting, this.name);
    this.splitPending = split;
    return true;
  }

  // ---- replication frames ---------------------------------------------------------------

  step(frame: ReplFrame): void {
    switch (frame.r) {
      case ReplFrameType.Entries:
        return this.onEntries(frame);
      case ReplFrameType.Ack:
        return this.onAck(frame);
      case ReplFrameType.SnapshotRequest:
        return this.onSnapshotRequest(frame);
      case ReplFrameType.SnapshotChunk:
        return this.onSnapshotChunk(frame);
    }
  }

  private onEntries(f: EntriesFrame): void {
    if (f.e < this.epoch) {
      // A leader of an older epoch: tell it, so it steps down (it may not know it was replaced).
      this.send(f.from, this.ackFrame(false, -1));
      return;
    }
    if (f.e > this.epoch) {
      this.setEpoch(f.e);
      if (this.state !== ReplicaState.Retired) this.stepDown(f.from);
      this.leader = f.from;
      this.verified = Math.min(this.verified, this.applied);
      if (this.state === ReplicaState.Installing) this.installStream = -1;
    } else if (this.leader !== f.from) {
      invariant(!(this.leader === this.self && isLeaderState(this.state)), () => `${this.name}: two leaders in epoch ${f.e} (${this.self} and ${f.from})`);
      if (this.leader !== -1 && this.state !== ReplicaState.Installing && this.state !== ReplicaState.AwaitingSplit) {
        invariant(false, () => `${this.name}: leader ${f.from} in epoch ${f.e}, but ${this.leader} led it`);
      }
      this.leader = f.from;
      this.verified = Math.min(this.verified, this.applied);
      if (this.state === ReplicaState.Installing) this.installStream = -1;
    }
    switch (this.state) {
      case ReplicaState.Following:
        return this.appendFromLeader(f);
      case ReplicaState.Installing:
        if (this.installStream < 0) this.requestSnapshot();
        return;
      case ReplicaState.AwaitingSplit:
        // The parent's split entry normally fills it within moments; a long wait ends in a snapshot.
        return;
      default:
        return;
    }
  }

  private appendFromLeader(f: EntriesFrame): void {
    // A refusal is always sent (the leader must learn where to resume); a match only when asked.
    if (f.ack) this.ackDue = true;
    let prev = f.prev;
    let skip = 0;
    if (prev < this.base) {
      // Entries up to base are committed here (trimmed or from a snapshot): they match any leader's.
      skip = Math.min(this.base - prev, f.entries.length);
      prev += skip;
      if (prev < this.base) return;
    }
    if (prev > this.last) {
      if (this.last < f.base) {
        // What it lacks is no longer in the leader's log: only a snapshot can bring it back.
        this.ackDue = false;
        this.startInstall();
        return;
      }
      this.ackDue = true;
      this.ackReject = this.last;
      return;
    }
    // Entries up to `applied` are committed: every later leader holds the same ones (its base,
    // after a split, may carry another epoch number; what is committed still matches).
    const prevEpoch = skip > 0 ? f.epochs[skip - 1] : f.prevEpoch;
    if (prev > this.applied && this.epochAt(prev) !== prevEpoch) {
      this.ackDue = true;
      this.ackReject = prev - 1;
      return;
    }
    for (let j = skip; j < f.entries.length; j++) {
      const index = f.prev + 1 + j;
      const epoch = f.epochs[j];
      if (index <= this.last) {
        if (this.epochAt(index) === epoch) continue;
        this.truncate(index);
      }
      this.pushEntry(index, epoch, f.entries[j], decodeLogEntry(f.entries[j]));
    }
    const matched = f.prev + f.entries.length;
    if (matched > this.verified) this.verified = matched;
    const commit = Math.min(f.commit, this.verified, this.last);
    if (commit > this.committed) {
      this.committed = commit;
      this.scheduleApply();
    }
    this.ackReject = -2;
  }

  private onAck(f: AckFrame): void {
    if (f.e > this.epoch) {
      // Someone knows a newer epoch: this replica's leadership (if any) is over (finding F10).
      this.setEpoch(f.e);
      if (this.state !== ReplicaState.Retired) this.stepDown(-1);
      this.leader = -1;
      return;
    }
    if (f.e < this.epoch || this.leader !== this.self) return;
    if (!(isLeaderState(this.state) || this.state === ReplicaState.Retired)) return;
    const p = this.progress.get(f.from);
    if (p === undefined) return;
    p.silentTicks = 0;
    p.applied = Math.max(p.applied, f.applied);
    if (f.ok) {
      invariant(f.i <= this.last, () => `${this.name}: follower ${f.from} acknowledged ${f.i}, beyond the leader's last ${this.last}`);
      if (f.i > p.match) p.match = f.i;
      // A follower that acknowledges a position the log still continues from is not installing
      // (any more): stream to it (a late ack from before its install cannot do this: it is behind base).
      if (p.state !== ProgressState.Snapshot || f.i >= p.snapshotIndex || f.i >= this.base) p.becomeReplicate();
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
    if (f.e > this.epoch || this.leader !== this.self || !isLeaderState(this.state)) return;
    let p = this.progress.get(f.from);
    if (p === undefined) {
      // A replica being added by repair: it is a learner until the control plane makes it a voter.
      this.learners.add(f.from);
      p = new Progress(f.from, this.last + 1);
      this.progress.set(f.from, p);
    }
    // The same request again (a duplicated frame): the stream it asked for is already going.
    if (p.state === ProgressState.Snapshot && p.snapshotSid === f.sid) return;
    p.becomeSnapshot(this.applied, f.sid);
    p.silentTicks = 0;
    this.snapshotsToStart.push({ target: f.from, sid: f.sid });
  }

  private onSnapshotChunk(c: SnapshotChunkFrame): void {
    if (c.e < this.epoch || this.state !== ReplicaState.Installing || c.sid !== this.installStream || c.from !== this.leader) return;
    if (c.seq !== this.installNextSeq) {
      // A chunk was lost: this stream can no longer complete; start another.
      this.requestSnapshot();
      return;
    }
    this.installTicks = 0;
    this.installNextSeq++;
    if (c.seq === 0) {
      // From here on this replica holds nothing that counts: its log is gone.
      this.truncated.length = 0;
      this.epochs.reset();
      this.base = this.applied = this.committed = this.last = this.durable = this.verified = 0;
      this.tail.length = 0;
      this.tailEntries.length = 0;
      this.tailBase = 0;
      this.truncationFloors[this.generation] = 0;
      this.generation++;
      this.wipedAtGeneration = this.generation;
      this.applyRequested = 0;
      this.applyTo = -1;
      this.appends.length = 0;
    }
    this.installs.push({ clear: c.seq === 0, kv: c.kv, ids: c.ids });
    if (!c.done) return;
    this.state = transition(this.state, ReplicaState.Following, this.name);
    this.installStream = -1;
    this.base = this.applied = this.committed = this.last = this.verified = this.applyRequested = c.index;
    this.baseEpoch = this.lastEpoch = c.indexEpoch;
    this.epochs.reset();
    this.epochs.append(c.index, c.indexEpoch);
    this.tailBase = c.index;
    this.items = c.items;
    this.bytes = c.bytes;
    if (c.e > this.epoch) this.setEpoch(c.e);
    this.recordDirty = true;
    this.installDone = true;
    this.ackDue = true;
  }

  // ---- the storage node's callbacks ----------------------------------------------------

  /** Whether the node owes this machine a persist pass (something to write or apply). */
  hasPendingActions(): boolean {
    return this.appends.length > 0 || this.applyTo >= 0 || this.truncateFrom >= 0 || this.trimThrough >= 0 || this.recordDirty || this.installs.length > 0;
  }

  /** The node is about to commit its batch: what this machine asked for is in it. */
  seal(): SealToken {
    const token: SealToken = { last: this.last, generation: this.generation, apply: this.applyRequested, record: this.recordDirty, installDone: this.installDone };
    this.appends.length = 0;
    this.truncateFrom = -1;
    this.truncated.length = 0;
    this.trimThrough = -1;
    this.applyFrom = -1;
    this.applyTo = -1;
    this.installs.length = 0;
    this.recordDirty = false;
    this.installDone = false;
    return token;
  }

  /** The batch sealed with `token` is durable (and visible to reads). */
  persisted(token: SealToken): void {
    let durableTo = token.last;
    if (token.generation !== this.generation) {
      // Entries truncated after that seal were not what it made durable.
      for (let g = token.generation; g < this.generation; g++) durableTo = Math.min(durableTo, this.truncationFloors[g] ?? durableTo);
    }
    durableTo = Math.min(durableTo, this.last);
    if (durableTo > this.durable) this.durable = durableTo;
    if (token.apply > this.applied && token.generation >= this.wipedAtGeneration) {
      invariant(token.apply <= this.committed, () => `${this.name}: applied ${token.apply} beyond committed ${this.committed}`);
      this.applied = token.apply;
    }
    if (token.installDone && this.state === ReplicaState.Following) this.events.push({ event: 'installed', index: this.applied });
    this.dropTail();
    this.scheduleApply();
    if (this.leader === this.self && (isLeaderState(this.state) || this.state === ReplicaState.Retired)) {
      this.advanceCommit();
      this.releaseReads();
    }
    if (this.splitIndex >= 0 && this.applied >= this.splitIndex && this.leader === this.self && this.state === ReplicaState.Retired && this.splitPending !== null) {
      this.events.push({ event: 'splitApplied', index: this.splitIndex, split: this.splitPending });
      this.splitPending = null;
    }
  }

  /** Applying entry `index` (a split) retired this replica: the node made the children. */
  retire(index: number): void {
    invariant(index > this.applied && index <= this.committed, () => `${this.name}: split at ${index} applied out of order (applied ${this.applied}, committed ${this.committed})`);
    // Reads waiting here go to the children, as the router retries them; no write can be waiting
    // (none is taken after a split entry, and those before it are committed with it).
    if (isLeaderState(this.state)) this.failPending();
    this.state = transition(this.state, ReplicaState.Retired, this.name);
    this.splitIndex = index;
    this.recordDirty = true;
  }

  /**
   * The node applies only entries up to `upTo` in this batch (a split entry is applied alone,
   * once everything before it is durable); the rest is asked for again after this batch.
   */
  deferApply(upTo: number): void {
    invariant(upTo >= this.applied && upTo <= this.applyRequested, () => `${this.name}: apply deferred to ${upTo} outside ${this.applied}..${this.applyRequested}`);
    this.applyRequested = upTo;
    if (this.applyFrom >= upTo) {
      this.applyFrom = -1;
      this.applyTo = -1;
    } else {
      this.applyTo = upTo;
    }
  }

  /** A replica made by a split (or created empty for a new table) learns who leads it. */
  adoptLeader(leader: number): void {
    if (leader === this.self) this.becomeLeader();
    else this.leader = leader;
  }

  /** A peer's node was replaced: its old copy is gone (it comes back as a learner, by repair). */
  forgetPeer(peer: number): void {
    this.learners.delete(peer);
    const p = this.progress.get(peer);
    if (p === undefined) return;
    if (!this.membership.voters.includes(peer)) {
      this.progress.delete(peer);
      return;
    }
    p.match = 0;
    p.becomeProbe(1);
  }

  /** The node started streaming a snapshot of the applied data (at `index`) to `target`. */
  snapshotStarted(target: number, sid: number, index: number): void {
    const p = this.progress.get(target);
    if (p !== undefined) p.becomeSnapshot(index, sid);
  }

  /** Periodic: resend to silent followers, restart a stalled install, give up waiting for a split. */
  tick(): void {
    if (this.leader === this.self && (isLeaderState(this.state) || this.state === ReplicaState.Retired)) {
      for (const p of this.progress.values()) {
        if (++p.silentTicks < this.config.probeTicks * (p.state === ProgressState.Snapshot ? 8 : 1)) continue;
        // Silent for long: probe (an installing follower ignores it and asks again if its stream died).
        p.silentTicks = 0;
        p.becomeProbe(p.match + 1);
        this.sendTo(p);
      }
      return;
    }
    if (this.state === ReplicaState.Installing && this.leader >= 0 && ++this.installTicks >= this.config.installStallTicksMax) {
      this.requestSnapshot();
    } else if (this.state === ReplicaState.AwaitingSplit && this.leader >= 0 && ++this.awaitTicks >= this.config.awaitSplitTicksMax) {
      this.startInstall();
    }
  }

  /** Sends what each peer needs now (new entries, commit news, owed acks); called once per pump. */
  flush(): void {
    if (this.leader === this.self && (isLeaderState(this.state) || this.state === ReplicaState.Retired)) {
      for (const p of this.progress.values()) this.sendTo(p);
      this.trimLog();
      return;
    }
    if (this.ackDue && this.leader >= 0 && this.state === ReplicaState.Following) {
      if (this.ackReject >= -1) {
        this.ackDue = false;
        this.send(this.leader, this.ackFrame(false, this.ackReject));
        this.ackReject = -2;
        return;
      }
      // An ack says "durable and matching through i": wait until what was appended is durable.
      const matched = Math.min(this.verified, this.last);
      if (this.durable < matched) return;
      this.ackDue = false;
      this.send(this.leader, this.ackFrame(true, matched));
      this.trimLog();
    }
  }

  /** Becomes an awaiting-split or installing replica's follower role after its parent's split made it. */
  fillFromSplit(m: Membership, baseEpoch: number, items: number, bytes: number): void {
    invariant(this.state === ReplicaState.AwaitingSplit, () => `${this.name}: filled by a split while ${this.state}`);
    this.state = transition(this.state, ReplicaState.Following, this.name);
    if (m.epoch > this.epoch) this.setEpoch(m.epoch);
    // The split's leader and epoch win over a map's news of the children from an older epoch
    // (published while the leader that made the split still lived): that leader may be gone (F3).
    if (m.epoch > this.membership.epoch || (m.epoch === this.membership.epoch && m.version >= this.membership.version)) this.membership = { ...m, voters: m.voters.slice() };
    this.base = this.applied = this.committed = this.last = this.durable = this.verified = this.applyRequested = 0;
    this.baseEpoch = this.lastEpoch = baseEpoch;
    this.epochs.reset();
    this.epochs.append(0, baseEpoch);
    this.items = items;
    this.bytes = bytes;
    this.leader = this.membership.leader === this.self ? -1 : this.membership.leader;
    this.recordDirty = true;
    if (this.membership.leader === this.self) this.becomeLeader();
  }

  /** Repair, or a follower too far behind the leader's log: wipe and rebuild from a snapshot. */
  startInstall(): void {
    if (this.state !== ReplicaState.Installing) this.state = transition(this.state, ReplicaState.Installing, this.name);
    this.recordDirty = true;
    this.requestSnapshot();
  }

  /** Stream ids are handed out by the node (unique for its life): set before any snapshot request. */
  streamIds: () => number = () => {
    throw new Error('no stream id source');
  };

  // ---- internals ---------------------------------------------------------------------

  private requestSnapshot(): void {
    this.installTicks = 0;
    this.installNextSeq = 0;
    if (this.leader < 0) {
      this.installStream = -1;
      return;
    }
    this.installStream = this.streamIds();
    this.send(this.leader, { r: ReplFrameType.SnapshotRequest, t: this.table, p: this.pid, from: this.self, e: this.epoch, sid: this.installStream });
  }

  private pushEntry(index: number, epoch: number, bytes: Uint8Array, entry: LogEntry): void {
    invariant(index === this.last + 1, () => `${this.name}: entry ${index} appended after ${this.last}`);
    invariant(epoch >= this.lastEpoch && epoch <= this.epoch, () => `${this.name}: entry of epoch ${epoch} after epoch ${this.lastEpoch} (replica epoch ${this.epoch})`);
    invariant(entry.i === index && entry.e === epoch, () => `${this.name}: entry bytes say ${entry.e}/${entry.i}, the log position is ${epoch}/${index}`);
    this.tail.push(bytes);
    this.tailEntries.push(entry);
    this.last = index;
    this.lastEpoch = epoch;
    this.epochs.append(index, epoch);
    this.appends.push({ index, bytes, entry });
  }

  /** Drops the log suffix from `index` on: entries appended but never committed. */
  private truncate(index: number): void {
    invariant(index > this.committed && index > this.applied, () => `${this.name}: truncating at ${index}, at or below committed ${this.committed}`);
    invariant(index > this.tailBase, () => `${this.name}: truncating stored entries at ${index} (tail starts after ${this.tailBase})`);
    const from = index - this.tailBase - 1;
    for (let i = from; i < this.tail.length; i++) this.truncated.push(this.tailEntries[i]);
    this.tail.length = from;
    this.tailEntries.length = from;
    // Appends of this batch past the cut never reach the store.
    while (this.appends.length > 0 && this.appends[this.appends.length - 1].index >= index) this.appends.pop();
    if (this.truncateFrom === -1 || index < this.truncateFrom) this.truncateFrom = index;
    this.truncationFloors[this.generation] = index - 1;
    this.generation++;
    this.last = index - 1;
    this.lastEpoch = this.epochAt(this.last);
    this.epochs.truncateFrom(index);
    if (this.durable > this.last) this.durable = this.last;
    if (this.verified > this.last) this.verified = this.last;
  }

  private dropTail(): void {
    const floor = Math.min(this.applied, this.durable);
    if (floor <= this.tailBase) return;
    this.tail.splice(0, floor - this.tailBase);
    this.tailEntries.splice(0, floor - this.tailBase);
    this.tailBase = floor;
  }

  private scheduleApply(): void {
    if (this.committed <= this.applyRequested || this.state === ReplicaState.Retired) return;
    if (this.applyTo === -1) this.applyFrom = this.applyRequested;
    this.applyTo = this.committed;
    this.applyRequested = this.committed;
  }

  private setEpoch(epoch: number): void {
    invariant(epoch >= this.epoch, () => `${this.name}: epoch would go down from ${this.epoch} to ${epoch}`);
    this.epoch = epoch;
    this.recordDirty = true;
  }

  private becomeLeader(): void {
    if (this.state !== ReplicaState.Following) {
      // Installing, awaiting a split or retired: it holds nothing an election should have picked.
      this.leader = -1;
      return;
    }
    this.state = transition(this.state, ReplicaState.Leading, this.name);
    this.leader = this.self;
    this.progress.clear();
    this.syncProgress();
    this.handoffTarget = -1;
    this.ackDue = false;
    const split = this.unappliedSplit();
    if (split !== null) {
      // A predecessor appended a split and no write may follow it: finish the split instead.
      this.state = transition(this.state, ReplicaState.Splitting, this.name);
      this.splitPending = split;
      this.leaderStart = this.last;
    } else {
      // An entry of its own epoch first: once it commits, so has everything before it (nothing a
      // predecessor acknowledged can be missing from this leader's reads).
      const index = this.last + 1;
      const noop = noopEntry(this.epoch, index);
      this.pushEntry(index, this.epoch, encodeLogEntry(noop), noop);
      this.leaderStart = index;
    }
    this.events.push({ event: 'promoted' });
  }

  /** A split entry among the entries not yet applied (there is at most one, and it is the last). */
  private unappliedSplit(): SplitEntry | null {
    if (this.last <= this.applied) return null;
    return this.entryAt(this.last).split ?? null;
  }

  /** Progress for every voter and learner (new ones probe from the end of the log). */
  private syncProgress(): void {
    for (const v of this.membership.voters) {
      if (v !== this.self && !this.progress.has(v)) this.progress.set(v, new Progress(v, this.last + 1));
    }
    for (const [node] of this.progress) {
      if (!this.membership.voters.includes(node) && !this.learners.has(node)) this.progress.delete(node);
    }
  }

  /** Leadership is over: writes waiting here have an unknown outcome, reads go elsewhere. */
  private stepDown(newLeader: number): void {
    if (isLeaderState(this.state)) {
      this.failPending();
      this.state = transition(this.state, ReplicaState.Following, this.name);
    }
    this.progress.clear();
    this.learners.clear();
    this.handoffTarget = -1;
    this.splitPending = null;
    this.leader = newLeader;
  }

  private failPending(): void {
    for (let i = this.pendingWritesHead; i < this.pendingWrites.length; i++) this.writesUnknown.push(this.pendingWrites[i].token);
    this.pendingWrites.length = 0;
    this.pendingWritesHead = 0;
    for (const r of this.pendingReads) this.readsRefused.push(r.token);
    this.pendingReads.length = 0;
  }

  private advanceCommit(): void {
    const matches: number[] = [];
    for (const v of this.membership.voters) {
      if (v === this.self) continue;
      const p = this.progress.get(v);
      matches.push(p === undefined ? 0 : p.match);
    }
    const q = Math.min(quorumIndex(this.durable, matches), this.last);
    if (q <= this.committed) return;
    this.committed = q;
    invariant(this.committed <= this.last, () => `${this.name}: committed ${this.committed} beyond last ${this.last}`);
    const pending = this.pendingWrites;
    while (this.pendingWritesHead < pending.length && pending[this.pendingWritesHead].index <= q) {
      this.writesDone.push(pending[this.pendingWritesHead].token);
      this.pendingWritesHead++;
    }
    if (this.pendingWritesHead > 1024 && this.pendingWritesHead * 2 > pending.length) {
      pending.splice(0, this.pendingWritesHead);
      this.pendingWritesHead = 0;
    }
    this.scheduleApply();
    this.checkHandoff();
  }

  private releaseReads(): void {
    if (this.pendingReads.length === 0 || this.committed < this.leaderStart) return;
    let kept = 0;
    for (const r of this.pendingReads) {
      if (r.index <= this.applied) this.readsReady.push(r.token);
      else this.pendingReads[kept++] = r;
    }
    this.pendingReads.length = kept;
  }

  private checkHandoff(): void {
    if (this.state !== ReplicaState.HandingOff || this.handoffReported) return;
    const p = this.progress.get(this.handoffTarget);
    if (p === undefined || p.match < this.last || this.committed < this.last) return;
    this.handoffReported = true;
    this.events.push({ event: 'handoffReady', index: this.last });
  }

  /** Sends a peer the entries it lacks (bounded frames), or the commit index it has not heard. */
  private sendTo(p: Progress): void {
    if (p.state === ProgressState.Snapshot) return;
    if (p.state === ProgressState.Probe && p.probeOut) return;
    if (p.next <= this.base) {
      // Behind what the log still holds: only a snapshot can bring it back; it asks for one.
      this.send(p.node, { r: ReplFrameType.Entries, t: this.table, p: this.pid, from: this.self, e: this.epoch, prev: this.base, prevEpoch: this.baseEpoch, base: this.base, entries: [], epochs: [], commit: this.committed, ack: true });
      p.probeOut = p.state === ProgressState.Probe;
      p.commitSent = this.committed;
      return;
    }
    if (p.next > this.last) {
      if (p.commitSent >= this.committed && p.state === ProgressState.Replicate) return;
      const prev = p.next - 1;
      this.send(p.node, { r: ReplFrameType.Entries, t: this.table, p: this.pid, from: this.self, e: this.epoch, prev, prevEpoch: this.epochAt(prev), base: this.base, entries: [], epochs: [], commit: this.committed, ack: p.state !== ProgressState.Replicate });
      p.commitSent = this.committed;
      p.probeOut = p.state === ProgressState.Probe;
      return;
    }
    do {
      const prev = p.next - 1;
      const to = Math.min(this.last, prev + this.config.entriesPerFrameMax);
      const entries = this.entries(p.next, to, this.config.entriesFrameBytesMax);
      const epochs: number[] = new Array(entries.length);
      for (let j = 0; j < entries.length; j++) epochs[j] = this.epochAt(p.next + j);
      this.send(p.node, { r: ReplFrameType.Entries, t: this.table, p: this.pid, from: this.self, e: this.epoch, prev, prevEpoch: this.epochAt(prev), base: this.base, entries, epochs, commit: this.committed, ack: true });
      p.commitSent = this.committed;
      p.next += entries.length;
      if (p.state === ProgressState.Probe) {
        p.probeOut = true;
        return;
      }
    } while (p.next <= this.last);
  }

  private send(to: number, frame: ReplFrame): void {
    this.outgoing.push({ to, frame });
  }

  private ackFrame(ok: boolean, i: number): AckFrame {
    return { r: ReplFrameType.Ack, t: this.table, p: this.pid, from: this.self, e: this.epoch, ok, i, applied: this.applied };
  }

  /**
   * Trims the log: entries every follower has (keeping logRetainedEntries of them for catch-up),
   * and never more than logEntriesMax (a follower further behind gets a snapshot).
   */
  private trimLog(): void {
    const c = this.config;
    let keepAfter = this.applied - Math.min(c.logRetainedEntries, c.logEntriesMax);
    if (this.leader === this.self) {
      for (const p of this.progress.values()) {
        const needs = p.state === ProgressState.Snapshot ? p.snapshotIndex : p.match;
        if (needs >= 0) keepAfter = Math.min(keepAfter, needs - c.logRetainedEntries);
      }
    }
    keepAfter = Math.max(keepAfter, this.last - c.logEntriesMax);
    const upTo = Math.min(keepAfter, this.applied, this.durable, this.tailBase);
    if (upTo - this.base < c.logTrimStep && this.last - this.base <= c.logEntriesMax) return;
    if (upTo <= this.base) return;
    this.baseEpoch = this.epochAt(upTo);
    this.epochs.trimBefore(upTo);
    this.base = upTo;
    this.trimThrough = upTo;
    this.recordDirty = true;
  }
}
