// One server per data directory. On Linux the lock proper is a Unix socket bound in the
// abstract namespace under a name derived from the directory: the kernel drops the name when the
// holder's descriptors close as it exits, even when it is killed, so a server started while its
// predecessor is still dying (or a zombie its parent has not reaped) takes the directory as soon
// as that one is gone. Beside it, a lock file created atomically (a hard link, or O_EXCL where
// links are not supported) names the holder for the error message and is the lock where no
// abstract socket can be bound. A holder is identified by its pid, its start time and the
// machine's boot id, so a pid that a crashed server left behind and another process reused later
// is not mistaken for a live server; a holder that is exiting or a zombie counts as gone.
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const lockFileName = 'monodyne.lock';

/**
 * How long a start waits for a holder that is going away before refusing: on Linux, one whose
 * socket is still bound while its record says it is exiting or gone (it is closing its
 * descriptors, or it has just bound the socket and not yet written its record); where there is
 * no abstract socket, any holder that still runs (a zombie off Linux looks alive until reaped).
 */
export const holderWaitMsMax = 5_000;
/** How often a waiting start looks again. */
const holderPollIntervalMs = 10;

/** Another live server holds the data directory. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  readonly dataDir: string;
  /** The holder's pid, or null if its record could not be read. */
  readonly pid: number | null;
  constructor(dataDir: string, pid: number | null) {
    super(
      `the data directory ${dataDir} is in use by another monodyne server${pid === null ? '' : ` (pid ${pid})`}: ` +
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

export interface AcquireOptions {
  /** Whether to hold an abstract socket too (Linux only; default: on Linux). Off, the lock file alone decides. */
  abstractSocket?: boolean;
  /** Bound on waiting for a holder that is going away (default holderWaitMsMax). */
  holderWaitMs?: number;
}

export class DataDirLock {
  readonly path: string;
  private readonly record: string;
  /** The bound abstract socket, or null where there is none (the lock file alone is the lock). */
  private readonly socket: Server | null;
  private held = true;
  private readonly onExit = () => this.release();

  private constructor(path: string, record: string, socket: Server | null) {
    this.path = path;
    this.record = record;
    this.socket = socket;
    // A process that exits without closing its server (a test runner that never calls close())
    // still leaves no lock file behind; a crash does, and the next server recognises it as stale.
    process.on('exit', this.onExit);
  }

  /**
   * Takes the data directory's lock, waiting (at most holderWaitMs) for a holder that is going
   * away, or throws DataDirInUseError naming the directory and its holder.
   */
  static async acquire(dataDir: string, options: AcquireOptions = {}): Promise<DataDirLock> {
    const path = join(dataDir, lockFileName);
    const deadline = Date.now() + (options.holderWaitMs ?? holderWaitMsMax);
    const holder: LockHolder = { pid: process.pid, startTicks: procStat(process.pid)?.startTicks ?? null, bootId: bootId(), token: randomBytes(12).toString('hex') };
    const record = `${JSON.stringify(holder)}\n`;
    const socket = (options.abstractSocket ?? process.platform === 'linux') ? await bindSocket(dataDir, path, deadline) : null;
    try {
      for (let attempt = 0; attempt < attemptsMax; ) {
        if (createExclusive(path, record)) return new DataDirLock(path, record, socket);
        const seen = readText(path);
        if (seen === null) {
          attempt++; // released between our attempt and the read: try again
          continue;
        }
        const owner = parseHolder(seen);
        if (owner !== null && isAlive(owner)) {
          // With the socket ours, a live holder is one that holds no socket of that name (in
          // another network namespace, or taking the lock file alone): no use waiting for it.
          if (socket !== null || Date.now() >= deadline) throw new DataDirInUseError(dataDir, owner.pid);
          await delay(holderPollIntervalMs);
          continue;
        }
        takeOverStale(path, seen);
        attempt++;
      }
      throw new Error(`could not take the lock ${path}: other servers kept replacing it (${attemptsMax} attempts)`);
    } catch (err) {
      socket?.close();
      throw err;
    }
  }

  /** Removes the lock file if it is still this server's, then lets the socket go. Safe to call more than once. */
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
    // Last: a server that finds the socket free finds no record naming this live process.
    this.socket?.close();
  }
}

/**
 * Binds the data directory's abstract socket, waiting while its holder is going away (or is
 * starting and has not yet written its record). Null where abstract sockets cannot be bound.
 */
async function bindSocket(dataDir: string, path: string, deadline: number): Promise<Server | null> {
  const name = socketName(dataDir);
  for (;;) {
    const bound = await listenOn(name);
    if (bound !== 'in use') return bound;
    const owner = parseHolder(readText(path) ?? '');
    if (owner !== null && isAlive(owner)) throw new DataDirInUseError(dataDir, owner.pid);
    if (Date.now() >= deadline) throw new DataDirInUseError(dataDir, owner?.pid ?? null);
    await delay(holderPollIntervalMs);
  }
}

/**
 * The abstract socket name of a directory: from its device and inode, so every path that leads
 * to it (symbolic links, bind mounts) gives the same name. Under Linux's 107-byte bound.
 */
function socketName(dataDir: string): string {
  const { dev, ino } = statSync(dataDir, { bigint: true });
  return `\0monodyne-data-dir-${createHash('sha256').update(`${dev}:${ino}`).digest('hex').slice(0, 40)}`;
}

function listenOn(name: string): Promise<Server | 'in use' | null> {
  return new Promise((resolve) => {
    // Nothing is served: a process that connects is hung up on.
    const server = createServer((connection) => connection.destroy());
    // The lock never keeps the process alive on its own.
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in use' : null));
    // exclusive: in a cluster worker, bound by this process itself, not shared through the primary.
    server.listen({ path: name, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {}); // a listening Unix socket has nothing left to fail
      resolve(server);
    });
  });
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

/** Whether the process that wrote the record is still running (the same process, and not on its way out). */
function isAlive(holder: LockHolder): boolean {
  const ourBoot = bootId();
  if (holder.bootId !== null && ourBoot !== null && holder.bootId !== ourBoot) return false; // written before a reboot
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a live process of another user.
  }
  const stat = procStat(holder.pid);
  if (stat === null) return true; // no /proc: the process exists, that is all we know
  if (holder.startTicks !== null && stat.startTicks !== holder.startTicks) return false; // a reused pid
  // A zombie not yet reaped, or a process exiting: it has let go of everything, or is doing so.
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x' || (stat.flags & pfExiting) !== 0) return false;
  // Killed but not yet scheduled to die: SIGKILL cannot be caught, so it is as good as exiting.
  return !sigkillPending(holder.pid);
}

/** The kernel's PF_EXITING task flag (include/linux/sched.h): set as a task starts to exit. */
const pfExiting = 0x4;
/** SIGKILL's bit in /proc/<pid>/status's pending-signal masks (signal 9: bit 8). */
const sigkillBit = 1n << 8n;

/**
 * From /proc/<pid>/stat: the state (field 3), the task flags (field 9) and the start time in
 * clock ticks after boot (field 22); null where there is no /proc or no such process.
 */
function procStat(pid: number): { state: string; flags: number; startTicks: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 20) return null;
    return { state: fields[0], flags: Number(fields[6]), startTicks: fields[19] };
  } catch {
    return null;
  }
}

/**
 * Whether SIGKILL is pending for the process: kill() marks it at once (for the whole process and
 * each of its threads), while the process only starts to exit once a CPU runs it.
 */
function sigkillPending(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  for (const line of status.split('\n')) {
    const match = /^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/.exec(line);
    if (match !== null && (BigInt(`0x${match[1]}`) & sigkillBit) !== 0n) return true;
  }
  return false;
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
