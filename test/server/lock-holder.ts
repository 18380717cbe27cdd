// A process that takes a data directory's lock (data-dir-lock.test.ts): `lock-holder.ts DIR MODE`.
// MODE `hold` keeps it until killed; `file-only` the same without the abstract socket; `exit`
// ends the process at once without releasing it.
import { DataDirLock } from '../../src/server/data-dir-lock.ts';

const [dataDir, mode] = process.argv.slice(2);
await DataDirLock.acquire(dataDir, { abstractSocket: mode === 'file-only' ? false : undefined });
console.log(`held by ${process.pid}`);
// The lock itself keeps nothing alive: a holder that should stay needs something else.
if (mode !== 'exit') setInterval(() => {}, 60_000);
