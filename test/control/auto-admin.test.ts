// The auto-admin's failover, driven through exact interleavings on the simulator (the real
// control plane, auto-admin, router and storage nodes over simulated disks and network). Each
// case names the review finding it reproduces (../shared/reviews/replication-correctness.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scenario } from '../replication/sim/scenario.ts';
import { decodeFrame } from '../../src/rings/frame-codec.ts';
import { decodeLogEntry } from '../../src/replication/log-entry.ts';
import { ReplFrameType, type ReplFrame } from '../../src/replication/frames.ts';

/** Whether a replication frame carries a split entry. */
function carriesSplit(bytes: Uint8Array): boolean {
  const f = decodeFrame(bytes) as ReplFrame;
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
  await s.until(() => s.converged(), 'replicas to converge after the writes');
  for (const { node, m } of s.allMachines()) assert.ok(m.state !== 'awaitingSplit' && m.state !== 'installing', `node ${node} holds ${m.pid} ${m.state}`);
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
  await s.until(() => s.table('t').partitions.length === 2, 'the catalog to list the children');
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
    if (sim.id === parent.leader && s.machine(sim.id, parent.table, parent.pid)?.state === 'retired') s.server.nodes.crashThread(sim.id);
  };
  const split = s.server.autoAdmin.split('t', parent.pid);
  await s.until(() => !s.server.nodes.nodes[parent.leader].running, 'the leader to crash');
  s.server.nodes.afterPump = () => {};
  await s.until(() => parent.replicas.filter((r) => r !== parent.leader).every((r) => s.machine(r, parent.table, parent.pid) === undefined), 'the followers to apply the split');
  await s.settle(split);
  await s.until(() => s.table('t').partitions.length === 2 && s.converged(), 'the children to be adopted and repaired', 30_000, 10);
  await assertServes(s, items);
});
