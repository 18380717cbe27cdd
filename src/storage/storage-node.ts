// A storage node: drains its rings, serves reads, applies writes in group-committed LMDB
// transactions, replicates them to followers and acknowledges at W = 2. It also takes part in
// failover (fencing by epoch, catching up from the leader's log) and repair (sending or
// installing a snapshot).
import { NodeStore, replicaMetaKey } from './node-store.ts';
import { PartitionReplica, type PendingWrite } from './partition-replica.ts';
import {
  Op,
  Repl,
  ReturnValues,
  Status,
  WriteKind,
  type GetRequest,
  type LogEntry,
  type PartitionAssignment,
  type RangeRequest,
  type ReplAck,
  type ReplEntries,
  type ReplFrame,
  type ReplSnapshotChunk,
  type SplitEntry,
  type StorageRequest,
  type StorageResponse,
  type WriteRequest,
} from './messages.ts';
import { decodeStoredItem, encodeStoredItem, storedItemSize } from './stored-item.ts';
import { readRange } from './range-read.ts';
import { encodeHashPrefix } from './key-encoding.ts';
import { decideWrite, type WriteOutcome } from './item-write.ts';
import { DynamoError } from '../protocol/errors.ts';
import { WriteDedup } from '../replication/write-dedup.ts';
import { SnapshotSender } from '../replication/snapshot-sender.ts';
import { encodeFrame, decodeFrame } from '../rings/frame-codec.ts';
import { decodeRequest, encodeResponse } from './message-codec.ts';
import { bufferView } from './buffer-view.ts';
import type { SpscRing } from '../rings/ring.ts';
import type { Outbox } from '../rings/outbox.ts';
import type { HealthBoard } from '../control/health-board.ts';

export interface StorageNodeLinks {
  /** Router → this node. */
  requests: SpscRing;
  /** This node → router. */
  responses: Outbox;
  /** Peer worker id → ring carrying that peer's replication frames to this node. */
  peerIn: Map<number, SpscRing>;
  /** Peer worker id → outbox to that peer. */
  peerOut: Map<number, Outbox>;
}

/** Bounds on one drain so reads keep flowing while writes pour in. */
const requestsPerDrainMax = 512;
const replFramesPerDrainMax = 256;
/** Entries per replication frame, and their bytes: a frame stays far below a ring's largest frame. */
const resendEntriesPerFrame = 256;
const entriesFrameBytesMax = 1024 * 1024;
/** Log entries kept beyond what every follower has, for catch-up after a restart or failover. */
const logRetainedEntries = 2048;
/** Log entries trimmed per transaction, so trimming never makes one commit long. */
const logTrimPerCommitMax = 1024;
/**
 * Trimming waits until this many entries can go: trimming a few entries every commit rewrote the
 * log's first page (and freed the old one) in every transaction; a run of them frees whole pages.
 */
const logTrimStep = 256;
/** Items a split copies between two heartbeats (a few ms of work). */
const splitCopyItemsPerBeat = 4096;
/** Snapshot chunks sent per pump while the target's ring has room. */
const snapshotChunksPerPump = 4;

/** What a node records about each replica it holds, in its own LMDB metadata. */
interface ReplicaRecord {
  assignment: PartitionAssignment;
  snapshotIndex?: number;
  retiredAtVersion?: number;
}

export type NodeEvent =
  | { event: 'installed'; table: string; pid: number; index: number }
  /** A leader asked to hand off has stopped taking writes and its successor has every entry. */
  | { event: 'handoffReady'; table: string; pid: number; index: number };

export class StorageNode {
  readonly id: number;
  private readonly store: NodeStore;
  private readonly links: StorageNodeLinks;
  private readonly board: HealthBoard;
  private readonly replicas = new Map<string, PartitionReplica>();
  private readonly dedup = new WriteDedup();
  private readonly snapshots: SnapshotSender[] = [];
  /** Tells the control plane about things it waits for (a snapshot installed). */
  private readonly emit: (event: NodeEvent) => void;

  // Work gathered in one drain and applied in one write transaction.
  private readonly writes: WriteRequest[] = [];
  private readonly replEntries: ReplEntries[] = [];
  private readonly snapshotChunks: ReplSnapshotChunk[] = [];
  private readonly touched = new Set<PartitionReplica>();
  private readonly acknowledged: PendingWrite[] = [];
  /** The newest map version this node has seen in any assignment. */
  private knownVersion = 0;
  /** Partitions this node follows that split in the current transaction. */
  private readonly splitFollowers: PartitionReplica[] = [];

  /** Most log entries kept per replica, whoever still needs them (a follower further behind gets a snapshot). */
  private readonly logEntriesMax: number;

  constructor(id: number, store: NodeStore, links: StorageNodeLinks, board: HealthBoard, emit: (event: NodeEvent) => void, logEntriesMax: number) {
    this.id = id;
    this.logEntriesMax = logEntriesMax;
    this.store = store;
    this.links = links;
    this.board = board;
    this.emit = emit;
  }

  // ---- control plane ----------------------------------------------------------------

  /** Replicas this node recorded before a restart (it is the authority on what it holds). */
  restore(): void {
    for (const { value } of this.store.meta.getRange({ start: 'r:', end: 'r;' })) {
      const record = value as ReplicaRecord;
      if (record?.assignment === undefined) continue;
      const a = record.assignment;
      const replica = new PartitionReplica(a, this.store.openReplica(a.table, a.pid), record.snapshotIndex ?? 0);
      replica.retiredAtVersion = record.retiredAtVersion ?? 0;
      this.knownVersion = Math.max(this.knownVersion, a.version, replica.retiredAtVersion);
      this.replicas.set(replicaKey(a.table, a.pid), replica);
    }
  }

  assign(assignments: PartitionAssignment[]): void {
    for (const a of assignments) {
      const key = replicaKey(a.table, a.pid);
      const existing = this.replicas.get(key);
      if (a.version > this.knownVersion) this.knownVersion = a.version;
      // An assignment older than what this node recorded itself (a split, a failover) is stale.
      if (existing !== undefined && (a.version < existing.version || existing.retired)) continue;
      if (!a.replicas.includes(this.id)) {
        // No longer ours (the control plane moved it): forget it, answers go elsewhere now.
        if (existing !== undefined && !existing.installing) this.forget(key, existing);
        continue;
      }
      if (existing) {
        const leaderChanged = existing.leader !== a.leader;
        existing.update(a);
        for (const w of [...existing.followerAcked.keys()]) {
          if (!existing.replicas.includes(w) && !existing.learners.has(w)) existing.followerAcked.delete(w);
        }
        for (const w of existing.replicas) existing.learners.delete(w);
        if (leaderChanged && a.leader !== this.id && !existing.awaitingSplit) this.requestCatchUp(existing);
        if (a.leader === this.id) existing.takeAcknowledged(this.acknowledged);
        this.commit(() => this.persist(existing));
      } else {
        const meta = this.store.meta.get(replicaMetaKey(a.table, a.pid)) as ReplicaRecord | undefined;
        const replica = new PartitionReplica(a, this.store.openReplica(a.table, a.pid), meta?.snapshotIndex ?? 0);
        this.replicas.set(key, replica);
        const parent = a.parent === undefined ? undefined : this.replicas.get(replicaKey(a.table, a.parent));
        if (parent !== undefined && !parent.retired) {
          // Made by a split this replica has not applied yet: it fills in when the split entry arrives.
          replica.awaitingSplit = true;
        } else if (a.leader !== this.id) {
          this.requestCatchUp(replica);
        }
        this.commit(() => this.persist(replica));
      }
    }
  }

  /** Records a replica's assignment in the node's own metadata (inside a transaction or alone). */
  private persist(replica: PartitionReplica, snapshotIndex?: number): void {
    if (replica.version > this.knownVersion) this.knownVersion = replica.version;
    if (replica.retiredAtVersion > this.knownVersion) this.knownVersion = replica.retiredAtVersion;
    const key = replicaMetaKey(replica.table, replica.pid);
    const previous = this.store.meta.get(key) as ReplicaRecord | undefined;
    const record: ReplicaRecord = {
      assignment: replica.assignment(),
      snapshotIndex: snapshotIndex ?? previous?.snapshotIndex ?? 0,
      retiredAtVersion: replica.retiredAtVersion,
    };
    this.store.meta.put(key, record);
  }

  /**
   * Failover, step one: this replica stops accepting entries from any leader older than
   * `epoch` and reports how far its log goes, so the control plane can promote the most
   * up-to-date survivor.
   */
  fence(table: string, pid: number, epoch: number): number {
    const replica = this.replicas.get(replicaKey(table, pid));
    if (replica === undefined) return -1;
    if (epoch > replica.epoch) replica.epoch = epoch;
    return replica.appliedIndex;
  }

  /** Repair: build a replica of `a` here from a snapshot sent by its leader. */
  install(a: PartitionAssignment): void {
    const key = replicaKey(a.table, a.pid);
    const existing = this.replicas.get(key);
    if (existing !== undefined) this.forget(key, existing);
    const dbs = this.store.openReplica(a.table, a.pid);
    this.commit(() => {
      dbs.data.clearSync();
      dbs.log.clearSync();
    });
    const replica = new PartitionReplica(a, dbs, 0);
    replica.installing = true;
    this.replicas.set(key, replica);
    this.sendRepl(a.leader, { r: Repl.SnapshotRequest, t: a.table, p: a.pid, from: this.id });
  }

  dropTable(table: string): void {
    for (const [key, replica] of this.replicas) {
      if (replica.table !== table) continue;
      this.forget(key, replica);
      this.store.dropReplica(replica.table, replica.pid, replica.dbs);
    }
  }

  /**
   * Leader balancing, step one: stop taking writes for the partition and report (event
   * handoffReady) once `target` has every entry; the control plane then makes it the leader
   * under a new epoch. `target` -1 cancels a handoff.
   */
  handoff(table: string, pid: number, target: number): boolean {
    const replica = this.replicas.get(replicaKey(table, pid));
    if (replica === undefined || replica.leader !== this.id) return false;
    replica.handoffTo = target;
    if (target !== -1) this.checkHandoff(replica);
    return true;
  }

  private checkHandoff(replica: PartitionReplica): void {
    const acked = replica.followerAcked.get(replica.handoffTo) ?? 0;
    if (acked >= replica.appliedIndex && replica.pendingHead >= replica.pending.length) {
      this.emit({ event: 'handoffReady', table: replica.table, pid: replica.pid, index: replica.appliedIndex });
    }
  }

  /**
   * Splits a partition this node leads at hash `at` into two new partitions (lowPid below it,
   * highPid from it up), both at map version `version`. The split is an entry in the partition's
   * log, so every replica splits at the same point of its history; traffic pauses only for the
   * one transaction that copies the items.
   */
  split(table: string, pid: number, at: number, lowPid: number, highPid: number, version: number): PartitionAssignment[] {
    const replica = this.replicas.get(replicaKey(table, pid));
    if (replica === undefined || replica.leader !== this.id || replica.retired || replica.installing || replica.handoffTo !== -1) return [];
    if (!(at > replica.hashStart && at < replica.hashEnd)) throw new Error(`split point ${at} outside ${replica.hashStart}..${replica.hashEnd}`);
    const split: SplitEntry = { at, lowPid, highPid, version };
    const entry: LogEntry = { e: replica.epoch, i: replica.appliedIndex + 1, m: [], w: null, a: null, split };
    const entryBytes = encodeFrame(entry);
    this.commit(() => {
      assertNextIndex(replica, entry);
      replica.dbs.log.put(entry.i, bufferView(entryBytes));
      replica.appliedIndex = entry.i;
      this.applySplit(replica, split);
    });
    this.sendEntries(replica.replicationTargets(this.id), replica, [entryBytes]);
    const children = [this.replicas.get(replicaKey(table, lowPid))!.assignment(), this.replicas.get(replicaKey(table, highPid))!.assignment()];
    this.dropRetiredIfDone(replica);
    return children;
  }

  /** Copies the parent's items into its two children and retires it; runs inside a write transaction. */
  private applySplit(parent: PartitionReplica, split: SplitEntry): void {
    const halves: Array<[number, number, number]> = [
      [split.lowPid, parent.hashStart, split.at],
      [split.highPid, split.at, parent.hashEnd],
    ];
    for (const [pid, hashStart, hashEnd] of halves) {
      const key = replicaKey(parent.table, pid);
      const assignment: PartitionAssignment = { ...parent.assignment(), pid, hashStart, hashEnd, version: split.version, parent: parent.pid };
      let child = this.replicas.get(key);
      if (child === undefined) {
        child = new PartitionReplica(assignment, this.store.openReplica(parent.table, pid), 0);
        this.replicas.set(key, child);
      } else {
        child.update(assignment);
      }
      child.awaitingSplit = false;
      child.parentPid = parent.pid;
      if (child.epoch < parent.epoch) child.epoch = parent.epoch;
      const start = Buffer.from(encodeHashPrefix(hashStart));
      const end = hashEnd < 2 ** 32 ? Buffer.from(encodeHashPrefix(hashEnd)) : undefined;
      let copied = 0;
      for (const { key: k, value } of parent.dbs.data.getRange({ start, end })) {
        child.dbs.data.put(k, value);
        // Copying a large partition holds this thread for longer than the failure detector
        // waits: a node busy copying is alive, so it keeps beating.
        if (++copied % splitCopyItemsPerBeat === 0) this.board.beat(this.id);
      }
      this.persist(child);
    }
    parent.retiredAtVersion = split.version;
    parent.dbs.data.clearSync();
    this.persist(parent);
  }

  /** The leader forgets a split parent once every follower has its last entries. */
  private dropRetiredIfDone(parent: PartitionReplica): void {
    if (parent.pendingHead < parent.pending.length) return;
    for (const w of parent.followers(this.id)) if ((parent.followerAcked.get(w) ?? 0) < parent.appliedIndex) return;
    this.replicas.delete(replicaKey(parent.table, parent.pid));
    this.store.dropReplica(parent.table, parent.pid, parent.dbs);
  }

  /** Drops one replica and its data (an install the control plane discarded). */
  dropReplica(table: string, pid: number): void {
    const key = replicaKey(table, pid);
    const replica = this.replicas.get(key);
    if (replica === undefined) return;
    this.forget(key, replica);
    this.store.dropReplica(table, pid, replica.dbs);
  }

  private forget(key: string, replica: PartitionReplica): void {
    this.replicas.delete(key);
    this.commit(() => this.store.meta.remove(replicaMetaKey(replica.table, replica.pid)));
    const dropped: PendingWrite[] = [];
    replica.takeAllPending(dropped);
    // Committed here but not acknowledged by a follower: the outcome is unknown to the client.
    for (const p of dropped) this.respond({ id: p.requestId, s: Status.Internal, msg: 'replica moved' });
  }

  describe(): Array<{ table: string; pid: number; assignment: PartitionAssignment; retired: boolean; applied: number; leader: boolean; epoch: number; installing: boolean; followerAcked: Record<number, number>; entries: number; bytes: number }> {
    return [...this.replicas.values()].map((r) => ({
      // LMDB's own page counts: an approximation of the stored size, as DynamoDB's is.
      bytes: lmdbBytes(r.dbs.data.getStats() as LmdbStats),
      table: r.table,
      pid: r.pid,
      assignment: r.assignment(),
      retired: r.retired,
      applied: r.appliedIndex,
      leader: r.leader === this.id,
      epoch: r.epoch,
      installing: r.installing,
      followerAcked: Object.fromEntries(r.followerAcked),
      entries: (r.dbs.data.getStats() as { entryCount: number }).entryCount,
    }));
  }

  private requestCatchUp(replica: PartitionReplica): void {
    if (replica.installing) return;
    this.sendRepl(replica.leader, { r: Repl.Resend, t: replica.table, p: replica.pid, from: this.id, i: replica.appliedIndex });
    replica.resendRequestedAfter = replica.appliedIndex;
  }

  // ---- the drain ----------------------------------------------------------------------

  /** One pass over every inbound ring. Returns whether there was any work. */
  pump(): boolean {
    let worked = false;
    const requests = this.links.requests;
    for (let n = 0; n < requestsPerDrainMax; n++) {
      const bytes = requests.tryRead();
      if (bytes === null) break;
      worked = true;
      this.onRequest(decodeRequest(bytes));
    }
    for (const ring of this.links.peerIn.values()) {
      for (let n = 0; n < replFramesPerDrainMax; n++) {
        const bytes = ring.tryRead();
        if (bytes === null) break;
        worked = true;
        this.onRepl(decodeFrame(bytes) as ReplFrame);
      }
    }
    // Writes that followers' acks just released were committed by earlier transactions: their
    // clients hear now, not after the commit below (a whole synced commit later).
    if (this.acknowledged.length > 0) this.respondAcknowledged();
    if (this.writes.length > 0 || this.replEntries.length > 0 || this.snapshotChunks.length > 0) this.commitBatch();
    if (this.acknowledged.length > 0) this.respondAcknowledged();
    if (this.snapshots.length > 0) worked = this.sendSnapshots() || worked;
    worked = this.flushOutboxes() || worked;
    return worked;
  }

  /** Whether any inbound ring has frames (checked before sleeping). */
  hasInput(): boolean {
    if (!this.links.requests.isEmpty()) return true;
    for (const ring of this.links.peerIn.values()) if (!ring.isEmpty()) return true;
    return false;
  }

  /** Whether frames are waiting for room in an outbound ring, or a snapshot is being sent. */
  hasBacklog(): boolean {
    if (this.snapshots.length > 0) return true;
    if (this.links.responses.pending() > 0) return true;
    for (const out of this.links.peerOut.values()) if (out.pending() > 0) return true;
    return false;
  }

  /** The control plane replaced a peer: replication to and from it uses new rings. */
  replacePeerLinks(peer: number, inRing: SpscRing, outbox: Outbox): void {
    this.links.peerIn.set(peer, inRing);
    this.links.peerOut.set(peer, outbox);
    // Snapshots streaming to the old incarnation are abandoned; the new one asks again.
    for (let i = this.snapshots.length - 1; i >= 0; i--) if (this.snapshots[i].target === peer) this.snapshots.splice(i, 1);
    for (const replica of this.replicas.values()) {
      replica.learners.delete(peer);
      replica.followerAcked.delete(peer);
    }
  }

  private flushOutboxes(): boolean {
    let moved = false;
    if (this.links.responses.pending() > 0) moved = this.links.responses.flush() || moved;
    for (const out of this.links.peerOut.values()) if (out.pending() > 0) moved = out.flush() || moved;
    return moved;
  }

  // ---- router requests ----------------------------------------------------------------

  private onRequest(req: StorageRequest): void {
    const replica = this.replicas.get(replicaKey(req.t, req.p));
    if (replica === undefined || replica.installing || replica.retired || replica.awaitingSplit) {
      // The newest map version this node knows: a router behind it refreshes its map.
      this.respond({ id: req.id, s: Status.WrongReplica, ver: replica === undefined ? this.knownVersion : Math.max(replica.version, replica.retiredAtVersion) });
      return;
    }
    const needsLeader = req.op === Op.Write || (req as GetRequest | RangeRequest).c === true;
    if (req.v < replica.version || (needsLeader && replica.leader !== this.id)) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: replica.version });
      return;
    }
    switch (req.op) {
      case Op.Get:
        return this.get(replica, req);
      case Op.Write:
        if (!replica.ownsHash(keyHash(req.k))) {
          this.respond({ id: req.id, s: Status.WrongReplica, ver: replica.version });
          return;
        }
        this.writes.push(req);
        return;
      case Op.Query:
      case Op.Scan:
        return this.range(replica, req);
      default:
        this.respond({ id: (req as StorageRequest).id, s: Status.Internal, msg: 'unknown storage op' });
    }
  }

  private get(replica: PartitionReplica, req: GetRequest): void {
    if (!replica.ownsHash(keyHash(req.k))) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: replica.version });
      return;
    }
    const value = replica.dbs.data.get(bufferView(req.k));
    if (value === undefined) {
      this.respond({ id: req.id, s: Status.Ok, item: null, n: 0 });
      return;
    }
    this.respond({ id: req.id, s: Status.Ok, item: JSON.stringify(decodeStoredItem(value)), n: storedItemSize(value) });
  }

  /** Query and Scan: an ordered walk over [lo, hi] that stops at the limit or the page size. */
  private range(replica: PartitionReplica, req: RangeRequest): void {
    const page = readRange(replica.dbs.data, req);
    this.respond({ id: req.id, s: Status.Ok, items: page.json, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead });
  }

  // ---- the write transaction (group commit) -------------------------------------------

  private commitBatch(): void {
    const writes = this.writes;
    const entries = this.replEntries;
    const chunks = this.snapshotChunks;
    const rejected: WriteRequest[] = [];
    const installed: PartitionReplica[] = [];
    this.commit(() => {
      for (let i = 0; i < writes.length; i++) {
        if (!this.applyClientWrite(writes[i])) rejected.push(writes[i]);
      }
      for (let i = 0; i < chunks.length; i++) {
        const replica = this.installSnapshotChunk(chunks[i]);
        if (replica !== null) installed.push(replica);
      }
      for (let i = 0; i < entries.length; i++) this.applyReplicatedEntries(entries[i]);
      for (const replica of this.touched) this.trimLog(replica);
      // The followers get the new entries before this commit is flushed, so their copies are
      // written while this one is, not after it. W = 2 still holds: their acks are read only
      // once this call returns, i.e. once the commit is durable here. A commit that fails
      // stops the node (worker.ts); a follower may then hold entries no client was answered
      // for, which failover keeps or drops like any unacknowledged write.
      for (const replica of this.touched) {
        if (replica.leader !== this.id || replica.staged.length === 0) continue;
        this.sendEntries(replica.replicationTargets(this.id), replica, replica.staged);
        replica.staged = [];
      }
    });
    writes.length = 0;
    entries.length = 0;
    chunks.length = 0;
    for (const req of rejected) {
      const replica = this.replicas.get(replicaKey(req.t, req.p));
      this.respond({ id: req.id, s: Status.WrongReplica, ver: replica === undefined ? 0 : Math.max(replica.version, replica.retiredAtVersion) });
    }
    // Committed and durable here: now the followers may have it, and followers may say so.
    for (const replica of this.touched) {
      if (replica.leader === this.id) {
        replica.takeAcknowledged(this.acknowledged);
      } else if (!replica.installing) {
        this.sendRepl(replica.leader, { r: Repl.Ack, t: replica.table, p: replica.pid, from: this.id, i: replica.appliedIndex });
        if (replica.resendRequestedAfter === replica.appliedIndex) {
          this.sendRepl(replica.leader, { r: Repl.Resend, t: replica.table, p: replica.pid, from: this.id, i: replica.appliedIndex });
        }
      }
    }
    this.touched.clear();
    for (const parent of this.splitFollowers) {
      // The children have everything the parent had: ask their leader for what came after.
      for (const child of this.replicas.values()) {
        if (child.table === parent.table && child.parentPid === parent.pid && child.leader !== this.id) this.requestCatchUp(child);
      }
      this.replicas.delete(replicaKey(parent.table, parent.pid));
      this.store.dropReplica(parent.table, parent.pid, parent.dbs);
    }
    this.splitFollowers.length = 0;
    for (const replica of installed) {
      this.commit(() => this.persist(replica, replica.appliedIndex));
      this.emit({ event: 'installed', table: replica.table, pid: replica.pid, index: replica.appliedIndex });
    }
  }

  /** Leader side of a client write; runs inside the write transaction. Returns false to refuse it. */
  private applyClientWrite(req: WriteRequest): boolean {
    const key = replicaKey(req.t, req.p);
    const replica = this.replicas.get(key);
    // The replica may have been dropped or demoted since the request was queued, or be handing
    // its leadership over: the router retries on the map's next version.
    if (replica === undefined || replica.leader !== this.id || replica.handoffTo !== -1 || replica.retired) return false;
    this.touched.add(replica);
    const pending: PendingWrite = { index: replica.appliedIndex, requestId: req.id, attributes: null, err: null, msg: null, errItem: null, bytes: 0 };
    const wid = req.wid ?? '';
    const earlier = wid === '' ? undefined : this.dedup.find(wid, key);
    if (earlier !== undefined) {
      // A retry of a write this partition already has (it reached us before a failover).
      pending.index = earlier.index;
      pending.attributes = earlier.attributes;
      replica.pending.push(pending);
      return true;
    }
    if (!replica.hasReplicationTarget(this.id)) {
      // With no follower alive a write could never reach W = 2: refuse it before applying it.
      this.respond({ id: req.id, s: Status.Unavailable, msg: 'not enough replicas' });
      return true;
    }
    const storageKey = bufferView(req.k);
    const data = replica.dbs.data;
    // Deletes read the old item too: a delete of a missing item changes nothing and is not logged.
    const needsOld = req.x !== null || req.rv !== ReturnValues.NONE || req.w !== WriteKind.Put;
    const oldBytes = needsOld ? data.get(storageKey) : undefined;
    if (oldBytes !== undefined) pending.bytes = storedItemSize(oldBytes);
    let outcome: WriteOutcome;
    try {
      outcome = decideWrite(req, oldBytes === undefined ? undefined : decodeStoredItem(oldBytes));
    } catch (err) {
      if (!(err instanceof DynamoError)) throw err;
      pending.err = err.kind.name;
      pending.msg = err.message;
      if (err.extra?.Item !== undefined) pending.errItem = JSON.stringify(err.extra.Item);
      replica.pending.push(pending);
      return true;
    }
    pending.attributes = outcome.attributes;
    if (outcome.nextSizeBytes > pending.bytes) pending.bytes = outcome.nextSizeBytes;
    if (outcome.next !== undefined) {
      let stored: Uint8Array | null = null;
      if (outcome.next === null) {
        data.remove(storageKey);
      } else {
        stored = encodeStoredItem(outcome.next, outcome.nextSizeBytes);
        data.put(storageKey, bufferView(stored));
      }
      const entry: LogEntry = { e: replica.epoch, i: replica.appliedIndex + 1, m: [{ k: req.k, b: stored }], w: wid === '' ? null : wid, a: outcome.attributes };
      assertNextIndex(replica, entry);
      // Encoded once: the log stores these bytes and the followers receive and store the same.
      const entryBytes = encodeFrame(entry);
      replica.dbs.log.put(entry.i, bufferView(entryBytes));
      replica.appliedIndex = entry.i;
      replica.staged.push(entryBytes);
      pending.index = entry.i;
      if (wid !== '') this.dedup.remember(wid, { replica: key, index: entry.i, attributes: outcome.attributes });
    }
    replica.pending.push(pending);
    return true;
  }

  /** Follower side: apply entries strictly in log order; a gap asks the leader to resend. */
  private applyReplicatedEntries(frame: ReplEntries): void {
    const key = replicaKey(frame.t, frame.p);
    const replica = this.replicas.get(key);
    if (replica === undefined || replica.installing || replica.awaitingSplit || replica.retired || replica.leader === this.id) return;
    // Fencing: a leader of an older epoch has been replaced; nothing it sends is applied.
    if (frame.e < replica.epoch) return;
    if (frame.e > replica.epoch || frame.from !== replica.leader) {
      replica.epoch = frame.e;
      replica.leader = frame.from;
    }
    const data = replica.dbs.data;
    for (const entryBytes of frame.entries) {
      const entry = decodeFrame(entryBytes) as LogEntry;
      if (entry.i <= replica.appliedIndex) continue; // already have it (a resend overlapped)
      if (entry.i !== replica.appliedIndex + 1) {
        if (replica.resendRequestedAfter !== replica.appliedIndex) replica.resendRequestedAfter = replica.appliedIndex;
        break;
      }
      for (const m of entry.m) {
        const storageKey = bufferView(m.k);
        if (m.b === null) data.remove(storageKey);
        else data.put(storageKey, bufferView(m.b));
      }
      // Stored exactly as the leader's log has it.
      replica.dbs.log.put(entry.i, bufferView(entryBytes));
      replica.appliedIndex = entry.i;
      if (entry.split !== undefined) {
        this.applySplit(replica, entry.split);
        this.touched.add(replica);
        this.splitFollowers.push(replica);
        return;
      }
      if (entry.w !== null) this.dedup.remember(entry.w, { replica: key, index: entry.i, attributes: entry.a });
      if (replica.resendRequestedAfter !== -1 && replica.resendRequestedAfter < entry.i) replica.resendRequestedAfter = -1;
    }
    this.touched.add(replica);
  }

  /** New replica: store one snapshot chunk; the last one sets the replica's log position. */
  private installSnapshotChunk(chunk: ReplSnapshotChunk): PartitionReplica | null {
    const replica = this.replicas.get(replicaKey(chunk.t, chunk.p));
    if (replica === undefined || replica.leader === this.id || chunk.e < replica.epoch) return null;
    const data = replica.dbs.data;
    if (chunk.first) {
      // A follower too far behind the leader's log (or a new replica) starts over from the snapshot.
      data.clearSync();
      replica.dbs.log.clearSync();
      replica.installing = true;
    }
    if (!replica.installing) return null;
    for (let i = 0; i < chunk.kv.length; i += 2) {
      const k = chunk.kv[i];
      const v = chunk.kv[i + 1];
      data.put(bufferView(k), bufferView(v));
    }
    if (!chunk.done) return null;
    replica.installing = false;
    replica.appliedIndex = chunk.i;
    replica.logFirstIndex = chunk.i + 1;
    if (chunk.e > replica.epoch) replica.epoch = chunk.e;
    this.touched.add(replica);
    // Entries after the snapshot come from the leader's log.
    replica.resendRequestedAfter = chunk.i;
    return replica;
  }

  /**
   * Drops log entries every follower has, keeping a tail for catch-up after restarts; and never
   * keeps more than logEntriesMax, so a follower that fell far behind is rebuilt from a snapshot.
   */
  private trimLog(replica: PartitionReplica): void {
    const needed = (replica.leader === this.id ? replica.slowestFollowerIndex(this.id) : replica.appliedIndex) - Math.min(logRetainedEntries, this.logEntriesMax);
    const keepFrom = Math.max(needed, replica.appliedIndex - this.logEntriesMax);
    const upTo = Math.min(keepFrom, replica.logFirstIndex + logTrimPerCommitMax);
    if (upTo <= replica.logFirstIndex) return;
    // The bound on entries kept holds exactly; the retained tail may overrun it by up to one step.
    const overMax = replica.appliedIndex - replica.logFirstIndex + 1 > this.logEntriesMax;
    if (upTo - replica.logFirstIndex < logTrimStep && !overMax) return;
    for (let i = replica.logFirstIndex; i < upTo; i++) replica.dbs.log.remove(i);
    replica.logFirstIndex = upTo;
  }

  // ---- replication traffic ------------------------------------------------------------

  private onRepl(frame: ReplFrame): void {
    switch (frame.r) {
      case Repl.Entries:
        this.replEntries.push(frame);
        return;
      case Repl.SnapshotChunk:
        this.snapshotChunks.push(frame);
        return;
    }
    const replica = this.replicas.get(replicaKey(frame.t, frame.p));
    if (replica === undefined || replica.leader !== this.id || replica.installing) return;
    if (replica.retired && frame.r === Repl.SnapshotRequest) return;
    switch (frame.r) {
      case Repl.Ack: {
        const prev = replica.followerAcked.get(frame.from) ?? 0;
        if (frame.i > prev) replica.followerAcked.set(frame.from, frame.i);
        replica.takeAcknowledged(this.acknowledged);
        if (replica.handoffTo !== -1) this.checkHandoff(replica);
        if (replica.retired) this.dropRetiredIfDone(replica);
        return;
      }
      case Repl.Resend:
        this.resend(replica, frame);
        return;
      case Repl.SnapshotRequest:
        replica.learners.add(frame.from);
        replica.followerAcked.delete(frame.from);
        this.snapshots.push(new SnapshotSender(replica.table, replica.pid, frame.from, replica.appliedIndex, replica.dbs.data));
        return;
    }
  }

  private resend(replica: PartitionReplica, frame: ReplAck): void {
    if (frame.i < replica.logFirstIndex - 1) {
      // The follower is behind the trimmed log: only a snapshot can bring it back.
      replica.learners.add(frame.from);
      this.snapshots.push(new SnapshotSender(replica.table, replica.pid, frame.from, replica.appliedIndex, replica.dbs.data));
      return;
    }
    const prev = replica.followerAcked.get(frame.from) ?? 0;
    if (frame.i > prev) replica.followerAcked.set(frame.from, frame.i);
    const entries: Uint8Array[] = [];
    for (const { value } of replica.dbs.log.getRange({ start: frame.i + 1, end: replica.appliedIndex + 1 })) entries.push(value);
    this.sendEntries([frame.from], replica, entries);
    replica.takeAcknowledged(this.acknowledged);
  }

  /**
   * Sends log entries (their log bytes) to each target in frames of bounded size, so no frame can
   * outgrow a ring; each frame is encoded once whatever the number of targets.
   */
  private sendEntries(targets: number[], replica: PartitionReplica, entries: Uint8Array[]): void {
    if (targets.length === 0) return;
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      bytes += entries[i].length;
      if (i + 1 - start >= resendEntriesPerFrame || bytes >= entriesFrameBytesMax || i === entries.length - 1) {
        const frame: ReplEntries = { r: Repl.Entries, t: replica.table, p: replica.pid, from: this.id, e: replica.epoch, entries: start === 0 && i === entries.length - 1 ? entries : entries.slice(start, i + 1) };
        const encoded = encodeFrame(frame);
        for (const target of targets) this.sendEncodedRepl(target, frame, encoded);
        start = i + 1;
        bytes = 0;
      }
    }
  }

  private sendSnapshots(): boolean {
    let sent = false;
    for (let s = this.snapshots.length - 1; s >= 0; s--) {
      const sender = this.snapshots[s];
      const replica = this.replicas.get(replicaKey(sender.table, sender.pid));
      const out = this.links.peerOut.get(sender.target);
      if (replica === undefined || replica.leader !== this.id || out === undefined) {
        this.snapshots.splice(s, 1);
        continue;
      }
      for (let n = 0; n < snapshotChunksPerPump && out.pending() === 0 && !sender.done; n++) {
        this.sendRepl(sender.target, sender.next(this.id, replica.epoch));
        sent = true;
      }
      if (sender.done) this.snapshots.splice(s, 1);
    }
    return sent;
  }

  private respondAcknowledged(): void {
    for (const p of this.acknowledged) {
      if (p.err !== null) this.respond({ id: p.requestId, s: Status.ClientError, err: p.err, msg: p.msg ?? '', item: p.errItem, n: p.bytes });
      else this.respond({ id: p.requestId, s: Status.Ok, item: p.attributes, n: p.bytes });
    }
    this.acknowledged.length = 0;
  }

  // ---- outbound -----------------------------------------------------------------------

  private respond(res: StorageResponse): void {
    // A node the control plane has declared dead answers nothing: its replicas have new leaders.
    if (this.board.isFenced(this.id)) return;
    this.links.responses.send(encodeResponse(res));
  }

  private sendRepl(to: number, frame: ReplFrame): void {
    this.sendEncodedRepl(to, frame, encodeFrame(frame));
  }

  /** `bytes` is encodeFrame(frame); the same bytes may go to several peers (they are never modified). */
  private sendEncodedRepl(to: number, frame: ReplFrame, bytes: Uint8Array): void {
    const out = this.links.peerOut.get(to);
    if (out === undefined) throw new Error(`node ${this.id} has no ring to node ${to}`);
    // Fault injection acts on what a leader sends a replica (entries, snapshots), not on acks.
    const fault = frame.r === Repl.Entries || frame.r === Repl.SnapshotChunk ? this.board.replFault(this.id, to) : 0;
    if (fault === 0) {
      out.send(bytes);
    } else if (fault > 0) {
      // Delivered late. Frames still leave in order (each waits the same delay).
      setTimeout(() => out.send(bytes), fault);
    }
    // fault < 0: dropped.
  }

  /** One synced write transaction, flagged on the health board while it runs (see AutoAdmin). */
  private commit(fn: () => void): void {
    this.board.setCommitting(this.id, true);
    try {
      // Fault injection: a disk that stops answering in the middle of a commit.
      if (this.board.commitHangRequested(this.id)) this.board.hangWhileRequested(this.id);
      this.store.writeTransaction(fn);
    } finally {
      this.board.setCommitting(this.id, false);
    }
    // The commit may have taken longer than a beat interval: the node is alive, say so.
    this.board.beat(this.id);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

interface LmdbStats {
  pageSize: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

function lmdbBytes(stats: LmdbStats): number {
  return stats.pageSize * (stats.treeLeafPageCount + stats.overflowPages);
}


function replicaKey(table: string, pid: number): string {
  return table + ':' + pid;
}

/** The first 4 bytes of every item key are the partition key's hash (big-endian). */
function keyHash(key: Uint8Array): number {
  return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
}

/** The log grows by exactly one per entry: anything else would corrupt every replica after it. */
function assertNextIndex(replica: PartitionReplica, entry: LogEntry): void {
  if (entry.i !== replica.appliedIndex + 1 || entry.e !== replica.epoch) {
    throw new Error(`log order violated on ${replica.table}/${replica.pid}: ${entry.e}/${entry.i} after ${replica.epoch}/${replica.appliedIndex}`);
  }
}
