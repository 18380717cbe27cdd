// npm run loadtest: monodyne against a measured ceiling. Starts monodyne (the bin, as a child
// process, default configuration) and a bare uWebSockets.js server answering a fixed
// GetItem-sized body, seeds two tables, drives both with the same load generator (wrk when
// installed, else the bundled Node one) with the same connections and duration, and prints
// per workload requests/s, p50, p99, errors and the ratio to the ceiling; JSON goes to
// bench-results/loadtest.json. Any non-2xx answer fails the run. LOADTEST_MEMORY=1 instead
// loads 1,000,000 items and samples the server's resident memory over a 60 s mixed run.
// Every option is an environment variable; README "Benchmarks" lists them.
//
// Global secondary indexes (issue 18), in the same run as the workloads they are compared with
// (not in the default list: LOADTEST_WORKLOADS=gsi runs query,gsi-query,put,put-gsi, or add them):
//   gsi-query  the Query of `query` on a global index of lt_sorted (gpk, gsk, ALL projection)
//              whose keys mirror the table's layout; its ratio to `query` (which runs too).
//   put-gsi    the PutItem of `put` on lt_items_gsi, lt_items with two global indexes (ALL
//              projection); its ratio to `put` (which runs too); and, while it runs, the
//              propagation lag (write acknowledged → visible in the index), measured by a
//              separate process (gsi-lag-probe.ts) writing marked items at LOADTEST_LAG_RATE/s.
// Options for them: LOADTEST_SORTED_KEYS (1000: partition keys of lt_sorted, 100 items each),
// LOADTEST_GSI_ITEMS (LOADTEST_ITEMS: items seeded into lt_items_gsi, so that put-gsi overwrites
// as put does), LOADTEST_LAG_RATE (20 writes/s), LOADTEST_LAG_POLL_MS (2), LOADTEST_LAG_TIMEOUT
// (30 s: a write not visible by then counts as not seen and fails the run), LOADTEST_INDEX_WAIT
// (300 s: how long seeding waits for an index to hold every item).
// Transactions (issue 19), likewise (LOADTEST_WORKLOADS=tx runs put,transact-write,get,transact-get):
//   transact-write  TransactWriteItems of two Puts of `put`'s items on two keys of lt_items; its ratio to `put`.
//   transact-get    TransactGetItems of two keys of lt_items; its ratio to `get`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpConnection, openConnections } from './http-client.ts';
import { runClosedLoop, runOpenLoop, type LoadResult } from './node-generator.ts';
import { runWrk, wrkAvailable } from './wrk-driver.ts';
import { buildOpenLoop, runOpenLoopC } from './open-loop-driver.ts';
import { cpuSplit, readRss, threadCpu, type CpuSplit, type Rss } from './proc-stats.ts';
import {
  devSigning,
  itemsGsiIndexes,
  itemsGsiTable,
  sortedIndex,
  sortedItem,
  getItemBody,
  httpAdmin,
  httpGet,
  httpRequest,
  itemsKeyOf,
  itemsTable,
  makeItem,
  mixedBody,
  putItemBody,
  transactGetBody,
  transactWriteBody,
  queryBody,
  requestPool,
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

const knownWorkloads = ['get', 'put', 'query', 'mixed', 'gsi-query', 'put-gsi', 'transact-write', 'transact-get'];
/** The workload each one is reported against, in the same run (added before it when the list lacks it). */
const baselineOf: Record<string, string> = { 'gsi-query': 'query', 'put-gsi': 'put', 'transact-write': 'put', 'transact-get': 'get' };
/**
 * The GSI workloads are reported against their table's in the same run: gsi-query brings query,
 * put-gsi brings put (just before them) when the list does not have them. `gsi` stands for
 * query,gsi-query,put,put-gsi.
 */
function withBaselines(given: string[]): string[] {
  const list = given.flatMap((w) => (w === 'gsi' ? ['gsi-query', 'put-gsi'] : w === 'tx' ? ['transact-write', 'transact-get'] : [w]));
  for (const w of list) if (!knownWorkloads.includes(w)) throw new Error(`LOADTEST_WORKLOADS: unknown workload ${w} (${knownWorkloads.join(', ')}, gsi for query,gsi-query,put,put-gsi, or tx for put,transact-write,get,transact-get)`);
  const out: string[] = [];
  for (const w of list) {
    const base = baselineOf[w] ?? null;
    if (base !== null && !list.includes(base) && !out.includes(base)) out.push(base);
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

const options = {
  durationS: num('LOADTEST_DURATION', 10),
  warmupS: num('LOADTEST_WARMUP', 2),
  connections: num('LOADTEST_CONNECTIONS', 64),
  threads: num('LOADTEST_THREADS', 1),
  workloads: withBaselines((env.LOADTEST_WORKLOADS ?? 'get,put,query,mixed').split(',').map((w) => w.trim()).filter(Boolean)),
  generator: env.LOADTEST_GENERATOR ?? (wrkAvailable() ? 'wrk' : 'node'),
  auth: env.LOADTEST_AUTH !== '0',
  items: num('LOADTEST_ITEMS', 100_000),
  itemBytes: num('LOADTEST_ITEM_BYTES', 200),
  poolSize: num('LOADTEST_POOL', 20_000),
  seedConcurrency: num('LOADTEST_SEED_CONCURRENCY', 32),
  /** Partition keys of lt_sorted (each with sortedKeysPerPartition items); its global index has as many. */
  sortedKeys: Math.max(1, Math.floor(num('LOADTEST_SORTED_KEYS', sortedPartitionKeys))),
  /** Items seeded into lt_items_gsi before put-gsi (put-gsi then overwrites, as put does on lt_items). */
  gsiItems: num('LOADTEST_GSI_ITEMS', num('LOADTEST_ITEMS', 100_000)),
  lagRate: num('LOADTEST_LAG_RATE', 20),
  lagPollMs: num('LOADTEST_LAG_POLL_MS', 2),
  lagTimeoutS: num('LOADTEST_LAG_TIMEOUT', 30),
  indexWaitS: num('LOADTEST_INDEX_WAIT', 300),
  halfLoad: env.LOADTEST_HALF_LOAD !== '0',
  /** The fixed-rate runs' generator: `c` (open-loop.c, built with the machine's compiler; `node` where none builds it) or `node`. */
  fixedRateGenerator: env.LOADTEST_FIXED_RATE_GENERATOR ?? 'c',
  memory: env.LOADTEST_MEMORY === '1',
  memoryItems: num('LOADTEST_MEMORY_ITEMS', 1_000_000),
  soakS: num('LOADTEST_SOAK', 60),
  cpuProfDir: env.LOADTEST_CPU_PROF ?? '',
  nodeArgs: (env.LOADTEST_NODE_ARGS ?? '').split(' ').filter(Boolean),
  serverLog: env.LOADTEST_SERVER_LOG ?? '',
  /** Rounds of splits forced during each measured run of get, put, mixed (lt_items) and query (lt_sorted): each round splits every partition the table has. */
  splitRounds: Math.floor(num('LOADTEST_SPLIT_ROUNDS', 0)),
  /** Keep throttling (capacity.throttling) at DynamoDB's per-partition ceilings; off by default, so the load test measures the server rather than the throttle. */
  throttling: env.LOADTEST_THROTTLING === '1',
  ceiling: env.LOADTEST_CEILING !== '0',
  out: env.LOADTEST_OUT ?? join(root, 'bench-results', env.LOADTEST_MEMORY === '1' ? 'loadtest-memory.json' : 'loadtest.json'),
};
const sortedItems = options.sortedKeys * sortedKeysPerPartition;
const indexTargets = { gsiQueryToQuery: 0.8, putGsiToPut: 0.6 };
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
  // Its items always carry gpk/gsk (at the same item size); the index on them only when gsi-query runs.
  const withIndex = options.workloads.includes('gsi-query');
  await call(connection, port, 'CreateTable', {
    TableName: sortedTable,
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      ...(withIndex
        ? [
            { AttributeName: 'gpk', AttributeType: 'S' },
            { AttributeName: 'gsk', AttributeType: 'N' },
          ]
        : []),
    ],
    ...(withIndex
      ? {
          GlobalSecondaryIndexes: [
            {
              IndexName: sortedIndex,
              KeySchema: [
                { AttributeName: 'gpk', KeyType: 'HASH' },
                { AttributeName: 'gsk', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }
      : {}),
    BillingMode: 'PAY_PER_REQUEST',
  });
  if (options.workloads.includes('put-gsi')) {
    // lt_items with two global indexes on attributes every item of it has (makeItem's name and count).
    await call(connection, port, 'CreateTable', {
      TableName: itemsGsiTable,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'name', AttributeType: 'S' },
        { AttributeName: 'count', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: itemsGsiIndexes[0], KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        {
          IndexName: itemsGsiIndexes[1],
          KeySchema: [
            { AttributeName: 'count', KeyType: 'HASH' },
            { AttributeName: 'name', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
  }
  connection.close();
}

interface IndexCounts {
  table: number;
  indexes: Record<string, { status: string; items: number }>;
}

/** The table's and its global indexes' item counts, as DescribeTable gives them (monodyne's are current). */
async function indexCounts(port: number, table: string): Promise<IndexCounts> {
  const connection = new HttpConnection(host, port);
  await connection.ready;
  try {
    const out = (await call(connection, port, 'DescribeTable', { TableName: table })).Table as {
      ItemCount: number;
      GlobalSecondaryIndexes?: Array<{ IndexName: string; IndexStatus: string; ItemCount: number }>;
    };
    return { table: out.ItemCount, indexes: Object.fromEntries((out.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, { status: g.IndexStatus, items: g.ItemCount }])) };
  } finally {
    connection.close();
  }
}

/**
 * Waits until every global index of `table` holds as many entries as the table has items (every
 * item here has the index keys) and is ACTIVE; returns the seconds waited. Throws after
 * LOADTEST_INDEX_WAIT seconds.
 */
async function waitForIndexes(port: number, table: string, label: string): Promise<number> {
  const started = performance.now();
  let counts: IndexCounts | null = null;
  for (;;) {
    counts = await indexCounts(port, table);
    const entries = Object.values(counts.indexes);
    if (entries.length > 0 && entries.every((e) => e.status === 'ACTIVE' && e.items === counts!.table)) break;
    if (performance.now() - started > options.indexWaitS * 1000) {
      throw new Error(`${label}: the global indexes did not catch up in ${options.indexWaitS} s: ${JSON.stringify(counts)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${label}: global indexes complete (${Object.entries(counts.indexes).map(([n, e]) => `${n} ${e.items.toLocaleString('en-US')}`).join(', ')} entries) ${seconds.toFixed(1)} s after seeding ended`);
  return seconds;
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
  splits?: number;
  nodes?: Array<{ batches: number | null; entries: number | null }>;
  tables?: Array<{ tableName: string; partitions: Array<{ partition: number }> }>;
  frontDoors?: Array<FrontDoorFigures>;
}

/** One front-door thread as GET /_monodyne/partitions reports it. */
interface FrontDoorFigures {
  thread: number;
  tid: number | null;
  localServed: number;
  localPassed: number;
  answered?: number;
  forwarded?: number;
}

/** What each front-door thread did during a run: "0: 1,234 of 1,300 reads local; 1: ...". */
function frontDoorNote(before: FrontDoorFigures[] | undefined, after: FrontDoorFigures[] | undefined): string | undefined {
  if (before === undefined || after === undefined || after.length === 0) return undefined;
  return after
    .map((a) => {
      const b = before.find((d) => d.thread === a.thread);
      const served = a.localServed - (b?.localServed ?? 0);
      const passed = a.localPassed - (b?.localPassed ?? 0);
      const handled = a.answered === undefined ? '' : `, answered ${(a.answered - (b?.answered ?? 0)).toLocaleString('en-US')}, forwarded ${((a.forwarded ?? 0) - (b?.forwarded ?? 0)).toLocaleString('en-US')}`;
      return `thread ${a.thread}: local reads ${served.toLocaleString('en-US')}, sent on ${passed.toLocaleString('en-US')}${handled}`;
    })
    .join('; ');
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

/**
 * Seconds from `since` (performance.now()) to the propagator's last acknowledgement for `table`,
 * once it has acknowledged nothing more for a second (its sweep runs every 250 ms): how long it
 * took to drain the outbox after the load stopped. Null if the endpoint says nothing of it.
 */
async function propagatorIdle(port: number, table: string, since: number): Promise<{ drainedAfterS: number; acknowledgedAfterLoad: number } | null> {
  let last: number | null = null;
  let first: number | null = null;
  let lastChange = performance.now();
  while (performance.now() - lastChange < 1000) {
    if (performance.now() - since > options.indexWaitS * 1000) throw new Error(`${table}: the propagator was still acknowledging ${options.indexWaitS} s after the load stopped`);
    const acknowledged = (await serverPropagation(port, table))?.acknowledged;
    if (typeof acknowledged !== 'number') return null;
    first ??= acknowledged;
    if (acknowledged !== last) {
      if (last !== null) lastChange = performance.now();
      last = acknowledged;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { drainedAfterS: Math.max(0, (lastChange - since) / 1000), acknowledgedAfterLoad: (last ?? 0) - (first ?? 0) };
}

/** The propagator's own figures for `table` (GET /_monodyne/indexes; null if not there). */
async function serverPropagation(port: number, table: string): Promise<Record<string, unknown> | null> {
  const connection = new HttpConnection(host, port);
  await connection.ready;
  try {
    const res = await connection.request(httpGet(`${host}:${port}`, '/_monodyne/indexes', signing));
    if (res.status !== 200) return null;
    const rows = JSON.parse(res.body.toString('utf8')) as Array<{ tableName: string; propagation?: Record<string, unknown> | null }>;
    return rows.find((r) => r.tableName === table && r.propagation != null)?.propagation ?? null;
  } finally {
    connection.close();
  }
}

async function countFailovers(port: number): Promise<number> {
  const view = await partitionsView(port);
  return view === null ? -1 : (view.failovers ?? []).length;
}

/** The table each workload reads or writes, for LOADTEST_SPLIT_ROUNDS (the others are not split). */
const splitTableOf: Record<string, string> = { get: itemsTable, put: itemsTable, mixed: itemsTable, query: sortedTable };
/** The table each workload reads or writes (the index's table for the GSI workloads). */
const tableOf: Record<string, string> = { ...splitTableOf, 'gsi-query': sortedTable, 'put-gsi': itemsGsiTable, 'transact-write': itemsTable, 'transact-get': itemsTable };

/**
 * LOADTEST_SPLIT_ROUNDS: from a fifth of the measured run on, splits every partition of `table`
 * (POST /_monodyne/faults, one split at a time), that many rounds, so that the run measures its
 * requests while the table splits, at the same point of every run. Returns the splits made.
 */
async function forceSplits(port: number, table: string, runEnded: Promise<number>): Promise<number> {
  let over = false;
  void runEnded.then(() => (over = true));
  await new Promise((r) => setTimeout(r, (options.durationS * 1000) / 5));
  const connection = new HttpConnection(host, port);
  await connection.ready;
  let made = 0;
  try {
    for (let round = 0; round < options.splitRounds && !over; round++) {
      const partitions = (await partitionsView(port))?.tables?.find((t) => t.tableName === table)?.partitions ?? [];
      for (const p of partitions) {
        if (over) break;
        const res = await connection.request(httpAdmin(`${host}:${port}`, 'POST', '/_monodyne/faults', JSON.stringify({ action: 'split', table, partition: p.partition }), signing));
        if (res.status !== 200) throw new Error(`forcing a split of ${table}/${p.partition}: ${res.status} ${res.body.toString('utf8')}`);
        if ((JSON.parse(res.body.toString('utf8')) as { split: boolean }).split) made++;
      }
    }
  } finally {
    connection.close();
  }
  return made;
}

// ---- driving load ------------------------------------------------------------------------

async function drive(port: number, pool: Buffer[], name: string, durationS: number, workDir: string): Promise<LoadResult> {
  if (options.generator === 'wrk') {
    return runWrk(`http://${host}:${port}/`, pool, name, { connections: options.connections, threads: options.threads, durationS, workDir });
  }
  return runClosedLoop(host, port, pool, options.connections, durationS);
}

/** The C fixed-rate generator, once built (null: the Node one). */
let openLoopBinary: string | null | undefined;

/** `ratePerS` requests a second on a fixed schedule (open loop): latency with the queueing a schedule brings. */
async function driveFixedRate(port: number, pool: Buffer[], name: string, ratePerS: number, workDir: string): Promise<LoadResult> {
  if (openLoopBinary === undefined) openLoopBinary = options.fixedRateGenerator === 'c' ? buildOpenLoop(workDir) : null;
  if (openLoopBinary !== null) return runOpenLoopC(openLoopBinary, host, port, pool, name, ratePerS, options.connections, options.durationS, workDir);
  return runOpenLoop(host, port, pool, ratePerS, options.connections, options.durationS);
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
  /** gsi-query and put-gsi: requests/s over those of the same workload on the table without the index (query, put) in this run. */
  ratioToTable?: number;
  /** Partitions split during the measured run (not its warm-up): a split under load is what issue 21 point 5 measures. */
  splitsDuringRun?: number;
  /**
   * Partitions the workload's table had as the measured run began. Earlier workloads of the same
   * run split it as they load it: a faster read run leaves a put run more partitions to write to.
   */
  partitionsAtStart?: number;
  /** What each front-door thread did during the run (local reads, forwarded requests). */
  frontDoors?: string;
  /** Of them, those LOADTEST_SPLIT_ROUNDS forced. */
  splitsForced?: number;
}

/** What gsi-lag-probe.ts prints. */
interface LagResult {
  index: string;
  ratePerS: number;
  writes: number;
  writingS: number;
  seen: number;
  notSeenWithinMs: number;
  notSeen: number;
  errors: number;
  firstError: string | null;
  lagMedianMs: number | null;
  lagP99Ms: number | null;
  lagMaxMs: number | null;
  lagMinMs: number | null;
  lagMedianFirstThirdMs: number | null;
  lagMedianLastThirdMs: number | null;
  putMedianMs: number | null;
  polls: number;
  pollMs: number;
  pollRttMedianMs: number | null;
  pollRttP99Ms: number | null;
}

/**
 * Starts the lag probe (its own process) and waits until it is ready; `go()` starts its writes
 * for `durationS` and resolves with what it measured once every write was seen or timed out.
 */
async function startLagProbe(port: number, durationS: number): Promise<{ go: () => Promise<LagResult> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/load/gsi-lag-probe.ts')], {
    cwd: root,
    env: {
      ...env,
      LAG_HOST: host,
      LAG_PORT: String(port),
      LAG_AUTH: options.auth ? '1' : '0',
      LAG_INDEX: itemsGsiIndexes[0],
      LAG_ITEM_BYTES: String(options.itemBytes),
      LAG_RATE: String(options.lagRate),
      LAG_DURATION_S: String(durationS),
      LAG_POLL_MS: String(options.lagPollMs),
      LAG_TIMEOUT_MS: String(options.lagTimeoutS * 1000),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.on('exit', () => resolveExit()));
  await new Promise<void>((ready, reject) => {
    const timer = setInterval(() => {
      if (output.includes('probe ready')) {
        clearInterval(timer);
        ready();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`lag probe exited (${child.exitCode}):\n${output}`));
      }
    }, 20);
  });
  return {
    go: async () => {
      child.stdin!.write('go\n');
      await exited;
      const match = /LAG_RESULT (\{.*\})/.exec(output);
      if (match === null) throw new Error(`lag probe failed (exit ${child.exitCode}):\n${output}`);
      return JSON.parse(match[1]) as LagResult;
    },
  };
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

/**
 * Runs one workload: a warm-up, then the measured run, with the server's CPU per thread.
 * `alongside`, if given, is started as the measured run starts (given a promise of the moment,
 * performance.now(), the run ends) and awaited after it.
 */
async function measure(
  port: number,
  pid: number | null,
  pool: Buffer[],
  name: string,
  table: string | undefined,
  workDir: string,
  ceilingRps: number | null,
  alongside?: (runEnded: Promise<number>) => Promise<void>,
): Promise<WorkloadFigures> {
  if (options.warmupS > 0) await drive(port, pool, `${name}-warmup`, options.warmupS, workDir);
  const viewBefore = pid === null ? null : await partitionsView(port);
  const splitsBefore = viewBefore?.splits;
  const partitionsAtStart = table === undefined ? undefined : viewBefore?.tables?.find((t) => t.tableName === table)?.partitions.length;
  // The other front-door threads' ids: their CPU is shown apart from the storage threads'.
  const doorTids = (viewBefore?.frontDoors ?? []).flatMap((door) => (door.thread > 0 && door.tid !== null ? [door.tid] : []));
  const before = pid === null ? null : threadCpu(pid);
  const started = performance.now();
  let ended: (at: number) => void = () => {};
  const beside = alongside?.(new Promise<number>((r) => (ended = r)));
  const result = await drive(port, pool, name, options.durationS, workDir);
  const seconds = (performance.now() - started) / 1000;
  ended(performance.now());
  await beside;
  const cpu = pid === null || before === null ? null : cpuSplit(pid, before, threadCpu(pid), seconds, doorTids);
  const out = figures(name, result, ceilingRps, cpu, pid === null ? null : readRss(pid));
  const viewAfter = pid === null ? null : await partitionsView(port);
  const splitsAfter = viewAfter?.splits;
  if (splitsBefore !== undefined && splitsAfter !== undefined) out.splitsDuringRun = splitsAfter - splitsBefore;
  out.partitionsAtStart = partitionsAtStart;
  out.frontDoors = frontDoorNote(viewBefore?.frontDoors, viewAfter?.frontDoors);
  if (out.non2xx > 0 && out.firstError === null) out.firstError = await sampleError(port, pool);
  return out;
}

function printTable(rows: WorkloadFigures[], lag: LagResult | null): void {
  const header = ['workload', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ratio', 'vs table', 'server CPU (main + other front doors + others, cores)'];
  const lines = rows.map((r) => [
    r.workload,
    r.requestsPerS.toLocaleString('en-US'),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.errors),
    r.ratioToCeiling === null ? '' : r.ratioToCeiling.toFixed(2),
    r.ratioToTable === undefined ? '' : r.ratioToTable.toFixed(2),
    r.serverCpu === null ? '' : `${r.serverCpu.mainCores.toFixed(2)} + ${r.serverCpu.doorCores.toFixed(2)} + ${r.serverCpu.otherCores.toFixed(2)}`,
  ]);
  if (lag !== null) {
    // The lag row: its p50/p99 are of (write acknowledged → visible in the index); errors count writes never seen too.
    lines.push([
      `GSI propagation lag under PutItem (${lag.writes} marked writes, ${lag.ratePerS}/s)`,
      '',
      lag.lagMedianMs === null ? '' : lag.lagMedianMs.toFixed(2),
      lag.lagP99Ms === null ? '' : lag.lagP99Ms.toFixed(2),
      String(lag.errors + lag.notSeen),
      '',
      '',
      '',
    ]);
  }
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
    // On-demand tables are held to DynamoDB's per-partition ceilings (3,000 RCU, 1,000 WCU): a
    // fresh one takes ~4,000 writes/s before it answers ProvisionedThroughputExceededException.
    // Throttling is turned off here (capacity.throttling) unless asked for, or set by the caller.
    serverEnv.MONODYNE_CAPACITY_THROTTLING ??= 'false';
  }
  // Forced splits go through the faults endpoint (POST /_monodyne/faults), off by default.
  if (options.splitRounds > 0) serverEnv.MONODYNE_FAULTS_ENABLED = 'true';
  const nodeArgs: string[] = [...options.nodeArgs];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfDir)}`);
  }
  const monodyne = await startChild([...nodeArgs, join(root, 'src/server/monodyne.js')], serverEnv, /listening on https?:\/\/[^\s]*:(\d+)\n[\s\S]*?config: .*\n/, 'monodyne');
  const pid = monodyne.child.pid!;
  const configLine = /config: (.*)/.exec(monodyne.output())?.[1] ?? '';
  console.log(`monodyne: pid ${pid}, port ${monodyne.port}; ${configLine}`);
  console.log(`throttling: ${options.throttling ? 'per-partition ceilings as configured' : `capacity.throttling=${serverEnv.MONODYNE_CAPACITY_THROTTLING} (LOADTEST_THROTTLING=1 keeps the per-partition ceilings)`}`);
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
      throttling: serverEnv.MONODYNE_CAPACITY_THROTTLING ?? 'default',
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
      // Only Query (and gsi-query, which brings it) reads the second table.
      [sortedTable]: !options.workloads.includes('query') ? 0 : await seed(monodyne.port, sortedTable, sortedItems, (i) => sortedItem(i, options.sortedKeys, options.itemBytes), sortedTable),
    };
    const indexWaitSeconds: Record<string, number> = {};
    if (options.workloads.includes('gsi-query')) indexWaitSeconds[sortedTable] = await waitForIndexes(monodyne.port, sortedTable, sortedTable);
    if (options.workloads.includes('put-gsi')) {
      (results.seedSeconds as Record<string, number>)[itemsGsiTable] = await seed(monodyne.port, itemsGsiTable, options.gsiItems, (i) => makeItem(itemsKeyOf(i), options.itemBytes, i), itemsGsiTable);
      indexWaitSeconds[itemsGsiTable] = await waitForIndexes(monodyne.port, itemsGsiTable, itemsGsiTable);
    }
    if (Object.keys(indexWaitSeconds).length > 0) results.indexCatchUpAfterSeedingSeconds = indexWaitSeconds;
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
      const c = await measure(ceiling.port, ceiling.child.pid!, ceilingPool, 'ceiling', undefined, workDir, null);
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
      query: ['Query (sk > :v, Limit 10)', queryBody(options.sortedKeys)],
      mixed: ['80/20 GetItem/PutItem', mixedBody(getMaker, putMaker, 0.8)],
      'gsi-query': ['Query on a GSI (gsk > :v, Limit 10)', queryBody(options.sortedKeys, true)],
      'put-gsi': [`PutItem, table with 2 GSIs (~${options.itemBytes} B)`, putItemBody(options.items, options.itemBytes, itemsGsiTable)],
      'transact-write': [`TransactWriteItems, 2 Puts (~${options.itemBytes} B)`, transactWriteBody(options.items, options.itemBytes)],
      'transact-get': ['TransactGetItems, 2 Gets', transactGetBody(options.items)],
    };
    // Each workload's pool has its own random seed (those the default list always had); a GSI
    // workload draws the same keys and items as its table's.
    const poolSeeds: Record<string, number> = { get: 10, put: 11, query: 12, mixed: 13, 'gsi-query': 12, 'put-gsi': 11, 'transact-write': 14, 'transact-get': 15 };
    const byWorkload = new Map<string, WorkloadFigures>();
    let lag: LagResult | null = null;
    let propagation: Record<string, unknown> | null = null;
    let drain: { drainedAfterS: number; acknowledgedAfterLoad: number } | null = null;
    for (const w of options.workloads) {
      const [label, maker] = makers[w];
      const pool = requestPool(itemHost, maker, options.poolSize, signing, poolSeeds[w]);
      const commitsBefore = await commitCounts(monodyne.port);
      let row: WorkloadFigures;
      if (w === 'put-gsi' && options.lagRate > 0) {
        // The lag probe writes and polls while the measured run (not the warm-up) goes on.
        const probe = await startLagProbe(monodyne.port, options.durationS);
        row = await measure(monodyne.port, pid, pool, label, tableOf[w], workDir, ceilingRps, async (runEnded) => {
          await Promise.all([
            probe.go().then((result) => (lag = result)),
            runEnded.then(async (at) => (drain = await propagatorIdle(monodyne.port, itemsGsiTable, at))),
          ]);
        });
      } else if (options.splitRounds > 0 && splitTableOf[w] !== undefined) {
        let forced = 0;
        row = await measure(monodyne.port, pid, pool, label, tableOf[w], workDir, ceilingRps, async (runEnded) => {
          forced = await forceSplits(monodyne.port, splitTableOf[w], runEnded);
        });
        row.splitsForced = forced;
      } else {
        row = await measure(monodyne.port, pid, pool, label, tableOf[w], workDir, ceilingRps);
      }
      const commitsAfter = await commitCounts(monodyne.port);
      if (commitsBefore !== null && commitsAfter !== null && commitsAfter.batches > commitsBefore.batches && w !== 'get' && w !== 'query' && w !== 'gsi-query' && w !== 'transact-get') {
        row.entriesPerCommit = (commitsAfter.entries - commitsBefore.entries) / (commitsAfter.batches - commitsBefore.batches);
      }
      const base = baselineOf[w] === undefined ? undefined : byWorkload.get(baselineOf[w]);
      if (base !== undefined && base.requestsPerS > 0) row.ratioToTable = Math.round((row.requestsPerS / base.requestsPerS) * 1000) / 1000;
      byWorkload.set(w, row);
      rows.push(row);
      const perCommit = row.entriesPerCommit === undefined ? '' : `, ${row.entriesPerCommit.toFixed(1)} log entries per commit`;
      const vsTable = row.ratioToTable === undefined ? '' : `, ${row.ratioToTable.toFixed(2)} × ${w.startsWith('transact') ? (w === 'transact-get' ? 'GetItem' : 'PutItem') : 'the same on the table without the index'}`;
      const splitNote =
        (row.partitionsAtStart === undefined ? '' : `, ${tableOf[w]} on ${row.partitionsAtStart} partitions as it began`) +
        (row.splitsDuringRun ? `, ${row.splitsDuringRun} partition split${row.splitsDuringRun > 1 ? 's' : ''} during the run` : '');
      console.log(`${label}: ${row.requestsPerS.toLocaleString('en-US')} req/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, ${row.errors} errors${splitNote}${perCommit}${vsTable}${row.firstError ? ` (first: ${row.firstError})` : ''}`);
      if (row.frontDoors !== undefined) console.log(`  front doors: ${row.frontDoors}`);
      if (w === 'put-gsi') {
        // The server's view: its lag samples are per propagator pass (oldest write waiting → pass done), its last 1,000 passes.
        propagation = await serverPropagation(monodyne.port, itemsGsiTable);
        if (propagation !== null) console.log(`propagator (GET /_monodyne/indexes, ${itemsGsiTable}): ${JSON.stringify(propagation)}`);
        const d = drain as { drainedAfterS: number; acknowledgedAfterLoad: number } | null;
        if (d !== null) console.log(`propagator: its outbox drained ${d.drainedAfterS.toFixed(2)} s after the load stopped (${d.acknowledgedAfterLoad.toLocaleString('en-US')} outbox records acknowledged meanwhile)`);
        const l = lag as LagResult | null;
        if (l !== null) {
          console.log(
            `GSI propagation lag (${l.index}, ${l.seen} of ${l.writes} marked writes at ${l.ratePerS}/s during the run): median ${l.lagMedianMs?.toFixed(2)} ms, p99 ${l.lagP99Ms?.toFixed(2)} ms, max ${l.lagMaxMs?.toFixed(2)} ms; median over the first third of the run ${l.lagMedianFirstThirdMs?.toFixed(2)} ms, the last third ${l.lagMedianLastThirdMs?.toFixed(2)} ms` +
              ` (polled every ${l.pollMs} ms or more, Query round trip median ${l.pollRttMedianMs?.toFixed(2)} ms, p99 ${l.pollRttP99Ms?.toFixed(2)} ms; ${l.polls} polls)` +
              (l.notSeen > 0 ? `; ${l.notSeen} NOT SEEN within ${l.notSeenWithinMs / 1000} s` : '') +
              (l.errors > 0 ? `; ${l.errors} errors (first: ${l.firstError})` : ''),
          );
        }
      }
      if (w === 'get' && options.halfLoad) {
        // GetItem latency at half of monodyne's own maximum: a fixed rate (open loop).
        const rate = Math.max(1, Math.round(row.requestsPerS / 2));
        const half = await driveFixedRate(monodyne.port, pool, 'get-half-load', rate, workDir);
        const h = figures(`GetItem at half load (${rate.toLocaleString('en-US')} req/s fixed rate)`, half, null, null, readRss(pid));
        rows.push(h);
        results.getItemAtHalfLoad = h;
        (h as WorkloadFigures & { sendDelayP99Ms?: number }).sendDelayP99Ms = half.sendDelayP99Ms;
        console.log(`${h.workload}: p50 ${h.p50Ms.toFixed(2)} ms, p99 ${h.p99Ms.toFixed(2)} ms, ${h.errors} errors; requests left up to ${half.sendDelayP99Ms?.toFixed(2)} ms late (p99; ${openLoopBinary ? 'the C generator, open-loop.c' : 'the bundled Node generator'})`);
        if (ceilingServer !== null) {
          // The same schedule against the ceiling: the latency the generator and the machine add by themselves.
          const floor = await driveFixedRate(ceilingServer.port, ceilingServer.pool, 'ceiling-half-load', rate, workDir);
          const f = figures(`ceiling at the same fixed rate (${rate.toLocaleString('en-US')} req/s)`, floor, null, null, null);
          rows.push(f);
          results.ceilingAtHalfLoad = f;
          console.log(`${f.workload}: p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms; requests left up to ${floor.sendDelayP99Ms?.toFixed(2)} ms late (p99)`);
        }
      }
    }
    if (ceilingServer !== null) await stopChild(ceilingServer.child, 'SIGKILL');
    results.workloads = rows;
    const finalLag = lag as LagResult | null;
    if (byWorkload.has('gsi-query') || byWorkload.has('put-gsi')) {
      // Issue 18, point 8: the figures, their targets and whether they were met in this run.
      const gsiQuery = byWorkload.get('gsi-query')?.ratioToTable ?? null;
      const putGsi = byWorkload.get('put-gsi')?.ratioToTable ?? null;
      results.secondaryIndexes = {
        gsiQueryToQuery: gsiQuery === null ? null : { ratio: gsiQuery, target: indexTargets.gsiQueryToQuery, met: gsiQuery >= indexTargets.gsiQueryToQuery },
        putGsiToPut: putGsi === null ? null : { ratio: putGsi, target: indexTargets.putGsiToPut, met: putGsi >= indexTargets.putGsiToPut },
        propagationLag: finalLag,
        serverPropagationAfterPutGsi: propagation,
        /** After put-gsi: when the propagator last acknowledged (then nothing for a second), from the end of the load. */
        outboxDrainAfterPutGsi: drain,
        sortedTableItems: options.workloads.includes('query') ? sortedItems : 0,
        putGsiTableSeededItems: byWorkload.has('put-gsi') ? options.gsiItems : 0,
      };
    }
    results.rssAtEnd = readRss(pid);
    console.log('');
    printTable(rows, finalLag);
    if (byWorkload.has('gsi-query') || byWorkload.has('put-gsi')) {
      const si = results.secondaryIndexes as { gsiQueryToQuery: { ratio: number; target: number; met: boolean } | null; putGsiToPut: { ratio: number; target: number; met: boolean } | null };
      const say = (r: { ratio: number; target: number; met: boolean } | null) => (r === null ? 'not run' : `${r.ratio.toFixed(2)} (target ≥ ${r.target.toFixed(2)}: ${r.met ? 'met' : 'NOT met'})`);
      console.log(`secondary indexes: Query on a GSI / on the table ${say(si.gsiQueryToQuery)}; PutItem with 2 GSIs / without ${say(si.putGsiToPut)}`);
      if (finalLag !== null) console.log(`secondary indexes: propagation lag under the PutItem load median ${finalLag.lagMedianMs?.toFixed(2)} ms, p99 ${finalLag.lagP99Ms?.toFixed(2)} ms (${finalLag.seen} of ${finalLag.writes} writes seen)`);
    }
    console.log(`RSS of monodyne: ${rssStart?.rssMiB.toFixed(0)} MiB at start, ${readRss(pid)?.rssMiB.toFixed(0)} MiB at the end`);
    if (rows.some((r) => r.errors > 0)) exitCode = 1;
    if (finalLag !== null && (finalLag.errors > 0 || finalLag.notSeen > 0)) {
      console.error(`loadtest: the lag probe had ${finalLag.errors} failed requests and ${finalLag.notSeen} writes not visible in the index within ${finalLag.notSeenWithinMs / 1000} s`);
      exitCode = 1;
    }
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
    const splitLines = monodyne.output().split('\n').filter((l) => /\] split \S+ into /.test(l));
    if (splitLines.length > 0) console.log(`splits (the server said): ${splitLines.map((l) => l.replace(/^.*\] split /, '')).join('; ')}`);
  }
  await stopChild(monodyne.child, 'SIGINT');
  if (options.serverLog) writeFileSync(options.serverLog, monodyne.output());
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
