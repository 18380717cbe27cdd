// native-free-bench must run where the native addons are missing: the runner refuses to
// load lmdb and uWebSockets.js, and every bench file still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the deny hook refuses the native addons', () => {
  for (const addon of ['lmdb', 'uWebSockets.js']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './native-free-bench/deny-native.ts', '--input-type=module', '-e', `await import('${addon}')`], { cwd: root, encoding: 'utf8' });
    assert.notEqual(r.status, 0, `${addon} loaded despite the hook`);
    assert.match(r.stderr, /native-free-bench must not import/);
  }
});

test('every bench case runs without native addons', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './native-free-bench/deny-native.ts', 'native-free-bench/run.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, BENCH_TIME_MS: '5' },
  });
  assert.equal(r.status, 0, r.stderr);
  for (const file of ['hot-path.bench.ts', 'rings.bench.ts', 'values.bench.ts', 'expressions.bench.ts']) assert.match(r.stdout, new RegExp(file.replace('.', '\\.')));
  assert.doesNotMatch(r.stdout, /n\/a/);
});
