// The start-up tests' checks on a monodyne bin run as a child process (test/helpers/server.ts).
import assert from 'node:assert/strict';
import { spawnServer, type ChildServer } from '../helpers/server.ts';

/** Asserts that the bin, run with `args`, exits with status 1 before listening and says `expected`. */
export async function assertRefusedStart(args: string[], expected: string | RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
  await assert.rejects(spawnServer(args, env), (err: Error) => {
    assert.match(err.message, /exited \(1\) before listening/);
    if (typeof expected === 'string') assert.ok(err.message.includes(expected), err.message);
    else assert.match(err.message, expected);
    return true;
  });
}

/** SIGTERM, and the clean exit (status 0) that follows it. */
export async function stopCleanly(server: ChildServer): Promise<void> {
  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
}
