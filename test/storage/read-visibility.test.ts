// What a node publishes for readers of its B-tree on other threads (src/storage/read-visibility.ts):
// dirty marks per memtable layer, cleared only after the generation moves; the serving ranges
// under a sequence lock; a stamp that no longer stands once anything moved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadVisibility, tableTag } from '../../src/storage/read-visibility.ts';

const t = tableTag('orders.1');
const other = tableTag('orders.2');
const all = [{ table: 'orders.1', hashStart: 0, hashEnd: 2 ** 32 }];

test('nothing is readable until a range serving eventual reads is published, and only for its table and range', () => {
  const v = ReadVisibility.create();
  assert.equal(v.readable(t, 5), null);
  v.publishServing([{ table: 'orders.1', hashStart: 100, hashEnd: 200 }]);
  assert.notEqual(v.readable(t, 100), null);
  assert.notEqual(v.readable(t, 199), null);
  assert.equal(v.readable(t, 99), null);
  assert.equal(v.readable(t, 200), null);
  assert.equal(v.readable(other, 150), null, 'another table');
  v.publishServing([{ table: 'orders.1', hashStart: 0, hashEnd: 2 ** 32 }]);
  assert.notEqual(v.readable(t, 2 ** 32 - 1), null, 'the last range ends at 2^32');
  v.publishServing([]);
  assert.equal(v.readable(t, 150), null, 'withdrawn');
});

test('a key written since the last durable checkpoint is not readable until the checkpoint of its layer is durable', () => {
  const v = ReadVisibility.create();
  v.publishServing(all);
  const a = 0x10000000;
  const b = 0x20000000;
  v.markDirty(a);
  assert.equal(v.readable(t, a), null);
  assert.notEqual(v.readable(t, b), null, 'another key');
  v.freeze(); // a's layer goes to its checkpoint; b is written in the new layer
  v.markDirty(b);
  assert.equal(v.readable(t, a), null, 'frozen, not durable');
  assert.equal(v.readable(t, b), null);
  const before = v.readable(t, 0x30000000)!;
  v.checkpointDurable();
  const after = v.readable(t, a)!;
  assert.notEqual(after, null, 'durable: a is in the B-tree');
  assert.equal(after.generation, before.generation + 1, 'the generation moved (readers renew their transaction)');
  assert.equal(v.readable(t, b), null, 'b waits for the next checkpoint');
  assert.throws(() => v.checkpointDurable(), /no frozen layer/);
  v.freeze();
  assert.throws(() => v.freeze(), /one checkpoint at a time/);
  v.checkpointDurable();
  assert.notEqual(v.readable(t, b), null);
});

test('a cleared range or a dropped table makes the whole layer unreadable until its checkpoint is durable', () => {
  const v = ReadVisibility.create();
  v.publishServing(all);
  v.markLayerDirty();
  assert.equal(v.readable(t, 7), null);
  v.freeze();
  assert.equal(v.readable(t, 7), null);
  v.checkpointDurable();
  assert.notEqual(v.readable(t, 7), null);
});

test('a stamp stands only while nothing was published, checkpointed or written to the key since', () => {
  const v = ReadVisibility.create();
  v.publishServing(all);
  const k = 0x40000000;
  let stamp = v.readable(t, k)!;
  assert.equal(v.stillReadable(stamp, k), true);
  v.markDirty(k);
  assert.equal(v.stillReadable(stamp, k), false, 'written during the read');
  v.freeze();
  v.checkpointDurable();
  stamp = v.readable(t, k)!;
  v.publishServing([{ table: 'orders.1', hashStart: 0, hashEnd: 2 ** 31 }]);
  assert.equal(v.stillReadable(stamp, k), false, 'published during the read');
  stamp = v.readable(t, 5)!;
  v.freeze();
  v.checkpointDurable();
  assert.equal(v.stillReadable(stamp, 5), false, 'a checkpoint during the read');
});

test('another thread sees the same state through the shared memory', () => {
  const writer = ReadVisibility.create();
  const reader = new ReadVisibility(writer.sab);
  writer.publishServing(all);
  writer.markDirty(0x50000000);
  assert.equal(reader.readable(t, 0x50000000), null);
  assert.notEqual(reader.readable(t, 0x60000000), null);
  assert.throws(() => new ReadVisibility(new SharedArrayBuffer(8)), TypeError);
});

test('a range read stops where the serving replica ends and defers while any block of marks in it is dirty', () => {
  const v = ReadVisibility.create();
  v.publishServing([{ table: 'orders.1', hashStart: 0, hashEnd: 0x80000000 }, { table: 'orders.1', hashStart: 0x80000000, hashEnd: 2 ** 32 }]);
  const span = v.readableSpan(t, 0x10000000, 2 ** 32)!;
  assert.equal(span.end, 0x80000000, 'the first replica ends at 2^31');
  assert.equal(v.readableSpan(t, 0x90000000, 0xa0000000)!.end, 0xa0000000, 'or where asked');
  assert.equal(v.readableSpan(other, 0x10000000, 2 ** 32), null);
  v.markDirty(0x70000000);
  assert.equal(v.readableSpan(t, 0x10000000, 2 ** 32), null, 'a write in the range');
  assert.notEqual(v.readableSpan(t, 0x80000000, 2 ** 32), null, 'not in the next replica');
  assert.equal(v.stillReadableSpan(span, 0x10000000), false, 'the earlier stamp no longer stands');
  v.freeze();
  v.checkpointDurable();
  assert.notEqual(v.readableSpan(t, 0x10000000, 2 ** 32), null);
  v.markLayerDirty();
  assert.equal(v.readableSpan(t, 0x80000000, 2 ** 32), null);
});
