// Token buckets, capacity units and per-partition admission, with a clock under test control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../src/admission/token-bucket.ts';
import { readUnits, writeUnits, rangeReadUnits } from '../../src/admission/capacity-units.ts';
import { Admission } from '../../src/admission/admission.ts';
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

test('the ConsumedCapacity member for TOTAL and INDEXES', () => {
  assert.equal(consumedCapacityMember('NONE', 't', 1, 'read'), '');
  assert.equal(consumedCapacityMember(undefined, 't', 1, 'read'), '');
  assert.equal(withMember('{}', consumedCapacityMember('TOTAL', 't', 0.5, 'read')), '{"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5,"ReadCapacityUnits":0.5}}');
  assert.equal(
    withMember('{"Item":{}}', consumedCapacityMember('INDEXES', 't', 2, 'write')),
    '{"Item":{},"ConsumedCapacity":{"TableName":"t","CapacityUnits":2,"WriteCapacityUnits":2,"Table":{"CapacityUnits":2,"WriteCapacityUnits":2}}}',
  );
});
