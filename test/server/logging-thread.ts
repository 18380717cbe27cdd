// A process whose worker thread (started as the storage threads are, through piscina) logs
// (logger.test.ts): `logging-thread.ts MODE`. MODE `kill`: the thread logs at every level at debug,
// then kills the process while its main thread is busy; `levels`: it logs at the default level,
// then at warn.
import { Piscina } from 'piscina';
import { storageWorkerExecArgv } from '../../src/server/runtime-files.ts';

const mode = process.argv[2];
const pool = new Piscina({ filename: new URL('./logging-thread-task.ts', import.meta.url).href, execArgv: storageWorkerExecArgv(), minThreads: 1, maxThreads: 1 });
const done = pool.run(mode);
if (mode === 'kill') {
  // The thread kills the process within this wait; the main thread never gets to forward console output.
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    /* busy */
  }
}
await done;
await pool.destroy();
