// Messages larger than a ring's largest frame travel as consecutive fragment frames: a page of
// items, an item of pathological shape answered as JSON (up to ~28 MB for 400 KB of numbers
// written out in full), a log entry carrying one. The producer is one thread and its outbox
// keeps order, so a message's fragments are adjacent in the ring; the reader puts them back
// together. Every frame stays within the ring's bound; no message size needs a larger ring.
import type { SpscRing } from './ring.ts';

/** First byte of a fragment frame: below every compact message tag's use (0x01, 0x02) and every cbor-x header (>= 0xa0). */
export const FRAGMENT_TAG = 0x1e;
const LAST = 1;
const headerBytes = 2;

/** The frames carrying `payload` when it exceeds `maxFrameBytes` (each frame at most that long). */
export function fragment(payload: Uint8Array, maxFrameBytes: number): Uint8Array[] {
  const dataMax = maxFrameBytes - headerBytes;
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += dataMax) {
    const end = Math.min(payload.length, offset + dataMax);
    const frame = new Uint8Array(headerBytes + end - offset);
    frame[0] = FRAGMENT_TAG;
    frame[1] = end === payload.length ? LAST : 0;
    frame.set(payload.subarray(offset, end), headerBytes);
    frames.push(frame);
  }
  return frames;
}

/** Reads whole messages from a ring, joining fragments. */
export class MessageReader {
  readonly ring: SpscRing;
  private parts: Uint8Array[] = [];
  private partBytes = 0;

  constructor(ring: SpscRing) {
    this.ring = ring;
  }

  /** The next whole message, or null when none is complete yet. */
  tryRead(): Uint8Array | null {
    for (;;) {
      const frame = this.ring.tryRead();
      if (frame === null) return null;
      if (frame.length === 0 || frame[0] !== FRAGMENT_TAG) {
        if (this.parts.length > 0) throw new Error('ring framing: a message arrived in the middle of a fragmented one');
        return frame;
      }
      const data = frame.subarray(headerBytes);
      this.parts.push(data);
      this.partBytes += data.length;
      if ((frame[1] & LAST) === 0) continue;
      const message = new Uint8Array(this.partBytes);
      let offset = 0;
      for (const part of this.parts) {
        message.set(part, offset);
        offset += part.length;
      }
      this.parts = [];
      this.partBytes = 0;
      return message;
    }
  }

  isEmpty(): boolean {
    return this.ring.isEmpty();
  }
}
