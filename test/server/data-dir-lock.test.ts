// One server per data directory: the lock file, its holder, and stale locks left by crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirInUseError, DataDirLock, lockFileName } from '../../src/server/data-dir-lock.ts';
import { tempDataDir } from '../helpers/server.ts';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a second lock on a held data directory is refused with a message naming the directory; release frees it', () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    const first = DataDirLock.acquire(dir);
    const record = JSON.parse(readFileSync(join(dir, lockFileName), 'utf8'));
    assert.equal(record.pid, process.pid);
    assert.throws(
      () => DataDirLock.acquire(dir),
      (err: Error) => err instanceof DataDirInUseError && err.message.includes(dir) && err.message.includes(`pid ${process.pid}`),
    );
    first.release();
    assert.equal(existsSync(join(dir, lockFileName)), false, 'release removes the lock file');
    first.release(); // twice is harmless
    const second = DataDirLock.acquire(dir);
    second.release();
    assert.deepEqual(readdirSync(dir), [], 'no staging or stale files are left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a process that no longer runs is taken over', () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: deadPid(), startTicks: '1', bootId: null, token: 'crashed' }));
    const lock = DataDirLock.acquire(dir);
    assert.equal(JSON.parse(readFileSync(join(dir, lockFileName), 'utf8')).pid, process.pid);
    lock.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock whose pid now belongs to another process (a reused pid) is taken over; a live holder is not', () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    // Our own pid with another start time: the pid of a crashed server, reused by this process.
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.pid, startTicks: '1', bootId: null, token: 'reused' }));
    const lock = DataDirLock.acquire(dir);
    lock.release();
    // The parent process with its real start time: alive, so refused.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.ppid, startTicks, bootId: null, token: 'alive' }));
    assert.throws(() => DataDirLock.acquire(dir), DataDirInUseError);
    // The same, written before a reboot: stale.
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.ppid, startTicks, bootId: 'another-boot', token: 'old' }));
    DataDirLock.acquire(dir).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty or unreadable lock file (a crash while writing it) is taken over', () => {
  const dir = tempDataDir('monodyne-lock');
  try {
    writeFileSync(join(dir, lockFileName), '');
    DataDirLock.acquire(dir).release();
    writeFileSync(join(dir, lockFileName), '{"pid": "nope"');
    DataDirLock.acquire(dir).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
