// The bytes an item is stored as: a 4-byte big-endian DynamoDB item size (so page limits and
// capacity are computed without decoding) followed by the cbor-x encoded item.
import { Encoder } from 'cbor-x';
import type { Item } from '../values/types.ts';

const itemEncoder = new Encoder({ mapsAsObjects: true, useRecords: false });
const sizePrefixBytes = 4;

export function encodeStoredItem(item: Item, itemSizeBytes: number): Uint8Array {
  const body = itemEncoder.encode(item) as Uint8Array;
  const out = new Uint8Array(sizePrefixBytes + body.length);
  new DataView(out.buffer).setUint32(0, itemSizeBytes);
  out.set(body, sizePrefixBytes);
  return out;
}

export function storedItemSize(bytes: Uint8Array): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

export function decodeStoredItem(bytes: Uint8Array): Item {
  return itemEncoder.decode(bytes.subarray(sizePrefixBytes)) as Item;
}
