// Token buckets, capacity units and per-partition admission, with a clock under test control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../src/admission/token-bucket.ts';
import { readUnits, writeUnits, rangeReadUnits } from '../../src/admission/capacity-units.ts';
import { Admission, onDemandInitialPartitions } from '../../src/admission/admission.ts';
import { consumedCapacityMember, withMember } from '../../src/admission/consumed-capacity.ts';
import type { TableRecord } from '../../src/control/table-record.ts';

test('capacity units follow DynamoDB: 4 KB reads (half when eventually consistent), 1 KB writes, one unit at least', () => {
  const cases: Array<[number, boolean, number]> = [
    [0, true, 1],
    [0, false, 0.5],
    [1, true, 1],
    [4096, true, 1],
    [4097, true, 2],
    [4097, false, 1],
    [400 * 1024, true, 100],
  ];
  for (const [bytes, consistent, units] of cases) assert.equal(readUnits(bytes, consistent), units, `${bytes} ${consistent}`);
  assert.equal(rangeReadUnits(10 * 1024, true), 3);
  for (const [bytes, units] of [[0, 1], [1024, 1], [1025, 2], [400 * 1024, 400]] as const) assert.equal(writeUnits(bytes), units);
});

test('a token bucket refills at its rate, keeps burst up to burstSeconds, and may go into debt', () => {
  const b = new TokenBucket(10, 300, 0);
  assert.equal(b.available(0), 3000);
  b.take(3000, 0);
  assert.equal(b.canTake(1, 0), false);
  assert.equal(b.available(100), 1); // 0.1 s at 10/s
  b.take(11, 100);
  assert.equal(b.canTake(1, 1000), false); // in debt by 10, 9 refilled by t = 1000 ms
  assert.equal(b.canTake(1, 1200), true);
  assert.equal(b.available(10_000_000), 3000);
  b.setRate(1, 10_000_000);
  assert.equal(b.available(10_000_000), 300);
});

function table(billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST', read: number, write: number, partitions = 2): TableRecord {
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
    partitions: Array.from({ length: partitions }, (_, pid) => ({ table: 't.1', pid, hashStart: 0, hashEnd: 1, replicas: [0, 1, 2], leader: 0, epoch: 1, version: 1 })),
  };
}

function countAdmitted(a: Admission, pid: number, direction: 'read' | 'write', units: number, attempts: number, now: number): number {
  let admitted = 0;
  for (let i = 0; i < attempts; i++) {
    try {
      a.admit('t.1', pid, direction, units, now);
      a.charge('t.1', pid, direction, units, units, now);
      admitted++;
    } catch (err) {
      assert.equal((err as Error & { kind: { name: string } }).kind.name, 'ProvisionedThroughputExceededException');
    }
  }
  return admitted;
}

test('provisioned capacity is split over partitions; without adaptive capacity a hot partition gets its share only', () => {
  const a = new Admission({ burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 });
  a.configure(table('PROVISIONED', 100, 10), 0);
  // Partition 0 has 5 WCU and a burst of one second: 5 writes of 1 unit, then throttled.
  assert.equal(countAdmitted(a, 0, 'write', 1, 20, 0), 5);
  // Partition 1 is unaffected.
  assert.equal(countAdmitted(a, 1, 'write', 1, 20, 0), 5);
  // A second later each partition has refilled.
  assert.equal(countAdmitted(a, 0, 'write', 1, 20, 1000), 5);
});

test('adaptive capacity lets a hot partition borrow what the table leaves unused', () => {
  const a = new Admission({ burstSeconds: 0, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 });
  a.configure(table('PROVISIONED', 100, 10), 0);
  // The hot partition takes its own 5 and borrows the table's unused capacity.
  const hot = countAdmitted(a, 0, 'write', 1, 50, 0);
  assert.ok(hot > 5 && hot <= 15, `hot partition admitted ${hot}`);
  // The table's capacity is spent: the quiet partition still has its own share.
  assert.equal(countAdmitted(a, 1, 'write', 1, 50, 0), 5);
});

test('burst capacity accumulates up to burstSeconds of unused capacity', () => {
  const a = new Admission({ burstSeconds: 300, adaptive: false, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 });
  a.configure(table('PROVISIONED', 2, 2, 1), 0);
  assert.equal(countAdmitted(a, 0, 'read', 1, 1000, 0), 600);
});

test('on-demand tables are held to the per-partition ceiling only; UpdateTable changes rates in place', () => {
  const a = new Admission({ burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 30, partitionWriteUnitsMax: 10 });
  a.configure(table('PAY_PER_REQUEST', 0, 0), 0);
  assert.equal(countAdmitted(a, 0, 'write', 1, 100, 0), 10);
  assert.equal(countAdmitted(a, 0, 'read', 1, 100, 0), 30);
  const provisioned = table('PROVISIONED', 2, 2, 2);
  a.configure(provisioned, 5000);
  const stats = a.stats('t.1', 0, 5000) as { write: { provisionedUnitsPerSecond: number; throttledRequests: number } };
  assert.equal(stats.write.provisionedUnitsPerSecond, 1);
  assert.ok(stats.write.throttledRequests >= 90);
});

test('a new on-demand table gets partitions enough for 4,000 WRU and 12,000 RRU at the partition ceilings, at least tables.initialPartitions, at most 256; with throttling off, tables.initialPartitions', () => {
  const cases: Array<[initial: number, readMax: number, writeMax: number, partitions: number]> = [
    [3, 3000, 1000, 4], // DynamoDB's ceilings: 4 × 1000 WCU, 4 × 3000 RCU
    [1, 3000, 1000, 4],
    [6, 3000, 1000, 6],
    [3, 3000, 500, 8],
    [3, 1000, 1000, 12], // reads need more partitions than writes
    [3, 1_000_000_000, 1_000_000_000, 3], // ceilings lifted: tables.initialPartitions
    [3, 1, 1, 256],
  ];
  for (const [initial, partitionReadUnitsMax, partitionWriteUnitsMax, partitions] of cases) {
    assert.equal(onDemandInitialPartitions(initial, { partitionReadUnitsMax, partitionWriteUnitsMax }), partitions, `${initial} ${partitionReadUnitsMax} ${partitionWriteUnitsMax}`);
    assert.equal(onDemandInitialPartitions(initial, { partitionReadUnitsMax, partitionWriteUnitsMax, throttling: true }), partitions);
    assert.equal(onDemandInitialPartitions(initial, { partitionReadUnitsMax, partitionWriteUnitsMax, throttling: false }), initial);
  }
});

const dynamoCeilings = { burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 };

/**
 * Offers `unitsPerSecond` one-unit requests a second for `seconds` on a simulated clock, one
 * every 1/unitsPerSecond s, each to the partition `pidOf(i)` picks; counts what was admitted.
 */
function offer(a: Admission, direction: 'read' | 'write', unitsPerSecond: number, seconds: number, pidOf: (i: number) => number): { admitted: number; throttled: number } {
  let admitted = 0;
  const total = unitsPerSecond * seconds;
  for (let i = 0; i < total; i++) {
    const now = (i * 1000) / unitsPerSecond;
    try {
      a.admit('t.1', pidOf(i), direction, 1, now);
      a.charge('t.1', pidOf(i), direction, 1, 1, now);
      admitted++;
    } catch (err) {
      assert.equal((err as Error & { kind: { name: string } }).kind.name, 'ProvisionedThroughputExceededException');
    }
  }
  return { admitted, throttled: total - admitted };
}

test('a fresh on-demand table sustains 4,000 WRU/s or 12,000 RRU/s over distinct keys, while a single key is held to 1,000 WRU/s and 3,000 RRU/s', () => {
  const partitions = onDemandInitialPartitions(3, dynamoCeilings);
  assert.equal(partitions, 4);
  // Distinct keys spread evenly over the hash space: request i goes to the partition (hash range) i mod 4.
  const spread = (i: number) => i % partitions;
  for (const direction of ['write', 'read'] as const) {
    const rate = direction === 'write' ? 4000 : 12_000;
    const perKey = direction === 'write' ? 1000 : 3000;
    const fresh = new Admission(dynamoCeilings);
    fresh.configure(table('PAY_PER_REQUEST', 0, 0, partitions), 0);
    // Ten seconds at the full rate: nothing throttled.
    assert.deepEqual(offer(fresh, direction, rate, 10, spread), { admitted: rate * 10, throttled: 0 }, direction);

    // Three partitions (what a new on-demand table had before) take 3,000 WRU/s or 9,000 RRU/s of it.
    const three = new Admission(dynamoCeilings);
    three.configure(table('PAY_PER_REQUEST', 0, 0, 3), 0);
    const before = offer(three, direction, rate, 10, (i) => i % 3);
    assert.ok(before.admitted <= perKey * 3 * 11 + 3, `${direction}: three partitions admitted ${before.admitted} in 10 s`);

    // One key at the same rate: its partition's second of burst, then its ceiling every second.
    const hot = new Admission(dynamoCeilings);
    hot.configure(table('PAY_PER_REQUEST', 0, 0, partitions), 0);
    const { admitted } = offer(hot, direction, rate, 10, () => 0);
    assert.ok(admitted >= perKey * 11 - 1 && admitted <= perKey * 11 + 1, `${direction}: one key admitted ${admitted} in 10 s`);
  }
});

test('a linear mix of reads and writes over distinct keys is admitted as well: 2,000 WRU/s with 6,000 RRU/s', () => {
  const partitions = onDemandInitialPartitions(3, dynamoCeilings);
  const a = new Admission(dynamoCeilings);
  a.configure(table('PAY_PER_REQUEST', 0, 0, partitions), 0);
  let admitted = 0;
  // 8,000 requests a second for 5 s, one write in four: every partition takes 500 WRU/s and 1,500 RRU/s.
  for (let i = 0; i < 40_000; i++) {
    const now = i / 8;
    const direction = i % 4 === 0 ? 'write' : 'read';
    const pid = Math.floor(i / 4) % partitions;
    a.admit('t.1', pid, direction, 1, now);
    a.charge('t.1', pid, direction, 1, 1, now);
    admitted++;
  }
  assert.equal(admitted, 40_000);
});

test('capacity.throttling false: nothing is throttled, consumption is still metered', () => {
  const a = new Admission({ burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 1, partitionWriteUnitsMax: 1, throttling: false });
  a.configure(table('PROVISIONED', 1, 1, 1), 0);
  assert.equal(countAdmitted(a, 0, 'write', 5, 1000, 0), 1000);
  assert.equal(countAdmitted(a, 0, 'read', 1, 1000, 0), 1000);
  const stats = a.stats('t.1', 0, 1) as { write: { consumedUnitsTotal: number; throttledRequests: number; throttling: boolean } };
  assert.deepEqual([stats.write.consumedUnitsTotal, stats.write.throttledRequests, stats.write.throttling], [5000, 0, false]);
  // The same traffic with throttling on (the default) is held to one unit.
  const on = new Admission({ burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 1, partitionWriteUnitsMax: 1 });
  on.configure(table('PROVISIONED', 1, 1, 1), 0);
  assert.equal(countAdmitted(on, 0, 'write', 5, 1000, 0), 1);
});

test('the ConsumedCapacity member for TOTAL and INDEXES', () => {
  assert.equal(consumedCapacityMember('NONE', 't', 1, 'read'), '');
  assert.equal(consumedCapacityMember(undefined, 't', 1, 'read'), '');
  assert.equal(withMember('{}', consumedCapacityMember('TOTAL', 't', 0.5, 'read')), '{"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5,"ReadCapacityUnits":0.5}}');
  assert.equal(
    withMember('{"Item":{}}', consumedCapacityMember('INDEXES', 't', 2, 'write')),
    '{"Item":{},"ConsumedCapacity":{"TableName":"t","CapacityUnits":2,"WriteCapacityUnits":2,"Table":{"CapacityUnits":2,"WriteCapacityUnits":2}}}',
  );
});
