// The router's path to the storage nodes: numbers each request, writes its frame into the
// node's request ring, matches the node's answers to the waiting requests, and gives up on a
// request its node never answers. The supervisor of the storage threads attaches each node's
// rings when it starts and detaches them when the node is declared dead; that is all the two
// share (attach, detach, and the node's liveness).
import type { SpscRing } from '../rings/ring.ts';
import { MessageReader } from '../rings/fragments.ts';
import { PendingById } from '../protocol/pending-by-id.ts';
import { Doorbell } from '../rings/doorbell.ts';
import type { Outbox } from '../rings/outbox.ts';
import { decodeResponse, encodeRequest } from '../storage/message-codec.ts';
import type { StorageRequest, StorageResponse } from '../storage/messages.ts';
import { DynamoError } from '../protocol/errors.ts';
import { NodeFailedError } from '../control/node-supervisor.ts';
import type { StorageTransport } from './router.ts';

interface PendingRequest {
  readonly id: number;
  resolve: (res: StorageResponse) => void;
  reject: (err: Error) => void;
  deadline: number;
  node: number;
}

interface NodeLink {
  requests: Outbox;
  responses: MessageReader;
  inFlight: number;
}

/** How often request deadlines are checked (one timer for all requests, not one each). */
const deadlineSweepMs = 250;

export class RequestTransport implements StorageTransport {
  /** Rung by the nodes when they write answers. */
  readonly doorbell = Doorbell.create();
  private readonly links: Array<NodeLink | null> = [];
  private readonly pending = new PendingById<PendingRequest>();
  private readonly requestTimeoutMs: number;
  private nextRequestId = 1;
  private running = true;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(nodes: number, requestTimeoutMs: number) {
    for (let i = 0; i < nodes; i++) this.links.push(null);
    this.requestTimeoutMs = requestTimeoutMs;
    this.sweepTimer = setInterval(() => this.sweepDeadlines(), deadlineSweepMs);
    this.sweepTimer.unref();
    void this.drainResponses();
  }

  /** A node (first start or replacement) is reachable through these rings. */
  attach(node: number, requests: Outbox, responses: SpscRing): void {
    this.links[node] = { requests, responses: new MessageReader(responses), inFlight: 0 };
  }

  /** A node was declared dead: every request waiting on it fails with NodeFailedError (the router retries). */
  detach(node: number): void {
    this.links[node] = null;
    for (const p of this.pending.takeWhere((q) => q.node === node)) p.reject(new NodeFailedError(node));
  }

  isAlive(node: number): boolean {
    return this.links[node] !== null;
  }

  inFlight(node: number): number {
    return this.links[node]?.inFlight ?? 0;
  }

  call(node: number, req: StorageRequest): Promise<StorageResponse> {
    const link = this.links[node];
    if (link === null || link === undefined) return Promise.reject(new NodeFailedError(node));
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0x7fffffff ? 1 : id + 1;
    req.id = id;
    let frame: Uint8Array;
    try {
      frame = encodeRequest(req);
    } catch (err) {
      // Refused here, before anything waits on it (a throw after registering it orphaned a promise, finding F6a).
      return Promise.reject(err);
    }
    link.inFlight++;
    const promise = new Promise<StorageResponse>((resolve, reject) => {
      this.pending.add({ id, resolve, reject, deadline: Date.now() + this.requestTimeoutMs, node });
    });
    link.requests.send(frame);
    return promise;
  }

  /** Drains every response ring; sleeps on the doorbell without blocking the event loop. */
  private async drainResponses(): Promise<void> {
    const doorbell = this.doorbell;
    while (this.running) {
      let worked = false;
      for (let node = 0; node < this.links.length; node++) {
        const link = this.links[node];
        if (link === null) continue;
        let bytes: Uint8Array | null;
        while ((bytes = link.responses.tryRead()) !== null) {
          worked = true;
          this.onResponse(node, link, decodeResponse(bytes));
        }
        if (link.requests.pending() > 0) worked = link.requests.flush() || worked;
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
    for (const link of this.links) if (link !== null && !link.responses.isEmpty()) return true;
    return false;
  }

  private anyBacklog(): boolean {
    for (const link of this.links) if (link !== null && link.requests.pending() > 0) return true;
    return false;
  }

  private onResponse(node: number, link: NodeLink, res: StorageResponse): void {
    const p = this.pending.take(res.id);
    if (p === undefined) return; // timed out, or its node was declared dead
    if (p.node !== node) {
      // An answer under this id from a node the request was not sent to: ignored, the request stays pending.
      this.pending.add(p);
      return;
    }
    link.inFlight--;
    p.resolve(res);
  }

  private sweepDeadlines(): void {
    const now = Date.now();
    if (this.pending.size === 0) return;
    for (const p of this.pending.takeWhere((q) => q.deadline <= now)) {
      const link = this.links[p.node];
      if (link !== null) link.inFlight--;
      p.reject(new DynamoError('InternalServerError', 'Internal server error'));
    }
  }

  stop(): void {
    this.running = false;
    this.doorbell.ring();
    clearInterval(this.sweepTimer);
  }
}
