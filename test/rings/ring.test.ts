import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpscRing, RingInvariantError, ringCapacityBytesMin } from '../../src/rings/ring.ts';
import { Doorbell } from '../../src/rings/doorbell.ts';
import { Outbox } from '../../src/rings/outbox.ts';
import { encodeFrame, decodeFrame } from '../../src/rings/frame-codec.ts';

// Header slots, mirrored from ring.ts, for tests that corrupt or pre-position the counters.
const SLOT_TAIL = 0;
const SLOT_HEAD = 16;
const HEADER_BYTES = 192;

/** Deterministic payload whose bytes depend on `tag`, so a mix-up is visible. */
function payload(length: number, tag: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (tag * 131 + i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

/** Small seeded PRNG (mulberry32) for repeatable randomized tests. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes and reads empty frames until the producer's byte offset is `offset`. */
function advanceTo(ring: SpscRing, offset: number): void {
  for (let i = 0; i < offset / 4; i++) {
    assert.equal(ring.tryWrite(new Uint8Array(0)), true);
    assert.deepEqual(ring.tryRead(), new Uint8Array(0));
  }
}

/** A ring whose counters start at `counter` (to exercise the 2^32 wrap of the counters). */
function ringWithCounters(capacityBytes: number, counter: number): SpscRing {
  const sab = SpscRing.create(capacityBytes).sab;
  const control = new Int32Array(sab, 0, HEADER_BYTES >> 2);
  control[SLOT_TAIL] = counter | 0;
  control[SLOT_HEAD] = counter | 0;
  return new SpscRing(sab);
}

function frameBytes(length: number): number {
  return 4 + ((length + 3) & ~3);
}

describe('SpscRing construction', () => {
  const bad = [0, 1, 1024, 2048, 4095, 4097, 6000, 2 ** 31, NaN, -4096, 4096.5];
  for (const capacity of bad) {
    it(`rejects capacity ${capacity}`, () => {
      assert.throws(() => SpscRing.create(capacity), RangeError);
    });
  }
  for (const capacity of [4096, 8192, 65536]) {
    it(`accepts capacity ${capacity}`, () => {
      const ring = SpscRing.create(capacity);
      assert.equal(ring.capacityBytes, capacity);
      assert.equal(ring.maxFrameBytes, capacity / 2 - 4);
      assert.equal(ring.isEmpty(), true);
      assert.equal(ring.usedBytes(), 0);
      assert.equal(ring.tryRead(), null);
    });
  }
  it('refuses a SharedArrayBuffer that is not a ring', () => {
    assert.throws(() => new SpscRing(new SharedArrayBuffer(HEADER_BYTES + 4096)), TypeError);
    assert.throws(() => new SpscRing(new SharedArrayBuffer(16)), TypeError);
    assert.throws(() => new SpscRing(new ArrayBuffer(8192) as unknown as SharedArrayBuffer), TypeError);
  });
  it('attaches a second view to the same SharedArrayBuffer', () => {
    const producer = SpscRing.create(4096);
    const consumer = new SpscRing(producer.sab);
    assert.equal(producer.tryWrite(payload(10, 1)), true);
    assert.deepEqual(consumer.tryRead(), payload(10, 1));
    assert.equal(producer.isEmpty(), true);
  });
});

describe('SpscRing single frames', () => {
  const maxFrameBytes = ringCapacityBytesMin / 2 - 4;
  const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 200, 1000, maxFrameBytes - 1, maxFrameBytes];
  for (const size of sizes) {
    it(`round-trips a ${size}-byte frame`, () => {
      const ring = SpscRing.create(ringCapacityBytesMin);
      const sent = payload(size, size);
      assert.equal(ring.tryWrite(sent), true);
      assert.equal(ring.isEmpty(), false);
      assert.equal(ring.usedBytes(), frameBytes(size));
      const received = ring.tryRead();
      assert.ok(received);
      assert.deepEqual(received, sent);
      assert.equal(ring.tryRead(), null);
      assert.equal(ring.isEmpty(), true);
      assert.equal(ring.usedBytes(), 0);
    });
  }
  it('round-trips frames of every size up to maxFrameBytes through one ring', () => {
    const ring = SpscRing.create(ringCapacityBytesMin);
    for (let size = 0; size <= maxFrameBytes; size++) {
      const sent = payload(size, size);
      assert.equal(ring.tryWrite(sent), true);
      assert.ok(ring.usedBytes() >= frameBytes(size));
      assert.deepEqual(ring.tryRead(), sent);
    }
  });
  it('returns a private copy over a non-shared ArrayBuffer', () => {
    const ring = SpscRing.create(ringCapacityBytesMin);
    const sent = payload(40, 9);
    ring.tryWrite(sent);
    sent.fill(0); // the ring copied it at write time
    const received = ring.tryRead()!;
    assert.deepEqual(received, payload(40, 9));
    assert.ok(received.buffer instanceof ArrayBuffer);
    assert.equal(received.byteOffset % 8, 0);
    assert.equal(new TextDecoder().decode(received).length, 40); // TextDecoder refuses shared memory
  });
  it('never lets two frames read share bytes, pooled (small) or not', () => {
    const ring = SpscRing.create(8192);
    const sizes = [0, 1, 7, 200, 1024, 1025, 3000, 200, 13];
    const received: Uint8Array[] = [];
    const expected: Uint8Array[] = [];
    // Enough frames to roll over several pool slabs.
    for (let round = 0; round < 200; round++) {
      for (const size of sizes) {
        expected.push(payload(size, size + round));
        assert.equal(ring.tryWrite(expected[expected.length - 1]), true);
        received.push(ring.tryRead()!);
      }
    }
    // Later reads did not overwrite earlier frames, and writing to one frame touches no other.
    received.forEach((frame, i) => assert.deepEqual(frame, expected[i]));
    received.forEach((frame, i) => frame.fill(i % 251));
    received.forEach((frame, i) => assert.ok(frame.every((byte) => byte === i % 251), `frame ${i} aliased`));
    const big = received[sizes.indexOf(3000)];
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 3000); // over the pool limit: its own buffer
  });
  it('accepts a payload that is a view into a larger buffer', () => {
    const ring = SpscRing.create(ringCapacityBytesMin);
    const big = payload(100, 3);
    assert.equal(ring.tryWrite(big.subarray(10, 30)), true);
    assert.deepEqual(ring.tryRead(), big.slice(10, 30));
  });
  it('throws RangeError for a frame over maxFrameBytes, and writes nothing', () => {
    const ring = SpscRing.create(ringCapacityBytesMin);
    for (const size of [ring.maxFrameBytes + 1, ring.maxFrameBytes + 4, ring.capacityBytes, ring.capacityBytes * 2]) {
      assert.throws(() => ring.tryWrite(new Uint8Array(size)), RangeError);
    }
    assert.equal(ring.isEmpty(), true);
  });
  it('carries many zero-length frames as empty arrays, not null', () => {
    const ring = SpscRing.create(ringCapacityBytesMin);
    const count = ring.capacityBytes / 4;
    for (let i = 0; i < count; i++) assert.equal(ring.tryWrite(new Uint8Array(0)), true);
    assert.equal(ring.tryWrite(new Uint8Array(0)), false); // full: each costs its 4-byte length word
    for (let i = 0; i < count; i++) assert.deepEqual(ring.tryRead(), new Uint8Array(0));
    assert.equal(ring.tryRead(), null);
  });
});

describe('SpscRing wrap-around', () => {
  const capacity = 4096;
  const probeSizes = [0, 1, 5, 12, 100, 500, 1000, 2000, 2044];
  // Every 4-byte offset near the end, and a stride through the rest.
  const offsets: number[] = [];
  for (let offset = 0; offset < capacity; offset += offset < capacity - 160 ? 60 : 4) offsets.push(offset & ~3);
  for (const offset of offsets) {
    it(`writes then reads a burst starting at offset ${offset}`, () => {
      const ring = SpscRing.create(capacity);
      advanceTo(ring, offset);
      // A burst that fits by construction (frames plus worst-case padding < capacity).
      const burst = [probeSizes[offset % probeSizes.length], 3, 1000, 0, 17];
      for (let i = 0; i < burst.length; i++) assert.equal(ring.tryWrite(payload(burst[i], i + offset)), true, `write ${i}`);
      for (let i = 0; i < burst.length; i++) assert.deepEqual(ring.tryRead(), payload(burst[i], i + offset), `read ${i}`);
      assert.equal(ring.tryRead(), null);
      assert.equal(ring.usedBytes(), 0);
    });
  }
  it('accepts a maxFrameBytes frame into an empty ring at every offset', () => {
    const ring = SpscRing.create(capacity);
    for (let offset = 0; offset < capacity; offset += 4) {
      const sent = payload(ring.maxFrameBytes, offset);
      assert.equal(ring.tryWrite(sent), true, `offset ${offset}`);
      assert.deepEqual(ring.tryRead(), sent);
      advanceTo(ring, 4); // move on by one length word
    }
  });
  it('counts the skipped tail bytes as used until the frame is read', () => {
    const ring = SpscRing.create(capacity);
    advanceTo(ring, capacity - 8);
    assert.equal(ring.tryWrite(payload(20, 1)), true); // 24 bytes do not fit in the last 8
    assert.equal(ring.usedBytes(), 8 + 24);
    assert.deepEqual(ring.tryRead(), payload(20, 1));
    assert.equal(ring.usedBytes(), 0);
  });
  it('fits a frame that ends exactly at the end of the data region without a marker', () => {
    const ring = SpscRing.create(capacity);
    advanceTo(ring, capacity - 24);
    assert.equal(ring.tryWrite(payload(20, 2)), true);
    assert.equal(ring.usedBytes(), 24);
    assert.deepEqual(ring.tryRead(), payload(20, 2));
  });
  for (const start of [0xfffff000, 0x7ffff000, -4096 >>> 0]) {
    it(`keeps working when the counters wrap past 2^32 (start ${start.toString(16)})`, () => {
      const ring = ringWithCounters(capacity, start);
      for (let i = 0; i < 4000; i++) {
        const size = (i * 37) % 700;
        assert.equal(ring.tryWrite(payload(size, i)), true);
        assert.deepEqual(ring.tryRead(), payload(size, i));
      }
      assert.equal(ring.usedBytes(), 0);
    });
  }
});

describe('SpscRing full ring and backpressure', () => {
  it('refuses when full and accepts again after a read', () => {
    const ring = SpscRing.create(4096);
    let written = 0;
    while (ring.tryWrite(payload(100, written))) written++;
    assert.equal(written, Math.floor(4096 / frameBytes(100)));
    assert.equal(ring.tryWrite(payload(100, 99)), false);
    assert.equal(ring.tryWrite(payload(100, 99)), false); // still refuses, still intact
    assert.ok(ring.usedBytes() <= ring.capacityBytes);
    assert.deepEqual(ring.tryRead(), payload(100, 0));
    assert.equal(ring.tryWrite(payload(100, written)), true);
    for (let i = 1; i <= written; i++) assert.deepEqual(ring.tryRead(), payload(100, i));
    assert.equal(ring.tryRead(), null);
  });
  it('refuses a frame larger than the free space but within maxFrameBytes, until enough is read', () => {
    const ring = SpscRing.create(4096);
    for (let i = 0; i < 3; i++) assert.equal(ring.tryWrite(payload(1000, i)), true);
    const big = payload(ring.maxFrameBytes, 7);
    assert.equal(ring.tryWrite(big), false);
    assert.deepEqual(ring.tryRead(), payload(1000, 0));
    assert.equal(ring.tryWrite(big), false); // 3 KB in use, wrap needed: still no room
    assert.deepEqual(ring.tryRead(), payload(1000, 1));
    assert.deepEqual(ring.tryRead(), payload(1000, 2));
    assert.equal(ring.tryWrite(big), true);
    assert.deepEqual(ring.tryRead(), big);
  });
  it('fills to the last byte with exact-fit frames', () => {
    const ring = SpscRing.create(4096);
    assert.equal(ring.tryWrite(payload(2044, 1)), true);
    assert.equal(ring.tryWrite(payload(2044, 2)), true);
    assert.equal(ring.usedBytes(), 4096);
    assert.equal(ring.tryWrite(new Uint8Array(0)), false);
    assert.deepEqual(ring.tryRead(), payload(2044, 1));
    assert.deepEqual(ring.tryRead(), payload(2044, 2));
  });
});

describe('SpscRing randomized against a model queue', () => {
  for (const seed of [1, 2, 3, 42]) {
    it(`seed ${seed}: interleaved writes and reads never lose, reorder or corrupt`, () => {
      const random = prng(seed);
      const ring = seed === 42 ? ringWithCounters(8192, -1000 * 4) : SpscRing.create(8192);
      const model: Uint8Array[] = [];
      let modelHead = 0;
      let tag = 0;
      for (let step = 0; step < 20000; step++) {
        if (random() < 0.55) {
          const r = random();
          const size = r < 0.6 ? Math.floor(random() * 64) : r < 0.95 ? Math.floor(random() * 1500) : ring.maxFrameBytes;
          const frame = payload(size, tag++);
          if (ring.tryWrite(frame)) model.push(frame);
          else assert.ok(model.length - modelHead > 0, 'refused a write while empty');
        } else {
          const got = ring.tryRead();
          if (modelHead === model.length) assert.equal(got, null);
          else assert.deepEqual(got, model[modelHead++]);
        }
        assert.ok(ring.usedBytes() <= ring.capacityBytes);
      }
      while (modelHead < model.length) assert.deepEqual(ring.tryRead(), model[modelHead++]);
      assert.equal(ring.tryRead(), null);
    });
  }
});

describe('SpscRing invariants', () => {
  function ringWithOneFrame(): { ring: SpscRing; words: Int32Array; control: Int32Array } {
    const ring = SpscRing.create(4096);
    ring.tryWrite(payload(10, 1));
    return {
      ring,
      words: new Int32Array(ring.sab, HEADER_BYTES, 4096 >> 2),
      control: new Int32Array(ring.sab, 0, HEADER_BYTES >> 2),
    };
  }
  const corruptions: Array<[string, (words: Int32Array, control: Int32Array) => void]> = [
    ['length word above maxFrameBytes', (words) => { words[0] = 3000; }],
    ['negative length word', (words) => { words[0] = -7; }],
    ['length overrunning the published bytes', (words) => { words[0] = 100; }],
    ['head ahead of tail', (_words, control) => { control[SLOT_HEAD] = 64; }],
    ['unaligned head', (_words, control) => { control[SLOT_HEAD] = 2; }],
    ['tail more than capacity ahead of head', (_words, control) => { control[SLOT_TAIL] = 8192; }],
  ];
  for (const [name, corrupt] of corruptions) {
    it(`tryRead throws on ${name}`, () => {
      const { words, control } = ringWithOneFrame();
      corrupt(words, control);
      // A fresh consumer view, so no cached counter hides the corruption.
      assert.throws(() => new SpscRing(control.buffer as SharedArrayBuffer).tryRead(), RingInvariantError);
    });
  }
  it('tryWrite throws when the head is more than capacity behind the tail', () => {
    const ring = SpscRing.create(4096);
    for (let i = 0; i < 3; i++) ring.tryWrite(payload(1000, i));
    new Int32Array(ring.sab, 0, HEADER_BYTES >> 2)[SLOT_HEAD] = -4096;
    assert.throws(() => ring.tryWrite(payload(2000, 0)), RingInvariantError);
  });
});

/** A Doorbell that counts ring() calls, to check how often the Outbox rings. */
class CountingDoorbell extends Doorbell {
  rings = 0;
  override ring(): void {
    this.rings++;
    super.ring();
  }
}

describe('Outbox', () => {
  it('writes straight through while the ring has room, ringing once per send', () => {
    const bell = new CountingDoorbell(Doorbell.create().sab);
    const outbox = new Outbox(SpscRing.create(4096), bell);
    outbox.send(payload(10, 1));
    outbox.send(payload(10, 2));
    assert.equal(outbox.pending(), 0);
    assert.equal(bell.rings, 2);
    assert.equal(outbox.flush(), true);
    assert.equal(bell.rings, 2); // nothing to flush, no ring
  });
  it('keeps order under backpressure and rings once per flush that wrote', () => {
    const ring = SpscRing.create(4096);
    const bell = new CountingDoorbell(Doorbell.create().sab);
    const outbox = new Outbox(ring, bell);
    const consumer = new SpscRing(ring.sab);
    const random = prng(7);
    const total = 5000;
    let received = 0;
    let sent = 0;
    let flushesThatWrote = 0;
    while (received < total) {
      const burst = Math.floor(random() * 60);
      for (let i = 0; i < burst && sent < total; i++, sent++) outbox.send(payload(1 + Math.floor(random() * 900), sent));
      const reads = Math.floor(random() * 40);
      for (let i = 0; i < reads; i++) {
        const frame = consumer.tryRead();
        if (frame === null) break;
        assert.equal(frame[0], payload(1, received)[0], `frame ${received} out of order`);
        received++;
      }
      const before = outbox.pending();
      const ringsBefore = bell.rings;
      const empty = outbox.flush();
      assert.equal(empty, outbox.pending() === 0);
      if (outbox.pending() < before) {
        flushesThatWrote++;
        assert.equal(bell.rings, ringsBefore + 1);
      } else {
        assert.equal(bell.rings, ringsBefore);
      }
    }
    assert.equal(sent, total);
    assert.equal(outbox.pending(), 0);
    assert.ok(flushesThatWrote > 0, 'backpressure never happened');
  });
  it('queues behind earlier frames even when the new one would fit', () => {
    const ring = SpscRing.create(4096);
    const outbox = new Outbox(ring, Doorbell.create());
    outbox.send(payload(2044, 1));
    outbox.send(payload(2044, 2));
    outbox.send(payload(2044, 3)); // no room: queued
    outbox.send(payload(0, 4)); // would not fit either, but must not overtake anyway
    assert.equal(outbox.pending(), 2);
    assert.deepEqual(ring.tryRead(), payload(2044, 1));
    outbox.send(payload(0, 5)); // room now, but frames are queued: goes behind them
    assert.equal(outbox.pending(), 3);
    assert.equal(outbox.flush(), false); // frame 3 fills the freed half exactly; 4 and 5 wait
    assert.deepEqual(ring.tryRead(), payload(2044, 2));
    assert.equal(outbox.flush(), true);
    assert.deepEqual(ring.tryRead(), payload(2044, 3));
    assert.deepEqual(ring.tryRead(), new Uint8Array(0));
    assert.deepEqual(ring.tryRead(), new Uint8Array(0));
    assert.equal(ring.tryRead(), null);
  });
  it("sends a message larger than any frame as fragments, each within the ring's largest frame", () => {
    const ring = SpscRing.create(4096);
    const outbox = new Outbox(ring, Doorbell.create());
    outbox.send(new Uint8Array(ring.maxFrameBytes + 1));
    assert.equal(ring.tryRead()!.length, ring.maxFrameBytes, 'the first fragment fills a frame');
    assert.equal(ring.tryRead()!.length, 3 + 2, 'the second holds the 3 bytes left, after its 2-byte header');
    assert.equal(ring.tryRead(), null);
  });
  it('stays in order across queue compaction with a long backlog', () => {
    const ring = SpscRing.create(4096);
    const outbox = new Outbox(ring, Doorbell.create());
    const total = 20000;
    for (let i = 0; i < total; i++) outbox.send(payload(20 + (i % 50), i));
    let next = 0;
    while (next < total) {
      outbox.flush();
      for (let frame = ring.tryRead(); frame !== null; frame = ring.tryRead()) {
        assert.deepEqual(frame, payload(20 + (next % 50), next));
        next++;
        if (next % 97 === 0) outbox.flush(); // flush with a partly drained ring too
      }
    }
    assert.equal(outbox.pending(), 0);
    assert.equal(outbox.flush(), true);
  });
});

describe('frame-codec', () => {
  const cases: Array<[string, unknown]> = [
    ['GetItem request', { op: 1, id: 12345, table: 'users', pid: 3, ver: 7, key: { pk: { S: 'user#123' } }, consistent: true }],
    ['empty object', {}],
    ['empty array', []],
    ['null', null],
    ['booleans', [true, false]],
    ['strings', ['', 'a', 'héllo', '✓ 😀 日本語', 'x'.repeat(70000), '\u0000nul']],
    ['integers', [0, 1, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)]],
    ['floats', [0.5, -1.25, Math.PI, 1e300, -1e-300, Number.MIN_VALUE, Infinity, -Infinity, NaN]],
    ['binary', { empty: new Uint8Array(0), small: new Uint8Array([0, 1, 255]), big: payload(100000, 5) }],
    ['nested', { a: [1, { b: [{ c: { d: [null, 'e', new Uint8Array([9])] } }] }], m: { L: [{ M: { x: { N: '1' } } }] } }],
    ['item response', {
      id: 77, ok: true, item: {
        pk: { S: 'user#123' }, name: { S: 'Ada' }, tags: { SS: ['a', 'b'] }, n: { N: '-1.5e10' },
        b: { B: new Uint8Array([1, 2, 3]) }, nul: { NULL: true }, l: { L: [{ S: 'x' }, { BOOL: false }] },
      },
    }],
    ['numeric-looking and odd keys', { '0': 'zero', '10': 'ten', '': 'empty', ' ': 'space', constructor: 1, toString: 2, hasOwnProperty: 3 }],
    ['__proto__ keys', JSON.parse('{"__proto__":{"S":"x"},"__proto_":1,"~__proto__":2,"~~__proto__":[{"__proto__":null}],"v":"__proto__"}')],
    ['__proto__ deep inside', { Item: JSON.parse('{"pk":{"S":"k"},"__proto__":{"M":{"__proto__":{"N":"1"}}}}') }],
  ];
  for (const [name, message] of cases) {
    it(`round-trips ${name}`, () => {
      const decoded = decodeFrame(encodeFrame(message));
      assert.deepStrictEqual(decoded, message);
      assertNoBuffers(decoded);
    });
  }
  it('round-trips an object with more than 65535 keys', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 70000; i++) wide['a' + i] = i;
    assert.deepStrictEqual(decodeFrame(encodeFrame({ wide })), { wide });
  });
  it('gives "__proto__" back as an own data property without touching the prototype', () => {
    const decoded = decodeFrame(encodeFrame(JSON.parse('{"__proto__":{"polluted":true}}'))) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(Object.keys(decoded), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  it('decodes Buffer inputs and Buffer values to plain Uint8Array', () => {
    const frame = Buffer.from(encodeFrame({ b: Buffer.from([1, 2, 3]) }));
    const decoded = decodeFrame(frame) as { b: Uint8Array };
    assert.equal(decoded.b.constructor, Uint8Array);
    assert.deepStrictEqual(decoded.b, new Uint8Array([1, 2, 3]));
  });
  it('decodes a frame read from a ring', () => {
    const ring = SpscRing.create(4096);
    const message = { op: 2, key: { pk: { S: 'p' } }, item: { v: { B: new Uint8Array([5, 6]) } }, s: 'ünïcødé'.repeat(20) };
    assert.equal(ring.tryWrite(encodeFrame(message)), true);
    assert.deepStrictEqual(decodeFrame(ring.tryRead()!), message);
  });
  it('keeps an earlier encoded frame intact while later ones are encoded', () => {
    const first = encodeFrame({ seq: 1, body: 'first' });
    const copy = Uint8Array.from(first);
    for (let i = 0; i < 2000; i++) encodeFrame({ seq: i, body: 'x'.repeat(i % 300) });
    encodeFrame({ huge: 'y'.repeat(200000) });
    assert.deepStrictEqual(Uint8Array.from(first), copy);
  });
  it('documents the known lossy corners: -0 and lone surrogates', () => {
    assert.equal(Object.is(decodeFrame(encodeFrame(-0)), 0), true);
    // UTF-8 cannot carry a lone surrogate; it comes back as replacement characters.
    assert.match(decodeFrame(encodeFrame('a\ud800b')) as string, /^a\ufffd+b$/);
  });
});

function assertNoBuffers(value: unknown): void {
  if (value instanceof Uint8Array) {
    assert.equal(value.constructor, Uint8Array);
  } else if (Array.isArray(value)) {
    value.forEach(assertNoBuffers);
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(assertNoBuffers);
  }
}

describe('Doorbell', () => {
  const SLOT_SEQUENCE = 16;
  const sequence = (bell: Doorbell) => Atomics.load(new Int32Array(bell.sab), SLOT_SEQUENCE);

  it('refuses a SharedArrayBuffer of the wrong size', () => {
    assert.throws(() => new Doorbell(new SharedArrayBuffer(64)), TypeError);
    assert.throws(() => new Doorbell(new SharedArrayBuffer(4096)), TypeError);
  });
  it('costs a producer no notify while the consumer is awake', () => {
    const bell = Doorbell.create();
    for (let i = 0; i < 10; i++) bell.ring();
    assert.equal(sequence(bell), 0);
    bell.prepareSleep();
    bell.cancelSleep();
    bell.ring();
    assert.equal(sequence(bell), 0);
  });
  it('wakes a sleeper once however many producers ring', () => {
    const bell = Doorbell.create();
    const producerA = new Doorbell(bell.sab);
    const producerB = new Doorbell(bell.sab);
    bell.prepareSleep();
    producerA.ring();
    producerB.ring();
    producerA.ring();
    assert.equal(sequence(bell), 1);
  });
  it('waitSync returns at once when rung between prepareSleep and the wait (no lost wake-up)', () => {
    const bell = Doorbell.create();
    bell.prepareSleep();
    new Doorbell(bell.sab).ring();
    bell.waitSync(Infinity); // would hang forever if the ring were lost
    bell.ring(); // awake again: no notify
    assert.equal(sequence(bell), 1);
  });
  it('waitSync returns after its timeout when nobody rings', () => {
    const bell = Doorbell.create();
    bell.prepareSleep();
    bell.waitSync(5);
    bell.ring();
    assert.equal(sequence(bell), 0); // the flag was cleared on waking
  });
  it('refuses to wait without prepareSleep, or twice on one prepareSleep', () => {
    const bell = Doorbell.create();
    assert.throws(() => bell.waitSync(0));
    assert.throws(() => bell.waitAsync(0));
    bell.prepareSleep();
    bell.cancelSleep();
    assert.throws(() => bell.waitSync(0));
    bell.prepareSleep();
    bell.waitSync(0);
    assert.throws(() => bell.waitSync(0));
  });
  it('refuses a new sleep while a waitAsync is still pending', async () => {
    const keepAlive = setInterval(() => {}, 1000);
    try {
      const bell = Doorbell.create();
      bell.prepareSleep();
      const pending = bell.waitAsync(Infinity);
      assert.throws(() => bell.prepareSleep());
      bell.ring();
      await pending;
      bell.prepareSleep();
      bell.cancelSleep();
    } finally {
      clearInterval(keepAlive);
    }
  });
  it('waitAsync resolves at once when already rung', async () => {
    const bell = Doorbell.create();
    bell.prepareSleep();
    bell.ring();
    await bell.waitAsync(Infinity);
    assert.equal(sequence(bell), 1);
  });
  it('waitAsync resolves when rung later, and after a timeout otherwise', async () => {
    // A pending Atomics.waitAsync does not keep Node's event loop alive; this timer does.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      const bell = Doorbell.create();
      bell.prepareSleep();
      const woken = bell.waitAsync(Infinity);
      setTimeout(() => new Doorbell(bell.sab).ring(), 5);
      await woken;
      assert.equal(sequence(bell), 1);
      bell.prepareSleep();
      await bell.waitAsync(5);
      bell.ring();
      assert.equal(sequence(bell), 1);
    } finally {
      clearInterval(keepAlive);
    }
  });
});
