// The awsJson 1.0 wire protocol as raw HTTP: headers, checksums, error envelopes, health check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

async function call(target: string | null, body: string): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
  if (target !== null) headers['x-amz-target'] = target;
  const res = await fetch(s.endpoint + '/', { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

test('responses carry the content type, a request id and a correct x-amz-crc32', async () => {
  const res = await call('DynamoDB_20120810.ListTables', '{}');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.0');
  assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[A-Z2-7]{52}$/);
  assert.equal(res.headers.get('x-amz-crc32'), String(crc32(Buffer.from(res.text))));
  assert.deepEqual(JSON.parse(res.text), { TableNames: [] });
});

test('errors use DynamoDB envelopes and status codes, with a checksum too', async () => {
  const unknown = await call('DynamoDB_20120810.NoSuchThing', '{}');
  assert.equal(unknown.status, 400);
  assert.equal(JSON.parse(unknown.text).__type, 'com.amazon.coral.service#UnknownOperationException');
  assert.equal(unknown.headers.get('x-amz-crc32'), String(crc32(Buffer.from(unknown.text))));

  const missingTarget = await call(null, '{}');
  assert.equal(missingTarget.status, 400);
  assert.equal(JSON.parse(missingTarget.text).__type, 'com.amazon.coral.service#UnknownOperationException');

  const notJson = await call('DynamoDB_20120810.ListTables', '{not json');
  assert.equal(notJson.status, 400);
  assert.equal(JSON.parse(notJson.text).__type, 'com.amazon.coral.service#SerializationException');

  const array = await call('DynamoDB_20120810.ListTables', '[]');
  assert.equal(JSON.parse(array.text).__type, 'com.amazon.coral.service#SerializationException');

  const wrongType = await call('DynamoDB_20120810.DescribeTable', '{"TableName": 5}');
  assert.equal(wrongType.status, 400);
  assert.deepEqual(JSON.parse(wrongType.text), {
    __type: 'com.amazon.coral.service#SerializationException',
    Message: 'class java.lang.Short can not be converted to an String',
  });

  const missing = await call('DynamoDB_20120810.DescribeTable', '{"TableName": "nope"}');
  assert.deepEqual(JSON.parse(missing.text), {
    __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
    message: 'Requested resource not found: Table: nope not found',
  });

  const invalid = await call('DynamoDB_20120810.DescribeTable', '{}');
  assert.deepEqual(JSON.parse(invalid.text), {
    __type: 'com.amazon.coral.validate#ValidationException',
    message: "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
  });
});

test('a body that is not JSON is a SerializationException with no message, as DynamoDB answers it', async () => {
  const serialization = { __type: 'com.amazon.coral.service#SerializationException' };
  for (const [name, body] of [
    ['text', 'hello'],
    ['an unfinished object', '{not json'],
    ['trailing bytes', '{}garbage'],
    ['no body at all', ''],
    // Nested past the front door's bound, but no JSON: the parse decides, not the depth.
    ['deeply nested and unfinished', '['.repeat(5000)],
    ['deeply nested and unfinished in a member', '{"TableName": ' + '{"a":'.repeat(5000)],
  ] as const) {
    const res = await call('DynamoDB_20120810.ListTables', body);
    assert.equal(res.status, 400, name);
    assert.deepEqual(JSON.parse(res.text), serialization, name);
    assert.equal(res.headers.get('x-amz-crc32'), String(crc32(Buffer.from(res.text))), name);
  }
  // JSON nested past the bound is still refused for its depth.
  const deep = await call('DynamoDB_20120810.ListTables', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}');
  assert.equal(deep.status, 400);
  assert.equal(JSON.parse(deep.text).__type, 'com.amazon.coral.validate#ValidationException');
});

test('GET / answers 200 as a health check', async () => {
  const res = await fetch(s.endpoint + '/');
  assert.equal(res.status, 200);
  assert.match(await res.text(), /healthy/);
});

test('many concurrent requests on one server are all answered', async () => {
  const results = await Promise.all(Array.from({ length: 200 }, () => call('DynamoDB_20120810.ListTables', '{}')));
  for (const r of results) assert.equal(r.status, 200);
});
