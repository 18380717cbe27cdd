// Configuration: defaults, file, environment and flags, and the errors for bad settings.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envVarName, loadDefaults, resolveConfig, listSettings } from '../../src/server/config.ts';
import { parseArgs, usage } from '../../src/server/args.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Temporary directories of this file's tests, removed when they are done. */
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-config-'));
  tempDirs.push(dir);
  return dir;
}

test('the embedded defaults: 127.0.0.1:8000, ./data, 3 workers, durable writes', () => {
  const c = loadDefaults();
  assert.equal(c.server.host, '127.0.0.1');
  assert.equal(c.server.port, 8000);
  assert.equal(c.storage.dataDir, './data');
  assert.equal(c.storage.workers, 3);
  assert.equal(c.storage.sync, true);
});

test('environment variable names are MONODYNE_ + the key path in upper snake case', () => {
  assert.equal(envVarName('storage', 'dataDir'), 'MONODYNE_STORAGE_DATA_DIR');
  assert.equal(envVarName('server', 'port'), 'MONODYNE_SERVER_PORT');
  assert.equal(envVarName('rings', 'capacityBytes'), 'MONODYNE_RINGS_CAPACITY_BYTES');
  // Every key has one, so every key can be set from the environment.
  for (const { key, env } of listSettings()) {
    const [section, name] = key.split('.');
    assert.equal(env, envVarName(section, name));
  }
});

test('precedence: defaults < file < environment < flags', () => {
  const dir = tempDir();
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ server: { port: 9001, host: '127.0.0.2' }, storage: { workers: 4 } }));
  const fromFile = resolveConfig({ configFile: file });
  assert.equal(fromFile.server.port, 9001);
  assert.equal(fromFile.storage.workers, 4);
  const fromEnv = resolveConfig({ configFile: file, env: { MONODYNE_SERVER_PORT: '9002', MONODYNE_STORAGE_SYNC: 'false' } });
  assert.equal(fromEnv.server.port, 9002);
  assert.equal(fromEnv.storage.sync, false);
  assert.equal(fromEnv.server.host, '127.0.0.2');
  const fromFlags = resolveConfig({ configFile: file, env: { MONODYNE_SERVER_PORT: '9002' }, flags: { 'server.port': '9003' } });
  assert.equal(fromFlags.server.port, 9003);
});

test('MONODYNE_CRASH_TRACE is not a setting but is understood (the crash-image test sets it)', () => {
  assert.equal(resolveConfig({ env: { MONODYNE_CRASH_TRACE: '/tmp/trace', MONODYNE_FAULTS_ENABLED: 'true' } }).faults.enabled, true);
});

test('a bad setting is refused with a message naming it', () => {
  const dir = tempDir();
  const cases: Array<[() => unknown, RegExp]> = [
    [() => resolveConfig({ env: { MONODYNE_SERVER_PORT: 'eighty' } }), /MONODYNE_SERVER_PORT must be an integer/],
    [() => resolveConfig({ env: { MONODYNE_STORAGE_WORKERS: '2' } }), /MONODYNE_STORAGE_WORKERS must be an integer from 3/],
    [() => resolveConfig({ env: { MONODYNE_NO_SUCH: '1' } }), /unknown environment variable MONODYNE_NO_SUCH/],
    [() => resolveConfig({ flags: { 'server.port': '70000' } }), /--port must be an integer from 0 to 65535/],
    [() => resolveConfig({ env: { MONODYNE_LOG_LEVEL: 'loud' } }), /MONODYNE_LOG_LEVEL must be one of/],
    [() => resolveConfig({ env: { MONODYNE_RINGS_CAPACITY_BYTES: '3000000' } }), /power of two/],
    [
      () => {
        const f = join(dir, 'unknown.json');
        writeFileSync(f, JSON.stringify({ storage: { dataDirectory: 'x' } }));
        return resolveConfig({ configFile: f });
      },
      /unknown setting "storage.dataDirectory"/,
    ],
    [
      () => {
        const f = join(dir, 'broken.json');
        writeFileSync(f, '{ nope');
        return resolveConfig({ configFile: f });
      },
      /is not valid JSON/,
    ],
    [() => resolveConfig({ configFile: join(dir, 'absent.json') }), /cannot read config file/],
    // A retired setting says what replaced it, wherever it is given.
    [() => resolveConfig({ options: { failover: { heartbeatsMissedMax: 3 } } }), /^options: failover\.heartbeatsMissedMax is gone: .* set failover\.hungNodeMs/],
    [() => resolveConfig({ env: { MONODYNE_FAILOVER_HEARTBEATS_MISSED_MAX: '3' } }), /^environment variable MONODYNE_FAILOVER_HEARTBEATS_MISSED_MAX: failover\.heartbeatsMissedMax is gone/],
  ];
  for (const [fn, message] of cases) assert.throws(fn, (err: Error) => err instanceof ConfigError && message.test(err.message));
});

test('capacity.throttling: on by default, off from a file, the environment or options, validated', () => {
  assert.equal(loadDefaults().capacity.throttling, true);
  assert.equal(resolveConfig({ env: { MONODYNE_CAPACITY_THROTTLING: 'false' } }).capacity.throttling, false);
  assert.equal(resolveConfig({ options: { capacity: { throttling: false } } }).capacity.throttling, false);
  const file = join(tempDir(), 'config.json');
  writeFileSync(file, JSON.stringify({ capacity: { throttling: false } }));
  assert.equal(resolveConfig({ configFile: file }).capacity.throttling, false);
  assert.throws(() => resolveConfig({ env: { MONODYNE_CAPACITY_THROTTLING: 'off' } }), (err: Error) => err instanceof ConfigError && /MONODYNE_CAPACITY_THROTTLING must be true or false/.test(err.message));
});

test('command-line flags', () => {
  assert.deepEqual(parseArgs(['--port', '9000', '--host=0.0.0.0', '--data-dir', '/tmp/x', '--workers', '5', '--config', 'c.json']), {
    help: false,
    version: false,
    configFile: 'c.json',
    flags: { 'server.port': '9000', 'server.host': '0.0.0.0', 'storage.dataDir': '/tmp/x', 'storage.workers': '5' },
  });
  assert.equal(parseArgs(['--help']).help, true);
  assert.equal(parseArgs(['--version']).version, true);
  // --ephemeral takes no value; --ephemeral=false is still accepted.
  assert.deepEqual(parseArgs(['--ephemeral', '--port', '0']).flags, { 'storage.ephemeral': 'true', 'server.port': '0' });
  assert.deepEqual(parseArgs(['--ephemeral=false']).flags, { 'storage.ephemeral': 'false' });
  assert.throws(() => parseArgs(['--bogus', '1']), /unknown option --bogus/);
  assert.throws(() => parseArgs(['--port']), /needs a value/);
});

const bin = fileURLToPath(new URL('../../src/server/monodyne.js', import.meta.url));

test('the bin prints --help, and exits with a message on a bad setting', () => {
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--data-dir DIR/);
  assert.match(help.stdout, /MONODYNE_STORAGE_DATA_DIR/);
  const bad = spawnSync(process.execPath, [bin, '--workers', 'many'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--workers must be an integer/);
});

test('storage.ephemeral (--ephemeral): synced commits off unless asked for, and no data directory given with it', () => {
  assert.equal(resolveConfig({ flags: { 'storage.ephemeral': 'true' } }).storage.sync, false);
  assert.equal(resolveConfig({ env: { MONODYNE_STORAGE_EPHEMERAL: 'true' } }).storage.sync, false);
  assert.equal(resolveConfig({ env: { MONODYNE_STORAGE_SYNC: 'true' }, flags: { 'storage.ephemeral': 'true' } }).storage.sync, true);
  assert.equal(resolveConfig({}).storage.ephemeral, false);
  assert.throws(
    () => resolveConfig({ env: { MONODYNE_STORAGE_DATA_DIR: '/tmp/d' }, flags: { 'storage.ephemeral': 'true' } }),
    /storage\.ephemeral \(--ephemeral\) starts in a new temporary data directory: do not set storage\.dataDir \(--data-dir\) with it/,
  );
});

test("README's --help block is what --help prints, up to the list of environment variables", () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const block = /<!-- help -->\n```text\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a <!-- help --> block');
  const listStart = usage.indexOf('Every setting can also be given as an environment variable:\n');
  assert.equal(block[1], usage.slice(0, listStart) + 'Every setting can also be given as an environment variable:\n');
});
