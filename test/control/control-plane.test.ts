// The control plane through exact interleavings on the simulator (the real control plane,
// auto-admin, router and storage nodes over simulated disks and network). Each case names the
// review finding it reproduces (../shared/reviews/replication-correctness.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scenario } from '../replication/sim/scenario.ts';
import { itemsIn } from '../replication/sim/sim-disk.ts';
import { DynamoError } from '../../src/protocol/errors.ts';

test("F14: a map refresh that read the nodes before a publish does not undo the publish", async () => {
  const s = new Scenario(14);
  await s.start();
  await s.createTable('t');
  await s.until(() => s.converged(), 'replicas to converge');
  const control = s.server.control;
  const p = s.table('t').partitions[0];
  const target = p.replicas.find((r) => r !== p.leader)!;
  // Something holds the control plane's lock; a leadership change is queued behind it...
  let release: () => void = () => {};
  const held = control.exclusive(() => new Promise<void>((resolve) => (release = resolve)));
  const moved = control.exclusive(() => control.publish(s.table('t'), [{ ...p, leader: target, epoch: p.epoch + 1 }]));
  // ...and a refresh reads the nodes now (the old leader), then waits for the lock too.
  const refresh = control.refreshFromNodes();
  await s.runFor(5);
  release();
  await s.settle(Promise.all([held, moved, refresh]));
  const now = s.table('t').partitions[0];
  assert.equal(now.leader, target, 'the catalog went back to the old leader');
  assert.equal(now.epoch, p.epoch + 1);
  assert.equal(control.map.partitions(now.table)[0].leader, target);
  assert.equal(s.machine(target, p.table, p.pid)?.isLeader(), true);
  assert.equal(await s.settle(s.put('t', 'k', 'v').then(() => s.get('t', 'k'))), 'v');
});

test('M10: replicas of a table whose DeleteTable reached the catalog but not the nodes (a crash between) are dropped at the next start', async () => {
  const s = new Scenario(10);
  await s.start();
  await s.createTable('gone');
  await s.createTable('kept');
  await s.settle(Promise.all(['a', 'b', 'c'].flatMap((k) => [s.put('gone', k, k), s.put('kept', k, k)])));
  await s.until(() => s.converged(), 'replicas to converge');
  const gone = s.table('gone').tableId;
  // DeleteTable's first step is durable; the process dies before the nodes drop the table.
  await s.settle(s.server.catalog.delete('gone'));
  await s.runFor(5);
  await s.restart();
  for (const n of s.server.nodes.nodes) {
    assert.equal([...n.node.replicas.values()].filter((r) => r.machine.table === gone).length, 0, `node ${n.id} still holds replicas of the deleted table`);
    assert.deepEqual(n.store.records().filter((r) => r.table === gone), []);
    assert.equal(itemsIn(n.store, gone, 0, 2 ** 32).size, 0, `node ${n.id} still holds its items`);
  }
  for (const k of ['a', 'b', 'c']) assert.equal(await s.settle(s.get('kept', k)), k);
});

test('M1: CreateTable past the table limit is a LimitExceededException, and the tables before it work', async () => {
  const s = new Scenario(1, { tablesMax: 2 });
  await s.start();
  await s.createTable('one');
  await s.createTable('two');
  await assert.rejects(s.createTable('three'), (err: DynamoError) => err instanceof DynamoError && err.kind.name === 'LimitExceededException' && err.kind.status === 400);
  assert.deepEqual(s.server.catalog.names(), ['one', 'two']);
  await s.settle(s.server.control.deleteTable('one'));
  await s.createTable('three');
  assert.equal(await s.settle(s.put('three', 'k', 'v').then(() => s.get('three', 'k'))), 'v');
});
