// The checker itself: it must accept linearizable histories and reject ones that are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegister, type HistoryEntry } from './linearizability.ts';

const h = (process: number, invokedAt: number, completedAt: number, op: HistoryEntry['op']): HistoryEntry => ({ process, invokedAt, completedAt, op });

test('sequential and overlapping linearizable histories pass', () => {
  assert.ok(checkRegister([h(0, 0, 1, { kind: 'write', value: 'a' }), h(1, 2, 3, { kind: 'read', result: 'a' })], null).linearizable);
  // Concurrent write and read: the read may see either value.
  assert.ok(checkRegister([h(0, 0, 10, { kind: 'write', value: 'b' }), h(1, 1, 2, { kind: 'read', result: null })], null).linearizable);
  assert.ok(checkRegister([h(0, 0, 10, { kind: 'write', value: 'b' }), h(1, 1, 2, { kind: 'read', result: 'b' })], null).linearizable);
  // CAS success and failure.
  assert.ok(
    checkRegister(
      [h(0, 0, 1, { kind: 'cas', expected: null, value: 'x', result: 'ok' }), h(1, 2, 3, { kind: 'cas', expected: null, value: 'y', result: 'fail' }), h(2, 4, 5, { kind: 'read', result: 'x' })],
      null,
    ).linearizable,
  );
});

test('stale reads, lost writes and double CAS wins are caught', () => {
  // A read that starts after a completed write must see it.
  assert.equal(checkRegister([h(0, 0, 1, { kind: 'write', value: 'a' }), h(1, 2, 3, { kind: 'read', result: null })], null).linearizable, false);
  // Two CAS from the same expected value cannot both win.
  assert.equal(
    checkRegister([h(0, 0, 5, { kind: 'cas', expected: null, value: 'x', result: 'ok' }), h(1, 0, 5, { kind: 'cas', expected: null, value: 'y', result: 'ok' })], null).linearizable,
    false,
  );
  // A failed CAS whose expected value was certainly current is wrong.
  assert.equal(checkRegister([h(0, 0, 1, { kind: 'write', value: 'a' }), h(1, 2, 3, { kind: 'cas', expected: 'a', value: 'b', result: 'fail' })], null).linearizable, false);
  // Reads going back in time.
  assert.equal(
    checkRegister([h(0, 0, 1, { kind: 'write', value: 'a' }), h(0, 2, 3, { kind: 'write', value: 'b' }), h(1, 4, 5, { kind: 'read', result: 'b' }), h(2, 6, 7, { kind: 'read', result: 'a' })], null).linearizable,
    false,
  );
});

test('unknown outcomes may or may not have happened, even late', () => {
  const unknown = h(0, 0, Infinity, { kind: 'cas', expected: null, value: 'x', result: 'unknown' });
  assert.ok(checkRegister([unknown, h(1, 5, 6, { kind: 'read', result: null })], null).linearizable);
  assert.ok(checkRegister([unknown, h(1, 5, 6, { kind: 'read', result: 'x' })], null).linearizable);
  assert.ok(checkRegister([unknown, h(1, 5, 6, { kind: 'read', result: null }), h(1, 7, 8, { kind: 'read', result: 'x' })], null).linearizable);
  // But it cannot un-happen.
  assert.equal(checkRegister([unknown, h(1, 5, 6, { kind: 'read', result: 'x' }), h(1, 7, 8, { kind: 'read', result: null })], null).linearizable, false);
});

test('an unknown outcome takes effect at most once, never before it was invoked', () => {
  const late = h(0, 10, Infinity, { kind: 'write', value: 'x' });
  // Seen before it was sent: impossible.
  assert.equal(checkRegister([late, h(1, 0, 5, { kind: 'read', result: 'x' })], null).linearizable, false);
  // Applied once: after another write replaced it, it cannot come back.
  const once = h(0, 0, Infinity, { kind: 'write', value: 'x' });
  assert.equal(
    checkRegister([once, h(1, 1, 2, { kind: 'read', result: 'x' }), h(1, 3, 4, { kind: 'write', value: 'y' }), h(1, 5, 6, { kind: 'read', result: 'x' })], null).linearizable,
    false,
  );
});

test('a key with many unknown outcomes (a workload through many timeouts) is decided quickly, either way', () => {
  // 80 writers whose writes all timed out, a reader seeing some of their values in turn, and
  // conditional writes failing against whatever was there.
  const history: HistoryEntry[] = [];
  for (let i = 0; i < 80; i++) history.push(h(100 + i, i, Infinity, { kind: 'write', value: `v${i}` }));
  for (let i = 0; i < 40; i++) {
    history.push(h(1, 100 + 4 * i, 101 + 4 * i, { kind: 'read', result: `v${2 * i}` }));
    history.push(h(2, 102 + 4 * i, 103 + 4 * i, { kind: 'cas', expected: null, value: 'c', result: 'fail' }));
  }
  const ok = checkRegister(history, null);
  assert.ok(ok.linearizable);
  assert.ok(ok.explored < 100_000, `explored ${ok.explored}`);
  // The reader then sees a value from before: not linearizable, and found so.
  history.push(h(1, 400, 401, { kind: 'read', result: 'v0' }));
  assert.equal(checkRegister(history, null).linearizable, false);
});

test('of two alike unknown operations, the one invoked earlier may take effect first (sim seed 799)', () => {
  // Two deletes with unknown outcomes, the later-listed one invoked first; only it can explain the read of null.
  const history = [
    h(0, 0, 1, { kind: 'write', value: 'a' }),
    h(1, 50, Infinity, { kind: 'write', value: null }),
    h(2, 10, Infinity, { kind: 'write', value: null }),
    h(3, 20, 21, { kind: 'read', result: null }),
  ];
  assert.ok(checkRegister(history, null).linearizable);
});

test('a key with thousands of operations is checked without running out of stack', () => {
  const history: HistoryEntry[] = [];
  for (let i = 0; i < 20_000; i++) history.push(h(i % 4, 2 * i, 2 * i + 1, i % 2 ? { kind: 'read', result: `v${i - 1}` } : { kind: 'write', value: `v${i}` }));
  assert.ok(checkRegister(history, null).linearizable);
});
