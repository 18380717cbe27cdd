// Producer side of one ring: frames that do not fit yet wait in an in-memory FIFO, so a full
// ring slows the producer down (backpressure) without dropping or reordering anything.
import type { Doorbell } from './doorbell.ts';
import type { SpscRing } from './ring.ts';
import { fragment } from './fragments.ts';

const NO_FRAME = new Uint8Array(0);
// Compact the queue array once this many sent slots sit in front of the unsent ones.
const QUEUE_COMPACT_MIN_SLOTS = 1024;

export interface OutboxOptions {
  /**
   * Ring the consumer's doorbell once per event-loop turn instead of after every frame: frames
   * sent while the turn lasts (every request that arrived in one poll of the sockets) cost one
   * wake-up between them. For producers driven by an event loop (the router on the main thread);
   * a producer in a tight loop that never yields (a storage node's pump) must ring at once.
   */
  ringOncePerTurn?: boolean;
  /**
   * Ring only in flush(): a producer that flushes at the end of every pass (a storage node's
   * pump) wakes each consumer once for everything the pass sent, instead of once per frame
   * while the consumer keeps dozing off between them.
   */
  ringOnFlush?: boolean;
}

/** Outboxes with frames written since their doorbell last rang, rung together by setImmediate. */
const unrung: Outbox[] = [];
let ringScheduled = false;

function ringUnrung(): void {
  ringScheduled = false;
  for (let i = 0; i < unrung.length; i++) unrung[i].ringNow();
  unrung.length = 0;
}

export class Outbox {
  readonly ring: SpscRing;
  readonly doorbell: Doorbell;
  // queue[queueHead..] are the frames not yet in the ring, oldest first.
  private queue: Uint8Array[] = [];
  private queueHead = 0;
  private readonly ringOncePerTurn: boolean;
  private readonly ringOnFlush: boolean;
  /** A frame went into the ring and the doorbell has not rung for it yet (ringOncePerTurn). */
  private ringPending = false;

  constructor(ring: SpscRing, doorbell: Doorbell, options: OutboxOptions = {}) {
    this.ring = ring;
    this.doorbell = doorbell;
    this.ringOncePerTurn = options.ringOncePerTurn === true;
    this.ringOnFlush = options.ringOnFlush === true;
  }

  /** Rings the doorbell now (ringOncePerTurn: for frames written this turn). */
  ringNow(): void {
    this.ringPending = false;
    this.doorbell.ring();
  }

  private wrote(): void {
    if (this.ringOnFlush) {
      this.ringPending = true;
      return;
    }
    if (!this.ringOncePerTurn) {
      this.doorbell.ring();
      return;
    }
    if (this.ringPending) return;
    this.ringPending = true;
    unrung.push(this);
    if (!ringScheduled) {
      ringScheduled = true;
      setImmediate(ringUnrung);
    }
  }

  /**
   * Writes the message now if nothing is queued and the ring has room, else queues it for
   * flush(). The Outbox keeps a reference to a queued payload: do not modify it afterwards. A
   * message larger than the ring's largest frame goes as consecutive fragments (fragments.ts).
   */
  send(payload: Uint8Array): void {
    if (payload.length > this.ring.maxFrameBytes) {
      for (const frame of fragment(payload, this.ring.maxFrameBytes)) this.sendFrame(frame);
      return;
    }
    this.sendFrame(payload);
  }

  private sendFrame(payload: Uint8Array): void {
    if (this.queueHead === this.queue.length && this.ring.tryWrite(payload)) {
      this.wrote();
      return;
    }
    this.queue.push(payload);
  }

  /**
   * Moves queued frames into the ring in order until it is full; rings the doorbell once if it
   * wrote any. Returns true when nothing is left queued. Call it whenever the consumer may have
   * made room (e.g. on each response from that consumer, or each event-loop turn while pending).
   */
  flush(): boolean {
    const queue = this.queue;
    const queueLength = queue.length;
    let head = this.queueHead;
    if (head === queueLength) {
      if (this.ringOnFlush && this.ringPending) this.ringNow();
      return true;
    }
    const ring = this.ring;
    const first = head;
    while (head < queueLength && ring.tryWrite(queue[head])) {
      queue[head] = NO_FRAME; // drop the reference so the payload can be collected
      head++;
    }
    if (head !== first) this.wrote();
    if (this.ringOnFlush && this.ringPending) this.ringNow();
    if (head === queueLength) {
      queue.length = 0;
      this.queueHead = 0;
      return true;
    }
    if (head >= QUEUE_COMPACT_MIN_SLOTS && head * 2 >= queueLength) {
      queue.copyWithin(0, head);
      queue.length = queueLength - head;
      head = 0;
    }
    this.queueHead = head;
    return false;
  }

  /** Whether flush() has frames to move or (ringOnFlush) a doorbell to ring. */
  needsFlush(): boolean {
    return this.queueHead !== this.queue.length || this.ringPending;
  }

  /** Frames queued and not yet in the ring. */
  pending(): number {
    return this.queue.length - this.queueHead;
  }
}
