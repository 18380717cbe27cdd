// The storage worker's file and flags when the server runs from its TypeScript sources (as
// here); dist/ bundles are covered by test/server/package.test.ts and the startup bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runningCompiled, storageWorkerExecArgv, storageWorkerFile } from '../../src/server/runtime-files.ts';

test('from sources: the worker is src/storage/worker.ts', () => {
  assert.equal(runningCompiled, false);
  assert.ok(storageWorkerFile.endsWith('/src/storage/worker.ts'), storageWorkerFile);
  assert.ok(existsSync(fileURLToPath(storageWorkerFile)));
});

test('from sources: the loader flags are kept, tsx is added once, and flags a worker refuses are left out', () => {
  const tsx = storageWorkerExecArgv([])!;
  assert.equal(tsx.length, 2);
  assert.equal(tsx[0], '--import');
  assert.match(tsx[1], /^file:\/\/.*\/tsx\//);
  // As `node --import tsx --test` runs the tests: tsx is there already.
  assert.deepEqual(storageWorkerExecArgv(['--import', 'tsx', '--test', '--test-concurrency=1']), ['--import', 'tsx']);
  assert.deepEqual(storageWorkerExecArgv(['--import=file:///x/node_modules/tsx/dist/loader.mjs']), ['--import', 'file:///x/node_modules/tsx/dist/loader.mjs']);
  // V8 flags make new Worker() throw ERR_WORKER_INVALID_EXEC_ARGV; other loaders are kept.
  assert.deepEqual(storageWorkerExecArgv(['--expose-gc', '--max-old-space-size=512', '-r', './hook.cjs', '--import', 'tsx']), ['-r', './hook.cjs', '--import', 'tsx']);
});
