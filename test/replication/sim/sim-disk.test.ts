// The simulator's disk model (sim-log-device.ts, sim-checkpoint-tree.ts, sim-log-thread.ts,
// sim-disk.ts): a process crash keeps every written log byte and every committed B-tree write; a
// power loss keeps what was synced plus a prefix of what followed (a record may be torn, and the
// real start-up scan cuts it), and rolls a checkpoint not yet flushed back; the real recovery
// (scanWal, WalNodeStore.open) runs over what survived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimLogDevice } from './sim-log-device.ts';
import { SimCheckpointTree, emptyTree, treeAfter } from './sim-checkpoint-tree.ts';
import { SimDisk, noDiskCounts, simSegmentBytes } from './sim-disk.ts';
import { Scheduler } from './scheduler.ts';
import { Random } from './random.ts';
import { WalWriter } from '../../../src/storage/wal/wal-writer.ts';
import { scanWal } from '../../../src/storage/wal/wal-reader.ts';
import { WalBatchBuilder, decodeChange } from '../../../src/storage/wal/wal-payloads.ts';
import { WalRecordType } from '../../../src/storage/wal/wal-format.ts';
import { MemLayer } from '../../../src/storage/memtable.ts';

const segmentBytes = 64 * 1024;

/** A batch of `entries` log appends of `size` bytes for node 0, numbered from `first`. */
function batch(builder: WalBatchBuilder, sequence: number, first: number, entries: number, size: number): Uint8Array {
  for (let i = 0; i < entries; i++) builder.logAppend('t.1', 0, first + i, 1, Buffer.alloc(size, (first + i) % 251));
  return builder.take(sequence);
}

/** The log indices the real scan reads back, and where it found the end. */
function readBack(source: Parameters<typeof scanWal>[0]): { indices: number[]; end: ReturnType<typeof scanWal> } {
  const indices: number[] = [];
  const end = scanWal(source, segmentBytes, (h, payload) => {
    const c = decodeChange(h.type, payload);
    if (c.type === WalRecordType.LogAppend) indices.push(c.index);
  });
  return { indices, end };
}

/** A device with group 1 (indices 1..10) synced and group 2 (11..20) written, its sync asked for and not completed. */
function twoGroups(): { device: SimLogDevice; writer: WalWriter; syncedEnd: number } {
  const device = new SimLogDevice(segmentBytes);
  const writer = new WalWriter(device, { segmentBytes, cipher: null }, { end: 0, nextGroup: 0, segments: [] });
  const builder = new WalBatchBuilder();
  writer.append(0, 1, batch(builder, 1, 1, 10, 200));
  writer.commitGroup();
  device.completeSyncs();
  const syncedEnd = writer.end;
  writer.append(0, 1, batch(builder, 2, 11, 10, 200));
  writer.commitGroup();
  assert.equal(device.syncPending, true);
  return { device, writer, syncedEnd };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('log device: written bytes are read back at once; a process crash keeps them all, synced or not', () => {
  const { device } = twoGroups();
  assert.deepEqual(readBack(device).indices, range(1, 20), 'the page cache holds both groups');
  assert.deepEqual(readBack(device.durableSource()).indices, range(1, 10), 'the disk holds the synced group only');
  const after = device.afterProcessCrash();
  const { indices, end } = readBack(after);
  assert.deepEqual(indices, range(1, 20), 'a process crash loses no written byte');
  assert.equal(end.cutTail, false);
  assert.equal(after.syncPending, false, 'the sync under way died with the process');
});

test('log device: a power loss keeps the synced bytes plus a prefix of what followed; a torn record is cut by the real scan', () => {
  let torn = 0;
  let whole = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const { device, syncedEnd } = twoGroups();
    const dirty = device.dirtyBytes;
    const { device: after, keptBytes, lostBytes } = device.afterPowerLoss(new Random(seed));
    assert.equal(keptBytes + lostBytes, dirty);
    const { indices, end } = readBack(after);
    if (keptBytes === dirty) {
      // The whole second group reached the disk before the power went: it is read back whole.
      assert.deepEqual(indices, range(1, 20));
      whole++;
      continue;
    }
    // Part of the group (or none of it): the group is cut whole at its start, never half applied.
    assert.deepEqual(indices, range(1, 10), `seed ${seed}: only the synced group survives`);
    assert.equal(end.end, syncedEnd, `seed ${seed}: the log ends where the last sync did`);
    assert.equal(end.cutTail, keptBytes > 0, `seed ${seed}: a partly written group is a torn tail to cut`);
    if (keptBytes > 0) torn++;
  }
  assert.ok(torn > 10 && whole > 0, `power losses tore the tail ${torn} times, kept it whole ${whole} times`);
});

test('log device: a later process syncing a segment makes the bytes an earlier process left unsynced durable', () => {
  const { device } = twoGroups();
  const after = device.afterProcessCrash();
  const end = readBack(after).end;
  const writer = new WalWriter(after, { segmentBytes, cipher: null }, end);
  writer.append(0, 1, batch(new WalBatchBuilder(), 3, 21, 1, 10));
  writer.commitGroup();
  assert.equal(after.completeSyncs(), true, 'the sync reports that it covered inherited bytes');
  assert.deepEqual(readBack(after.durableSource()).indices, range(1, 21));
});

test('log device: a tail the next process recovered from the page cache is durable once that process syncs what it writes after it', () => {
  const device = new SimLogDevice(segmentBytes);
  const writer = new WalWriter(device, { segmentBytes, cipher: null }, { end: 0, nextGroup: 0, segments: [] });
  const builder = new WalBatchBuilder();
  let sequence = 0;
  let index = 1;
  // Segment 0 filled to within a few records of its end, synced group by group.
  while (writer.end < segmentBytes - 3000) {
    writer.append(0, 1, batch(builder, ++sequence, index++, 1, 1000));
    writer.commitGroup();
    device.completeSyncs();
  }
  // A group that does not fit ends segment 0 and goes on in segment 1; the process dies before its sync completes.
  writer.append(0, 1, batch(builder, ++sequence, index, 4, 1000));
  index += 4;
  writer.commitGroup();
  const after = device.afterProcessCrash();
  const end = scanWal(after, segmentBytes, () => {});
  assert.equal(Math.floor(end.end / segmentBytes), 1, 'the next process reads the group back from the page cache, whole, and goes on in segment 1');
  const next = new WalWriter(after, { segmentBytes, cipher: null }, end);
  next.append(0, 2, batch(builder, 1, index, 1, 100));
  next.commitGroup();
  after.completeSyncs();
  assert.doesNotThrow(() => scanWal(after.durableSource(), segmentBytes, () => {}), 'a power loss now leaves a log the server starts on');
});

/** A layer putting `n` items k0.. with value v. */
function layerOf(n: number, value: string): MemLayer {
  const layer = new MemLayer();
  for (let i = 0; i < n; i++) layer.tree('d:t.1').entries.set(Buffer.from(`k${i}`), Buffer.from(value));
  return layer;
}

function itemsOf(tree: SimCheckpointTree): string[] {
  return [...tree.tree('d:t.1').getRange({})].map(({ key, value }) => `${key}=${value}`);
}

test('checkpoint tree: writes are committed as queued, done only once flushed; a power loss rolls back what was not flushed, a process crash keeps it', () => {
  const flushes: Array<() => void> = [];
  const tree = new SimCheckpointTree(emptyTree(), (flushed) => flushes.push(flushed));
  let done = 0;
  tree.checkpoint(layerOf(4, 'a'), 100, () => done++);
  while (tree.step(3));
  assert.equal(flushes.length, 1, 'a flush is asked for once every write is queued');
  assert.equal(done, 0, 'not done before the flush');
  assert.equal(tree.coveredLsn, 0);
  flushes.shift()!();
  assert.equal(done, 1);
  assert.equal(tree.coveredLsn, 100);
  // A second checkpoint: half queued (the tree is ahead of its flushed mark), then all queued, not
  // flushed. Its first write says it began (intentLsn): then two items.
  tree.checkpoint(layerOf(6, 'b'), 200, () => done++);
  assert.equal(tree.step(3), true);
  assert.equal(tree.aheadOfFlushed, true);
  const half = tree.onDisk();
  while (tree.step(3));
  const whole = tree.onDisk();
  assert.equal(done, 1);
  for (const [name, onDisk] of [['half written', half], ['written, not flushed', whole]] as const) {
    const lost = new SimCheckpointTree(treeAfter('power', onDisk), () => {});
    assert.deepEqual(itemsOf(lost), ['k0=a', 'k1=a', 'k2=a', 'k3=a'], `${name}: a power loss rolls the checkpoint back`);
    assert.equal(lost.coveredLsn, 100);
    assert.equal(lost.aheadOfFlushed, false);
    const kept = new SimCheckpointTree(treeAfter('process', onDisk), () => {});
    assert.equal(kept.aheadOfFlushed, true, `${name}: after a process crash the tree is ahead of its flushed state`);
    // Still not flushed: a power loss now rolls it back to the first checkpoint all the same.
    assert.equal(new SimCheckpointTree(treeAfter('power', kept.onDisk()), () => {}).coveredLsn, 100);
  }
  const keptHalf = new SimCheckpointTree(treeAfter('process', half), () => {});
  assert.deepEqual(itemsOf(keptHalf), ['k0=b', 'k1=b', 'k2=a', 'k3=a'], 'a process crash keeps the writes queued so far');
  assert.equal(keptHalf.coveredLsn, 100, 'their mark is not written yet');
  assert.equal(keptHalf.intentLsn, 200, 'the tree says a checkpoint to 200 began (it may hold part of it)');
  assert.equal(new SimCheckpointTree(treeAfter('power', half), () => {}).intentLsn, 100, 'a power loss rolls the intent back with the rest');
  assert.equal(new SimCheckpointTree(treeAfter('process', whole), () => {}).coveredLsn, 200, 'a mark written and not flushed is where recovery starts after a process crash');
});

/** Runs the scheduler until it is idle (promise callbacks included). */
async function drain(scheduler: Scheduler): Promise<void> {
  while (scheduler.pending > 0) await scheduler.run(scheduler.now + 10);
}

test('disk: the real store over it is durable only once its sync completes; a power loss before then loses the commit, a process crash keeps it; recovery replays either', async () => {
  for (const kind of ['process', 'power'] as const) {
    const scheduler = new Scheduler();
    const random = new Random(7);
    const counts = noDiskCounts();
    const disk = new SimDisk(scheduler, random, counts, 0, 1);
    const store = disk.open(() => scheduler.now, () => {}, () => {});
    const durable: string[] = [];
    store.appendLog('t.1', 0, 1, 1, Buffer.from('one'));
    store.commit(() => durable.push('one'));
    await drain(scheduler);
    store.pollDurable();
    assert.deepEqual(durable, ['one']);
    store.appendLog('t.1', 0, 2, 1, Buffer.from('two'));
    store.commit(() => durable.push('two'));
    store.pollDurable();
    assert.deepEqual(durable, ['one'], 'not durable before its sync completes');
    assert.equal(disk.batchesWaiting(), 1);
    const next = disk.after(kind);
    next.scan();
    const recovered = next.open(() => scheduler.now, () => {}, () => {});
    assert.equal(recovered.storedLog('t.1', 0).last, kind === 'process' ? 2 : 1, `${kind}: what recovery finds`);
    await drain(scheduler);
    assert.deepEqual(durable, ['one'], 'the dead process hears of no sync');
  }
});

/** Pumps the store (as its node's loop does) and the scheduler until no checkpoint is under way. */
async function settleCheckpoints(scheduler: Scheduler, store: { pollDurable(): boolean; checkpointUnderWay(): boolean }): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    store.pollDurable();
    await scheduler.run(scheduler.now + 1);
    if (!store.checkpointUnderWay() && scheduler.pending === 0) return;
  }
  throw new Error('the checkpoint never ended');
}

test('disk: the first checkpoint after a restart keeps its mark at the log position its replay reached', async () => {
  const scheduler = new Scheduler();
  const random = new Random(3);
  let disk = new SimDisk(scheduler, random, noDiskCounts(), 0, 1);
  let store = disk.open(() => scheduler.now, () => {}, () => {});
  store.appendLog('t.1', 0, 1, 1, Buffer.from('one'));
  store.commit(() => {});
  await scheduler.run(scheduler.now + 1000);
  await settleCheckpoints(scheduler, store);
  // A checkpoint after the interval: its mark is the log's durable end.
  await scheduler.run(scheduler.now + 1000);
  store.appendLog('t.1', 0, 2, 1, Buffer.from('two'));
  store.commit(() => {});
  await scheduler.run(scheduler.now + 1000);
  await settleCheckpoints(scheduler, store);
  const mark = disk.checkpointMark;
  assert.ok(mark > 0, 'a checkpoint covered the log');
  store.appendLog('t.1', 0, 3, 1, Buffer.from('three'));
  store.commit(() => {});
  await scheduler.run(scheduler.now + 5);
  // The process dies; the next one replays entry 3 and checkpoints it at once.
  disk = disk.after('process');
  disk.scan();
  store = disk.open(() => scheduler.now, () => {}, () => {});
  assert.equal(store.storedLog('t.1', 0).last, 3);
  await settleCheckpoints(scheduler, store);
  assert.ok(disk.checkpointMark >= mark, `the mark went back from ${mark} to ${disk.checkpointMark}`);
});

test('disk: after a process crash that left the B-tree ahead of its flushed mark, a power loss still finds the log that mark needs', async () => {
  const scheduler = new Scheduler();
  const random = new Random(5);
  let disk = new SimDisk(scheduler, random, noDiskCounts(), 0, 1);
  let store = disk.open(() => scheduler.now, () => {}, () => {});
  const write = async (from: number, to: number): Promise<void> => {
    for (let i = from; i <= to; i++) {
      store.appendLog('t.1', 0, i, 1, Buffer.alloc(1000, i % 251));
      store.commit(() => {});
    }
    await scheduler.run(scheduler.now + 200);
    store.pollDurable();
  };
  await write(1, 10);
  await scheduler.run(scheduler.now + 600);
  await settleCheckpoints(scheduler, store);
  const flushedMark = disk.checkpointMark;
  assert.ok(flushedMark > 0 && flushedMark < simSegmentBytes, 'a checkpoint flushed, its mark in the first segment');
  // The log goes on into the second segment; the next checkpoint writes everything, mark last, and its flush never completes.
  await write(11, 90);
  await scheduler.run(scheduler.now + 600);
  disk.stallUntil = Infinity;
  while (store.pollDurable());
  assert.equal(store.checkpointUnderWay(), true);
  assert.ok(disk.checkpointMark >= simSegmentBytes, 'the written mark is in the second segment');
  disk = disk.after('process');
  disk.scan();
  store = disk.open(() => scheduler.now, () => {}, () => {});
  disk = disk.after('power');
  disk.scan();
  store = disk.open(() => scheduler.now, () => {}, () => {});
  assert.equal(disk.checkpointMark, flushedMark, 'the power loss rolled the B-tree back to its flushed mark');
  assert.equal(store.readLog('t.1', 0, 1, 90, Infinity).length, 90, 'every entry the log held is recovered');
});
