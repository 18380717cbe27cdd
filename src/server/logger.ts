// The server's one logger: every message goes through here, at a level, so `log.level`
// decides what is printed (the simulator sets it to silent). Storage threads take the level in
// their task (each thread has its own copy of this module).
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import { isMainThread } from 'node:worker_threads';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
let threshold = rank.info;

export function setLogLevel(level: LogLevel): void {
  threshold = rank[level];
}

/** How often a worker thread retries a line its non-blocking stdout has no room for (1 ms apart) before handing it to console. */
const busyRetriesMax = 100;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * One line, as console[method] prints it (stdout for log, stderr for warn and error). A worker
 * thread's console output reaches the process's own only through the main thread, some time
 * later, and is lost if the process dies meanwhile: a worker thread writes its lines itself, at
 * once, so the output of a process that was killed holds every line its threads logged before
 * the kill, in the order they logged them.
 */
function emit(method: 'log' | 'warn' | 'error', args: unknown[]): void {
  if (isMainThread) return console[method]('[monodyne]', ...args);
  const fd = method === 'log' ? 1 : 2;
  let bytes = Buffer.from(format('[monodyne]', ...args) + '\n');
  for (let retries = 0; bytes.length > 0; ) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      // Nobody reads the output any more: the line goes nowhere.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > busyRetriesMax) {
        console[method](bytes.toString().trimEnd());
        return;
      }
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

export const log = {
  debug: (...args: unknown[]): void => {
    if (threshold <= rank.debug) emit('log', args);
  },
  info: (...args: unknown[]): void => {
    if (threshold <= rank.info) emit('log', args);
  },
  warn: (...args: unknown[]): void => {
    if (threshold <= rank.warn) emit('warn', args);
  },
  error: (...args: unknown[]): void => {
    if (threshold <= rank.error) emit('error', args);
  },
};
