// The election rule (src/control/election.ts), table-driven, and the interleavings of the second
// review that broke it (../shared/reviews/replication-correctness-r2.md, N0 and N5), replayed on
// the simulator with the real control plane, auto-admin, router and storage nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseLeader } from '../../src/control/election.ts';
import type { FenceReply } from '../../src/control/control-messages.ts';
import type { FenceReport } from '../../src/replication/replica-machine.ts';
import { InvariantError } from '../../src/replication/invariants.ts';
import { Scenario } from '../replication/sim/scenario.ts';
import { decodeReplFrame } from '../../src/replication/repl-frame-codec.ts';
import { decodeLogEntry } from '../../src/replication/log-entry.ts';
import { ReplFrameType } from '../../src/replication/frames.ts';

function replica(durableEpoch: number, durableIndex: number, extra: Partial<FenceReport> = {}): FenceReply {
  return { kind: 'replica', report: { state: 'following', candidate: true, lastIndex: durableIndex, lastEpoch: durableEpoch, durableIndex, durableEpoch, applied: 0, epoch: durableEpoch, voters: [0, 1, 2], version: 1, ...extra } };
}
const noPreference = (a: number, b: number): number => a - b;

test('the election rule: the furthest durable log leads; ties go to the preferred node; what is not durable does not count', () => {
  const cases: Array<{ name: string; voters: number[]; replies: FenceReply[]; preference?: (a: number, b: number) => number; expect: ReturnType<typeof chooseLeader> }> = [
    { name: 'a later epoch wins over a longer log', voters: [1, 2], replies: [replica(3, 10), replica(2, 50)], expect: { kind: 'leader', leader: 1, voters: [1, 2] } },
    { name: 'the same epoch: the longer durable log', voters: [1, 2], replies: [replica(2, 10), replica(2, 11)], expect: { kind: 'leader', leader: 2, voters: [1, 2] } },
    {
      name: 'entries held but not durable do not count: a tie, broken by preference (the other replica truncates them)',
      voters: [1, 2],
      replies: [replica(2, 10, { lastIndex: 14 }), replica(2, 10)],
      preference: (a, b) => (a === 2 ? -1 : b === 2 ? 1 : 0),
      expect: { kind: 'leader', leader: 2, voters: [1, 2] },
    },
    { name: 'a replica being rebuilt is a voter but no candidate', voters: [1, 2], replies: [replica(0, 0, { state: 'installing', candidate: false }), replica(2, 5)], expect: { kind: 'leader', leader: 2, voters: [1, 2] } },
    { name: 'a voter holding only the parent of a split child cannot lead it', voters: [1, 2], replies: [{ kind: 'parentOnly' }, replica(2, 5)], expect: { kind: 'leader', leader: 2, voters: [1, 2] } },
    { name: 'a retired replica (it applied the split): adopt the children', voters: [1, 2], replies: [replica(2, 9, { state: 'retired', candidate: false, splitIndex: 9 }), replica(2, 7)], expect: { kind: 'split' } },
    { name: 'a voter holding a split child: adopt the children', voters: [1, 2], replies: [{ kind: 'splitChildren' }, replica(2, 7)], expect: { kind: 'split' } },
    { name: 'a live voter holding nothing blocks the election (its copy may be the one with a committed entry, N0)', voters: [1, 2], replies: [{ kind: 'none' }, replica(2, 7)], expect: { kind: 'blocked', silent: [1] } },
    { name: 'nobody can lead', voters: [1, 2], replies: [replica(0, 0, { state: 'awaitingSplit', candidate: false }), { kind: 'parentOnly' }], expect: { kind: 'none', voters: [1, 2] } },
  ];
  for (const c of cases) assert.deepEqual(chooseLeader(c.voters, c.replies, c.preference ?? noPreference), c.expect, c.name);
});

test('the election rule refuses a reply list that does not match the voters, and a non-candidate that should be one', () => {
  assert.throws(() => chooseLeader([1, 2], [replica(1, 1)], noPreference), InvariantError);
  assert.throws(() => chooseLeader([1, 2], [replica(1, 1, { candidate: false }), replica(1, 1)], noPreference), InvariantError);
});

test('N0: a write committed on the leader and the follower that applied the split survives the leader dying as it applies the split while the other follower lags', async () => {
  const s = new Scenario(4);
  await s.start();
  await s.createTable('t');
  await s.settle(Promise.all(Array.from({ length: 40 }, (_, i) => s.put('t', `k${i}`, `v${i}`))));
  await s.until(() => s.converged(), 'replicas to converge');
  const parent = s.table('t').partitions[0];
  const L = parent.leader;
  const [Y, Z] = parent.replicas.filter((r) => r !== L);
  // Z lags from here on: the leader's entries do not reach it.
  s.network.dropIf = (from, to, bytes) => from === L && to === Z && decodeReplFrame(bytes).r === ReplFrameType.Entries;
  await s.settle(s.put('t', 'k7', 'acknowledged-on-L-and-Y'));
  assert.equal(await s.settle(s.get('t', 'k7')), 'acknowledged-on-L-and-Y');
  // The leader's thread ends in the pump that applies the split.
  s.server.nodes.afterPump = (sim) => {
    if (sim.id === L && s.machine(L, parent.table, parent.pid)?.state === 'retiredLeader') s.server.nodes.crashThread(L);
  };
  const split = s.server.autoAdmin.split('t', parent.pid);
  await s.until(() => !s.server.nodes.nodes[L].running, 'the leader to crash');
  s.server.nodes.afterPump = () => {};
  s.network.dropIf = null;
  await s.until(() => s.machine(Y, parent.table, parent.pid)?.state === 'retired', 'Y to apply the split');
  await s.settle(split.catch(() => false));
  await s.until(() => s.converged(), 'failover and repair', 60_000, 10);
  assert.equal(await s.settle(s.get('t', 'k7')), 'acknowledged-on-L-and-Y', 'the acknowledged value was replaced by an older one');
  for (let i = 0; i < 40; i++) if (i !== 7) assert.equal(await s.settle(s.get('t', `k${i}`)), `v${i}`);
});

test('N5: a split child no survivor can lead gets its parent elected among all its live voters, whose new leader finishes the split; a parent is kept while a child still waits on it', async () => {
  const s = new Scenario(55);
  await s.start();
  await s.createTable('t');
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  await s.settle(Promise.all(keys.map((k) => s.put('t', k, `v-${k}`))));
  await s.until(() => s.converged(), 'replicas to converge');
  const parent = s.table('t').partitions[0];
  const L = parent.leader;
  const [Y, Z] = parent.replicas.filter((r) => r !== L);
  // Z gets no entries from the leader any more; Y gets the split entry (and acknowledges it, so
  // it commits) but hears nothing after it: neither follower applies the split.
  let splitSent = false;
  s.network.dropIf = (from, to, bytes) => {
    if (from !== L) return false;
    if (to === Z) return decodeReplFrame(bytes).r === ReplFrameType.Entries;
    if (splitSent) return true;
    const frame = decodeReplFrame(bytes);
    splitSent = frame.r === ReplFrameType.Entries && frame.entries.some((e) => decodeLogEntry(e).split !== undefined);
    return false;
  };
  assert.equal(await s.settle(s.server.autoAdmin.split('t', parent.pid)), true);
  const [c1, c2] = s.table('t').partitions;
  await s.until(() => [Y, Z].every((n) => s.machine(n, c1.table, c1.pid)?.state === 'awaitingSplit' && s.machine(n, c2.table, c2.pid)?.state === 'awaitingSplit'), 'the followers to hear of the children');
  // Y's first child is rebuilt from a snapshot; its sibling still waits on Y's parent.
  await s.settle(s.server.nodes.control(Y, { type: 'install', assignment: { ...c1, replicas: c1.replicas } }));
  // The parent's entries still reach no follower; the child's snapshot flows.
  s.network.dropIf = (from, _to, bytes) => {
    if (from !== L) return false;
    const frame = decodeReplFrame(bytes);
    return frame.r === ReplFrameType.Entries && frame.p === parent.pid;
  };
  await s.until(() => s.machine(Y, c1.table, c1.pid)?.state === 'following', 'Y to install the first child');
  assert.notEqual(s.machine(Y, parent.table, parent.pid), undefined, 'Y dropped the parent its other child waits on');
  s.network.dropIf = null;
  s.server.nodes.crashThread(L);
  await s.until(() => s.converged(), 'failover, the split finished by a new leader of the parent, and repair', 60_000, 10);
  for (const k of keys) assert.equal(await s.settle(s.get('t', k)), `v-${k}`);
});
