// One server per data directory and per port, for the bin and for startServer: a second one
// refuses to start with a message naming what is taken, and a server killed with SIGKILL
// leaves nothing that stops the next one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadDefaults } from '../../src/server/config.ts';
import { startServer } from '../../src/server/main.ts';
import { DataDirInUseError } from '../../src/server/data-dir-lock.ts';
import { clientFor, spawnServer, tempDataDir } from '../helpers/server.ts';
import { createTable, getValue, putItem } from './sdk-round-trip.ts';
import { assertRefusedStart, stopCleanly } from './child-server.ts';

function configIn(dataDir: string, port = 0) {
  const config = loadDefaults();
  config.server.port = port;
  config.storage.dataDir = dataDir;
  config.storage.sync = false;
  config.log.level = 'warn';
  return config;
}

test('bin: a second server on a data directory in use refuses to start, naming the directory', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-one-dir');
  const first = await spawnServer(['--port', '0', '--data-dir', dataDir]);
  try {
    await assertRefusedStart(['--port', '0', '--data-dir', dataDir], `the data directory ${dataDir} is in use by another monodyne server (pid ${first.child.pid})`);
    // The first one was not disturbed.
    assert.equal((await fetch(`${first.endpoint}/`)).status, 200);
  } finally {
    await stopCleanly(first);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('bin: a server killed with SIGKILL leaves a stale lock that the next server takes over, with the data intact', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-one-kill');
  try {
    const first = await spawnServer(['--port', '0', '--data-dir', dataDir]);
    const client = clientFor(first.endpoint);
    await createTable(client, 'kept');
    await putItem(client, 'kept', 'a', 'before the kill');
    client.destroy();
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = await spawnServer(['--port', '0', '--data-dir', dataDir]);
    try {
      const reader = clientFor(second.endpoint);
      assert.equal(await getValue(reader, 'kept', 'a'), 'before the kill');
      reader.destroy();
    } finally {
      await stopCleanly(second);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('bin: a second server on a port in use fails to start with a clear error', { timeout: 120_000 }, async () => {
  const firstDir = tempDataDir('monodyne-one-port');
  const secondDir = tempDataDir('monodyne-one-port');
  const first = await spawnServer(['--port', '0', '--data-dir', firstDir]);
  const port = new URL(first.endpoint).port;
  try {
    await assertRefusedStart(['--port', port, '--data-dir', secondDir], `cannot listen on 127.0.0.1:${port}: port ${port} is already in use on 127.0.0.1`);
    assert.equal((await fetch(`${first.endpoint}/`)).status, 200);
  } finally {
    await stopCleanly(first);
    rmSync(firstDir, { recursive: true, force: true });
    rmSync(secondDir, { recursive: true, force: true });
  }
});

test('startServer: the same refusals in one process, and a failed start releases the data directory', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-one-inproc');
  const otherDir = tempDataDir('monodyne-one-inproc');
  const first = await startServer(configIn(dataDir));
  try {
    await assert.rejects(startServer(configIn(dataDir)), (err: Error) => err instanceof DataDirInUseError && err.message.includes(dataDir));
    // A start that fails on the port stops what it started and lets the directory go.
    await assert.rejects(startServer(configIn(otherDir, first.port)), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: port ${first.port} is already in use`));
    const again = await startServer(configIn(otherDir));
    await again.close();
    await first.close();
    // Closed: the directory is free again.
    const reopened = await startServer(configIn(dataDir));
    await reopened.close();
  } finally {
    await first.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  }
});
