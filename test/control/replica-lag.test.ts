// Which followers lag behind their partition's commit index (src/control/replica-lag.ts): the
// failure detector counts only whole copies, so a follower cut off while the others committed
// never makes the node holding the only whole copy look expendable (simulator seed 110750).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaLag } from '../../src/control/replica-lag.ts';
import type { ReplicaReport } from '../../src/control/control-messages.ts';

/** A leader's report of partition t/0: its epoch, committed index and followers' matches. */
function leaderReport(epoch: number, committed: number, matches: Record<number, number>): ReplicaReport {
  const followers: ReplicaReport['followers'] = {};
  for (const [node, match] of Object.entries(matches)) followers[Number(node)] = { match, applied: match };
  return {
    table: 't',
    pid: 0,
    state: 'leading',
    assignment: { table: 't', pid: 0, hashStart: 0, hashEnd: 2 ** 32, replicas: [0, 1, 2], leader: 0, epoch, version: 1 },
    leader: true,
    epoch,
    last: committed,
    committed,
    applied: committed,
    items: 0,
    bytes: 0,
    followers,
  };
}

/** One refresh in which node 0 answers with `report` (the others answer nothing about t/0). */
const refresh = (report: ReplicaReport | null): ReplicaReport[][] => [report === null ? [] : [report], [], []];

test('replica lag: a follower trailing the commit index by the writes in flight is not lagging', () => {
  const lag = new ReplicaLag();
  lag.observe(refresh(leaderReport(3, 100, { 1: 98, 2: 100 })));
  assert.deepEqual([...lag.lagging('t', 0)], [], 'nothing is known before a second refresh');
  lag.observe(refresh(leaderReport(3, 180, { 1: 150, 2: 178 })));
  assert.deepEqual([...lag.lagging('t', 0)], [], 'both passed what was committed a refresh ago');
});

test('replica lag: a follower that has not reached what was committed a refresh ago lags until it does', () => {
  const lag = new ReplicaLag();
  lag.observe(refresh(leaderReport(3, 100, { 1: 100, 2: 100 })));
  lag.observe(refresh(leaderReport(3, 160, { 1: 160, 2: 99 })));
  assert.deepEqual([...lag.lagging('t', 0)], [2]);
  // A leader that answers nothing (hung) leaves what was seen as it was.
  lag.observe(refresh(null));
  assert.deepEqual([...lag.lagging('t', 0)], [2]);
  lag.observe(refresh(leaderReport(3, 200, { 1: 200, 2: 150 })));
  assert.deepEqual([...lag.lagging('t', 0)], [2], '150 is short of the 160 committed a refresh ago');
  lag.observe(refresh(leaderReport(3, 210, { 1: 210, 2: 205 })));
  assert.deepEqual([...lag.lagging('t', 0)], [], 'caught up');
});

test('replica lag: of two replicas that think they lead, the later epoch speaks; a partition no longer in the map is forgotten', () => {
  const lag = new ReplicaLag();
  lag.observe(refresh(leaderReport(5, 100, { 1: 100, 2: 100 })));
  const stale = { ...leaderReport(4, 300, { 1: 0, 2: 0 }) };
  lag.observe([[leaderReport(5, 120, { 1: 120, 2: 40 })], [stale], []]);
  assert.deepEqual([...lag.lagging('t', 0)], [2]);
  lag.retain([{ table: 't', pid: 1 }]);
  assert.deepEqual([...lag.lagging('t', 0)], []);
});
