// Which file a storage worker thread loads, and with which flags: the compiled bundle when the
// server runs from dist/ (the bin, the package), the TypeScript source through tsx when it
// runs from src/ (tests, benchmarks).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * False when this module is the .ts source; true inside a dist/ bundle, where the build defines
 * import.meta.url as the bundle's own URL (dist/index.cjs, dist/monodyne.cjs).
 */
export const runningCompiled = !import.meta.url.endsWith('.ts');

/** The storage node's thread entry (piscina's `filename`): a sibling bundle in dist/, or the source. */
export const storageWorkerFile = new URL(runningCompiled ? './storage-worker.cjs' : '../storage/worker.ts', import.meta.url).href;

/** A second front-door thread's entry (protocol/door-thread.ts; from sources, through door-thread-source.cjs). */
export const doorThreadFile = new URL(runningCompiled ? './door-thread.cjs' : '../protocol/door-thread-source.cjs', import.meta.url).href;

/** The write-ahead log's thread entry. */
export const walThreadFile = new URL(runningCompiled ? './wal-thread.cjs' : '../storage/wal/wal-thread.ts', import.meta.url).href;

/** Flags that load code into a thread, with their value as the next argument or after '='. */
const loaderFlags = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);
/** Profiling flags a thread takes too (one .cpuprofile per thread, for `npm run loadtest` profiles). */
const profileFlags = new Set(['--cpu-prof', '--cpu-prof-dir', '--cpu-prof-interval']);

/**
 * execArgv for a storage worker thread. Compiled: undefined, so the thread takes the process's
 * own options the way Node passes them on (an explicit list may not hold V8 flags such as
 * --max-old-space-size, which Node refuses in a worker's execArgv). From sources: the process's
 * loader flags, with the tsx loader exactly once.
 */
export function storageWorkerExecArgv(parentExecArgv: readonly string[] = process.execArgv): string[] | undefined {
  if (runningCompiled) return undefined;
  const out: string[] = [];
  let hasTsx = false;
  for (let i = 0; i < parentExecArgv.length; i++) {
    const arg = parentExecArgv[i];
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (profileFlags.has(flag)) {
      out.push(arg);
      continue;
    }
    if (!loaderFlags.has(flag)) continue;
    const value = eq === -1 ? parentExecArgv[++i] : arg.slice(eq + 1);
    if (value === undefined) continue;
    if (/tsx/.test(value)) hasTsx = true;
    out.push(flag, value);
  }
  if (!hasTsx) out.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
  return out;
}
