// Nanoseconds per admit+charge pair on the main thread's Admission, throttling on and off, with
// no other thread attached and after sharedState() was handed out (table locks taken):
// `node --import tsx test/admission/admit-charge-bench.ts`. Not a test (no timing assertions).
import { performance } from 'node:perf_hooks';
import { Admission } from '../../src/admission/admission.ts';
import type { TableRecord } from '../../src/control/table-record.ts';

const pairs = 1_000_000;
const partitions = 4;

function table(): TableRecord {
  return {
    name: 'bench',
    tableId: 'bench.1',
    arn: 'arn',
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode: 'PAY_PER_REQUEST',
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    createdAt: 0,
    partitions: Array.from({ length: partitions }, (_, pid) => ({ table: 'bench.1', pid, hashStart: 0, hashEnd: 1, replicas: [0, 1, 2], leader: 0, epoch: 1, version: 1 })),
  };
}

function run(throttling: boolean, attached: boolean): number {
  // Ceilings high enough that nothing is throttled: the figure is the cost of the accounting.
  const a = new Admission({ burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 1e12, partitionWriteUnitsMax: 1e12, throttling });
  a.configure(table(), 0);
  if (attached) a.sharedState();
  let now = 0;
  const started = performance.now();
  for (let i = 0; i < pairs; i++) {
    if ((i & 1023) === 0) now++;
    const pid = i & (partitions - 1);
    const direction = (i & 3) === 0 ? 'write' : 'read';
    a.admit('bench.1', pid, direction, 1, now);
    a.charge('bench.1', pid, direction, 1, 1, now);
  }
  return ((performance.now() - started) * 1e6) / pairs;
}

for (const attached of [false, true]) {
  for (const throttling of [true, false]) {
    run(throttling, attached); // warm-up
    const figures = [run(throttling, attached), run(throttling, attached), run(throttling, attached)].map((ns) => ns.toFixed(1));
    console.log(`${attached ? 'attachable' : 'alone     '} throttling ${throttling ? 'on ' : 'off'}: ${figures.join(' / ')} ns per admit+charge pair`);
  }
}
