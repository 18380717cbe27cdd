// npm run soak:slow: slow is not dead (issue 16, point 5). Starts two real servers (the bin,
// default configuration, fresh data directories, 127.0.0.1): one idle and one taking a light
// load (about 20 PutItem/s through the SDK). Beside them it saturates every core with busy-loop
// processes and the disk with three `dd ... conv=fsync` loops, for 3 minutes (--minutes N). At
// the end it reads each server's failover history (GET /_monodyne/partitions), prints the
// figures and exits non-zero if any storage node was failed over. Everything it starts is
// killed, and its files removed, at the end, on failure and on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, sdkSigner, spawnServer, type ChildServer } from '../helpers/server.ts';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    'puts-per-second': { type: 'string', default: '20' },
    'cpu-hogs': { type: 'string', default: String(2 * availableParallelism()) },
    'disk-hogs': { type: 'string', default: '3' },
  },
});
const number = (name: keyof typeof flags): number => {
  const n = Number(flags[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${flags[name]}`);
  return n;
};
const durationMs = number('minutes') * 60_000;
const putsPerSecond = number('puts-per-second');
const cpuHogs = number('cpu-hogs');
const diskHogs = number('disk-hogs');

interface FailoverView {
  failovers: Array<{ node: number; reason: string; detectedAt: number }>;
  /** stillMsMax: the longest work waited on the node without progress; diskStillMsMax: its disk without a durable batch. */
  nodes: Array<{ node: number; alive: boolean; stillMsMax?: number; diskStillMsMax?: number }>;
}

const work = mkdtempSync(join(tmpdir(), 'monodyne-soak-'));
const hogs = new Set<ChildProcess>();
let stopping = false;

/** Busy loops: each child spins on one core until killed. */
function startCpuHog(): void {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  hogs.add(child);
  child.on('exit', () => hogs.delete(child));
}

/** One disk writer: dd of 1 GB with an fsync at the end, started again each time it ends. */
function startDiskHog(file: string): void {
  if (stopping) return;
  const child = spawn('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=1000', 'conv=fsync'], { stdio: 'ignore' });
  hogs.add(child);
  child.on('exit', () => {
    hogs.delete(child);
    startDiskHog(file);
  });
}

async function cleanUp(): Promise<void> {
  stopping = true;
  await Promise.all(
    [...hogs].map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
  await killChildServers();
  rmSync(work, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function startServer(name: string): Promise<{ server: ChildServer; client: DynamoDBClient }> {
  const server = await spawnServer(['--host', '127.0.0.1', '--port', '0', '--data-dir', join(work, name)]);
  // One attempt per request: every error the server gives is counted as it is.
  const client = clientFor(server.endpoint, 1);
  await client.send(
    new CreateTableCommand({
      TableName: 'soak',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return { server, client };
}

/** GET /_monodyne/partitions, signed with the development credential (authentication is on by default). */
async function failovers(server: ChildServer): Promise<FailoverView> {
  const url = new URL('/_monodyne/partitions', server.endpoint);
  const signed = await sdkSigner().sign({ method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
  const res = await fetch(url, { headers: signed.headers as Record<string, string>, signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`GET /_monodyne/partitions: ${res.status} ${await res.text()}`);
  return (await res.json()) as FailoverView;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

let exitCode = 1;
try {
  const idle = await startServer('idle');
  const loaded = await startServer('loaded');
  console.log(`idle server ${idle.server.endpoint}, loaded server ${loaded.server.endpoint}; ${cpuHogs} CPU hogs, ${diskHogs} disk hogs, ${durationMs / 1000} s`);
  for (let i = 0; i < cpuHogs; i++) startCpuHog();
  for (let i = 0; i < diskHogs; i++) startDiskHog(join(work, `hog-${i}`));

  // The light load: an open loop of puts, each on its own (a slow answer does not hold the next).
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const startedAt = Date.now();
  let sent = 0;
  const progress = setInterval(() => {
    void Promise.all([failovers(idle.server), failovers(loaded.server)])
      .then(([i, l]) => `failovers: idle ${i.failovers.length}, loaded ${l.failovers.length}`)
      .catch((err: Error) => `failovers not read: ${err.message}`)
      .then((seen) => console.log(`${Math.round((Date.now() - startedAt) / 1000)} s: ${latenciesMs.length} puts done, ${errors.length} errors; ${seen}`));
  }, 30_000);
  while (Date.now() - startedAt < durationMs) {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * putsPerSecond);
    for (; sent < due; sent++) {
      const n = sent;
      const t0 = performance.now();
      const put = loaded.client
        .send(new PutItemCommand({ TableName: 'soak', Item: { pk: { S: `k${n % 1000}` }, n: { N: String(n) }, pad: { S: 'x'.repeat(200) } } }))
        .then(
          () => void latenciesMs.push(performance.now() - t0),
          (err: Error) => void errors.push(`${err.name}: ${err.message}`),
        )
        .finally(() => inFlight.delete(put));
      inFlight.add(put);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  clearInterval(progress);
  await Promise.all(inFlight);
  stopping = true;

  const views = { idle: await failovers(idle.server), loaded: await failovers(loaded.server) };
  latenciesMs.sort((a, b) => a - b);
  const result = {
    seconds: durationMs / 1000,
    cpuHogs,
    diskHogs,
    putsDone: latenciesMs.length,
    errors: errors.length,
    putLatencyMs: { p50: Math.round(percentile(latenciesMs, 0.5)), p99: Math.round(percentile(latenciesMs, 0.99)), max: Math.round(latenciesMs.at(-1) ?? 0) },
    failovers: { idle: views.idle.failovers, loaded: views.loaded.failovers },
    // The margin left: how long each node went without progress while work waited (and its disk without a durable batch).
    stillMsMax: { idle: views.idle.nodes.map((n) => n.stillMsMax), loaded: views.loaded.nodes.map((n) => n.stillMsMax) },
    diskStillMsMax: { idle: views.idle.nodes.map((n) => n.diskStillMsMax), loaded: views.loaded.nodes.map((n) => n.diskStillMsMax) },
  };
  console.log(JSON.stringify(result, null, 2));
  if (errors.length > 0) console.log(`first errors: ${errors.slice(0, 5).join('; ')}`);
  const count = views.idle.failovers.length + views.loaded.failovers.length;
  if (count > 0) {
    for (const [name, s] of [['idle', idle.server], ['loaded', loaded.server]] as const) {
      for (const line of s.output().split('\n')) if (/failing over|storage node \d/.test(line)) console.log(`${name}: ${line}`);
    }
    console.log(`FAIL: ${count} storage node failover(s) beside CPU and disk hogs`);
  }
  else console.log('ok: no failover');
  exitCode = count > 0 ? 1 : 0;
} catch (err) {
  console.error(err);
} finally {
  await cleanUp();
}
process.exit(exitCode);
