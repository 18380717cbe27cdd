// The stored-item codec (every write encodes an item; conditions, updates and filters decode
// one) against a plain cbor-x Encoder on the same item in the same run: the form items were
// stored in before their JSON text was.
import type { Bench } from 'tinybench';
import { Encoder } from 'cbor-x';
import { decodeStoredItem, encodeStoredItem } from '../src/storage/stored-item.ts';
import { itemSizeBytes, normalizeItem } from '../src/validation/attribute-values.ts';
import type { Item } from '../src/values/types.ts';
import { normalized as small } from './values.bench.ts';

// The ~200-byte item of values.bench.ts, and a ~4 KB one with nested maps and lists.
const large: Item = normalizeItem(
  {
    pk: { S: 'order#2024-06-10#000123' },
    lines: { L: Array.from({ length: 40 }, (_, i) => ({ M: { sku: { S: `sku-${i}` }, qty: { N: String(i + 1) }, price: { N: `${i}.99` }, gift: { BOOL: i % 3 === 0 } } })) },
    notes: { S: 'n'.repeat(1000) },
  },
  'Item',
);

const plain = new Encoder({ mapsAsObjects: true, useRecords: false });

export function register(bench: Bench): void {
  let sink = 0;
  for (const [label, item] of [['~200-byte item', small], ['~4 KB item', large]] as const) {
    const size = itemSizeBytes(item);
    const stored = encodeStoredItem(item, size);
    const plainBytes = plain.encode(item) as Uint8Array;
    bench
      .add(`cbor-x encode, baseline (${label})`, () => {
        sink ^= (plain.encode(item) as Uint8Array).length;
      })
      .add(`encodeStoredItem (${label})`, () => {
        sink ^= encodeStoredItem(item, size).length;
      })
      .add(`cbor-x decode, baseline (${label})`, () => {
        sink ^= plain.decode(plainBytes) === null ? 1 : 0;
      })
      .add(`decodeStoredItem (${label})`, () => {
        sink ^= decodeStoredItem(stored) === null ? 1 : 0;
      });
  }
  // Keep the results observable so the JIT cannot drop the work.
  bench.addEventListener('complete', () => {
    if (sink === 0x7fffffff) console.log(sink);
  });
}
