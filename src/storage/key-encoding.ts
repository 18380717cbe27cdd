// Order-preserving, self-delimiting byte encoding of primary keys for LMDB, and the MD5
// partition-key hash that places an item on the hash ring.
//
// Layout of an item's storage key
// -------------------------------
//   itemKey = hash32 ‖ part(partitionKey) ‖ part(sortKey)?
//   hash32  = partitionKeyHash32(partitionKey), 4 bytes big-endian
// so a table's keys sort by hash, then partition key, then sort key; a partition's hash range
// is one contiguous key range, and all items of one partition key share the prefix
// hash32 ‖ part(partitionKey) (encodePartitionKeyPrefix), inside which sort keys are in
// DynamoDB's order. Every part is self-delimiting and the set of parts is prefix-free, so
// part(a) ‖ x < part(b) ‖ y whenever a < b, and no partition's prefix is a prefix of another's.
//
// part(N): exact decimal, 1 to 22 bytes (38 digits, exponent −130..+125):
//   zero      02
//   positive  03 ‖ (exponent + 130) ‖ pair bytes ‖ 00
//   negative  01 ‖ complement of (exponent + 130, pair bytes, 00)
// where exponent is the power of ten of the first significant digit, and the significant
// digits (no leading/trailing zeros) are taken two at a time from the first, the last pair
// padded with 0, each pair p written as p + 1 (1..100), ended by 00. Bigger exponent → bigger
// magnitude; same exponent → digit strings compare lexicographically (00 ends the shorter one
// first). Complementing every byte of a prefix-free set reverses its order, so negatives sort
// by decreasing magnitude, all below zero, below all positives.
//
// part(S), part(B): the UTF-8 bytes (S) or raw bytes (B; base64 on the wire), escaped 00 → 00 FF,
// then a terminator:
//   short form  escaped ‖ 00 01
//   long form   first ≤ T escaped bytes ‖ 00 02 ‖ SHA-256(raw bytes)  (32 bytes)
// The escape keeps byte order and makes "00 01"/"00 02" unambiguous ends; 01 < FF puts "ab"
// before "ab\0…", so DynamoDB's order (bytewise; shorter prefix first) is kept exactly.
//
// Long keys. LMDB keys are at most 1978 bytes (storageKeyBytesMax) while DynamoDB allows a
// 2048-byte partition key and a 1024-byte sort key, and escaping can double a value's length.
// A part whose escaped bytes exceed its threshold T takes the long form: it keeps the longest
// prefix of whole escaped bytes of length ≤ T (T, or T − 1 when an escaped 00 FF straddles T)
// and appends 00 02 and a SHA-256 of the full value, which keeps keys unique and deterministic.
// Short and long forms share the same T, so order stays exact between any two keys except
// two long keys with the same kept prefix: those sort by digest, not by value (the residual
// limitation). Range bounds made from such a long value are widened to include every long key
// sharing its kept prefix, and the range says exact: false so the caller re-checks the
// condition on the items' real sort keys. Long-form keys cannot be decoded back to their value
// (decodeItemKey reports truncated: true); the item stored under the key holds the real value.
//   partition key part: at most partitionKeyPartBytesMax = 1024 bytes → T = 990;
//   sort key part: whatever remains, 1978 − 4 − |part(pk)| bytes (≥ 950) → T = that − 34.
// The sort key threshold depends only on the partition key, so it is the same for every item of
// a partition, which is all that ordering inside a partition needs.
import * as crypto from 'node:crypto';
import { canonicalNumber, formatNumber, parseNumber } from '../values/number.ts';
import type { AttributeValue, ScalarAttributeType } from '../values/types.ts';

/** LMDB's maximum key size in bytes (lmdb-js default build, MDB_MAXKEYSIZE 1978). */
export const storageKeyBytesMax = 1978;
/** The partition key's part of a storage key is at most this long; the sort key gets the rest. */
export const partitionKeyPartBytesMax = 1024;
export const hashPrefixBytes = 4;
const digestBytes = 32;
/** Terminator (00 01 or 00 02) plus digest: what a long form adds after its kept prefix. */
const longFormOverheadBytes = 2 + digestBytes;
const partitionKeyKeptBytesMax = partitionKeyPartBytesMax - longFormOverheadBytes;

const numberNegative = 0x01;
const numberZero = 0x02;
const numberPositive = 0x03;
const exponentBias = 130;
const terminatorShort = 0x01;
const terminatorLong = 0x02;
const escapedZero = 0xff;

// ---------------------------------------------------------------------------------------------
// Scratch writer: keys are assembled in one reusable buffer and copied out once.
let scratch = new Uint8Array(8192);
let position = 0;
let utf8Scratch = new Uint8Array(4096);
const textEncoder = new TextEncoder();
/** Whether the last S/B part written took the long form. */
let lastPartLong = false;

function ensureCapacity(extraBytes: number): void {
  const needed = position + extraBytes;
  if (needed <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < needed) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(scratch.subarray(0, position));
  scratch = grown;
}

function writeHash(hash32: number): void {
  ensureCapacity(hashPrefixBytes);
  scratch[position] = hash32 >>> 24;
  scratch[position + 1] = (hash32 >>> 16) & 0xff;
  scratch[position + 2] = (hash32 >>> 8) & 0xff;
  scratch[position + 3] = hash32 & 0xff;
  position += hashPrefixBytes;
}

function writeNumber(text: string): void {
  const n = parseNumber(text);
  ensureCapacity(23);
  if (n.sign === 0) {
    scratch[position++] = numberZero;
    return;
  }
  const flip = n.sign < 0 ? 0xff : 0;
  scratch[position++] = n.sign < 0 ? numberNegative : numberPositive;
  scratch[position++] = (n.exponent + exponentBias) ^ flip;
  const digits = n.digits;
  const count = digits.length;
  for (let i = 0; i < count; i += 2) {
    const high = digits.charCodeAt(i) - 48;
    const low = i + 1 < count ? digits.charCodeAt(i + 1) - 48 : 0;
    scratch[position++] = (high * 10 + low + 1) ^ flip;
  }
  scratch[position++] = flip;
}

/** Writes escaped bytes of `raw` (no terminator). */
function writeEscaped(raw: Uint8Array, length: number): void {
  ensureCapacity(length * 2);
  for (let i = 0; i < length; i++) {
    const byte = raw[i];
    scratch[position++] = byte;
    if (byte === 0) scratch[position++] = escapedZero;
  }
}

/** UTF-8 of `text` in utf8Scratch; returns its length. */
function utf8Into(text: string): number {
  const maxBytes = text.length * 3;
  if (maxBytes > utf8Scratch.length) utf8Scratch = new Uint8Array(Math.max(maxBytes, utf8Scratch.length * 2));
  return textEncoder.encodeInto(text, utf8Scratch).written;
}

/**
 * Writes part(S) with kept-prefix threshold `keptMax`. ASCII strings (the common case) are
 * escaped straight from their char codes; others go through UTF-8 first.
 */
function writeString(text: string, keptMax: number): void {
  const start = position;
  const length = text.length;
  ensureCapacity(length * 2 + longFormOverheadBytes);
  let i = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    scratch[position++] = c;
    if (c === 0) scratch[position++] = escapedZero;
  }
  if (i < length) {
    position = start;
    const byteLength = utf8Into(text);
    writeEscaped(utf8Scratch, byteLength);
  }
  finishBytesPart(start, keptMax, text, null);
}

function writeBinary(base64: string, keptMax: number): void {
  const raw = Buffer.from(base64, 'base64');
  const start = position;
  writeEscaped(raw, raw.length);
  finishBytesPart(start, keptMax, null, raw);
}

/** Appends the short terminator, or cuts the escaped bytes to the long form. */
function finishBytesPart(start: number, keptMax: number, text: string | null, raw: Uint8Array | null): void {
  ensureCapacity(longFormOverheadBytes);
  const escapedLength = position - start;
  if (escapedLength <= keptMax) {
    scratch[position++] = 0;
    scratch[position++] = terminatorShort;
    lastPartLong = false;
    return;
  }
  lastPartLong = true;
  // An escaped zero is 00 FF and a lone 00 never occurs otherwise: if the byte at keptMax − 1 is
  // 00, the pair straddles the cut and is left out whole.
  position = start + (scratch[start + keptMax - 1] === 0 ? keptMax - 1 : keptMax);
  scratch[position++] = 0;
  scratch[position++] = terminatorLong;
  const digest = crypto.createHash('sha256').update(text !== null ? text : (raw as Uint8Array)).digest();
  scratch.set(digest, position);
  position += digestBytes;
}

/** The escaped bytes of an S or B value, without a terminator: the prefix of every part beginning with it. */
function writeValuePrefix(value: AttributeValue): void {
  if ('S' in value) {
    const byteLength = utf8Into(value.S);
    writeEscaped(utf8Scratch, byteLength);
  } else if ('B' in value) {
    const raw = Buffer.from(value.B, 'base64');
    writeEscaped(raw, raw.length);
  } else {
    throw new Error('begins_with takes an S or B value');
  }
}

function writePart(value: AttributeValue, keptMax: number): void {
  if ('S' in value) writeString(value.S, keptMax);
  else if ('N' in value) writeNumber(value.N);
  else if ('B' in value) writeBinary(value.B, keptMax);
  else throw new Error('key attribute values must be S, N or B');
}

function takeScratch(): Uint8Array {
  return scratch.slice(0, position);
}

/** The kept-prefix threshold of a sort key part, given the length of hash32 ‖ part(pk). */
function sortKeyKeptMax(partitionPrefixBytes: number): number {
  return storageKeyBytesMax - partitionPrefixBytes - longFormOverheadBytes;
}

// ---------------------------------------------------------------------------------------------

/** part(value) on its own, as a partition key part would be encoded. */
export function encodeKeyValue(value: AttributeValue, keptBytesMax: number = partitionKeyKeptBytesMax): Uint8Array {
  position = 0;
  writePart(value, keptBytesMax);
  return takeScratch();
}

/** The 4-byte big-endian hash prefix: where a hash range starts in key space. */
export function encodeHashPrefix(hash32: number): Uint8Array {
  position = 0;
  writeHash(hash32);
  return takeScratch();
}

/** hash32 ‖ part(pk): the prefix shared by every item of one partition key. */
export function encodePartitionKeyPrefix(hash32: number, pk: AttributeValue): Uint8Array {
  position = 0;
  writeHash(hash32);
  writePart(pk, partitionKeyKeptBytesMax);
  return takeScratch();
}

/** The storage key of an item: hash32 ‖ part(pk) ‖ part(sk)?, at most storageKeyBytesMax bytes. */
export function encodeItemKey(hash32: number, pk: AttributeValue, sk?: AttributeValue): Uint8Array {
  position = 0;
  writeHash(hash32);
  writePart(pk, partitionKeyKeptBytesMax);
  if (sk !== undefined) writePart(sk, sortKeyKeptMax(position));
  return takeScratch();
}

/**
 * A key made of several parts: hash32 ‖ part(v0) ‖ part(v1) ‖ … ‖ tail, each part with its own
 * kept-prefix threshold (a secondary index's key: its key attributes, then the table's key parts
 * as `tail`). Parts are self-delimiting, so the order is the parts' order, then the tail's.
 */
export function encodeCompositeKey(hash32: number, values: readonly AttributeValue[], keptMax: readonly number[], tail: Uint8Array | null): Uint8Array {
  position = 0;
  writeHash(hash32);
  for (let i = 0; i < values.length; i++) writePart(values[i], keptMax[i]);
  if (tail !== null) {
    ensureCapacity(tail.length);
    scratch.set(tail, position);
    position += tail.length;
  }
  return takeScratch();
}

/** The parts of `values` with their thresholds, without a hash: a bound inside a composite key. */
export function encodeKeyParts(values: readonly AttributeValue[], keptMax: readonly number[]): Uint8Array {
  position = 0;
  for (let i = 0; i < values.length; i++) writePart(values[i], keptMax[i]);
  return takeScratch();
}

/** The escaped bytes of an S or B value with no terminator: every part that begins with it starts with these (begins_with). */
export function encodeKeyValuePrefix(value: AttributeValue): Uint8Array {
  position = 0;
  writeValuePrefix(value);
  return takeScratch();
}

/**
 * The hash of a multi-attribute partition key: MD5 of its values' parts, one after the other
 * (self-delimiting, so different value lists never hash the same bytes). One value hashes as a
 * table's partition key does.
 */
export function compositeKeyHash32(values: readonly AttributeValue[]): number {
  if (values.length === 1) return partitionKeyHash32(values[0]);
  position = 0;
  for (const v of values) writePart(v, partitionKeyKeptBytesMax);
  const buffer = md5Room(position);
  buffer.set(scratch.subarray(0, position));
  return md5First32(buffer, position);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface DecodedItemKey {
  hash32: number;
  pk: AttributeValue;
  sk: AttributeValue | undefined;
  /** A part was in long form: pk/sk hold only the kept prefix; read the real key from the item. */
  truncated: boolean;
}

let decodeOffset = 0;
let decodeTruncated = false;
let rawScratch = new Uint8Array(4096);

function decodePart(bytes: Uint8Array, type: ScalarAttributeType): AttributeValue {
  if (type === 'N') return { N: decodeNumber(bytes) };
  const rawLength = decodeEscaped(bytes);
  if (type === 'S') return { S: Buffer.from(rawScratch.buffer, rawScratch.byteOffset, rawLength).toString('utf8') };
  return { B: Buffer.from(rawScratch.buffer, rawScratch.byteOffset, rawLength).toString('base64') };
}

function decodeNumber(bytes: Uint8Array): string {
  let i = decodeOffset;
  const kind = bytes[i++];
  if (kind === numberZero) {
    decodeOffset = i;
    return '0';
  }
  if (kind !== numberPositive && kind !== numberNegative) throw new Error('corrupt number in storage key');
  const flip = kind === numberNegative ? 0xff : 0;
  const exponent = (bytes[i++] ^ flip) - exponentBias;
  let digits = '';
  for (;;) {
    if (i >= bytes.length) throw new Error('corrupt number in storage key');
    const b = bytes[i++] ^ flip;
    if (b === 0) break;
    const pair = b - 1;
    digits += pair < 10 ? '0' + pair : String(pair);
  }
  decodeOffset = i;
  if (digits.charCodeAt(digits.length - 1) === 48) digits = digits.slice(0, -1);
  return formatNumber({ sign: flip ? -1 : 1, digits, exponent });
}

/** Unescapes one S/B part into rawScratch, advancing decodeOffset past its terminator (and digest). */
function decodeEscaped(bytes: Uint8Array): number {
  if (rawScratch.length < bytes.length) rawScratch = new Uint8Array(bytes.length);
  let i = decodeOffset;
  let n = 0;
  for (;;) {
    if (i >= bytes.length) throw new Error('unterminated value in storage key');
    const b = bytes[i++];
    if (b !== 0) {
      rawScratch[n++] = b;
      continue;
    }
    const next = bytes[i++];
    if (next === escapedZero) {
      rawScratch[n++] = 0;
    } else if (next === terminatorShort) {
      break;
    } else if (next === terminatorLong) {
      i += digestBytes;
      decodeTruncated = true;
      break;
    } else {
      throw new Error('corrupt escape in storage key');
    }
  }
  decodeOffset = i;
  return n;
}

/** Splits a storage key back into its hash and key values (see DecodedItemKey.truncated). */
export function decodeItemKey(bytes: Uint8Array, pkType: ScalarAttributeType, skType?: ScalarAttributeType): DecodedItemKey {
  const hash32 = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  decodeOffset = hashPrefixBytes;
  decodeTruncated = false;
  const pk = decodePart(bytes, pkType);
  const sk = skType === undefined ? undefined : decodePart(bytes, skType);
  if (decodeOffset !== bytes.length) throw new Error('trailing bytes in storage key');
  return { hash32, pk, sk, truncated: decodeTruncated };
}

// ---------------------------------------------------------------------------------------------
// Query ranges

export type SortKeyCondition =
  | { op: '=' | '<' | '<=' | '>' | '>='; value: AttributeValue }
  | { op: 'BETWEEN'; low: AttributeValue; high: AttributeValue }
  | { op: 'begins_with'; value: AttributeValue };

/**
 * A range of storage keys. Scan from `start` (inclusive or not) up to `end` (if given); with a
 * `prefix`, stop as soon as a key no longer starts with it (`end` is then prefix's successor,
 * when one exists). `exact: false` means the range may hold extra keys at its edges (long sort
 * keys sharing a kept prefix with a bound): re-check the condition on each item's sort key.
 */
export interface KeyRange {
  start: Uint8Array;
  startInclusive: boolean;
  end: Uint8Array | undefined;
  endInclusive: boolean;
  prefix: Uint8Array | undefined;
  exact: boolean;
}

interface Bound {
  /** The exact storage key of the value (short or long form). */
  key: Uint8Array;
  /** Long form only: hash ‖ pk ‖ kept ‖ 00 02, the first key that may share the kept prefix… */
  longLow: Uint8Array | undefined;
  /** …and hash ‖ pk ‖ kept ‖ 00 03, just past the last one. */
  longHigh: Uint8Array | undefined;
}

/** Writes hash ‖ part(pk) and returns the sort key threshold for this partition. */
function writePartitionPrefix(hash32: number, pk: AttributeValue): number {
  position = 0;
  writeHash(hash32);
  writePart(pk, partitionKeyKeptBytesMax);
  return sortKeyKeptMax(position);
}

function bound(hash32: number, pk: AttributeValue, value: AttributeValue): Bound {
  const keptMax = writePartitionPrefix(hash32, pk);
  lastPartLong = false;
  writePart(value, keptMax);
  const key = takeScratch();
  if (!lastPartLong) return { key, longLow: undefined, longHigh: undefined };
  const keptEnd = key.length - digestBytes;
  const longLow = key.slice(0, keptEnd);
  const longHigh = key.slice(0, keptEnd);
  longHigh[keptEnd - 1] = terminatorLong + 1;
  return { key, longLow, longHigh };
}

/** The smallest byte string greater than every string starting with `prefix`, if any. */
export function prefixSuccessor(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  // A copy (Buffer's slice would be a view of the prefix, changed under its owner).
  const next = new Uint8Array(end);
  next.set(prefix.subarray(0, end));
  next[end - 1]++;
  return next;
}

/**
 * The storage key range holding the items of partition `pk` that satisfy a sort key condition
 * (all of the partition without one). Condition values must already have the sort key's type
 * (begins_with: S or B).
 */
export function sortKeyRange(hash32: number, pk: AttributeValue, condition?: SortKeyCondition): KeyRange {
  const partitionPrefix = encodePartitionKeyPrefix(hash32, pk);
  const partitionEnd = prefixSuccessor(partitionPrefix);
  if (condition === undefined) {
    return { start: partitionPrefix, startInclusive: true, end: partitionEnd, endInclusive: false, prefix: partitionPrefix, exact: true };
  }
  switch (condition.op) {
    case '=': {
      const b = bound(hash32, pk, condition.value);
      return { start: b.key, startInclusive: true, end: b.key, endInclusive: true, prefix: undefined, exact: true };
    }
    case '<':
    case '<=': {
      const b = bound(hash32, pk, condition.value);
      const inclusive = condition.op === '<=';
      if (b.longHigh !== undefined) {
        return { start: partitionPrefix, startInclusive: true, end: b.longHigh, endInclusive: false, prefix: undefined, exact: false };
      }
      return { start: partitionPrefix, startInclusive: true, end: b.key, endInclusive: inclusive, prefix: undefined, exact: true };
    }
    case '>':
    case '>=': {
      const b = bound(hash32, pk, condition.value);
      const inclusive = condition.op === '>=';
      if (b.longLow !== undefined) {
        return { start: b.longLow, startInclusive: true, end: partitionEnd, endInclusive: false, prefix: partitionPrefix, exact: false };
      }
      return { start: b.key, startInclusive: inclusive, end: partitionEnd, endInclusive: false, prefix: partitionPrefix, exact: true };
    }
    case 'BETWEEN': {
      const low = bound(hash32, pk, condition.low);
      const high = bound(hash32, pk, condition.high);
      const exact = low.longLow === undefined && high.longHigh === undefined;
      return {
        start: low.longLow ?? low.key,
        startInclusive: true,
        end: high.longHigh ?? high.key,
        endInclusive: high.longHigh === undefined,
        prefix: undefined,
        exact,
      };
    }
    case 'begins_with': {
      const value = condition.value;
      const keptMax = writePartitionPrefix(hash32, pk);
      const start = position;
      writeValuePrefix(value);
      let exact = true;
      if (position - start > keptMax) {
        // Longer than any kept prefix: match on the kept part and let the caller re-check.
        position = start + (scratch[start + keptMax - 1] === 0 ? keptMax - 1 : keptMax);
        exact = false;
      }
      const prefix = takeScratch();
      return { start: prefix, startInclusive: true, end: prefixSuccessor(prefix), endInclusive: false, prefix, exact };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Partition key hash
//
// MD5 in plain JavaScript (RFC 1321): partition keys are short, and for them this is several
// times faster than a node:crypto call, whose fixed cost dominates (bench: values.bench.ts).
// Only the first 32 bits of the digest are produced. Tests compare it with node:crypto's MD5.

const md5Shifts = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const md5Constants = new Int32Array(64);
for (let i = 0; i < 64; i++) md5Constants[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
const md5Words = new Int32Array(16);
let md5Buffer = new Uint8Array(256);

/** First four bytes of MD5(bytes[0..length)) as a big-endian unsigned integer. `bytes` must have room for the padding. */
function md5First32(bytes: Uint8Array, length: number): number {
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a 64-bit little-endian integer.
  const paddedLength = ((length + 8) >>> 6) * 64 + 64;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, paddedLength - 8);
  const bitLength = length * 8;
  bytes[paddedLength - 8] = bitLength & 0xff;
  bytes[paddedLength - 7] = (bitLength >>> 8) & 0xff;
  bytes[paddedLength - 6] = (bitLength >>> 16) & 0xff;
  bytes[paddedLength - 5] = (bitLength >>> 24) & 0xff;
  const high = Math.floor(bitLength / 4294967296);
  bytes[paddedLength - 4] = high & 0xff;
  bytes[paddedLength - 3] = (high >>> 8) & 0xff;
  bytes[paddedLength - 2] = (high >>> 16) & 0xff;
  bytes[paddedLength - 1] = (high >>> 24) & 0xff;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  const w = md5Words;
  const k = md5Constants;
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let j = 0; j < 16; j++) {
      const o = offset + j * 4;
      w[j] = bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let f: number;
    let sum: number;
    let s: number;
    for (let i = 0; i < 16; i++) {
      f = (b & c) | (~b & d);
      sum = (a + f + k[i] + w[i]) | 0;
      s = md5Shifts[i & 3];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    for (let i = 16; i < 32; i++) {
      f = (d & b) | (~d & c);
      sum = (a + f + k[i] + w[(5 * i + 1) & 15]) | 0;
      s = md5Shifts[4 + (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    for (let i = 32; i < 48; i++) {
      f = b ^ c ^ d;
      sum = (a + f + k[i] + w[(3 * i + 5) & 15]) | 0;
      s = md5Shifts[8 + (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    for (let i = 48; i < 64; i++) {
      f = c ^ (b | ~d);
      sum = (a + f + k[i] + w[(7 * i) & 15]) | 0;
      s = md5Shifts[12 + (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
  }
  // The digest starts with h0 in little-endian byte order.
  return (((h0 & 0xff) << 24) | (((h0 >>> 8) & 0xff) << 16) | (((h0 >>> 16) & 0xff) << 8) | (h0 >>> 24)) >>> 0;
}

/** Makes md5Buffer hold at least `length` bytes plus MD5 padding. */
function md5Room(length: number): Uint8Array {
  if (md5Buffer.length < length + 72) md5Buffer = new Uint8Array(Math.max(length + 72, md5Buffer.length * 2));
  return md5Buffer;
}

/** MD5 of a string's UTF-8 bytes; ASCII is copied straight from the char codes. */
function md5String(text: string): number {
  const length = text.length;
  let buffer = md5Room(length);
  let i = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    buffer[i] = c;
  }
  if (i === length) return md5First32(buffer, length);
  buffer = md5Room(length * 3);
  const written = textEncoder.encodeInto(text, buffer).written;
  return md5First32(buffer, written);
}

/**
 * MD5 of the partition key's canonical bytes (canonical number text for N, UTF-8 for S, raw
 * bytes for B), first 4 bytes as an unsigned big-endian 32-bit integer. Equal numbers written
 * differently ("1.0", "1") hash equally.
 */
export function partitionKeyHash32(pk: AttributeValue): number {
  if ('S' in pk) return md5String(pk.S);
  if ('N' in pk) return md5String(canonicalNumber(pk.N));
  if ('B' in pk) {
    const raw = Buffer.from(pk.B, 'base64');
    const buffer = md5Room(raw.length);
    buffer.set(raw);
    return md5First32(buffer, raw.length);
  }
  throw new Error('partition key values must be S, N or B');
}
