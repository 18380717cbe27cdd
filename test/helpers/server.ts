// Starts real monodyne servers for end-to-end tests: in this process (startServer on an
// ephemeral port) or as a child process running the monodyne bin (for kill/restart tests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

export function clientFor(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  });
}

/** Starts a server in this process on an ephemeral port with a fresh data directory. */
export async function startTestServer(overrides: (config: Config) => void = () => {}): Promise<TestServer> {
  const dataDir = tempDataDir();
  const config = loadDefaults();
  config.server.port = 0;
  config.storage.dataDir = dataDir;
  config.log.level = 'warn';
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
      const match = /listening on (http:\/\/\S+)/.exec(output);
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
