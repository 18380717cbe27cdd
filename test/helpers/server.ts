// Starts real monodyne servers for end-to-end tests: in this process (startServer on an
// ephemeral port) or as a child process running the monodyne bin (for kill/restart tests).
// Clients sign with the development credential (local/local), as README's examples do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadDefaults, type Config } from '../../src/server/config.ts';
import { startServer, type RunningServer } from '../../src/server/main.ts';

export function tempDataDir(label = 'monodyne-test'): string {
  return mkdtempSync(join(tmpdir(), `${label}-`));
}

export interface TestServer {
  server: RunningServer;
  endpoint: string;
  dataDir: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/** The embedded default configuration's development credential (README: Connect). */
export const devCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function clientFor(
  endpoint: string,
  maxAttempts = 3,
  credentials: { accessKeyId: string; secretAccessKey: string } = devCredentials,
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts,
    // A request the server never answers fails the test that sent it, instead of hanging it
    // (the server's own bounds are 10 s of retries and a 15 s storage timeout).
    requestHandler: { requestTimeout: 30_000 },
  });
}

/**
 * Starts a server in this process on an ephemeral port with a fresh data directory.
 * Authentication is off (tests here send raw, unsigned HTTP too); set
 * `config.auth.enabled = true` in `overrides` for a server that verifies signatures.
 */
export async function startTestServer(overrides: (config: Config) => void = () => {}): Promise<TestServer> {
  const dataDir = tempDataDir();
  const config = loadDefaults();
  config.server.port = 0;
  config.storage.dataDir = dataDir;
  config.log.level = (process.env.MONODYNE_TEST_LOG as never) ?? 'warn';
  config.auth.enabled = false;
  overrides(config);
  const server = await startServer(config);
  // Every front-door thread listens before the test starts: its requests reach all of them.
  await server.frontDoorsJoined;
  const client = clientFor(server.endpoint);
  const doc = DynamoDBDocumentClient.from(client);
  return {
    server,
    endpoint: server.endpoint,
    dataDir,
    client,
    doc,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Stops `s`'s server and starts another in this process on the same data directory (what a
 * restart keeps), authentication off; the caller closes it. `s.stop()` still removes the directory.
 */
export async function restartOnSameDataDir(s: TestServer): Promise<RunningServer> {
  const config = loadDefaults();
  config.server.port = 0;
  config.storage.dataDir = s.dataDir;
  config.log.level = (process.env.MONODYNE_TEST_LOG as never) ?? 'warn';
  config.auth.enabled = false;
  await s.server.close();
  return startServer(config);
}

const binPath = fileURLToPath(new URL('../../src/server/monodyne.js', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// A test that timed out is still awaiting its server, whose pipes would keep this file's process
// (and with it the whole run) alive: once the file's tests are over, no child server is left.
if (process.env.NODE_TEST_CONTEXT !== undefined) after(() => Promise.all([killChildServers(), reapUnreaped()]));
/** Every child server stops by itself if this process dies without killing it (README: server.exitWithParent). */
const childEnv: NodeJS.ProcessEnv = { MONODYNE_SERVER_EXIT_WITH_PARENT: 'true' };

/**
 * SIGKILLs every child server still running: for a test's `finally`, so that a failed assertion
 * does not leave a server whose pipes keep the test process (and the test runner) waiting.
 */
export async function killChildServers(): Promise<void> {
  await Promise.all(
    [...children].map((child) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

export interface ChildServer {
  child: ChildProcess;
  endpoint: string;
  output: () => string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the monodyne bin as a child process; resolves once it prints its endpoint. */
export function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}, startTimeoutMs = 30_000): Promise<ChildServer> {
  const child = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, endpoint: match[1], output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

export interface WatchedServer {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  /**
   * The first match of `pattern` in its output from character `from` on, as soon as it is printed
   * (null if the process ends first, or after `timeoutMs`).
   */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpExecArray | null>;
  /** Its endpoint once it listens; rejects if it exits first. */
  listening: Promise<string>;
  /** Resolves with the exit code/signal once its output is all read. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the monodyne bin as a child process and returns at once, for tests that act on what it
 * prints before it listens (a kill while its storage nodes recover).
 */
export function startServerProcess(args: string[], env: NodeJS.ProcessEnv = {}): WatchedServer {
  const child = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    child.emit('output');
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.on('exit', () => children.delete(child));
  // 'close': its pipes are drained too, so its last words are in `output`.
  let isClosed = false;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      isClosed = true;
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs: number, from = 0) =>
    new Promise<RegExpExecArray | null>((resolve) => {
      const check = () => {
        const match = pattern.exec(output.slice(from));
        if (match !== null || isClosed) {
          settle();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        settle();
        resolve(null);
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        child.removeListener('output', check);
        child.removeListener('close', check);
      };
      child.on('output', check);
      child.on('close', check);
      check();
    });
  const listening = waitFor(/listening on (https?:\/\/\S+)/, 2 ** 31 - 1).then((match) => {
    if (match === null) throw new Error(`server exited before listening:\n${output}`);
    return match[1];
  });
  // A test that never waits for it (the server killed before it listens) is not failed by it.
  listening.catch(() => {});
  return { child, output: () => output, waitFor, listening, closed };
}

/**
 * The parent that spawnUnreaped puts between a test and its process: it starts `node ARGS`, says
 * its pid, and then blocks its own event loop reading one byte of its stdin, so that the process,
 * once it has died, stays a zombie (Node reaps a child only when its loop runs) until the test
 * lets go. Then it kills the process, unless the byte was `w` (wait for it to end on its own), or
 * its stdin ended (the test process died too), reaps it, and says how it ended.
 */
const unreapingParent = `
const { spawn } = require('node:child_process');
const { readSync, writeSync } = require('node:fs');
const child = spawn(process.execPath, process.argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
writeSync(1, 'unreaped pid ' + child.pid + '\\n');
const byte = Buffer.alloc(1);
let read = 0;
for (;;) {
  try {
    read = readSync(0, byte);
    break;
  } catch (err) {
    if (err.code !== 'EAGAIN') break;
  }
}
child.on('exit', (code, signal) => writeSync(1, 'unreaped exit ' + (signal ?? code) + '\\n'));
if (read === 0 || byte[0] !== 0x77) child.kill('SIGKILL');
`;

export interface UnreapedProcess {
  /** The process's own pid (not its parent's). */
  pid: number;
  /** Everything it and its parent printed so far. */
  output: () => string;
  /** Resolves with the first match of `pattern` in its output; rejects if its parent exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /**
   * Lets its parent reap it: its exit code or signal, as a string. With `kill` (the default) the
   * parent kills it first if it still runs; with `wait` it waits for it to end on its own.
   */
  reap(how?: 'kill' | 'wait'): Promise<string>;
}

/** What spawnUnreaped started and nobody has reaped yet, by reap function. */
const unreaped = new Set<(how?: 'kill' | 'wait') => Promise<string>>();

/** Reaps (killing first) everything spawnUnreaped started that is still there: for a test's `finally`. */
export async function reapUnreaped(): Promise<void> {
  await Promise.all([...unreaped].map((reap) => reap()));
}

/**
 * Runs `node ARGS` under a parent that does not reap it until reap() is called: a process killed
 * with SIGKILL stays a zombie meanwhile, as it does while a busy supervisor or shell has not yet
 * reaped it. Resolves once its pid is known.
 */
export async function spawnUnreaped(args: string[]): Promise<UnreapedProcess> {
  const parent = spawn(process.execPath, ['-e', unreapingParent, '--', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let parentExited = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    parent.emit('output');
  };
  parent.stdout!.on('data', collect);
  parent.stderr!.on('data', collect);
  // 'close': its pipes are drained too, so its last words are in `output`.
  const closed = new Promise<void>((resolve) =>
    parent.on('close', () => {
      parentExited = true;
      resolve();
    }),
  );
  // The parent may be gone already (killed from outside): nothing to tell it then.
  parent.stdin!.on('error', () => {});
  let reaped: Promise<string> | null = null;
  const reap = (how: 'kill' | 'wait' = 'kill') => {
    reaped ??= (async () => {
      unreaped.delete(reap);
      parent.stdin!.end(how === 'wait' ? 'w' : 'k');
      await closed;
      const ended = /unreaped exit (\S+)\n/.exec(output);
      if (ended === null) throw new Error(`its parent did not say how it ended:\n${output}`);
      return ended[1];
    })();
    return reaped;
  };
  unreaped.add(reap);
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match !== null) {
          settle();
          resolve(match);
        } else if (parentExited) {
          settle();
          reject(new Error(`exited without printing ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        parent.removeListener('output', check);
        parent.removeListener('close', check);
      };
      parent.on('output', check);
      parent.on('close', check);
      check();
    });
  try {
    const pid = Number((await waitFor(/unreaped pid (\d+)\n/, 30_000))[1]);
    return { pid, output: () => output, waitFor, reap };
  } catch (err) {
    await reap().catch(() => {});
    throw err;
  }
}

/** The monodyne bin under a parent that does not reap it (spawnUnreaped); resolves once it listens, with its endpoint. */
export async function spawnServerUnreaped(args: string[], startTimeoutMs = 30_000): Promise<UnreapedProcess & { endpoint: string }> {
  const server = await spawnUnreaped([binPath, ...args]);
  try {
    // A failed start says so (its parent, blocked, cannot tell that it exited).
    const [, endpoint] = await server.waitFor(/listening on (https?:\/\/\S+)|monodyne: failed to start/, startTimeoutMs);
    if (endpoint === undefined) throw new Error(`server failed to start:\n${server.output()}`);
    return { ...server, endpoint };
  } catch (err) {
    await server.reap();
    throw err;
  }
}

/** node:crypto behind the hash interface the SDK's signer takes (SHA-256, or HMAC-SHA-256 with a secret). */
class Sha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The AWS SDK's own SigV4 signer (what DynamoDBClient uses), for raw HTTP tests. */
export function sdkSigner(credentials: { accessKeyId: string; secretAccessKey: string } = devCredentials, region = 'us-east-1'): SignatureV4 {
  return new SignatureV4({ service: 'dynamodb', region, credentials, sha256: Sha256 });
}

/** POSTs a raw awsJson 1.0 request signed by the SDK's signer (for protocol-level tests of a server with auth on). */
export async function signedFetch(
  endpoint: string,
  target: string,
  body: string,
  options: { credentials?: { accessKeyId: string; secretAccessKey: string }; region?: string; signingDate?: Date; path?: string } = {},
): Promise<Response> {
  const url = new URL(options.path ?? '/', endpoint);
  const signed = await sdkSigner(options.credentials, options.region).sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
      body,
    },
    { signingDate: options.signingDate },
  );
  return fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
}
