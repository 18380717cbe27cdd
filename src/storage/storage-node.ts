// A storage node: drains its rings, serves reads, applies writes in group-committed LMDB
// transactions, replicates them to followers and acknowledges at W = 2.
import { NodeStore, replicaMetaKey } from './node-store.ts';
import { PartitionReplica, type PendingWrite } from './partition-replica.ts';
import { decideWrite, type WriteOutcome } from './item-write.ts';
import { DynamoError } from '../protocol/errors.ts';
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
  type StorageRequest,
  type StorageResponse,
  type WriteRequest,
} from './messages.ts';
import { decodeStoredItem, encodeStoredItem, storedItemSize } from './stored-item.ts';
import { readRange } from './range-read.ts';
import type { Item } from '../values/types.ts';
import { encodeFrame, decodeFrame } from '../rings/frame-codec.ts';
import type { SpscRing } from '../rings/ring.ts';
import type { Outbox } from '../rings/outbox.ts';

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
/** Entries per catch-up frame, so a resend never builds a frame bigger than a ring. */
const resendEntriesPerFrame = 256;
/** Log entries kept beyond what every follower has, for catch-up after a restart. */
const logRetainedEntries = 2048;
/** Log entries trimmed per transaction, so trimming never makes one commit long. */
const logTrimPerCommitMax = 1024;

export class StorageNode {
  readonly id: number;
  private readonly store: NodeStore;
  private readonly links: StorageNodeLinks;
  private readonly replicas = new Map<string, PartitionReplica>();

  // Work gathered in one drain and applied in one write transaction.
  private readonly writes: WriteRequest[] = [];
  private readonly replEntries: ReplEntries[] = [];
  private readonly touched = new Set<PartitionReplica>();
  private readonly acknowledged: PendingWrite[] = [];

  constructor(id: number, store: NodeStore, links: StorageNodeLinks) {
    this.id = id;
    this.store = store;
    this.links = links;
  }

  // ---- control plane ----------------------------------------------------------------

  assign(assignments: PartitionAssignment[]): void {
    for (const a of assignments) {
      if (!a.replicas.includes(this.id)) continue;
      const key = replicaKey(a.table, a.pid);
      const existing = this.replicas.get(key);
      if (existing) {
        existing.update(a);
      } else {
        const replica = new PartitionReplica(a, this.store.openReplica(a.table, a.pid));
        this.replicas.set(key, replica);
        if (a.leader !== this.id) {
          // Ask the leader for anything this replica missed while it was down.
          this.sendRepl(a.leader, { r: Repl.Resend, t: a.table, p: a.pid, from: this.id, i: replica.appliedIndex });
          replica.resendRequestedAfter = replica.appliedIndex;
        }
      }
      this.store.meta.putSync(replicaMetaKey(a.table, a.pid), { epoch: a.epoch, version: a.version });
    }
  }

  dropTable(table: string): void {
    for (const [key, replica] of this.replicas) {
      if (replica.table !== table) continue;
      this.replicas.delete(key);
      const dropped: PendingWrite[] = [];
      replica.takeAllPending(dropped);
      for (const p of dropped) this.respondError(p.requestId, 'ResourceNotFoundException', 'Requested resource not found');
      this.store.dropReplica(replica.table, replica.pid, replica.dbs);
    }
  }

  describe(): Array<{ table: string; pid: number; applied: number; leader: boolean }> {
    return [...this.replicas.values()].map((r) => ({ table: r.table, pid: r.pid, applied: r.appliedIndex, leader: r.leader === this.id }));
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
      this.onRequest(decodeFrame(bytes) as StorageRequest);
    }
    for (const ring of this.links.peerIn.values()) {
      for (let n = 0; n < replFramesPerDrainMax; n++) {
        const bytes = ring.tryRead();
        if (bytes === null) break;
        worked = true;
        this.onRepl(decodeFrame(bytes) as ReplFrame);
      }
    }
    if (this.writes.length > 0 || this.replEntries.length > 0) this.commitBatch();
    if (this.acknowledged.length > 0) this.respondAcknowledged();
    worked = this.flushOutboxes() || worked;
    return worked;
  }

  /** Whether any inbound ring has frames (checked before sleeping). */
  hasInput(): boolean {
    if (!this.links.requests.isEmpty()) return true;
    for (const ring of this.links.peerIn.values()) if (!ring.isEmpty()) return true;
    return false;
  }

  /** Whether frames are waiting for room in an outbound ring. */
  hasBacklog(): boolean {
    if (this.links.responses.pending() > 0) return true;
    for (const out of this.links.peerOut.values()) if (out.pending() > 0) return true;
    return false;
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
    if (replica === undefined) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: 0 });
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
    const value = replica.dbs.data.get(Buffer.from(req.k.buffer, req.k.byteOffset, req.k.byteLength));
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
    const rejected: WriteRequest[] = [];
    this.store.writeTransaction(() => {
      for (let i = 0; i < writes.length; i++) {
        if (!this.applyClientWrite(writes[i])) rejected.push(writes[i]);
      }
      for (let i = 0; i < entries.length; i++) this.applyReplicatedEntries(entries[i]);
      for (const replica of this.touched) this.trimLog(replica);
    });
    writes.length = 0;
    entries.length = 0;
    for (const req of rejected) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: this.replicas.get(replicaKey(req.t, req.p))?.version ?? 0 });
    }
    // Committed and durable here: now the followers may have it, and followers may say so.
    for (const replica of this.touched) {
      if (replica.leader === this.id) {
        replica.takeAcknowledged(this.acknowledged);
        if (replica.staged.length > 0) {
          for (const follower of replica.followers(this.id)) {
            this.sendRepl(follower, { r: Repl.Entries, t: replica.table, p: replica.pid, from: this.id, entries: replica.staged });
          }
          replica.staged = [];
        }
      } else {
        this.sendRepl(replica.leader, { r: Repl.Ack, t: replica.table, p: replica.pid, from: this.id, i: replica.appliedIndex });
        if (replica.resendRequestedAfter === replica.appliedIndex) {
          this.sendRepl(replica.leader, { r: Repl.Resend, t: replica.table, p: replica.pid, from: this.id, i: replica.appliedIndex });
        }
      }
    }
    this.touched.clear();
  }

  /** Leader side of a client write; runs inside the write transaction. */
  private applyClientWrite(req: WriteRequest): boolean {
    const replica = this.replicas.get(replicaKey(req.t, req.p));
    // The replica may have been dropped or demoted since the request was queued.
    if (replica === undefined || replica.leader !== this.id) return false;
    const key = Buffer.from(req.k.buffer, req.k.byteOffset, req.k.byteLength);
    const data = replica.dbs.data;
    const needsOld = req.x !== null || req.rv !== ReturnValues.NONE || req.w === WriteKind.Update;
    const oldBytes = needsOld ? data.get(key) : undefined;
    const pending: PendingWrite = { index: replica.appliedIndex, requestId: req.id, attributes: null, err: null, msg: null, errItem: null };
    this.touched.add(replica);
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
    if (outcome.next !== undefined) {
      let stored: Uint8Array | null = null;
      if (outcome.next === null) {
        data.remove(key);
      } else {
        stored = encodeStoredItem(outcome.next, outcome.nextSizeBytes);
        data.put(key, Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength));
      }
      const entry: LogEntry = { e: replica.epoch, i: replica.appliedIndex + 1, m: [{ k: req.k, b: stored }] };
      replica.dbs.log.put(entry.i, Buffer.from(encodeFrame(entry)));
      replica.appliedIndex = entry.i;
      replica.staged.push(entry);
      pending.index = entry.i;
    }
    replica.pending.push(pending);
    return true;
  }

  /** Follower side: apply entries strictly in log order; a gap asks the leader to resend. */
  private applyReplicatedEntries(frame: ReplEntries): void {
    const replica = this.replicas.get(replicaKey(frame.t, frame.p));
    if (replica === undefined || replica.leader === this.id) return;
    const data = replica.dbs.data;
    for (const entry of frame.entries) {
      if (entry.i <= replica.appliedIndex) continue; // already have it (a resend overlapped)
      if (entry.i !== replica.appliedIndex + 1) {
        if (replica.resendRequestedAfter !== replica.appliedIndex) replica.resendRequestedAfter = replica.appliedIndex;
        break;
      }
      for (const m of entry.m) {
        const key = Buffer.from(m.k.buffer, m.k.byteOffset, m.k.byteLength);
        if (m.b === null) data.remove(key);
        else data.put(key, Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength));
      }
      replica.dbs.log.put(entry.i, Buffer.from(encodeFrame(entry)));
      replica.appliedIndex = entry.i;
      if (replica.resendRequestedAfter !== -1 && replica.resendRequestedAfter < entry.i) replica.resendRequestedAfter = -1;
    }
    this.touched.add(replica);
  }

  /** Drops log entries every follower has, keeping a tail for catch-up after restarts. */
  private trimLog(replica: PartitionReplica): void {
    const keepFrom = (replica.leader === this.id ? replica.slowestFollowerIndex(this.id) : replica.appliedIndex) - logRetainedEntries;
    const upTo = Math.min(keepFrom, replica.logFirstIndex + logTrimPerCommitMax);
    if (upTo <= replica.logFirstIndex) return;
    for (let i = replica.logFirstIndex; i < upTo; i++) replica.dbs.log.remove(i);
    replica.logFirstIndex = upTo;
  }

  // ---- replication traffic ------------------------------------------------------------

  private onRepl(frame: ReplFrame): void {
    if (frame.r === Repl.Entries) {
      this.replEntries.push(frame);
      return;
    }
    const replica = this.replicas.get(replicaKey(frame.t, frame.p));
    if (replica === undefined || replica.leader !== this.id) return;
    if (frame.r === Repl.Ack) {
      const prev = replica.followerAcked.get(frame.from) ?? 0;
      if (frame.i > prev) replica.followerAcked.set(frame.from, frame.i);
      replica.takeAcknowledged(this.acknowledged);
    } else {
      this.resend(replica, frame);
    }
  }

  private resend(replica: PartitionReplica, frame: ReplAck): void {
    if (frame.i < replica.logFirstIndex - 1) {
      // Snapshot transfer for a follower behind the trimmed log is the repair path (control plane).
      console.error(`[node ${this.id}] follower ${frame.from} of ${replica.table}/${replica.pid} is behind the log (${frame.i} < ${replica.logFirstIndex})`);
      return;
    }
    const prev = replica.followerAcked.get(frame.from) ?? 0;
    if (frame.i > prev) replica.followerAcked.set(frame.from, frame.i);
    let batch: LogEntry[] = [];
    for (const { value } of replica.dbs.log.getRange({ start: frame.i + 1, end: replica.appliedIndex + 1 })) {
      batch.push(decodeFrame(value) as LogEntry);
      if (batch.length >= resendEntriesPerFrame) {
        this.sendRepl(frame.from, { r: Repl.Entries, t: replica.table, p: replica.pid, from: this.id, entries: batch });
        batch = [];
      }
    }
    if (batch.length > 0) this.sendRepl(frame.from, { r: Repl.Entries, t: replica.table, p: replica.pid, from: this.id, entries: batch });
    replica.takeAcknowledged(this.acknowledged);
  }

  private respondAcknowledged(): void {
    for (const p of this.acknowledged) {
      if (p.err !== null) this.respond({ id: p.requestId, s: Status.ClientError, err: p.err, msg: p.msg ?? '', item: p.errItem });
      else this.respond({ id: p.requestId, s: Status.Ok, item: p.attributes });
    }
    this.acknowledged.length = 0;
  }

  // ---- outbound -----------------------------------------------------------------------

  private respond(res: StorageResponse): void {
    this.links.responses.send(encodeFrame(res));
  }

  private respondError(id: number, err: string, msg: string): void {
    this.respond({ id, s: Status.ClientError, err, msg });
  }

  private sendRepl(to: number, frame: ReplFrame): void {
    const out = this.links.peerOut.get(to);
    if (out === undefined) throw new Error(`node ${this.id} has no ring to node ${to}`);
    out.send(encodeFrame(frame));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function replicaKey(table: string, pid: number): string {
  return table + ':' + pid;
}

/** The first 4 bytes of every item key are the partition key's hash (big-endian). */
function keyHash(key: Uint8Array): number {
  return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
}

