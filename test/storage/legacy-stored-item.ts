// Items in the stored form written before the JSON one (a cbor-x body, with "__proto__" names
// escaped under tag 0x4d45), built here so that tests can put such data in front of today's reader.
import { Encoder, Tag } from 'cbor-x';
import type { AttributeValue, Item } from '../../src/values/types.ts';

const encoder = new Encoder({ mapsAsObjects: true, useRecords: false });
const escapable = /^~*__proto__$/;

export function legacyStoredItem(item: Item, itemSizeBytes: number): Buffer {
  const body = hasProtoName(item) ? encoder.encode(new Tag(escapeNames(item), 0x4d45)) : encoder.encode(item);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(itemSizeBytes, 0);
  out.set(body, 4);
  return out;
}

function hasProtoName(item: Item): boolean {
  for (const name in item) if (name === '__proto__' || valueHasProtoName(item[name])) return true;
  return false;
}

function valueHasProtoName(value: AttributeValue): boolean {
  if ('M' in value) return hasProtoName(value.M);
  if ('L' in value) return value.L.some(valueHasProtoName);
  return false;
}

function escapeNames(item: Item): Item {
  const copy: Item = {};
  for (const name in item) copy[escapable.test(name) ? '~' + name : name] = escapeValue(item[name]);
  return copy;
}

function escapeValue(value: AttributeValue): AttributeValue {
  if ('M' in value) return { M: escapeNames(value.M) };
  if ('L' in value) return { L: value.L.map(escapeValue) };
  return value;
}
