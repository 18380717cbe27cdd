// The bin never ends silently on an unhandled promise rejection or an uncaught exception: it
// logs the stack and, once serving, keeps serving. The faults are injected by a module loaded
// with --import into the bin's process (a test double of a bug somewhere in the server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clientFor, spawnServer, tempDataDir } from '../helpers/server.ts';
import { roundTrip } from './sdk-round-trip.ts';
import { assertRefusedStart, stopCleanly } from './child-server.ts';

/**
 * On SIGUSR2 (sent once the server is up): one rejection nobody handles and one exception nobody
 * catches. With FAULT_DURING_START: the exception as a storage thread is created, during start-up.
 */
const faultModule = `
import { isMainThread } from 'node:worker_threads';
function rejectUnhandled() { Promise.reject(new Error('injected rejection nobody handles')); }
function throwUncaught() { setImmediate(function injectedThrower() { throw new Error('injected exception nobody catches'); }); }
if (isMainThread) {
  process.on('SIGUSR2', () => { rejectUnhandled(); throwUncaught(); });
  // The first thread created after the bin installs its handlers is a storage node's (tsx's
  // loader thread comes earlier).
  const duringStart = () => (process.listenerCount('uncaughtException') > 0 ? throwUncaught() : process.once('worker', duringStart));
  if (process.env.FAULT_DURING_START) process.once('worker', duringStart);
}
`;

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('an unhandled rejection and an uncaught exception are logged with their stacks, and the server keeps serving', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-guard-'));
  const dataDir = tempDataDir('monodyne-guard-data');
  const faults = join(dir, 'faults.mjs');
  writeFileSync(faults, faultModule);
  const server = await spawnServer(['--port', '0', '--data-dir', dataDir], { NODE_OPTIONS: `--import=${pathToFileURL(faults).href}` });
  try {
    server.child.kill('SIGUSR2');
    await until('both faults in the log', () => server.output().includes('injected rejection') && server.output().includes('injected exception'));
    const log = server.output();
    assert.match(log, /monodyne: unhandled promise rejection \(the server keeps serving\): Error: injected rejection nobody handles\n\s+at rejectUnhandled/);
    assert.match(log, /monodyne: uncaught exception \(the server keeps serving\): Error: injected exception nobody catches\n\s+at (Immediate\.)?injectedThrower/);

    // Still up, and still working.
    assert.equal(server.child.exitCode, null);
    assert.equal((await fetch(`${server.endpoint}/`)).status, 200);
    const client = clientFor(server.endpoint);
    await roundTrip(client, 'after-faults');
    client.destroy();
  } finally {
    await stopCleanly(server);
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('an uncaught exception before the server is up ends start-up loudly, with the stack and status 1', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-guard-'));
  const dataDir = tempDataDir('monodyne-guard-data');
  const faults = join(dir, 'faults.mjs');
  writeFileSync(faults, faultModule);
  try {
    await assertRefusedStart(
      ['--port', '0', '--data-dir', dataDir],
      /monodyne: uncaught exception during start-up: Error: injected exception nobody catches\n\s+at (Immediate\.)?injectedThrower/,
      { NODE_OPTIONS: `--import=${pathToFileURL(faults).href}`, FAULT_DURING_START: '1' },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
