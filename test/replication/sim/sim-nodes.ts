// The simulated storage nodes of one server process: the real StorageNode (with its real
// replication state machines) on a simulated disk and network, pumped by the scheduler. It plays
// both the supervisor the control plane talks to (control messages, liveness, fencing,
// replacement) and the request transport the router sends through.
import { serverFollowers } from '../../../src/storage/server-followers.ts';
import { StorageNode, type NodeEvent, type StorageNodeOptions } from '../../../src/storage/storage-node.ts';
import { runControl } from '../../../src/storage/node-control.ts';
import { NodeFailedError, type NodeSupervisor } from '../../../src/control/node-supervisor.ts';
import type { NodeLiveness } from '../../../src/control/failure-detector.ts';
import type { ControlReplies, ControlRequest, ControlRequestOf, ControlType } from '../../../src/control/control-messages.ts';
import type { StorageTransport } from '../../../src/router/router.ts';
import { decodeResponse, encodeRequest } from '../../../src/storage/message-codec.ts';
import type { StorageRequest, StorageResponse } from '../../../src/storage/messages.ts';
import { DynamoError } from '../../../src/protocol/errors.ts';
import { SimDisk, type DiskCounts, noDiskCounts } from './sim-disk.ts';
import type { WalNodeStore } from '../../../src/storage/wal-store.ts';
import { ChangeLogFollower } from './change-log.ts';
import type { LogFollower } from '../../../src/storage/log-follower.ts';
import { SimNetwork, SimTransport } from './sim-network.ts';
import type { Scheduler } from './scheduler.ts';
import type { Random } from './random.ts';

export interface SimNode {
  id: number;
  incarnation: number;
  /** Its disk (log and B-tree), and the real store over it. */
  disk: SimDisk;
  store: WalNodeStore;
  transport: SimTransport;
  node: StorageNode;
  /** Not declared dead (the supervisor's view). */
  alive: boolean;
  /** The thread runs (a crashed or hung node does not pump). */
  running: boolean;
  hungUntil: number;
  /** Moves whenever the node runs (a pump, a tick, a control message): what the failure detector watches. */
  progress: number;
  /** Control messages sent to it and not yet answered. */
  controlsWaiting: number;
  /** Beats the node gave from inside its work (StorageNode.beforeStep), with the bytes each announced. */
  stepBeats: number[];
  pumpScheduled: boolean;
  /** The followers of the log this incarnation runs besides its item store. */
  followers: LogFollower[];
  /** When the supervisor declared it dead (markDead), if it did. */
  fencedAt?: number;
}

interface Pending {
  node: number;
  resolve: (res: StorageResponse) => void;
  reject: (err: Error) => void;
  /** Virtual time past which the router stops waiting (RequestTransport's deadline). */
  deadline: number;
}

/** How often request deadlines are checked (as RequestTransport's deadlineSweepMs). */
const deadlineSweepMs = 250;
/** A fenced node's thread runs on for up to this long before it notices and stops (virtual ms). */
const fencedRunMsMax = 5;

export class SimNodes implements NodeSupervisor, StorageTransport {
  readonly nodes: SimNode[] = [];
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly network: SimNetwork;
  private readonly options: Omit<StorageNodeOptions, 'id' | 'now' | 'streamIdBase' | 'peerFenced' | 'emit' | 'wake' | 'beat'>;
  private readonly pending = new Map<number, Pending>();
  private readonly inFlightByNode: number[] = [];
  private nextRequestId = 1;
  private sweepScheduled = false;
  /**
   * How long the router waits for one answer before it gives up with InternalServerError (the
   * router's requestTimeoutMs: SimServer gives the Router this value).
   */
  requestTimeoutMs = 2000;
  /** Requests the router gave up on (their deadline passed). */
  timeouts = 0;
  /** Nodes declared dead while their thread still ran (the thread then ran on for a moment). */
  fencedRunning = 0;
  /** This process was crashed: nothing it does reaches anything any more. */
  dead = false;
  onEvent: (node: number, event: NodeEvent) => void = () => {};
  onExit: (node: number) => void = () => {};
  /** Errors that stopped a node (a control handler that threw): a simulated run fails on any. */
  readonly errors: Error[] = [];
  /**
   * The log's followers each node incarnation runs besides its item store: the server's own
   * (secondary indexes, transactions) and a lagging change log, unless a scenario says otherwise.
   */
  followers: () => LogFollower[] = () => [new ChangeLogFollower(this.random), ...serverFollowers()];
  /** Called for every request the router sends (the simulation's checks watch write ids). */
  onCall: (node: number, req: StorageRequest) => void = () => {};
  /** What the disks went through (a replacement's new disk counts here too). */
  diskCounts: DiskCounts = noDiskCounts();
  /** Called after every node pump (the simulation's invariant checks hook in here). */
  afterPump: (node: SimNode) => void = () => {};

  constructor(scheduler: Scheduler, random: Random, network: SimNetwork, options: SimNodes['options']) {
    this.scheduler = scheduler;
    this.random = random;
    this.network = network;
    this.options = options;
    network.onAnswer = (node, bytes) => this.onAnswer(node, bytes);
  }

  get count(): number {
    return this.nodes.length;
  }

  /**
   * Starts node `id` on `disk`, in the generation the disk was made for: its store is opened
   * (recovered from the disk's log and B-tree; throws what recovery throws), then restored.
   */
  start(id: number, disk: SimDisk, peers: number[]): SimNode {
    const transport = new SimTransport(id, peers, this.network);
    const sim: SimNode = { id, incarnation: disk.generation, disk, store: null as unknown as WalNodeStore, transport, node: null as unknown as StorageNode, alive: true, running: true, hungUntil: 0, progress: 0, controlsWaiting: 0, stepBeats: [], pumpScheduled: false, followers: this.followers() };
    const wake = (): void => this.schedulePump(sim);
    sim.store = disk.open(() => this.scheduler.now, wake, wake);
    const incarnation = sim.incarnation;
    sim.node = new StorageNode(sim.store, transport, {
      ...this.options,
      followers: sim.followers,
      id,
      now: () => this.scheduler.now,
      streamIdBase: incarnation * 2 ** 20,
      peerFenced: (peer) => !this.nodes[peer]?.alive,
      emit: (event) => this.scheduler.after(0.05, () => this.alive(sim) && !this.dead && this.onEvent(id, event)),
      wake: () => this.schedulePump(sim),
      beat: (bytes = 0) => {
        sim.stepBeats.push(bytes);
      },
    });
    this.nodes[id] = sim;
    this.inFlightByNode[id] = 0;
    this.network.attach(transport);
    transport.onInput = () => this.schedulePump(sim);
    sim.node.restore();
    this.schedulePump(sim);
    const tick = (): void => {
      if (this.nodes[id] !== sim || !sim.running || this.dead) return;
      if (this.scheduler.now >= sim.hungUntil) {
        sim.progress++;
        sim.node.tick();
        this.schedulePump(sim);
      }
      this.scheduler.after(100, tick);
    };
    this.scheduler.after(100, tick);
    return sim;
  }

  private alive(sim: SimNode): boolean {
    return this.nodes[sim.id] === sim && sim.running && sim.alive;
  }

  schedulePump(sim: SimNode): void {
    if (sim.pumpScheduled || !sim.running || this.dead) return;
    sim.pumpScheduled = true;
    const at = Math.max(this.scheduler.now + 0.01 + this.random.next() * 0.05, sim.hungUntil);
    this.scheduler.at(at, () => {
      sim.pumpScheduled = false;
      if (this.nodes[sim.id] !== sim || !sim.running || this.dead) return;
      if (this.scheduler.now < sim.hungUntil) return this.schedulePump(sim);
      sim.progress++;
      const worked = sim.node.pump();
      this.afterPump(sim);
      if (worked || sim.node.hasInput()) this.schedulePump(sim);
    });
  }

  // ---- the supervisor ---------------------------------------------------------------------

  isAlive(node: number): boolean {
    return !this.dead && this.nodes[node]?.alive === true;
  }

  /**
   * As a worker's: a hung node makes no progress while work waits for it (requests and frames
   * it has not read, requests and control messages it has not answered). The simulated disk
   * never blocks the thread, and its syncs are its progress.
   */
  liveness(node: number): NodeLiveness {
    const sim = this.nodes[node];
    if (sim === undefined) return { progress: 0, quietBeats: 0, inDiskCall: false, batchesOnDisk: 0, durable: 0, workWaiting: false };
    return {
      progress: sim.progress,
      quietBeats: 0,
      inDiskCall: false,
      batchesOnDisk: sim.disk.batchesWaiting(),
      durable: sim.disk.batchesDurable(),
      workWaiting: sim.transport.hasInput() || this.inFlight(node) > 0 || sim.controlsWaiting > 0,
    };
  }

  control<K extends ControlType>(node: number, request: ControlRequestOf<K>): Promise<ControlReplies[K]> {
    const sim = this.nodes[node];
    if (this.dead || sim === undefined || !sim.alive) return Promise.reject(new NodeFailedError(node));
    sim.controlsWaiting++;
    const answered = new Promise<ControlReplies[K]>((resolve, reject) => {
      const deliver = (): void => {
        if (this.dead || this.nodes[node] !== sim || !sim.alive) return reject(new NodeFailedError(node));
        if (!sim.running || this.scheduler.now < sim.hungUntil) {
          // A hung or crashed thread does not read its messages; declaring it dead releases the wait.
          this.scheduler.after(5, deliver);
          return;
        }
        let result: unknown;
        sim.progress++;
        try {
          result = runControl(sim.node, request as ControlRequest);
        } catch (err) {
          // As in the worker: a handler that threw stops the node, and the run records it (finding N6).
          this.errors.push(err as Error);
          this.crashThread(node);
          this.scheduler.after(0.05, () => reject(err as Error));
          return;
        }
        this.schedulePump(sim);
        this.scheduler.after(0.05, () => (this.dead || this.nodes[node] !== sim || !sim.alive ? reject(new NodeFailedError(node)) : resolve(result as ControlReplies[K])));
      };
      this.scheduler.after(0.05, deliver);
    });
    answered.then(
      () => sim.controlsWaiting--,
      () => sim.controlsWaiting--,
    );
    return answered;
  }

  /**
   * Fences a node, as StorageThreads.markDead does: the router is detached from it (requests
   * waiting on it fail with NodeFailedError; its answers go nowhere) and peers ignore its acks
   * (peerFenced). A real thread notices the fence only at its next loop turn: it finishes the pump
   * it is in (a hung one is woken by the fence, as HealthBoard.resume does), and frames it queued
   * for its peers still reach them. So the node runs on for a few ms of virtual time, its peer
   * frames still going out, before it stops.
   */
  markDead(node: number): void {
    const sim = this.nodes[node];
    if (!sim.alive) return;
    sim.alive = false;
    sim.fencedAt = this.scheduler.now;
    sim.transport.fenced = true;
    if (sim.running && !this.dead) {
      this.fencedRunning++;
      if (sim.hungUntil > this.scheduler.now) {
        // Woken: its pump waiting for the hang's end is superseded by one now.
        sim.hungUntil = this.scheduler.now;
        sim.pumpScheduled = false;
      }
      this.schedulePump(sim);
      this.scheduler.after(this.random.next() * fencedRunMsMax, () => {
        sim.running = false;
        sim.transport.open = false;
      });
    } else {
      sim.running = false;
      sim.transport.open = false;
    }
    for (const [id, p] of this.pending) {
      if (p.node !== node) continue;
      this.pending.delete(id);
      p.reject(new NodeFailedError(node));
    }
    this.inFlightByNode[node] = 0;
  }

  /** Replacement on an empty disk, in a new incarnation; peers forget the old one. */
  async replace(node: number): Promise<void> {
    const old = this.nodes[node];
    this.network.detach(node, old.transport);
    const peers = this.nodes.map((n) => n.id).filter((id) => id !== node);
    this.start(node, new SimDisk(this.scheduler, this.random, this.diskCounts, node, old.incarnation + 1), peers);
    await Promise.all(peers.filter((p) => this.isAlive(p)).map((p) => this.control(p, { type: 'peer', peer: node } as never).catch(() => {})));
  }

  /** The node's thread ends (a crash): it stops, and the supervisor hears of it. */
  crashThread(node: number): void {
    const sim = this.nodes[node];
    if (!sim.running) return;
    sim.running = false;
    sim.disk.stop();
    this.scheduler.after(0.5, () => {
      if (this.nodes[node] === sim && sim.alive && !this.dead) this.onExit(node);
    });
  }

  hang(node: number, ms: number): void {
    const sim = this.nodes[node];
    sim.hungUntil = Math.max(sim.hungUntil, this.scheduler.now + ms);
  }

  /** The whole process dies: nothing it sent or was about to do happens any more. */
  crashProcess(): void {
    this.dead = true;
    for (const p of this.pending.values()) p.reject(new NodeFailedError(p.node));
    this.pending.clear();
    for (const sim of this.nodes) {
      sim.running = false;
      sim.transport.open = false;
      this.network.detach(sim.id, sim.transport);
    }
  }

  // ---- the request transport ------------------------------------------------------------

  /**
   * Sends a request as RequestTransport does: a request whose node has not answered within
   * requestTimeoutMs (checked every deadlineSweepMs) fails with InternalServerError, and its late
   * answer is dropped.
   */
  call(node: number, req: StorageRequest): Promise<StorageResponse> {
    const sim = this.nodes[node];
    if (this.dead || sim === undefined || !sim.alive) return Promise.reject(new NodeFailedError(node));
    const id = this.nextRequestId++;
    req.id = id;
    const bytes = encodeRequest(req);
    this.onCall(node, req);
    this.inFlightByNode[node]++;
    if (!this.sweepScheduled) {
      this.sweepScheduled = true;
      this.scheduler.after(deadlineSweepMs, () => this.sweepDeadlines());
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { node, resolve, reject, deadline: this.scheduler.now + this.requestTimeoutMs });
      this.network.sendRequest(node, bytes);
    });
  }

  private sweepDeadlines(): void {
    this.sweepScheduled = false;
    if (this.dead) return;
    const now = this.scheduler.now;
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      this.inFlightByNode[p.node]--;
      this.timeouts++;
      p.reject(new DynamoError('InternalServerError', 'Internal server error'));
    }
    if (this.pending.size > 0) {
      this.sweepScheduled = true;
      this.scheduler.after(deadlineSweepMs, () => this.sweepDeadlines());
    }
  }

  inFlight(node: number): number {
    return this.inFlightByNode[node] ?? 0;
  }

  private onAnswer(node: number, bytes: Uint8Array): void {
    if (this.dead) return;
    const res = decodeResponse(bytes);
    const p = this.pending.get(res.id);
    if (p === undefined || p.node !== node) return;
    this.pending.delete(res.id);
    this.inFlightByNode[node]--;
    p.resolve(res);
  }
}
