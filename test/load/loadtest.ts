// npm run loadtest: monodyne against a measured ceiling. Starts monodyne (the bin, as a child
// process, default configuration) and a bare uWebSockets.js server answering a fixed
// GetItem-sized body, seeds two tables, drives both with the same load generator (wrk when
// installed, else the bundled Node one) with the same connections and duration, and prints
// per workload requests/s, p50, p99, errors and the ratio to the ceiling; JSON goes to
// bench-results/loadtest.json. Any non-2xx answer fails the run. LOADTEST_MEMORY=1 instead
// loads 1,000,000 items and samples the server's resident memory over a 60 s mixed run.
// Every option is an environment variable; README "Benchmarks" lists them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpConnection, openConnections } from './http-client.ts';
import { runClosedLoop, runOpenLoop, type LoadResult } from './node-generator.ts';
import { runWrk, wrkAvailable } from './wrk-driver.ts';
import { cpuSplit, readRss, threadCpu, type CpuSplit, type Rss } from './proc-stats.ts';
import {
  devSigning,
  getItemBody,
  httpGet,
  httpRequest,
  itemsKeyOf,
  itemsTable,
  makeItem,
  mixedBody,
  putItemBody,
  queryBody,
  requestPool,
  sortedKeyOf,
  sortedKeysPerPartition,
  sortedPartitionKeys,
  sortedTable,
  type BodyMaker,
  type Signing,
} from './requests.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const num = (name: string, fallback: number): number => {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${text}`);
  return n;
};

const options = {
  durationS: num('LOADTEST_DURATION', 10),
  warmupS: num('LOADTEST_WARMUP', 2),
  connections: num('LOADTEST_CONNECTIONS', 64),
  threads: num('LOADTEST_THREADS', 1),
  workloads: (env.LOADTEST_WORKLOADS ?? 'get,put,query,mixed').split(',').map((w) => w.trim()).filter(Boolean),
  generator: env.LOADTEST_GENERATOR ?? (wrkAvailable() ? 'wrk' : 'node'),
  auth: env.LOADTEST_AUTH !== '0',
  items: num('LOADTEST_ITEMS', 100_000),
  itemBytes: num('LOADTEST_ITEM_BYTES', 200),
  poolSize: num('LOADTEST_POOL', 20_000),
  seedConcurrency: num('LOADTEST_SEED_CONCURRENCY', 32),
  halfLoad: env.LOADTEST_HALF_LOAD !== '0',
  memory: env.LOADTEST_MEMORY === '1',
  memoryItems: num('LOADTEST_MEMORY_ITEMS', 1_000_000),
  soakS: num('LOADTEST_SOAK', 60),
  cpuProfDir: env.LOADTEST_CPU_PROF ?? '',
  /** Keep DynamoDB's per-partition throughput ceilings (capacity.partition*UnitsMax); off by default, so the load test measures the server rather than the throttle. */
  throttling: env.LOADTEST_THROTTLING === '1',
  ceiling: env.LOADTEST_CEILING !== '0',
  out: env.LOADTEST_OUT ?? join(root, 'bench-results', env.LOADTEST_MEMORY === '1' ? 'loadtest-memory.json' : 'loadtest.json'),
};
for (const w of options.workloads) if (!['get', 'put', 'query', 'mixed'].includes(w)) throw new Error(`LOADTEST_WORKLOADS: unknown workload ${w} (get, put, query, mixed)`);
if (options.generator !== 'wrk' && options.generator !== 'node') throw new Error('LOADTEST_GENERATOR must be wrk or node');

const host = '127.0.0.1';
const signing: Signing | null = options.auth ? devSigning : null;
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** Spawns `args` under node and waits for the line that `pattern` matches with the port. */
function startChild(args: string[], childEnv: NodeJS.ProcessEnv, pattern: RegExp, label: string): Promise<Started> {
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort({ child, port: Number(match[1]), output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}):\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

// ---- talking to monodyne -----------------------------------------------------------------

/** Retryable answers seen while seeding (throttling, 5xx), retried as the AWS SDKs would. */
let seedRetries = 0;
let firstRetryable = '';
const retryableType = /ProvisionedThroughputExceeded|ThrottlingException|RequestLimitExceeded|ServiceUnavailable|InternalServerError/;

async function call(connection: HttpConnection, port: number, target: string, body: unknown): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    // Signed afresh each attempt, as the SDKs do.
    const res = await connection.request(httpRequest(`${host}:${port}`, target, text, signing));
    const answer = res.body.toString('utf8');
    if (res.status === 200) return JSON.parse(answer) as Record<string, unknown>;
    if (attempt < 10 && (res.status >= 500 || retryableType.test(answer))) {
      seedRetries++;
      if (firstRetryable === '') firstRetryable = `${res.status} ${answer.slice(0, 200)}`;
      await new Promise((r) => setTimeout(r, 20 << Math.min(attempt, 5)));
      continue;
    }
    throw new Error(`${target} answered ${res.status}: ${answer}`);
  }
}

async function createTables(port: number): Promise<void> {
  const connection = new HttpConnection(host, port);
  await connection.ready;
  await call(connection, port, 'CreateTable', {
    TableName: itemsTable,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  await call(connection, port, 'CreateTable', {
    TableName: sortedTable,
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
  connection.close();
}

/** Writes `count` items made by `itemAt` through BatchWriteItem, 25 a request, `concurrency` requests in flight. */
async function seed(port: number, table: string, count: number, itemAt: (i: number) => Record<string, unknown>, label: string): Promise<number> {
  const started = performance.now();
  const connections = await openConnections(host, port, options.seedConcurrency);
  let nextIndex = 0;
  let written = 0;
  let lastReport = started;
  await Promise.all(
    connections.map(async (connection) => {
      for (;;) {
        const first = nextIndex;
        if (first >= count) return;
        nextIndex = Math.min(count, first + 25);
        let requests: unknown[] = [];
        for (let i = first; i < nextIndex; i++) requests.push({ PutRequest: { Item: itemAt(i) } });
        for (let attempt = 0; requests.length > 0; attempt++) {
          const out = await call(connection, port, 'BatchWriteItem', { RequestItems: { [table]: requests } });
          const unprocessed = (out.UnprocessedItems as Record<string, unknown[]> | undefined)?.[table] ?? [];
          written += requests.length - unprocessed.length;
          requests = unprocessed;
          if (requests.length > 0) {
            if (attempt > 20) throw new Error(`BatchWriteItem left ${requests.length} items unprocessed 20 times`);
            await new Promise((r) => setTimeout(r, 10 << Math.min(attempt, 5)));
          }
        }
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          console.log(`  ${label}: ${written.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} items (${Math.round(written / ((now - started) / 1000))} items/s)`);
        }
      }
    }),
  );
  for (const connection of connections) connection.close();
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${label}: ${count.toLocaleString('en-US')} items in ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')} items/s${seedRetries > 0 ? `; ${seedRetries} retryable answers retried so far, the first: ${firstRetryable}` : ''})`);
  return seconds;
}

interface PartitionsView {
  failovers?: unknown[];
  nodes?: Array<{ batches: number | null; entries: number | null }>;
  tables?: Array<{ tableName: string; partitions: unknown[] }>;
}

async function partitionsView(port: number): Promise<PartitionsView | null> {
  const connection = new HttpConnection(host, port);
  await connection.ready;
  try {
    const res = await connection.request(httpGet(`${host}:${port}`, '/_monodyne/partitions', signing));
    return res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as PartitionsView) : null;
  } finally {
    connection.close();
  }
}

/** Commits and log entries so far, summed over the storage nodes (null: not reported). */
async function commitCounts(port: number): Promise<{ batches: number; entries: number } | null> {
  const nodes = (await partitionsView(port))?.nodes;
  if (nodes === undefined || nodes.some((n) => n.batches === null || n.entries === null)) return null;
  return { batches: nodes.reduce((sum, n) => sum + (n.batches ?? 0), 0), entries: nodes.reduce((sum, n) => sum + (n.entries ?? 0), 0) };
}

async function countFailovers(port: number): Promise<number> {
  const view = await partitionsView(port);
  return view === null ? -1 : (view.failovers ?? []).length;
}

// ---- driving load ------------------------------------------------------------------------

async function drive(port: number, pool: Buffer[], name: string, durationS: number, workDir: string): Promise<LoadResult> {
  if (options.generator === 'wrk') {
    return runWrk(`http://${host}:${port}/`, pool, name, { connections: options.connections, threads: options.threads, durationS, workDir });
  }
  return runClosedLoop(host, port, pool, options.connections, durationS);
}

/** The first non-2xx answer among a few requests of the pool, to say why a run failed. */
async function sampleError(port: number, pool: Buffer[]): Promise<string | null> {
  const connection = new HttpConnection(host, port);
  await connection.ready;
  try {
    for (let i = 0; i < Math.min(pool.length, 200); i++) {
      const res = await connection.request(pool[i]);
      if (res.status < 200 || res.status > 299) return `${res.status} ${res.body.toString('utf8', 0, 300)}`;
    }
    return null;
  } finally {
    connection.close();
  }
}

interface WorkloadFigures {
  workload: string;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  requests: number;
  errors: number;
  non2xx: number;
  socketErrors: number;
  ratioToCeiling: number | null;
  serverCpu: CpuSplit | null;
  rssAfter: Rss | null;
  firstError: string | null;
  /** Log entries each storage commit carried on average during the run (writes only). */
  entriesPerCommit?: number;
}

function figures(workload: string, r: LoadResult, ceilingRps: number | null, cpu: CpuSplit | null, rss: Rss | null): WorkloadFigures {
  return {
    workload,
    requestsPerS: Math.round(r.requestsPerS),
    p50Ms: round3(r.p50Ms),
    p99Ms: round3(r.p99Ms),
    meanMs: round3(r.meanMs),
    maxMs: round3(r.maxMs),
    requests: r.requests,
    errors: r.non2xx + r.socketErrors,
    non2xx: r.non2xx,
    socketErrors: r.socketErrors,
    ratioToCeiling: ceilingRps ? Math.round((r.requestsPerS / ceilingRps) * 1000) / 1000 : null,
    serverCpu: cpu,
    rssAfter: rss,
    firstError: r.firstErrorBody,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Runs one workload: a warm-up, then the measured run, with the server's CPU per thread. */
async function measure(port: number, pid: number | null, pool: Buffer[], name: string, workDir: string, ceilingRps: number | null): Promise<WorkloadFigures> {
  if (options.warmupS > 0) await drive(port, pool, `${name}-warmup`, options.warmupS, workDir);
  const before = pid === null ? null : threadCpu(pid);
  const started = performance.now();
  const result = await drive(port, pool, name, options.durationS, workDir);
  const seconds = (performance.now() - started) / 1000;
  const cpu = pid === null || before === null ? null : cpuSplit(pid, before, threadCpu(pid), seconds);
  const out = figures(name, result, ceilingRps, cpu, pid === null ? null : readRss(pid));
  if (out.non2xx > 0 && out.firstError === null) out.firstError = await sampleError(port, pool);
  return out;
}

function printTable(rows: WorkloadFigures[]): void {
  const header = ['workload', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ratio', 'server CPU (main + others, cores)'];
  const lines = rows.map((r) => [
    r.workload,
    r.requestsPerS.toLocaleString('en-US'),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.errors),
    r.ratioToCeiling === null ? '' : r.ratioToCeiling.toFixed(2),
    r.serverCpu === null ? '' : `${r.serverCpu.mainCores.toFixed(2)} + ${r.serverCpu.otherCores.toFixed(2)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

// ---- main ----------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), 'monodyne-loadtest-'));
const workDir = mkdtempSync(join(tmpdir(), 'monodyne-loadtest-work-'));
let exitCode = 0;

try {
  const serverEnv: NodeJS.ProcessEnv = { ...env, MONODYNE_STORAGE_DATA_DIR: dataDir, MONODYNE_SERVER_PORT: '0', MONODYNE_SERVER_HOST: host };
  if (!options.auth) serverEnv.MONODYNE_AUTH_ENABLED = 'false';
  if (!options.throttling) {
    // On-demand tables are held to DynamoDB's per-partition ceilings (3,000 RCU, 1,000 WCU):
    // with 3 partitions a table takes ~3,000 writes/s before it answers
    // ProvisionedThroughputExceededException. Lifted here unless asked for, or set by the caller.
    serverEnv.MONODYNE_CAPACITY_PARTITION_READ_UNITS_MAX ??= '1000000000';
    serverEnv.MONODYNE_CAPACITY_PARTITION_WRITE_UNITS_MAX ??= '1000000000';
  }
  const nodeArgs: string[] = [];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfDir)}`);
  }
  const monodyne = await startChild([...nodeArgs, join(root, 'src/server/monodyne.js')], serverEnv, /listening on https?:\/\/[^\s]*:(\d+)\n[\s\S]*?config: .*\n/, 'monodyne');
  const pid = monodyne.child.pid!;
  const configLine = /config: (.*)/.exec(monodyne.output())?.[1] ?? '';
  console.log(`monodyne: pid ${pid}, port ${monodyne.port}; ${configLine}`);
  console.log(`throttling: ${options.throttling ? 'per-partition ceilings as configured' : `per-partition ceilings lifted (capacity.partitionReadUnitsMax=${serverEnv.MONODYNE_CAPACITY_PARTITION_READ_UNITS_MAX}, partitionWriteUnitsMax=${serverEnv.MONODYNE_CAPACITY_PARTITION_WRITE_UNITS_MAX}; LOADTEST_THROTTLING=1 keeps them)`}`);
  console.log(`requests: ${options.auth ? 'signed with SigV4 (authentication on, as by default)' : 'unsigned (MONODYNE_AUTH_ENABLED=false for this run)'}`);
  console.log(`generator: ${options.generator}${options.generator === 'wrk' ? ` (${options.threads} thread${options.threads > 1 ? 's' : ''})` : ' (bundled, keep-alive sockets)'}, ${options.connections} connections, ${options.durationS} s per run after ${options.warmupS} s of warm-up`);
  const rssStart = readRss(pid);
  await createTables(monodyne.port);
  const itemHost = `${host}:${monodyne.port}`;
  const getMaker: BodyMaker = getItemBody(options.items);
  const putMaker: BodyMaker = putItemBody(options.items, options.itemBytes);
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    options: { ...options, out: undefined },
    server: {
      config: configLine,
      auth: options.auth ? 'on (requests signed)' : 'off (MONODYNE_AUTH_ENABLED=false)',
      partitionReadUnitsMax: serverEnv.MONODYNE_CAPACITY_PARTITION_READ_UNITS_MAX ?? 'default',
      partitionWriteUnitsMax: serverEnv.MONODYNE_CAPACITY_PARTITION_WRITE_UNITS_MAX ?? 'default',
    },
    rssAtStartMiB: rssStart,
  };

  if (options.memory) {
    console.log(`memory: loading ${options.memoryItems.toLocaleString('en-US')} items of ~${options.itemBytes} B`);
    const loadS = await seed(monodyne.port, itemsTable, options.memoryItems, (i) => makeItem(itemsKeyOf(i), options.itemBytes, i), itemsTable);
    await new Promise((r) => setTimeout(r, 2000));
    const rssLoaded = readRss(pid);
    console.log(`memory: RSS ${rssLoaded?.rssMiB.toFixed(0)} MiB after loading (anonymous ${rssLoaded?.anonMiB.toFixed(0)} MiB, file-backed LMDB pages ${rssLoaded?.fileMiB.toFixed(0)} MiB)`);
    const pool = requestPool(itemHost, mixedBody(getItemBody(options.memoryItems), putItemBody(options.memoryItems, options.itemBytes), 0.8), options.poolSize, signing, 4);
    const samples: Array<{ t: number } & Rss> = [];
    const startedAt = performance.now();
    const sampler = setInterval(() => {
      const rss = readRss(pid);
      if (rss) samples.push({ t: Math.round((performance.now() - startedAt) / 1000), ...rss });
    }, 1000);
    const soak = await drive(monodyne.port, pool, 'soak', options.soakS, workDir);
    clearInterval(sampler);
    const tail = samples.slice(Math.floor(samples.length / 6));
    const rssValues = tail.map((s) => s.rssMiB);
    const anonValues = tail.map((s) => s.anonMiB);
    const memory = {
      items: options.memoryItems,
      itemBytes: options.itemBytes,
      loadSeconds: Math.round(loadS * 10) / 10,
      rssAfterLoad: rssLoaded,
      soakSeconds: options.soakS,
      soak: figures('mixed 80/20 soak', soak, null, null, readRss(pid)),
      rssSamples: samples,
      afterFirstSixth: {
        rssMinMiB: Math.min(...rssValues),
        rssMaxMiB: Math.max(...rssValues),
        anonMinMiB: Math.min(...anonValues),
        anonMaxMiB: Math.max(...anonValues),
        anonFirstMiB: anonValues[0],
        anonLastMiB: anonValues[anonValues.length - 1],
      },
    };
    results.memory = memory;
    console.log(`memory: ${options.soakS} s mixed run at ${Math.round(soak.requestsPerS).toLocaleString('en-US')} req/s, ${soak.non2xx + soak.socketErrors} errors`);
    console.log(`memory: RSS sampled each second: ${samples.map((s) => s.rssMiB.toFixed(0)).join(' ')}`);
    console.log(
      `memory: after the first sixth, RSS ${memory.afterFirstSixth.rssMinMiB.toFixed(0)}–${memory.afterFirstSixth.rssMaxMiB.toFixed(0)} MiB, ` +
        `anonymous ${memory.afterFirstSixth.anonMinMiB.toFixed(0)}–${memory.afterFirstSixth.anonMaxMiB.toFixed(0)} MiB (first ${memory.afterFirstSixth.anonFirstMiB.toFixed(0)}, last ${memory.afterFirstSixth.anonLastMiB.toFixed(0)})`,
    );
    if (soak.non2xx + soak.socketErrors > 0) exitCode = 1;
  } else {
    console.log('seeding:');
    results.seedSeconds = {
      [itemsTable]: await seed(monodyne.port, itemsTable, options.items, (i) => makeItem(itemsKeyOf(i), options.itemBytes, i), itemsTable),
      // Only Query reads the second table.
      [sortedTable]: !options.workloads.includes('query')
        ? 0
        : await seed(
            monodyne.port,
            sortedTable,
            sortedPartitionKeys * sortedKeysPerPartition,
            (i) => makeItem(sortedKeyOf(Math.floor(i / sortedKeysPerPartition), i % sortedKeysPerPartition), options.itemBytes, i),
            sortedTable,
          ),
    };
    const seedFailovers = await countFailovers(monodyne.port);
    results.failoversWhileSeeding = seedFailovers;
    if (seedFailovers > 0) console.log(`warning: ${seedFailovers} storage node failover(s) while seeding`);
    const rows: WorkloadFigures[] = [];
    let ceilingRps: number | null = null;
    /** Kept running until the fixed-rate runs are done, to measure the generator's own latency floor. */
    let ceilingServer: { port: number; child: ChildProcess; pool: Buffer[] } | null = null;
    if (options.ceiling) {
      // The ceiling answers what a GetItem of one seeded item answers.
      const sample = await (async () => {
        const connection = new HttpConnection(host, monodyne.port);
        await connection.ready;
        const out = await call(connection, monodyne.port, 'GetItem', { TableName: itemsTable, Key: itemsKeyOf(1) });
        connection.close();
        return JSON.stringify(out);
      })();
      const ceiling = await startChild(['--import', 'tsx', join(root, 'test/load/ceiling-server.ts')], { ...env, LOADTEST_CEILING_BODY: sample }, /ceiling listening on (\d+)/, 'ceiling server');
      const ceilingPool = requestPool(`${host}:${ceiling.port}`, getMaker, options.poolSize, signing, 1);
      const c = await measure(ceiling.port, ceiling.child.pid!, ceilingPool, 'ceiling', workDir, null);
      c.workload = `ceiling (bare uWS, ${Buffer.byteLength(sample)} B body)`;
      ceilingRps = c.requestsPerS;
      c.ratioToCeiling = 1;
      rows.push(c);
      ceilingServer = { port: ceiling.port, child: ceiling.child, pool: ceilingPool };
      console.log(`ceiling: ${c.requestsPerS.toLocaleString('en-US')} req/s`);
    }
    const makers: Record<string, [string, BodyMaker]> = {
      get: ['GetItem', getMaker],
      put: [`PutItem (~${options.itemBytes} B)`, putMaker],
      query: ['Query (sk > :v, Limit 10)', queryBody()],
      mixed: ['80/20 GetItem/PutItem', mixedBody(getMaker, putMaker, 0.8)],
    };
    let seedNumber = 10;
    for (const w of options.workloads) {
      const [label, maker] = makers[w];
      const pool = requestPool(itemHost, maker, options.poolSize, signing, seedNumber++);
      const commitsBefore = await commitCounts(monodyne.port);
      const row = await measure(monodyne.port, pid, pool, label, workDir, ceilingRps);
      const commitsAfter = await commitCounts(monodyne.port);
      if (commitsBefore !== null && commitsAfter !== null && commitsAfter.batches > commitsBefore.batches && w !== 'get' && w !== 'query') {
        row.entriesPerCommit = (commitsAfter.entries - commitsBefore.entries) / (commitsAfter.batches - commitsBefore.batches);
      }
      rows.push(row);
      const perCommit = row.entriesPerCommit === undefined ? '' : `, ${row.entriesPerCommit.toFixed(1)} log entries per commit`;
      console.log(`${label}: ${row.requestsPerS.toLocaleString('en-US')} req/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, ${row.errors} errors${perCommit}${row.firstError ? ` (first: ${row.firstError})` : ''}`);
      if (w === 'get' && options.halfLoad) {
        // GetItem latency at half of monodyne's own maximum: a fixed rate (open loop, bundled generator).
        const rate = Math.max(1, Math.round(row.requestsPerS / 2));
        const half = await runOpenLoop(host, monodyne.port, pool, rate, options.connections, options.durationS);
        const h = figures(`GetItem at half load (${rate.toLocaleString('en-US')} req/s fixed rate)`, half, null, null, readRss(pid));
        rows.push(h);
        results.getItemAtHalfLoad = h;
        (h as WorkloadFigures & { sendDelayP99Ms?: number }).sendDelayP99Ms = half.sendDelayP99Ms;
        console.log(`${h.workload}: p50 ${h.p50Ms.toFixed(2)} ms, p99 ${h.p99Ms.toFixed(2)} ms, ${h.errors} errors; requests left up to ${half.sendDelayP99Ms?.toFixed(2)} ms late (p99)`);
        if (ceilingServer !== null) {
          // The same schedule against the ceiling: the latency the generator and the machine add by themselves.
          const floor = await runOpenLoop(host, ceilingServer.port, ceilingServer.pool, rate, options.connections, options.durationS);
          const f = figures(`ceiling at the same fixed rate (${rate.toLocaleString('en-US')} req/s)`, floor, null, null, null);
          rows.push(f);
          results.ceilingAtHalfLoad = f;
          console.log(`${f.workload}: p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms; requests left up to ${floor.sendDelayP99Ms?.toFixed(2)} ms late (p99)`);
        }
      }
    }
    if (ceilingServer !== null) await stopChild(ceilingServer.child, 'SIGKILL');
    results.workloads = rows;
    results.rssAtEnd = readRss(pid);
    console.log('');
    printTable(rows);
    console.log(`RSS of monodyne: ${rssStart?.rssMiB.toFixed(0)} MiB at start, ${readRss(pid)?.rssMiB.toFixed(0)} MiB at the end`);
    if (rows.some((r) => r.errors > 0)) exitCode = 1;
  }
  // A storage node declared dead during the run (e.g. starved of CPU past the failure detector's
  // bound) changes every figure after it: say so.
  const view = await partitionsView(monodyne.port);
  const failovers = view === null ? -1 : (view.failovers ?? []).length;
  results.failoversDuringRun = failovers;
  if (failovers > 0) {
    console.log(`warning: ${failovers} storage node failover(s) happened during the run (see GET /_monodyne/partitions); the server said:`);
    for (const line of monodyne.output().split('\n').filter((l) => /missed|failing over|error/i.test(l)).slice(0, 10)) console.log(`  ${line}`);
  }
  // Splits (by size or sustained throughput) happen under load as they would in DynamoDB.
  if (view?.tables) {
    results.partitionsAtEnd = Object.fromEntries(view.tables.map((t) => [t.tableName, t.partitions.length]));
    console.log(`partitions at the end: ${view.tables.map((t) => `${t.tableName} ${t.partitions.length}`).join(', ')}`);
  }
  await stopChild(monodyne.child, 'SIGINT');
  if (options.cpuProfDir) {
    const profiles = readdirSync(options.cpuProfDir).filter((f) => f.endsWith('.cpuprofile'));
    console.log(`cpu profiles in ${options.cpuProfDir}: ${profiles.length} (summarize: node --import tsx test/load/profile-summary.ts ${options.cpuProfDir})`);
  }
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${options.out}`);
  if (exitCode !== 0) console.error('loadtest: FAILED: some requests were answered with a non-2xx status or failed on the socket');
} catch (err) {
  console.error('loadtest failed:', err);
  exitCode = 1;
} finally {
  for (const child of children) await stopChild(child, 'SIGKILL', 5000);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
