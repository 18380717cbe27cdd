// What one item is in each secondary index: whether it is there at all (sparse indexes: an item
// without every index key attribute is not), its key there, and the attributes projected into it.
// Pure functions of the index spec and the item, the same on every replica.
//
// Key layouts (every part self-delimiting, key-encoding.ts):
//   GSI entry (a key of the index's hidden table):
//     hash32(index partition key values) ‖ part(hash values…) ‖ part(range values…) ‖ table key tail
//   LSI entry (a key of the table's followers' data, beside the items):
//     hash32(pk) ‖ tag length ‖ tag ‖ part(pk) ‖ part(range value) ‖ table sort key tail
// The table key tail is the item's storage key after its hash (a GSI) or after its partition key
// part (an LSI): the index's own key, then the table's key, orders the entries and keeps them
// unique. A tail too long for what the key has left is cut and ends in a SHA-256 of itself.
import { createHash } from 'node:crypto';
import type { AttributeValue, Item, ScalarAttributeType } from '../values/types.ts';
import { compositeKeyHash32, encodeCompositeKey, encodeKeyParts, storageKeyBytesMax, hashPrefixBytes } from '../storage/key-encoding.ts';
import { validationError } from '../protocol/errors.ts';
import { partitionKeyBytesMax, sortKeyBytesMax } from '../limits.ts';
import { partitionKeyTooLargeMessage, sortKeyTooLargeMessage } from '../validation/attribute-values.ts';
import { valuesEqual } from '../expressions/attribute-ops.ts';
import { ProjectionCode, type IndexSpec, type IndexSpecEntry } from './index-spec.ts';

const digestBytes = 32;
/** A part's terminator and digest: what its long form adds after the kept bytes. */
const longFormOverhead = 34;
/** An index's partition key parts share this many bytes, its sort key parts this many. */
export const indexHashPartsBytes = 1024;
export const indexRangePartsBytes = 400;

/** Kept-prefix thresholds for an index's partition key parts, then its sort key parts. */
export function partThresholds(entry: IndexSpecEntry): { hash: number[]; range: number[] } {
  const hashEach = Math.floor(indexHashPartsBytes / entry.h.length) - longFormOverhead;
  const rangeEach = entry.r.length === 0 ? 0 : Math.floor(indexRangePartsBytes / entry.r.length) - longFormOverhead;
  return { hash: entry.h.map(() => hashEach), range: entry.r.map(() => rangeEach) };
}

const thresholds = new WeakMap<IndexSpecEntry, number[]>();

function thresholdsOf(entry: IndexSpecEntry): number[] {
  let t = thresholds.get(entry);
  if (t === undefined) {
    const { hash, range } = partThresholds(entry);
    t = [...hash, ...range];
    thresholds.set(entry, t);
  }
  return t;
}

/** The item's index key values (partition key values, then sort key values), or null: not in the index. */
export function indexKeyValues(entry: IndexSpecEntry, item: Item): AttributeValue[] | null {
  const values: AttributeValue[] = [];
  for (let i = 0; i < entry.h.length; i++) {
    const v = item[entry.h[i]];
    if (v === undefined || !(entry.ht[i] in v)) return null;
    values.push(v);
  }
  for (let i = 0; i < entry.r.length; i++) {
    const v = item[entry.r[i]];
    if (v === undefined || !(entry.rt[i] in v)) return null;
    values.push(v);
  }
  return values;
}

/** The key of the item's entry in a GSI's hidden table (null: not in the index). `tableKey` is the item's storage key. */
export function gsiEntryKey(entry: IndexSpecEntry, item: Item, tableKey: Uint8Array): Uint8Array | null {
  const values = indexKeyValues(entry, item);
  if (values === null) return null;
  const hash = compositeKeyHash32(values.slice(0, entry.h.length));
  const head = encodeCompositeKey(hash, values, thresholdsOf(entry), null);
  return withTail(head, tableKey.subarray(hashPrefixBytes));
}

/** The prefix every entry of an index partition key shares in a GSI's hidden table: hash ‖ its parts. */
export function gsiPartitionPrefix(entry: IndexSpecEntry, hashValues: readonly AttributeValue[]): { hash32: number; prefix: Uint8Array } {
  const hash32 = compositeKeyHash32(hashValues);
  return { hash32, prefix: encodeCompositeKey(hash32, hashValues, thresholdsOf(entry).slice(0, entry.h.length), null) };
}

/** part(value) of an index sort key attribute, as its entries' keys hold it. */
export function indexRangePart(entry: IndexSpecEntry, position: number, value: AttributeValue): Uint8Array {
  return encodeKeyParts([value], [thresholdsOf(entry)[entry.h.length + position]]);
}

/** An LSI's, outbox's or stream's tag in a followers'-data key: its kind and name (a digest of a very long name). */
export function followerTag(kind: 'L' | 'O' | 'S', indexName: string): Buffer {
  const name = indexName.length <= 200 ? indexName : createHash('sha256').update(indexName).digest('hex');
  return Buffer.from(kind + name, 'utf8');
}

/** hash ‖ tag length ‖ tag: where a tag's data on one hash begins. */
function taggedHead(hash: Uint8Array, tag: Buffer): Buffer {
  const head = Buffer.allocUnsafe(hashPrefixBytes + 1 + tag.length);
  head.set(hash.subarray(0, hashPrefixBytes), 0);
  head[hashPrefixBytes] = tag.length;
  tag.copy(head, hashPrefixBytes + 1);
  return head;
}

/** The partition key part of a table's storage key ends where a table sort key part begins. */
function partitionPartEnd(tableKey: Uint8Array, pk: AttributeValue): number {
  return hashPrefixBytes + encodeKeyParts([pk], [indexHashPartsBytes - longFormOverhead]).length;
}

/** The prefix of an LSI's entries for one partition key: hash ‖ tag ‖ part(pk). */
export function lsiPartitionPrefix(entry: IndexSpecEntry, hash: Uint8Array, pk: AttributeValue): Buffer {
  return Buffer.concat([taggedHead(hash, followerTag('L', entry.n)), encodeKeyParts([pk], [indexHashPartsBytes - longFormOverhead])]);
}

/** The followers'-data key of the item's LSI entry (null: not in the index). */
export function lsiEntryKey(entry: IndexSpecEntry, item: Item, tableKey: Uint8Array, pkName: string): Uint8Array | null {
  const values = indexKeyValues(entry, item);
  if (values === null) return null;
  const pk = item[pkName];
  const head = Buffer.concat([lsiPartitionPrefix(entry, tableKey, pk), indexRangePart(entry, 0, values[entry.h.length])]);
  return withTail(head, tableKey.subarray(partitionPartEnd(tableKey, pk)));
}

/**
 * The key of an outbox record: the item's hash, the index's tag, the rest of its key, then the
 * record's stamp, its log position (partition id, index): a split's children have higher ids
 * than their parent, so an item's records sort in the order of its changes across splits too.
 */
export function outboxKey(outboxName: string, tableKey: Uint8Array, pid: number, index: number, kind: 'O' | 'S' = 'O'): Uint8Array {
  const head = taggedHead(tableKey, followerTag(kind, outboxName));
  const stamp = Buffer.allocUnsafe(16);
  stamp.writeUInt32BE(0, 0);
  stamp.writeUInt32BE(pid >>> 0, 4);
  stamp.writeUInt32BE(Math.floor(index / 2 ** 32), 8);
  stamp.writeUInt32BE(index >>> 0, 12);
  const key = withTail(head, tableKey.subarray(hashPrefixBytes), stamp.length);
  return Buffer.concat([key, stamp]);
}

/** Whether a followers'-data key is an outbox record (its tag starts with O). */
export function isOutboxKey(key: Uint8Array): boolean {
  return key.length > hashPrefixBytes + 1 && key[hashPrefixBytes + 1] === 0x4f;
}

/** Whether a followers'-data key is a stream's change record (its tag starts with S). */
export function isStreamRecordKey(key: Uint8Array): boolean {
  return key.length > hashPrefixBytes + 1 && key[hashPrefixBytes + 1] === 0x53;
}

/** `head` ‖ `tail`, with the tail cut and ended by its digest when the whole would not fit a storage key (less `reserve`). */
function withTail(head: Uint8Array, tail: Uint8Array, reserve = 0): Uint8Array {
  const room = storageKeyBytesMax - reserve - head.length;
  if (tail.length <= room) {
    const key = Buffer.allocUnsafe(head.length + tail.length);
    key.set(head, 0);
    key.set(tail, head.length);
    return key;
  }
  const kept = room - digestBytes;
  const key = Buffer.allocUnsafe(head.length + room);
  key.set(head, 0);
  key.set(tail.subarray(0, kept), head.length);
  key.set(createHash('sha256').update(tail).digest(), head.length + kept);
  return key;
}

/** The item as the index holds it: its projection plus the table's and the index's key attributes. */
export function projectForIndex(spec: IndexSpec, entry: IndexSpecEntry, item: Item): Item {
  if (entry.p === ProjectionCode.ALL) return item;
  const out: Item = {};
  for (const name of spec.tk) copy(out, item, name);
  for (const name of entry.h) copy(out, item, name);
  for (const name of entry.r) copy(out, item, name);
  if (entry.p === ProjectionCode.INCLUDE) for (const name of entry.a) copy(out, item, name);
  return out;
}

function copy(out: Item, item: Item, name: string): void {
  const v = item[name];
  if (v !== undefined) Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Whether two items are the same (attribute for attribute): an index entry that would not change is not written. */
export function sameItem(a: Item, b: Item): boolean {
  let count = 0;
  for (const name in a) {
    const other = b[name];
    if (other === undefined || !valuesEqual(a[name], other)) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

/** Where a write's invalid index key came from: the item written, or an update expression's result. */
export type IndexKeySource = 'item' | 'update';

/**
 * DynamoDB's checks of a written item's index key attributes, before anything is written: each
 * present one has its index's type, is not empty, and is within the key size limits.
 */
export function checkIndexKeys(spec: IndexSpec, item: Item, source: IndexKeySource): void {
  // An attribute that keys several indexes is reported with the alphabetically first of them.
  const entries = spec.ix.length > 1 ? [...spec.ix].sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0)) : spec.ix;
  for (const entry of entries) {
    for (let i = 0; i < entry.h.length; i++) checkOne(entry, entry.h[i], entry.ht[i], item[entry.h[i]], true, source);
    for (let i = 0; i < entry.r.length; i++) checkOne(entry, entry.r[i], entry.rt[i], item[entry.r[i]], false, source);
  }
}

function checkOne(entry: IndexSpecEntry, name: string, type: ScalarAttributeType, v: AttributeValue | undefined, isHash: boolean, source: IndexKeySource): void {
  if (v === undefined) return;
  if (!(type in v)) {
    const actual = Object.keys(v)[0];
    throw validationError(`One or more parameter values were invalid: Type mismatch for Index Key ${name} Expected: ${type} Actual: ${actual} IndexName: ${entry.n}`);
  }
  if (type === 'N') return;
  const bytes = type === 'S' ? Buffer.byteLength((v as { S: string }).S, 'utf8') : Buffer.from((v as { B: string }).B, 'base64').length;
  if (bytes === 0) {
    const what = type === 'S' ? 'string' : 'binary';
    const lead = source === 'item' ? 'A value specified for a secondary index key is not supported.' : 'The update expression attempted to update a secondary index key to a value that is not supported.';
    throw validationError(`One or more parameter values are not valid. ${lead} The AttributeValue for a key attribute cannot contain an empty ${what} value. IndexName: ${entry.n}, IndexKey: ${name}`);
  }
  if (isHash ? bytes > partitionKeyBytesMax : bytes > sortKeyBytesMax) throw validationError(isHash ? partitionKeyTooLargeMessage : sortKeyTooLargeMessage);
}
