// Ordering storage keys, as the memtable's B+tree does on every put and get: compareKeys (a
// JavaScript loop over the first bytes) against Buffer.compare (a native call), on keys of a
// 4-byte hash and a 20-byte partition key.
import type { Bench } from 'tinybench';
import sortedBtree from 'sorted-btree';
import { compareKeys } from '../src/storage/compare-keys.ts';

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
}
