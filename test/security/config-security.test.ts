// The security settings: their defaults, how credentials come from the environment, the
// refusal of a network address while the public development credential is accepted, the
// loud warning when verification is off, and the encryption key's sources and checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadDefaults, resolveConfig } from '../../src/server/config.ts';
import { loadEncryptionKey, parseKey } from '../../src/security/encryption-key.ts';
import { isLoopback } from '../../src/security/safe-default.ts';
import { spawnServer, tempDataDir } from '../helpers/server.ts';

const bin = fileURLToPath(new URL('../../src/server/monodyne.js', import.meta.url));

test('defaults: verification on with the development credential, loopback, no TLS, no encryption, DynamoDB-sized limits', () => {
  const c = loadDefaults();
  assert.equal(c.auth.enabled, true);
  assert.deepEqual(c.auth.credentials, [{ accessKeyId: 'local', secretAccessKey: 'local' }]);
  assert.equal(c.auth.clockSkewSeconds, 900);
  assert.equal(c.server.host, '127.0.0.1');
  assert.deepEqual(c.tls, { certFile: '', keyFile: '', passphrase: '' });
  assert.equal(c.encryption.enabled, false);
  assert.equal(c.limits.requestBodyBytesMax, 16 * 1024 * 1024);
});

test('credentials and policies come from MONODYNE_AUTH_CREDENTIALS as JSON, checked', () => {
  const creds = [{ accessKeyId: 'AKIAPROD', secretAccessKey: 's3cret', user: 'app', policy: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'Orders' }] }];
  const c = resolveConfig({ env: { MONODYNE_AUTH_CREDENTIALS: JSON.stringify(creds), MONODYNE_SERVER_HOST: '0.0.0.0' } });
  assert.deepEqual(c.auth.credentials, creds);
  const refused: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ MONODYNE_AUTH_CREDENTIALS: '[{"accessKeyId":' }, /MONODYNE_AUTH_CREDENTIALS must be a JSON list/],
    [{ MONODYNE_AUTH_CREDENTIALS: '[{"accessKeyId":"a"}]' }, /MONODYNE_AUTH_CREDENTIALS: entry 0 \(a\): secretAccessKey/],
    [{ MONODYNE_AUTH_CREDENTIALS: '[]' }, /auth.credentials is empty/],
    [{ MONODYNE_AUTH_ENABLED: 'maybe' }, /MONODYNE_AUTH_ENABLED must be true or false/],
    [{ MONODYNE_LIMITS_HEADER_BYTES_MAX: '10' }, /MONODYNE_LIMITS_HEADER_BYTES_MAX must be an integer from 1024/],
  ];
  for (const [env, message] of refused) assert.throws(() => resolveConfig({ env }), (e: Error) => e instanceof ConfigError && message.test(e.message));
  // The error never echoes a secret.
  assert.throws(() => resolveConfig({ env: { MONODYNE_AUTH_CREDENTIALS: '[{"accessKeyId":"a","secretAccessKey":"topsecret","x":1}]' } }), (e: Error) => !e.message.includes('topsecret'));
});

test('a non-loopback address is refused while the development credential is accepted, with what to change', () => {
  assert.ok(isLoopback('127.0.0.1') && isLoopback('127.1.2.3') && isLoopback('localhost') && isLoopback('::1') && isLoopback('[::1]'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('::') && !isLoopback('192.168.1.10'));
  for (const host of ['0.0.0.0', '::', '10.0.0.5']) {
    assert.throws(
      () => resolveConfig({ flags: { 'server.host': host } }),
      (e: Error) => e instanceof ConfigError && e.message.includes(`refusing to listen on ${host}`) && /auth.credentials/.test(e.message) && /127\.0\.0\.1/.test(e.message),
    );
  }
  // Own credentials only, or verification explicitly off (loudly): allowed.
  assert.equal(resolveConfig({ flags: { 'server.host': '0.0.0.0' }, env: { MONODYNE_AUTH_CREDENTIALS: '[{"accessKeyId":"k","secretAccessKey":"s"}]' } }).server.host, '0.0.0.0');
  assert.equal(resolveConfig({ flags: { 'server.host': '0.0.0.0' }, env: { MONODYNE_AUTH_ENABLED: 'false' } }).auth.enabled, false);
  const bad = spawnSync(process.execPath, [bin, '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', env: { ...process.env, MONODYNE_CONFIG: '' } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /monodyne: refusing to listen on 0\.0\.0\.0: the development credentials/);
});

/** The bin's "config: ..." line, printed just after the endpoint. */
async function configLine(output: () => string): Promise<string> {
  for (let i = 0; i < 100 && !/^config: .*$/m.test(output()); i++) await new Promise((r) => setTimeout(r, 20));
  return /^config: .*$/m.exec(output())?.[0] ?? output();
}

test('the bin verifies signatures by default, and says loudly when verification is off', { timeout: 60_000 }, async () => {
  const dataDir = tempDataDir('monodyne-defaults');
  try {
    const server = await spawnServer(['--port', '0', '--data-dir', dataDir]);
    assert.match(await configLine(server.output), /auth=on \(credentials: local \(the built-in development key\)\)/);
    const res = await fetch(server.endpoint + '/', { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' });
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(await res.text()) as Record<string, string>).__type, 'com.amazon.coral.service#MissingAuthenticationTokenException');
    server.child.kill('SIGTERM');
    await server.exited;

    const open = await spawnServer(['--port', '0', '--data-dir', dataDir], { MONODYNE_AUTH_ENABLED: 'false' });
    assert.match(open.output(), /WARNING: auth.enabled is false: requests are NOT authenticated/);
    assert.match(await configLine(open.output), /auth=OFF/);
    const unsigned = await fetch(open.endpoint + '/', { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' });
    assert.equal(unsigned.status, 200);
    open.child.kill('SIGTERM');
    await open.exited;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('encryption keys: hex or base64 of 32 bytes; from the setting, or a key file (created 0600, or given)', () => {
  const hex = 'a1'.repeat(32);
  assert.equal(parseKey(hex, 'k').length, 32);
  assert.deepEqual(parseKey(Buffer.from(hex, 'hex').toString('base64'), 'k'), Buffer.from(hex, 'hex'));
  assert.deepEqual(parseKey(Buffer.from(hex, 'hex').toString('base64url'), 'k'), Buffer.from(hex, 'hex'));
  for (const bad of ['', 'abc', 'a1'.repeat(31), 'zz'.repeat(32), Buffer.alloc(16).toString('base64')]) {
    assert.throws(() => parseKey(bad, 'encryption.key'), /encryption.key must be 32 bytes written as 64 hex digits/);
  }

  const root = mkdtempSync(join(tmpdir(), 'monodyne-keys-'));
  try {
    // From the setting (MONODYNE_ENCRYPTION_KEY): no key file is written.
    const fromSetting = join(root, 'a');
    mkdirSync(fromSetting);
    const viaEnv = resolveConfig({ env: { MONODYNE_ENCRYPTION_ENABLED: 'true', MONODYNE_ENCRYPTION_KEY: hex } }).encryption;
    const a = loadEncryptionKey(viaEnv, fromSetting);
    assert.equal(a.lmdbKey?.length, 32);
    assert.equal(a.source, 'encryption.key setting');
    assert.ok(!existsSync(join(fromSetting, 'encryption.key')));
    assert.equal(loadEncryptionKey(viaEnv, fromSetting).lmdbKey, a.lmdbKey, 'the same key gives the same LMDB key');

    // A key file elsewhere, given by path; one others can read draws a warning.
    const fromFile = join(root, 'b');
    mkdirSync(fromFile);
    const keyFile = join(root, 'elsewhere.key');
    writeFileSync(keyFile, `${hex}\n`);
    chmodSync(keyFile, 0o644);
    const b = loadEncryptionKey({ enabled: true, key: '', keyFile }, fromFile);
    assert.equal(b.lmdbKey, a.lmdbKey);
    assert.match(b.warning ?? '', /can be read by other users; restrict it with: chmod 600/);

    // Created on first start, mode 0600; a missing key file later is a clear refusal.
    const created = join(root, 'c');
    mkdirSync(created);
    const c = loadEncryptionKey({ enabled: true, key: '', keyFile: '' }, created);
    assert.match(c.source, /\(created\)$/);
    assert.equal(statSync(join(created, 'encryption.key')).mode & 0o777, 0o600);
    assert.equal(loadEncryptionKey({ enabled: true, key: '', keyFile: '' }, created).lmdbKey, c.lmdbKey);
    assert.notEqual(c.lmdbKey, a.lmdbKey);
    rmSync(join(created, 'encryption.key'));
    assert.throws(() => loadEncryptionKey({ enabled: true, key: '', keyFile: '' }, created), /is encrypted but its key file .* is missing/);
    assert.ok(readFileSync(join(created, 'encryption.check'), 'utf8').includes('keyCheck'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
