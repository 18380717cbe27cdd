// A storage node: the I/O loop around the replication state machines of the partition
// replicas it holds. Each pump drains the router's requests and the peers' replication frames,
// steps the machines, and carries out what they ask, in this order:
//   1. persist: one batch with every log append, truncation, trim, applied entry, snapshot chunk
//      and replica record of the pump; commit() makes it atomic (and durable when it calls back);
//   2. send: frames to peers. A leader's new entries may leave before its own batch is durable:
//      its copy counts toward W = 2 only once durable (ReplicaMachine.persisted), so W = 2 still
//      means two durable copies. A follower's ack leaves only once the entries it vouches for are
//      durable here;
//   3. answer: writes once committed (on two durable voter copies); reads once every write
//      committed before they arrived is applied (leader reads) or at once from the applied data
//      (eventually consistent reads on followers).
// What may overlap: a batch's commit with the next pump's steps (a machine acts only on what a
// durable callback reported), and sends with commits (see 2).
import { ReplicaMachine, type MachineConfig, type Membership, type ReplicaRecord, type FenceReport, type SealToken } from '../replication/replica-machine.ts';
import { ReplicaState } from '../replication/replica-state.ts';
import { ReplFrameType, type ReplFrame } from '../replication/frames.ts';
import { WriteIds } from '../replication/write-ids.ts';
import type { SplitEntry } from '../replication/log-entry.ts';
import { encodeFrame, decodeFrame } from '../rings/frame-codec.ts';
import { decodeRequest, encodeResponse } from './message-codec.ts';
import { Op, Status, type PartitionAssignment, type StorageRequest, type StorageResponse, type WriteRequest } from './messages.ts';
import { hashRangeOptions, logIndexMax, type NodeStore } from './node-store.ts';
import { createHash } from 'node:crypto';
import type { ReplicaDigest } from '../control/control-messages.ts';
import { SnapshotSender } from './snapshot-sender.ts';
import { ReplicaSlot, type ReadToken, type WriteAnswer } from './replica-slot.ts';
import { applyCommitted } from './replica-apply.ts';
import { appendEntry, handleWrite } from './leader-write.ts';
import { handleRead, serveRead } from './read-serve.ts';
import { InvariantError } from '../replication/invariants.ts';

/** Where the node's frames go and come from: the rings in a worker, queues in the simulator. */
export interface NodeTransport {
  readRequest(): Uint8Array | null;
  readonly peers: readonly number[];
  readPeer(peer: number): Uint8Array | null;
  respond(bytes: Uint8Array): void;
  /** `kind` is the replication frame's type (fault injection acts on entries and snapshots only). */
  sendPeer(to: number, bytes: Uint8Array, kind?: number): void;
  /** Frames waiting for room toward `to` (snapshot chunks wait for an empty queue). */
  peerBacklog(to: number): number;
  /** Moves queued frames into the rings; returns whether any moved. */
  flush(): boolean;
  hasInput(): boolean;
  hasBacklog(): boolean;
}

export type NodeEvent =
  | { event: 'installed'; table: string; pid: number; index: number }
  /** A leader asked to hand off has stopped taking writes and its successor has every entry. */
  | { event: 'handoffReady'; table: string; pid: number; index: number }
  /** A leader applied a split: the two children exist here, led by it. */
  | { event: 'splitApplied'; table: string; pid: number; index: number; children: PartitionAssignment[] };

export interface StorageNodeOptions {
  id: number;
  machine: Omit<MachineConfig, 'self'>;
  /** How long write ids are remembered (covers every retry of a write); and at most how many. */
  writeIdRetentionMs: number;
  writeIdsMax: number;
  snapshotChunkBytesMax: number;
  snapshotChunksPerPump: number;
  /** Bytes of items' JSON a Query or Scan page may gather (its answer fits one ring frame). */
  pageJsonBudgetBytes: number;
  requestsPerPumpMax: number;
  replFramesPerPumpMax: number;
  /** A split counts its halves' items exactly up to this many, and estimates beyond. */
  splitCountItemsMax: number;
  now: () => number;
  /** First snapshot stream id (unique per incarnation of the node). */
  streamIdBase: number;
  /** Whether a peer was declared dead: what it says no longer counts (finding F12). */
  peerFenced: (node: number) => boolean;
  emit: (event: NodeEvent) => void;
  /** A batch became durable (its callback came through the event loop): the loop should pump. */
  wake: () => void;
  /** Beats the heartbeat from inside long work (one huge item read): the node is alive. */
  beat: () => void;
}

/** The report describe() gives of each replica. */
export interface ReplicaReport {
  table: string;
  pid: number;
  state: string;
  assignment: PartitionAssignment;
  leader: boolean;
  epoch: number;
  last: number;
  committed: number;
  applied: number;
  items: number;
  bytes: number;
  followers: Record<number, { match: number; applied: number }>;
}

export class StorageNode {
  readonly id: number;
  readonly store: NodeStore;
  private readonly transport: NodeTransport;
  private readonly options: StorageNodeOptions;
  readonly replicas = new Map<string, ReplicaSlot>();
  readonly writeIds: WriteIds;
  private readonly snapshots: SnapshotSender[] = [];
  private readonly touched = new Set<ReplicaSlot>();
  /** Slots whose batch became durable since the last pump (async stores call back later). */
  private readonly durableSlots: ReplicaSlot[] = [];
  private readonly machineConfig: MachineConfig;
  /** When each committed batch still waiting on the disk was committed, oldest first. */
  private readonly waitingSince: number[] = [];
  /** Seals of the batch being built, reported durable when it commits. */
  private pendingSeals: Array<[ReplicaSlot, SealToken]> = [];
  private nextStreamId: number;
  /** The newest map version this node has seen (answers to routers that are behind it). */
  knownVersion = 0;

  constructor(store: NodeStore, transport: NodeTransport, options: StorageNodeOptions) {
    this.id = options.id;
    this.store = store;
    this.transport = transport;
    this.options = options;
    this.machineConfig = { ...options.machine, self: options.id };
    this.writeIds = new WriteIds(options.writeIdRetentionMs, options.writeIdsMax);
    this.nextStreamId = options.streamIdBase;
  }

  // ---- replicas -------------------------------------------------------------------------

  key(table: string, pid: number): string {
    return table + ':' + pid;
  }

  /** Creates the slot for `record` (restored, or new) and registers it. */
  addReplica(record: ReplicaRecord): ReplicaSlot {
    const stored = this.store.storedLog(record.table, record.pid);
    const machine = new ReplicaMachine<WriteAnswer, ReadToken>(record.table, record.pid, this.machineConfig, this.store, record, stored.epochs, stored.last);
    machine.streamIds = () => this.nextStreamId++;
    const slot = new ReplicaSlot(machine);
    this.replicas.set(this.key(record.table, record.pid), slot);
    this.knownVersion = Math.max(this.knownVersion, record.membership.version);
    this.touched.add(slot);
    return slot;
  }

  /** Replicas recorded before a restart. None leads until the control plane's election promotes it. */
  restore(): void {
    for (const record of this.store.records()) {
      if (record.state === ReplicaState.Retired) {
        // Split before the restart: its children hold its data; followers that missed the split
        // are rebuilt from the children's snapshots.
        this.store.removeRecord(record.table, record.pid);
        this.store.removeLog(record.table, record.pid, 0, logIndexMax);
        this.knownVersion = Math.max(this.knownVersion, record.membership.version);
        continue;
      }
      if (record.state === ReplicaState.Leading || record.state === ReplicaState.HandingOff || record.state === ReplicaState.Splitting) record.state = ReplicaState.Following;
      this.addReplica(record);
    }
    this.commitBatch();
  }

  assign(assignments: PartitionAssignment[]): void {
    for (const a of assignments) {
      if (a.version > this.knownVersion) this.knownVersion = a.version;
      const key = this.key(a.table, a.pid);
      const slot = this.replicas.get(key);
      const membership = membershipOf(a);
      if (!a.replicas.includes(this.id)) {
        // Moved off this node by a newer map: forget it (answers go elsewhere now).
        if (slot !== undefined && a.version > slot.machine.membership.version && slot.machine.state !== ReplicaState.Installing) this.forget(slot, true);
        continue;
      }
      if (slot !== undefined) {
        slot.machine.assign(membership);
        this.touched.add(slot);
        continue;
      }
      const record = ReplicaMachine.emptyRecord(a.table, a.pid, membership, ReplicaState.Following, a.epoch);
      if (a.parent === undefined) {
        // A partition of a new table: every replica starts empty, and its leader leads at once.
        const created = this.addReplica(record);
        created.machine.recordDirty = true;
        created.machine.adoptLeader(a.leader);
        continue;
      }
      // A split's child. Holding its parent unsplit, this replica fills when it applies the split
      // entry; not holding the parent, it holds none of the child's items: it is rebuilt from a
      // snapshot (never created empty, which would miss them, finding F3).
      const parent = this.replicas.get(this.key(a.table, a.parent));
      record.state = parent !== undefined && parent.machine.state !== ReplicaState.Retired ? ReplicaState.AwaitingSplit : ReplicaState.Installing;
      const created = this.addReplica(record);
      created.machine.recordDirty = true;
      created.machine.adoptLeader(a.leader);
      if (record.state === ReplicaState.Installing) created.machine.startInstall();
    }
  }

  fence(table: string, pid: number, epoch: number): FenceReport | null {
    const slot = this.replicas.get(this.key(table, pid));
    if (slot === undefined) return null;
    const report = slot.machine.fence(epoch);
    this.touched.add(slot);
    return report;
  }

  /** Repair: build a replica of `a` here from a snapshot sent by its leader. */
  install(a: PartitionAssignment): void {
    const old = this.replicas.get(this.key(a.table, a.pid));
    if (old !== undefined) this.forget(old, true);
    const slot = this.addReplica(ReplicaMachine.emptyRecord(a.table, a.pid, membershipOf(a), ReplicaState.Installing, a.epoch));
    slot.machine.recordDirty = true;
    slot.machine.adoptLeader(a.leader);
    slot.machine.startInstall();
  }

  handoff(table: string, pid: number, target: number): boolean {
    const slot = this.replicas.get(this.key(table, pid));
    if (slot === undefined) return false;
    const ok = slot.machine.handoff(target);
    this.touched.add(slot);
    return ok;
  }

  /** Starts a split of a partition this node leads (the split is an entry in its log). */
  split(table: string, pid: number, split: SplitEntry): boolean {
    const slot = this.replicas.get(this.key(table, pid));
    if (slot === undefined || !slot.machine.beginSplit(split)) return false;
    const m = slot.machine;
    appendEntry(this, slot, { e: m.epoch, i: m.nextIndex(), m: [], w: null, a: null, split });
    this.touched.add(slot);
    return true;
  }

  dropTable(table: string): void {
    for (const slot of [...this.replicas.values()]) if (slot.machine.table === table) this.forget(slot, false);
    this.store.dropTable(table);
    this.commitBatch();
  }

  dropReplica(table: string, pid: number): void {
    const slot = this.replicas.get(this.key(table, pid));
    if (slot !== undefined) this.forget(slot, true);
    this.commitBatch();
  }

  /** Forgets a replica: its record and log, and (clearData) its items. Waiting clients retry elsewhere. */
  forget(slot: ReplicaSlot, clearData: boolean): void {
    const m = slot.machine;
    m.fence(m.epoch + 1);
    this.respondAll(slot);
    this.replicas.delete(this.key(m.table, m.pid));
    this.touched.delete(slot);
    this.store.removeRecord(m.table, m.pid);
    this.store.removeLog(m.table, m.pid, 0, logIndexMax);
    if (clearData) this.store.clearRange(m.table, m.membership.hashStart, m.membership.hashEnd);
    this.writeIds.forgetReplica(m.table, m.pid);
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const s = this.snapshots[i];
      if (s.table === m.table && s.pid === m.pid) {
        s.close();
        this.snapshots.splice(i, 1);
      }
    }
  }

  describe(): ReplicaReport[] {
    const out: ReplicaReport[] = [];
    for (const { machine: m } of this.replicas.values()) {
      const followers: Record<number, { match: number; applied: number }> = {};
      for (const [node, p] of m.progress) followers[node] = { match: p.match, applied: p.applied };
      out.push({
        table: m.table,
        pid: m.pid,
        state: m.state,
        assignment: assignmentOf(m.table, m.pid, m.membership),
        leader: m.isLeader(),
        epoch: m.epoch,
        last: m.last,
        committed: m.committed,
        applied: m.applied,
        items: m.items,
        bytes: m.bytes,
        followers,
      });
    }
    return out;
  }

  touch(slot: ReplicaSlot): void {
    this.touched.add(slot);
  }

  now(): number {
    return this.options.now();
  }

  get splitCountItemsMax(): number {
    return this.options.splitCountItemsMax;
  }

  get pageJsonBudgetBytes(): number {
    return this.options.pageJsonBudgetBytes;
  }

  beat(): void {
    this.options.beat();
  }

  /** A follower that applied a split forgets the parent at once (its children hold the range). */
  retireFollowerParent(slot: ReplicaSlot): void {
    this.forget(slot, false);
  }

  /** A peer was replaced by a new, empty incarnation: what was known of the old one is void. */
  peerReplaced(peer: number): void {
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      if (this.snapshots[i].target !== peer) continue;
      this.snapshots[i].close();
      this.snapshots.splice(i, 1);
    }
    for (const slot of this.replicas.values()) {
      slot.machine.forgetPeer(peer);
      this.touched.add(slot);
    }
  }

  /** Each replica of `table` here, with a hash of its items (to compare the replicas of a partition). */
  digest(table: string): ReplicaDigest[] {
    const out: ReplicaDigest[] = [];
    for (const { machine: m } of this.replicas.values()) {
      if (m.table !== table) continue;
      const hash = createHash('sha256');
      let items = 0;
      for (const { key, value } of this.store.items(table).getRange(hashRangeOptions(m.membership.hashStart, m.membership.hashEnd))) {
        hash.update(key);
        hash.update(value);
        items++;
      }
      out.push({ table, pid: m.pid, state: m.state, applied: m.applied, items, sha256: hash.digest('hex') });
    }
    return out;
  }

  // ---- the loop -------------------------------------------------------------------------

  /** One pass over every inbound ring, then persist, send, answer. Returns whether there was work. */
  pump(): boolean {
    let worked = this.durableSlots.length > 0;
    for (const slot of this.durableSlots) this.touched.add(slot);
    this.durableSlots.length = 0;
    for (let n = 0; n < this.options.requestsPerPumpMax; n++) {
      const bytes = this.transport.readRequest();
      if (bytes === null) break;
      worked = true;
      this.onRequest(decodeRequest(bytes));
    }
    for (const peer of this.transport.peers) {
      for (let n = 0; n < this.options.replFramesPerPumpMax; n++) {
        const bytes = this.transport.readPeer(peer);
        if (bytes === null) break;
        worked = true;
        this.onRepl(decodeFrame(bytes) as ReplFrame);
      }
    }
    if (this.touched.size > 0) {
      worked = true;
      this.persistTouched();
      this.commitBatch();
      this.flushTouched();
    }
    if (this.snapshots.length > 0) worked = this.sendSnapshots() || worked;
    return this.transport.flush() || worked;
  }

  /** Periodic (every heartbeat interval): lets machines resend to silent peers and restart stalled installs. */
  tick(): void {
    for (const slot of this.replicas.values()) {
      slot.machine.tick();
      this.touched.add(slot);
    }
  }

  hasInput(): boolean {
    return this.hasWork() || this.transport.hasInput();
  }

  hasBacklog(): boolean {
    return this.snapshots.length > 0 || this.transport.hasBacklog();
  }

  private onRequest(req: StorageRequest): void {
    const slot = this.replicas.get(this.key(req.t, req.p));
    if (slot === undefined) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: this.knownVersion });
      return;
    }
    if (req.v < slot.machine.membership.version) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: Math.max(slot.machine.membership.version, this.knownVersion) });
      return;
    }
    if (req.op === Op.Write) handleWrite(this, slot, req as WriteRequest);
    else handleRead(this, slot, req);
  }

  private onRepl(frame: ReplFrame): void {
    const slot = this.replicas.get(this.key(frame.t, frame.p));
    if (slot === undefined) return;
    // A node declared dead is fenced: what it still says (a late ack) must not count.
    if (frame.r === ReplFrameType.Ack && this.options.peerFenced(frame.from)) return;
    slot.machine.step(frame);
    this.touched.add(slot);
  }

  /** Writes what the touched machines asked for into the store's batch. */
  private persistTouched(): void {
    const store = this.store;
    const sealed: Array<[ReplicaSlot, SealToken]> = [];
    for (const slot of this.touched) {
      const m = slot.machine;
      // Touched only to send or answer: nothing to write, no batch to wait for.
      if (!m.hasPendingActions()) continue;
      if (m.truncateFrom >= 0) {
        store.removeLog(m.table, m.pid, m.truncateFrom, logIndexMax);
        for (const e of m.truncated) if (e.w !== null) this.writeIds.forget(e.w, m.table, m.pid, e.i);
      }
      for (const install of m.installs) this.writeInstall(slot, install);
      const now = this.options.now();
      for (const a of m.appends) {
        store.appendLog(m.table, m.pid, a.index, a.entry.e, a.bytes);
        if (a.entry.w !== null) this.writeIds.remember(a.entry.w, m.table, m.pid, a.index, a.entry.a, now);
      }
      if (m.applyTo >= 0) applyCommitted(this, slot);
      if (this.replicas.get(this.key(m.table, m.pid)) !== slot) continue; // forgotten (a follower's split parent)
      if (m.trimThrough >= 0) store.removeLog(m.table, m.pid, 0, m.trimThrough);
      if (m.recordDirty || m.applyTo >= 0) store.putRecord(m.record());
      sealed.push([slot, m.seal()]);
    }
    this.pendingSeals = sealed;
  }


  private writeInstall(slot: ReplicaSlot, install: { clear: boolean; kv: Uint8Array[]; ids: Array<string | number | null> }): void {
    const m = slot.machine;
    if (install.clear) {
      this.store.clearRange(m.table, m.membership.hashStart, m.membership.hashEnd);
      this.store.removeLog(m.table, m.pid, 0, logIndexMax);
      this.writeIds.forgetReplica(m.table, m.pid);
    }
    for (let i = 0; i < install.kv.length; i += 2) this.store.putItem(m.table, install.kv[i], install.kv[i + 1]);
    const now = this.options.now();
    for (let i = 0; i < install.ids.length; i += 3) {
      this.writeIds.remember(install.ids[i] as string, m.table, m.pid, install.ids[i + 1] as number, install.ids[i + 2] as string | null, now);
    }
  }

  /** Commits the batch; its seals are reported durable when the store calls back. */
  commitBatch(): void {
    const sealed = this.pendingSeals;
    this.pendingSeals = [];
    if (!this.store.batchPending() && sealed.length === 0) return;
    this.waitingSince.push(this.options.now());
    this.store.commit(() => {
      this.waitingSince.shift();
      for (const [slot, token] of sealed) {
        if (this.replicas.get(this.key(slot.machine.table, slot.machine.pid)) !== slot) continue;
        slot.machine.persisted(token);
        slot.unapplied?.applied(slot.machine.applied);
        this.durableSlots.push(slot);
      }
      this.options.wake();
    });
    for (const slot of this.durableSlots) this.touched.add(slot);
    this.durableSlots.length = 0;
  }

  /** Sends what the machines have for peers and answers what they released. */
  private flushTouched(): void {
    for (const slot of this.touched) {
      const m = slot.machine;
      m.flush();
      for (const out of m.outgoing) this.sendRepl(out.to, out.frame);
      m.outgoing.length = 0;
      this.respondAll(slot);
      for (const s of m.snapshotsToStart) this.startSnapshot(slot, s.target, s.sid);
      m.snapshotsToStart.length = 0;
      for (const e of m.events) this.onMachineEvent(slot, e);
      m.events.length = 0;
      if (m.state === ReplicaState.Retired && m.leader === this.id) this.dropRetiredIfDone(slot);
    }
    // Machines with work left (an apply scheduled by a durable callback, a trim) stay touched.
    const again: ReplicaSlot[] = [];
    for (const slot of this.touched) if (slot.machine.hasPendingActions() && this.replicas.get(this.key(slot.machine.table, slot.machine.pid)) === slot) again.push(slot);
    this.touched.clear();
    for (const slot of again) this.touched.add(slot);
  }

  /** How long the oldest batch not yet durable has waited on the disk (0: none waits). */
  durabilityLagMs(): number {
    return this.waitingSince.length === 0 ? 0 : this.options.now() - this.waitingSince[0];
  }

  /** Whether batches wait on the disk (their durability arrives later, through the event loop). */
  awaitsDisk(): boolean {
    return this.waitingSince.length > 0;
  }

  /** Whether a pump is owed work even with no new input. */
  hasWork(): boolean {
    return this.touched.size > 0 || this.durableSlots.length > 0;
  }

  private respondAll(slot: ReplicaSlot): void {
    const m = slot.machine;
    for (const w of m.writesDone) this.respond(w.err === null ? { id: w.id, s: Status.Ok, item: w.attributes, n: w.bytes } : { id: w.id, s: Status.ClientError, err: w.err, msg: w.msg ?? '', item: w.errItem, n: w.bytes });
    m.writesDone.length = 0;
    for (const w of m.writesUnknown) this.respond({ id: w.id, s: Status.Retry });
    m.writesUnknown.length = 0;
    for (const r of m.readsReady) serveRead(this, slot, r);
    m.readsReady.length = 0;
    for (const r of m.readsRefused) this.respond({ id: r.id, s: Status.WrongReplica, ver: Math.max(m.membership.version, this.knownVersion) });
    m.readsRefused.length = 0;
  }

  private onMachineEvent(slot: ReplicaSlot, e: (typeof slot.machine.events)[number]): void {
    const m = slot.machine;
    switch (e.event) {
      case 'promoted':
        slot.becameLeader();
        return;
      case 'installed':
        this.options.emit({ event: 'installed', table: m.table, pid: m.pid, index: e.index });
        this.dropStaleParent(slot);
        return;
      case 'handoffReady':
        this.options.emit({ event: 'handoffReady', table: m.table, pid: m.pid, index: e.index });
        return;
      case 'splitApplied': {
        const children: PartitionAssignment[] = [];
        for (const pid of [e.split.lowPid, e.split.highPid]) {
          const child = this.replicas.get(this.key(m.table, pid));
          if (child !== undefined) children.push(assignmentOf(m.table, pid, child.machine.membership));
        }
        this.options.emit({ event: 'splitApplied', table: m.table, pid: m.pid, index: e.index, children });
        return;
      }
    }
  }

  /** A split child rebuilt from a snapshot no longer needs the unsplit parent it was waiting on. */
  private dropStaleParent(child: ReplicaSlot): void {
    const parentPid = child.machine.membership.parent;
    if (parentPid === undefined) return;
    const parent = this.replicas.get(this.key(child.machine.table, parentPid));
    if (parent === undefined || parent.machine.state === ReplicaState.Retired) return;
    // Its items now belong to the children (the other child clears its range when it installs).
    this.forget(parent, false);
  }

  /** The leader forgets a split parent once every follower has applied the split. */
  private dropRetiredIfDone(slot: ReplicaSlot): void {
    const m = slot.machine;
    for (const [node, p] of m.progress) if (m.membership.voters.includes(node) && p.applied < m.splitIndex) return;
    this.forget(slot, false);
    this.commitBatch();
  }

  private startSnapshot(slot: ReplicaSlot, target: number, sid: number): void {
    const m = slot.machine;
    // One stream per target and partition: a newer request replaces an older stream (finding F8).
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const s = this.snapshots[i];
      if (s.table === m.table && s.pid === m.pid && s.target === target) {
        s.close();
        this.snapshots.splice(i, 1);
      }
    }
    const view = this.store.snapshot(m.table, m.pid, m.membership.hashStart, m.membership.hashEnd);
    const ids: Array<string | number | null> = [];
    this.writeIds.of(m.table, m.membership.parent === undefined ? [m.pid] : [m.pid, m.membership.parent], ids);
    const sender = new SnapshotSender(m.table, m.pid, target, sid, view, (i) => m.epochAt(i), ids, this.options.snapshotChunkBytesMax);
    m.snapshotStarted(target, sid, sender.index);
    this.snapshots.push(sender);
  }

  private sendSnapshots(): boolean {
    let sent = false;
    for (let s = this.snapshots.length - 1; s >= 0; s--) {
      const sender = this.snapshots[s];
      const slot = this.replicas.get(this.key(sender.table, sender.pid));
      if (slot === undefined || !slot.machine.isLeader()) {
        sender.close();
        this.snapshots.splice(s, 1);
        continue;
      }
      for (let n = 0; n < this.options.snapshotChunksPerPump && this.transport.peerBacklog(sender.target) === 0 && !sender.done; n++) {
        this.sendRepl(sender.target, sender.next(this.id, slot.machine.epoch));
        sent = true;
      }
      if (sender.done) this.snapshots.splice(s, 1);
    }
    return sent;
  }

  // ---- outbound -------------------------------------------------------------------------

  respond(res: StorageResponse): void {
    this.transport.respond(encodeResponse(res));
  }

  private sendRepl(to: number, frame: ReplFrame): void {
    if (!this.transport.peers.includes(to)) return;
    this.transport.sendPeer(to, encodeFrame(frame), frame.r);
  }
}

export function membershipOf(a: PartitionAssignment): Membership {
  const m: Membership = { hashStart: a.hashStart, hashEnd: a.hashEnd, voters: a.replicas.slice(), leader: a.leader, epoch: a.epoch, version: a.version };
  if (a.parent !== undefined) m.parent = a.parent;
  return m;
}

export function assignmentOf(table: string, pid: number, m: Membership): PartitionAssignment {
  const a: PartitionAssignment = { table, pid, hashStart: m.hashStart, hashEnd: m.hashEnd, replicas: m.voters.slice(), leader: m.leader, epoch: m.epoch, version: m.version };
  if (m.parent !== undefined) a.parent = m.parent;
  return a;
}

export { InvariantError };
