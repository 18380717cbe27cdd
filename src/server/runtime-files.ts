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

const loaderFlags = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/**
 * execArgv for a storage worker thread: the process's own flags, with the tsx loader exactly
 * once when running from sources and never when running compiled (there it would only cost
 * each thread start-up time and memory).
 */
export function storageWorkerExecArgv(parentExecArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  let hasTsx = false;
  for (let i = 0; i < parentExecArgv.length; i++) {
    const arg = parentExecArgv[i];
    const separateValue = loaderFlags.has(arg) ? parentExecArgv[i + 1] : undefined;
    const isTsx = separateValue !== undefined ? /tsx/.test(separateValue) : /^--[a-z-]+=.*tsx/.test(arg) && loaderFlags.has(arg.slice(0, arg.indexOf('=')));
    if (separateValue !== undefined) i++;
    if (isTsx) hasTsx = true;
    if (isTsx && runningCompiled) continue;
    out.push(arg);
    if (separateValue !== undefined) out.push(separateValue);
  }
  if (!runningCompiled && !hasTsx) out.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
  return out;
}
