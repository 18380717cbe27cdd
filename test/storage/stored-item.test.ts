// The stored-item codec round-trips every attribute name exactly, "__proto__" included (cbor-x's
// decoder alone renames it), and stores items without such a name byte for byte as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Encoder } from 'cbor-x';
import { decodeStoredItem, encodeStoredItem, storedItemSize } from '../../src/storage/stored-item.ts';
import { itemSizeBytes } from '../../src/validation/attribute-values.ts';
import type { Item } from '../../src/values/types.ts';

/** Items as JSON.parse makes them: "__proto__" an own property. */
const cases: Record<string, string> = {
  'top level': '{"pk":{"S":"a"},"__proto__":{"S":"x"}}',
  'in a map': '{"pk":{"S":"a"},"m":{"M":{"__proto__":{"N":"1"}}}}',
  'both, as the issue has it': '{"pk":{"S":"a"},"__proto__":{"S":"x"},"m":{"M":{"__proto__":{"N":"1"}}}}',
  'in a map in a list in a map': '{"pk":{"S":"a"},"m":{"M":{"l":{"L":[{"N":"1"},{"M":{"__proto__":{"M":{"__proto__":{"BOOL":true}}}}}]}}}}',
  'beside names that look escaped': '{"pk":{"S":"a"},"__proto__":{"S":"1"},"~__proto__":{"S":"2"},"~~__proto__":{"S":"3"},"__proto_":{"S":"4"},"m":{"M":{"~__proto__":{"NULL":true},"__proto__":{"SS":["__proto__"]}}}}',
  'escaped-looking names alone (stored plainly)': '{"pk":{"S":"a"},"~__proto__":{"S":"2"},"__proto_":{"S":"4"}}',
  'no such name': '{"pk":{"S":"a"},"n":{"N":"1"},"l":{"L":[{"M":{"k":{"B":"AAE="}}}]}}',
};

test('every attribute name, "__proto__" included, comes back exactly; the size prefix too', () => {
  for (const [name, text] of Object.entries(cases)) {
    const item = JSON.parse(text) as Item;
    const size = itemSizeBytes(item);
    const stored = encodeStoredItem(item, size);
    assert.equal(storedItemSize(stored), size, name);
    const back = decodeStoredItem(stored);
    // JSON text compares own properties in order, which deepEqual would not do for "__proto__".
    assert.equal(JSON.stringify(back), text, name);
    assert.equal(Object.getPrototypeOf(back), Object.prototype, `${name}: the prototype is untouched`);
    if (text.includes('"__proto__":{"S"')) assert.ok(Object.hasOwn(back, '__proto__'), name);
  }
});

test('items without a "__proto__" name are stored as plain cbor-x, as before (existing data decodes alike)', () => {
  const plain = new Encoder({ mapsAsObjects: true, useRecords: false });
  for (const name of ['no such name', 'escaped-looking names alone (stored plainly)']) {
    const item = JSON.parse(cases[name]) as Item;
    const stored = encodeStoredItem(item, 7);
    assert.ok(Buffer.from(stored.subarray(4)).equals(plain.encode(item)), name);
    assert.deepEqual(decodeStoredItem(stored), item);
  }
});

test('an item of 60,000 attributes with "__proto__" among them round-trips', () => {
  const item: Item = {};
  for (let i = 0; i < 60_000; i++) item[`a${i}`] = { N: String(i) };
  Object.defineProperty(item, '__proto__', { value: { L: [{ M: JSON.parse('{"__proto__":{"S":"deep"}}') }] }, enumerable: true, writable: true, configurable: true });
  const back = decodeStoredItem(encodeStoredItem(item, 1));
  assert.equal(JSON.stringify(back), JSON.stringify(item));
});
