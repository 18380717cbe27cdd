// Deterministic frames for the cross-thread ring stress test: frame `seq` has a size and
// content derived from seq alone, so the consumer can check every byte it receives.

const PATTERN_BYTES = 1 << 16;
// Pseudo-random bytes (xorshift32), identical in every thread.
const pattern = new Uint8Array(PATTERN_BYTES * 2);
{
  let x = 0x9e3779b9;
  for (let i = 0; i < pattern.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pattern[i] = x & 0xff;
  }
}

function mix(seq: number): number {
  let h = Math.imul(seq ^ 0x5bd1e995, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Mostly small frames, some medium, a few large enough to need a wrap or a full-ring wait,
 * and 1 in 100 exactly maxFrameBytes. Never below 4 bytes: every frame carries its seq.
 */
export function frameSize(seq: number, maxFrameBytes: number): number {
  const h = mix(seq);
  const bucket = h % 100;
  const r = h >>> 8;
  if (bucket < 75) return 4 + (r % 61);
  if (bucket < 95) return 65 + (r % 448);
  if (bucket < 99) return 513 + (r % (maxFrameBytes - 512));
  return maxFrameBytes;
}

function patternOffset(seq: number): number {
  return (Math.imul(seq, 2654435761) >>> 0) & (PATTERN_BYTES - 1);
}

/** Fills `target` (at least frameSize bytes long) with frame `seq`; returns a view of the frame. */
export function fillFrame(target: Uint8Array, seq: number, maxFrameBytes: number): Uint8Array {
  const size = frameSize(seq, maxFrameBytes);
  target[0] = seq & 0xff;
  target[1] = (seq >>> 8) & 0xff;
  target[2] = (seq >>> 16) & 0xff;
  target[3] = (seq >>> 24) & 0xff;
  const offset = patternOffset(seq);
  target.set(pattern.subarray(offset, offset + size - 4), 4);
  return target.subarray(0, size);
}

/** Returns null when `frame` is exactly frame `seq`, else a description of the difference. */
export function checkFrame(frame: Uint8Array, seq: number, maxFrameBytes: number): string | null {
  const carried = (frame[0] | (frame[1] << 8) | (frame[2] << 16) | (frame[3] << 24)) >>> 0;
  if (frame.length < 4 || carried !== seq >>> 0) return `expected frame ${seq}, got frame ${carried} (${frame.length} bytes)`;
  const size = frameSize(seq, maxFrameBytes);
  if (frame.length !== size) return `frame ${seq}: ${frame.length} bytes, expected ${size}`;
  const offset = patternOffset(seq) - 4;
  for (let i = 4; i < size; i++) {
    if (frame[i] !== pattern[offset + i]) return `frame ${seq}: byte ${i} is ${frame[i]}, expected ${pattern[offset + i]}`;
  }
  return null;
}
