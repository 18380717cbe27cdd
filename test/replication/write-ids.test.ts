// The write-id memory that keeps a retried write from being applied twice (review finding F11):
// kept for a time, not a count; found by write id alone, whatever partition the retry reaches;
// carried with a snapshot of a split child, including what its parent remembered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteIds } from '../../src/replication/write-ids.ts';

test('F11: write ids are kept for their retention time however many writes follow (the old window was 65,536 writes)', () => {
  const ids = new WriteIds(1000, 10_000_000);
  ids.remember('first', 't', 0, 1, null, 0);
  for (let i = 0; i < 200_000; i++) ids.remember(`w${i}`, 't', 0, 2 + i, null, 500);
  assert.ok(ids.find('first'), 'still remembered within its retention time');
  ids.remember('late', 't', 0, 300_000, null, 999);
  assert.ok(ids.find('first'));
  ids.remember('later', 't', 0, 300_001, null, 1000);
  assert.equal(ids.find('first'), undefined, 'forgotten once its retention time has passed');
  assert.ok(ids.find('w0'));
  assert.equal(ids.evictedEarly, 0);
});

test('F11: the count bound is a memory limit only, and each id it drops early is counted', () => {
  const ids = new WriteIds(60_000, 3);
  for (let i = 0; i < 5; i++) ids.remember(`w${i}`, 't', 0, i + 1, null, i);
  assert.equal(ids.size, 3);
  assert.equal(ids.find('w0'), undefined);
  assert.equal(ids.evictedEarly, 2);
});

test('F11: a write id is found by id alone: a retry routed to a split child finds what the parent remembered', () => {
  const ids = new WriteIds(60_000, 1000);
  ids.remember('w', 't', 4, 17, '{"a":{"S":"x"}}', 0);
  const found = ids.find('w');
  assert.deepEqual(found && { table: found.table, pid: found.pid, index: found.index, attributes: found.attributes }, { table: 't', pid: 4, index: 17, attributes: '{"a":{"S":"x"}}' });
});

test("F11, N2: a child's snapshot carries the ids remembered under its split parent, under the parent's partition, and only those of its table", () => {
  const ids = new WriteIds(60_000, 1000);
  ids.remember('parent', 't', 4, 17, null, 0);
  ids.remember('child', 't', 8, 3, 'A', 0);
  ids.remember('sibling', 't', 9, 2, null, 0);
  ids.remember('other table', 'u', 4, 1, null, 0);
  const out: Array<string | number | null> = [];
  ids.ofSnapshot('t', 8, 3, 4, out);
  assert.deepEqual(out, ['parent', 4, 17, null, 'child', 8, 3, 'A']);
});

test('N1: a snapshot carries no record of an entry after its index (one perhaps never committed)', () => {
  const ids = new WriteIds(60_000, 1000);
  ids.remember('committed', 't', 0, 11, null, 0);
  ids.remember('appended, not committed', 't', 0, 12, null, 0);
  const out: Array<string | number | null> = [];
  ids.ofSnapshot('t', 0, 11, undefined, out);
  assert.deepEqual(out, ['committed', 0, 11, null]);
});

test('F11: a truncated entry forgets its write id (it never happened there); a later entry of the same id does not', () => {
  const ids = new WriteIds(60_000, 1000);
  ids.remember('w', 't', 0, 5, null, 0);
  ids.forget('w', 't', 0, 4);
  assert.ok(ids.find('w'), 'another index: not this record');
  ids.forget('w', 't', 0, 5);
  assert.equal(ids.find('w'), undefined);
  ids.remember('x', 't', 0, 6, null, 0);
  ids.remember('y', 't', 1, 6, null, 0);
  ids.forgetReplica('t', 0);
  assert.equal(ids.find('x'), undefined);
  assert.ok(ids.find('y'));
});
