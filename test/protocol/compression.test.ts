// Content codings: which Content-Encoding and Accept-Encoding headers name, and inflation that
// stops at its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { acceptsGzip, BodyEncoding, bodyEncodingOf, inflateBody, type InflateFailure } from '../../src/protocol/compression.ts';

test('Content-Encoding names a coding monodyne takes, or none', () => {
  const cases: Array<[string, number]> = [
    ['', BodyEncoding.Identity],
    ['identity', BodyEncoding.Identity],
    ['gzip', BodyEncoding.Gzip],
    [' GZip ', BodyEncoding.Gzip],
    ['x-gzip', BodyEncoding.Gzip],
    ['deflate', BodyEncoding.Deflate],
    ['br', -1],
    ['gzip, deflate', -1],
    ['compress', -1],
  ];
  for (const [header, expected] of cases) assert.equal(bodyEncodingOf(header), expected, header);
});

test('Accept-Encoding takes gzip when it names it (or *) without q=0', () => {
  const cases: Array<[string, boolean]> = [
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate, GZIP', true],
    ['identity', false],
    ['br;q=1.0, gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0, identity', false],
    ['*', true],
    ['*;q=0', false],
    ['gzipped', false],
  ];
  for (const [header, expected] of cases) assert.equal(acceptsGzip(header), expected, header);
});

function inflated(body: Buffer, encoding: 1 | 2, bytesMax: number): Promise<{ failure: InflateFailure | null; text: string | null }> {
  return new Promise((resolve) => inflateBody(body, encoding, bytesMax, (failure, out) => resolve({ failure, text: out === null ? null : out.toString() })));
}

test('bodies inflate in each coding, stop past their bound, and corrupt ones fail', async () => {
  const json = Buffer.from(JSON.stringify({ TableName: 't'.repeat(100) }));
  assert.deepEqual(await inflated(gzipSync(json), BodyEncoding.Gzip, 1024), { failure: null, text: json.toString() });
  assert.deepEqual(await inflated(deflateSync(json), BodyEncoding.Deflate, 1024), { failure: null, text: json.toString() });
  assert.deepEqual(await inflated(deflateRawSync(json), BodyEncoding.Deflate, 1024), { failure: null, text: json.toString() });
  // Exactly at the bound is fine; one byte past it is not.
  assert.equal((await inflated(gzipSync(json), BodyEncoding.Gzip, json.length)).failure, null);
  assert.equal((await inflated(gzipSync(json), BodyEncoding.Gzip, json.length - 1)).failure, 'tooLarge');
  assert.equal((await inflated(gzipSync(Buffer.alloc(64 * 1024 * 1024)), BodyEncoding.Gzip, 1024 * 1024)).failure, 'tooLarge');
  assert.equal((await inflated(json, BodyEncoding.Gzip, 1024)).failure, 'corrupt');
  assert.equal((await inflated(gzipSync(json).subarray(0, 20), BodyEncoding.Gzip, 1024)).failure, 'corrupt');
});
