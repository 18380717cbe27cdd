// SigV4 verification against the AWS SDK's own signer (@smithy/signature-v4, what
// DynamoDBClient signs with), and DynamoDB's error for every way a signature can be wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SigV4Verifier, deriveSigningKey, messages, type HeaderSource } from '../../src/auth/sigv4.ts';
import { createHash, createHmac } from 'node:crypto';
import { DynamoError } from '../../src/protocol/errors.ts';
import { sdkSigner } from '../helpers/server.ts';

const credentials = [
  { accessKeyId: 'local', secretAccessKey: 'local' },
  { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
];
const byKey = new Map(credentials.map((c) => [c.accessKeyId, c]));
/** 2026-03-04T05:06:07Z, the fixed clock of these tests. */
const now = Date.UTC(2026, 2, 4, 5, 6, 7);

function verifier(clock = now): SigV4Verifier<(typeof credentials)[number]> {
  return new SigV4Verifier({ lookup: (id) => byKey.get(id), clockSkewSeconds: 900, now: () => clock });
}

class Headers implements HeaderSource {
  private readonly map = new Map<string, string>();
  constructor(headers: Record<string, string>) {
    for (const [k, v] of Object.entries(headers)) this.map.set(k.toLowerCase(), v);
  }
  getHeader(name: string): string {
    return this.map.get(name) ?? '';
  }
}

interface Request {
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  credential?: (typeof credentials)[number];
  region?: string;
  date?: number;
}

async function sign(r: Request = {}): Promise<{ headers: Headers; path: string; query: string; body: Buffer }> {
  const body = r.body ?? '{"TableName":"Music"}';
  const signed = await sdkSigner(r.credential ?? credentials[0], r.region ?? 'us-east-1').sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8000,
      path: r.path ?? '/',
      query: r.query ?? {},
      headers: { host: '127.0.0.1:8000', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem', ...r.headers },
      body,
    },
    { signingDate: new Date(r.date ?? now) },
  );
  return { headers: new Headers(signed.headers as Record<string, string>), path: r.path ?? '/', query: encodeQuery(r.query ?? {}), body: Buffer.from(body) };
}

function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function verify(req: { headers: HeaderSource; path: string; query: string; body: Buffer }, v = verifier()): string {
  const pending = v.begin(req.headers, 'POST', req.path, req.query);
  v.finish(pending, req.body);
  return pending.credential.accessKeyId;
}

function expectError(fn: () => unknown, name: string, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DynamoError, `expected a DynamoError, got ${String(err)}`);
    assert.equal(err.kind.name, name);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('requests signed by the AWS SDK verify: bodies, paths, query strings, regions, header whitespace', async () => {
  const cases: Request[] = [
    {},
    { body: '' },
    { body: JSON.stringify({ TableName: 'Müsic', Item: { k: { S: '✓ ünïcödé \u0000 "quoted"' } } }) },
    { body: 'x'.repeat(100_000) },
    { credential: credentials[1], region: 'eu-west-3' },
    { path: '/some/where' },
    { path: '/a%20b/c' },
    { query: { b: '2', a: '1', 'with space': 'v/w', empty: '' } },
    { headers: { 'x-custom': '  lots   of   space  ' } },
    { date: now - 14 * 60_000 },
    { date: now + 14 * 60_000 },
  ];
  for (const c of cases) assert.equal(verify(await sign(c)), (c.credential ?? credentials[0]).accessKeyId, JSON.stringify(c).slice(0, 80));
});

test('presigned (query-string) requests signed by the SDK verify, until they expire', async () => {
  const body = '{"TableName":"Music"}';
  const presigned = await sdkSigner(credentials[1]).presign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8000,
      path: '/',
      query: {},
      headers: { host: '127.0.0.1:8000' },
      body,
    },
    { signingDate: new Date(now), expiresIn: 300 },
  );
  const query = encodeQuery(presigned.query as Record<string, string>);
  assert.match(query, /X-Amz-Signature=/);
  const req = { headers: new Headers({ host: '127.0.0.1:8000' }), path: '/', query, body: Buffer.from(body) };
  assert.equal(verify(req), 'AKIDEXAMPLE');
  expectError(() => verify(req, verifier(now + 301_000)), 'InvalidSignatureException', /^Signature expired: /);
  expectError(() => verify({ ...req, body: Buffer.from('{"TableName":"Other"}') }), 'InvalidSignatureException', messages.signatureMismatch);
  expectError(
    () => verify({ ...req, headers: new Headers({ host: '127.0.0.1:8000', authorization: 'AWS4-HMAC-SHA256 x' }) }),
    'InvalidSignatureException',
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
  );
  expectError(
    () => verify({ ...req, query: query.replace(/X-Amz-Credential=[^&]*&?/, '') }),
    'IncompleteSignatureException',
    /^AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential'/,
  );
});

test('a changed body, header, path or secret fails with InvalidSignatureException', async () => {
  const good = await sign();
  expectError(() => verify({ ...good, body: Buffer.from('{"TableName":"Musik"}') }), 'InvalidSignatureException', messages.signatureMismatch);
  const changedHeader = await sign();
  const headerMap = (changedHeader.headers as unknown as { map: Map<string, string> }).map;
  headerMap.set('x-amz-target', 'DynamoDB_20120810.DeleteTable');
  expectError(() => verify(changedHeader), 'InvalidSignatureException', messages.signatureMismatch);
  headerMap.set('x-amz-target', 'DynamoDB_20120810.GetItem');
  assert.equal(verify(changedHeader), 'local', 'the untouched request verifies');
  expectError(() => verify({ ...good, path: '/other' }), 'InvalidSignatureException', messages.signatureMismatch);
  const wrongSecret = await sign({ credential: { accessKeyId: 'local', secretAccessKey: 'not-local' } });
  expectError(() => verify(wrongSecret), 'InvalidSignatureException', messages.signatureMismatch);
});

test("DynamoDB's errors, messages and order for malformed Authorization headers", async () => {
  const v = verifier();
  const date = '20260304T050607Z';
  const begin = (headers: Record<string, string>) => () => v.begin(new Headers({ host: 'h', ...headers }), 'POST', '/', '');
  expectError(begin({}), 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  expectError(begin({ authorization: 'AWS4' }), 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  expectError(begin({ authorization: 'Bearer abc' }), 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  expectError(
    begin({ authorization: 'AWS4-' }),
    'IncompleteSignatureException',
    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
      "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
      "'X-Amz-Date' or a 'Date' header. Authorization=AWS4-",
  );
  expectError(
    begin({ authorization: 'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders', 'x-amz-date': date }),
    'IncompleteSignatureException',
    "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'.",
  );
  const auth = (credential: string, signed = 'host;x-amz-date', alg = 'AWS4-HMAC-SHA256') =>
    `${alg} Credential=${credential}, SignedHeaders=${signed}, Signature=${'0'.repeat(64)}`;
  expectError(
    begin({ authorization: auth('local/20260304/us-east-1/dynamodb/aws4_request'), 'x-amz-date': '201' }),
    'IncompleteSignatureException',
    "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601",
  );
  // The date window is checked before anything else about the credential (as DynamoDB does).
  expectError(
    begin({ authorization: auth('local/2/3/4/aws4_request'), 'x-amz-date': '20260304T044000Z' }),
    'InvalidSignatureException',
    'Signature expired: 20260304T044000Z is now earlier than 20260304T045107Z (20260304T050607Z - 15 min.)',
  );
  expectError(
    begin({ authorization: auth('local/2/3/4/aws4_request'), 'x-amz-date': '20260304T052500Z' }),
    'InvalidSignatureException',
    'Signature not yet current: 20260304T052500Z is still later than 20260304T052107Z (20260304T050607Z + 15 min.)',
  );
  expectError(
    begin({ authorization: auth('local/20260304/us-east-1/dynamodb/aws4_request', 'x-amz-date'), 'x-amz-date': date }),
    'InvalidSignatureException',
    "'Host' must be a 'SignedHeader' in the AWS Authorization.",
  );
  expectError(
    begin({ authorization: auth('local/20260304/us-east-1/dynamodb/aws4_request', 'host', 'AWS4-HMAC-SHA25'), 'x-amz-date': date }),
    'IncompleteSignatureException',
    "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ",
  );
  expectError(
    begin({ authorization: auth('a/b/c/d'), 'x-amz-date': date }),
    'IncompleteSignatureException',
    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'",
  );
  expectError(
    begin({ authorization: auth('local/b/C!/d/e'), 'x-amz-date': date }),
    'InvalidSignatureException',
    "Credential should be scoped to a valid region, not 'C!'. Credential should be scoped to correct service: 'dynamodb'. " +
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential scope does not match " +
      "YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20260304', from '20260304T050607Z'.",
  );
  // Trailing slashes are ignored; then the key id is looked up.
  expectError(
    begin({ authorization: auth('nobody/20260304/us-east-1/dynamodb/aws4_request//'), 'x-amz-date': date }),
    'UnrecognizedClientException',
    'The security token included in the request is invalid.',
  );
});

/** A ListTables request signed by the SDK's signer with a session token (dynamodb-admin's credentials have one). */
async function signWithToken(credential: { accessKeyId: string; secretAccessKey: string }, sessionToken: string) {
  const withToken = { ...credential, sessionToken };
  const signed = await sdkSigner(withToken).sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 8000, path: '/', query: {}, headers: { host: '127.0.0.1:8000', 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' },
    { signingDate: new Date(now) },
  );
  return { headers: new Headers(signed.headers as Record<string, string>), path: '/', query: '', body: Buffer.from('{}') };
}

test('a session token is signed but ignored: header form', async () => {
  const token = 'FwoGZXIvYXdzE';
  const req = await signWithToken(credentials[0], token);
  assert.equal(req.headers.getHeader('x-amz-security-token'), token);
  assert.match(req.headers.getHeader('authorization'), /SignedHeaders=[^,]*x-amz-security-token/);
  assert.equal(verify(req), 'local');
  // The token is covered by the signature: changing it is a signature mismatch, not an ignored header.
  (req.headers as unknown as { map: Map<string, string> }).map.set('x-amz-security-token', 'another');
  expectError(() => verify(req), 'InvalidSignatureException', messages.signatureMismatch);
  // A token never stands in for a secret or an access key.
  const forged = await signWithToken({ accessKeyId: 'local', secretAccessKey: 'guess' }, token);
  expectError(() => verify(forged), 'InvalidSignatureException', messages.signatureMismatch);
  const stranger = await signWithToken({ accessKeyId: 'ASIANOBODY', secretAccessKey: 'x' }, token);
  expectError(() => verify(stranger), 'UnrecognizedClientException', messages.unrecognizedClient);
});

test('a session token is signed but ignored: presigned query form', async () => {
  const withToken = { ...credentials[1], sessionToken: 'IQoJb3JpZ2luX2VjE' };
  const body = '{"TableName":"Music"}';
  const presigned = await sdkSigner(withToken).presign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 8000, path: '/', query: {}, headers: { host: '127.0.0.1:8000' }, body },
    { signingDate: new Date(now), expiresIn: 300 },
  );
  const query = encodeQuery(presigned.query as Record<string, string>);
  assert.match(query, /X-Amz-Security-Token=IQoJb3JpZ2luX2VjE/);
  const req = { headers: new Headers({ host: '127.0.0.1:8000' }), path: '/', query, body: Buffer.from(body) };
  assert.equal(verify(req), 'AKIDEXAMPLE');
  expectError(() => verify({ ...req, query: query.replace('IQoJb3JpZ2luX2VjE', 'changed') }), 'InvalidSignatureException', messages.signatureMismatch);
});

test('commas alone may separate the components of the Authorization header', async () => {
  const good = await sign();
  const text = good.headers.getHeader('authorization');
  const [alg, ...rest] = text.split(' ');
  const compact = new Headers({});
  for (const name of good.headers.getHeader('authorization').match(/SignedHeaders=([^,]+)/)![1].split(';')) {
    (compact as unknown as { map: Map<string, string> }).map.set(name, good.headers.getHeader(name));
  }
  (compact as unknown as { map: Map<string, string> }).map.set('authorization', `${alg} ${rest.join('')}`);
  assert.equal(verify({ ...good, headers: compact }), 'local');
});

test('signing keys are derived once per (access key, date, region) and cached', async () => {
  const v = verifier();
  for (let i = 0; i < 5; i++) verify(await sign(), v);
  assert.equal(v.cachedSigningKeys, 1);
  verify(await sign({ region: 'eu-west-1' }), v);
  verify(await sign({ credential: credentials[1] }), v);
  assert.equal(v.cachedSigningKeys, 3);
  const bounded = new SigV4Verifier({ lookup: (id) => byKey.get(id), clockSkewSeconds: 900, now: () => now, signingKeyCacheEntriesMax: 2 });
  for (const region of ['r-1', 'r-2', 'r-3', 'r-4', 'r-5']) verify(await sign({ region }), bounded);
  assert.ok(bounded.cachedSigningKeys <= 2);
});

test("the signing key derivation matches AWS's documented example", () => {
  // Signature Version 4 documentation, "Examples of how to derive a signing key".
  const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam');
  assert.equal(key.toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
});

test('what is kept from request to request (parsed header, credential scope, date) never lets a wrong request through', async () => {
  const lateClock = Date.UTC(2026, 2, 4, 23, 58, 0);
  const v = verifier(lateClock);
  const good = await sign({ date: lateClock });
  assert.equal(verify(good, v), 'local');
  assert.equal(verify(await sign({ date: lateClock, body: '{"TableName":"Other"}' }), v), 'local', 'a second request with the same header but its own signature');
  // The same header with another signature: the cached parse must not carry the old one.
  const authorization = good.headers.getHeader('authorization');
  assert.equal(verify({ ...good, headers: new Headers(headersOf(good.headers)) }, v), 'local', 'the headers rebuilt verify');
  const other = authorization.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
  expectError(() => verify({ ...good, headers: new Headers({ ...headersOf(good.headers), authorization: other }) }, v), 'InvalidSignatureException', messages.signatureMismatch);
  // The same Credential scope (day 20260304) with a date of the next day, inside the clock skew.
  expectError(
    () => verify({ ...good, headers: new Headers({ ...headersOf(good.headers), 'x-amz-date': '20260305T000500Z' }) }, v),
    'InvalidSignatureException',
    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260304' != '20260305', from '20260305T000500Z'.",
  );
  // And the original still verifies after both failures.
  assert.equal(verify(good, v), 'local');
});

/** The headers of a signed request as a plain record (the SDK signer's names, lower-cased). */
function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['host', 'content-type', 'x-amz-target', 'x-amz-date', 'x-amz-content-sha256', 'authorization', 'content-length']) {
    const value = headers.getHeader(name);
    if (value !== '') out[name] = value;
  }
  return out;
}

/** A verifier whose clock the test moves. */
function movableVerifier(start: number, options: { authorizationCacheEntriesMax?: number; signingKeyCacheEntriesMax?: number } = {}) {
  const clock = { ms: start };
  const v = new SigV4Verifier({ lookup: (id) => byKey.get(id), clockSkewSeconds: 900, now: () => clock.ms, ...options });
  return { v, clock };
}

/** The request with some headers replaced (the Authorization header among them, or not). */
function withHeaders(req: Awaited<ReturnType<typeof sign>>, changes: Record<string, string>): Awaited<ReturnType<typeof sign>> {
  return { ...req, headers: new Headers({ ...headersOf(req.headers), ...changes }) };
}

test('a kept Authorization prefix: the signature and every signed header are still checked on each request', async () => {
  const { v } = movableVerifier(now);
  const good = await sign();
  const authorization = good.headers.getHeader('authorization');
  assert.match(authorization, /, Signature=[0-9a-f]{64}$/, 'the SDK puts the signature last: the fast path');
  assert.equal(verify(good, v), 'local');
  assert.equal(v.cachedParses.recentPrefixes, 1);
  const prefix = authorization.slice(0, -64);
  const signature = authorization.slice(-64);
  const flipped = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1);
  for (const [what, text] of [
    ['another hex signature', prefix + flipped],
    ['a signature one character short', prefix + signature.slice(1)],
    ['a signature one character long', prefix + signature + '0'],
    ['the signature in upper case', prefix + signature.toUpperCase()],
  ] as const) {
    expectError(() => verify(withHeaders(good, { authorization: text }), v), 'InvalidSignatureException', messages.signatureMismatch);
    assert.equal(verify(good, v), 'local', `after ${what}, the good request still verifies`);
  }
  // Text after the signature is parsed, not taken for part of it: a second Credential overrides the first.
  expectError(
    () => verify(withHeaders(good, { authorization: `${authorization}, Credential=nobody/20260304/us-east-1/dynamodb/aws4_request` }), v),
    'UnrecognizedClientException',
    messages.unrecognizedClient,
  );
  // An empty signature after a kept prefix is missing, as on first sight.
  expectError(() => verify(withHeaders(good, { authorization: prefix }), v), 'IncompleteSignatureException', /^Authorization header requires 'Signature' parameter\. /);
  // Same prefix, same signature, a signed header's value changed: the canonical request is built anew.
  for (const [name, value] of [
    ['x-amz-target', 'DynamoDB_20120810.DeleteTable'],
    ['host', '127.0.0.1:8001'],
    ['content-type', 'application/x-amz-json-1.1'],
    ['x-amz-date', '20260304T050608Z'],
  ] as const) {
    assert.notEqual(good.headers.getHeader(name), '', `${name} is signed`);
    expectError(() => verify(withHeaders(good, { [name]: value }), v), 'InvalidSignatureException', messages.signatureMismatch);
  }
  expectError(() => verify({ ...good, body: Buffer.from('{"TableName":"Other"}') }, v), 'InvalidSignatureException', messages.signatureMismatch);
  assert.equal(verify(good, v), 'local');
});

test('a kept date is read again against the clock: a replay beyond the skew window is refused', async () => {
  const { v, clock } = movableVerifier(now);
  const first = await sign();
  const second = await sign({ date: now + 1000 });
  assert.equal(verify(first, v), 'local');
  assert.equal(verify(second, v), 'local');
  // Both dates are now kept; 15 min and 1 s later the first is outside the window, the second just inside.
  clock.ms = now + 901_000;
  expectError(
    () => verify(first, v),
    'InvalidSignatureException',
    'Signature expired: 20260304T050607Z is now earlier than 20260304T050608Z (20260304T052108Z - 15 min.)',
  );
  assert.equal(verify(second, v), 'local');
  clock.ms = now + 902_000;
  expectError(() => verify(second, v), 'InvalidSignatureException', /^Signature expired: 20260304T050608Z is now earlier than /);
  // And the other side of the window: a kept date that is now too far ahead of a clock set back.
  clock.ms = now - 901_000;
  expectError(() => verify(first, v), 'InvalidSignatureException', /^Signature not yet current: 20260304T050607Z is still later than /);
  clock.ms = now;
  assert.equal(verify(first, v), 'local');
  assert.equal(verify(second, v), 'local');
});

test('a kept scope is checked against each request\'s date', async () => {
  const lateClock = Date.UTC(2026, 2, 4, 23, 59, 0);
  const { v, clock } = movableVerifier(lateClock);
  const today = await sign({ date: lateClock });
  assert.equal(verify(today, v), 'local');
  // After midnight the same prefix (scope 20260304) with the next day's date is refused...
  clock.ms = lateClock + 120_000;
  expectError(
    () => verify(withHeaders(today, { 'x-amz-date': '20260305T000100Z' }), v),
    'InvalidSignatureException',
    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260304' != '20260305', from '20260305T000100Z'.",
  );
  // ...while a request signed for the new day verifies under its own scope and key.
  assert.equal(verify(await sign({ date: clock.ms }), v), 'local');
  assert.equal(v.cachedSigningKeys, 2);
});

test('the kept parses stay bounded under many distinct Authorization prefixes', async () => {
  const { v } = movableVerifier(now, { authorizationCacheEntriesMax: 8, signingKeyCacheEntriesMax: 4 });
  for (let i = 0; i < 40; i++) {
    const req = await sign({ region: `region-${i}`, headers: i % 2 === 0 ? {} : { 'x-extra': String(i) } });
    assert.equal(verify(req, v), 'local');
    const kept = v.cachedParses;
    assert.ok(kept.authorizations <= 8, `${kept.authorizations} parsed headers kept`);
    assert.ok(kept.recentPrefixes <= 4, `${kept.recentPrefixes} recent prefixes kept`);
    assert.ok(kept.scopes <= 4, `${kept.scopes} scopes kept`);
    assert.ok(v.cachedSigningKeys <= 4, `${v.cachedSigningKeys} signing keys kept`);
  }
  // The first prefixes were dropped along the way; their requests still verify (parsed again).
  assert.equal(verify(await sign({ region: 'region-0' }), v), 'local');
});

test('with the Date header standing in for X-Amz-Date, a signed x-amz-date is its own (empty) value', () => {
  // Signed by hand: no SDK signs without X-Amz-Date. DynamoDB reads the date from Date then.
  const httpDate = new Date(now).toUTCString();
  const body = '{}';
  const canonical =
    `POST\n/\n\ndate:${httpDate}\nhost:127.0.0.1:8000\nx-amz-date:\n\ndate;host;x-amz-date\n` + createHash('sha256').update(body).digest('hex');
  const scope = '20260304/us-east-1/dynamodb/aws4_request';
  const stringToSign = `AWS4-HMAC-SHA256\n20260304T050607Z\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', deriveSigningKey('local', '20260304', 'us-east-1', 'dynamodb')).update(stringToSign).digest('hex');
  const authorization = `AWS4-HMAC-SHA256 Credential=local/${scope}, SignedHeaders=date;host;x-amz-date, Signature=${signature}`;
  const req = { headers: new Headers({ authorization, date: httpDate, host: '127.0.0.1:8000' }), path: '/', query: '', body: Buffer.from(body) };
  const v = verifier();
  assert.equal(verify(req, v), 'local');
  assert.equal(verify(req, v), 'local', 'again, from what was kept');
});
