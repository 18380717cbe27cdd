// The supervisor of the storage threads: spawns the write-ahead log's thread and each storage
// node on its own worker thread (through piscina) with its rings, carries control messages to
// a node and their typed replies back, declares nodes dead (fence, fail what waits on them, end
// the thread) and starts replacements. A log thread that fails (a write or an fdatasync the disk
// refused) stops the process: what it had not synced may be gone, and retrying would lie. Requests and answers do not pass here: the request transport (router/) owns
// them; the supervisor attaches a node's rings to it when the node starts and detaches them
// when it dies.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SpscRing } from '../rings/ring.ts';
import { Doorbell } from '../rings/doorbell.ts';
import { Outbox } from '../rings/outbox.ts';
import { HealthBoard } from './health-board.ts';
import { NodeFailedError, type NodeSupervisor } from './node-supervisor.ts';
import type { NodeLiveness } from './failure-detector.ts';
import type { ControlMessage, ControlReplies, ControlReply, ControlRequestOf, ControlType } from './control-messages.ts';
import type { StorageNodeTask } from '../storage/worker.ts';
import type { NodeEvent } from '../storage/storage-node.ts';
import type { RequestTransport } from '../router/request-transport.ts';
import { log } from '../server/logger.ts';
import { storageWorkerExecArgv, storageWorkerFile, walThreadFile } from '../server/runtime-files.ts';
import { WalDurability } from '../storage/wal/wal-durability.ts';
import { FileSegments } from '../storage/wal/wal-files.ts';
import { scanWal, type WalEnd } from '../storage/wal/wal-reader.ts';
import type { WalControl, WalLogSpec, WalNodeSpec, WalThreadTask } from '../storage/wal/wal-thread.ts';
import { join } from 'node:path';
import { ReadVisibility } from '../storage/read-visibility.ts';

export interface StorageThreadsOptions {
  workers: number;
  sync: boolean;
  mapSizeBytes: number;
  ringCapacityBytes: number;
  heartbeatIntervalMs: number;
  faults: boolean;
  /** The storage threads' log level (absent: the logger's default). */
  logLevel?: StorageNodeTask['logLevel'];
  /** lmdb-js's encryption key for every node's LMDB environment (and the log's); absent: not encrypted. */
  encryptionKey?: string;
  node: StorageNodeTask['node'];
  /** The process's write-ahead log directory (walPerNode: each node's is its directory's wal/). */
  walDir: string;
  walPerNode: boolean;
  walSegmentBytes: number;
  store: StorageNodeTask['store'];
  /** Record a crash trace here (src/storage/crash-trace.ts; tests only, with faults on). */
  crashTraceDir?: string;
  /** Nodes of the first start stop for good after replaying this many log records (tests only, with faults on: a kill during recovery). */
  recoveryPauseRecords?: number;
  /** Nodes publish what their B-trees hold for the front door to read there itself (reads.localEventual). */
  localReads?: boolean;
}

/** What the front door needs to read a live node's B-tree itself: its directory, and what the node publishes about it. */
export interface NodeReadView {
  dir: string;
  visibility: ReadVisibility;
}

/** A node's directory and its generation (a replacement has a new one of each). */
export interface NodePlace {
  dir: string;
  generation: number;
}

interface NodeHandle {
  id: number;
  incarnation: number;
  pool: Piscina;
  control: MessagePort;
  doorbell: Doorbell;
  /** Router → node: frames in it are work waiting for the node. */
  requests: SpscRing;
  alive: boolean;
  done: Promise<unknown>;
  /** Control messages sent and not yet answered. */
  waiters: Map<number, { settle: (reply: ControlReply) => void }>;
  /** Set by the first destroy of the node's pool; every later caller shares it. */
  destroyed: Promise<void> | null;
  /** This incarnation's own: a later one gets another, so nothing an old thread still writes is read. */
  readView: NodeReadView | null;
}

/** Longest wait for a node's thread to end: a caller (a fault request, a failover, stop) never waits longer. */
const destroyWaitMs = 5000;
/** How long a read-only question (describe, digest) may go unanswered before its caller gives up. */
const questionTimeoutMs = 10_000;


export class StorageThreads implements NodeSupervisor {
  readonly board: HealthBoard;
  private readonly options: StorageThreadsOptions;
  private readonly transport: RequestTransport;
  private readonly nodes: NodeHandle[] = [];
  /** peerRings[a][b]: replication frames from node a to node b (peerViews: the same, to look at from here). */
  private readonly peerRings: SharedArrayBuffer[][] = [];
  private readonly peerViews: Array<Array<SpscRing | null>> = [];
  private readonly doorbells: Doorbell[] = [];
  private nextControlSeq = 1;
  /** The write-ahead log's thread, and what the nodes share with it. */
  private readonly wal = {
    durability: null as unknown as WalDurability,
    doorbell: Doorbell.create(),
    control: null as unknown as MessagePort,
    pool: null as unknown as Piscina,
    done: null as unknown as Promise<unknown>,
    /** Where each log ended when the process started (a node replays up to there). */
    ends: [] as WalEnd[],
  };
  onEvent: (node: number, event: NodeEvent) => void = () => {};
  onExit: (node: number) => void = () => {};
  private running = true;
  /** Told when a node's read view appears (a start) or goes (declared dead): the front-door threads' copy follows. */
  onReadViewsChange: (() => void) | null = null;

  private constructor(options: StorageThreadsOptions, transport: RequestTransport) {
    this.options = options;
    this.transport = transport;
    this.board = HealthBoard.create(options.workers);
  }

  /** Starts the log's thread and every node in its place (directory and generation), side by side. */
  static async start(options: StorageThreadsOptions, transport: RequestTransport, places: NodePlace[]): Promise<StorageThreads> {
    const threads = new StorageThreads(options, transport);
    const n = options.workers;
    for (let id = 0; id < n; id++) threads.doorbells.push(Doorbell.create());
    // The log is read to its end and the nodes' rings to its thread are made before this returns;
    // the thread itself starts while the nodes do (their batches wait in the rings until it reads them).
    const logs = threads.readLogs(places);
    const walStarted = threads.startWal(places, logs);
    walStarted.catch(() => {});
    for (let a = 0; a < n; a++) {
      threads.peerRings.push([]);
      threads.peerViews.push([]);
      for (let b = 0; b < n; b++) {
        const ring = a === b ? null : SpscRing.create(options.ringCapacityBytes);
        threads.peerRings[a].push(ring?.sab ?? new SharedArrayBuffer(0));
        threads.peerViews[a].push(ring);
      }
    }
    await Promise.all([walStarted, ...Array.from({ length: n }, (_, id) => threads.spawn(id, places[id], true))]);
    return threads;
  }

  /** Where a node's records go: the process's log, or the node's own. */
  private logOf(node: number): number {
    return this.options.walPerNode ? node : 0;
  }

  private logDir(place: NodePlace): string {
    return this.options.walPerNode ? join(place.dir, 'wal') : this.options.walDir;
  }

  /** Reads every log to its end (throwing WalCorruptError on a damaged one: the server does not start). */
  private readLogs(places: NodePlace[]): WalLogSpec[] {
    const o = this.options;
    const logs: WalLogSpec[] = [];
    const dirs = o.walPerNode ? places.map((p) => this.logDir(p)) : [o.walDir];
    for (const dir of dirs) {
      const end = scanWal(new FileSegments(dir, o.sync), o.walSegmentBytes, () => {});
      if (end.cutTail) log.warn(`write-ahead log ${dir}: a torn tail after its last complete sync was cut at LSN ${end.end} (nothing in it had been acknowledged)`);
      logs.push({ dir, end });
      this.wal.ends.push(end);
    }
    return logs;
  }

  /** Starts the log's thread at the logs' ends; the nodes' rings to it are made here (before any await), one per node. */
  private async startWal(places: NodePlace[], logs: WalLogSpec[]): Promise<void> {
    const o = this.options;
    this.wal.durability = WalDurability.create(o.workers);
    const nodes: WalNodeSpec[] = places.map((place, id) => {
      const ring = SpscRing.create(o.ringCapacityBytes);
      this.walRings[id] = ring.sab;
      return { log: this.logOf(id), ring: ring.sab, generation: place.generation, doorbell: this.doorbells[id].sab };
    });
    const channel = new MessageChannel();
    const task: WalThreadTask = { segmentBytes: o.walSegmentBytes, sync: o.sync, encryptionKey: o.encryptionKey, logs, nodes, durability: this.wal.durability.sab, doorbell: this.wal.doorbell.sab, control: channel.port2, crashTraceDir: o.crashTraceDir };
    this.wal.control = channel.port1;
    this.wal.pool = new Piscina({ filename: walThreadFile, name: 'default', minThreads: 1, maxThreads: 1, idleTimeout: Infinity, atomics: 'disabled', execArgv: storageWorkerExecArgv() });
    const ready = new Promise<void>((resolve) => channel.port1.once('message', () => resolve()));
    this.wal.done = this.wal.pool.run(task, { transferList: [channel.port2] });
    this.wal.done.catch((err: Error) => {
      if (!this.running) return;
      // Nothing may be acknowledged any more: what the log thread had not synced may be lost.
      log.error(`the write-ahead log failed, stopping: ${err.stack ?? err.message}`);
      process.exit(70);
    });
    channel.port1.unref();
    await Promise.race([ready, this.wal.done.then(() => Promise.reject(new Error('the write-ahead log thread exited during start-up')))]);
  }

  /** Rings from each node to the log's thread (a replacement gets a new one). */
  private readonly walRings: SharedArrayBuffer[] = [];

  get count(): number {
    return this.options.workers;
  }

  isAlive(node: number): boolean {
    return this.nodes[node]?.alive === true;
  }

  /** The live node's read view; null for a node declared dead (or with local reads off). */
  readView(node: number): NodeReadView | null {
    const handle = this.nodes[node];
    return handle?.alive === true ? handle.readView : null;
  }

  /** The incarnation of the node's current thread (a replacement or restart starts a new one). */
  incarnationOf(node: number): number {
    return this.nodes[node]?.incarnation ?? -1;
  }

  liveness(node: number): NodeLiveness {
    const handle = this.nodes[node];
    return { ...this.board.liveness(node), workWaiting: handle !== undefined && this.workWaiting(handle) };
  }

  /**
   * Whether work waits for the node: frames in its inbound rings (read here without consuming:
   * the supervisor owns the rings), requests or control messages it has not answered.
   */
  private workWaiting(handle: NodeHandle): boolean {
    if (handle.waiters.size > 0 || this.transport.inFlight(handle.id) > 0 || !handle.requests.isEmpty()) return true;
    for (let peer = 0; peer < this.peerViews.length; peer++) if (this.peerViews[peer][handle.id]?.isEmpty() === false) return true;
    return false;
  }

  /** Starts node `id` (first start, which replays its log, or a replacement, which has none) and resolves when it is ready. */
  private spawn(id: number, place: NodePlace, firstStart: boolean): Promise<void> {
    const nodeDir = place.dir;
    const o = this.options;
    const n = this.options.workers;
    const requestRing = SpscRing.create(this.options.ringCapacityBytes);
    const responseRing = SpscRing.create(this.options.ringCapacityBytes);
    const channel = new MessageChannel();
    const peerIn: Record<number, SharedArrayBuffer> = {};
    const peerOut: Record<number, SharedArrayBuffer> = {};
    const peerDoorbells: Record<number, SharedArrayBuffer> = {};
    for (let peer = 0; peer < n; peer++) {
      if (peer === id) continue;
      peerIn[peer] = this.peerRings[peer][id];
      peerOut[peer] = this.peerRings[id][peer];
      peerDoorbells[peer] = this.doorbells[peer].sab;
    }
    const incarnation = this.board.startIncarnation(id);
    const readView = o.localReads ? { dir: nodeDir, visibility: ReadVisibility.create() } : null;
    const task: StorageNodeTask = {
      id,
      incarnation,
      nodeDir,
      sync: this.options.sync,
      mapSizeBytes: this.options.mapSizeBytes,
      encryptionKey: this.options.encryptionKey,
      requestRing: requestRing.sab,
      responseRing: responseRing.sab,
      doorbell: this.doorbells[id].sab,
      routerDoorbell: this.transport.doorbell.sab,
      peerIn,
      peerOut,
      peerDoorbells,
      control: channel.port2,
      healthBoard: this.board.sab,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      faults: this.options.faults,
      logLevel: this.options.logLevel,
      node: this.options.node,
      generation: place.generation,
      store: o.store,
      crashTraceDir: o.crashTraceDir,
      recoveryPauseRecords: firstStart ? o.recoveryPauseRecords : undefined,
      readVisibility: readView?.visibility.sab,
      wal: {
        ring: this.walRings[id],
        doorbell: this.wal.doorbell.sab,
        durability: this.wal.durability.sab,
        dir: this.logDir(place),
        segmentBytes: o.walSegmentBytes,
        // A replacement's directory is new: nothing of it is in any log.
        replayEnd: firstStart ? this.wal.ends[this.logOf(id)].end : null,
      },
    };
    const pool = new Piscina({
      filename: storageWorkerFile,
      name: 'default',
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      atomics: 'disabled',
      execArgv: storageWorkerExecArgv(),
    });
    const handle: NodeHandle = {
      id,
      incarnation,
      pool,
      control: channel.port1,
      doorbell: this.doorbells[id],
      requests: requestRing,
      alive: true,
      done: pool.run(task, { transferList: [channel.port2] }),
      waiters: new Map(),
      destroyed: null,
      readView,
    };
    this.nodes[id] = handle;
    if (readView !== null) this.onReadViewsChange?.();
    // A node's task returns only when it is stopped or fenced; it fails when its thread dies.
    handle.done.catch((err) => {
      if (!this.running || !handle.alive || this.nodes[id] !== handle) return;
      log.error(`storage node ${id} stopped: ${(err as Error).stack ?? (err as Error).message}`);
      this.onExit(id);
    });
    let ready: () => void = () => {};
    // Replies and events are matched to this incarnation's handle, never to a later one (finding M4).
    handle.control.on('message', (reply: ControlReply) => {
      if (reply.kind === 'ready') return ready();
      if (reply.kind === 'event') {
        if (this.nodes[id] === handle && handle.alive) this.onEvent(id, reply.event);
        return;
      }
      const waiter = handle.waiters.get(reply.seq);
      if (waiter === undefined) return;
      handle.waiters.delete(reply.seq);
      waiter.settle(reply);
    });
    handle.control.unref();
    this.transport.attach(id, new Outbox(requestRing, this.doorbells[id], { ringOncePerTurn: true }), responseRing);
    return new Promise<void>((resolve, reject) => {
      ready = resolve;
      handle.done.then(() => reject(new Error(`storage node ${id} exited during start-up`)), reject);
    });
  }

  control<K extends ControlType>(node: number, request: ControlRequestOf<K>): Promise<ControlReplies[K]> {
    const handle = this.nodes[node];
    if (handle === undefined || !handle.alive) return Promise.reject(new NodeFailedError(node));
    const seq = this.nextControlSeq++;
    return new Promise<ControlReplies[K]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      handle.waiters.set(seq, {
        settle: (reply) => {
          if (timer !== undefined) clearTimeout(timer);
          if (reply.kind !== 'reply') return;
          if (reply.ok) resolve(reply.result as ControlReplies[K]);
          else reject(reply.error === 'node failed' ? new NodeFailedError(node) : new Error(reply.error));
        },
      });
      if (request.type === 'describe' || request.type === 'digest') {
        // A question a node leaves unanswered must not hold its caller forever; commands are not
        // timed out, as a late answer would still mean they happened.
        timer = setTimeout(() => {
          if (!handle.waiters.delete(seq)) return;
          log.error(`storage node ${node} did not answer ${request.type} within ${questionTimeoutMs} ms`);
          reject(new Error(`storage node ${node} did not answer ${request.type}`));
        }, questionTimeoutMs);
        timer.unref();
      }
      this.board.controlPosted(node);
      handle.control.postMessage({ ...request, seq } as ControlMessage);
      // A node sleeping on its doorbell reads its messages once woken; a busy one yields for them.
      handle.doorbell.ring();
    });
  }

  /**
   * Declares a node dead: it is fenced (it will answer and send nothing more), every request and
   * control message waiting on it fails with NodeFailedError, and its thread is ended.
   */
  markDead(node: number): void {
    const handle = this.nodes[node];
    if (!handle.alive) return;
    handle.alive = false;
    if (handle.readView !== null) this.onReadViewsChange?.();
    this.board.fence(node);
    this.transport.detach(node);
    for (const [seq, waiter] of handle.waiters) waiter.settle({ kind: 'reply', seq, ok: false, error: 'node failed' });
    handle.waiters.clear();
    this.board.resume(node); // a hung node wakes, sees the fence and leaves its loop
    void this.destroy(handle);
  }

  /**
   * Ends a node's thread, once: a kill, the failover it causes and a shutdown may each ask,
   * sometimes at the same moment, and none of them may wait for the thread forever. The thread
   * is terminated only after its task has ended (a fenced or stopped node leaves its loop and
   * closes its store within a turn): terminating a thread inside an LMDB transaction can
   * deadlock lmdb-js's clean-up of that thread (seen: EnvWrap::cleanupStrayTxns waiting forever
   * on a mutex), which then keeps the whole process from exiting.
   */
  private destroy(handle: NodeHandle): Promise<void> {
    handle.destroyed ??= within(handle.done, destroyWaitMs).then(() => handle.pool.destroy()).catch(() => {});
    return within(handle.destroyed, destroyWaitMs).then((ended) => {
      if (!ended) log.error(`storage node ${handle.id}: its thread did not end within ${destroyWaitMs} ms`);
    });
  }

  /** Fault injection: the node crashes (its loop throws at its next turn); the control plane learns it from the end of its task. */
  async kill(node: number): Promise<void> {
    const handle = this.nodes[node];
    this.board.requestCrash(node);
    handle.doorbell.ring();
    await within(handle.done, destroyWaitMs);
  }

  /** Starts a replacement for a dead node in the same zone, with new rings and an empty directory. */
  async replace(node: number, nodeDir: string, generation: number): Promise<void> {
    const place: NodePlace = { dir: nodeDir, generation };
    const n = this.options.workers;
    // Rings of the old incarnation may hold half-written frames: the new one gets fresh rings.
    for (let peer = 0; peer < n; peer++) {
      if (peer === node) continue;
      for (const [a, b] of [[peer, node], [node, peer]]) {
        const ring = SpscRing.create(this.options.ringCapacityBytes);
        this.peerRings[a][b] = ring.sab;
        this.peerViews[a][b] = ring;
      }
    }
    this.doorbells[node] = Doorbell.create();
    await this.destroy(this.nodes[node]);
    // Its records go through a new ring, tagged with its new generation (and, per node, into a new log).
    const ring = SpscRing.create(this.options.ringCapacityBytes);
    this.walRings[node] = ring.sab;
    const spec: WalNodeSpec = { log: this.logOf(node), ring: ring.sab, generation, doorbell: this.doorbells[node].sab };
    const message: WalControl = { type: 'node', node, spec, ...(this.options.walPerNode ? { log: { dir: this.logDir(place), end: { end: 0, nextGroup: 0, segments: [], cutTail: false } } } : {}) };
    this.wal.control.postMessage(message);
    this.wal.doorbell.ring();
    // A new incarnation: an old thread that outlived the wait is fenced by it.
    await this.spawn(node, place, false);
    await Promise.all(
      this.nodes
        .filter((h) => h.alive && h.id !== node)
        .map((h) =>
          this.control(h.id, { type: 'peer', peer: node, inRing: this.peerRings[node][h.id], outRing: this.peerRings[h.id][node], peerDoorbell: this.doorbells[node].sab }).catch(() => {}),
        ),
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.filter((h) => h.alive).map((h) => this.control(h.id, { type: 'stop' })));
    this.running = false;
    await Promise.allSettled(this.nodes.map((h) => h.done));
    await Promise.allSettled(this.nodes.map((h) => this.destroy(h)));
    // The log's thread last: it writes what the nodes handed it before they stopped.
    const stop: WalControl = { type: 'stop' };
    this.wal.control.postMessage(stop);
    this.wal.doorbell.ring();
    await within(this.wal.done, destroyWaitMs);
    await this.wal.pool.destroy().catch(() => {});
  }
}

/** Resolves true once `promise` settles (either way), or false after `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
