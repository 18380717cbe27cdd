// Restart after a crash: a server started the moment the one before it on the same data
// directory was SIGKILLed, while that one is still dying or a zombie that its parent has not
// reaped, takes the directory as soon as the kernel has closed the dead one's descriptors, and
// finds every write acknowledged before. Twenty times on one directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { clientFor, reapUnreaped, spawnServerUnreaped, tempDataDir, type UnreapedProcess } from '../helpers/server.ts';
import { createTable, getValue, putItem } from './sdk-round-trip.ts';

const kills = 20;
const table = 'restarts';
/** Bound on one start, so a server that cannot take its directory fails the test instead of hanging it. */
const startTimeoutMs = 60_000;

test(
  `SIGKILL and restart at once, ${kills} times: each start takes the directory from a predecessor not yet reaped, with every acknowledged write`,
  // Off Linux a zombie looks alive until reaped, and here nothing reaps it before the next start listens.
  { skip: process.platform === 'linux' ? false : 'needs Linux (abstract socket lock, /proc)', timeout: 180_000 },
  async () => {
    const dataDir = tempDataDir('monodyne-restart');
    const acknowledged: string[] = [];
    const startMs: number[] = [];
    let killed: UnreapedProcess | null = null;
    try {
      for (let round = 0; round <= kills; round++) {
        const starting = Date.now();
        const server = await spawnServerUnreaped(['--port', '0', '--data-dir', dataDir], startTimeoutMs);
        startMs.push(Date.now() - starting);
        if (killed !== null) {
          // Its parent has not reaped it: the process was still there while this one took its directory.
          assert.ok(existsSync(`/proc/${killed.pid}`), `round ${round}: the server killed before is still unreaped`);
          assert.equal(await killed.reap(), 'SIGKILL');
          killed = null;
        }
        const client = clientFor(server.endpoint);
        try {
          if (round === 0) await createTable(client, table);
          for (const id of acknowledged) assert.equal(await getValue(client, table, id), `acknowledged in ${id}`, `round ${round}: the write of ${id}`);
          const id = `round ${round}`;
          await putItem(client, table, id, `acknowledged in ${id}`);
          acknowledged.push(id);
        } finally {
          client.destroy();
        }
        if (round === kills) {
          process.kill(server.pid, 'SIGTERM');
          assert.equal(await server.reap('wait'), '0', 'SIGTERM stops the last server cleanly');
        } else {
          // The next round starts at once, without waiting for this one to end.
          process.kill(server.pid, 'SIGKILL');
          killed = server;
        }
      }
      const strays = readdirSync(dataDir).filter((name) => name.startsWith('monodyne.lock'));
      assert.deepEqual(strays, [], 'a server stopped cleanly leaves no lock file');
      console.log(`${kills} restarts at once after SIGKILL: starts took ${Math.min(...startMs)}..${Math.max(...startMs)} ms`);
    } finally {
      await reapUnreaped();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
