// The main thread and a worker_thread admit and charge the same table's meters at once, through
// Admission and AttachedAdmission: nothing is lost or counted twice, and the buckets admit
// exactly what they hold. Bounded operation counts, no sleeps, no timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Admission, type AdmissionOptions, type Direction } from '../../src/admission/admission.ts';
import type { TableRecord } from '../../src/control/table-record.ts';
import type { HammerJob, HammerResult } from './attached-admission-worker.ts';

// Node 20 workers need tsx registered before they can load a .ts module (see that file).
const workerBootUrl = new URL('../rings/ts-worker-boot.mjs', import.meta.url);
const workerModuleUrl = new URL('./attached-admission-worker.ts', import.meta.url);
const TEST_TIMEOUT_MS = 120_000;

function table(billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST', read: number, write: number, pids: number[]): TableRecord {
  return {
    name: 't',
    tableId: 't.1',
    arn: 'arn',
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode,
    readCapacityUnits: read,
    writeCapacityUnits: write,
    createdAt: 0,
    partitions: pids.map((pid) => ({ table: 't.1', pid, hashStart: 0, hashEnd: 1, replicas: [0, 1, 2], leader: 0, epoch: 1, version: 1 })),
  };
}

/** Runs `operations` admit+charge pairs on the main thread and as many on a worker, started together. */
async function race(main: Admission, job: Omit<HammerJob, 'state' | 'dir' | 'startSab'>): Promise<{ mine: HammerResult; theirs: HammerResult }> {
  const startSab = new SharedArrayBuffer(4);
  const start = new Int32Array(startSab);
  const full: HammerJob = { ...job, state: main.sharedState(), dir: main.directory('t.1')!, startSab };
  assert.notEqual(full.dir, null);
  const worker = new Worker(workerBootUrl, { argv: [workerModuleUrl.href], workerData: full });
  let ready: () => void = () => {};
  const atStartLine = new Promise<void>((resolve) => (ready = resolve));
  const theirs = new Promise<HammerResult>((resolve, reject) => {
    worker.on('message', (message: HammerResult | 'ready') => (message === 'ready' ? ready() : resolve(message)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before reporting`)));
  });
  await Promise.race([atStartLine, theirs]);
  Atomics.store(start, 0, 1);
  Atomics.notify(start, 0);
  const mine: HammerResult = { admitted: 0, throttled: 0, unknown: 0, chargedUnits: 0 };
  for (let i = 0; i < job.operations; i++) {
    const pid = job.pids[i % job.pids.length];
    const consumed = i % 2 === 0 ? job.units : job.units * 2;
    try {
      main.admit('t.1', pid, job.direction, job.units, job.now);
    } catch {
      mine.throttled++;
      continue;
    }
    main.charge('t.1', pid, job.direction, consumed, job.units, job.now);
    mine.admitted++;
    mine.chargedUnits += consumed;
  }
  const result = { mine, theirs: await theirs };
  await worker.terminate();
  return result;
}

function consumedTotal(a: Admission, pids: number[], direction: Direction, now: number): number {
  let total = 0;
  for (const pid of pids) total += (a.stats('t.1', pid, now) as Record<Direction, { consumedUnitsTotal: number }>)[direction].consumedUnitsTotal;
  return total;
}

test('both threads charge one on-demand table at once: consumed units are the sum of both sides\' charges', { timeout: TEST_TIMEOUT_MS }, async () => {
  // Ceilings nothing reaches: every request is admitted, every charge must land.
  const options: AdmissionOptions = { burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 1e12, partitionWriteUnitsMax: 1e12 };
  const main = new Admission(options);
  const pids = [0, 1, 2, 3];
  main.configure(table('PAY_PER_REQUEST', 0, 0, pids), 0);
  const operations = 400_000;
  const { mine, theirs } = await race(main, { operations, pids, direction: 'read', units: 0.5, now: 1000 });
  assert.deepEqual([mine.admitted, theirs.admitted, mine.throttled + theirs.throttled, theirs.unknown], [operations, operations, 0, 0]);
  const charged = mine.chargedUnits + theirs.chargedUnits;
  assert.equal(charged, operations * 1.5);
  // stats rounds to hundredths: the totals are multiples of 0.5 and exact in binary.
  assert.equal(consumedTotal(main, pids, 'read', 1000), charged);
  // Per partition too: request i goes to pid i mod 4 and consumes 0.5 (even i) or 1 unit, on each side.
  for (const pid of pids) {
    const read = (main.stats('t.1', pid, 1000) as { read: { consumedUnitsTotal: number } }).read;
    assert.equal(read.consumedUnitsTotal, 2 * (operations / pids.length) * (pid % 2 === 0 ? 0.5 : 1));
  }
});

test('both threads admit from one provisioned bucket at one instant: together they take exactly what it holds', { timeout: TEST_TIMEOUT_MS }, async () => {
  // One partition, 20,000 RCU, no burst beyond a second, no refill (the clock stands still):
  // one-unit reads charged one or two units until the share is spent.
  const options: AdmissionOptions = { burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 1e12, partitionWriteUnitsMax: 1e12 };
  const main = new Admission(options);
  main.configure(table('PROVISIONED', 20_000, 10, [0]), 0);
  const { mine, theirs } = await race(main, { operations: 50_000, pids: [0], direction: 'read', units: 1, now: 0 });
  const admitted = mine.admitted + theirs.admitted;
  const charged = mine.chargedUnits + theirs.chargedUnits;
  assert.equal(theirs.unknown, 0);
  assert.equal(mine.throttled + theirs.throttled, 100_000 - admitted);
  const read = (main.stats('t.1', 0, 0) as { read: { consumedUnitsTotal: number; availableUnits: number; throttledRequests: number } }).read;
  assert.equal(read.consumedUnitsTotal, charged);
  assert.equal(read.throttledRequests, mine.throttled + theirs.throttled);
  // Admission takes one unit while the share holds one; charges then settle the rest: what is
  // left is 20,000 less everything charged, and the last admission found at least one unit.
  assert.equal(read.availableUnits, 20_000 - charged);
  assert.ok(read.availableUnits < 1 && 20_000 - (charged - 2) >= 1, `available ${read.availableUnits} after ${admitted} admitted`);
});
