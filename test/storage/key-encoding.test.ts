import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeItemKey,
  encodeHashPrefix,
  encodeItemKey,
  encodeKeyValue,
  encodePartitionKeyPrefix,
  partitionKeyHash32,
  prefixSuccessor,
  sortKeyRange,
  storageKeyBytesMax,
  type KeyRange,
  type SortKeyCondition,
} from '../../src/storage/key-encoding.ts';
import { canonicalNumber, compareNumbers } from '../../src/values/number.ts';
import type { AttributeValue } from '../../src/values/types.ts';

// A small deterministic PRNG so failures reproduce.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(20240601);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Math.sign(Buffer.compare(a, b));
}

/** DynamoDB's order for key values of one type. */
function dynamoCompare(a: AttributeValue, b: AttributeValue): number {
  if ('N' in a && 'N' in b) return compareNumbers(a.N, b.N);
  if ('S' in a && 'S' in b) return compareBytes(Buffer.from(a.S, 'utf8'), Buffer.from(b.S, 'utf8'));
  if ('B' in a && 'B' in b) return compareBytes(Buffer.from(a.B, 'base64'), Buffer.from(b.B, 'base64'));
  throw new Error('mixed types');
}

function randomNumberText(): string {
  if (random() < 0.05) return pick(['0', '-0', '0.000', '+0', '0e5']);
  const count = 1 + int(random() < 0.5 ? 4 : 38);
  let digits = String(1 + int(9));
  for (let i = 1; i < count; i++) digits += String(random() < 0.3 ? 0 : int(10));
  const exponent = random() < 0.6 ? int(12) - 6 : int(256) - 130; // power of ten of the first digit
  const sign = random() < 0.5 ? '-' : pick(['', '', '+']);
  if (random() < 0.5) return `${sign}${digits[0]}.${digits.slice(1) || '0'}e${exponent}`;
  // Plain form with the point placed to match the exponent (keep it short enough to build).
  if (exponent >= count - 1) return sign + digits + '0'.repeat(exponent - count + 1);
  if (exponent < 0) return sign + '0.' + '0'.repeat(-exponent - 1) + digits;
  return sign + digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1) + pick(['', '0', '00']);
}

const stringAlphabet = ['a', 'b', 'a', 'b', '\u0000', '\u0001', 'z', '\u007f', '\u0080', '\u00ff', 'é', '\u0800', '\uffff', '😀', '𝄞'];
function randomString(maxLength: number): string {
  let s = '';
  const length = int(maxLength + 1);
  for (let i = 0; i < length; i++) s += pick(stringAlphabet);
  return s;
}

function randomBinary(maxLength: number): string {
  const length = int(maxLength + 1);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = pick([0, 0, 1, 0xff, 0xfe, 0x7f, 0x80, int(256)]);
  return Buffer.from(bytes).toString('base64');
}

function checkOrder(values: AttributeValue[], pk: AttributeValue, hash32: number): void {
  const encoded = values.map((v) => ({ v, key: encodeItemKey(hash32, pk, v) }));
  encoded.sort((x, y) => compareBytes(x.key, y.key));
  for (let i = 1; i < encoded.length; i++) {
    const order = dynamoCompare(encoded[i - 1].v, encoded[i].v);
    assert.ok(order <= 0, `out of order: ${JSON.stringify(encoded[i - 1].v)} before ${JSON.stringify(encoded[i].v)}`);
    if (order === 0) assert.equal(compareBytes(encoded[i - 1].key, encoded[i].key), 0, 'equal values, equal keys');
    else assert.equal(compareBytes(encoded[i - 1].key, encoded[i].key), -1, 'different values, different keys');
  }
}

test('numbers encode in DynamoDB order and round-trip (fuzz)', () => {
  const values: AttributeValue[] = [];
  for (let i = 0; i < 5000; i++) values.push({ N: randomNumberText() });
  values.push({ N: '1e-130' }, { N: '-1e-130' }, { N: '9.9999999999999999999999999999999999999E+125' },
    { N: '-9.9999999999999999999999999999999999999E+125' }, { N: '1' }, { N: '1.0' }, { N: '10' }, { N: '1.01' });
  checkOrder(values, { S: 'p' }, 7);
  for (const value of values) {
    const key = encodeItemKey(7, { S: 'p' }, value);
    const decoded = decodeItemKey(key, 'S', 'N');
    assert.deepEqual(decoded, { hash32: 7, pk: { S: 'p' }, sk: { N: canonicalNumber((value as { N: string }).N) }, truncated: false });
    assert.ok(encodeKeyValue(value).length <= 22);
  }
});

test('strings encode in UTF-8 byte order and round-trip (fuzz)', () => {
  const values: AttributeValue[] = [];
  for (let i = 0; i < 5000; i++) values.push({ S: randomString(8) });
  checkOrder(values, { N: '-12.5' }, 0xffffffff);
  for (const value of values) {
    const decoded = decodeItemKey(encodeItemKey(0xffffffff, { N: '-12.5' }, value), 'N', 'S');
    assert.deepEqual(decoded, { hash32: 0xffffffff, pk: { N: '-12.5' }, sk: value, truncated: false });
  }
});

test('binaries encode in byte order and round-trip (fuzz)', () => {
  const values: AttributeValue[] = [];
  for (let i = 0; i < 5000; i++) values.push({ B: randomBinary(8) });
  checkOrder(values, { B: 'AAE=' }, 0);
  for (const value of values) {
    const decoded = decodeItemKey(encodeItemKey(0, { B: 'AAE=' }, value), 'B', 'B');
    assert.deepEqual(decoded, { hash32: 0, pk: { B: 'AAE=' }, sk: value, truncated: false });
  }
});

test('keys sort by hash first, then partition key, then sort key', () => {
  const keys: Array<{ hash: number; pk: AttributeValue; sk: AttributeValue; key: Uint8Array }> = [];
  for (let i = 0; i < 3000; i++) {
    const hash = pick([0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, int(2 ** 32)]);
    const pk: AttributeValue = { S: randomString(3) };
    const sk: AttributeValue = { N: randomNumberText() };
    keys.push({ hash, pk, sk, key: encodeItemKey(hash, pk, sk) });
  }
  keys.sort((a, b) => compareBytes(a.key, b.key));
  for (let i = 1; i < keys.length; i++) {
    const a = keys[i - 1];
    const b = keys[i];
    assert.ok(a.hash <= b.hash);
    if (a.hash === b.hash) {
      const pkOrder = dynamoCompare(a.pk, b.pk);
      assert.ok(pkOrder <= 0);
      if (pkOrder === 0) assert.ok(dynamoCompare(a.sk, b.sk) <= 0);
    }
    assert.deepEqual(Array.from(encodeHashPrefix(a.hash)), Array.from(a.key.subarray(0, 4)));
  }
});

test('a partition key prefix covers exactly the items of that partition key', () => {
  const pks: AttributeValue[] = [];
  for (let i = 0; i < 300; i++) pks.push({ S: randomString(4) }, { B: randomBinary(4) });
  for (let i = 0; i < 300; i++) {
    const a = pick(pks);
    const b = pick(pks);
    if (('S' in a) !== ('S' in b)) continue;
    const prefix = encodePartitionKeyPrefix(5, a);
    const itemKey = encodeItemKey(5, b, { S: randomString(3) });
    const startsWith = Buffer.from(itemKey.subarray(0, prefix.length)).equals(Buffer.from(prefix));
    assert.equal(startsWith, dynamoCompare(a, b) === 0, `${JSON.stringify(a)} / ${JSON.stringify(b)}`);
  }
});

test('partitionKeyHash32 is MD5 of canonical bytes, big-endian', () => {
  // md5("a") = 0cc175b9…, md5("1") = c4ca4238…, md5("") = d41d8cd9…
  assert.equal(partitionKeyHash32({ S: 'a' }), 0x0cc175b9);
  assert.equal(partitionKeyHash32({ B: 'YQ==' }), 0x0cc175b9);
  assert.equal(partitionKeyHash32({ N: '1' }), 0xc4ca4238);
  assert.equal(partitionKeyHash32({ N: '1.0' }), 0xc4ca4238);
  assert.equal(partitionKeyHash32({ N: '+1e0' }), 0xc4ca4238);
  assert.equal(partitionKeyHash32({ S: '' }), 0xd41d8cd9);
  assert.notEqual(partitionKeyHash32({ N: '-1' }), partitionKeyHash32({ N: '1' }));
  assert.equal(partitionKeyHash32({ S: 'é' }), partitionKeyHash32({ B: Buffer.from('é').toString('base64') }));
});

test('long keys fit LMDB, stay unique, and keep order except between long keys sharing a kept prefix', () => {
  // Worst cases: escaping doubles zero bytes.
  const zeros2048 = { B: Buffer.alloc(2048).toString('base64') };
  const zeros1024 = { B: Buffer.alloc(1024).toString('base64') };
  const worst = encodeItemKey(0, zeros2048, zeros1024);
  assert.ok(worst.length <= storageKeyBytesMax, `worst case ${worst.length}`);
  assert.equal(decodeItemKey(worst, 'B', 'B').truncated, true);
  assert.ok(encodeItemKey(0, { S: '\u{10ffff}'.repeat(512) }, { S: 'é'.repeat(512) }).length <= storageKeyBytesMax);

  const pk: AttributeValue = { S: 'x'.repeat(2048) };
  // The sort key threshold here is 1978 − 4 − 1024 − 34 = 916 bytes: mix values around it,
  // including many long ones sharing the same kept prefix.
  const values: AttributeValue[] = [];
  for (let i = 0; i < 1000; i++) values.push({ S: 'q'.repeat(880 + int(45)) + randomString(random() < 0.5 ? 5 : 20) });
  for (let i = 0; i < 300; i++) values.push({ S: 'q'.repeat(920) + randomString(10) });
  for (let i = 0; i < 50; i++) values.push({ S: 'q'.repeat(870 + int(60)) });
  const encoded = values.map((v) => ({ v, key: encodeItemKey(9, pk, v) }));
  const seen = new Map<string, string>();
  for (const { v, key } of encoded) {
    assert.ok(key.length <= storageKeyBytesMax);
    const hex = Buffer.from(key).toString('hex');
    const text = (v as { S: string }).S;
    const previous = seen.get(hex);
    assert.ok(previous === undefined || previous === text, 'distinct values, distinct keys');
    seen.set(hex, text);
  }
  encoded.sort((a, b) => compareBytes(a.key, b.key));
  let longPairs = 0;
  for (let i = 1; i < encoded.length; i++) {
    const a = encoded[i - 1];
    const b = encoded[i];
    if (dynamoCompare(a.v, b.v) <= 0) continue;
    // Only allowed when both are long and share the kept prefix (everything before 00 02 ‖ digest).
    assert.ok(decodeItemKey(a.key, 'S', 'S').truncated && decodeItemKey(b.key, 'S', 'S').truncated);
    assert.ok(Buffer.from(a.key.subarray(0, a.key.length - 32)).equals(Buffer.from(b.key.subarray(0, b.key.length - 32))));
    longPairs++;
  }
  assert.ok(longPairs > 0, 'the fuzz exercised digest-ordered long keys');
});

// ------------------------------------------------------------------------------------------
// Query ranges against a simulated LMDB range scan.

function scanRange(keys: Uint8Array[], range: KeyRange): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const key of keys) {
    const s = compareBytes(key, range.start);
    if (s < 0 || (s === 0 && !range.startInclusive)) continue;
    if (range.end !== undefined) {
      const e = compareBytes(key, range.end);
      if (e > 0 || (e === 0 && !range.endInclusive)) break;
    }
    if (range.prefix !== undefined && !Buffer.from(key.subarray(0, range.prefix.length)).equals(Buffer.from(range.prefix))) {
      if (compareBytes(key, range.prefix) > 0) break;
      continue;
    }
    out.push(key);
  }
  return out;
}

function beginsWith(v: AttributeValue, p: AttributeValue): boolean {
  const a = 'S' in v ? Buffer.from(v.S, 'utf8') : Buffer.from((v as { B: string }).B, 'base64');
  const b = 'S' in p ? Buffer.from(p.S, 'utf8') : Buffer.from((p as { B: string }).B, 'base64');
  return a.length >= b.length && a.subarray(0, b.length).equals(b);
}

function matches(v: AttributeValue, c: SortKeyCondition | undefined): boolean {
  if (c === undefined) return true;
  switch (c.op) {
    case '=': return dynamoCompare(v, c.value) === 0;
    case '<': return dynamoCompare(v, c.value) < 0;
    case '<=': return dynamoCompare(v, c.value) <= 0;
    case '>': return dynamoCompare(v, c.value) > 0;
    case '>=': return dynamoCompare(v, c.value) >= 0;
    case 'BETWEEN': return dynamoCompare(v, c.low) >= 0 && dynamoCompare(v, c.high) <= 0;
    case 'begins_with': return beginsWith(v, c.value);
  }
}

/** Returns how many ranges were inexact and how many extra (non-matching) items they held. */
function checkRanges(pk: AttributeValue, make: () => AttributeValue, rounds: number, withBeginsWith: boolean): { inexact: number; extra: number } {
  let inexact = 0;
  let extra = 0;
  const hash = partitionKeyHash32(pk);
  const neighbours: AttributeValue = { S: 'neighbour' };
  const items = new Map<string, AttributeValue>();
  const all: Array<{ key: Uint8Array; v: AttributeValue | undefined }> = [];
  for (let i = 0; i < 400; i++) {
    const v = make();
    const key = encodeItemKey(hash, pk, v);
    const hex = Buffer.from(key).toString('hex');
    if (items.has(hex)) continue;
    items.set(hex, v);
    all.push({ key, v });
  }
  // Other partitions around this one must never leak into a range.
  for (const other of [encodeItemKey(hash, neighbours, make()), encodeItemKey((hash + 1) >>> 0, pk, make()), encodeItemKey((hash - 1) >>> 0, pk, make())]) {
    all.push({ key: other, v: undefined });
  }
  all.sort((a, b) => compareBytes(a.key, b.key));
  const keys = all.map((x) => x.key);
  type Op = SortKeyCondition['op'] | 'none';
  const ops: Op[] = ['=', '<', '<=', '>', '>=', 'BETWEEN', 'none'];
  if (withBeginsWith) ops.push('begins_with');
  for (let round = 0; round < rounds; round++) {
    const op = pick(ops);
    const some = () => (random() < 0.5 ? pick(all.filter((x) => x.v !== undefined)).v as AttributeValue : make());
    let condition: SortKeyCondition | undefined;
    if (op === 'none') condition = undefined;
    else if (op === 'BETWEEN') {
      let low = some();
      let high = some();
      if (dynamoCompare(low, high) > 0) [low, high] = [high, low];
      condition = { op, low, high };
    } else if (op === 'begins_with') {
      const v = some();
      const bytes = 'S' in v ? Buffer.from(v.S) : Buffer.from((v as { B: string }).B, 'base64');
      const cut = bytes.subarray(0, int(bytes.length + 1));
      condition = { op, value: 'S' in v ? { S: cut.toString('utf8') } : { B: cut.toString('base64') } };
      if ('S' in v && Buffer.from((condition.value as { S: string }).S).length !== cut.length) continue; // cut inside a character
    } else {
      condition = { op, value: some() };
    }
    const range = sortKeyRange(hash, pk, condition);
    const got = scanRange(keys, range).map((k) => items.get(Buffer.from(k).toString('hex')));
    assert.ok(got.every((v) => v !== undefined), 'no key of another partition');
    const filtered = (got as AttributeValue[]).filter((v) => matches(v, condition));
    const expected = all.filter((x) => x.v !== undefined && matches(x.v, condition)).map((x) => x.v);
    assert.deepEqual(filtered, expected, JSON.stringify(condition));
    if (range.exact) assert.equal(got.length, filtered.length, 'an exact range holds only matches');
    else inexact++;
    extra += got.length - filtered.length;
  }
  return { inexact, extra };
}

test('sortKeyRange selects exactly the matching sort keys (N)', () => {
  checkRanges({ S: 'orders' }, () => ({ N: randomNumberText() }), 1500, false);
});

test('sortKeyRange selects exactly the matching sort keys (S and B, begins_with)', () => {
  checkRanges({ N: '42' }, () => ({ S: randomString(5) }), 1500, true);
  checkRanges({ B: 'AP8=' }, () => ({ B: randomBinary(5) }), 1500, true);
});

test('sortKeyRange on long sort keys is a superset flagged inexact where needed', () => {
  // Threshold 916 bytes: suffixes longer than 6 bytes make long keys, often sharing a kept prefix.
  const base = 'k'.repeat(910);
  const { inexact, extra } = checkRanges({ S: 'p'.repeat(1500) }, () => ({ S: base + randomString(random() < 0.3 ? 2 : 40) }), 300, true);
  assert.ok(inexact > 0 && extra > 0, `inexact ${inexact}, extra ${extra}`);
});

test('prefixSuccessor', () => {
  assert.deepEqual(Array.from(prefixSuccessor(Uint8Array.from([1, 2, 3])) ?? []), [1, 2, 4]);
  assert.deepEqual(Array.from(prefixSuccessor(Uint8Array.from([1, 0xff, 0xff])) ?? []), [2]);
  assert.equal(prefixSuccessor(Uint8Array.from([0xff, 0xff])), undefined);
});

test('partitionKeyHash32 agrees with node:crypto MD5 on many inputs', async () => {
  const { createHash } = await import('node:crypto');
  const reference = (bytes: Uint8Array) => createHash('md5').update(bytes).digest().readUInt32BE(0);
  for (let length = 0; length < 300; length++) {
    const text = 'k'.repeat(length);
    assert.equal(partitionKeyHash32({ S: text }), reference(Buffer.from(text)), `length ${length}`);
  }
  for (let i = 0; i < 2000; i++) {
    const s = randomString(int(3) === 0 ? 100 : 20);
    assert.equal(partitionKeyHash32({ S: s }), reference(Buffer.from(s, 'utf8')), JSON.stringify(s));
    const b = randomBinary(i % 150);
    assert.equal(partitionKeyHash32({ B: b }), reference(Buffer.from(b, 'base64')));
    const n = randomNumberText();
    assert.equal(partitionKeyHash32({ N: n }), reference(Buffer.from(canonicalNumber(n))), n);
  }
  const big = 'é'.repeat(1024);
  assert.equal(partitionKeyHash32({ S: big }), reference(Buffer.from(big)));
});
