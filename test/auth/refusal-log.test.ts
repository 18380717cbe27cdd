// The log of refused signatures: one line per access key id and reason per interval, naming the
// key and why, for requests signed in either form (Authorization header or presigned URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RefusalLog, refusalLogIntervalMs } from '../../src/auth/refusal-log.ts';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { messages, type HeaderSource } from '../../src/auth/sigv4.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import { sdkSigner } from '../helpers/server.ts';

const mismatch = new DynamoError('InvalidSignatureException', messages.signatureMismatch);
const unknown = new DynamoError('UnrecognizedClientException', messages.unrecognizedClient);
const expiredAt = (date: string) => new DynamoError('InvalidSignatureException', `Signature expired: ${date} is now earlier than 20260304T045107Z (20260304T050607Z - 15 min.)`);

test('at most one line per access key id and reason per interval', () => {
  let nowMs = 1_000_000;
  const lines: string[] = [];
  const refusals = new RefusalLog((line) => lines.push(line), () => nowMs);
  // [access key id, error, lines logged once it is noted]
  const steps: Array<[string, DynamoError, number, number?]> = [
    ['local', mismatch, 1],
    ['local', mismatch, 1], // the same key and reason: not again
    ['AKIAOTHER', mismatch, 2], // another key
    ['local', unknown, 3], // another reason
    ['local', expiredAt('20260304T040000Z'), 4],
    ['local', expiredAt('20260304T030000Z'), 4], // the same reason, another date
    ['local', mismatch, 4, refusalLogIntervalMs - 1], // not yet a whole interval after the first
    ['local', mismatch, 5, 1], // now it is
  ];
  for (const [accessKeyId, error, expected, advanceMs] of steps) {
    nowMs += advanceMs ?? 0;
    refusals.note(accessKeyId, error);
    assert.equal(lines.length, expected, `${accessKeyId} ${error.message}`);
  }
  assert.match(lines[0], /^refused a request signed with access key id "local": InvalidSignatureException: The request signature we calculated does not match/);
  assert.match(lines[1], /access key id "AKIAOTHER"/);
  assert.match(lines[2], /access key id "local": unknown access key id \(not in auth.credentials\)/);
  assert.match(lines[3], /InvalidSignatureException: Signature expired: 20260304T040000Z/);
  assert.match(lines[0], new RegExp(`at most once every ${refusalLogIntervalMs / 1000} s per access key id and reason`));
});

test('a long access key id or message is cut in the log line', () => {
  const lines: string[] = [];
  const refusals = new RefusalLog((line) => lines.push(line));
  refusals.note('k'.repeat(1000), new DynamoError('IncompleteSignatureException', `Authorization=${'x'.repeat(10_000)}`));
  assert.equal(lines.length, 1);
  assert.ok(lines[0].length < 700, `${lines[0].length} characters`);
});

/** 2026-03-04T05:06:07Z, the fixed clock of these tests. */
const now = Date.UTC(2026, 2, 4, 5, 6, 7);
const request = { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 8000, path: '/', query: {}, headers: { host: '127.0.0.1:8000' }, body: '{}' };

function headerSource(headers: Record<string, string>): HeaderSource {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { getHeader: (name) => lower.get(name) ?? '' };
}

test('the authenticator logs refusals with the access key id, in header and presigned forms, and not unsigned requests', async () => {
  const lines: string[] = [];
  const auth = new Authenticator({ credentials: [{ accessKeyId: 'local', secretAccessKey: 'local' }], clockSkewSeconds: 900, now: () => now, logRefusal: (line) => lines.push(line) });
  const refused = (run: () => unknown, type: string) => assert.throws(run, (err: DynamoError) => err.kind.name === type);

  const unknownKey = await sdkSigner({ accessKeyId: 'nobody', secretAccessKey: 'x' }).sign(request, { signingDate: new Date(now) });
  refused(() => auth.begin(headerSource(unknownKey.headers), 'POST', '/', ''), 'UnrecognizedClientException');
  assert.match(lines.at(-1)!, /access key id "nobody": unknown access key id/);

  const wrongSecret = await sdkSigner({ accessKeyId: 'local', secretAccessKey: 'wrong' }).sign(request, { signingDate: new Date(now) });
  const pending = auth.begin(headerSource(wrongSecret.headers), 'POST', '/', '');
  refused(() => auth.finish(pending, Buffer.from('{}')), 'InvalidSignatureException');
  assert.match(lines.at(-1)!, /access key id "local": InvalidSignatureException: The request signature we calculated does not match/);

  const presigned = await sdkSigner({ accessKeyId: 'AKIAPRESIGNED', secretAccessKey: 'x' }).presign(request, { signingDate: new Date(now), expiresIn: 300 });
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  refused(() => auth.begin(headerSource({ host: '127.0.0.1:8000' }), 'POST', '/', query), 'UnrecognizedClientException');
  assert.match(lines.at(-1)!, /access key id "AKIAPRESIGNED": unknown access key id/);

  const logged = lines.length;
  refused(() => auth.begin(headerSource({ host: '127.0.0.1:8000' }), 'POST', '/', ''), 'MissingAuthenticationTokenException');
  assert.equal(lines.length, logged, 'an unsigned request names no key: nothing is logged');
});
