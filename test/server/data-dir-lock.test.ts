// One server per data directory: the lock (an abstract socket on Linux, and the lock file naming
// its holder), its holder, and locks left by crashes, including by a holder that is still a zombie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataDirInUseError, DataDirLock, lockFileName } from '../../src/server/data-dir-lock.ts';
import { reapUnreaped, spawnUnreaped, tempDataDir, type UnreapedProcess } from '../helpers/server.ts';

const holderScript = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));
const linuxOnly = process.platform === 'linux' ? false : 'abstract sockets and /proc are Linux only';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** A process holding `dir`'s lock (mode: lock-holder.ts), under a parent that will not reap it until told. */
async function holder(dir: string, mode: 'hold' | 'file-only'): Promise<UnreapedProcess> {
  const held = await spawnUnreaped(['--import', 'tsx', holderScript, dir, mode]);
  await held.waitFor(/held by \d+/, 30_000);
  return held;
}

/** Whether the process is still there, dying or a zombie: its parent has not reaped it. */
function notReaped(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

const inUseBy = (dir: string, pid: number | null) => (err: Error) =>
  err instanceof DataDirInUseError && err.dataDir === dir && err.pid === pid && err.message.includes(dir) && err.message.includes(pid === null ? 'server: stop' : `(pid ${pid})`);

test('a second lock on a held data directory is refused with a message naming the directory; release frees it', async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    const first = await DataDirLock.acquire(dir);
    const record = JSON.parse(readFileSync(join(dir, lockFileName), 'utf8'));
    assert.equal(record.pid, process.pid);
    await assert.rejects(DataDirLock.acquire(dir), inUseBy(dir, process.pid));
    first.release();
    assert.equal(existsSync(join(dir, lockFileName)), false, 'release removes the lock file');
    first.release(); // twice is harmless
    const second = await DataDirLock.acquire(dir);
    second.release();
    assert.deepEqual(readdirSync(dir), [], 'no staging or stale files are left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a process that no longer runs is taken over', async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: deadPid(), startTicks: '1', bootId: null, token: 'crashed' }));
    const lock = await DataDirLock.acquire(dir);
    assert.equal(JSON.parse(readFileSync(join(dir, lockFileName), 'utf8')).pid, process.pid);
    lock.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock whose pid now belongs to another process (a reused pid) is taken over; a live holder is not', async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    // Our own pid with another start time: the pid of a crashed server, reused by this process.
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.pid, startTicks: '1', bootId: null, token: 'reused' }));
    const lock = await DataDirLock.acquire(dir);
    lock.release();
    // The parent process with its real start time: alive, so refused (at once: the socket is
    // ours, so that holder is not waited for).
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.ppid, startTicks, bootId: null, token: 'alive' }));
    await assert.rejects(DataDirLock.acquire(dir), inUseBy(dir, process.ppid));
    // The same, written before a reboot: stale.
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.ppid, startTicks, bootId: 'another-boot', token: 'old' }));
    (await DataDirLock.acquire(dir)).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty or unreadable lock file (a crash while writing it) is taken over', async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    writeFileSync(join(dir, lockFileName), '');
    (await DataDirLock.acquire(dir)).release();
    writeFileSync(join(dir, lockFileName), '{"pid": "nope"');
    (await DataDirLock.acquire(dir)).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a holder killed with SIGKILL lets the directory go at once, though its parent has not reaped it yet', { skip: linuxOnly, timeout: 60_000 }, async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    const held = await holder(dir, 'hold');
    await assert.rejects(DataDirLock.acquire(dir), inUseBy(dir, held.pid));
    process.kill(held.pid, 'SIGKILL');
    // At once, without waiting for anything: the kernel closed its socket as it died.
    const lock = await DataDirLock.acquire(dir);
    assert.ok(notReaped(held.pid), 'the holder is not reaped yet');
    assert.equal(JSON.parse(readFileSync(join(dir, lockFileName), 'utf8')).pid, process.pid);
    assert.equal(await held.reap(), 'SIGKILL');
    lock.release();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await reapUnreaped();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a socket held with no record of its holder (one starting, or one going away) is waited for, within a bound', { skip: linuxOnly, timeout: 60_000 }, async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    const held = await holder(dir, 'hold');
    unlinkSync(join(dir, lockFileName));
    // Nothing says who holds it, and it does not go away: refused after the bound, without a pid.
    await assert.rejects(DataDirLock.acquire(dir, { holderWaitMs: 200 }), inUseBy(dir, null));
    // It goes away while a start waits: that start takes the directory.
    const waiting = DataDirLock.acquire(dir, { holderWaitMs: 30_000 });
    process.kill(held.pid, 'SIGKILL');
    const lock = await waiting;
    assert.equal(await held.reap(), 'SIGKILL');
    lock.release();
  } finally {
    await reapUnreaped();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without the abstract socket: a zombie holder is gone, a live one is waited for within a bound', { skip: linuxOnly, timeout: 60_000 }, async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    const first = await holder(dir, 'file-only');
    await assert.rejects(DataDirLock.acquire(dir, { abstractSocket: false, holderWaitMs: 200 }), inUseBy(dir, first.pid));
    process.kill(first.pid, 'SIGKILL');
    (await DataDirLock.acquire(dir, { abstractSocket: false })).release();
    assert.ok(notReaped(first.pid), 'the holder is not reaped yet');
    assert.equal(await first.reap(), 'SIGKILL');

    const second = await holder(dir, 'file-only');
    const waiting = DataDirLock.acquire(dir, { abstractSocket: false, holderWaitMs: 30_000 });
    process.kill(second.pid, 'SIGKILL');
    const lock = await waiting;
    assert.equal(await second.reap(), 'SIGKILL');
    lock.release();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await reapUnreaped();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a process that exits holding the lock ends on its own (the socket keeps nothing alive) and leaves nothing behind', async () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', holderScript, dir, 'exit'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /held by \d+/);
    assert.deepEqual(readdirSync(dir), []);
    (await DataDirLock.acquire(dir)).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
