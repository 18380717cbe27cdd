// The stored-item codec round-trips every attribute name exactly, "__proto__" included, stores
// the item's DynamoDB JSON text as its body, and still reads items stored in the old cbor-x form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStoredItem, encodeStoredItem, isJsonStoredItem, storedItemJson, storedItemSize } from '../../src/storage/stored-item.ts';
import { legacyStoredItem } from './legacy-stored-item.ts';
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

/** Every attribute type, numbers at full precision, nested maps and lists, binary values. */
const everyType: Record<string, string> = {
  'every type': '{"1":{"S":"integer-like name, first as JSON.parse orders it"},"pk":{"S":"k é ✓ \\"q\\" \\u0001"},"n":{"N":"-12345678901234567890123456789012345678"},"small":{"N":"1E-130"},"b":{"B":"AAECAwT/"},"bs":{"BS":["AQ==","Ag=="]},"ss":{"SS":["a","b"]},"ns":{"NS":["1","-0.5"]},"t":{"BOOL":true},"f":{"BOOL":false},"z":{"NULL":true},"l":{"L":[{"S":""},{"M":{"x":{"L":[]}}}]},"m":{"M":{"deep":{"M":{"deeper":{"B":""}}}}}}',
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

test('the body is the item\'s DynamoDB JSON text, byte for byte, which reads hand out as they are', () => {
  for (const [name, text] of Object.entries(cases)) {
    const stored = encodeStoredItem(JSON.parse(text) as Item, 9);
    assert.equal(stored[4], 0x7b, name);
    assert.ok(isJsonStoredItem(stored), name);
    assert.equal(Buffer.from(stored.subarray(4)).toString('utf8'), text, name);
    assert.equal(Buffer.from(storedItemJson(stored)).toString('utf8'), text, name);
  }
});

test('items stored in the old cbor-x form decode exactly as in the new one, "__proto__" escapes undone', () => {
  for (const [name, text] of Object.entries({ ...cases, ...everyType })) {
    const item = JSON.parse(text) as Item;
    const size = itemSizeBytes(item);
    const old = legacyStoredItem(item, size);
    // A cbor-x map (0xa0..0xbf) or the escape tag (0xd9): never '{'.
    assert.ok((old[4] >= 0xa0 && old[4] <= 0xbf) || old[4] === 0xd9, `${name}: first body byte ${old[4]}`);
    assert.ok(!isJsonStoredItem(old), name);
    assert.equal(storedItemSize(old), size, name);
    assert.equal(JSON.stringify(decodeStoredItem(old)), text, name);
    assert.equal(JSON.stringify(decodeStoredItem(old)), JSON.stringify(decodeStoredItem(encodeStoredItem(item, size))), name);
    assert.equal(Buffer.from(storedItemJson(old)).toString('utf8'), text, name);
  }
});

test('a map of many attributes (cbor-x map16/map32 headers) is still told apart from JSON', () => {
  const item: Item = {};
  for (let i = 0; i < 70_000; i++) item[`a${i}`] = { N: String(i) };
  const old = legacyStoredItem(item, 1);
  assert.ok(!isJsonStoredItem(old));
  assert.equal(JSON.stringify(decodeStoredItem(old)), JSON.stringify(item));
});

test('an item of 60,000 attributes with "__proto__" among them round-trips', () => {
  const item: Item = {};
  for (let i = 0; i < 60_000; i++) item[`a${i}`] = { N: String(i) };
  Object.defineProperty(item, '__proto__', { value: { L: [{ M: JSON.parse('{"__proto__":{"S":"deep"}}') }] }, enumerable: true, writable: true, configurable: true });
  const back = decodeStoredItem(encodeStoredItem(item, 1));
  assert.equal(JSON.stringify(back), JSON.stringify(item));
});
