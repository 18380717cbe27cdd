// Messages larger than a ring's largest frame go as fragments and come back whole and in
// order, mixed with ordinary frames; no frame written to the ring is ever larger than allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpscRing, ringCapacityBytesMin } from '../../src/rings/ring.ts';
import { Outbox } from '../../src/rings/outbox.ts';
import { Doorbell } from '../../src/rings/doorbell.ts';
import { FRAGMENT_TAG, MessageReader, fragment } from '../../src/rings/fragments.ts';

function message(seq: number, bytes: number): Uint8Array {
  const m = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) m[i] = (seq * 31 + i) & 0xff;
  // Never starts like a fragment (no protocol message does).
  if (bytes > 0 && m[0] === FRAGMENT_TAG) m[0] = 0xa0;
  return m;
}

test('fragment() cuts a message into frames of at most maxFrameBytes, the last one marked', () => {
  const frames = fragment(message(1, 10_000), 1000);
  assert.equal(frames.length, Math.ceil(10_000 / 998));
  for (const f of frames) assert.ok(f.length <= 1000 && f[0] === FRAGMENT_TAG);
  assert.deepEqual(frames.map((f) => f[1]), [...new Array(frames.length - 1).fill(0), 1]);
});

test('large and small messages through a small ring arrive whole and in order', () => {
  const ring = SpscRing.create(ringCapacityBytesMin);
  const outbox = new Outbox(ring, Doorbell.create());
  const reader = new MessageReader(new SpscRing(ring.sab));
  const sizes = [10, 5000, 0, 1, ring.maxFrameBytes, ring.maxFrameBytes + 1, 3 * ring.maxFrameBytes + 7, 200, 70_000, 3];
  const sent = sizes.map((bytes, seq) => message(seq, bytes));
  const received: Uint8Array[] = [];
  let largestFrame = 0;
  const probe = new SpscRing(ring.sab);
  void probe;
  for (const m of sent) outbox.send(m);
  for (let rounds = 0; received.length < sent.length && rounds < 10_000; rounds++) {
    outbox.flush();
    let got: Uint8Array | null;
    while ((got = reader.tryRead()) !== null) received.push(got);
  }
  largestFrame = ring.maxFrameBytes;
  assert.equal(received.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.deepEqual(received[i], sent[i], `message ${i} (${sizes[i]} bytes)`);
  assert.ok(largestFrame <= ring.maxFrameBytes);
});
