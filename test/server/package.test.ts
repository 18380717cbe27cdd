// The package as users get it: `npm pack` (which builds dist/), installed from the tarball into
// a fresh project beside the AWS SDK, vitest and jest from the npm registry. Through the public
// API (ESM import and CommonJS require), through `npx monodyne`, and through the README's
// node:test, vitest and jest examples exactly as written there, a server is started, used
// (CreateTable, PutItem, GetItem) and closed; its TypeScript declarations are checked too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientFor } from '../helpers/server.ts';
import { roundTrip } from './sdk-round-trip.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The test runners the README's examples are checked with (vitest 5 needs Node 22). */
const vitestVersion = '4.1.12';
const jestVersion = '30.5.2';
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const sdkVersion = packageJson.devDependencies['@aws-sdk/client-dynamodb'];
const packageVersion = packageJson.version;

/** The environment of the commands run here: none of npm's or node:test's own variables leak in. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key === 'NODE_TEST_CONTEXT' || key === 'NODE_OPTIONS' || key === 'FORCE_COLOR' || key.startsWith('MONODYNE_')) continue;
    env[key] = value;
  }
  // Plain text output, for the checks on what the runners print.
  return { ...env, NO_COLOR: '1', ...extra };
}

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command to its end, in its own process group, killed with it if it takes longer than `timeoutMs`. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took more than ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function mustRun(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const { code, output } = await run(command, args, cwd, timeoutMs);
  assert.equal(code, 0, `${command} ${args.join(' ')} in ${cwd} exited with ${code}:\n${output}`);
  return output;
}

/** The README's examples: a fenced block right after `<!-- example: dir/file -->`. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const examples = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) examples.set(match[1], match[2]);
  return examples;
}

/** What the public API scripts do: start ephemeral, round-trip an item, close, and check the directory is gone. */
const apiScript = (load: string) => `${load}
const { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } = sdk;
const { existsSync } = fs;
(async () => {
  const server = await startServer({ ephemeral: true, server: { port: 0 } });
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await client.send(new CreateTableCommand({ TableName: 'api', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  await client.send(new PutItemCommand({ TableName: 'api', Item: { id: { S: 'a' }, v: { S: 'round trip' } } }));
  const { Item } = await client.send(new GetItemCommand({ TableName: 'api', Key: { id: { S: 'a' } } }));
  if (Item?.v?.S !== 'round trip') throw new Error('GetItem returned ' + JSON.stringify(Item));
  client.destroy();
  await server.close();
  if (existsSync(server.dataDir)) throw new Error('the ephemeral directory is still there');
  let refused = false;
  try { await startServer({ server: { prot: 1 } }); } catch (err) { refused = err instanceof ConfigError && err.name === 'ConfigError' && /unknown setting "server.prot"/.test(err.message); }
  if (!refused) throw new Error('a bad option was not refused with a ConfigError');
  console.log('public API: ok ' + server.endpoint);
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** TypeScript users: the declarations type options and results, and refuse a misspelt key. */
const typesCheck = `import { startServer, ConfigError, type RunningServer, type ServerOptions } from 'monodyne';
const options: ServerOptions = { ephemeral: true, server: { port: 0 }, storage: { workers: 3 } };
const server: RunningServer = await startServer(options);
const endpoint: string = server.endpoint;
const port: number = server.port;
await server.close();
// @ts-expect-error: not a config key
await startServer({ server: { prot: 1 } });
// @ts-expect-error: a port is a number
await startServer({ server: { port: '8000' } });
export { endpoint, port, ConfigError };
`;

test('npm pack: the tarball installs into a fresh project and works through the API, npx and the README examples', { timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'monodyne-package-'));
  try {
    const packed = JSON.parse(await mustRun('npm', ['pack', '--json', '--pack-destination', work], root, 180_000).then((out) => out.slice(out.indexOf('[\n')))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0].files.map((f) => f.path);
    for (const expected of ['dist/monodyne.cjs', 'dist/index.cjs', 'dist/storage-worker.cjs', 'dist/types/index.d.ts', 'config/default.json']) assert.ok(files.includes(expected), `${expected} is in the package`);
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests in the package');

    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'uses-monodyne', private: true }, null, 2)}\n`);
    await mustRun(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed[0].filename), `@aws-sdk/client-dynamodb@${sdkVersion}`, `vitest@${vitestVersion}`, `jest@${jestVersion}`],
      project,
      300_000,
    );

    // The public API, from ESM and from CommonJS.
    writeFileSync(join(project, 'api.mjs'), apiScript(`import { startServer, ConfigError } from 'monodyne';\nimport * as sdk from '@aws-sdk/client-dynamodb';\nimport * as fs from 'node:fs';`));
    writeFileSync(join(project, 'api.cjs'), apiScript(`const { startServer, ConfigError } = require('monodyne');\nconst sdk = require('@aws-sdk/client-dynamodb');\nconst fs = require('node:fs');`));
    // A V8 flag on the host process must not stop the storage threads from starting.
    assert.match(await mustRun(process.execPath, ['--max-old-space-size=512', 'api.mjs'], project, 60_000), /public API: ok http:\/\/127\.0\.0\.1:\d+/);
    assert.match(await mustRun(process.execPath, ['api.cjs'], project, 60_000), /public API: ok http:\/\/127\.0\.0\.1:\d+/);

    // The bin, as npx runs it: its version is the package's, built into the bundle.
    assert.match(await mustRun('npx', ['--no-install', 'monodyne', '--version'], project, 60_000), new RegExp(`^monodyne ${packageVersion.replaceAll('.', '\\.')}$`, 'm'));
    await npxServer(project);

    // The README's examples, as written.
    const examples = readmeExamples();
    assert.deepEqual([...examples.keys()].sort(), [
      'jest/dynamodb-setup.js',
      'jest/dynamodb-teardown.js',
      'jest/jest.config.js',
      'jest/users.test.js',
      'node-test/users.test.mjs',
      'vitest/dynamodb-setup.mjs',
      'vitest/users.test.mjs',
      'vitest/vitest.config.mjs',
    ]);
    for (const [path, text] of examples) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), text);
    }
    assert.match(await mustRun(process.execPath, ['--test'], join(project, 'node-test'), 120_000), /# pass 1\n# fail 0/);
    assert.match(await mustRun('npx', ['--no-install', 'vitest', 'run'], join(project, 'vitest'), 120_000), /Tests\s+1 passed/);
    assert.match(await mustRun('npx', ['--no-install', 'jest'], join(project, 'jest'), 120_000), /Tests:\s+1 passed, 1 total/);

    // The declarations, for an ESM and a CommonJS TypeScript file.
    mkdirSync(join(project, 'types'));
    writeFileSync(join(project, 'types', 'esm.mts'), typesCheck);
    writeFileSync(join(project, 'types', 'cjs.cts'), `import { startServer } from 'monodyne';\nvoid startServer({ ephemeral: true }).then((s) => s.close());\n`);
    writeFileSync(
      join(project, 'types', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    await mustRun(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], join(project, 'types'), 120_000);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

/** `npx monodyne --ephemeral --port 0`: listens, serves, stops on Ctrl-C and removes its directory. */
async function npxServer(project: string): Promise<void> {
  const child = spawn('npx', ['--no-install', 'monodyne', '--ephemeral', '--port', '0'], { cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!/listening on (http:\/\/\S+)\n[\s\S]*dataDir=(\S+) \(ephemeral\)/.test(output)) {
      assert.equal(child.exitCode, null, `npx monodyne exited:\n${output}`);
      assert.ok(Date.now() < deadline, `npx monodyne did not start within 60 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [, endpoint, dataDir] = /listening on (http:\/\/\S+)\n[\s\S]*dataDir=(\S+) \(ephemeral\)/.exec(output)!;
    const client = clientFor(endpoint);
    await roundTrip(client, 'npx');
    client.destroy();
    // Ctrl-C in a terminal: SIGINT to the whole process group (npx and the bin it runs).
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    const removedBy = Date.now() + 30_000;
    while (existsSync(dataDir)) {
      assert.ok(Date.now() < removedBy, `the ephemeral directory ${dataDir} was not removed after SIGINT:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(output, /monodyne: SIGINT received, draining requests and closing storage/);
  } finally {
    // Whatever is left of the group when the checks failed (ESRCH: nothing is).
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
