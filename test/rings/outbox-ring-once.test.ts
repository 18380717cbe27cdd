// Outbox with ringOncePerTurn: frames go into the ring at once, and the consumer's doorbell
// rings once for all frames sent in one event-loop turn, after the turn.
import test from 'node:test';
import assert from 'node:assert/strict';
import { SpscRing } from '../../src/rings/ring.ts';
import { Doorbell } from '../../src/rings/doorbell.ts';
import { Outbox } from '../../src/rings/outbox.ts';

test('ringOncePerTurn: frames are readable at once; one ring per turn wakes a sleeping consumer', async () => {
  const ring = SpscRing.create(1 << 12);
  const bell = Doorbell.create();
  const outbox = new Outbox(ring, bell, { ringOncePerTurn: true });
  let rings = 0;
  const original = bell.ring.bind(bell);
  bell.ring = () => {
    rings++;
    original();
  };
  const consumer = new Doorbell(bell.sab);
  const reader = new SpscRing(ring.sab);
  consumer.prepareSleep();
  const woken = consumer.waitAsync(5000);
  for (let i = 0; i < 10; i++) outbox.send(new Uint8Array([i]));
  assert.equal(rings, 0, 'no ring before the turn ends');
  let frames = 0;
  while (reader.tryRead() !== null) frames++;
  assert.equal(frames, 10, 'frames are in the ring right away');
  await woken;
  assert.equal(rings, 1);
  outbox.send(new Uint8Array([1]));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(rings, 2, 'a later turn rings again');
});

test('without the option an Outbox rings after every frame', () => {
  const bell = Doorbell.create();
  const outbox = new Outbox(SpscRing.create(1 << 12), bell);
  let rings = 0;
  bell.ring = () => {
    rings++;
  };
  outbox.send(new Uint8Array([1]));
  outbox.send(new Uint8Array([2]));
  assert.equal(rings, 2);
});
