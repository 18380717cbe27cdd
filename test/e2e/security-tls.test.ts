// HTTPS: the front door serves TLS (uWebSockets.js SSLApp) with a configured certificate and
// key, and the AWS SDK talks to it through an agent that trusts the test's own certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { devCredentials, startTestServer, type TestServer } from '../helpers/server.ts';
import { tlsFilesOf } from '../../src/security/tls.ts';

let dir: string;
let certFile: string;
let keyFile: string;
let s: TestServer;

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
function makeCertificate(into: string): { certFile: string; keyFile: string } {
  const cert = join(into, 'cert.pem');
  const key = join(into, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=monodyne-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { certFile: cert, keyFile: key };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'monodyne-tls-'));
  ({ certFile, keyFile } = makeCertificate(dir));
  s = await startTestServer((c) => {
    c.auth.enabled = true;
    c.tls.certFile = certFile;
    c.tls.keyFile = keyFile;
  });
});
after(async () => {
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the AWS SDK works over HTTPS with a client that trusts the certificate', async () => {
  assert.match(s.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
  const agent = new Agent({ ca: readFileSync(certFile), keepAlive: true });
  const client = new DynamoDBClient({
    endpoint: s.endpoint,
    region: 'us-east-1',
    credentials: devCredentials,
    maxAttempts: 1,
    requestHandler: { httpsAgent: agent },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: 'Secure',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(new PutItemCommand({ TableName: 'Secure', Item: { id: { S: 'a' }, secret: { S: 'over TLS' } } }));
    const got = await client.send(new GetItemCommand({ TableName: 'Secure', Key: { id: { S: 'a' } }, ConsistentRead: true }));
    assert.equal(got.Item?.secret.S, 'over TLS');
    assert.deepEqual((await client.send(new ListTablesCommand({}))).TableNames, ['Secure']);
  } finally {
    client.destroy();
    agent.destroy();
  }
});

test('a client that does not trust the certificate is refused by TLS, and plain HTTP gets no answer', async () => {
  const port = Number(new URL(s.endpoint).port);
  const untrusted = await new Promise<string>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET' }, () => resolve('connected'));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
  assert.equal(untrusted, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  const plain = await fetch(`http://127.0.0.1:${port}/`).then(
    (res) => `status ${res.status}`,
    (err: Error) => `failed: ${err.message}`,
  );
  assert.match(plain, /^failed/);
});

test('bad TLS settings stop start-up with a message that names them', () => {
  assert.equal(tlsFilesOf({ certFile: '', keyFile: '', passphrase: '' }), null);
  assert.throws(() => tlsFilesOf({ certFile, keyFile: '', passphrase: '' }), /tls.certFile and tls.keyFile go together/);
  assert.throws(() => tlsFilesOf({ certFile: join(dir, 'absent.pem'), keyFile, passphrase: '' }), /cannot read the TLS certificate \(tls.certFile\)/);
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate');
  assert.throws(() => tlsFilesOf({ certFile: garbage, keyFile, passphrase: '' }), /are not a usable PEM pair/);
});
