// The health board the control plane shares with the storage threads (review finding M4): a
// replacement incarnation starts unfenced, but the thread of the incarnation it replaced stays
// fenced even if it outlived the wait for it to end, and its liveness counts afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthBoard } from '../../src/control/health-board.ts';

test('M4: lifting the fence for a replacement does not lift it for the thread it replaced', () => {
  const board = HealthBoard.create(3);
  const old = board.startIncarnation(1);
  board.progress(1);
  board.progress(1, 4);
  board.enterDiskCall(1);
  board.committed(1);
  board.committed(1);
  board.durable(1);
  assert.equal(board.isFenced(1, old), false);
  board.fence(1);
  assert.equal(board.isFenced(1, old), true);
  assert.equal(board.isDeclaredDead(1), true);
  const replacement = board.startIncarnation(1);
  assert.notEqual(replacement, old);
  assert.equal(board.isFenced(1, replacement), false, 'the replacement runs');
  assert.equal(board.isDeclaredDead(1), false, "its peers count the replacement's frames");
  assert.equal(board.isFenced(1, old), true, 'the old thread, if it still runs, stops at its next turn and sends nothing');
  assert.deepEqual(board.liveness(1), { progress: 0, quietBeats: 0, inDiskCall: false, batchesOnDisk: 0, durable: 0 }, 'liveness counts from zero for the replacement');
  assert.equal(board.isFenced(0, board.incarnation(0)), false, 'other nodes are untouched');
});

test('M4: a replacement starts with no hang, crash or replication fault left over from its predecessor', () => {
  const board = HealthBoard.create(3);
  board.startIncarnation(2);
  board.requestHang(2, true);
  board.setReplFault(0, 2, 500);
  board.setReplFault(2, 1, -1);
  board.startIncarnation(2);
  assert.equal(board.commitHangRequested(2), false);
  assert.equal(board.replFault(0, 2), 0);
  assert.equal(board.replFault(2, 1), 0);
});

test('liveness: progress and quiet beats, disk calls (leaving one is progress), batches on the disk', () => {
  const board = HealthBoard.create(3);
  board.startIncarnation(0);
  board.progress(0, 3);
  assert.deepEqual(board.liveness(0), { progress: 1, quietBeats: 3, inDiskCall: false, batchesOnDisk: 0, durable: 0 });
  board.progress(0);
  board.enterDiskCall(0);
  board.committed(0);
  board.committed(0);
  assert.deepEqual(board.liveness(0), { progress: 2, quietBeats: 0, inDiskCall: true, batchesOnDisk: 2, durable: 0 });
  board.leaveDiskCall(0);
  board.durable(0);
  assert.deepEqual(board.liveness(0), { progress: 3, quietBeats: 0, inDiskCall: false, batchesOnDisk: 1, durable: 1 });
  assert.deepEqual(board.liveness(1), { progress: 0, quietBeats: 0, inDiskCall: false, batchesOnDisk: 0, durable: 0 }, 'other nodes are untouched');
  // A replacement starts at zero; a durable report from the thread it replaced never makes the count negative.
  board.startIncarnation(0);
  board.durable(0);
  assert.equal(board.liveness(0).batchesOnDisk, 0);
});

test('control messages: a node sees one waiting from when it is posted until it takes it; a replacement starts with none', () => {
  const board = HealthBoard.create(3);
  board.startIncarnation(1);
  assert.equal(board.controlWaiting(1), false);
  board.controlPosted(1);
  board.controlPosted(1);
  assert.equal(board.controlWaiting(1), true);
  assert.equal(board.controlWaiting(0), false, 'other nodes are untouched');
  board.controlTaken(1);
  assert.equal(board.controlWaiting(1), true, 'one is still waiting');
  board.controlTaken(1);
  assert.equal(board.controlWaiting(1), false);
  // Posted to a node that died before taking it: its replacement has nothing waiting. One the
  // old thread still takes afterwards leaves the count below zero, which reads as none waiting
  // (the node then yields only every few pumps, as it did before there was a count).
  board.controlPosted(1);
  board.startIncarnation(1);
  assert.equal(board.controlWaiting(1), false);
  board.controlTaken(1);
  assert.equal(board.controlWaiting(1), false);
});
