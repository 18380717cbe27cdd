// The bytes an item is stored as: a 4-byte big-endian DynamoDB item size (so page limits and
// capacity are computed without decoding) followed by the cbor-x encoded item.
//
// "__proto__" is a legal attribute name, but cbor-x's decoder renames a map key "__proto__" to
// "__proto_" (a prototype-pollution guard). An item with a "__proto__" name anywhere (top level or
// in a map) is stored instead as ESCAPE_TAG(copy with names /^~*__proto__$/ prefixed by one "~"),
// which decoding undoes. Such an item's encoding holds the text "__proto__": one native search of
// the encoded bytes rules it out (when found, the item's names are walked), so ordinary items are
// stored as before, byte for byte, at the cost of that search.
import { Encoder, Tag } from 'cbor-x';
import type { AttributeValue, Item } from '../values/types.ts';

const sizePrefixBytes = 4;
/** CBOR tag marking a stored item whose names were escaped. Header: d9 4d 45 (frame-codec.ts uses 4d44). */
const ESCAPE_TAG = 0x4d45;
const PROTO_KEY = '__proto__';
/**
 * Six bytes of "__proto__": any item whose encoding lacks them has no such name. (Shorter than 7,
 * Buffer.indexOf searches by memchr without building a skip table: 4 times faster on 4 KB.)
 */
const PROTO_PROBE = Buffer.from('proto_');
const ESCAPABLE_NAME = /^~*__proto__$/;
const ESCAPED_NAME = /^~+__proto__$/;

const itemEncoder = new Encoder({ mapsAsObjects: true, useRecords: false });

export function encodeStoredItem(item: Item, itemSizeBytes: number): Uint8Array {
  let body = itemEncoder.encode(item) as Buffer;
  if (body.indexOf(PROTO_PROBE) !== -1 && hasProtoName(item)) body = itemEncoder.encode(new Tag(escapeNames(item), ESCAPE_TAG)) as Buffer;
  // From Buffer's pool (small items): a fresh ArrayBuffer each time cost more than the encoding's search.
  const out = Buffer.allocUnsafe(sizePrefixBytes + body.length);
  out.writeUInt32BE(itemSizeBytes, 0);
  out.set(body, sizePrefixBytes);
  return out;
}

export function storedItemSize(bytes: Uint8Array): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

export function decodeStoredItem(bytes: Uint8Array): Item {
  const item = itemEncoder.decode(bytes.subarray(sizePrefixBytes)) as Item;
  if (bytes.length > sizePrefixBytes + 2 && bytes[sizePrefixBytes] === 0xd9 && bytes[sizePrefixBytes + 1] === ESCAPE_TAG >> 8 && bytes[sizePrefixBytes + 2] === (ESCAPE_TAG & 0xff)) {
    return unescapeNames((item as unknown as Tag).value as Item);
  }
  return item;
}

// An item's names are its attributes' and its maps' (in M values, at any depth, also inside lists).

function hasProtoName(item: Item): boolean {
  for (const name in item) if (name === PROTO_KEY || valueHasProtoName(item[name])) return true;
  return false;
}

function valueHasProtoName(value: AttributeValue): boolean {
  if ('M' in value) return hasProtoName(value.M);
  if ('L' in value) for (const element of value.L) if (valueHasProtoName(element)) return true;
  return false;
}

function escapeNames(item: Item): Item {
  const copy: Item = {};
  for (const name in item) copy[ESCAPABLE_NAME.test(name) ? '~' + name : name] = escapeValue(item[name]);
  return copy;
}

function escapeValue(value: AttributeValue): AttributeValue {
  if ('M' in value) return { M: escapeNames(value.M) };
  if ('L' in value) return { L: value.L.map(escapeValue) };
  return value;
}

function unescapeNames(item: Item): Item {
  const copy: Item = {};
  for (const name in item) {
    const value = unescapeValue(item[name]);
    if (ESCAPED_NAME.test(name)) {
      // defineProperty, because assigning to "__proto__" would set the prototype instead.
      Object.defineProperty(copy, name.slice(1), { value, enumerable: true, writable: true, configurable: true });
    } else {
      copy[name] = value;
    }
  }
  return copy;
}

function unescapeValue(value: AttributeValue): AttributeValue {
  if ('M' in value) return { M: unescapeNames(value.M) };
  if ('L' in value) return { L: value.L.map(unescapeValue) };
  return value;
}

// Fail at start-up, not with silently renamed attributes, if a cbor-x upgrade writes keys otherwise.
const protoProbe = decodeStoredItem(encodeStoredItem(JSON.parse('{"m":{"M":{"__proto__":{"S":"x"}}}}') as Item, 1));
if (!Object.prototype.hasOwnProperty.call((protoProbe.m as { M: Item }).M, PROTO_KEY)) {
  throw new Error('stored-item: cbor-x no longer writes "__proto__" as a 9-byte text; such names would be renamed');
}
