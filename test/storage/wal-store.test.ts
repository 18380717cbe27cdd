// A storage node's store with a write-ahead log and a B-tree checkpointed from it
// (src/storage/wal-store.ts): a commit is durable when its log group is; reads see the memtable
// over the B-tree; a checkpoint moves it into LMDB; reopening replays the log after the
// checkpoint's mark, items re-applied from the log entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalNodeStore, type WalStoreOptions } from '../../src/storage/wal-store.ts';
import { LmdbTree } from '../../src/storage/lmdb-tree.ts';
import { WalWriter } from '../../src/storage/wal/wal-writer.ts';
import { FileSegments } from '../../src/storage/wal/wal-files.ts';
import { scanWal } from '../../src/storage/wal/wal-reader.ts';
import { DirectWalLink } from '../../src/storage/wal/direct-link.ts';
import { encodeLogEntry, type LogEntry } from '../../src/replication/log-entry.ts';
import { ReplicaMachine, type ReplicaRecord } from '../../src/replication/replica-machine.ts';
import { ReplicaState } from '../../src/replication/replica-state.ts';
import { encodeHashPrefix } from '../../src/storage/key-encoding.ts';
import { logIndexMax } from '../../src/storage/node-store.ts';
import { encodeStoredItem, isJsonStoredItem, storedItemJson, storedItemSize } from '../../src/storage/stored-item.ts';
import { pageJson, readRange } from '../../src/storage/range-read.ts';
import { Op } from '../../src/storage/messages.ts';
import type { Item } from '../../src/values/types.ts';
import { legacyStoredItem } from './legacy-stored-item.ts';

const segmentBytes = 256 * 1024;
const options: WalStoreOptions = { memtableBytesMax: 64 * 1024 * 1024, checkpointIntervalMs: 1e12, checkpointWritesPerStep: 64, now: () => 0 };

/** A node's data directory: its LMDB and the log's segments, opened and reopened as a restart would. */
class Dir {
  readonly path = mkdtempSync(join(tmpdir(), 'monodyne-walstore-'));
  tree!: LmdbTree;
  segments!: FileSegments;
  link!: DirectWalLink;
  store!: WalNodeStore;

  open(): WalNodeStore {
    this.tree = new LmdbTree({ path: join(this.path, 'lmdb'), sync: true, mapSizeBytes: 1 << 28 });
    this.segments = new FileSegments(join(this.path, 'wal'));
    const end = scanWal(this.segments, segmentBytes, () => {});
    this.link = new DirectWalLink(new WalWriter(this.segments, { segmentBytes, cipher: null }, end), 0, 1);
    this.store = WalNodeStore.open(this.tree, this.link, options, { source: this.segments, segmentBytes, cipher: null, node: 0, incarnation: 1, end: end.end });
    return this.store;
  }

  async restart(): Promise<WalNodeStore> {
    this.segments.closeAll();
    await this.tree.close();
    return this.open();
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A storage key in the hash range of a replica covering everything. */
const key = (s: string): Buffer => Buffer.concat([encodeHashPrefix(0x10000000), Buffer.from(s)]);
const record = (applied: number, last: number): ReplicaRecord => ({ ...ReplicaMachine.emptyRecord('t', 0, { hashStart: 0, hashEnd: 2 ** 32, voters: [0, 1, 2], leader: 0, epoch: 1, version: 1 }, ReplicaState.Following, 1), applied, items: last });

function entry(i: number, k: string, v: string | null): LogEntry {
  return { e: 1, i, m: [{ k: key(k), b: v === null ? null : Buffer.from(v), o: null, d: v === null ? -1 : 1, z: 0 }], w: `w${i}`, a: null };
}

/** Appends entries and applies them as a node does: log appends, item applies, the record last. */
function commitEntries(store: WalNodeStore, entries: LogEntry[], applied: number): void {
  for (const e of entries) store.appendLog('t', 0, e.i, e.e, encodeLogEntry(e));
  for (const e of entries) if (e.i <= applied) for (const mu of e.m) mu.b === null ? store.removeItem('t', mu.k) : store.putItem('t', mu.k, mu.b);
  store.putRecord(record(applied, entries.length));
}

test('a commit is durable when its log group is; reads see the memtable at once', () => {
  const dir = new Dir();
  try {
    const store = dir.open();
    commitEntries(store, [entry(1, 'a', 'A1'), entry(2, 'b', 'B1')], 2);
    let durable = false;
    store.commit(() => (durable = true));
    assert.equal(store.items('t').get(key('a'))?.toString(), 'A1', 'reads see the batch at once');
    store.pollDurable();
    assert.equal(durable, false, 'not durable before its group is synced');
    dir.link.sync();
    store.pollDurable();
    assert.equal(durable, true);
  } finally {
    dir.remove();
  }
});

test('a restart replays the log: records, log entries, and items re-applied from the entries (they are not logged)', async () => {
  const dir = new Dir();
  try {
    let store = dir.open();
    commitEntries(store, [entry(1, 'a', 'A1'), entry(2, 'b', 'B1'), entry(3, 'a', 'A2')], 3);
    store.commit(() => {});
    commitEntries(store, [entry(4, 'b', null), entry(5, 'c', 'C1')], 4); // 5 appended, not applied
    store.commit(() => {});
    dir.link.sync();
    store = await dir.restart();
    assert.equal(store.items('t').get(key('a'))?.toString(), 'A2');
    assert.equal(store.items('t').get(key('b')), undefined, 'deleted by entry 4');
    assert.equal(store.items('t').get(key('c')), undefined, 'entry 5 was not applied');
    assert.equal(store.records()[0].applied, 4);
    assert.equal(store.storedLog('t', 0).last, 5);
    assert.equal(store.readLog('t', 0, 5, 5, 1e9).length, 1);
  } finally {
    dir.remove();
  }
});

test('what was sent but not synced is lost with the log group (a power loss before the sync)', async () => {
  const dir = new Dir();
  try {
    let store = dir.open();
    commitEntries(store, [entry(1, 'a', 'A1')], 1);
    store.commit(() => {});
    dir.link.sync();
    commitEntries(store, [entry(2, 'a', 'A2')], 2);
    store.commit(() => {}); // appended to the writer's group, never written or synced
    store = await dir.restart();
    assert.equal(store.items('t').get(key('a'))?.toString(), 'A1');
    assert.equal(store.storedLog('t', 0).last, 1);
  } finally {
    dir.remove();
  }
});

test('a checkpoint moves the memtable into LMDB and marks the log position it covers; a restart replays only what follows', async () => {
  const dir = new Dir();
  try {
    let store = dir.open();
    commitEntries(store, [entry(1, 'a', 'A1'), entry(2, 'b', 'B1')], 2);
    store.commit(() => {});
    dir.link.sync();
    store.pollDurable();
    // A checkpoint is due (as the memtable's bound or the interval would make it).
    (store as unknown as { checkpointDue: boolean }).checkpointDue = true;
    store.pollDurable();
    assert.ok(store.checkpointUnderWay());
    for (let i = 0; i < 100 && store.checkpointUnderWay(); i++) {
      store.pollDurable();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(store.checkpoints, 1);
    assert.ok(dir.link.coveredLsn > 0);
    assert.equal(dir.tree.coveredLsn, dir.link.coveredLsn);
    assert.equal(dir.tree.tree('d:t').get(key('a'))?.toString(), 'A1', 'the item is in the B-tree');
    commitEntries(store, [entry(3, 'a', 'A3')], 3);
    store.commit(() => {});
    dir.link.sync();
    store = await dir.restart();
    assert.equal(store.items('t').get(key('a'))?.toString(), 'A3');
    assert.equal(store.items('t').get(key('b'))?.toString(), 'B1');
    assert.equal(store.records()[0].applied, 3);
  } finally {
    dir.remove();
  }
});

/** Starts a checkpoint and lets it queue `writes` B-tree writes (one a step), then waits for them to be committed (not flushed): a crash cut there. */
async function checkpointCut(store: WalNodeStore, tree: () => LmdbTree, writes: number): Promise<void> {
  (store as unknown as { checkpointDue: boolean }).checkpointDue = true;
  store.pollDurable(); // starts it and queues one write
  for (let n = 1; n < writes && tree().step(1); n++);
  await (tree() as unknown as { lastWrite: Promise<unknown> | null }).lastWrite;
}

/** A store writing one B-tree write a checkpoint step, whose checkpoint 1 holds entries 1..4 (a..d) with 1..2 applied. */
async function afterFirstCheckpoint(dir: Dir): Promise<WalNodeStore> {
  const store = dir.open();
  (store as unknown as { options: WalStoreOptions }).options = { ...options, checkpointWritesPerStep: 1 };
  commitEntries(store, [entry(1, 'a', 'A1'), entry(2, 'b', 'B1'), entry(3, 'c', 'C1'), entry(4, 'd', 'D1')], 2);
  store.commit(() => {});
  dir.link.sync();
  store.pollDurable();
  await checkpointCut(store, () => dir.tree, Infinity);
  for (let i = 0; i < 100 && store.checkpointUnderWay(); i++) {
    store.pollDurable();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(store.checkpoints, 1);
  return store;
}

const allItems = [['a', 'A1'], ['b', 'B1'], ['c', 'C1'], ['d', 'D1']];

test('a process crash part way through a checkpoint (the B-tree ahead of its mark, log trims in it): every crash point recovers the same state', async () => {
  // After checkpoint 1, entry 3 is applied, then entry 4 and the log is trimmed through 4 (base
  // 4). Checkpoint 2 is cut after each of its writes in turn.
  for (let cut = 1; cut < 12; cut++) {
    const dir = new Dir();
    try {
      let store = await afterFirstCheckpoint(dir);
      store.putItem('t', key('c'), Buffer.from('C1'));
      store.putRecord(record(3, 4));
      store.commit(() => {});
      store.putItem('t', key('d'), Buffer.from('D1'));
      store.removeLog('t', 0, 0, 4); // a trim, as a node's seal writes it
      store.putRecord({ ...record(4, 4), base: 4, baseEpoch: 1 });
      store.commit(() => {});
      dir.link.sync();
      store.pollDurable();
      await checkpointCut(store, () => dir.tree, cut);
      store = await dir.restart();
      for (const [k, v] of allItems) assert.equal(store.items('t').get(key(k))?.toString(), v, `cut after ${cut} writes: item ${k}`);
      assert.equal(store.records()[0].applied, 4);
      assert.equal(store.records()[0].base, 4);
    } finally {
      dir.remove();
    }
  }
});

test('a process crash part way through a checkpoint that removes a replica (its record and log deleted, the mark not written): every crash point recovers its items', async () => {
  // After checkpoint 1, entries 3 and 4 are applied, then the replica is removed (a retired split
  // parent, a replica moved away): its record and its whole log go. Checkpoint 2 is cut after each
  // of its writes in turn; replay then starts at checkpoint 1's mark over a B-tree that may hold
  // neither the record nor the log (the simulated disks' seed 73024 threw there: "applied through
  // 4 but its log has no entry 1").
  for (let cut = 1; cut < 16; cut++) {
    const dir = new Dir();
    try {
      let store = await afterFirstCheckpoint(dir);
      store.putItem('t', key('c'), Buffer.from('C1'));
      store.putItem('t', key('d'), Buffer.from('D1'));
      store.putRecord(record(4, 4));
      store.commit(() => {});
      store.removeLog('t', 0, 0, logIndexMax);
      store.removeRecord('t', 0);
      store.commit(() => {});
      dir.link.sync();
      store.pollDurable();
      await checkpointCut(store, () => dir.tree, cut);
      store = await dir.restart();
      for (const [k, v] of allItems) assert.equal(store.items('t').get(key(k))?.toString(), v, `cut after ${cut} writes: item ${k}`);
      assert.deepEqual(store.records(), [], `cut after ${cut} writes: the replica is gone`);
    } finally {
      dir.remove();
    }
  }
});

test("a process crash part way through the checkpoint of a split (the parent's record and log removed, the child's written): every crash point keeps the child's later writes", async () => {
  // After checkpoint 1, the parent (t/0) writes c and d in entries 5 and 6; it splits at 6: a child
  // (t/1, here over the same keys) starts at base 6 and the retired parent goes, record and log.
  // The child writes c and d again (7, 8). Checkpoint 2 is cut after each of its writes in turn.
  // Replay used to put the parent's items back (its record gone from the tree: applied from its
  // base) and not the child's (its record in the tree ahead of the mark: nothing to apply), so a
  // read after the restart saw the items as they were before the split (simulator seed 24).
  const child = (applied: number): ReplicaRecord => ({ ...record(applied, applied), pid: 1, base: 6, baseEpoch: 1 });
  for (let cut = 1; cut < 24; cut++) {
    const dir = new Dir();
    try {
      let store = await afterFirstCheckpoint(dir);
      const parentEntries = [entry(5, 'c', 'C5'), entry(6, 'd', 'D6')];
      for (const e of parentEntries) store.appendLog('t', 0, e.i, e.e, encodeLogEntry(e));
      store.putItem('t', key('c'), Buffer.from('C5'));
      store.putItem('t', key('d'), Buffer.from('D6'));
      store.putRecord(record(6, 6));
      store.commit(() => {});
      store.putRecord(child(6));
      store.removeLog('t', 0, 0, logIndexMax);
      store.removeRecord('t', 0);
      store.commit(() => {});
      const childEntries = [entry(7, 'c', 'C7'), entry(8, 'd', 'D8')];
      for (const e of childEntries) store.appendLog('t', 1, e.i, e.e, encodeLogEntry(e));
      store.putItem('t', key('c'), Buffer.from('C7'));
      store.putItem('t', key('d'), Buffer.from('D8'));
      store.putRecord(child(8));
      store.commit(() => {});
      dir.link.sync();
      store.pollDurable();
      await checkpointCut(store, () => dir.tree, cut);
      store = await dir.restart();
      const expected = [['a', 'A1'], ['b', 'B1'], ['c', 'C7'], ['d', 'D8']];
      for (const [k, v] of expected) assert.equal(store.items('t').get(key(k))?.toString(), v, `cut after ${cut} writes: item ${k}`);
      assert.deepEqual(store.records().map((r) => [r.pid, r.applied]), [[1, 8]], `cut after ${cut} writes: only the child is left`);
    } finally {
      dir.remove();
    }
  }
});

test('the memtable is bounded: half of memtableBytesMax starts a checkpoint, all of it makes the store full until one is durable', async () => {
  const dir = new Dir();
  try {
    const store = dir.open();
    (store as unknown as { options: WalStoreOptions }).options = { ...options, memtableBytesMax: 64 * 1024 };
    const value = Buffer.alloc(1000, 1);
    let i = 0;
    // A checkpoint can start only where every batch is durable: none is synced here, so the store fills.
    while (!store.full() && i < 1000) {
      store.putItem('t', key(`k${i++}`), value);
      store.putRecord(record(i, i));
      store.commit(() => {});
      store.pollDurable();
    }
    assert.ok(store.full(), 'the store never became full');
    assert.ok(i > 32 && i < 80, `full after ${i} items of 1 KB`);
    assert.equal(store.checkpointUnderWay(), false);
    dir.link.sync();
    store.pollDurable();
    assert.ok(store.checkpointUnderWay(), 'a checkpoint starts once the batches are durable');
    for (let n = 0; n < 200 && store.checkpointUnderWay(); n++) {
      store.pollDurable();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(store.checkpoints, 1);
    assert.equal(store.full(), false, 'a durable checkpoint frees the memtable');
    assert.equal(store.memtableBytes, 0);
  } finally {
    dir.remove();
  }
});

test('items in log entries in the old stored form (cbor-x) are re-applied by a restart and read as JSON, as new ones are', async () => {
  const dir = new Dir();
  try {
    let store = dir.open();
    const old = JSON.parse('{"pk":{"S":"a"},"__proto__":{"S":"x"},"n":{"N":"1.5"},"b":{"B":"AAE="}}') as Item;
    const current = JSON.parse('{"pk":{"S":"b"},"m":{"M":{"__proto__":{"NULL":true}}}}') as Item;
    const entries: LogEntry[] = [
      { e: 1, i: 1, m: [{ k: key('a'), b: legacyStoredItem(old, 40), o: null, d: 1, z: 40 }], w: 'w1', a: null },
      { e: 1, i: 2, m: [{ k: key('b'), b: encodeStoredItem(current, 30), o: null, d: 1, z: 30 }], w: 'w2', a: null },
    ];
    commitEntries(store, entries, 2);
    store.commit(() => {});
    dir.link.sync();
    store = await dir.restart();
    const a = store.items('t').get(key('a'))!;
    assert.ok(!isJsonStoredItem(a), 'still in the old form');
    assert.equal(storedItemSize(a), 40);
    // What GetItem's node answers, and a Query page over both.
    assert.equal(Buffer.from(storedItemJson(a)).toString('utf8'), JSON.stringify(old));
    const page = readRange(store.items('t'), {
      id: 1, op: Op.Scan, t: 't', p: 0, v: 1, lo: encodeHashPrefix(0), loInc: true, hi: null, hiInc: false, pre: null, rev: false,
      lim: 0, max: 1 << 20, jm: 1 << 20, c: false, kn: ['pk'], x: null, cnt: false,
    });
    assert.equal(pageJson(page), `[${JSON.stringify(old)},${JSON.stringify(current)}]`);
    assert.equal(page.bytesRead, 70);
  } finally {
    dir.remove();
  }
});
