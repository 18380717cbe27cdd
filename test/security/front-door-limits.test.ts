// Each front-door bound and its answer: header size, declared and streamed body size, JSON
// nesting, bytes buffered across requests, slow bodies, and the admin/unknown routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
let port: number;
const limits = {
  requestBodyBytesMax: 1024 * 1024,
  headerBytesMax: 2048,
  jsonNestingDepthMax: 20,
  bodyTimeoutMs: 1000,
  connectionsMax: 1000,
  inFlightBodyBytesMax: 16 * 1024 * 1024,
  responseCompressionBytesMin: 4096,
};

before(async () => {
  s = await startTestServer((c) => {
    c.limits = { ...limits };
  });
  port = Number(new URL(s.endpoint).port);
});
after(async () => {
  await s.stop();
});

/** Sends raw bytes; resolves with what came back once the server answers (and maybe closes). */
function raw(chunks: Array<string | Buffer>, waitMs = 3000): Promise<{ status: number; body: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, body: m ? m[2] : text, closed });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('error', () => {});
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
  });
}

const head = (extra = '') => `POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n${extra}`;
const typeOf = (body: string) => (JSON.parse(body) as { __type: string }).__type.split('#')[1];

test('headers over limits.headerBytesMax: 413 RequestEntityTooLarge, connection closed', async () => {
  const r = await raw([`${head(`X-Pad: ${'p'.repeat(3000)}\r\n`)}Content-Length: 2\r\n\r\n{}`]);
  assert.equal(r.status, 413);
  assert.equal(typeOf(r.body), 'RequestEntityTooLarge');
  assert.match(JSON.parse(r.body).message, /^Request headers of \d+ bytes exceeded 2048 bytes$/);
  assert.ok(r.closed);
});

test('a body over limits.requestBodyBytesMax: refused from Content-Length before it is sent, or as it streams', async () => {
  const declared = await raw([`${head()}Content-Length: ${2 * 1024 * 1024}\r\n\r\n`]);
  assert.equal(declared.status, 413);
  assert.equal(JSON.parse(declared.body).message, `Request size ${2 * 1024 * 1024} exceeded ${1024 * 1024} bytes`);
  const chunk = 'a'.repeat(64 * 1024);
  const chunked = [`${head()}Transfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 20 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`), '0\r\n\r\n'];
  const streamed = await raw(chunked);
  assert.equal(streamed.status, 413);
  assert.equal(typeOf(streamed.body), 'RequestEntityTooLarge');
});

test('JSON nested deeper than limits.jsonNestingDepthMax is a ValidationException before any operation sees it', async () => {
  const post = (body: string) =>
    fetch(s.endpoint + '/', { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body }).then(async (r) => ({ status: r.status, body: await r.text() }));
  const tooDeep = await post(`{"a":${'['.repeat(20)}${']'.repeat(20)}}`);
  assert.equal(tooDeep.status, 400);
  assert.deepEqual(JSON.parse(tooDeep.body), {
    __type: 'com.amazon.coral.validate#ValidationException',
    message: 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit',
  });
  // Brackets inside strings do not count, and a depth at the limit reaches the operation.
  assert.equal((await post(`{"a":"${'['.repeat(500)}"}`)).status, 200);
  assert.equal((await post(`{"a":${'['.repeat(19)}${']'.repeat(19)}}`)).status, 200);
  // A million unclosed brackets are no JSON: a SerializationException, as DynamoDB (which parses first) answers.
  const huge = await post('['.repeat(1_000_000));
  assert.equal(typeOf(huge.body), 'SerializationException');
});

test('bodies held across requests are bounded (503, retryable); a body too slow gets 408', async () => {
  // 20 requests each holding 900 KB without finishing: past 16 MB, the next are refused.
  const partial = 'b'.repeat(900 * 1024);
  const results = await Promise.all(Array.from({ length: 20 }, () => raw([`${head()}Content-Length: ${1000 * 1024}\r\n\r\n`, partial], 4000)));
  const statuses = results.map((r) => r.status).sort();
  assert.ok(statuses.includes(503), `statuses ${statuses.join(',')}`);
  for (const r of results) {
    if (r.status === 503) assert.equal(typeOf(r.body), 'ServiceUnavailable');
    else {
      assert.equal(r.status, 408);
      assert.deepEqual(JSON.parse(r.body), { __type: 'com.amazon.coral.service#RequestTimeoutException', message: 'The request body did not arrive within 1000 ms' });
    }
  }
  // Everything held was released: a full-size request is accepted again.
  const res = await fetch(s.endpoint + '/', { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: `{"pad":"${'c'.repeat(900 * 1024)}"}` });
  assert.equal(res.status, 200);
});

test('anything but a POST gets what DynamoDB answers (404 <UnknownOperationException/>); GET / is the health check', async () => {
  for (const [method, path] of [['GET', '/x'], ['PUT', '/'], ['DELETE', '/'], ['OPTIONS', '/']] as const) {
    const res = await fetch(s.endpoint + path, { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(await res.text(), '<UnknownOperationException/>\n');
  }
  assert.equal((await fetch(s.endpoint + '/')).status, 200);
});
