// The build that `npm ci` (prepare) and `npm pack` run: the sources bundled into five
// CommonJS files in dist/, so that no thread compiles TypeScript or resolves a hundred ESM
// files at start-up, plus type declarations for the public entry.
//   dist/monodyne.cjs        the bin (src/server/cli.ts)
//   dist/index.cjs           the package's entry, `startServer` (src/index.ts)
//   dist/storage-worker.cjs  a storage node's thread (src/storage/worker.ts)
//   dist/wal-thread.cjs      the write-ahead log's thread (src/storage/wal/wal-thread.ts)
//   dist/door-thread.cjs     a second front-door thread (src/protocol/door-thread.ts)
//   dist/types/              declarations of src/index.ts and what it names
//   dist/static/             the console's page, script and style
// Packages stay outside the bundles (lmdb and uWebSockets.js load native addons by path).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = `${root}dist`;

rmSync(dist, { recursive: true, force: true });
const startedMs = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: { monodyne: 'src/server/cli.ts', index: 'src/index.ts', 'storage-worker': 'src/storage/worker.ts', 'wal-thread': 'src/storage/wal/wal-thread.ts', 'door-thread': 'src/protocol/door-thread.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'linked',
  // import.meta does not exist in CommonJS: each bundle knows its own URL, and
  // runtime-files.ts finds the storage worker's bundle beside it. The banner comes before
  // esbuild's own "use strict", so it repeats it: the sources are modules, strict throughout.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: `"use strict";\nconst importMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
  logLevel: 'silent',
});
for (const message of [...result.errors, ...result.warnings]) console.error(message.text, message.location ? `(${message.location.file}:${message.location.line})` : '');
// A warning here (an import.meta left in a source, say) would be a bug in the shipped server.
if (result.warnings.length > 0) throw new Error(`the bundle has ${result.warnings.length} warning(s); fix them in the sources`);
const bundledMs = performance.now() - startedMs;
// The console's files are served from beside the bundle (console-files.ts: ./static/).
cpSync(`${root}src/console/static`, `${dist}/static`, { recursive: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const types = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (types.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (status ${types.status})`);
// The declarations describe CommonJS files (dist/index.cjs) in a "type": "module" package.
mkdirSync(`${dist}/types`, { recursive: true });
writeFileSync(`${dist}/types/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`);
console.log(`monodyne: built dist/ (bundles in ${bundledMs.toFixed(0)} ms, declarations in ${(performance.now() - startedMs - bundledMs).toFixed(0)} ms)`);
