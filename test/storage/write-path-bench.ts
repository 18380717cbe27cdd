// The storage nodes' write path alone, without HTTP, SigV4 or JSON: three storage nodes (synced
// LMDB, W = 2 of 3) and one table of three partitions, driven through the router's own rings
// with a fixed number of PutItem writes in flight. Prints writes/s, latency and the storage
// threads' CPU per write, which the full load test can only estimate on a shared machine, and
// how many log entries each commit carried (every write is one entry on each of 3 replicas).
//
//   npm run bench:storage -- [inFlight=64] [seconds=5] [itemBytes=200] [keys=3000]
//   BENCH_PARTITIONS=N spreads the table over N partitions (default 3; leaders spread over the nodes)
//   BENCH_THREADS=1 also prints each thread's user and system CPU (storage nodes, lmdb-js flushes
//   in the libuv pool, V8's helper threads)
//
// Writes go to `keys` distinct keys: the more keys, the more B-tree pages one commit dirties.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageThreads } from '../../src/control/storage-threads.ts';
import { RequestTransport } from '../../src/router/request-transport.ts';
import { loadDefaults } from '../../src/server/config.ts';
import { storageNodeSettings, storeSettings } from '../../src/server/storage-settings.ts';
import { Op, ReturnValues, Status, WriteKind, type PartitionAssignment, type WriteRequest } from '../../src/storage/messages.ts';
import { encodeItemKey, partitionKeyHash32 } from '../../src/storage/key-encoding.ts';
import { itemSizeBytes } from '../../src/validation/attribute-values.ts';
import type { Item } from '../../src/values/types.ts';

const inFlight = Number(process.argv[2] ?? 64);
const seconds = Number(process.argv[3] ?? 5);
const itemBytes = Number(process.argv[4] ?? 200);
const keys = Number(process.argv[5] ?? 3000);
const workers = 3;
const partitions = Number(process.env.BENCH_PARTITIONS ?? 3);
if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`BENCH_PARTITIONS must be a whole number of partitions, 1 or more (got ${process.env.BENCH_PARTITIONS})`);
const hashSpace = 2 ** 32;

const dataDir = mkdtempSync(join(tmpdir(), 'monodyne-write-bench-'));
const assignments: PartitionAssignment[] = Array.from({ length: partitions }, (_, pid) => ({
  table: 'bench',
  pid,
  hashStart: Math.floor((pid * hashSpace) / partitions),
  hashEnd: pid === partitions - 1 ? hashSpace : Math.floor(((pid + 1) * hashSpace) / partitions),
  replicas: [0, 1, 2],
  leader: pid % workers,
  epoch: 1,
  version: 1,
}));
const transport = new RequestTransport(workers, 30_000);
const config = loadDefaults();
// BENCH_WAL_PER_NODE=1: one write-ahead log per storage node instead of one for the process.
const walPerNode = process.env.BENCH_WAL_PER_NODE === '1';
const threads = await StorageThreads.start(
  {
    workers,
    sync: true,
    mapSizeBytes: 1 << 30,
    ringCapacityBytes: config.rings.capacityBytes,
    heartbeatIntervalMs: 100,
    faults: false,
    node: storageNodeSettings(config),
    walDir: join(dataDir, 'wal'),
    walPerNode,
    walSegmentBytes: config.storage.walSegmentBytes,
    store: storeSettings(config),
  },
  transport,
  Array.from({ length: workers }, (_, i) => ({ dir: join(dataDir, `node-${i}`), generation: 0 })),
);
await Promise.all(Array.from({ length: workers }, (_, w) => threads.control(w, { type: 'assign', assignments })));
const nodes = transport;

const filler = 'x'.repeat(Math.max(0, itemBytes - 20));
function request(n: number): { leader: number; req: WriteRequest } {
  const pk = { S: `key-${n % keys}` };
  const hash32 = partitionKeyHash32(pk);
  const a = assignments.find((p) => hash32 >= p.hashStart && hash32 < p.hashEnd)!;
  const item: Item = { pk, data: { S: filler }, n: { N: String(n) } };
  const req: WriteRequest = { id: 0, op: Op.Write, t: 'bench', p: a.pid, v: a.version, k: encodeItemKey(hash32, pk), w: WriteKind.Put, item, sz: itemSizeBytes(item), key: null, x: null, rv: ReturnValues.NONE, rvf: false };
  return { leader: a.leader, req };
}

/** utime + stime of the main thread and of the whole process, in seconds. */
function cpuSeconds(): { main: number; all: number } {
  const ticks = (path: string) => {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { main: ticks(`/proc/self/task/${process.pid}/stat`), all: ticks('/proc/self/stat') };
}

/** CPU ticks of every thread of this process, by thread id, with the thread's name. */
function taskTicks(): Map<string, { name: string; user: number; sys: number }> {
  const out = new Map<string, { name: string; user: number; sys: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(tid, { name, user: Number(fields[11]), sys: Number(fields[12]) });
    } catch {
      // the thread ended
    }
  }
  return out;
}

async function run(durationS: number): Promise<{ writes: number; latencies: number[] }> {
  const latencies: number[] = [];
  let writes = 0;
  let next = 0;
  const end = performance.now() + durationS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const { leader, req } = request(next++);
        const started = performance.now();
        const res = await nodes.call(leader, req);
        if (res.s !== Status.Ok) throw new Error(`write failed: ${JSON.stringify(res)}`);
        latencies.push(performance.now() - started);
        writes++;
      }
    }),
  );
  return { writes, latencies };
}

async function commitStats(): Promise<{ batches: number; entries: number }> {
  const all = await Promise.all(Array.from({ length: workers }, (_, w) => threads.control(w, { type: 'stats' })));
  return { batches: all.reduce((n, s) => n + s.batches, 0), entries: all.reduce((n, s) => n + s.entries, 0) };
}

await run(1); // warm-up: JIT, LMDB pages
const statsBefore = await commitStats();
const tasksBefore = taskTicks();
const before = cpuSeconds();
const started = performance.now();
const { writes, latencies } = await run(seconds);
const elapsedS = (performance.now() - started) / 1000;
const after = cpuSeconds();
const statsAfter = await commitStats();
const tasksAfter = taskTicks();
if (process.env.BENCH_THREADS) {
  const rows: Array<[string, number, number]> = [];
  for (const [tid, t] of tasksAfter) rows.push([tid, t.user - (tasksBefore.get(tid)?.user ?? 0), t.sys - (tasksBefore.get(tid)?.sys ?? 0)]);
  for (const [tid, u, s] of rows.sort((a, b) => b[1] + b[2] - a[1] - a[2])) if (u + s > 0) console.log(`  thread ${tid.padEnd(8)} user ${(u / 100).toFixed(2)} s  sys ${(s / 100).toFixed(2)} s`);
}
await threads.stop();
transport.stop();
rmSync(dataDir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const workerCores = (after.all - after.main - (before.all - before.main)) / elapsedS;
const mainCores = (after.main - before.main) / elapsedS;
const rate = writes / elapsedS;
console.log(
  `${inFlight} in flight: ${Math.round(rate).toLocaleString('en-US')} writes/s, p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(2)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)].toFixed(2)} ms; ` +
    `storage threads ${workerCores.toFixed(2)} cores = ${((workerCores / rate) * 1e6).toFixed(0)} µs per write; driver ${mainCores.toFixed(2)} cores; ` +
    `${((statsAfter.entries - statsBefore.entries) / (statsAfter.batches - statsBefore.batches)).toFixed(1)} log entries per commit (${Math.round((statsAfter.batches - statsBefore.batches) / elapsedS)} commits/s over ${workers} nodes)`,
);
