import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { decimalBytes, headerBytes, headerNameBytes } from '../../src/protocol/header-bytes.ts';
import { crc32Of, nextRequestNumber, requestIdBytes } from '../../src/protocol/wire.ts';

const text = (bytes: Uint8Array | ArrayBuffer): string => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('latin1');

test('decimalBytes writes what String() does, for the edges and a seeded spread of 32-bit numbers', () => {
  const edges = [0, 1, 9, 10, 99, 100, 4_294_967_295, 4_294_967_294, 1_000_000_000, 999_999_999, 2 ** 31, 2 ** 31 - 1];
  let seed = 20261207;
  const spread = Array.from({ length: 5000 }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> (seed & 31);
  });
  for (const n of [...edges, ...spread]) assert.equal(text(decimalBytes(n)), String(n), `${n}`);
});

test('decimalBytes refuses what is not an unsigned 32-bit number', () => {
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) assert.throws(() => decimalBytes(bad), RangeError, String(bad));
});

test('crc32Of is the decimal x-amz-crc32 of the UTF-8 bytes, for text and bytes alike', () => {
  for (const body of ['', '{}', '{"Item":{"pk":{"S":"é€😀"}}}', 'x'.repeat(5000)]) {
    assert.equal(text(crc32Of(body)), String(crc32(Buffer.from(body, 'utf8'))));
    assert.equal(text(crc32Of(Buffer.from(body, 'utf8'))), String(crc32(Buffer.from(body, 'utf8'))));
  }
});

test('request ids: 52 upper-case base32 digits, the same prefix, a counter that makes each one different', () => {
  const seen = new Set<string>();
  let prefix: string | null = null;
  for (let i = 0; i < 3000; i++) {
    const id = text(requestIdBytes(nextRequestNumber()));
    assert.match(id, /^[A-Z2-7]{52}$/);
    prefix ??= id.slice(0, 36);
    assert.equal(id.slice(0, 36), prefix);
    seen.add(id);
  }
  assert.equal(seen.size, 3000);
  // Every digit of the counter moves: the low 30 bits make the last 6, the rest the 10 before.
  assert.equal(text(requestIdBytes(0)).slice(36), 'A'.repeat(16));
  assert.equal(text(requestIdBytes(2 ** 30)).slice(36), 'A'.repeat(9) + 'B' + 'A'.repeat(6));
  assert.equal(text(requestIdBytes(2 ** 48 - 1)).slice(36), 'A'.repeat(6) + 'H' + '7'.repeat(9));
});

test('headerBytes encodes a fixed header once, as its ASCII bytes', () => {
  assert.equal(text(headerBytes('x-amzn-RequestId')), 'x-amzn-RequestId');
  assert.ok(headerBytes('Server') instanceof ArrayBuffer);
});

test('headerNameBytes: a name as bytes, the same ones each time, and right past what it keeps', () => {
  assert.equal(headerNameBytes('x-amz-date'), headerNameBytes('x-amz-date'), 'kept');
  for (let i = 0; i < 1000; i++) assert.equal(text(headerNameBytes(`x-signed-${i}`)), `x-signed-${i}`);
  assert.equal(text(headerNameBytes('x-amz-date')), 'x-amz-date');
});
