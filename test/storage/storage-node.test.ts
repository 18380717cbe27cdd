// Storage nodes through exact interleavings on the simulator (the real StorageNode, control
// plane, auto-admin and router over simulated disks and network): what a retried write finds,
// what a fenced peer's frames count for, what an expired request does, and what a split leaves
// behind. Each case names the review finding it reproduces (../shared/reviews/replication-correctness.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scenario } from '../replication/sim/scenario.ts';
import { decodeReplFrame, encodeReplFrame } from '../../src/replication/repl-frame-codec.ts';
import { ReplFrameType, type AckFrame } from '../../src/replication/frames.ts';
import { routeKey } from '../../src/api/item-key.ts';
import { keyInfoOf } from '../../src/control/table-record.ts';
import { Op, ReturnValues, Status, WriteKind, type StorageResponse, type WriteRequest } from '../../src/storage/messages.ts';
import { itemSizeBytes } from '../../src/validation/attribute-values.ts';
import { dropCommitBytes, runControl } from '../../src/storage/node-control.ts';
import { InvariantError } from '../../src/replication/invariants.ts';
import { hashRangeOptions } from '../../src/storage/node-store.ts';

async function oneTable(seed: number): Promise<Scenario> {
  const s = new Scenario(seed);
  await s.start();
  await s.createTable('t');
  await s.settle(Promise.all(Array.from({ length: 20 }, (_, i) => s.put('t', `k${i}`, `v${i}`))));
  await s.until(() => s.converged(), 'replicas to converge');
  return s;
}

test('F11: a write applied on a partition that then split is answered, not applied again, when retried on a child (same leader, and a new leader after a crash)', async () => {
  const s = await oneTable(11);
  const parent = s.table('t').partitions[0];
  await s.settle(s.put('t', 'k', 'first', 'retried-write'));
  await s.settle(s.put('t', 'k', 'second'));
  assert.equal(await s.settle(s.server.autoAdmin.split('t', parent.pid)), true);
  await s.until(() => s.converged(), 'the split to reach every replica');
  const child = s.partitionOf('t', 'k');
  assert.notEqual(child.pid, parent.pid);
  // The first write's retry (its answer was lost, say): a blind put applied again would undo "second".
  await s.settle(s.put('t', 'k', 'first', 'retried-write'));
  assert.equal(await s.settle(s.get('t', 'k')), 'second', 'the retry on the split leader was applied again');
  // The same after the leader fails: the child's new leader remembered the write as a follower of the parent.
  s.server.nodes.crashThread(child.leader);
  await s.until(() => s.partitionOf('t', 'k').leader !== child.leader, 'a new leader');
  await s.runFor(3500); // past the time the split parents are kept (awaitSplitTicksMax)
  await s.settle(s.put('t', 'k', 'first', 'retried-write'));
  assert.equal(await s.settle(s.get('t', 'k')), 'second', 'the retry on the new leader was applied again');
});

test("F12: an ack from a peer the control plane declared dead does not count toward W = 2", async () => {
  const s = await oneTable(12);
  const p = s.table('t').partitions[0];
  const [fenced, other] = p.replicas.filter((r) => r !== p.leader);
  // The other follower is cut off; the fenced one would be the write's only second copy.
  s.network.partition(p.leader, other);
  s.server.nodes.markDead(fenced);
  let acked = false;
  const write = s.put('t', 'k', 'x').then(() => (acked = true));
  const leader = s.machine(p.leader, p.table, p.pid)!;
  await s.until(() => leader.durable === leader.last && leader.last > leader.committed, 'the write to be durable on the leader');
  // The fenced node's last pump finishes: it acknowledges the entry.
  const ack: AckFrame = { r: ReplFrameType.Ack, t: p.table, p: p.pid, from: fenced, e: leader.epoch, ok: true, i: leader.last, applied: leader.committed };
  s.server.nodes.nodes[p.leader].transport.deliverPeer(fenced, encodeReplFrame(ack));
  await s.runFor(50);
  assert.equal(acked, false, 'acknowledged with its second copy on a fenced node');
  assert.ok(leader.committed < leader.last);
  s.network.heal();
  await s.settle(write);
  assert.equal(acked, true, 'acknowledged once a live voter has it');
});

test('M3: a write whose deadline has passed is not applied by the storage node (its client was answered already)', async () => {
  const s = await oneTable(13);
  const table = s.table('t');
  const p = s.partitionOf('t', 'k1');
  const item = { pk: { S: 'k1' }, v: { S: 'late' } };
  const routed = routeKey(keyInfoOf(table), item);
  const req: WriteRequest = { id: 0, op: Op.Write, t: table.tableId, p: p.pid, v: p.version, k: routed.storageKey, w: WriteKind.Put, item, sz: itemSizeBytes(item), key: null, x: null, rv: ReturnValues.NONE, rvf: false, wid: 'late-write', dl: s.now - 1 };
  const res: StorageResponse = await s.settle(s.server.nodes.call(p.leader, req));
  assert.equal(res.s, Status.Internal);
  assert.equal(await s.settle(s.get('t', 'k1')), 'v1');
  // The same write within its deadline is applied.
  const inTime: StorageResponse = await s.settle(s.server.nodes.call(p.leader, { ...req, wid: 'in-time', dl: s.now + 1000 }));
  assert.equal(inTime.s, Status.Ok);
  assert.equal(await s.settle(s.get('t', 'k1')), 'late');
});

test('M2: after a split, no node keeps the split parent (its record, log and replica) once the followers have the split', async () => {
  const s = await oneTable(14);
  const parent = s.table('t').partitions[0];
  assert.equal(await s.settle(s.server.autoAdmin.split('t', parent.pid)), true);
  await s.settle(Promise.all(Array.from({ length: 20 }, (_, i) => s.put('t', `k${i}`, `w${i}`))));
  await s.until(() => s.converged() && s.allMachines().every(({ m }) => m.pid !== parent.pid), 'every replica of the parent to be dropped', 10_000, 10);
  for (const n of s.server.nodes.nodes) {
    assert.deepEqual(
      n.store.records().filter((r) => r.pid === parent.pid),
      [],
      `node ${n.id} keeps the parent's record`,
    );
    assert.equal(n.store.storedLog(parent.table, parent.pid).last, 0, `node ${n.id} keeps the parent's log`);
  }
});

test('M9: a split counts its halves within a bound of items and of bytes (every replica counts on its storage thread), and leaves them estimated beyond', async () => {
  const s = new Scenario(9, { nodeSettings: { splitCountItemsMax: 1000, splitCountBytesMax: 100 } });
  await s.start();
  await s.createTable('t');
  await s.settle(Promise.all(Array.from({ length: 60 }, (_, i) => s.put('t', `k${i}`, `v${i}`))));
  await s.until(() => s.converged(), 'replicas to converge');
  const parent = s.machine(0, s.table('t').tableId, 0)!;
  const itemBytes = parent.bytes / parent.items;
  const read = itemsReadPerPump(s);
  assert.equal(await s.settle(s.server.autoAdmin.split('t', 0)), true);
  await s.until(() => s.converged() && s.server.nodes.nodes.every((n) => n.node.splitsCounting === 0), 'the split to reach every replica and its counts to end');
  assert.equal(read.views, 3, 'each replica counts once');
  // 100 bytes of these items is a handful: every count stopped one item past that bound.
  assert.equal(read.total / 3, Math.ceil(100 / itemBytes) + 1, 'counted past 100 bytes of items');
  const children = s.table('t').partitions.map((p) => s.machine(p.leader, p.table, p.pid)!);
  assert.equal(children[0].items + children[1].items, 60, "the halves' estimates add up to the parent's count");
  for (let i = 0; i < 60; i++) assert.equal(await s.settle(s.get('t', `k${i}`)), `v${i}`);
});

test("issue 21: a split counts a large half a bounded slice per pump, serving reads between slices, and then each child's count is exact", async () => {
  const slice = 1;
  const s = new Scenario(21, { nodeSettings: { splitCountItemsPerPump: slice } });
  await s.start();
  await s.createTable('t');
  const items = 400;
  for (let from = 0; from < items; from += 50) await s.settle(Promise.all(Array.from({ length: 50 }, (_, i) => s.put('t', `k${from + i}`, `v${from + i}`))));
  await s.until(() => s.converged(), 'replicas to converge');
  const read = itemsReadPerPump(s);
  const parent = s.table('t').partitions[0];
  const leader = s.server.nodes.nodes[parent.leader].node;
  assert.equal(await s.settle(s.server.autoAdmin.split('t', parent.pid)), true);
  // The split is applied and published while its leader is still counting: reads are served meanwhile.
  assert.ok(leader.splitsCounting > 0, 'the count ended before the split was published');
  const counted = read.total;
  assert.equal(await s.settle(s.get('t', 'k1', true)), 'v1');
  assert.equal(await s.settle(s.get('t', 'k2', false)), 'v2');
  assert.ok(leader.splitsCounting > 0, 'the count ended before the reads were answered');
  assert.ok(read.total > counted, 'nothing was counted while the reads were served');
  await s.until(() => s.server.nodes.nodes.every((n) => n.node.splitsCounting === 0), 'the counts to end');
  assert.equal(read.views, 3, 'each replica counts once');
  assert.ok(read.perPumpMax <= slice, `a pump read ${read.perPumpMax} items, more than its slice of ${slice}`);
  assert.ok(read.pumps >= 3 * Math.floor(read.total / 3 / slice), `the counts took ${read.pumps} pumps for ${read.total} items`);
  // Exact now: each child's count is the number of items in its hash range.
  await s.until(() => s.converged(), 'the corrected counts to reach every replica');
  for (const p of s.table('t').partitions) {
    for (const node of p.replicas) {
      const n = s.server.nodes.nodes[node];
      const held = [...n.store.items(p.table).getRange(hashRangeOptions(p.hashStart, p.hashEnd))].length;
      assert.equal(s.machine(node, p.table, p.pid)!.items, held, `node ${node}: partition ${p.pid} counts ${s.machine(node, p.table, p.pid)!.items} items, holds ${held}`);
    }
  }
});

test("issue 21: a split child's leader (the parent's, which applied the split) serves consistent reads before the child's first entry commits", async () => {
  const s = await oneTable(22);
  const table = s.table('t');
  const parent = table.partitions[0];
  const children = new Set([table.nextPid ?? parent.pid + 1, (table.nextPid ?? parent.pid + 1) + 1]);
  // Nothing of the children's logs gets through: their first entries (the no-ops) never commit.
  s.network.dropIf = (_from, _to, bytes) => children.has(decodeReplFrame(bytes).p);
  assert.equal(await s.settle(s.server.autoAdmin.split('t', parent.pid)), true);
  for (const p of s.table('t').partitions) {
    assert.ok(children.has(p.pid));
    assert.equal(s.machine(p.leader, p.table, p.pid)!.committed, 0, 'a child committed an entry');
  }
  for (let i = 0; i < 20; i++) assert.equal(await s.settle(s.get('t', `k${i}`, true), 5_000), `v${i}`);
  s.network.dropIf = null;
  await s.settle(s.put('t', 'k1', 'after'));
  assert.equal(await s.settle(s.get('t', 'k1', true)), 'after');
});

/** Counts, on every node, the items a split's count reads in each pump (through the views pinRange gives). */
function itemsReadPerPump(s: Scenario): { views: number; total: number; perPumpMax: number; pumps: number } {
  const read = { views: 0, total: 0, perPumpMax: 0, pumps: 0 };
  for (const n of s.server.nodes.nodes) {
    let inPump = 0;
    const store = n.store;
    const pinRange = store.pinRange.bind(store);
    store.pinRange = (table, hashStart, hashEnd) => {
      read.views++;
      const view = pinRange(table, hashStart, hashEnd);
      const items = view.items;
      return {
        items: {
          next: () => {
            const step = items.next();
            if (!step.done) {
              inPump++;
              read.total++;
            }
            return step;
          },
        },
        close: () => view.close(),
      };
    };
    const node = n.node;
    const pump = node.pump.bind(node);
    node.pump = () => {
      inPump = 0;
      const worked = pump();
      if (inPump > 0) read.pumps++;
      read.perPumpMax = Math.max(read.perPumpMax, inPump);
      return worked;
    };
  }
  return read;
}

test('M7: dropping a table announces its commit as a long step, in proportion to the table\'s bytes, until the drop is durable', async () => {
  const s = await oneTable(7);
  const sim = s.server.nodes.nodes[0];
  const tableId = s.table('t').tableId;
  const replicas = [...sim.node.replicas.values()].filter((slot) => slot.machine.table === tableId);
  assert.ok(replicas.length > 0);
  const tableBytes = replicas.reduce((sum, slot) => sum + slot.machine.bytes, 0);
  assert.ok(tableBytes > 0);
  // A table of 5 GB on a node (the drop frees every page in one commit): one more beat per 200 MB.
  assert.equal(Math.ceil(dropCommitBytes(5e9) / (1024 * 1024)), 24);
  assert.equal(sim.node.bytesGoingToDisk(), 0);
  runControl(sim.node, { type: 'dropTable', table: tableId });
  assert.equal(sim.node.bytesGoingToDisk(), dropCommitBytes(tableBytes), 'the drop commit announces its share of the table');
  await s.until(() => sim.node.bytesGoingToDisk() === 0, 'the drop to be durable');
});

test('a message over 1 MB announces its size first; many medium or small messages in one pump beat from inside it', async () => {
  const s = await oneTable(13);
  const sim = s.server.nodes.nodes[0];
  sim.stepBeats.length = 0;
  sim.node.beforeStep(3 * 1024 * 1024);
  assert.deepEqual(sim.stepBeats, [3 * 1024 * 1024]);
  // 100 steps over 400 KB items (a BatchGetItem's worth): 1 + 6 units each, a beat every 3 steps.
  sim.stepBeats.length = 0;
  for (let i = 0; i < 100; i++) sim.node.beforeStep(400_000);
  assert.equal(sim.stepBeats.length, 33);
  assert.ok(sim.stepBeats.every((b) => b === 0));
  // Small steps beat too, only less often: 1 unit each, a beat every 16 steps.
  sim.node.beforeStep(3 * 1024 * 1024);
  sim.stepBeats.length = 0;
  for (let i = 0; i < 160; i++) sim.node.beforeStep(200);
  assert.equal(sim.stepBeats.length, 10);
});

test('N1: a snapshot carries no write-id record of an entry after its index: a retry of a write that was never committed is applied, not answered OK', async () => {
  const s = new Scenario(21);
  await s.start();
  await s.createTable('t');
  await s.settle(Promise.all(Array.from({ length: 10 }, (_, i) => s.put('t', `k${i}`, `v${i}`))));
  await s.until(() => s.converged(), 'replicas to converge');
  const p = s.table('t').partitions[0];
  const L = p.leader;
  const [A] = p.replicas.filter((r) => r !== L);
  const leader = s.machine(L, p.table, p.pid)!;
  const I = leader.last;
  // The leader's entries reach nobody from now on (snapshot chunks still flow).
  s.network.dropIf = (from, _to, bytes) => from === L && decodeReplFrame(bytes).r === ReplFrameType.Entries;
  let outcome = 'pending';
  const write = s.put('t', 'k1', 'LOST?', 'client-write-1').then(
    () => (outcome = 'ok'),
    (e: Error) => (outcome = `${e.name}: ${e.message}`),
  );
  await s.until(() => leader.last === I + 1, 'the write to be appended (uncommitted)');
  // A is rebuilt from a snapshot, as a follower that fell behind the trimmed log is.
  await s.settle(s.server.nodes.control(A, { type: 'install', assignment: s.table('t').partitions[0] }));
  await s.until(() => s.machine(A, p.table, p.pid)?.state === 'following', 'A to install the snapshot');
  assert.equal(s.server.nodes.nodes[A].node.writeIds.find('client-write-1'), undefined, "the snapshot carried the record of an entry after its index");
  // The leader dies; its uncommitted entry dies with it. The router retries the write (same id).
  s.server.nodes.crashThread(L);
  s.network.dropIf = null;
  await s.settle(write.catch(() => {}), 30_000);
  const value = await s.settle(s.get('t', 'k1'));
  assert.ok(!(outcome === 'ok' && value !== 'LOST?'), `the write was acknowledged (${outcome}) but k1 reads ${value}`);
});

test('N2: a split child rebuilt from a snapshot keeps its parent-era write ids under the parent: a retry of one is answered at once, not after the child log reaches a parent index', async () => {
  const s = new Scenario(41);
  await s.start();
  await s.createTable('t');
  await s.settle(Promise.all(Array.from({ length: 40 }, (_, i) => s.put('t', `k${i}`, `v${i}`))));
  await s.settle(s.put('t', 'k', 'first', 'parent-era-write'));
  await s.until(() => s.converged(), 'replicas to converge');
  const parent = s.table('t').partitions[0];
  assert.equal(await s.settle(s.server.autoAdmin.split('t', parent.pid)), true);
  await s.until(() => s.converged(), 'the split to reach every replica');
  const child = s.partitionOf('t', 'k');
  const [A] = child.replicas.filter((r) => r !== child.leader);
  await s.settle(s.server.nodes.control(A, { type: 'install', assignment: child }));
  await s.until(() => s.machine(A, child.table, child.pid)?.state === 'following' && s.converged(), 'A to install the child');
  assert.equal(s.server.nodes.nodes[A].node.writeIds.find('parent-era-write')?.pid, parent.pid, "the record is kept under the parent's partition");
  assert.equal(await s.settle(s.server.autoAdmin.transferLeadership('t', child.pid, A)), true);
  let settled = false;
  const retry = s.put('t', 'k', 'first', 'parent-era-write').then(
    () => (settled = true),
    () => (settled = true),
  );
  await s.runFor(1500);
  assert.equal(settled, true, 'the retry of an applied write waits on a parent log index in the child log');
  await retry;
  assert.equal(await s.settle(s.get('t', 'k')), 'first');
});

test('N3: eventually consistent reads on a replica that just took the last snapshot chunk wait until the install is durable (no "not found" for existing items)', async () => {
  const s = new Scenario(31);
  await s.start();
  await s.createTable('t');
  const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
  await s.settle(Promise.all(keys.map((k) => s.put('t', k, `value-${k}-`.padEnd(60, 'x')))));
  await s.until(() => s.converged(), 'replicas to converge');
  const p = s.table('t').partitions[0];
  const F = p.replicas.find((r) => r !== p.leader)!;
  // F's disk is slow for a moment: its first install batch syncs slowly, the next ones wait behind it.
  s.server.nodes.nodes[F].disk.stallUntil = s.now + 400;
  await s.settle(s.server.nodes.control(F, { type: 'install', assignment: p }));
  await s.until(() => s.machine(F, p.table, p.pid)?.state === 'following', 'F to take the last chunk', 5000, 0.05);
  const table = s.table('t');
  let missing = 0;
  let refused = 0;
  const reads = keys.map(async (k) => {
    const routed = routeKey(keyInfoOf(table), { pk: { S: k } });
    const res: StorageResponse = await s.server.nodes.call(F, { id: 0, op: Op.Get, t: table.tableId, p: p.pid, v: table.partitions[0].version, k: routed.storageKey, c: false });
    if (res.s === Status.Ok && (res.json === null || res.json === undefined)) missing++;
    if (res.s === Status.WrongReplica) refused++;
  });
  await s.settle(Promise.all(reads));
  assert.equal(missing, 0, `eventually consistent reads on node ${F} right after its install: ${missing} of ${keys.length} items not found`);
  assert.ok(refused > 0, 'the reads were sent before the install was durable');
});

test('N8 (and the F12 window of seed 40056): what a follower acknowledged before it was declared dead does not count toward W = 2 when the leader\'s own copy becomes durable after', async () => {
  const s = await oneTable(18);
  const p = s.table('t').partitions[0];
  const leader = s.machine(p.leader, p.table, p.pid)!;
  const [dying, other] = p.replicas.filter((r) => r !== p.leader);
  // The other follower is cut off; the leader's disk is slow: the dying follower's ack arrives first.
  s.network.partition(p.leader, other);
  s.server.nodes.nodes[p.leader].disk.stallUntil = s.now + 300;
  let acked = false;
  const write = s.put('t', 'k', 'x').then(() => (acked = true));
  const follower = s.machine(dying, p.table, p.pid)!;
  await s.until(() => follower.durable === leader.last, 'the dying follower to have the write durably');
  await s.runFor(5);
  assert.ok(leader.durable < leader.last, "the leader's own copy is not durable yet");
  s.server.nodes.markDead(dying);
  await s.until(() => leader.durable === leader.last, "the leader's copy to become durable", 2000, 1);
  await s.runFor(20);
  assert.equal(acked, false, 'acknowledged with its second copy on a node declared dead');
  s.network.heal();
  await s.settle(write);
  assert.equal(acked, true, 'acknowledged once a live voter has it');
});

test('N6: a control handler that throws (a broken invariant) stops its node, which is failed over, and the simulator records it', async () => {
  const s = await oneTable(16);
  const p = s.table('t').partitions[0];
  const follower = p.replicas.find((r) => r !== p.leader)!;
  const m = s.machine(follower, p.table, p.pid)!;
  m.handoff = () => {
    throw new InvariantError('a broken invariant in a control handler');
  };
  await assert.rejects(s.settle(s.server.nodes.control(follower, { type: 'handoff', table: p.table, pid: p.pid, target: p.leader })), InvariantError);
  assert.equal(s.server.nodes.errors.length, 1);
  await s.until(() => s.server.autoAdmin.history.some((f) => f.node === follower), 'the node to be failed over');
  await s.until(() => s.converged(), 'repair', 30_000, 10);
  for (let i = 0; i < 20; i++) assert.equal(await s.settle(s.get('t', `k${i}`)), `v${i}`);
});

test('a node whose store is full (its memtable at storage.memtableBytesMax) takes no new requests or entries until it has room; then the write goes through', async () => {
  const s = await oneTable(17);
  const p = s.partitionOf('t', 'k1');
  const store = s.server.nodes.nodes[p.leader].store;
  let full = true;
  store.full = () => full;
  let acked = false;
  const write = s.put('t', 'k1', 'while-full').then(() => (acked = true));
  await s.runFor(300);
  assert.equal(acked, false, 'a full store took a write');
  const node = s.server.nodes.nodes[p.leader].node;
  assert.ok(s.server.nodes.nodes[p.leader].transport.hasInput(), 'the write waits in its ring');
  // The worker's loop sleeps (letting the event loop end the checkpoint) only when there is no input.
  assert.equal(node.hasInput(), false, 'input a full store cannot take counted as input: the loop would spin without yielding');
  const leader = s.machine(p.leader, p.table, p.pid)!;
  const last = leader.last;
  full = false;
  await s.settle(write);
  assert.ok(leader.last > last, 'the write was appended once the store had room');
  assert.equal(await s.settle(s.get('t', 'k1')), 'while-full');
});

test('seed 91: a node told it holds a partition it lacks (past its first epoch) rebuilds it from a snapshot, never follows with an empty log that could win an election', async () => {
  const s = await oneTable(91);
  const p = s.table('t').partitions[0];
  const follower = p.replicas.find((r) => r !== p.leader)!;
  // An election since the table was made: the partition is past its first epoch.
  assert.equal(await s.settle(s.server.autoAdmin.transferLeadership('t', p.pid, follower)), true);
  const now = s.table('t').partitions[0];
  assert.ok(now.epoch > 1);
  // The follower's replica goes (as on a replaced node); then an assignment that lists it arrives.
  const node = s.server.nodes.nodes[p.leader].node;
  node.drop(node.replicaOf(now.table, now.pid)!, true);
  runControl(node, { type: 'assign', assignments: [now] });
  const m = node.replicaOf(now.table, now.pid)!.machine;
  assert.equal(m.state, 'installing', 'an empty follower of a partition with data');
  assert.equal(m.fence(now.epoch + 1).candidate, false, 'an election could choose it');
  await s.until(() => s.converged(), 'the replica to be rebuilt');
  assert.equal(await s.settle(s.get('t', 'k3')), 'v3');
  const rebuilt = s.machine(p.leader, now.table, now.pid)!;
  assert.equal(rebuilt.state, 'following');
  assert.equal(rebuilt.applied, s.machine(now.leader, now.table, now.pid)!.applied);
});
