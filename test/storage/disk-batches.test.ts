// The batches a storage node hands to its store: how many may be on their way to the disk, what
// is reported durable and when, and the byte and lag accounting the heartbeat relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiskBatches, type Seal } from '../../src/storage/disk-batches.ts';
import type { NodeStore } from '../../src/storage/node-store.ts';

/** A store whose commits become durable only when the test says so. */
function fakeStore() {
  const durable: Array<() => void> = [];
  let pending = false;
  const store = {
    batchPending: () => pending,
    commit: (onDurable: () => void) => {
      pending = false;
      durable.push(onDurable);
    },
  } as unknown as NodeStore;
  return { store, durable, write: () => (pending = true) };
}

const seal = (n: number): Seal => [{ n } as never, n as never];

test('one batch in flight: the next one holds its seals until the first is durable, then carries them all', () => {
  let now = 1000;
  const { store, durable, write } = fakeStore();
  const batches = new DiskBatches(store, 1, () => now);
  const reported: Seal[][] = [];
  write();
  batches.grow(2, 400);
  batches.seal(seal(1));
  assert.equal(batches.mayCommit(), true);
  batches.commit((s) => reported.push(s));
  assert.equal(batches.awaitsDisk(), true);
  assert.equal(batches.bytesGoingToDisk(), 400);
  assert.equal(batches.mayCommit(), false);

  // While it syncs, the next batch grows.
  write();
  batches.grow(1, 100);
  batches.seal(seal(2));
  batches.seal(seal(3));
  assert.equal(batches.held(), true);
  now += 7;
  assert.equal(batches.lagMs(), 7);

  durable.shift()!();
  assert.deepEqual(reported, [[seal(1)]]);
  assert.equal(batches.awaitsDisk(), false);
  assert.equal(batches.lagMs(), 0);
  assert.equal(batches.bytesGoingToDisk(), 0);
  assert.equal(batches.mayCommit(), true);

  batches.commit((s) => reported.push(s));
  assert.equal(batches.bytesGoingToDisk(), 100);
  durable.shift()!();
  assert.deepEqual(reported[1], [seal(2), seal(3)]);
  assert.deepEqual(batches.stats, { batches: 2, entries: 3 });
});

test('an empty batch is not committed; a batch of seals alone is (a record-only step still reports durability)', () => {
  const { store, durable } = fakeStore();
  const batches = new DiskBatches(store, 2, () => 0);
  batches.commit(() => assert.fail('nothing to commit'));
  assert.equal(durable.length, 0);
  assert.equal(batches.stats.batches, 0);
  let reported: Seal[] | null = null;
  batches.seal(seal(9));
  batches.commit((s) => (reported = s));
  durable.shift()!();
  assert.deepEqual(reported, [seal(9)]);
});

test('with two in flight allowed, durability comes back in commit order and the byte count follows each', () => {
  const { store, durable, write } = fakeStore();
  const batches = new DiskBatches(store, 2, () => 0);
  const order: number[] = [];
  write();
  batches.grow(1, 10);
  batches.commit(() => order.push(1));
  write();
  batches.grow(1, 20);
  assert.equal(batches.mayCommit(), true);
  batches.commit(() => order.push(2));
  assert.equal(batches.mayCommit(), false);
  assert.equal(batches.bytesGoingToDisk(), 30);
  durable.shift()!();
  assert.equal(batches.bytesGoingToDisk(), 20);
  durable.shift()!();
  assert.deepEqual(order, [1, 2]);
  assert.equal(batches.bytesGoingToDisk(), 0);
});
