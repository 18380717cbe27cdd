// The top-k sketch behind Contributor Insights: exact while keys fit, heavy hitters always
// found in a long tail, counts within their error bounds, and exponential decay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopKSketch } from '../../src/control/top-k-sketch.ts';

const noDecay = 0;

test('counts exactly while the distinct keys fit, most counted first', () => {
  const s = new TopKSketch(8, noDecay, 0);
  const counts: Record<string, number> = { a: 5, b: 3, c: 9, d: 1 };
  for (const [key, n] of Object.entries(counts)) for (let i = 0; i < n; i++) s.add(key);
  assert.deepEqual(
    s.top(10, 0).map((e) => [e.key, e.count, e.error]),
    [['c', 9, 0], ['a', 5, 0], ['b', 3, 0], ['d', 1, 0]],
  );
  assert.deepEqual(s.top(2, 0).map((e) => e.key), ['c', 'a']);
});

test('heavy hitters are found in a stream of many distinct keys; counts bound the truth', () => {
  // Deterministic pseudo-random stream: 3 hot keys (40 %, 20 %, 10 %) in 20,000 cold ones.
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  const truth = new Map<string, number>();
  const s = new TopKSketch(32, noDecay, 0);
  const n = 50_000;
  for (let i = 0; i < n; i++) {
    const r = random();
    const key = r < 0.4 ? 'hot1' : r < 0.6 ? 'hot2' : r < 0.7 ? 'hot3' : `cold${Math.floor(random() * 20_000)}`;
    truth.set(key, (truth.get(key) ?? 0) + 1);
    s.add(key);
  }
  const top = s.top(3, 0);
  assert.deepEqual(top.map((e) => e.key), ['hot1', 'hot2', 'hot3']);
  for (const e of s.top(32, 0)) {
    const real = truth.get(e.key)!;
    assert.ok(e.count >= real && e.count - e.error <= real, `${e.key}: ${e.count} (error ${e.error}) against ${real}`);
  }
  assert.equal(s.entries, 32, 'never more than its capacity');
});

test('counts halve every half-life, and the order is kept', () => {
  const s = new TopKSketch(4, 1000, 0);
  for (let i = 0; i < 8; i++) s.add('x');
  for (let i = 0; i < 4; i++) s.add('y');
  assert.deepEqual(s.top(2, 1000).map((e) => [e.key, e.count]), [['x', 4], ['y', 2]]);
  assert.deepEqual(s.top(2, 3000).map((e) => [e.key, e.count]), [['x', 1], ['y', 0.5]]);
  s.add('y', 2);
  assert.deepEqual(s.top(2, 3000).map((e) => e.key), ['y', 'x']);
});

test('a capacity that is not a positive integer is refused', () => {
  assert.throws(() => new TopKSketch(0, 1000, 0), /capacity must be a positive integer/);
});
