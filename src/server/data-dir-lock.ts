// One server per data directory: a lock file created atomically (a hard link, or O_EXCL where
// links are not supported) that names its holder. A holder is identified by its pid, its start
// time and the machine's boot id, so a pid that a crashed server left behind and another
// process reused later is not mistaken for a live server.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const lockFileName = 'monodyne.lock';

/** Another live server holds the data directory. */
export class DataDirInUseError extends Error {
  readonly dataDir: string;
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super(
      `the data directory ${dataDir} is in use by another monodyne server (pid ${pid}): ` +
        'stop that server first, or give this one another data directory (--data-dir, or --ephemeral)',
    );
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

interface LockHolder {
  pid: number;
  /** Clock ticks after boot at which the process started (/proc/<pid>/stat), or null off Linux. */
  startTicks: string | null;
  bootId: string | null;
  /** Unique to one acquisition, so that two records are never mistaken for each other. */
  token: string;
}

/** Takeovers of stale locks raced by other starting servers before one attempt gives up. */
const attemptsMax = 8;

export class DataDirLock {
  readonly path: string;
  private readonly record: string;
  private held = true;
  private readonly onExit = () => this.release();

  private constructor(path: string, record: string) {
    this.path = path;
    this.record = record;
    // A process that exits without closing its server (a test runner that never calls close())
    // still leaves no lock behind; a crash does, and the next server recognises it as stale.
    process.on('exit', this.onExit);
  }

  /** Takes the data directory's lock, or throws DataDirInUseError naming it. */
  static acquire(dataDir: string): DataDirLock {
    const path = join(dataDir, lockFileName);
    const holder: LockHolder = { pid: process.pid, startTicks: startTicksOf(process.pid), bootId: bootId(), token: randomBytes(12).toString('hex') };
    const record = `${JSON.stringify(holder)}\n`;
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      if (createExclusive(path, record)) return new DataDirLock(path, record);
      const seen = readText(path);
      if (seen === null) continue; // released between our attempt and the read: try again
      const owner = parseHolder(seen);
      if (owner !== null && isAlive(owner)) throw new DataDirInUseError(dataDir, owner.pid);
      takeOverStale(path, seen);
    }
    throw new Error(`could not take the lock ${path}: other servers kept replacing it (${attemptsMax} attempts)`);
  }

  /** Removes the lock file if it is still this server's. Safe to call more than once. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.removeListener('exit', this.onExit);
    if (readText(this.path) === this.record) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
}

/** Creates `path` holding `text` only if it does not exist, with the text in place at once. */
function createExclusive(path: string, text: string): boolean {
  const staging = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(staging, text, { mode: 0o644 });
  try {
    linkSync(staging, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links: O_EXCL creation (the text follows an instant later).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try {
        writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
        return true;
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw inner;
      }
    }
    throw err;
  } finally {
    unlinkSync(staging);
  }
}

/**
 * Moves a stale lock aside. If what was moved is not the stale record that was judged (another
 * starting server replaced it in between), it is put back, so that server keeps its lock.
 */
function takeOverStale(path: string, staleRecord: string): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (readText(aside) !== staleRecord) {
    try {
      linkSync(aside, path);
    } catch {
      // A third server has taken the lock meanwhile; the next attempt sees its record.
    }
  }
  unlinkSync(aside);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(value.pid) || (value.pid as number) <= 0) return null;
    return { pid: value.pid as number, startTicks: value.startTicks ?? null, bootId: value.bootId ?? null, token: String(value.token) };
  } catch {
    // Empty or torn: a server killed while creating it (O_EXCL fallback), or not ours at all.
    return null;
  }
}

/** Whether the process that wrote the record is still running (and is the same process). */
function isAlive(holder: LockHolder): boolean {
  const ourBoot = bootId();
  if (holder.bootId !== null && ourBoot !== null && holder.bootId !== ourBoot) return false; // written before a reboot
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a live process of another user.
  }
  if (holder.startTicks === null) return true;
  const ticks = startTicksOf(holder.pid);
  return ticks === null || ticks === holder.startTicks;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks after boot); null where there is no /proc. */
function startTicksOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

let cachedBootId: string | null | undefined;

function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}
