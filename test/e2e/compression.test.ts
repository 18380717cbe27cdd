// Compressed requests and answers through a real server with signatures checked: gzip and
// deflate bodies (signed as sent), bounded inflation, refusals of broken bodies and unknown
// codings, gzipped answers for clients that take them, and the Date and Server headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { crc32, deflateRawSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { sdkSigner, startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.auth.enabled = true;
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'zipped',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
after(async () => {
  await s.stop();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as sent, not decompressed. */
  body: Buffer;
}

/** One POST through node:http, which (unlike fetch) leaves a compressed answer as it came. */
function post(headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
  const url = new URL(s.endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A request signed by the SDK's signer over `signedBody` (by default the body sent), with the
 * extra headers signed too.
 */
async function signedPost(target: string, body: Buffer, extra: Record<string, string> = {}, signedBody: Buffer = body): Promise<RawAnswer> {
  const url = new URL(s.endpoint);
  const signed = await sdkSigner().sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}`, ...extra },
    body: signedBody,
  });
  return post(signed.headers as Record<string, string>, body);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const typeOf = (answer: RawAnswer) => (JSON.parse(answer.body.toString()) as { __type: string }).__type.replace(/^.*#/, '');

async function stored(pk: string): Promise<unknown> {
  return (await s.client.send(new GetItemCommand({ TableName: 'zipped', Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
}

test('gzip and deflate request bodies are inflated, and their signature is over the bytes as sent', async () => {
  const codings: Array<[string, string, (b: Buffer) => Buffer]> = [
    ['gzip', 'gzip', gzipSync],
    ['deflate', 'deflate', deflateSync],
    ['raw deflate', 'deflate', deflateRawSync],
    ['upper-case name', 'GZIP', gzipSync],
  ];
  for (const [name, coding, compress] of codings) {
    const put = json({ TableName: 'zipped', Item: { pk: { S: name }, text: { S: 'compressible '.repeat(100) } } });
    const answer = await signedPost('PutItem', compress(put), { 'content-encoding': coding });
    assert.equal(answer.status, 200, `${name}: ${answer.body}`);
    assert.deepEqual(await stored(name), { pk: { S: name }, text: { S: 'compressible '.repeat(100) } });
  }
  // Signed over the uncompressed JSON but sent compressed: the signature does not match.
  const put = json({ TableName: 'zipped', Item: { pk: { S: 'unsigned' } } });
  const wrong = await signedPost('PutItem', gzipSync(put), { 'content-encoding': 'gzip' }, put);
  assert.equal(wrong.status, 400);
  assert.equal(typeOf(wrong), 'InvalidSignatureException');
  assert.equal(await stored('unsigned'), undefined);
});

test('a body that inflates past 16 MB is refused with a 4xx as soon as it does, without inflating the rest', async () => {
  // 1,000 gzip members of 8 MB of zeros each: 8 GB once inflated, 8 MB as sent.
  const member = gzipSync(Buffer.alloc(8 * 1024 * 1024));
  const bomb = Buffer.concat(Array.from({ length: 1000 }, () => member));
  const answer = await signedPost('ListTables', bomb, { 'content-encoding': 'gzip' });
  assert.equal(answer.status, 413);
  assert.equal(typeOf(answer), 'RequestEntityTooLarge');
  // A JSON body just under the bound once inflated is accepted.
  const padded = Buffer.concat([json({ TableName: 'zipped', Item: { pk: { S: 'padded' } } }).subarray(0, -1), Buffer.from(`,"ReturnValues":"NONE"${' '.repeat(15 * 1024 * 1024)}}`)]);
  const ok = await signedPost('PutItem', gzipSync(padded), { 'content-encoding': 'gzip' });
  assert.equal(ok.status, 200, String(ok.body));
  assert.deepEqual(await stored('padded'), { pk: { S: 'padded' } });
});

test('a broken compressed body and an unknown Content-Encoding are refused with a 4xx', async () => {
  const put = json({ TableName: 'zipped', Item: { pk: { S: 'broken' } } });
  const gzipped = gzipSync(put);
  for (const [name, body, coding] of [
    ['not gzip at all', put, 'gzip'],
    ['a truncated gzip stream', gzipped.subarray(0, gzipped.length - 10), 'gzip'],
    ['corrupt deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff, 0x00]), 'deflate'],
  ] as const) {
    const answer = await signedPost('PutItem', body, { 'content-encoding': coding });
    assert.equal(answer.status, 400, name);
    assert.equal(typeOf(answer), 'SerializationException', name);
  }
  const unknown = await signedPost('PutItem', put, { 'content-encoding': 'br' });
  assert.equal(unknown.status, 400);
  assert.equal(typeOf(unknown), 'SerializationException');
  assert.equal(await stored('broken'), undefined);
});

test('long answers are gzipped for a client that accepts gzip, with x-amz-crc32 over the bytes sent', async () => {
  for (let i = 0; i < 20; i++) {
    const answer = await signedPost('PutItem', json({ TableName: 'zipped', Item: { pk: { S: `scan${i}` }, text: { S: 'x'.repeat(500) } } }));
    assert.equal(answer.status, 200);
  }
  const scan = json({ TableName: 'zipped' });
  const plain = await signedPost('Scan', scan);
  assert.equal(plain.headers['content-encoding'], undefined);
  const zipped = await signedPost('Scan', scan, { 'accept-encoding': 'gzip, deflate' });
  assert.equal(zipped.status, 200);
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.ok(zipped.body.length < plain.body.length);
  assert.equal(zipped.headers['x-amz-crc32'], String(crc32(zipped.body)));
  assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString()), JSON.parse(plain.body.toString()));
  // Refused (q=0) or short: sent as is.
  const refused = await signedPost('Scan', scan, { 'accept-encoding': 'gzip;q=0, identity' });
  assert.equal(refused.headers['content-encoding'], undefined);
  const short = await signedPost('ListTables', json({}), { 'accept-encoding': 'gzip' });
  assert.equal(short.headers['content-encoding'], undefined);
  assert.deepEqual(JSON.parse(short.body.toString()), { TableNames: ['zipped'] });
});

/** A request with no body (and no target) to `/`. */
function bodiless(method: string): Promise<RawAnswer> {
  const url = new URL(s.endpoint);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, method, path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.alloc(0) }));
    })
      .on('error', reject)
      .end();
  });
}

test('every answer carries Date and Server headers', async () => {
  const answers = [
    await signedPost('ListTables', json({})),
    await signedPost('DescribeTable', json({ TableName: 'missing' })),
    await post({ 'x-amz-target': 'DynamoDB_20120810.ListTables' }, json({})),
    await bodiless('PUT'),
    await bodiless('GET'),
  ];
  assert.deepEqual(answers.map((a) => a.status), [200, 400, 400, 404, 200]);
  for (const answer of answers) {
    assert.equal(answer.headers.server, 'Server');
    const date = answer.headers.date as string;
    assert.match(date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.ok(!Number.isNaN(Date.parse(date)));
  }
});
