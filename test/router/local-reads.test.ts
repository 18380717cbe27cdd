// Eventually consistent point reads answered from a node's B-tree on another thread
// (src/router/local-reads.ts) against the node's own view (memtable over B-tree, wal-store.ts):
// after every step of writes, checkpoints, clears and a restart, a local read either defers to
// the node or answers exactly what the node would.
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
import { ReadVisibility } from '../../src/storage/read-visibility.ts';
import { encodeHashPrefix, encodeItemKey, partitionKeyHash32, sortKeyRange } from '../../src/storage/key-encoding.ts';
import { LocalReads, hasTimeToSpare, localPageStepBytes } from '../../src/router/local-reads.ts';
import { encodeStoredItem } from '../../src/storage/stored-item.ts';
import { itemSizeBytes } from '../../src/validation/attribute-values.ts';
import { readRange, pageJson, type RangePage } from '../../src/storage/range-read.ts';
import { Op, type RangeRequest } from '../../src/storage/messages.ts';
import type { Item } from '../../src/values/types.ts';
import type { NodeReadView } from '../../src/control/storage-threads.ts';

const segmentBytes = 256 * 1024;
const mapSizeBytes = 1 << 28;

/** Keys a..e, each with its own partition key hash (so each has its own dirty mark). */
const hashes: Record<string, number> = { a: 0x10000000, b: 0x20000000, c: 0x30000000, d: 0x40000000, e: 0x50000000 };
const key = (k: string): Buffer => Buffer.concat([encodeHashPrefix(hashes[k]), Buffer.from(k)]);

class Node {
  readonly path = mkdtempSync(join(tmpdir(), 'monodyne-localreads-'));
  visibility = ReadVisibility.create();
  tree!: LmdbTree;
  segments!: FileSegments;
  link!: DirectWalLink;
  store!: WalNodeStore;
  view!: NodeReadView;
  readonly load = { spare: true };
  readonly reads = new LocalReads({ readView: () => this.view }, { sync: true, mapSizeBytes, pageJsonBudgetBytes: 1 << 20 }, this.load);

  open(): WalNodeStore {
    // A restart is a new incarnation: a new read view.
    this.visibility = ReadVisibility.create();
    this.view = { dir: join(this.path, 'lmdb'), visibility: this.visibility };
    const options: WalStoreOptions = { memtableBytesMax: 64 * 1024 * 1024, checkpointIntervalMs: 1e12, checkpointWritesPerStep: 1, now: () => 0, visibility: this.visibility };
    this.tree = new LmdbTree({ path: this.view.dir, sync: true, mapSizeBytes });
    this.segments = new FileSegments(join(this.path, 'wal'));
    const end = scanWal(this.segments, segmentBytes, () => {});
    this.link = new DirectWalLink(new WalWriter(this.segments, { segmentBytes, cipher: null }, end), 0, 1);
    this.store = WalNodeStore.open(this.tree, this.link, options, { source: this.segments, segmentBytes, cipher: null, node: 0, incarnation: 1, end: end.end });
    this.visibility.publishServing([{ table: 't', hashStart: 0, hashEnd: 2 ** 32 }]);
    return this.store;
  }

  async restart(): Promise<void> {
    this.segments.closeAll();
    await this.tree.close();
    this.open();
  }

  /** Every key read locally: each answer equals the node's own view; returns how many were answered. */
  check(label: string): number {
    let answered = 0;
    for (const k of Object.keys(hashes)) {
      const local = this.reads.get('t', 0, hashes[k], key(k));
      if (local === undefined) continue;
      answered++;
      assert.equal(local?.toString() ?? null, this.store.items('t').get(key(k))?.toString() ?? null, `${label}: ${k}`);
    }
    return answered;
  }

  commit(): void {
    this.store.commit(() => {});
    this.link.sync();
    this.store.pollDurable();
  }

  /** Starts a checkpoint; each step queues one B-tree write; checks after each. */
  async checkpoint(label: string, between?: (step: number) => void): Promise<void> {
    (this.store as unknown as { checkpointDue: boolean }).checkpointDue = true;
    this.store.pollDurable();
    this.check(`${label}, started`);
    for (let step = 1; step < 1000 && this.tree.step(1); step++) {
      between?.(step);
      await (this.tree as unknown as { lastWrite: Promise<unknown> | null }).lastWrite;
      this.check(`${label}, step ${step}`);
    }
    for (let i = 0; i < 400 && this.store.checkpointUnderWay(); i++) {
      this.store.pollDurable();
      this.check(`${label}, flushing`);
      // lmdb-js reports the flush through the event loop.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(this.store.checkpointUnderWay(), false, `${label}: the checkpoint ended`);
  }

  async remove(): Promise<void> {
    this.reads.close();
    this.segments.closeAll();
    await this.tree.close();
    rmSync(this.path, { recursive: true, force: true });
  }
}

test('a local read answers what the node would, or defers to it: writes, checkpoints, clears and a restart', async () => {
  const node = new Node();
  try {
    const store = node.open();
    assert.equal(node.check('opened: the replay marks the whole layer'), 0);
    for (const k of ['a', 'b', 'c']) store.putItem('t', key(k), Buffer.from(`${k}1`));
    node.commit();
    assert.equal(node.check('written, in the memtable only'), 0);
    await node.checkpoint('first checkpoint');
    assert.equal(node.check('checkpointed'), 5, 'every key answered here: a, b, c as written, d and e absent');

    // Writes during a checkpoint of other writes: each key defers until the layer it was written in is durable.
    store.putItem('t', key('a'), Buffer.from('a2'));
    store.removeItem('t', key('b'));
    node.commit();
    assert.equal(node.check('a and b rewritten'), 3);
    await node.checkpoint('second checkpoint', (step) => {
      if (step !== 1) return;
      store.putItem('t', key('c'), Buffer.from('c2'));
      store.putItem('t', key('d'), Buffer.from('d1'));
      node.commit();
    });
    assert.equal(node.check('c and d wait for the next checkpoint'), 3);
    await node.checkpoint('third checkpoint');
    assert.equal(node.check('all in the B-tree'), 5);

    // A cleared range hides what the B-tree still holds: nothing is answered here until it is checkpointed.
    store.clearRange('t', 0, 0x30000000);
    node.commit();
    assert.equal(node.check('cleared'), 0);
    await node.checkpoint('checkpoint of the clear');
    assert.equal(node.check('the clear is in the B-tree'), 5);
    assert.equal(node.reads.get('t', 0, hashes.a, key('a')), null, 'a was cleared');

    // Written, logged (a snapshot's item is), not checkpointed, then a restart: the replay fills the memtable, so the node answers until its first checkpoint.
    store.putSnapshotItem('t', key('e'), Buffer.from('e1'));
    node.commit();
    await node.restart();
    assert.equal(node.check('restarted'), 0);
    await node.checkpoint('checkpoint after the restart');
    assert.equal(node.check('after the restart'), 5);
    assert.equal(node.reads.get('t', 0, hashes.e, key('e'))?.toString(), 'e1');

    // Values of every size, each read right after a longer one: lmdb-js reads into one buffer per
    // thread, longer than most values, so each answer must be exactly its value's bytes (and one
    // past the buffer's size is read some other way).
    const sizes = { a: 400 * 1024, b: 3, c: 70 * 1024, d: 0, e: 5000 };
    for (const [k, size] of Object.entries(sizes)) node.store.putItem('t', key(k), Buffer.alloc(size, k));
    node.commit();
    await node.checkpoint('checkpoint of values of every size');
    assert.equal(node.check('values of every size, in the B-tree'), 5);
    for (const [k, size] of Object.entries(sizes)) {
      const value = node.reads.get('t', 0, hashes[k], key(k));
      assert.ok(value instanceof Buffer && value.length === size && value.every((byte) => byte === k.charCodeAt(0)), `${k}: ${size} bytes`);
    }
    const kept = node.reads.get('t', 0, hashes.b, key('b'));
    node.reads.get('t', 0, hashes.a, key('a'));
    assert.equal(kept?.toString(), 'bbb', 'an answer is a copy: the next read leaves it as it was');

    // A front door with no time to spare sends every read to the node.
    node.load.spare = false;
    assert.equal(node.check('front door busy'), 0);
    node.load.spare = true;

    // A replica that stops serving eventual reads: nothing is answered here.
    node.visibility.publishServing([]);
    assert.equal(node.check('withdrawn'), 0);
    assert.ok(node.reads.served > 0 && node.reads.passed > 0);
  } finally {
    await node.remove();
  }
});

test('reads leave the front door once it is busier than the bound, and come back only well below it', () => {
  assert.equal(hasTimeToSpare(true, 0.84, 0.85), true);
  assert.equal(hasTimeToSpare(true, 0.86, 0.85), false);
  assert.equal(hasTimeToSpare(false, 0.75, 0.85), false, 'not yet: within the hysteresis');
  assert.equal(hasTimeToSpare(false, 0.69, 0.85), true);
  assert.equal(hasTimeToSpare(true, 1, 1), true, 'a bound of 100 % keeps them here');
});

/** Turns of the event loop that ran while `work` was pending: what the thread could do meanwhile. */
async function turnsWhile<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const value = await work;
  ticking = false;
  return { value, turns };
}

function samePage(got: RangePage, expected: RangePage, label: string): void {
  assert.equal(pageJson(got), pageJson(expected), label);
  assert.deepEqual({ count: got.count, scanned: got.scanned, bytesRead: got.bytesRead, last: got.last }, { count: expected.count, scanned: expected.scanned, bytesRead: expected.bytesRead, last: expected.last }, label);
}

test('a long Query or Scan page is read here in steps, other work running between them, and is the page the node reads; a write between steps sends it to the node', async () => {
  const node = new Node();
  try {
    const store = node.open();
    const pk = { S: 'p' };
    const hash32 = partitionKeyHash32(pk);
    const itemKey = (i: number) => Buffer.from(encodeItemKey(hash32, pk, { N: String(i) }));
    const put = (i: number, filler: string) => {
      const item: Item = { pk, sk: { N: String(i) }, filler: { S: filler } };
      store.putItem('t', itemKey(i), Buffer.from(encodeStoredItem(item, itemSizeBytes(item))));
    };
    // About 300 KB in one partition key: several steps of localPageStepBytes.
    for (let i = 0; i < 300; i++) put(i, 'x'.repeat(1000));
    node.commit();
    await node.checkpoint('items');
    const range = sortKeyRange(hash32, pk);
    const query = (lim: number, rev: boolean): RangeRequest => ({
      id: 1, op: Op.Query, t: 't', p: 0, v: 0,
      lo: range.start, loInc: range.startInclusive, hi: range.end ?? null, hiInc: range.endInclusive, pre: range.prefix ?? null, rev,
      lim, max: 1024 * 1024, jm: 1024 * 1024, c: false, kn: ['pk', 'sk'], x: null, cnt: false,
    });
    const scan = (lim: number): RangeRequest => ({
      id: 1, op: Op.Scan, t: 't', p: 0, v: 0, lo: encodeHashPrefix(0), loInc: true, hi: null, hiInc: false, pre: null, rev: false,
      lim, max: 1024 * 1024, jm: 1024 * 1024, c: false, kn: ['pk', 'sk'], x: null, cnt: false,
    });
    const served = node.reads.served;
    for (const [label, req] of [['Query', query(0, false)], ['Query backwards', query(0, true)], ['Query Limit 250', query(250, false)], ['Scan', scan(0)], ['Scan Limit 120', scan(120)]] as const) {
      const asked = { ...req };
      const answered = req.op === Op.Query ? node.reads.query('t', 0, hash32, req) : node.reads.scan('t', 0, req);
      assert.ok(answered instanceof Promise, `${label}: a long page is read in steps`);
      const { value, turns } = await turnsWhile(answered as Promise<RangePage | { page: RangePage } | undefined>);
      assert.ok(value !== undefined, `${label}: read here`);
      const page = 'page' in value ? value.page : value;
      samePage(page, readRange(node.store.items('t'), req), `${label}: the node's page`);
      assert.ok(turns >= Math.floor(page.bytesRead / localPageStepBytes) - 1, `${label}: ${turns} turns of the event loop ran while ${page.bytesRead} B were read`);
      assert.deepEqual(req, asked, `${label}: the request is left as it was, for the node should it be asked`);
    }
    assert.equal(node.reads.served, served + 5);

    // A write to the partition key between two steps: the page is the node's to read.
    for (const [label, req] of [['Query', query(0, false)], ['Scan', scan(0)]] as const) {
      const answered = req.op === Op.Query ? node.reads.query('t', 0, hash32, req) : node.reads.scan('t', 0, req);
      assert.ok(answered instanceof Promise);
      put(299, 'changed');
      node.commit();
      assert.equal(await answered, undefined, `${label}: written while it was read`);
      await node.checkpoint(`${label}: the write`);
    }
  } finally {
    await node.remove();
  }
});

test('Query pages read here are the node\'s, forwards and backwards, for partition keys at both ends of the hash space', async () => {
  const node = new Node();
  try {
    const store = node.open();
    // Keys start with their partition key's hash: the lowest and highest byte values are where a walk's default bounds would cut.
    const partitions = [0x00000000, 0x00000001, 0x04ffffff, 0x05000000, 0x7fffffff, 0xfffffffe, 0xffffffff].map((hash32, i) => ({ hash32, pk: { S: `p${i}` } }));
    for (const { hash32, pk } of partitions) {
      for (let i = 0; i < 25; i++) {
        const item: Item = { pk, sk: { N: String(i) }, v: { S: `${pk.S}/${i}` } };
        store.putItem('t', Buffer.from(encodeItemKey(hash32, pk, item.sk)), Buffer.from(encodeStoredItem(item, itemSizeBytes(item))));
      }
    }
    node.commit();
    await node.checkpoint('items at both ends');
    for (const { hash32, pk } of partitions) {
      const range = sortKeyRange(hash32, pk);
      for (const rev of [false, true]) {
        for (const lim of [0, 10]) {
          const req: RangeRequest = {
            id: 1, op: Op.Query, t: 't', p: 0, v: 0,
            lo: range.start, loInc: range.startInclusive, hi: range.end ?? null, hiInc: range.endInclusive, pre: range.prefix ?? null, rev,
            lim, max: 1024 * 1024, jm: 1024 * 1024, c: false, kn: ['pk', 'sk'], x: null, cnt: false,
          };
          const label = `${pk.S} (hash ${hash32.toString(16)}), ${rev ? 'backwards' : 'forwards'}, Limit ${lim}`;
          const page = node.reads.query('t', 0, hash32, req);
          assert.ok(page !== undefined && !(page instanceof Promise), `${label}: read here at once`);
          const expected = readRange(node.store.items('t'), req);
          assert.equal(expected.count, lim === 0 ? 25 : lim, `${label}: the node's page`);
          samePage(page, expected, label);
        }
      }
    }
  } finally {
    await node.remove();
  }
});
