// A storage node's frames over the shared-memory rings: router requests in, answers out, and
// one ring each way per peer for replication. A node the control plane declared dead (or
// replaced) is fenced: it answers nothing and sends nothing more (finding F12).
import type { SpscRing } from '../rings/ring.ts';
import type { Outbox } from '../rings/outbox.ts';
import { MessageReader } from '../rings/fragments.ts';
import type { NodeTransport } from './node-transport.ts';

export class RingTransport implements NodeTransport {
  peers: number[];
  private readonly requests: MessageReader;
  private readonly responses: Outbox;
  private readonly peerIn = new Map<number, MessageReader>();
  private readonly peerOut = new Map<number, Outbox>();
  private readonly fenced: () => boolean;

  constructor(requests: SpscRing, responses: Outbox, peerIn: Map<number, SpscRing>, peerOut: Map<number, Outbox>, fenced: () => boolean) {
    this.requests = new MessageReader(requests);
    this.responses = responses;
    for (const [peer, ring] of peerIn) this.peerIn.set(peer, new MessageReader(ring));
    for (const [peer, out] of peerOut) this.peerOut.set(peer, out);
    this.peers = [...peerOut.keys()].sort((a, b) => a - b);
    this.fenced = fenced;
  }

  /** The control plane replaced a peer: replication to and from it uses new rings. */
  replacePeer(peer: number, inRing: SpscRing, outbox: Outbox): void {
    this.peerIn.set(peer, new MessageReader(inRing));
    this.peerOut.set(peer, outbox);
  }

  readRequest(): Uint8Array | null {
    return this.requests.tryRead();
  }

  readPeer(peer: number): Uint8Array | null {
    return this.peerIn.get(peer)?.tryRead() ?? null;
  }

  respond(bytes: Uint8Array): void {
    if (!this.fenced()) this.responses.send(bytes);
  }

  sendPeer(to: number, bytes: Uint8Array): void {
    if (!this.fenced()) this.peerOut.get(to)?.send(bytes);
  }

  peerBacklog(to: number): number {
    return this.peerOut.get(to)?.pending() ?? 0;
  }

  flush(): boolean {
    // The outboxes ring on flush (once per pump): flushed when they hold frames or owe a ring.
    let moved = flushOutbox(this.responses);
    for (const out of this.peerOut.values()) moved = flushOutbox(out) || moved;
    return moved;
  }

  hasInput(): boolean {
    if (!this.requests.isEmpty()) return true;
    for (const ring of this.peerIn.values()) if (!ring.isEmpty()) return true;
    return false;
  }

  hasBacklog(): boolean {
    if (this.responses.pending() > 0) return true;
    for (const out of this.peerOut.values()) if (out.pending() > 0) return true;
    return false;
  }
}

/** Flushes an outbox that needs it; true when queued frames went into the ring, all of them. */
function flushOutbox(out: Outbox): boolean {
  if (!out.needsFlush()) return false;
  const queued = out.pending() > 0;
  return out.flush() && queued;
}
