// The router's side of the storage nodes: spawns them through piscina, owns the rings to and
// from each, matches responses to requests, carries control messages (postMessage), and
// replaces a node the control plane has declared dead.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SpscRing } from '../rings/ring.ts';
import { Doorbell } from '../rings/doorbell.ts';
import { Outbox } from '../rings/outbox.ts';
import { decodeResponse, encodeRequest } from '../storage/message-codec.ts';
import { HealthBoard } from '../control/health-board.ts';
import type { StorageNodeTask, ControlMessage, ControlReply, ControlRequest } from '../storage/worker.ts';
import type { NodeEvent } from '../storage/storage-node.ts';
import type { PartitionAssignment, StorageRequest, StorageResponse } from '../storage/messages.ts';
import { DynamoError } from '../protocol/errors.ts';
import { storageWorkerExecArgv, storageWorkerFile } from '../server/runtime-files.ts';

export interface StorageNodesOptions {
  workers: number;
  dataDir: string;
  sync: boolean;
  mapSizeBytes: number;
  ringCapacityBytes: number;
  requestTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Most log entries a replica keeps; a follower further behind is rebuilt from a snapshot. */
  logEntriesMax: number;
  /** lmdb-js's encryption key for every node's LMDB environment; absent: not encrypted. */
  encryptionKey?: string;
}

/** A request's node was declared dead before it answered: the router may retry elsewhere. */
export class NodeFailedError extends Error {
  readonly node: number;
  constructor(node: number) {
    super(`storage node ${node} failed`);
    this.node = node;
  }
}

interface PendingRequest {
  resolve: (res: StorageResponse) => void;
  reject: (err: Error) => void;
  deadline: number;
  worker: number;
}

interface NodeHandle {
  id: number;
  pool: Piscina;
  requests: Outbox;
  responses: SpscRing;
  control: MessagePort;
  doorbell: Doorbell;
  /** Requests sent and not yet answered: the router's measure of a node's load. */
  inFlight: number;
  alive: boolean;
  done: Promise<unknown>;
  /** Set by the first destroy of the node's pool; every later caller shares it. */
  destroyed: Promise<void> | null;
}

/** Longest wait for a node's thread to end: a caller (a fault request, a failover, stop) never waits longer. */
const destroyWaitMs = 5000;

const nodeFailed = 'node failed';
/** How often request deadlines are checked (one timer for all requests, not one each). */
const deadlineSweepMs = 250;

export class StorageNodes {
  readonly board: HealthBoard;
  private readonly options: StorageNodesOptions;
  private readonly nodes: NodeHandle[] = [];
  /** peerRings[a][b]: replication frames from node a to node b. */
  private readonly peerRings: SharedArrayBuffer[][] = [];
  private readonly pending = new Map<number, PendingRequest>();
  private readonly controlWaiters = new Map<number, { node: number; settle: (reply: ControlReply) => void }>();
  private readonly doorbell = Doorbell.create();
  private nextRequestId = 1;
  private nextControlSeq = 1;
  private running = true;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Called with news from nodes (a snapshot installed). */
  onEvent: (node: number, event: NodeEvent) => void = () => {};
  /** Called when a node's thread ends without having been declared dead or stopped. */
  onExit: (node: number) => void = () => {};

  private constructor(options: StorageNodesOptions) {
    this.options = options;
    this.board = HealthBoard.create(options.workers);
  }

  /** Starts every node; `nodeDirs[i]` is node i's LMDB directory. */
  static async start(options: StorageNodesOptions, assignments: PartitionAssignment[], nodeDirs: string[]): Promise<StorageNodes> {
    const nodes = new StorageNodes(options);
    const n = options.workers;
    const doorbells = Array.from({ length: n }, () => Doorbell.create());
    for (let a = 0; a < n; a++) {
      nodes.peerRings.push([]);
      for (let b = 0; b < n; b++) nodes.peerRings[a].push(a === b ? new SharedArrayBuffer(0) : SpscRing.create(options.ringCapacityBytes).sab);
    }
    const ready: Promise<void>[] = [];
    for (let id = 0; id < n; id++) ready.push(nodes.spawn(id, nodeDirs[id], doorbells, assignments));
    await Promise.all(ready);
    nodes.sweepTimer = setInterval(() => nodes.sweepDeadlines(), deadlineSweepMs);
    nodes.sweepTimer.unref();
    void nodes.drainResponses();
    return nodes;
  }

  /** Starts node `id` (first start or replacement) and resolves when it is ready. */
  private spawn(id: number, nodeDir: string, doorbells: Doorbell[], assignments: PartitionAssignment[]): Promise<void> {
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
      peerDoorbells[peer] = doorbells[peer].sab;
    }
    const task: StorageNodeTask = {
      id,
      nodeDir,
      sync: this.options.sync,
      mapSizeBytes: this.options.mapSizeBytes,
      encryptionKey: this.options.encryptionKey,
      requestRing: requestRing.sab,
      responseRing: responseRing.sab,
      doorbell: doorbells[id].sab,
      routerDoorbell: this.doorbell.sab,
      peerIn,
      peerOut,
      peerDoorbells,
      control: channel.port2,
      assignments: assignments.filter((a) => a.replicas.includes(id)),
      healthBoard: this.board.sab,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      logEntriesMax: this.options.logEntriesMax,
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
    const control = channel.port1;
    const handle: NodeHandle = {
      id,
      pool,
      // One wake-up per event-loop turn for every request routed to this node in it.
      requests: new Outbox(requestRing, doorbells[id], { ringOncePerTurn: true }),
      responses: responseRing,
      control,
      doorbell: doorbells[id],
      inFlight: 0,
      alive: true,
      done: pool.run(task, { transferList: [channel.port2] }),
      destroyed: null,
    };
    this.nodes[id] = handle;
    // A node's task returns only when it is stopped or fenced; it fails when its thread dies.
    handle.done.catch((err) => {
      if (!this.running || !handle.alive || this.nodes[id] !== handle) return;
      console.error(`[monodyne] storage node ${id} stopped: ${(err as Error).message}`);
      this.onExit(id);
    });
    const readyKey = -1 - id;
    control.on('message', (reply: ControlReply) => {
      if (reply.event !== undefined) {
        this.onEvent(id, reply.event);
        return;
      }
      const key = reply.seq === 0 ? readyKey : reply.seq;
      const waiter = this.controlWaiters.get(key);
      if (waiter) {
        this.controlWaiters.delete(key);
        waiter.settle(reply);
      }
    });
    control.unref();
    return new Promise<void>((resolve, reject) => {
      this.controlWaiters.set(readyKey, { node: id, settle: () => resolve() });
      handle.done.then(() => reject(new Error(`storage node ${id} exited during start-up`)), reject);
    });
  }

  get count(): number {
    return this.nodes.length;
  }

  isAlive(worker: number): boolean {
    return this.nodes[worker].alive;
  }

  inFlight(worker: number): number {
    return this.nodes[worker].inFlight;
  }

  /** Sends one request to a node; resolves with its response. */
  call(worker: number, req: StorageRequest): Promise<StorageResponse> {
    const node = this.nodes[worker];
    if (!node.alive) return Promise.reject(new NodeFailedError(worker));
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0x7fffffff ? 1 : id + 1;
    req.id = id;
    node.inFlight++;
    const promise = new Promise<StorageResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + this.options.requestTimeoutMs, worker });
    });
    node.requests.send(encodeRequest(req));
    return promise;
  }

  /** Sends a control message to one node and waits for its reply. */
  control(worker: number, msg: ControlRequest, transfer: Transferable[] = []): Promise<unknown> {
    const seq = this.nextControlSeq++;
    const node = this.nodes[worker];
    if (!node.alive) return Promise.reject(new NodeFailedError(worker));
    const answer = new Promise((resolve, reject) => {
      this.controlWaiters.set(seq, { node: worker, settle: (reply) => (reply.ok ? resolve(reply.result) : reject(reply.error === nodeFailed ? new NodeFailedError(worker) : new Error(reply.error))) });
      node.control.postMessage({ ...msg, seq } as ControlMessage, transfer as never);
      // A node sleeping on its doorbell reads its messages once woken.
      node.doorbell.ring();
    });
    if (msg.type === 'describe') this.expireControl(seq, worker, msg.type);
    return answer;
  }

  /**
   * A read-only question that a node leaves unanswered must not hold its caller (an admin
   * request, the publisher) forever; commands are not timed out, as a late answer would still
   * mean they happened.
   */
  private expireControl(seq: number, worker: number, type: string): void {
    const timer = setTimeout(() => {
      const waiter = this.controlWaiters.get(seq);
      if (waiter === undefined) return;
      this.controlWaiters.delete(seq);
      console.error(`[monodyne] storage node ${worker} did not answer ${type} within ${describeTimeoutMs} ms`);
      waiter.settle({ seq, ok: false, error: `storage node ${worker} did not answer ${type} within ${describeTimeoutMs} ms` });
    }, describeTimeoutMs);
    timer.unref();
  }

  /** The same control message to every live node (a node that dies meanwhile is skipped: repair catches it up). */
  async controlAll(msg: ControlRequest): Promise<unknown[]> {
    return Promise.all(
      this.nodes
        .filter((n) => n.alive)
        .map((n) =>
          this.control(n.id, msg).catch((err) => {
            if (err instanceof NodeFailedError) return undefined;
            throw err;
          }),
        ),
    );
  }

  /**
   * Declares a node dead: it is fenced (it will answer nothing more), every request waiting on
   * it fails with NodeFailedError (the router retries them elsewhere), and its thread is ended.
   */
  markDead(worker: number): void {
    const node = this.nodes[worker];
    if (!node.alive) return;
    node.alive = false;
    this.board.fence(worker);
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(new NodeFailedError(worker));
    }
    node.inFlight = 0;
    // Control calls to the dead node will never be answered: release their callers.
    for (const [seq, waiter] of this.controlWaiters) {
      if (waiter.node !== worker) continue;
      this.controlWaiters.delete(seq);
      waiter.settle({ seq, ok: false, error: nodeFailed });
    }
    this.board.resume(worker); // a hung node wakes, sees the fence and leaves its loop
    void this.destroy(node);
  }

  /**
   * Ends a node's thread, once: a kill, the failover it causes and a shutdown may each ask,
   * sometimes at the same moment, and none of them may wait for the thread forever. The thread
   * is terminated only after its task has ended (a fenced or stopped node leaves its loop and
   * closes its store within a turn): terminating a thread inside an LMDB transaction can
   * deadlock lmdb-js's clean-up of that thread (seen: EnvWrap::cleanupStrayTxns waiting forever
   * on a mutex), which then keeps the whole process from exiting.
   */
  private destroy(node: NodeHandle): Promise<void> {
    node.destroyed ??= within(node.done, destroyWaitMs).then(() => node.pool.destroy()).catch(() => {});
    return within(node.destroyed, destroyWaitMs).then((ended) => {
      if (!ended) console.error(`[monodyne] storage node ${node.id}: its thread did not end within ${destroyWaitMs} ms`);
    });
  }

  /**
   * Fault injection: the node crashes (its loop throws at its next turn, as on a bug or a failed
   * commit) and the control plane learns it from the end of its task.
   */
  async kill(worker: number): Promise<void> {
    const node = this.nodes[worker];
    this.board.requestCrash(worker);
    node.doorbell.ring();
    await within(node.done, destroyWaitMs);
  }

  /** Starts a replacement for a dead node in the same zone, with new rings and an empty directory. */
  async replace(worker: number, nodeDir: string): Promise<void> {
    const n = this.options.workers;
    const doorbells = this.nodes.map((node) => node.doorbell);
    // Rings of the old incarnation may hold half-written frames: the new one gets fresh rings.
    for (let peer = 0; peer < n; peer++) {
      if (peer === worker) continue;
      this.peerRings[peer][worker] = SpscRing.create(this.options.ringCapacityBytes).sab;
      this.peerRings[worker][peer] = SpscRing.create(this.options.ringCapacityBytes).sab;
    }
    doorbells[worker] = Doorbell.create();
    // The old incarnation must be gone before the fence it obeys is lifted for the new one.
    await this.destroy(this.nodes[worker]);
    this.board.reset(worker);
    await this.spawn(worker, nodeDir, doorbells, []);
    await Promise.all(
      this.nodes
        .filter((node) => node.alive && node.id !== worker)
        .map((node) =>
          this.control(node.id, {
            type: 'peer',
            peer: worker,
            inRing: this.peerRings[worker][node.id],
            outRing: this.peerRings[node.id][worker],
            peerDoorbell: doorbells[worker].sab,
          }),
        ),
    );
  }

  /** Drains every response ring; sleeps on the router's doorbell without blocking the event loop. */
  private async drainResponses(): Promise<void> {
    const doorbell = this.doorbell;
    while (this.running) {
      let worked = false;
      for (const node of this.nodes) {
        if (!node.alive) continue;
        let bytes: Uint8Array | null;
        while ((bytes = node.responses.tryRead()) !== null) {
          worked = true;
          this.onResponse(node, decodeResponse(bytes));
        }
        if (node.requests.pending() > 0) worked = node.requests.flush() || worked;
      }
      if (worked) {
        // Let the front door run (new requests, socket writes) before draining again.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      doorbell.prepareSleep();
      if (this.anyResponses()) {
        doorbell.cancelSleep();
        continue;
      }
      await doorbell.waitAsync(this.anyBacklog() ? 1 : 200);
    }
  }

  private anyResponses(): boolean {
    for (const node of this.nodes) if (node.alive && !node.responses.isEmpty()) return true;
    return false;
  }

  private anyBacklog(): boolean {
    for (const node of this.nodes) if (node.alive && node.requests.pending() > 0) return true;
    return false;
  }

  private onResponse(node: NodeHandle, res: StorageResponse): void {
    const p = this.pending.get(res.id);
    if (p === undefined || p.worker !== node.id) return; // timed out, or its node was declared dead
    this.pending.delete(res.id);
    node.inFlight--;
    p.resolve(res);
  }

  private sweepDeadlines(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      this.nodes[p.worker].inFlight--;
      p.reject(new DynamoError('InternalServerError', 'Internal server error'));
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.filter((n) => n.alive).map((n) => this.control(n.id, { type: 'stop' })));
    this.running = false;
    this.doorbell.ring();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.allSettled(this.nodes.map((n) => n.done));
    await Promise.allSettled(this.nodes.map((n) => this.destroy(n)));
  }
}

/** How long a describe (a node's view of its replicas) may take before its caller gives up. */
const describeTimeoutMs = 10_000;

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
