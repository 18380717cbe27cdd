// The memtable's own costs on the hot path: ordering storage keys, as its B+tree does on every
// put and get (compareKeys, a JavaScript loop over the first bytes, against Buffer.compare, a
// native call, on keys of a 4-byte hash and a 20-byte partition key), and a Query page's range
// read over a tree no layer touched (the B-tree's own range) against one merged with a layer.
import type { Bench } from 'tinybench';
import sortedBtree from 'sorted-btree';
import { compareKeys } from '../src/storage/compare-keys.ts';
import { Memtable, itemsTreeId, type MemtableBase } from '../src/storage/memtable.ts';
import type { ItemEntry, ItemTree } from '../src/storage/node-store.ts';

const BTree: typeof sortedBtree.default = (sortedBtree as unknown as { default?: typeof sortedBtree.default }).default ?? (sortedBtree as unknown as typeof sortedBtree.default);

export function register(bench: Bench): void {
  const keys = Array.from({ length: 3000 }, (_, i) => {
    const key = Buffer.alloc(24);
    key.writeUInt32BE(Math.imul(i + 1, 2654435761) >>> 0, 0);
    key.write(`user-${String(i).padStart(10, '0')}`, 4, 'latin1');
    return key;
  });
  const value = Buffer.alloc(200);
  for (const [name, compare] of [
    ['Buffer.compare', (a: Buffer, b: Buffer) => Buffer.compare(a, b)],
    ['compareKeys', compareKeys],
  ] as const) {
    const tree = new BTree<Buffer, Buffer>(undefined, compare);
    for (const k of keys) tree.set(k, value);
    let n = 0;
    bench.add(`memtable B+tree of 3,000 keys: a put and a get, ${name}`, () => {
      const k = keys[n++ % keys.length];
      tree.set(k, value);
      tree.get(k);
    });
  }

  // A Query page of 10 items from a B-tree stand-in (a plain array: only the memtable's own cost is measured).
  const page: ItemEntry[] = keys.slice(0, 10).sort(compareKeys).map((key) => ({ key, value }));
  const tree: ItemTree = { get: () => undefined, getRange: () => page };
  const base: MemtableBase = { tree: () => tree, logEntry: () => undefined, logIndices: () => [], record: () => undefined, records: () => [], positions: () => undefined };
  const untouched = new Memtable(base);
  const written = new Memtable(base);
  written.put(itemsTreeId('t'), keys[20], value);
  const id = itemsTreeId('t');
  let bytes = 0;
  bench
    .add('memtable range of a 10-item page, tree untouched since the checkpoint', () => {
      for (const e of untouched.range(id, {})) bytes += e.value.length;
    })
    .add('memtable range of a 10-item page, merged with a layer holding one more item', () => {
      for (const e of written.range(id, {})) bytes += e.value.length;
    });
  if (bytes < 0) throw new Error('unreachable');
}
