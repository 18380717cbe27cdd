// The router's side of the storage nodes: spawns them through piscina, owns the rings to and
// from each, matches responses to requests, and carries control messages (postMessage).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SpscRing } from '../rings/ring.ts';
import { Doorbell } from '../rings/doorbell.ts';
import { Outbox } from '../rings/outbox.ts';
import { encodeFrame, decodeFrame } from '../rings/frame-codec.ts';
import type { StorageNodeTask, ControlMessage, ControlReply, ControlRequest } from '../storage/worker.ts';
import type { PartitionAssignment, StorageRequest, StorageResponse } from '../storage/messages.ts';
import { DynamoError } from '../protocol/errors.ts';

export interface StorageNodesOptions {
  workers: number;
  dataDir: string;
  sync: boolean;
  mapSizeBytes: number;
  ringCapacityBytes: number;
  requestTimeoutMs: number;
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
  /** Requests sent and not yet answered: the router's measure of a node's load. */
  inFlight: number;
  done: Promise<unknown>;
}

const workerFile = new URL('../storage/worker.ts', import.meta.url).href;
/** How often request deadlines are checked (one timer for all requests, not one each). */
const deadlineSweepMs = 250;

export class StorageNodes {
  private readonly nodes: NodeHandle[] = [];
  private readonly pending = new Map<number, PendingRequest>();
  private readonly controlWaiters = new Map<number, (reply: ControlReply) => void>();
  private readonly doorbell = Doorbell.create();
  private readonly timeoutMs: number;
  private nextRequestId = 1;
  private nextControlSeq = 1;
  private running = true;
  private sweepTimer: NodeJS.Timeout | undefined;

  private constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  static async start(options: StorageNodesOptions, assignments: PartitionAssignment[]): Promise<StorageNodes> {
    const nodes = new StorageNodes(options.requestTimeoutMs);
    const n = options.workers;
    const doorbells = Array.from({ length: n }, () => Doorbell.create());
    // peerRings[a][b]: replication frames from node a to node b.
    const peerRings: SharedArrayBuffer[][] = [];
    for (let a = 0; a < n; a++) {
      peerRings.push([]);
      for (let b = 0; b < n; b++) peerRings[a].push(a === b ? new SharedArrayBuffer(0) : SpscRing.create(options.ringCapacityBytes).sab);
    }
    const ready: Promise<ControlReply>[] = [];
    for (let id = 0; id < n; id++) {
      const requestRing = SpscRing.create(options.ringCapacityBytes);
      const responseRing = SpscRing.create(options.ringCapacityBytes);
      const channel = new MessageChannel();
      const peerIn: Record<number, SharedArrayBuffer> = {};
      const peerOut: Record<number, SharedArrayBuffer> = {};
      const peerDoorbells: Record<number, SharedArrayBuffer> = {};
      for (let peer = 0; peer < n; peer++) {
        if (peer === id) continue;
        peerIn[peer] = peerRings[peer][id];
        peerOut[peer] = peerRings[id][peer];
        peerDoorbells[peer] = doorbells[peer].sab;
      }
      const task: StorageNodeTask = {
        id,
        dataDir: options.dataDir,
        sync: options.sync,
        mapSizeBytes: options.mapSizeBytes,
        requestRing: requestRing.sab,
        responseRing: responseRing.sab,
        doorbell: doorbells[id].sab,
        routerDoorbell: nodes.doorbell.sab,
        peerIn,
        peerOut,
        peerDoorbells,
        control: channel.port2,
        assignments: assignments.filter((a) => a.replicas.includes(id)),
      };
      const pool = new Piscina({
        filename: workerFile,
        name: 'default',
        minThreads: 1,
        maxThreads: 1,
        idleTimeout: Infinity,
        atomics: 'disabled',
        execArgv: workerExecArgv(),
      });
      const control = channel.port1;
      const handle: NodeHandle = {
        id,
        pool,
        requests: new Outbox(requestRing, doorbells[id]),
        responses: responseRing,
        control,
        inFlight: 0,
        done: pool.run(task, { transferList: [channel.port2] }),
      };
      handle.done.catch((err) => {
        if (nodes.running) console.error(`[monodyne] storage node ${id} stopped unexpectedly:`, err);
      });
      nodes.nodes.push(handle);
      ready.push(
        new Promise<ControlReply>((resolve, reject) => {
          nodes.controlWaiters.set(-1 - id, resolve);
          handle.done.then(() => reject(new Error(`storage node ${id} exited during start-up`)), reject);
        }),
      );
      control.on('message', (reply: ControlReply) => {
        const key = reply.seq === 0 ? -1 - id : reply.seq;
        const waiter = nodes.controlWaiters.get(key);
        if (waiter) {
          nodes.controlWaiters.delete(key);
          waiter(reply);
        }
      });
      control.unref();
    }
    await Promise.all(ready);
    nodes.sweepTimer = setInterval(() => nodes.sweepDeadlines(), deadlineSweepMs);
    nodes.sweepTimer.unref();
    void nodes.drainResponses();
    return nodes;
  }

  get count(): number {
    return this.nodes.length;
  }

  inFlight(worker: number): number {
    return this.nodes[worker].inFlight;
  }

  /** Sends one request to a node; resolves with its response. */
  call(worker: number, req: StorageRequest): Promise<StorageResponse> {
    const node = this.nodes[worker];
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0x7fffffff ? 1 : id + 1;
    req.id = id;
    node.inFlight++;
    const promise = new Promise<StorageResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs, worker });
    });
    node.requests.send(encodeFrame(req));
    return promise;
  }

  /** Sends a control message to one node and waits for its reply. */
  control(worker: number, msg: ControlRequest): Promise<unknown> {
    const seq = this.nextControlSeq++;
    const node = this.nodes[worker];
    return new Promise((resolve, reject) => {
      this.controlWaiters.set(seq, (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))));
      node.control.postMessage({ ...msg, seq } as ControlMessage);
    });
  }

  async controlAll(msg: ControlRequest): Promise<unknown[]> {
    return Promise.all(this.nodes.map((n) => this.control(n.id, msg)));
  }

  /** Drains every response ring; sleeps on the router's doorbell without blocking the event loop. */
  private async drainResponses(): Promise<void> {
    const doorbell = this.doorbell;
    while (this.running) {
      let worked = false;
      for (const node of this.nodes) {
        let bytes: Uint8Array | null;
        while ((bytes = node.responses.tryRead()) !== null) {
          worked = true;
          this.onResponse(node, decodeFrame(bytes) as StorageResponse);
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
    for (const node of this.nodes) if (!node.responses.isEmpty()) return true;
    return false;
  }

  private anyBacklog(): boolean {
    for (const node of this.nodes) if (node.requests.pending() > 0) return true;
    return false;
  }

  private onResponse(node: NodeHandle, res: StorageResponse): void {
    const p = this.pending.get(res.id);
    if (p === undefined) return; // timed out already
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

  pendingCount(): number {
    return this.pending.size;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => this.control(n.id, { type: 'stop' })));
    this.running = false;
    this.doorbell.ring();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.allSettled(this.nodes.map((n) => n.done));
    await Promise.allSettled(this.nodes.map((n) => n.pool.destroy()));
  }
}

/** Storage workers run TypeScript too: make sure the tsx loader is in their execArgv exactly once. */
function workerExecArgv(): string[] {
  const argv = process.execArgv.slice();
  const hasTsx = argv.some((a, i) => (a === '--import' || a === '--loader') && /tsx/.test(argv[i + 1] ?? '')) || argv.some((a) => /^--import=.*tsx/.test(a));
  if (!hasTsx) argv.push('--import', import.meta.resolve('tsx'));
  return argv;
}
