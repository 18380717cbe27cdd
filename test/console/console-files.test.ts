// The console's page and files are served by the server itself, unsigned and with a strict
// content security policy; nothing else under /_monodyne/ is served without a signature. The
// page's own SigV4 signer (run here under Node's WebCrypto) is verified by the server's verifier.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { SigV4Verifier, type HeaderSource } from '../../src/auth/sigv4.ts';
import { devCredentials, sdkSigner, startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.auth.enabled = true;
  });
});
after(async () => {
  await s.stop();
});

test('the page and its files are served unsigned, with a content security policy; anything else is not', async () => {
  const page = await fetch(`${s.endpoint}/_monodyne/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/_monodyne\/console\/app.js">/);
  for (const [file, type] of [['app.js', 'text/javascript; charset=utf-8'], ['sigv4.js', 'text/javascript; charset=utf-8'], ['console.css', 'text/css; charset=utf-8']]) {
    const res = await fetch(`${s.endpoint}/_monodyne/console/${file}`);
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('content-type'), type);
    assert.ok((await res.text()).length > 100);
  }
  assert.equal((await fetch(`${s.endpoint}/_monodyne/console/index.html`)).status, 404, 'the page has one address');
  assert.equal((await fetch(`${s.endpoint}/_monodyne/console/nothing.js`)).status, 404);
  assert.equal((await fetch(`${s.endpoint}/_monodyne/console/..%2f..%2fpackage.json`)).status, 404);
  const bare = await fetch(`${s.endpoint}/_monodyne`, { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/_monodyne/');
  // The data stays behind signatures.
  for (const path of ['partitions', 'contributors']) {
    const res = await fetch(`${s.endpoint}/_monodyne/${path}`);
    assert.equal(res.status, 400, path);
    assert.equal(((await res.json()) as { __type: string }).__type, 'com.amazon.coral.service#MissingAuthenticationTokenException');
  }
});

const staticDir = new URL('../../src/console/static/', import.meta.url);

test('every URL the page and its scripts ask for is served: files, imports, icon and admin GETs', async () => {
  const html = await (await fetch(`${s.endpoint}/_monodyne/`)).text();
  // Without an icon of its own, a browser asks for /favicon.ico, which answers 404 (as DynamoDB does).
  assert.match(html, /<link rel="icon" [^>]*href="\/_monodyne\/console\/[\w.-]+"/);
  const asked = new Set([...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]));
  const adminGets = new Set<string>();
  for (const name of readdirSync(staticDir).filter((n) => n.endsWith('.js'))) {
    const source = readFileSync(new URL(name, staticDir), 'utf8');
    for (const m of source.matchAll(/^import [^;]*? from '\.\/([\w.-]+)';$/gm)) asked.add(`/_monodyne/console/${m[1]}`);
    for (const m of source.matchAll(/\.admin\('GET', '([\w/-]+)'\)/g)) adminGets.add(m[1]);
  }
  assert.ok(asked.size >= 10, [...asked].join(' '));
  assert.deepEqual([...adminGets].sort(), ['contributors', 'partitions']);
  for (const url of asked) assert.equal((await fetch(new URL(url, s.endpoint))).status, 200, url);
  for (const path of adminGets) {
    const url = new URL(`/_monodyne/${path}`, s.endpoint);
    const signed = await sdkSigner(devCredentials).sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
    assert.equal((await fetch(url, { headers: signed.headers as Record<string, string> })).status, 200, path);
  }
});

test("the page's signer (WebCrypto) signs as the server verifies: API calls and admin GETs", async () => {
  const host = '127.0.0.1:8000';
  (globalThis as { location?: { host: string } }).location = { host };
  const { Signer } = (await import(new URL('sigv4.js', staticDir).href)) as { Signer: new (c: object, region: string) => { sign(method: string, path: string, headers: Record<string, string>, body: string): Promise<Record<string, string>> } };
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const verifier = new SigV4Verifier({ lookup: (id) => (id === 'local' ? credentials : undefined), clockSkewSeconds: 900 });
  const check = (method: string, path: string, headers: Record<string, string>, body: string) => {
    const all = new Map(Object.entries({ ...headers, host }).map(([k, v]) => [k.toLowerCase(), v]));
    const source: HeaderSource = { getHeader: (name) => all.get(name) ?? '' };
    const pending = verifier.begin(source, method, path, '');
    verifier.finish(pending, Buffer.from(body));
    return pending.region;
  };
  const signer = new Signer(credentials, 'eu-west-1');
  const body = JSON.stringify({ TableName: 'Music', Item: { Artist: { S: 'Ünïcödé ✓' } } });
  const apiHeaders = await signer.sign('POST', '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' }, body);
  assert.equal(check('POST', '/', apiHeaders, body), 'eu-west-1');
  const adminHeaders = await signer.sign('GET', '/_monodyne/partitions', {}, '');
  assert.equal(check('GET', '/_monodyne/partitions', adminHeaders, ''), 'eu-west-1');
  // A changed body, or another secret, does not verify.
  assert.throws(() => check('POST', '/', apiHeaders, body.replace('Music', 'Other')), /signature we calculated does not match/);
  const wrong = new Signer({ accessKeyId: 'local', secretAccessKey: 'guess' }, 'eu-west-1');
  const wrongHeaders = await wrong.sign('GET', '/_monodyne/partitions', {}, '');
  assert.throws(() => check('GET', '/_monodyne/partitions', wrongHeaders, ''), /signature we calculated does not match/);
});
