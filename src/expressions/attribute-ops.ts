// Comparisons and measurements on AttributeValues with DynamoDB's semantics: numbers compared
// exactly, strings by UTF-8 bytes (code point order), binary by bytes, sets as unordered.
// No function here allocates on the common paths (N/S comparisons, set membership).

import type { AttributeValue } from '../values/types.ts';
import { compareNumbers } from '../values/number.ts';

export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';

/** The type tag of a value (its single key). */
export function typeOf(value: AttributeValue): AttributeType {
  // Checked in order of frequency; `in` on a one-key object is cheap.
  if ('S' in value) return 'S';
  if ('N' in value) return 'N';
  if ('M' in value) return 'M';
  if ('L' in value) return 'L';
  if ('BOOL' in value) return 'BOOL';
  if ('B' in value) return 'B';
  if ('SS' in value) return 'SS';
  if ('NS' in value) return 'NS';
  if ('BS' in value) return 'BS';
  return 'NULL';
}

/** Compares two strings by their UTF-8 bytes, which is code point order: −1, 0 or 1. */
export function compareStrings(a: string, b: string): number {
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 code unit order differs from code point order only between a surrogate
    // (U+D800–U+DFFF, part of a code point ≥ U+10000) and a unit ≥ U+E000: shift both ranges.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// Base64 alphabet → sextet value (−1 for anything else, including '=').
const sextet = new Int8Array(128).fill(-1);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) sextet[alphabet.charCodeAt(i)] = i;
  sextet[45] = 62; // '-' (base64url)
  sextet[95] = 63; // '_'
}

/**
 * Compares two base64 texts by the bytes they encode, without decoding: the sextet sequence
 * is the byte bit string padded with zero bits, so comparing sextets in order (shorter first
 * on a common prefix) orders exactly like the bytes.
 */
export function compareBinary(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (;;) {
    const x = i < a.length ? sextet[a.charCodeAt(i) & 127]! : -1;
    const y = j < b.length ? sextet[b.charCodeAt(j) & 127]! : -1;
    if (x < 0 || y < 0) {
      if (x < 0 && y < 0) return 0;
      return x < 0 ? -1 : 1;
    }
    if (x !== y) return x < y ? -1 : 1;
    i++;
    j++;
  }
}

/** Number of bytes a base64 text encodes. */
export function binaryLength(base64: string): number {
  let length = base64.length;
  while (length > 0 && base64.charCodeAt(length - 1) === 61) length--;
  return Math.floor((length * 3) / 4);
}

function decode(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

/** True when the bytes of `b` are a prefix of the bytes of `a` (both base64). */
export function binaryStartsWith(a: string, b: string): boolean {
  if (binaryLength(b) > binaryLength(a)) return false;
  const x = decode(a);
  const y = decode(b);
  return x.subarray(0, y.length).equals(y);
}

/** True when the bytes of `b` occur in the bytes of `a` (both base64). */
export function binaryContains(a: string, b: string): boolean {
  return decode(a).includes(decode(b));
}

function stringSetHas(set: string[], element: string): boolean {
  for (let i = 0; i < set.length; i++) if (set[i] === element) return true;
  return false;
}

function numberSetHas(set: string[], element: string): boolean {
  for (let i = 0; i < set.length; i++) if (compareNumbers(set[i]!, element) === 0) return true;
  return false;
}

function binarySetHas(set: string[], element: string): boolean {
  for (let i = 0; i < set.length; i++) if (compareBinary(set[i]!, element) === 0) return true;
  return false;
}

/** Set membership for a set of the given type (SS, NS or BS). */
export function setHas(setType: 'SS' | 'NS' | 'BS', set: string[], element: string): boolean {
  return setType === 'SS' ? stringSetHas(set, element) : setType === 'NS' ? numberSetHas(set, element) : binarySetHas(set, element);
}

function setsEqual(setType: 'SS' | 'NS' | 'BS', a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!setHas(setType, b, a[i]!)) return false;
  return true;
}

/** DynamoDB equality: same type and same value; sets regardless of order; lists and maps deeply. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  switch (type) {
    case 'S':
      return x.S === y.S;
    case 'N':
      return compareNumbers(x.N as string, y.N as string) === 0;
    case 'B':
      return compareBinary(x.B as string, y.B as string) === 0;
    case 'BOOL':
      return x.BOOL === y.BOOL;
    case 'NULL':
      return true;
    case 'SS':
    case 'NS':
    case 'BS':
      return setsEqual(type, x[type] as string[], y[type] as string[]);
    case 'L': {
      const l1 = x.L as AttributeValue[];
      const l2 = y.L as AttributeValue[];
      if (l1.length !== l2.length) return false;
      for (let i = 0; i < l1.length; i++) if (!valuesEqual(l1[i]!, l2[i]!)) return false;
      return true;
    }
    case 'M': {
      const m1 = x.M as Record<string, AttributeValue>;
      const m2 = y.M as Record<string, AttributeValue>;
      let count = 0;
      for (const key in m1) {
        const other = m2[key];
        if (other === undefined || !valuesEqual(m1[key]!, other)) return false;
        count++;
      }
      for (const _ in m2) count--;
      return count === 0;
    }
  }
}

/**
 * Orders two values of the same scalar type (N, S or B): −1, 0 or 1. Returns NaN when they are
 * not both N, both S or both B, in which case every ordering comparison is false.
 */
export function compareOrdered(a: AttributeValue, b: AttributeValue): number {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  if (x.N !== undefined) return y.N !== undefined ? compareNumbers(x.N as string, y.N as string) : NaN;
  if (x.S !== undefined) return y.S !== undefined ? compareStrings(x.S as string, y.S as string) : NaN;
  if (x.B !== undefined) return y.B !== undefined ? compareBinary(x.B as string, y.B as string) : NaN;
  return NaN;
}

/**
 * DynamoDB's size(): string length in UTF-16 code units (verified against DynamoDB: "é𝄞" has
 * size 3), bytes of a binary, elements of a set or list, entries of a map; −1 for N, BOOL, NULL.
 */
export function sizeOf(value: AttributeValue): number {
  const x = value as Record<string, unknown>;
  if (x.S !== undefined) return (x.S as string).length;
  if (x.B !== undefined) return binaryLength(x.B as string);
  if (x.L !== undefined) return (x.L as unknown[]).length;
  if (x.M !== undefined) {
    let count = 0;
    for (const _ in x.M as object) count++;
    return count;
  }
  if (x.SS !== undefined) return (x.SS as unknown[]).length;
  if (x.NS !== undefined) return (x.NS as unknown[]).length;
  if (x.BS !== undefined) return (x.BS as unknown[]).length;
  return -1;
}

/** Formats a scalar value as DynamoDB's messages do: {N:5}. */
export function formatValue(value: AttributeValue): string {
  const type = typeOf(value);
  return `{${type}:${String((value as Record<string, unknown>)[type])}}`;
}
