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
import { ReplicaMachine, type MachineConfig, type ReplicaRecord } from '../replication/replica-machine.ts';
import { ReplicaState } from '../replication/replica-state.ts';
import { ReplFrameType, type ReplFrame } from '../replication/frames.ts';
import { WriteIds } from '../replication/write-ids.ts';
import { encodeFrame, decodeFrame } from '../rings/frame-codec.ts';
import { decodeRequest, encodeResponse } from './message-codec.ts';
import { Op, Status, type PartitionAssignment, type StorageRequest, type StorageResponse, type WriteRequest } from './messages.ts';
import { logIndexMax, type NodeStore } from './node-store.ts';
import { SnapshotStreams } from './snapshot-streams.ts';
import { DiskBatches } from './disk-batches.ts';
import { ReplicaSlot, type ReadToken, type WriteAnswer } from './replica-slot.ts';
import { applyCommitted, writeInstall } from './replica-apply.ts';
import { handleWrite } from './leader-write.ts';
import { handleRead, serveRead } from './read-serve.ts';
import { dropRetiredIfDone, onMachineEvent } from './replica-events.ts';
import type { NodeTransport } from './node-transport.ts';

/** Messages from this size on are long steps (a few ms each here): they announce it first. */
const longStepBytesMin = 1024 * 1024;
/**
 * Work between two beats inside one pump, counted as 1 per step plus 1 per 64 KB of its
 * message: a pump of hundreds of medium messages (400 KB items) takes longer than the failure
 * detector allows, so the node beats within it instead of only between pumps.
 */
const workPerBeat = 16;

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
  /** Batches committed but not yet durable at most; the next one grows meanwhile. */
  commitsInFlightMax: number;
  replFramesPerPumpMax: number;
  /** A split counts its halves' items exactly up to this many items and bytes of items, and estimates beyond. */
  splitCountItemsMax: number;
  splitCountBytesMax: number;
  now: () => number;
  /** First snapshot stream id (unique per incarnation of the node). */
  streamIdBase: number;
  /** Whether a peer was declared dead: what it says no longer counts (finding F12). */
  peerFenced: (node: number) => boolean;
  emit: (event: NodeEvent) => void;
  /** A batch became durable (its callback came through the event loop): the loop should pump. */
  wake: () => void;
  /**
   * Beats the heartbeat from inside long work (one huge item read): the node is alive. With
   * `longStepBytes`, it is about to handle a message that large in one go and may go quiet for
   * proportionally longer.
   */
  beat: (longStepBytes?: number) => void;
}

export class StorageNode {
  readonly id: number;
  readonly store: NodeStore;
  private readonly transport: NodeTransport;
  private readonly options: StorageNodeOptions;
  readonly replicas = new Map<string, ReplicaSlot>();
  readonly writeIds: WriteIds;
  private readonly snapshots: SnapshotStreams;
  private readonly touched = new Set<ReplicaSlot>();
  /** Slots whose batch became durable since the last pump (async stores call back later). */
  private readonly durableSlots: ReplicaSlot[] = [];
  private readonly machineConfig: MachineConfig;
  private readonly batches: DiskBatches;
  private nextStreamId: number;
  /** Steps (and their bytes) since the pump last beat: see workPerBeat. */
  private workSinceBeat = 0;
  /** Batches committed and log entries persisted in them (writes per commit, for benchmarks). */
  readonly stats: DiskBatches['stats'];
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
    this.snapshots = new SnapshotStreams(this, options.snapshotChunkBytesMax, options.snapshotChunksPerPump);
    this.batches = new DiskBatches(store, options.commitsInFlightMax, options.now);
    this.stats = this.batches.stats;
  }

  // ---- replicas -------------------------------------------------------------------------

  key(table: string, pid: number): string {
    return table + ':' + pid;
  }

  replicaOf(table: string, pid: number): ReplicaSlot | undefined {
    return this.replicas.get(table + ':' + pid);
  }

  /** A map version seen in an assignment or a split: routers behind it are told to refresh. */
  noteVersion(version: number): void {
    if (version > this.knownVersion) this.knownVersion = version;
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
    // A split parent's writes are committed and now the children's: a retry routed to a child
    // must still find them (they expire by time, finding F11).
    if (m.state !== ReplicaState.Retired) this.writeIds.forgetReplica(m.table, m.pid);
    this.snapshots.closePartition(m.table, m.pid);
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

  get splitCountBytesMax(): number {
    return this.options.splitCountBytesMax;
  }

  get pageJsonBudgetBytes(): number {
    return this.options.pageJsonBudgetBytes;
  }

  /**
   * Before one step over `bytes` of message: a large one announces it may keep the node quiet;
   * smaller ones add up, and the node beats once they make a pump long.
   */
  beforeStep(bytes: number): void {
    if (bytes >= longStepBytesMin) {
      this.workSinceBeat = 0;
      this.options.beat(bytes);
      return;
    }
    this.workSinceBeat += 1 + (bytes >>> 16);
    if (this.workSinceBeat >= workPerBeat) {
      this.workSinceBeat = 0;
      this.options.beat();
    }
  }

  emit(event: NodeEvent): void {
    this.options.emit(event);
  }

  get awaitSplitTicksMax(): number {
    return this.machineConfig.awaitSplitTicksMax;
  }

  /** A follower that applied a split forgets the parent at once (its children hold the range). */
  retireFollowerParent(slot: ReplicaSlot): void {
    this.forget(slot, false);
  }

  /** A peer was replaced by a new, empty incarnation: what was known of the old one is void. */
  peerReplaced(peer: number): void {
    this.snapshots.closeTarget(peer);
    for (const slot of this.replicas.values()) {
      slot.machine.forgetPeer(peer);
      this.touched.add(slot);
    }
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
      this.beforeStep(bytes.length);
      this.onRequest(decodeRequest(bytes));
    }
    for (const peer of this.transport.peers) {
      for (let n = 0; n < this.options.replFramesPerPumpMax; n++) {
        const bytes = this.transport.readPeer(peer);
        if (bytes === null) break;
        worked = true;
        this.beforeStep(bytes.length);
        this.onRepl(decodeFrame(bytes) as ReplFrame);
      }
    }
    if (this.touched.size > 0) {
      worked = true;
      this.persistTouched();
      // With enough batches already on their way to the disk, this one keeps growing until one
      // of them is durable: fewer, larger commits under load, no wait when idle.
      if (this.batches.mayCommit()) this.commitBatch();
      this.flushTouched();
    } else if (this.batches.held() && this.batches.mayCommit()) {
      worked = true;
      this.commitBatch();
    }
    if (this.snapshots.size > 0) worked = this.snapshots.send() || worked;
    return this.transport.flush() || worked;
  }

  /** Periodic (every heartbeat interval): lets machines resend to silent peers and restart stalled installs. */
  tick(): void {
    for (const slot of this.replicas.values()) {
      slot.machine.tick();
      if (slot.machine.state === ReplicaState.Retired) slot.retiredTicks++;
      this.touched.add(slot);
    }
  }

  hasInput(): boolean {
    return this.hasWork() || this.transport.hasInput();
  }

  hasBacklog(): boolean {
    return this.snapshots.size > 0 || this.transport.hasBacklog();
  }

  private onRequest(req: StorageRequest): void {
    const slot = this.replicaOf(req.t, req.p);
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
    const slot = this.replicaOf(frame.t, frame.p);
    if (slot === undefined) return;
    // A node declared dead is fenced: what it still says (a late ack) must not count.
    if (frame.r === ReplFrameType.Ack && this.options.peerFenced(frame.from)) return;
    slot.machine.step(frame);
    this.touched.add(slot);
  }

  /** Writes what the touched machines asked for into the store's batch. */
  private persistTouched(): void {
    const store = this.store;
    for (const slot of this.touched) {
      const m = slot.machine;
      // Touched only to send or answer: nothing to write, no batch to wait for.
      if (!m.hasPendingActions()) continue;
      if (m.truncateFrom >= 0) {
        store.removeLog(m.table, m.pid, m.truncateFrom, logIndexMax);
        for (const e of m.truncated) if (e.w !== null) this.writeIds.forget(e.w, m.table, m.pid, e.i);
      }
      for (const install of m.installs) writeInstall(this, slot, install);
      const now = this.options.now();
      for (const a of m.appends) {
        // Its log entry now, its item when applied: what the commit's writes will take.
        this.batches.grow(1, 2 * a.bytes.length);
        store.appendLog(m.table, m.pid, a.index, a.entry.e, a.bytes);
        if (a.entry.w !== null) this.writeIds.remember(a.entry.w, m.table, m.pid, a.index, a.entry.a, now);
      }
      if (m.applyTo >= 0) applyCommitted(this, slot);
      if (this.replicaOf(m.table, m.pid) !== slot) continue; // forgotten (a follower's split parent)
      if (m.trimThrough >= 0) store.removeLog(m.table, m.pid, 0, m.trimThrough);
      if (m.recordDirty || m.applyTo >= 0) store.putRecord(m.record());
      this.batches.seal([slot, m.seal()]);
    }
  }


  /** Commits the batch; its seals are reported durable when the store calls back. */
  commitBatch(): void {
    this.batches.commit((sealed) => {
      for (const [slot, token] of sealed) {
        if (this.replicaOf(slot.machine.table, slot.machine.pid) !== slot) continue;
        slot.machine.persisted(token);
        slot.unapplied?.applied(slot.machine.applied);
        this.durableSlots.push(slot);
      }
      this.options.wake();
    });
    // A batch of tens of megabytes runs its writes on this thread when lmdb-js starts it: beat
    // now, so the quiet it may cause is announced before it starts (bytesGoingToDisk).
    if (this.batches.bytesGoingToDisk() >= longStepBytesMin) this.options.beat();
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
      for (const s of m.snapshotsToStart) this.snapshots.start(slot, s.target, s.sid);
      m.snapshotsToStart.length = 0;
      for (const e of m.events) onMachineEvent(this, slot, e);
      m.events.length = 0;
      if (m.state === ReplicaState.Retired && m.leader === this.id) dropRetiredIfDone(this, slot);
    }
    // Machines with work left (an apply scheduled by a durable callback, a trim) stay touched.
    const again: ReplicaSlot[] = [];
    for (const slot of this.touched) if (slot.machine.hasPendingActions() && this.replicaOf(slot.machine.table, slot.machine.pid) === slot) again.push(slot);
    this.touched.clear();
    for (const slot of again) this.touched.add(slot);
  }

  /** How long the oldest batch not yet durable has waited on the disk (0: none waits). */
  durabilityLagMs(): number {
    return this.batches.lagMs();
  }

  /** The batch being built holds work as long as writing `bytes` (dropping a table's trees). */
  expectLongCommit(bytes: number): void {
    this.batches.grow(0, bytes);
  }

  bytesGoingToDisk(): number {
    return this.batches.bytesGoingToDisk();
  }

  awaitsDisk(): boolean {
    return this.batches.awaitsDisk();
  }

  /** Whether a pump is owed work even with no new input. */
  hasWork(): boolean {
    return this.touched.size > 0 || this.durableSlots.length > 0 || (this.batches.held() && this.batches.mayCommit());
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

  // ---- outbound -------------------------------------------------------------------------

  respond(res: StorageResponse): void {
    if (res.item != null) this.beforeStep(res.item.length);
    this.transport.respond(encodeResponse(res));
  }

  peerBacklog(to: number): number {
    return this.transport.peerBacklog(to);
  }

  sendRepl(to: number, frame: ReplFrame): void {
    if (!this.transport.peers.includes(to)) return;
    if (frame.r === ReplFrameType.Entries) {
      let bytes = 0;
      for (let i = 0; i < frame.entries.length; i++) bytes += frame.entries[i].length;
      this.beforeStep(bytes);
    }
    this.transport.sendPeer(to, encodeFrame(frame), frame.r);
  }
}
