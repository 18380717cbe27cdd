// Single-producer single-consumer byte ring on a SharedArrayBuffer: carries length-prefixed
// frames between two threads with no locks and no postMessage.
//
// SAB layout (all offsets in bytes; indices are Int32 slots):
//   0..63     producer cache line: slot 0  = write counter (tail), written only by the producer
//   64..127   consumer cache line: slot 16 = read counter (head), written only by the consumer
//   128..191  metadata, written once by create(): slot 32 = magic, slot 33 = capacity in bytes,
//             slot 34 = layout version
//   192..     data region, capacityBytes long (a power of two)
//
// Counters run freely modulo 2^32 (stored as int32); a byte position is `counter & (capacity-1)`
// and the bytes in use are `(tail - head) >>> 0`, which is always ≤ capacity. So "full" and
// "empty" are never ambiguous and no slot is wasted.
//
// Frame: a 4-byte length word (host-endian int32) then the payload, padded to a multiple of 4
// so that every length word is 4-byte aligned. A frame never straddles the end of the data
// region: when it does not fit contiguously, the producer writes the wrap marker (-1) in the
// length word at its position, and the frame starts at data offset 0; the bytes from the marker
// to the end count as used until the consumer skips them. The producer publishes marker and
// frame together with a single store of tail, so the consumer never sees a marker alone.
//
// Publication: the producer writes bytes with plain stores and then Atomics.store(tail); the
// consumer Atomics.load(tail) before reading those bytes (and symmetrically for head), which
// in the JS memory model orders the plain accesses. Each side caches the other side's counter
// and reloads it only when the cached value says "no room" / "nothing to read".

const SLOT_TAIL = 0;
const SLOT_HEAD = 16;
const SLOT_MAGIC = 32;
const SLOT_CAPACITY = 33;
const SLOT_VERSION = 34;
const HEADER_BYTES = 192;

const RING_MAGIC = 0x52494e47; // 'RING'
const LAYOUT_VERSION = 1;
const WRAP_MARKER = -1;
const LENGTH_WORD_BYTES = 4;

// Frames read out of rings are copied into private (non-shared) memory. Allocating an
// ArrayBuffer per frame costs about as much as the rest of a 200-byte read (V8 keeps typed
// arrays over 64 bytes off-heap), so frames up to readPoolFrameBytesMax are carved out of a
// per-thread slab instead; each is its own view and no slab byte is ever handed out twice.
// A retained small frame keeps its slab (readPoolSlabBytes) alive.
const readPoolSlabBytes = 16 * 1024;
const readPoolFrameBytesMax = 1024;
let readPoolSlab = new ArrayBuffer(readPoolSlabBytes);
let readPoolBytes = new Uint8Array(readPoolSlab);
let readPoolOffset = 0;

/** Smallest and largest data-region sizes accepted by SpscRing.create. */
export const ringCapacityBytesMin = 4096;
export const ringCapacityBytesMax = 1 << 30;

/** Thrown when shared ring state is inconsistent; the thread should crash rather than go on. */
export class RingInvariantError extends Error {
  constructor(message: string) {
    super('ring invariant violated: ' + message);
    this.name = 'RingInvariantError';
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Bytes a frame with a payload of `payloadBytes` occupies in the ring (length word + padding). */
function frameBytesFor(payloadBytes: number): number {
  return LENGTH_WORD_BYTES + ((payloadBytes + 3) & ~3);
}

/** Copies `length` bytes at `start` of shared memory into private memory, so decoders never see a SAB. */
function copyOut(source: Uint8Array, start: number, length: number): Uint8Array {
  if (length > readPoolFrameBytesMax) return source.slice(start, start + length);
  if (readPoolOffset + length > readPoolSlabBytes) {
    readPoolSlab = new ArrayBuffer(readPoolSlabBytes);
    readPoolBytes = new Uint8Array(readPoolSlab);
    readPoolOffset = 0;
  }
  const offset = readPoolOffset;
  readPoolBytes.set(source.subarray(start, start + length), offset);
  readPoolOffset = (offset + length + 7) & ~7; // keep views 8-byte aligned for typed-array decoders
  return new Uint8Array(readPoolSlab, offset, length);
}

export class SpscRing {
  readonly sab: SharedArrayBuffer;
  readonly capacityBytes: number;
  /** The largest payload that fits in this ring (half the capacity minus the length word). */
  readonly maxFrameBytes: number;

  private readonly control: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly mask: number;
  // Last observed value of the other side's counter; never ahead of the real one.
  private cachedHead: number;
  private cachedTail: number;

  static create(capacityBytes: number): SpscRing {
    if (!isPowerOfTwo(capacityBytes) || capacityBytes < ringCapacityBytesMin || capacityBytes > ringCapacityBytesMax) {
      throw new RangeError(
        `ring capacity must be a power of two in [${ringCapacityBytesMin}, ${ringCapacityBytesMax}] bytes, got ${capacityBytes}`,
      );
    }
    const sab = new SharedArrayBuffer(HEADER_BYTES + capacityBytes);
    const control = new Int32Array(sab, 0, HEADER_BYTES >> 2);
    control[SLOT_CAPACITY] = capacityBytes;
    control[SLOT_VERSION] = LAYOUT_VERSION;
    Atomics.store(control, SLOT_MAGIC, RING_MAGIC);
    return new SpscRing(sab);
  }

  /** Attaches to a ring made by SpscRing.create, possibly in another thread. */
  constructor(sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < HEADER_BYTES + ringCapacityBytesMin) {
      throw new TypeError('SpscRing needs the SharedArrayBuffer of a ring made by SpscRing.create');
    }
    const control = new Int32Array(sab, 0, HEADER_BYTES >> 2);
    const capacityBytes = control[SLOT_CAPACITY];
    if (
      Atomics.load(control, SLOT_MAGIC) !== RING_MAGIC ||
      control[SLOT_VERSION] !== LAYOUT_VERSION ||
      !isPowerOfTwo(capacityBytes) ||
      sab.byteLength !== HEADER_BYTES + capacityBytes
    ) {
      throw new TypeError('SharedArrayBuffer does not hold a ring of this layout version');
    }
    this.sab = sab;
    this.capacityBytes = capacityBytes;
    this.maxFrameBytes = capacityBytes / 2 - LENGTH_WORD_BYTES;
    this.control = control;
    this.words = new Int32Array(sab, HEADER_BYTES, capacityBytes >> 2);
    this.bytes = new Uint8Array(sab, HEADER_BYTES, capacityBytes);
    this.mask = capacityBytes - 1;
    this.cachedHead = Atomics.load(control, SLOT_HEAD);
    this.cachedTail = Atomics.load(control, SLOT_TAIL);
    const used = (this.cachedTail - this.cachedHead) >>> 0;
    if (used > capacityBytes || (this.cachedTail & 3) !== 0 || (this.cachedHead & 3) !== 0) {
      throw new RingInvariantError(`counters head=${this.cachedHead} tail=${this.cachedTail} on attach`);
    }
  }

  /**
   * Producer side. Appends one frame, or returns false when there is not enough free space
   * right now (nothing is written; retry after the consumer has read). A payload of up to
   * maxFrameBytes always fits once the ring has drained, whatever the current offset.
   */
  tryWrite(payload: Uint8Array): boolean {
    const payloadBytes = payload.length;
    if (payloadBytes > this.maxFrameBytes) {
      throw new RangeError(`frame of ${payloadBytes} bytes exceeds the ring's maxFrameBytes ${this.maxFrameBytes}`);
    }
    const capacity = this.capacityBytes;
    const tail = Atomics.load(this.control, SLOT_TAIL);
    if ((tail & 3) !== 0) this.fail(`tail ${tail} is not 4-byte aligned`);
    let position = tail & this.mask;
    const frameBytes = frameBytesFor(payloadBytes);
    const contiguousBytes = capacity - position;
    // A frame that does not fit before the end costs the skipped tail bytes as well.
    const neededBytes = frameBytes <= contiguousBytes ? frameBytes : contiguousBytes + frameBytes;

    let usedBytes = (tail - this.cachedHead) >>> 0;
    if (capacity - usedBytes < neededBytes) {
      this.cachedHead = Atomics.load(this.control, SLOT_HEAD);
      usedBytes = (tail - this.cachedHead) >>> 0;
      if (usedBytes > capacity) this.fail(`used ${usedBytes} > capacity (head=${this.cachedHead} tail=${tail})`);
      if (capacity - usedBytes < neededBytes) return false;
    }

    if (neededBytes !== frameBytes) {
      this.words[position >> 2] = WRAP_MARKER;
      position = 0;
    }
    this.words[position >> 2] = payloadBytes;
    if (payloadBytes !== 0) this.bytes.set(payload, position + LENGTH_WORD_BYTES);
    Atomics.store(this.control, SLOT_TAIL, (tail + neededBytes) | 0);
    return true;
  }

  /**
   * Consumer side. Returns the next frame's payload as a fresh copy in private (non-shared)
   * memory, or null when the ring is empty. Small frames are views into a pooled slab: use the
   * array itself (or buffer with byteOffset/byteLength), never its whole .buffer.
   */
  tryRead(): Uint8Array | null {
    const capacity = this.capacityBytes;
    const head = Atomics.load(this.control, SLOT_HEAD);
    if ((head & 3) !== 0) this.fail(`head ${head} is not 4-byte aligned`);
    let availableBytes = (this.cachedTail - head) >>> 0;
    if (availableBytes === 0) {
      this.cachedTail = Atomics.load(this.control, SLOT_TAIL);
      availableBytes = (this.cachedTail - head) >>> 0;
      if (availableBytes === 0) return null;
    }
    if (availableBytes > capacity) this.fail(`used ${availableBytes} > capacity (head=${head} tail=${this.cachedTail})`);

    let position = head & this.mask;
    let payloadBytes = this.words[position >> 2];
    let skippedBytes = 0;
    if (payloadBytes === WRAP_MARKER) {
      skippedBytes = capacity - position;
      position = 0;
      payloadBytes = this.words[0];
    }
    if (payloadBytes < 0 || payloadBytes > this.maxFrameBytes) {
      this.fail(`frame length ${payloadBytes} at offset ${position} (head=${head})`);
    }
    const consumedBytes = skippedBytes + frameBytesFor(payloadBytes);
    if (consumedBytes > availableBytes || position + frameBytesFor(payloadBytes) > capacity) {
      this.fail(`frame of ${payloadBytes} bytes at offset ${position} overruns published data (${availableBytes} bytes)`);
    }
    const start = position + LENGTH_WORD_BYTES;
    const payload = copyOut(this.bytes, start, payloadBytes);
    Atomics.store(this.control, SLOT_HEAD, (head + consumedBytes) | 0);
    return payload;
  }

  /** True when no frame is waiting (a snapshot when called from a third thread). */
  isEmpty(): boolean {
    return Atomics.load(this.control, SLOT_TAIL) === Atomics.load(this.control, SLOT_HEAD);
  }

  /**
   * Bytes currently taken by unread frames, their length words, padding and wrap skips. Exact
   * when called by the producer or the consumer; from a third thread it is a snapshot estimate.
   */
  usedBytes(): number {
    // Head first: head only grows towards tail, so tail read afterwards is never behind it.
    const head = Atomics.load(this.control, SLOT_HEAD);
    const used = (Atomics.load(this.control, SLOT_TAIL) - head) >>> 0;
    return used > this.capacityBytes ? this.capacityBytes : used;
  }

  private fail(message: string): never {
    throw new RingInvariantError(message);
  }
}
