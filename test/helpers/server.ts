// Starts real monodyne servers for end-to-end tests: in this process (startServer on an
// ephemeral port) or as a child process running the monodyne bin (for kill/restart tests).
// Clients sign with the development credential (local/local), as README's examples do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
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

const binPath = fileURLToPath(new URL('../../src/server/monodyne.js', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

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
  const child = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
