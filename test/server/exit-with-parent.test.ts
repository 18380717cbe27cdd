// server.exitWithParent: a server whose starter died (a test runner killed mid-run) stops by
// itself, cleanly, although its output pipes now lead nowhere; nothing is left holding the data
// directory or a core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clientFor, spawnServer, tempDataDir } from '../helpers/server.ts';
import { roundTrip } from './sdk-round-trip.ts';
import { stopCleanly } from './child-server.ts';

const binPath = fileURLToPath(new URL('../../src/server/monodyne.js', import.meta.url));

/** Starts the bin with its output piped to itself, prints the server's pid once it listens, then dies by SIGKILL. */
const starter = `
const { spawn } = require('node:child_process');
const server = spawn(process.execPath, process.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MONODYNE_SERVER_EXIT_WITH_PARENT: 'true' } });
let out = '';
server.stdout.on('data', (chunk) => {
  out += chunk;
  if (!/listening on/.test(out)) return;
  process.stdout.write(server.pid + '\\n', () => process.kill(process.pid, 'SIGKILL'));
});
`;

/** Whether a process is gone (or a zombie nobody has reaped yet: it no longer runs). */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return true;
  }
}

test('a server started with server.exitWithParent stops cleanly once its parent is killed, its output pipes broken', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-orphan');
  try {
    const parent = spawn(process.execPath, ['-e', starter, binPath, '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    parent.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    await new Promise((resolve) => parent.on('exit', resolve));
    const pid = Number(printed.trim());
    assert.ok(pid > 0, `the starter printed no pid: ${JSON.stringify(printed)}`);
    const deadline = Date.now() + 60_000;
    while (!ended(pid)) {
      if (Date.now() > deadline) {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').filter((l) => /^(State|PPid|Threads)/.test(l)).join(', ');
        process.kill(pid, 'SIGKILL');
        assert.fail(`the server still ran 60 s after its parent was killed (${status})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // It stopped cleanly: the data directory is free, and what it held is there.
    const next = await spawnServer(['--port', '0', '--data-dir', dataDir]);
    try {
      await roundTrip(clientFor(next.endpoint), 'after');
    } finally {
      await stopCleanly(next);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
