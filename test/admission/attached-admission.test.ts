// The main thread's Admission and an AttachedAdmission on its shared state, in one thread: both
// sides meter the same buckets, exactly as one Admission would, and a stale directory says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, type AdmissionOptions, type Direction, type MeterDirectory } from '../../src/admission/admission.ts';
import { AttachedAdmission } from '../../src/admission/attached-admission.ts';
import type { TableRecord } from '../../src/control/table-record.ts';

function table(tableId: string, billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST', read: number, write: number, pids: number[]): TableRecord {
  return {
    name: tableId,
    tableId,
    arn: 'arn',
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode,
    readCapacityUnits: read,
    writeCapacityUnits: write,
    createdAt: 0,
    partitions: pids.map((pid) => ({ table: tableId, pid, hashStart: 0, hashEnd: 1, replicas: [0, 1, 2], leader: 0, epoch: 1, version: 1 })),
  };
}

type Outcome = 'admitted' | 'throttled' | 'unknown';

function throttledName(err: unknown): string {
  return (err as Error & { kind: { name: string } }).kind.name;
}

/** admit then charge through the main Admission. */
function viaMain(a: Admission, tableId: string, pid: number, direction: Direction, units: number, now: number): Outcome {
  try {
    a.admit(tableId, pid, direction, units, now);
  } catch (err) {
    assert.equal(throttledName(err), 'ProvisionedThroughputExceededException');
    return 'throttled';
  }
  a.charge(tableId, pid, direction, units, units, now);
  return 'admitted';
}

/** admit then charge through the attached side. */
function viaAttached(b: AttachedAdmission, dir: MeterDirectory, pid: number, direction: Direction, units: number, now: number): Outcome {
  try {
    if (!b.admit(dir, pid, direction, units, now)) return 'unknown';
  } catch (err) {
    assert.equal(throttledName(err), 'ProvisionedThroughputExceededException');
    return 'throttled';
  }
  assert.equal(b.charge(dir, pid, direction, units, units, now), true);
  return 'admitted';
}

/** Request i of a run: which side, partition, direction, units, time. */
type Step = [side: 'main' | 'attached', pid: number, direction: Direction, units: number, now: number];

function steps(count: number, pids: number[], msPerStep: number): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < count; i++) {
    out.push([i % 3 === 0 ? 'main' : 'attached', pids[(i >> 1) % pids.length], i % 5 === 0 ? 'write' : 'read', i % 7 === 0 ? 2.5 : 0.5, Math.floor(i * msPerStep)]);
  }
  return out;
}

const cases: Array<{ name: string; options: AdmissionOptions; billing: 'PROVISIONED' | 'PAY_PER_REQUEST'; read: number; write: number; msPerStep: number }> = [
  { name: 'provisioned, no adaptive, no burst', options: { burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 }, billing: 'PROVISIONED', read: 100, write: 10, msPerStep: 1 },
  { name: 'provisioned, adaptive, burst', options: { burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 }, billing: 'PROVISIONED', read: 4, write: 2, msPerStep: 7 },
  { name: 'on demand, low ceilings', options: { burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 30, partitionWriteUnitsMax: 10 }, billing: 'PAY_PER_REQUEST', read: 0, write: 0, msPerStep: 3 },
  { name: 'throttling off', options: { burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 1, partitionWriteUnitsMax: 1, throttling: false }, billing: 'PROVISIONED', read: 1, write: 1, msPerStep: 1 },
];

for (const c of cases) {
  test(`main and attached sides throttle each other exactly as one Admission: ${c.name}`, () => {
    const pids = [0, 1, 2];
    const one = new Admission(c.options);
    const main = new Admission(c.options);
    one.configure(table('t.1', c.billing, c.read, c.write, pids), 0);
    main.configure(table('t.1', c.billing, c.read, c.write, pids), 0);
    const attached = new AttachedAdmission(structuredClone(main.sharedState()));
    const dir = structuredClone(main.directory('t.1'))!;
    assert.notEqual(dir, null);
    const run = steps(6000, pids, c.msPerStep);
    const expected: Outcome[] = [];
    const got: Outcome[] = [];
    for (let i = 0; i < run.length; i++) {
      const [side, pid, direction, units, now] = run[i];
      expected.push(viaMain(one, 't.1', pid, direction, units, now));
      got.push(side === 'main' ? viaMain(main, 't.1', pid, direction, units, now) : viaAttached(attached, dir, pid, direction, units, now));
      if (i === 3000) {
        // UpdateTable halfway: new rates, seen by both sides through the same directory.
        for (const a of [one, main]) a.configure(table('t.1', c.billing, c.read * 3, c.write * 2, pids), now);
        assert.deepEqual(main.directory('t.1'), dir);
      }
    }
    assert.deepEqual(got, expected);
    assert.ok(expected.includes('admitted'));
    if (c.options.throttling !== false) assert.ok(expected.includes('throttled'), 'the run reaches the limits');
    const end = run[run.length - 1][4];
    for (const pid of pids) {
      for (const now of [end, end + 500]) {
        assert.deepEqual(main.stats('t.1', pid, now), one.stats('t.1', pid, now), `stats of ${pid} at ${now}`);
        assert.equal(main.unitsPerSecond('t.1', pid, now), one.unitsPerSecond('t.1', pid, now));
      }
    }
  });
}

test('item read units noted on one side are expected on the other', () => {
  const main = new Admission({ burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 });
  main.configure(table('t.1', 'PAY_PER_REQUEST', 0, 0, [0, 1]), 0);
  const attached = new AttachedAdmission(main.sharedState());
  const dir = main.directory('t.1')!;
  assert.equal(attached.expectedReadUnits(dir, 0, true), 1);
  main.noteItemReadUnits('t.1', 0, 8);
  assert.equal(attached.expectedReadUnits(dir, 0, false), 4);
  assert.equal(attached.noteItemReadUnits(dir, 1, 3), true);
  assert.equal(main.expectedReadUnits('t.1', 1, true), 3);
  assert.equal(attached.noteItemReadUnits(dir, 1, 0), true);
  assert.equal(main.expectedReadUnits('t.1', 1, true), 1);
  // A pid the directory does not know: unknown, not a default.
  assert.equal(attached.expectedReadUnits(dir, 7, true), null);
  assert.equal(attached.admit(dir, 7, 'read', 1, 0), false);
});

test('admitRead and settle do in one hold of the lock what admit, expectedReadUnits, charge and noteItemReadUnits do apart', () => {
  const options: AdmissionOptions = { burstSeconds: 1, adaptive: false, partitionReadUnitsMax: 6, partitionWriteUnitsMax: 1000 };
  const main = new Admission(options);
  const apart = new Admission(options);
  for (const a of [main, apart]) a.configure(table('t.1', 'PAY_PER_REQUEST', 0, 0, [0, 1]), 0);
  const attached = new AttachedAdmission(main.sharedState());
  const dir = main.directory('t.1')!;
  // A point read is admitted for half the noted item read units; another read for what it asks.
  assert.equal(attached.admitRead(dir, 0, true, 0.5, 0), 0.5);
  assert.equal(attached.settle(dir, 0, 'read', 2, 0.5, 6, 0), true);
  assert.equal(attached.admitRead(dir, 0, true, 0.5, 0), 3);
  assert.equal(attached.admitRead(dir, 1, false, 0.5, 0), 0.5);
  assert.equal(attached.settle(dir, 1, 'read', 0.5, 0.5, -1, 0), true);
  assert.equal(main.expectedReadUnits('t.1', 1, true), 1, 'settle with -1 notes nothing');
  // The same steps taken apart leave the same meters.
  apart.admit('t.1', 0, 'read', apart.expectedReadUnits('t.1', 0, false), 0);
  apart.charge('t.1', 0, 'read', 2, 0.5, 0);
  apart.noteItemReadUnits('t.1', 0, 6);
  apart.admit('t.1', 0, 'read', apart.expectedReadUnits('t.1', 0, false), 0);
  apart.admit('t.1', 1, 'read', 0.5, 0);
  apart.charge('t.1', 1, 'read', 0.5, 0.5, 0);
  for (const pid of [0, 1]) assert.deepEqual(main.stats('t.1', pid, 0), apart.stats('t.1', pid, 0), `partition ${pid}`);
  // The ceiling (6 units, a burst of 1 s) has 1 left: short of a 3-unit read on partition 0: throttled, as admit would be.
  assert.throws(() => attached.admitRead(dir, 0, true, 0.5, 0), (err: unknown) => throttledName(err) === 'ProvisionedThroughputExceededException');
  assert.throws(() => apart.admit('t.1', 0, 'read', 3, 0), (err: unknown) => throttledName(err) === 'ProvisionedThroughputExceededException');
  assert.deepEqual(main.stats('t.1', 0, 0), apart.stats('t.1', 0, 0), 'the throttle is counted alike');
  // Unknown meters: null and false, nothing done.
  assert.equal(attached.admitRead(dir, 7, true, 0.5, 0), null);
  assert.equal(attached.settle(dir, 7, 'read', 1, 1, 2, 0), false);
});

for (const throttling of [true, false]) {
  test(`a forgotten table's directory answers unknown once its slots are reused (throttling ${throttling ? 'on' : 'off'})`, () => {
    const main = new Admission({ burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000, throttling });
    const changed: string[] = [];
    main.onDirectoryChange((tableId) => changed.push(tableId));
    main.configure(table('t.1', 'PAY_PER_REQUEST', 0, 0, [0, 1]), 0);
    const attached = new AttachedAdmission(main.sharedState());
    const stale = main.directory('t.1')!;
    assert.equal(attached.admit(stale, 0, 'read', 1, 0), true);
    main.forget('t.1');
    assert.equal(main.directory('t.1'), null);
    // Forgotten, slots free: unknown.
    assert.equal(attached.admit(stale, 0, 'read', 1, 0), false);
    // A new table takes the same slots: still unknown through the old directory.
    main.configure(table('t.2', 'PAY_PER_REQUEST', 0, 0, [0, 1]), 0);
    const fresh = main.directory('t.2')!;
    assert.equal(fresh.tableSlot, stale.tableSlot);
    assert.deepEqual([...fresh.partitions.values()].map((p) => p.slot).sort(), [...stale.partitions.values()].map((p) => p.slot).sort());
    assert.equal(attached.admit(stale, 0, 'read', 1, 0), false);
    assert.equal(attached.charge(stale, 0, 'read', 1, 1, 0), false);
    assert.equal(attached.expectedReadUnits(stale, 1, true), null);
    assert.equal(attached.noteItemReadUnits(stale, 1, 5), false);
    assert.equal(main.expectedReadUnits('t.2', 1, true), 1, 'a stale note reached the new table');
    assert.equal((main.stats('t.2', 0, 0) as { read: { consumedUnitsTotal: number } }).read.consumedUnitsTotal, 0, 'a stale charge reached the new table');
    // The new directory works.
    assert.equal(attached.admit(fresh, 0, 'read', 1, 0), true);
    assert.equal(attached.charge(fresh, 0, 'read', 1, 1, 0), true);
    assert.equal((main.stats('t.2', 0, 0) as { read: { consumedUnitsTotal: number } }).read.consumedUnitsTotal, 1);
    assert.deepEqual(changed, ['t.1', 't.1', 't.2']);
  });
}

test('a split changes the directory: dropped partitions go stale, kept ones stay, the listener hears of it; a rate change does not', () => {
  const main = new Admission({ burstSeconds: 300, adaptive: true, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000 });
  const changed: string[] = [];
  const stop = main.onDirectoryChange((tableId) => changed.push(tableId));
  main.configure(table('t.1', 'PROVISIONED', 10, 10, [0, 1]), 0);
  const before = main.directory('t.1')!;
  main.configure(table('t.1', 'PROVISIONED', 20, 20, [0, 1]), 0);
  assert.deepEqual(changed, ['t.1']);
  main.configure(table('t.1', 'PROVISIONED', 20, 20, [0, 2, 3]), 0);
  assert.deepEqual(changed, ['t.1', 't.1']);
  const after = main.directory('t.1')!;
  const attached = new AttachedAdmission(main.sharedState());
  assert.equal(attached.admit(before, 0, 'read', 1, 0), true);
  assert.equal(attached.admit(before, 1, 'read', 1, 0), false);
  for (const pid of [0, 2, 3]) assert.equal(attached.admit(after, pid, 'read', 1, 0), true);
  stop();
  main.forget('t.1');
  assert.deepEqual(changed, ['t.1', 't.1']);
});

test('when the shared pool is full a table keeps private meters: no directory, same behaviour on the main thread', () => {
  const options: AdmissionOptions = { burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000, sharedPartitionsMax: 4 };
  const main = new Admission(options);
  const changed: string[] = [];
  main.onDirectoryChange((tableId) => changed.push(tableId));
  main.configure(table('a.1', 'PROVISIONED', 100, 10, [0, 1]), 0);
  main.configure(table('b.1', 'PROVISIONED', 100, 10, [0, 1, 2]), 0);
  assert.notEqual(main.directory('a.1'), null);
  assert.equal(main.directory('b.1'), null);
  assert.deepEqual(changed, ['a.1']);
  // b.1 meters as a lone Admission would.
  const one = new Admission(options);
  one.configure(table('b.1', 'PROVISIONED', 100, 10, [0, 1, 2]), 0);
  for (let i = 0; i < 200; i++) {
    const pid = i % 3;
    assert.equal(viaMain(main, 'b.1', pid, 'write', 1, i), viaMain(one, 'b.1', pid, 'write', 1, i));
  }
  // a.1 splits beyond the pool: its meters move to private memory, their figures kept; the old directory goes stale.
  const attached = new AttachedAdmission(main.sharedState());
  const stale = main.directory('a.1')!;
  const ref = new Admission(options);
  ref.configure(table('a.1', 'PROVISIONED', 100, 10, [0, 1]), 0);
  for (let i = 0; i < 20; i++) assert.equal(viaAttached(attached, stale, i % 2, 'write', 1, 10), viaMain(ref, 'a.1', i % 2, 'write', 1, 10));
  for (const a of [main, ref]) a.configure(table('a.1', 'PROVISIONED', 100, 10, [0, 1, 2, 3, 4]), 20);
  assert.equal(main.directory('a.1'), null);
  assert.deepEqual(changed, ['a.1', 'a.1']);
  assert.equal(attached.admit(stale, 0, 'write', 1, 20), false);
  for (let i = 0; i < 100; i++) assert.equal(viaMain(main, 'a.1', i % 5, 'write', 1, 20 + i), viaMain(ref, 'a.1', i % 5, 'write', 1, 20 + i));
  for (let pid = 0; pid < 5; pid++) assert.deepEqual(main.stats('a.1', pid, 200), ref.stats('a.1', pid, 200));
  // Once b.1 is forgotten the pool has room again: a.1's next configure moves it back, figures kept.
  main.forget('b.1');
  for (const a of [main, ref]) a.configure(table('a.1', 'PROVISIONED', 100, 10, [0, 1, 3, 4]), 200);
  const back = main.directory('a.1')!;
  assert.notEqual(back, null);
  assert.deepEqual(changed, ['a.1', 'a.1', 'a.1']);
  for (const pid of [0, 1, 3, 4]) assert.deepEqual(main.stats('a.1', pid, 300), ref.stats('a.1', pid, 300));
  assert.equal(attached.admit(back, 3, 'read', 1, 300), true);
});

test('many tables beyond the pool: private meters grow, never throw', () => {
  const main = new Admission({ burstSeconds: 0, adaptive: false, partitionReadUnitsMax: 3000, partitionWriteUnitsMax: 1000, sharedPartitionsMax: 8 });
  for (let t = 0; t < 50; t++) main.configure(table(`t.${t}`, 'PAY_PER_REQUEST', 0, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 0);
  for (let t = 0; t < 50; t += 2) main.forget(`t.${t}`);
  for (let t = 1; t < 50; t += 2) {
    assert.equal(viaMain(main, `t.${t}`, 9, 'read', 1, 0), 'admitted');
    assert.equal((main.stats(`t.${t}`, 9, 0) as { read: { consumedUnitsTotal: number } }).read.consumedUnitsTotal, 1);
  }
});
