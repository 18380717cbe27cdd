// The server's one logger: every message goes through here, at a level, so `log.level`
// decides what is printed (the simulator sets it to silent).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
let threshold = rank.info;

export function setLogLevel(level: LogLevel): void {
  threshold = rank[level];
}

export const log = {
  debug: (...args: unknown[]): void => {
    if (threshold <= rank.debug) console.log('[monodyne]', ...args);
  },
  info: (...args: unknown[]): void => {
    if (threshold <= rank.info) console.log('[monodyne]', ...args);
  },
  warn: (...args: unknown[]): void => {
    if (threshold <= rank.warn) console.warn('[monodyne]', ...args);
  },
  error: (...args: unknown[]): void => {
    if (threshold <= rank.error) console.error('[monodyne]', ...args);
  },
};
