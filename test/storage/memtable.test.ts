// The layers a storage node reads over its B-tree between checkpoints (src/storage/memtable.ts):
// the newest write of a key wins, deletions, cleared ranges and dropped tables hide older values,
// ranges merge in key order both ways, and a frozen layer released after its checkpoint changes nothing a reader sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Memtable, itemsTreeId, type MemtableBase } from '../../src/storage/memtable.ts';
import type { ItemEntry, ItemRangeOptions, ItemTree } from '../../src/storage/node-store.ts';
import type { ReplicaRecord } from '../../src/replication/replica-machine.ts';

/** A sorted in-memory "B-tree" for the base, with lmdb-js's range semantics. */
class BaseTree implements ItemTree {
  readonly map = new Map<string, Buffer>();
  get(key: Buffer): Buffer | undefined {
    return this.map.get(key.toString('latin1'));
  }
  *getRange(o: ItemRangeOptions): Iterable<ItemEntry> {
    const keys = [...this.map.keys()].sort();
    if (o.reverse === true) keys.reverse();
    for (const k of keys) {
      const key = Buffer.from(k, 'latin1');
      if (o.reverse === true) {
        if (o.start !== undefined && Buffer.compare(key, o.start) > 0) continue;
        if (o.end !== undefined && Buffer.compare(key, o.end) <= 0) return;
      } else {
        if (o.start !== undefined && Buffer.compare(key, o.start) < 0) continue;
        if (o.end !== undefined && Buffer.compare(key, o.end) >= 0) return;
      }
      yield { key, value: this.map.get(k)! };
    }
  }
}

function base(items: Record<string, string>): { base: MemtableBase; tree: BaseTree; log: Map<number, [number, Uint8Array]> } {
  const tree = new BaseTree();
  for (const [k, v] of Object.entries(items)) tree.map.set(k, Buffer.from(v));
  const log = new Map<number, [number, Uint8Array]>();
  return {
    tree,
    log,
    base: {
      tree: () => tree,
      logEntry: (_t, _p, index) => log.get(index),
      logIndices: () => [...log].map(([i, [e]]) => [i, e] as [number, number]),
      record: () => undefined,
      records: () => [] as ReplicaRecord[],
      positions: () => undefined,
    },
  };
}

const k = (s: string): Buffer => Buffer.from(s);
const d = itemsTreeId('t');
const texts = (entries: Iterable<ItemEntry>): string[] => [...entries].map((e) => `${e.key}=${e.value}`);

test('the newest write of a key wins over older layers and the base; a deletion hides them', () => {
  const { base: b } = base({ a: 'base-a', b: 'base-b', c: 'base-c' });
  const m = new Memtable(b);
  m.put(d, k('a'), k('one'));
  m.freeze();
  m.put(d, k('a'), k('two'));
  m.remove(d, k('b'));
  assert.equal(m.get(d, k('a'))?.toString(), 'two');
  assert.equal(m.get(d, k('b')), undefined);
  assert.equal(m.get(d, k('c'))?.toString(), 'base-c');
  assert.deepEqual(texts(m.range(d, {})), ['a=two', 'c=base-c']);
  assert.deepEqual(texts(m.range(d, { reverse: true })), ['c=base-c', 'a=two']);
});

test('a cleared range hides older values in it, not the writes made after the clear; a dropped table hides everything older', () => {
  const { base: b } = base({ a: '0', b: '0', c: '0', d: '0' });
  const m = new Memtable(b);
  m.put(d, k('b'), k('1'));
  m.clearRange(d, k('b'), k('d'));
  m.put(d, k('c'), k('2'));
  assert.deepEqual(texts(m.range(d, {})), ['a=0', 'c=2', 'd=0']);
  assert.equal(m.get(d, k('b')), undefined);
  m.freeze();
  m.dropTable('t');
  m.put(d, k('z'), k('3'));
  assert.deepEqual(texts(m.range(d, {})), ['z=3']);
  assert.equal(m.get(d, k('a')), undefined);
});

test('ranges merge the layers and the base in key order, with bounds as lmdb-js has them (start inclusive, end exclusive; reversed, start is the top)', () => {
  const { base: b } = base({ b: 'B', d: 'D', f: 'F' });
  const m = new Memtable(b);
  m.put(d, k('a'), k('a1'));
  m.put(d, k('e'), k('e1'));
  m.freeze();
  m.put(d, k('c'), k('c2'));
  m.put(d, k('d'), k('d2'));
  assert.deepEqual(texts(m.range(d, { start: k('b'), end: k('f') })), ['b=B', 'c=c2', 'd=d2', 'e=e1']);
  assert.deepEqual(texts(m.range(d, { start: k('e'), reverse: true })), ['e=e1', 'd=d2', 'c=c2', 'b=B', 'a=a1']);
  assert.deepEqual(texts(m.range(d, { start: k('e'), end: k('b'), reverse: true })), ['e=e1', 'd=d2', 'c=c2']);
});

test('releasing a frozen layer once the base holds it changes nothing a reader sees', () => {
  const { base: b, tree } = base({ a: '0' });
  const m = new Memtable(b);
  m.put(d, k('a'), k('1'));
  m.put(d, k('b'), k('1'));
  const frozen = m.freeze();
  m.put(d, k('b'), k('2'));
  const before = texts(m.range(d, {}));
  // The checkpoint writes the frozen layer into the base, then the layer goes.
  for (const [key, value] of frozen.trees.get(d)!.entries.entries()) {
    if (value === null) tree.map.delete(key.toString('latin1'));
    else tree.map.set(key.toString('latin1'), value);
  }
  m.release(frozen);
  assert.deepEqual(texts(m.range(d, {})), before);
  assert.equal(m.layers.length, 1);
});

test('a replica log: appends, a truncation and a trim over the base; what an index reads and the epochs of what is left', () => {
  const { base: b, log } = base({});
  for (let i = 1; i <= 5; i++) log.set(i, [1, Buffer.from(`base${i}`)]);
  const m = new Memtable(b);
  m.appendLog('t', 0, 6, 1, Buffer.from('m6'));
  m.appendLog('t', 0, 7, 1, Buffer.from('m7'));
  m.freeze();
  m.removeLog('t', 0, 6, 2 ** 48); // a truncation at 6
  m.appendLog('t', 0, 6, 2, Buffer.from('new6'));
  m.removeLog('t', 0, 0, 2); // a trim through 2
  assert.equal(m.logEntry('t', 0, 2), undefined);
  assert.equal(Buffer.from(m.logEntry('t', 0, 3)![1]).toString(), 'base3');
  assert.deepEqual(m.logEntry('t', 0, 6), [2, Buffer.from('new6')]);
  assert.equal(m.logEntry('t', 0, 7), undefined);
  assert.deepEqual(m.logIndices('t', 0), [[3, 1], [4, 1], [5, 1], [6, 2]]);
});
