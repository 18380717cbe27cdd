// The auto-admin's failover, driven through exact interleavings on the simulator (the real
// control plane, auto-admin, router and storage nodes over simulated disks and network). Each
// case names the review finding it reproduces (../shared/reviews/replication-correctness.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scenario } from '../replication/sim/scenario.ts';
import { decodeReplFrame } from '../../src/replication/repl-frame-codec.ts';
import { decodeLogEntry } from '../../src/replication/log-entry.ts';
import { ReplFrameType } from '../../src/replication/frames.ts';

/** Whether a replication frame carries a split entry. */
function carriesSplit(bytes: Uint8Array): boolean {
  const f = decodeReplFrame(bytes);
  return f.r === ReplFrameType.Entries && f.entries.some((e) => decodeLogEntry(e).split !== undefined);
}

async function tableWithItems(s: Scenario, count: number): Promise<Map<string, string>> {
  await s.start();
  await s.createTable('t');
  const items = new Map<string, string>();
  for (let i = 0; i < count; i++) items.set(`k${i}`, `v${i}`);
  await s.settle(Promise.all([...items].map(([k, v]) => s.put('t', k, v))));
  await s.until(() => s.converged(), 'replicas to converge');
  return items;
}

/** Every item reads back with ConsistentRead through the router, and both halves take writes. */
async function assertServes(s: Scenario, items: Map<string, string>): Promise<void> {
  for (const [k, v] of items) assert.equal(await s.settle(s.get('t', k)), v, `${k} after the failover`);
  await s.settle(Promise.all([...items.keys()].map((k) => s.put('t', k, `${k}'`))));
  for (const k of items.keys()) assert.equal(await s.settle(s.get('t', k)), `${k}'`);
  // Nothing is left waiting for a split, being rebuilt, or kept as a retired parent (M2).
  await s.until(() => s.converged() && s.allMachines().every(({ m }) => m.state === 'leading' || m.state === 'following'), 'replicas to converge after the writes', 10_000, 10);
}

test('F3 (a): the leader dies after its split committed and the catalog took the children, before any follower applied the split', async () => {
  const s = new Scenario(3);
  const items = await tableWithItems(s, 40);
  const parent = s.table('t').partitions[0];
  assert.equal(parent.leader, 0);
  // Follower 2 never gets the split entry; follower 1 gets it (and acknowledges it, so it
  // commits) but never hears that it committed.
  let splitSent = false;
  s.network.dropIf = (from, to, bytes) => {
    if (from !== 0) return false;
    if (to === 2) return true;
    if (splitSent) return true;
    splitSent = carriesSplit(bytes);
    return false;
  };
  const split = s.server.autoAdmin.split('t', parent.pid);
  // The catalog takes the children first, then the nodes hear of them (publish).
  const heard = (): boolean => s.table('t').partitions.length === 2 && [1, 2].every((node) => s.table('t').partitions.every((c) => s.machine(node, c.table, c.pid) !== undefined));
  await s.until(heard, 'the catalog to list the children and the followers to hear of them');
  const children = s.table('t').partitions;
  for (const node of [1, 2]) for (const c of children) assert.equal(s.machine(node, c.table, c.pid)?.state, 'awaitingSplit', `child ${c.pid} on node ${node}`);
  assert.equal(s.machine(1, parent.table, parent.pid)?.state, 'following', 'node 1 holds the split entry, unapplied');
  s.server.nodes.crashThread(0);
  s.network.dropIf = null;
  assert.equal(await s.settle(split), true);
  // No survivor can lead a child: the parent is elected, its new leader finishes the split.
  await s.until(() => s.converged(), 'failover, the split and repair', 30_000, 10);
  await assertServes(s, items);
});

test('F3 (b): the leader dies as it applies its split, before the control plane adopts it; the followers applied it', async () => {
  const s = new Scenario(4);
  const items = await tableWithItems(s, 40);
  const parent = s.table('t').partitions[0];
  // The leader's thread ends in the pump that applies the split: its splitApplied never reaches
  // the control plane, whose split attempt times out with the parent still in the catalog.
  s.server.nodes.afterPump = (sim) => {
    if (sim.id === parent.leader && s.machine(sim.id, parent.table, parent.pid)?.state === 'retiredLeader') s.server.nodes.crashThread(sim.id);
  };
  const split = s.server.autoAdmin.split('t', parent.pid);
  await s.until(() => !s.server.nodes.nodes[parent.leader].running, 'the leader to crash');
  s.server.nodes.afterPump = () => {};
  await s.until(() => parent.replicas.filter((r) => r !== parent.leader).every((r) => s.machine(r, parent.table, parent.pid) === undefined), 'the followers to apply the split');
  await s.settle(split);
  await s.until(() => s.table('t').partitions.length === 2 && s.converged(), 'the children to be adopted and repaired', 30_000, 10);
  await assertServes(s, items);
});

test('F13: a node whose thread ended is failed over even when it holds the last live replica; one that only stops making progress is not', async () => {
  const s = new Scenario(13);
  await s.start();
  await s.createTable('t');
  await s.until(() => s.converged(), 'replicas to converge');
  // The two other replicas are gone and not yet failed over (the window F13 is about).
  s.server.nodes.markDead(1);
  s.server.nodes.markDead(2);
  s.server.nodes.hang(0, 1000);
  await s.runFor(1000);
  assert.equal(s.server.autoAdmin.history.length, 0, 'silence alone does not fail the last replica over (more likely a starved process)');
  assert.equal(s.server.nodes.isAlive(0), true);
  s.server.nodes.crashThread(0);
  await s.until(() => s.server.autoAdmin.history.length > 0, 'the failover of node 0');
  assert.deepEqual(
    s.server.autoAdmin.history.map((r) => [r.node, r.reason]),
    [[0, 'its thread ended']],
  );
  assert.ok(s.server.nodes.nodes[0].incarnation > 1, 'node 0 was replaced: requests and elections no longer wait on a dead thread');
});

test('F15: a failover does not wait behind a leader hand-off that cannot finish', async () => {
  const s = new Scenario(15, { initialPartitions: 3 });
  await s.start();
  await s.createTable('t');
  await s.until(() => s.converged(), 'replicas to converge');
  const partitions = s.table('t').partitions;
  assert.deepEqual(partitions.map((p) => p.leader).sort(), [0, 1, 2]);
  const handed = partitions.find((p) => p.leader === 0)!;
  // The hand-off's target lacks a write and cannot catch up: the hand-off waits its whole timeout (2 s here).
  s.network.partition(0, 1);
  const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => s.partitionOf('t', k).pid === handed.pid)!;
  await s.settle(s.put('t', key, 'v'));
  let handoffSettled = false;
  const handoff = s.server.autoAdmin.transferLeadership('t', handed.pid, 1).finally(() => (handoffSettled = true));
  await s.runFor(50);
  s.server.nodes.crashThread(2);
  await s.until(() => s.server.autoAdmin.history[0]?.leadersMovedAt != null, 'the failover of node 2 to elect new leaders', 5000);
  const record = s.server.autoAdmin.history[0];
  assert.equal(handoffSettled, false, 'the hand-off is still waiting');
  assert.ok(record.leadersMovedAt! - record.detectedAt < 50, `leaders moved ${record.leadersMovedAt! - record.detectedAt} ms after the failure was detected`);
  assert.ok(s.table('t').partitions.every((p) => p.leader !== 2), 'node 2 leads nothing any more');
  s.network.heal();
  assert.equal(await s.settle(handoff), false);
  await s.until(() => s.converged(), 'repair', 30_000, 10);
});

test('M6: the failover history keeps the last 100 failovers; split checks count only partitions that exist', async () => {
  const s = new Scenario(6);
  await s.start();
  for (let i = 0; i < 110; i++) await s.settle(s.server.autoAdmin.nodeFailed(i % 3, `failure ${i}`));
  const history = s.server.autoAdmin.history;
  assert.equal(history.length, 100);
  assert.equal(history[0].reason, 'failure 10');
  assert.equal(history[99].reason, 'failure 109');
  // Split checks keep a count per partition: split parents and deleted tables leave it.
  const admin = s.server.autoAdmin as unknown as { checkSplits(): Promise<void>; hotChecks: Map<string, number> };
  const table = await s.createTable('t');
  await s.until(() => s.converged(), 'replicas to converge', 30_000, 10);
  await s.settle(admin.checkSplits());
  assert.deepEqual([...admin.hotChecks.keys()], [`${table.tableId}:0`]);
  assert.equal(await s.settle(s.server.autoAdmin.split('t', 0)), true);
  await s.settle(admin.checkSplits());
  assert.deepEqual([...admin.hotChecks.keys()].sort(), s.table('t').partitions.map((p) => `${table.tableId}:${p.pid}`).sort());
  await s.settle(s.server.control.deleteTable('t'));
  await s.settle(admin.checkSplits());
  assert.equal(admin.hotChecks.size, 0);
});
