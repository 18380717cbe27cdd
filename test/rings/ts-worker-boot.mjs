// Worker entry that loads a TypeScript module: `new Worker(thisFileUrl, { argv: [tsModuleUrl] })`.
// On Node 20 a worker does not get the loader hooks that `--import tsx` registers, even though
// it inherits that flag in execArgv (nodejs/node#47747, fixed in Node 22.2): a worker started
// directly on a .ts URL fails with ERR_UNKNOWN_FILE_EXTENSION. So register tsx here first.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
