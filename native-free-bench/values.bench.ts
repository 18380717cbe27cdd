// Hot-path value handling: partition key hashing, storage key encoding, item normalization
// and DynamoDB item sizing, on a typical ~200-byte item.
import type { Bench } from 'tinybench';
import { encodeItemKey, partitionKeyHash32 } from '../src/storage/key-encoding.ts';
import { itemSizeBytes, normalizeItem } from '../src/validation/attribute-values.ts';
import { canonicalNumber, compareNumbers } from '../src/values/number.ts';
import type { AttributeValue, Item } from '../src/values/types.ts';
import { keyAttributesFromJson } from '../src/storage/json-key-attributes.ts';

const partitionKey: AttributeValue = { S: 'customer#8f14e45f-ceea-467f-a9b4' };
const sortKey: AttributeValue = { N: '1718035200123' };

// The wire form, as JSON.parse hands it over (~200 bytes by DynamoDB's size rules).
const wireItem = JSON.stringify({
  pk: partitionKey,
  sk: sortKey,
  name: { S: 'Ada Lovelace' },
  email: { S: 'ada.lovelace@example.com' },
  balance: { N: '1024.50' },
  active: { BOOL: true },
  tags: { SS: ['vip', 'beta', 'newsletter'] },
  address: { M: { street: { S: '12 St James Square' }, city: { S: 'London' }, zip: { S: 'SW1Y 4JH' } } },
  scores: { L: [{ N: '98' }, { N: '87.5' }, { N: '91' }] },
});
const parsedItems: unknown[] = [];
for (let i = 0; i < 64; i++) parsedItems.push(JSON.parse(wireItem));
export const normalized: Item = normalizeItem(JSON.parse(wireItem), 'Item');
// A Query page's last item as stored JSON, for its LastEvaluatedKey: the key first, or last of nine members.
const keyFirstJson = Buffer.from(wireItem, 'utf8');
const { pk: _pk, sk: _sk, ...rest } = JSON.parse(wireItem) as Item;
const keyLastJson = Buffer.from(JSON.stringify({ ...rest, pk: partitionKey, sk: sortKey }), 'utf8');
const keyNames = ['pk', 'sk'];

export function register(bench: Bench): void {
  let i = 0;
  let sink = 0;
  bench
    .add('partitionKeyHash32 (MD5, 33-char S key)', () => {
      sink ^= partitionKeyHash32(partitionKey);
    })
    .add('encodeItemKey (S pk + N sk)', () => {
      sink ^= encodeItemKey(0x12345678, partitionKey, sortKey).length;
    })
    .add(`normalizeItem (${itemSizeBytes(normalized)}-byte item, 9 attributes)`, () => {
      const item = normalizeItem(parsedItems[i++ & 63], 'Item');
      sink ^= item === undefined ? 1 : 0;
    })
    .add('keyAttributesFromJson (pk, sk first of 9 members)', () => {
      sink ^= Object.keys(keyAttributesFromJson(keyFirstJson, 0, keyFirstJson.length, keyNames)).length;
    })
    .add('keyAttributesFromJson (pk, sk last of 9 members)', () => {
      sink ^= Object.keys(keyAttributesFromJson(keyLastJson, 0, keyLastJson.length, keyNames)).length;
    })
    .add('itemSizeBytes (same item)', () => {
      sink ^= itemSizeBytes(normalized);
    })
    .add('canonicalNumber (already canonical)', () => {
      sink ^= canonicalNumber('1024.5').length;
    })
    .add('canonicalNumber ("01.50e2")', () => {
      sink ^= canonicalNumber('01.50e2').length;
    })
    .add('compareNumbers', () => {
      sink ^= compareNumbers('1718035200123', '1718035200124.5');
    });
  // Keep the results observable so the JIT cannot drop the work.
  bench.addEventListener('complete', () => {
    if (sink === 0x7fffffff) console.log(sink);
  });
}
