// The bytes an item is stored as: a 4-byte big-endian DynamoDB item size (so page limits and
// capacity are computed without decoding) followed by the item's DynamoDB JSON text (UTF-8), so
// that a read hands the body to the client as it is, with no decode and no re-encoding.
//
// Items written before this format (data directories, log entries, snapshots) have a cbor-x
// body instead; they still decode. The first body byte tells them apart: a JSON object starts
// with '{' (0x7b); a cbor-x map starts with 0xa0..0xbf and the escape tag below with 0xd9, and
// 0x7b in CBOR would be a text string with an 8-byte length, which no stored item ever was.
//
// JSON.parse makes a "__proto__" name an own property, so the JSON form needs no escape. In the
// cbor-x form, an item with a "__proto__" name anywhere was stored as ESCAPE_TAG(copy with names
// /^~*__proto__$/ prefixed by one "~") because cbor-x's decoder renames that key; decoding undoes it.
import { Decoder, type Tag } from 'cbor-x';
import type { AttributeValue, Item } from '../values/types.ts';
import { bufferView } from './buffer-view.ts';

const sizePrefixBytes = 4;
/** Where the JSON body of an item stored as JSON starts (isJsonStoredItem). */
export const storedJsonOffset = sizePrefixBytes;
/** '{': the first byte of a JSON body. */
const JSON_BODY = 0x7b;
/** Four characters that encode to four bytes, overwritten by the size: one string, one allocation. */
const sizePlaceholder = '\0\0\0\0';
/** CBOR tag marking an old stored item whose names were escaped. Header: d9 4d 45 (frame-codec.ts uses 4d44). */
const ESCAPE_TAG = 0x4d45;
const ESCAPED_NAME = /^~+__proto__$/;

const legacyDecoder = new Decoder({ mapsAsObjects: true, useRecords: false });

export function encodeStoredItem(item: Item, itemSizeBytes: number): Uint8Array {
  // From Buffer's pool for small items; JSON.stringify of an item is its DynamoDB JSON exactly.
  const out = Buffer.from(sizePlaceholder + JSON.stringify(item), 'utf8');
  out.writeUInt32BE(itemSizeBytes, 0);
  return out;
}

export function storedItemSize(bytes: Uint8Array): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

/** Whether the body is the item's JSON text (every item written by this version), not old cbor-x. */
export function isJsonStoredItem(bytes: Uint8Array): boolean {
  return bytes.length > sizePrefixBytes && bytes[sizePrefixBytes] === JSON_BODY;
}

/**
 * The item's DynamoDB JSON as UTF-8 bytes: a view of the stored bytes (valid as long as they
 * are), or for an item stored in the old form, its encoding.
 */
export function storedItemJson(bytes: Uint8Array): Uint8Array {
  if (isJsonStoredItem(bytes)) return bytes.subarray(sizePrefixBytes);
  return Buffer.from(JSON.stringify(decodeStoredItem(bytes)), 'utf8');
}

export function decodeStoredItem(bytes: Uint8Array): Item {
  const body = bytes.subarray(sizePrefixBytes);
  if (isJsonStoredItem(bytes)) return JSON.parse(bufferView(body).toString('utf8')) as Item;
  const item = legacyDecoder.decode(body) as Item;
  if (body.length > 2 && body[0] === 0xd9 && body[1] === ESCAPE_TAG >> 8 && body[2] === (ESCAPE_TAG & 0xff)) {
    return unescapeNames((item as unknown as Tag).value as Item);
  }
  return item;
}

// An old item's names are its attributes' and its maps' (in M values, at any depth, also inside lists).

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
