// The public entry (src/index.ts): startServer(options) with config keys as options, validated
// as a config file is, and ephemeral servers whose data directory goes away on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ConfigError, DataDirInUseError, startServer } from '../../src/index.ts';
import { configFromOptions } from '../../src/server/embed.ts';
import { clientFor, tempDataDir } from '../helpers/server.ts';
import { roundTrip } from './sdk-round-trip.ts';

test('an ephemeral server: a temporary data directory, synced commits off, usable through the SDK, removed on close', { timeout: 120_000 }, async () => {
  const server = await startServer({ ephemeral: true, server: { port: 0 } });
  try {
    assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.endpoint, `http://127.0.0.1:${server.port}`);
    assert.ok(server.dataDir.startsWith(tmpdir()), server.dataDir);
    assert.ok(existsSync(server.dataDir));
    const client = clientFor(server.endpoint); // signs with local/local: the embedded defaults keep auth on
    await roundTrip(client, 'embedded');
    client.destroy();
  } finally {
    await server.close();
  }
  assert.equal(existsSync(server.dataDir), false, 'close() removes the ephemeral data directory');
  await server.close(); // a second close is harmless
});

test('options are the config keys: ephemeral turns synced commits off unless storage.sync says otherwise', () => {
  assert.equal(configFromOptions({ ephemeral: true }).storage.sync, false);
  assert.equal(configFromOptions({ storage: { ephemeral: true } }).storage.sync, false);
  assert.equal(configFromOptions({ ephemeral: true, storage: { sync: true } }).storage.sync, true);
  assert.equal(configFromOptions({}).storage.sync, true);
  const c = configFromOptions({ server: { port: 0, drainTimeoutMs: 5 }, storage: { workers: 4 }, auth: { credentials: [{ accessKeyId: 'me', secretAccessKey: 'secret' }] } });
  assert.equal(c.server.port, 0);
  assert.equal(c.server.drainTimeoutMs, 5);
  assert.equal(c.storage.workers, 4);
  assert.equal(c.server.host, '127.0.0.1', 'keys not given keep their defaults');
  assert.deepEqual(c.auth.credentials, [{ accessKeyId: 'me', secretAccessKey: 'secret' }]);
  // No MONODYNE_* variable reaches an embedded server.
  process.env.MONODYNE_SERVER_PORT = '1234';
  try {
    assert.equal(configFromOptions({}).server.port, 8000);
  } finally {
    delete process.env.MONODYNE_SERVER_PORT;
  }
});

test('bad options are refused with a ConfigError naming the key, before anything starts', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ server: { prot: 1 } }, /^startServer options: unknown setting "server\.prot"$/],
    [{ sever: {} }, /^startServer options: unknown setting "sever"$/],
    [{ server: { port: '80' } }, /^startServer options: server\.port must be an integer from 0 to 65535 \(got "80"\)$/],
    [{ storage: { workers: 2 } }, /storage\.workers must be an integer from 3/],
    [{ storage: 'big' }, /"storage" must be an object/],
    [{ ephemeral: 'yes' }, /ephemeral must be true or false/],
    [{ ephemeral: true, storage: { ephemeral: false } }, /ephemeral and storage\.ephemeral disagree/],
    [{ ephemeral: true, storage: { dataDir: '/tmp/x' } }, /storage\.ephemeral \(--ephemeral\) starts in a new temporary data directory: do not set storage\.dataDir/],
    [{ auth: { enabled: true, credentials: [] } }, /auth\.credentials is empty/],
    [[], /startServer options must be an object/],
    [null, /startServer options must be an object/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(startServer(options as never), (err: Error) => {
      assert.ok(err instanceof ConfigError, `${JSON.stringify(options)}: ${err.message}`);
      assert.equal(err.name, 'ConfigError');
      assert.match(err.message, message);
      return true;
    });
  }
});

test('two servers on one data directory: the second is refused with DataDirInUseError naming it', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-embed');
  const first = await startServer({ server: { port: 0 }, storage: { dataDir, sync: false } });
  try {
    await assert.rejects(startServer({ server: { port: 0 }, storage: { dataDir } }), (err: Error) => {
      assert.ok(err instanceof DataDirInUseError);
      assert.equal(err.name, 'DataDirInUseError');
      assert.match(String(err), /^DataDirInUseError: the data directory /);
      return err.message.includes(dataDir);
    });
    await first.close();
    assert.ok(existsSync(`${dataDir}/catalog`), 'close() keeps a data directory that is not ephemeral');
  } finally {
    await first.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
