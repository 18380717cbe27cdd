// The logger in a worker thread writes its lines itself, at once: a process killed right after a
// storage thread logged something still printed it (through console, the line would wait for the
// busy main thread, and be lost with the process). A worker thread logs at the level it is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./logging-thread.ts', import.meta.url));

function run(mode: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', child, mode], { encoding: 'utf8', timeout: 60_000 });
}

test('lines a worker thread logged are printed, in order, even when the process is killed right after', () => {
  const out = run('kill');
  assert.equal(out.signal, 'SIGKILL', `${out.stdout}\n${out.stderr}`);
  assert.equal(out.stdout, '[monodyne] debug line from a thread\n[monodyne] info line from a thread\n');
  assert.equal(out.stderr, '[monodyne] warn line from a thread\n');
});

test('a worker thread logs at the level it is given (info by default)', () => {
  const out = run('levels');
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, '[monodyne] shown at the default level\n');
  assert.equal(out.stderr, '[monodyne] shown at warn\n');
});
