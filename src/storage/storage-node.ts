// A storage node: the I/O loop around the replication state machines of the partition
// replicas it holds. Each pump drains the router's requests and the peers' replication frames,
// steps the machines, takes each touched machine's one Ready value and carries it out, in this
// order:
//   1. persist: one batch with every install chunk, truncation, log append, committed entry
//      (through the item store and the other followers of the log), trim and replica record of
//      the pump; then, as configuration changes after that pass, the children of any split
//      applied; advance() seals each machine's part; commit() makes the batch atomic (and
//      durable when it calls back);
//   2. send: frames to peers. A leader's new entries may leave before its own batch is durable:
//      its copy counts toward W = 2 only once durable (ReplicaMachine.persisted), so W = 2 still
//      means two durable copies. A follower's ack leaves only once the entries it vouches for are
//      durable here;
//   3. answer: writes once committed (on two durable voter copies); reads once every write
//      committed before they arrived is applied (leader reads) or at once from the applied data
//      (eventually consistent reads on followers); then snapshot streams and machine events.
// What may overlap: a batch's commit with the next pump's steps (a machine acts only on what a
// durable callback reported), and sends with commits (see 2). Control messages run between pumps.
import { ReplicaMachine, type MachineConfig, type MachineHost, type Ready, type ReplicaRecord, type ReplicationCounts } from '../replication/replica-machine.ts';
import { ReplicaState, isRetired, restoredState } from '../replication/replica-state.ts';
import { ReplFrameType, type ReplFrame } from '../replication/frames.ts';
import { encodeLogEntry } from '../replication/log-entry.ts';
import { broken, invariant } from '../replication/invariants.ts';
import { WriteIds } from '../replication/write-ids.ts';
import { decodeReplFrame, encodeReplFrame } from '../replication/repl-frame-codec.ts';
import { decodeRequest, encodeResponse } from './message-codec.ts';
import { Op, Status, type PartitionAssignment, type StorageRequest, type StorageResponse, type WriteRequest } from './messages.ts';
import { logIndexMax, type FollowerPositions, type ItemTree, type NodeStore } from './node-store.ts';
import { SnapshotStreams } from './snapshot-streams.ts';
import { DiskBatches } from './disk-batches.ts';
import { ReplicaSlot, type ReadToken, type WriteAnswer } from './replica-slot.ts';
import { decideClientWrite, wrongReplica } from './leader-write.ts';
import { decideRead, refuseRead, serveRead } from './read-serve.ts';
import { writeInstall } from './install-write.ts';
import { SplitCount, splitCountItemsMax, splitHalves } from './split-children.ts';
import { ItemStoreFollower, catchUpEntriesPerPump, type LogFollower } from './log-follower.ts';
import { onMachineEvent, retiredLeaderDone } from './replica-events.ts';
import type { NodeTransport } from './node-transport.ts';
import type { LogEntry } from '../replication/log-entry.ts';

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

/** What the node has done since it started (benchmarks, the simulator's path counts). */
export interface NodeStats extends ReplicationCounts {
  /** Batches committed to its store. */
  batches: number;
  /** Log entries persisted (appended as leader or follower) in them. */
  entries: number;
}

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
  /** ...this many items a pump, so that the node goes on serving while it counts. */
  splitCountItemsPerPump: number;
  /** Item collections (tables with local indexes) hold at most this many bytes (DynamoDB's 10 GB). */
  itemCollectionBytesMax: number;
  now: () => number;
  /** First snapshot stream id (unique per incarnation of the node). */
  streamIdBase: number;
  /** Whether a peer was declared dead: what it says no longer counts (findings F12, N8). */
  peerFenced: (node: number) => boolean;
  emit: (event: NodeEvent) => void;
  /** A batch became durable (its callback came through the event loop): the loop should pump. */
  wake: () => void;
  /**
   * Shows progress from inside long work (one huge item read): the node is alive. With
   * `longStepBytes`, it is about to handle a message that large in one go and may show no
   * progress for proportionally longer.
   */
  beat: (longStepBytes?: number) => void;
  /** Followers of the log besides the item store (the simulator's change log; indexes and streams later). */
  followers?: readonly LogFollower[];
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
  /** Slots whose ready this pump took: they send and answer once the batch is committed. */
  private readonly pumped: ReplicaSlot[] = [];
  /** Slots whose batch became durable since the last pump (async stores call back later). */
  private readonly durableSlots: ReplicaSlot[] = [];
  /** Slots with snapshot streams waiting for their followers to catch up with the data. */
  private readonly snapshotWaiters = new Set<ReplicaSlot>();
  /** Splits applied here whose halves are still being counted, a slice per pump (oldest first). */
  private readonly splitCounts: SplitCount[] = [];
  private readonly machineConfig: MachineConfig;
  private readonly host: MachineHost;
  private readonly batches: DiskBatches;
  private readonly itemStore = new ItemStoreFollower();
  /** Followers of the log besides the item store, each with a position per replica. */
  private readonly followers: readonly LogFollower[];
  private readonly followerNames: readonly string[];
  private nextStreamId: number;
  /** Steps (and their bytes) since the pump last beat: see workPerBeat. */
  private workSinceBeat = 0;
  readonly stats: NodeStats;
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
    this.stats = { batches: 0, entries: 0, truncations: 0, prevEpochRefusals: 0, installs: 0 };
    this.batches = new DiskBatches(store, options.commitsInFlightMax, options.now, this.stats);
    this.followers = options.followers ?? [];
    this.followerNames = this.followers.map((f) => f.name);
    invariant(!this.followerNames.includes(this.itemStore.name), `a log follower may not be named ${this.itemStore.name}`);
    this.host = {
      readLog: (table, pid, from, to, maxBytes) => this.store.readLog(table, pid, from, to, maxBytes),
      peerFenced: options.peerFenced,
      nextStreamId: () => this.nextStreamId++,
      counts: this.stats,
    };
  }

  // ---- replicas -------------------------------------------------------------------------

  replicaOf(table: string, pid: number): ReplicaSlot | undefined {
    return this.replicas.get(table + ':' + pid);
  }

  /** A map version seen in an assignment or a split: routers behind it are told to refresh. */
  noteVersion(version: number): void {
    if (version > this.knownVersion) this.knownVersion = version;
  }

  /** Creates the slot for `record` (restored, or new) and registers it; followers start where its data is. */
  addReplica(record: ReplicaRecord, positions: FollowerPositions = {}): ReplicaSlot {
    const stored = this.store.storedLog(record.table, record.pid);
    const machine = new ReplicaMachine<WriteAnswer, ReadToken>(record.table, record.pid, this.machineConfig, this.host, record, stored.epochs, stored.last);
    const slot = new ReplicaSlot(machine, positions);
    for (const name of this.followerNames) if (slot.positions[name] === undefined) slot.setPosition(name, machine.applied);
    this.replicas.set(record.table + ':' + record.pid, slot);
    this.noteVersion(record.membership.version);
    this.touched.add(slot);
    return slot;
  }

  /** Replicas recorded before a restart. None leads until the control plane's election promotes it. */
  restore(): void {
    for (const record of this.store.records()) {
      record.state = restoredState(record.state);
      this.addReplica(record, this.store.followerPositions(record.table, record.pid));
    }
  }

  /**
   * Drops a replica from this node: its record, log and positions, and (clearData) its items and
   * followers' data. Whatever waits on it is answered (clients retry elsewhere). Never called in
   * the middle of the persist pass.
   */
  drop(slot: ReplicaSlot, clearData: boolean): void {
    const m = slot.machine;
    const last = m.close();
    for (const w of last.writesDone) this.respond(writeAnswer(w));
    for (const w of last.writesUnknown) this.respond({ id: w.id, s: Status.Retry });
    for (const r of last.readsReady) refuseRead(this, slot, r);
    for (const r of last.readsRefused) refuseRead(this, slot, r);
    this.replicas.delete(m.table + ':' + m.pid);
    this.touched.delete(slot);
    this.snapshotWaiters.delete(slot);
    this.store.removeRecord(m.table, m.pid);
    this.store.removeLog(m.table, m.pid, 0, logIndexMax);
    if (clearData) this.store.clearRange(m.table, m.membership.hashStart, m.membership.hashEnd);
    // A split parent's writes are committed and now the children's: a retry routed to a child
    // must still find them (they expire by time, finding F11).
    if (!isRetired(m.state)) this.writeIds.forgetReplica(m.table, m.pid);
    this.snapshots.closePartition(m.table, m.pid);
    // A count would correct a replica that is gone (or rebuilt later with counts of its own).
    for (let i = this.splitCounts.length - 1; i >= 0; i--) {
      const c = this.splitCounts[i];
      if (c.table === m.table && !c.forget(m.pid)) this.splitCounts.splice(i, 1);
    }
  }

  touch(slot: ReplicaSlot): void {
    this.touched.add(slot);
  }

  now(): number {
    return this.options.now();
  }

  items(table: string): ItemTree {
    return this.store.items(table);
  }

  followerData(table: string): ItemTree {
    return this.store.followerData(table);
  }

  get itemCollectionBytesMax(): number {
    return this.options.itemCollectionBytesMax;
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
    let worked = this.store.pollDurable() || this.durableSlots.length > 0;
    for (const slot of this.durableSlots) this.touched.add(slot);
    this.durableSlots.length = 0;
    // A store holding all the memory it may takes nothing new (requests, entries) until a
    // checkpoint frees some: the rings fill and their producers wait, as for a slow disk.
    const intake = this.store.full() ? 0 : 1;
    for (let n = 0; n < this.options.requestsPerPumpMax * intake; n++) {
      const bytes = this.transport.readRequest();
      if (bytes === null) break;
      worked = true;
      this.beforeStep(bytes.length);
      this.onRequest(decodeRequest(bytes));
    }
    for (const peer of this.transport.peers) {
      for (let n = 0; n < this.options.replFramesPerPumpMax * intake; n++) {
        const bytes = this.transport.readPeer(peer);
        if (bytes === null) break;
        worked = true;
        this.beforeStep(bytes.length);
        this.onRepl(decodeReplFrame(bytes));
      }
    }
    if (this.touched.size > 0) {
      worked = true;
      this.persistTouched();
      // With enough batches already on their way to the disk, this one keeps growing until one
      // of them is durable: fewer, larger commits under load, no wait when idle.
      if (this.batches.mayCommit()) this.commitBatch();
      this.sendAndAnswer();
    } else if (this.batches.held() && this.batches.mayCommit()) {
      worked = true;
      this.commitBatch();
    }
    if (this.snapshotWaiters.size > 0) this.startWaitingSnapshots();
    if (this.snapshots.size > 0) worked = this.snapshots.send() || worked;
    if (this.splitCounts.length > 0) {
      this.stepSplitCount();
      worked = true;
    }
    return this.transport.flush() || worked;
  }

  /** Periodic (every failover.heartbeatIntervalMs): lets machines resend to silent peers and restart stalled installs. */
  tick(): void {
    for (const slot of this.replicas.values()) {
      slot.machine.tick();
      if (slot.machine.state === ReplicaState.RetiredLeader) slot.retiredTicks++;
      this.touched.add(slot);
    }
  }

  /**
   * Whether a pump now would find work. Ring input a full store cannot take is not: counted, it
   * kept the loop turning without a pause, and the event loop that ends the checkpoint never ran.
   */
  hasInput(): boolean {
    return this.hasWork() || (this.transport.hasInput() && !this.store.full()) || this.store.hasNews();
  }

  hasBacklog(): boolean {
    return this.snapshots.size > 0 || this.transport.hasBacklog() || this.store.hasBacklog();
  }

  private onRequest(req: StorageRequest): void {
    const slot = this.replicaOf(req.t, req.p);
    if (slot === undefined) {
      this.respond({ id: req.id, s: Status.WrongReplica, ver: this.knownVersion });
      return;
    }
    const m = slot.machine;
    if (req.v < m.membership.version) {
      this.respond(wrongReplica(req.id, m.membership.version, this.knownVersion));
      return;
    }
    if (req.op === Op.Write) {
      this.onWrite(slot, req as WriteRequest);
      return;
    }
    switch (decideRead(slot, req)) {
      case 'serve':
        serveRead(this, slot, req);
        return;
      case 'wait':
        this.touched.add(slot);
        return;
      case 'wrongReplica':
        refuseRead(this, slot, req);
        return;
    }
  }

  private onWrite(slot: ReplicaSlot, req: WriteRequest): void {
    const decision = decideClientWrite(this, slot, req);
    const m = slot.machine;
    switch (decision.kind) {
      case 'answer':
        this.respond(decision.response);
        return;
      case 'await':
        m.awaitCommit(decision.index, decision.answer);
        break;
      case 'append': {
        // Encoded once: the log and the followers get the same bytes.
        const entry = decision.entry;
        m.append(encodeLogEntry(entry), entry);
        slot.overlay()!.addEntry(entry);
        if (entry.w !== null) this.writeIds.remember(entry.w, m.table, m.pid, entry.i, entry.a, this.options.now());
        m.awaitCommit(entry.i, decision.answer);
        break;
      }
    }
    this.touched.add(slot);
  }

  private onRepl(frame: ReplFrame): void {
    const slot = this.replicaOf(frame.t, frame.p);
    if (slot === undefined) return;
    // A node declared dead is fenced: what it still says (a late ack) must not count.
    if (frame.r === ReplFrameType.Ack && this.options.peerFenced(frame.from)) return;
    slot.machine.step(frame);
    this.touched.add(slot);
  }

  /** Takes every touched machine's ready and writes its persist part into the batch; splits last. */
  private persistTouched(): void {
    const splitting: ReplicaSlot[] = [];
    for (const slot of this.touched) {
      const rd = slot.machine.ready();
      slot.ready = rd;
      this.pumped.push(slot);
      this.persistReady(slot, rd);
      if (rd.split === null) this.seal(slot, rd);
      else splitting.push(slot);
    }
    this.touched.clear();
    // Configuration changes after the persist pass: each split's children take over its range.
    for (const slot of splitting) this.applySplit(slot, slot.ready!);
  }

  private persistReady(slot: ReplicaSlot, rd: Ready<WriteAnswer, ReadToken>): void {
    const m = slot.machine;
    const store = this.store;
    const now = this.options.now();
    for (const install of rd.installs) {
      if (install.clear) {
        // Nothing the replica held counts from here on: neither its data nor its followers' positions.
        slot.appliedTo = 0;
        for (const name of this.followerNames) slot.setPosition(name, 0);
      }
      writeInstall(store, this.writeIds, this.followers, now, slot, install);
      if (install.index !== null) slot.appliedTo = install.index;
    }
    if (rd.truncateFrom >= 0) {
      invariant(rd.truncateFrom > slot.appliedTo, () => `${m.name}: truncating at ${rd.truncateFrom}, at or below what was applied (${slot.appliedTo})`);
      store.removeLog(m.table, m.pid, rd.truncateFrom, logIndexMax);
      for (const e of rd.truncated) if (e.w !== null) this.writeIds.forget(e.w, m.table, m.pid, e.i);
    }
    // A leader remembered its own writes' ids as it appended them; a follower does so here.
    const remember = !m.isLeader();
    for (let j = 0; j < rd.appends.length; j++) {
      const a = rd.appends[j];
      if (a.entry.i !== a.index || (j > 0 && a.index !== rd.appends[j - 1].index + 1)) broken(`${m.name}: batch entries not contiguous at ${a.index}`);
      // Its log entry now, its item when applied: what the commit's writes will take.
      this.batches.grow(1, 2 * a.bytes.length);
      store.appendLog(m.table, m.pid, a.index, a.entry.e, a.bytes);
      if (remember && a.entry.w !== null) this.writeIds.remember(a.entry.w, m.table, m.pid, a.index, a.entry.a, now);
    }
    if (rd.committed.length > 0) {
      const last = rd.applyFrom + rd.committed.length;
      invariant(rd.applyFrom === slot.appliedTo && last <= m.committed, () => `${m.name}: applying ${rd.applyFrom + 1}..${last} after ${slot.appliedTo}, committed ${m.committed}`);
      for (let j = 0; j < rd.committed.length; j++) if (rd.committed[j].i !== rd.applyFrom + 1 + j) broken(`${m.name}: committed entry ${rd.committed[j].i} out of order`);
      this.itemStore.committed(slot, rd.applyFrom, rd.committed, store, true);
      slot.appliedTo = last;
    }
    // A split or a snapshot waits for every follower to have taken everything before it.
    this.feedFollowers(slot, rd, rd.split !== null || slot.snapshotsWaiting.length > 0);
  }

  /** Hands each follower of the log the committed entries after its position (from the ready, or the stored log when it lags). */
  private feedFollowers(slot: ReplicaSlot, rd: Ready<WriteAnswer, ReadToken>, takeAll: boolean): void {
    const m = slot.machine;
    for (const f of this.followers) {
      let position = slot.positions[f.name];
      // A lagging follower reads back at most this many entries a pump, unless it must catch up.
      let budget = takeAll ? Infinity : catchUpEntriesPerPump;
      while (position < slot.appliedTo && budget > 0) {
        let entries: readonly LogEntry[];
        if (rd.committed.length > 0 && position === rd.applyFrom) {
          entries = rd.committed;
        } else {
          invariant(position >= m.base, () => `${m.name}: follower ${f.name} at ${position}, behind the log's base ${m.base}`);
          const to = Math.min(slot.appliedTo, position + catchUpEntriesPerPump);
          const read: LogEntry[] = [];
          for (let i = position + 1; i <= to; i++) read.push(m.entryAt(i));
          entries = read;
        }
        const taken = f.committed(slot, position, entries, this.store, takeAll);
        invariant(taken >= 0 && taken <= entries.length && (!takeAll || taken === entries.length), () => `${m.name}: follower ${f.name} took ${taken} of ${entries.length} entries${takeAll ? ' (all were due)' : ''}`);
        position += taken;
        slot.setPosition(f.name, position);
        budget -= entries.length;
        if (taken < entries.length) break;
      }
    }
  }

  /** Seals a machine's part of the batch (its trim and record last) after its ready was persisted. */
  private seal(slot: ReplicaSlot, rd: Ready<WriteAnswer, ReadToken>): void {
    const m = slot.machine;
    m.retainFrom(slot.neededFrom());
    const done = m.advance(rd);
    if (done.trimThrough >= 0) {
      this.store.removeLog(m.table, m.pid, 0, done.trimThrough);
      // A follower the log's cap trimmed past is rebuilt from the data (it fell too far behind).
      for (const f of this.followers) {
        if (slot.positions[f.name] >= done.trimThrough) continue;
        f.fellBehind(slot, slot.appliedTo, this.store);
        slot.setPosition(f.name, slot.appliedTo);
      }
    }
    if (done.record !== null) this.store.putRecord(done.record);
    if (slot.positionsDirty) {
      this.store.putFollowerPositions(m.table, m.pid, slot.positions);
      slot.positionsDirty = false;
    }
    if (done.seal !== null) this.batches.seal([slot, done.seal]);
  }

  /**
   * A split's configuration change: the parent retired at its split entry; its children are
   * created here (or filled, if the map's news of them came first), written in the same batch as
   * the parent's retirement, and the followers of the log move on to them.
   */
  private applySplit(slot: ReplicaSlot, rd: Ready<WriteAnswer, ReadToken>): void {
    const parent = slot.machine;
    const split = rd.split!;
    invariant(isRetired(parent.state) && slot.appliedTo === split.index - 1, () => `${parent.name}: split at ${split.index} applied while ${parent.state}, applied through ${slot.appliedTo}`);
    for (const f of this.followers) invariant(slot.positions[f.name] === split.index - 1, () => `${parent.name}: follower ${f.name} at ${slot.positions[f.name]} when its split at ${split.index} applied`);
    const children: ReplicaSlot[] = [];
    // The control plane published the children already when the map's news made them here first.
    let published = true;
    const halves = splitHalves(parent, split.entry);
    for (const half of halves) {
      let child = this.replicaOf(parent.table, half.pid);
      if (child === undefined) {
        published = false;
        const record = ReplicaMachine.emptyRecord(parent.table, half.pid, half.membership, ReplicaState.Following, parent.epoch);
        record.items = half.items;
        record.bytes = half.bytes;
        child = this.addReplica(record);
        child.machine.adoptLeader(half.membership.leader);
      } else if (child.machine.state === ReplicaState.AwaitingSplit) {
        child.machine.fillFromSplit(half.membership, parent.epoch, half.items, half.bytes);
        child.appliedTo = 0;
        for (const name of this.followerNames) child.setPosition(name, 0);
        this.touched.add(child);
      } else {
        // Being rebuilt from a snapshot of the child: the split does not fill it.
        continue;
      }
      this.store.putRecord(child.machine.record());
      this.store.putFollowerPositions(child.table, child.pid, child.positions);
      child.positionsDirty = false;
      child.machine.askLeaderToSend();
      child.machine.leadsSplitChild();
      this.touched.add(child);
      children.push(child);
    }
    for (const f of this.followers) {
      f.split(slot, split.index, children, this.store);
      slot.setPosition(f.name, split.index);
    }
    slot.appliedTo = split.index;
    if (children.length > 0) {
      // The halves start from estimates; their exact counts come a slice per pump, over the items
      // as they are now (the parent's as of its split entry: no write of a child is applied yet).
      const low = halves[0];
      const view = this.store.pinRange(parent.table, low.membership.hashStart, low.membership.hashEnd);
      const itemsMax = splitCountItemsMax(parent, { itemsMax: this.options.splitCountItemsMax, bytesMax: this.options.splitCountBytesMax });
      this.splitCounts.push(new SplitCount(parent.table, split.entry.lowPid, split.entry.highPid, { items: low.items, bytes: low.bytes }, view, itemsMax));
    }
    this.noteVersion(split.entry.version);
    this.seal(slot, rd);
    // A follower's split parent is the evidence of the split an election needs until the control
    // plane has the children (finding N0); once it has published them, the parent can go.
    if (parent.state === ReplicaState.Retired && published) this.drop(slot, false);
  }

  /** Counts one slice of the oldest split's low half; once counted, corrects both children's estimates. */
  private stepSplitCount(): void {
    const count = this.splitCounts[0];
    // A child being rebuilt takes the counts its snapshot brings (an install spans many pumps: seen here).
    for (const pid of [count.lowPid, count.highPid]) if (this.replicaOf(count.table, pid)?.machine.state === ReplicaState.Installing) count.forget(pid);
    const correction = count.done ? null : count.step(this.options.splitCountItemsPerPump);
    if (correction === null && !count.done) return;
    this.splitCounts.shift();
    if (correction === null) return;
    for (const [pid, sign] of [[count.lowPid, 1], [count.highPid, -1]] as const) {
      const child = pid < 0 ? undefined : this.replicaOf(count.table, pid);
      // A child that split again meanwhile handed its counts on as they were: they stay estimates.
      if (child === undefined || isRetired(child.machine.state)) continue;
      child.machine.correctCounts(sign * correction.items, sign * correction.bytes);
      this.touched.add(child);
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

  /** Sends what each pumped machine's ready holds for peers, answers what it released, and acts on its events. */
  private sendAndAnswer(): void {
    for (const slot of this.pumped) {
      const rd = slot.ready!;
      slot.ready = null;
      for (const out of rd.messages) this.sendRepl(out.to, out.frame);
      for (const w of rd.writesDone) this.respond(writeAnswer(w));
      for (const w of rd.writesUnknown) this.respond({ id: w.id, s: Status.Retry });
      for (const r of rd.readsReady) serveRead(this, slot, r);
      for (const r of rd.readsRefused) refuseRead(this, slot, r);
      if (this.replicaOf(slot.table, slot.pid) !== slot) continue; // dropped in this pump (a split parent)
      if (rd.snapshotsToStart.length > 0) {
        for (const s of rd.snapshotsToStart) slot.snapshotsWaiting.push(s);
        this.snapshotWaiters.add(slot);
        this.touched.add(slot);
      }
      for (const e of rd.events) onMachineEvent(this, slot, e);
      if (slot.machine.state === ReplicaState.RetiredLeader && retiredLeaderDone(slot, this.machineConfig.awaitSplitTicksMax)) this.drop(slot, false);
    }
    this.pumped.length = 0;
  }

  /** Starts the snapshot streams whose replica's followers have caught up with its data (in the stored view). */
  private startWaitingSnapshots(): void {
    for (const slot of this.snapshotWaiters) {
      if (this.replicaOf(slot.table, slot.pid) !== slot || !slot.machine.isLeader()) {
        slot.snapshotsWaiting.length = 0;
        this.snapshotWaiters.delete(slot);
        continue;
      }
      while (slot.snapshotsWaiting.length > 0) {
        const { target, sid } = slot.snapshotsWaiting[0];
        if (!this.snapshots.start(slot, target, sid, this.followerNames)) break;
        slot.snapshotsWaiting.shift();
      }
      if (slot.snapshotsWaiting.length === 0) this.snapshotWaiters.delete(slot);
    }
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

  /** Whether what the node waits for comes back through the event loop (its loop must not block the thread). */
  awaitsDisk(): boolean {
    return this.store.waitsOnEventLoop();
  }

  /** Splits applied here whose halves are still being counted. */
  get splitsCounting(): number {
    return this.splitCounts.length;
  }

  /** Whether a pump is owed work even with no new input. */
  hasWork(): boolean {
    return this.touched.size > 0 || this.durableSlots.length > 0 || (this.batches.held() && this.batches.mayCommit()) || this.splitCounts.length > 0;
  }

  // ---- outbound -------------------------------------------------------------------------

  respond(res: StorageResponse): void {
    if (res.item != null) this.beforeStep(res.item.length);
    else if (res.json != null) this.beforeStep(res.json.length);
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
    this.transport.sendPeer(to, encodeReplFrame(frame), frame.r);
  }
}

function writeAnswer(w: WriteAnswer): StorageResponse {
  if (w.next !== undefined && w.err === null) return { id: w.id, s: Status.Ok, item: null, n: w.bytes, next: w.next, count: w.count, he: w.hashEnd };
  if (w.units !== undefined && w.err === null) return { id: w.id, s: Status.Ok, item: null, n: w.bytes, wu: w.units };
  if ((w.collectionBytes !== undefined || w.localUnits !== undefined || w.indexUnits !== undefined) && w.err === null) {
    const res: StorageResponse = { id: w.id, s: Status.Ok, item: w.attributes, n: w.bytes };
    if (w.collectionBytes !== undefined) res.ic = w.collectionBytes;
    if (w.localUnits !== undefined && w.localUnits > 0) res.xu = w.localUnits;
    if (w.indexUnits !== undefined) res.iu = w.indexUnits;
    return res;
  }
  return w.err === null ? { id: w.id, s: Status.Ok, item: w.attributes, n: w.bytes } : { id: w.id, s: Status.ClientError, err: w.err, msg: w.msg ?? '', item: w.errItem, n: w.bytes };
}
