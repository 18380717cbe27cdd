// The simulated wires: replication frames between storage nodes (which may be dropped, delayed,
// reordered, duplicated or cut off by a partition, in one direction or both), and the router's
// requests and answers (delayed, but in order and never lost, as the shared-memory rings are).
import type { NodeTransport } from '../../../src/storage/node-transport.ts';
import type { Scheduler } from './scheduler.ts';
import type { Random } from './random.ts';

export interface NetworkFaults {
  /** Probability that a replication frame is lost, duplicated, or delayed a lot (reordering). */
  drop: number;
  duplicate: number;
  longDelay: number;
}

export const calmNetwork: NetworkFaults = { drop: 0, duplicate: 0, longDelay: 0 };

export class SimNetwork {
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  faults: NetworkFaults = calmNetwork;
  /** Cut links "from>to": frames sent over them are lost. */
  private readonly cut = new Set<string>();
  /** Per node incarnation: where frames to it are delivered (replaced on restart). */
  private readonly inboxes = new Map<number, SimTransport>();
  /** Router-bound answers from each node. */
  onAnswer: (node: number, bytes: Uint8Array) => void = () => {};
  framesSent = 0;
  framesDropped = 0;
  /** Frames sent by a node after it was declared dead (its thread running on, see SimNodes.markDead). */
  framesFromFenced = 0;
  /** Per link: when its last in-order frame arrives. */
  private readonly linkClock = new Map<string, number>();
  /** A scenario's own rule for losing replication frames (a test scripts exactly which are lost). */
  dropIf: ((from: number, to: number, bytes: Uint8Array) => boolean) | null = null;

  constructor(scheduler: Scheduler, random: Random) {
    this.scheduler = scheduler;
    this.random = random;
  }

  attach(transport: SimTransport): void {
    this.inboxes.set(transport.self, transport);
  }

  detach(node: number, transport: SimTransport): void {
    if (this.inboxes.get(node) === transport) this.inboxes.delete(node);
  }

  partition(a: number, b: number): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  /** Frames from `from` to `to` are lost; the other direction still works. */
  cutLink(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Frames from `from` to `to` get through again (other cuts stay). */
  healLink(from: number, to: number): void {
    this.cut.delete(`${from}>${to}`);
  }

  /** A replication frame from one node incarnation (`sender`) to another node. */
  sendPeer(sender: SimTransport, to: number, bytes: Uint8Array): void {
    const from = sender.self;
    // Frames belong to one incarnation of each end: a replaced node's old rings are gone (a
    // fenced thread still running after its replacement started reaches nobody).
    if (this.inboxes.get(from) !== sender) return;
    this.framesSent++;
    if (sender.fenced) this.framesFromFenced++;
    const f = this.faults;
    if (this.cut.has(`${from}>${to}`) || (this.dropIf !== null && this.dropIf(from, to, bytes)) || this.random.chance(f.drop)) {
      this.framesDropped++;
      return;
    }
    const receiver = this.inboxes.get(to);
    if (receiver === undefined) return;
    const copies = this.random.chance(f.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      // Links deliver in order (as rings do), except frames held up by a long delay: those are reordered.
      const link = `${from}>${to}`;
      let at: number;
      if (this.random.chance(f.longDelay)) {
        at = this.scheduler.now + 5 + this.random.next() * 40;
      } else {
        at = Math.max(this.scheduler.now + 0.05 + this.random.next() * 0.5, this.linkClock.get(link) ?? 0);
        this.linkClock.set(link, at);
      }
      const copy = new Uint8Array(bytes);
      this.scheduler.at(at, () => {
        if (this.inboxes.get(from) === sender && this.inboxes.get(to) === receiver) receiver.deliverPeer(from, copy);
      });
    }
  }

  /** A router request to a node: in order, never lost (a ring). */
  sendRequest(to: number, bytes: Uint8Array): boolean {
    const inbox = this.inboxes.get(to);
    if (inbox === undefined) return false;
    const copy = new Uint8Array(bytes);
    this.scheduler.at(inbox.requestArrival(this.scheduler.now), () => inbox.deliverRequest(copy));
    return true;
  }

  /** An answer from a node to the router: in order per node. */
  sendAnswer(from: SimTransport, bytes: Uint8Array): void {
    const copy = new Uint8Array(bytes);
    this.scheduler.at(from.answerArrival(this.scheduler.now), () => {
      if (this.inboxes.get(from.self) === from) this.onAnswer(from.self, copy);
    });
  }
}

/** One node incarnation's end of the wires. */
export class SimTransport implements NodeTransport {
  readonly self: number;
  readonly peers: readonly number[];
  private readonly network: SimNetwork;
  private readonly requests: Uint8Array[] = [];
  private readonly fromPeers = new Map<number, Uint8Array[]>();
  /** Called when something arrives (the cluster schedules a pump). */
  onInput: () => void = () => {};
  /** When false, nothing is sent (the node's thread has stopped). */
  open = true;
  /**
   * Declared dead: its answers no longer reach the router (which detached it), while frames it
   * had queued for its peers still go out until its thread stops (`open`).
   */
  fenced = false;
  private lastRequestAt = 0;
  private lastAnswerAt = 0;

  constructor(self: number, peers: number[], network: SimNetwork) {
    this.self = self;
    this.peers = peers;
    this.network = network;
    for (const p of peers) this.fromPeers.set(p, []);
  }

  requestArrival(now: number): number {
    this.lastRequestAt = Math.max(now + 0.02, this.lastRequestAt);
    return this.lastRequestAt;
  }

  answerArrival(now: number): number {
    this.lastAnswerAt = Math.max(now + 0.02, this.lastAnswerAt);
    return this.lastAnswerAt;
  }

  deliverRequest(bytes: Uint8Array): void {
    this.requests.push(bytes);
    this.onInput();
  }

  deliverPeer(from: number, bytes: Uint8Array): void {
    this.fromPeers.get(from)?.push(bytes);
    this.onInput();
  }

  readRequest(): Uint8Array | null {
    return this.requests.shift() ?? null;
  }

  readPeer(peer: number): Uint8Array | null {
    return this.fromPeers.get(peer)?.shift() ?? null;
  }

  respond(bytes: Uint8Array): void {
    if (this.open && !this.fenced) this.network.sendAnswer(this, bytes);
  }

  sendPeer(to: number, bytes: Uint8Array): void {
    if (this.open) this.network.sendPeer(this, to, bytes);
  }

  peerBacklog(): number {
    return 0;
  }

  flush(): boolean {
    return false;
  }

  hasInput(): boolean {
    if (this.requests.length > 0) return true;
    for (const q of this.fromPeers.values()) if (q.length > 0) return true;
    return false;
  }

  hasBacklog(): boolean {
    return false;
  }
}
