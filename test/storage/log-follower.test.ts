// Followers of the committed log (src/storage/log-follower.ts) on the simulator: the test change
// log (test/replication/sim/change-log.ts), which lags on purpose, receives every committed change
// exactly once and in order on every replica, across splits, snapshot installs, node crashes and a
// whole-process crash; trimming waits for the slowest follower, and one that falls further behind
// than the log's cap is told and rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scenario } from '../replication/sim/scenario.ts';
import { checkChangeLogs, changeLogName } from '../replication/sim/change-log.ts';
import type { LogEntry } from '../../src/replication/log-entry.ts';
import type { FollowedReplica, LogFollower } from '../../src/storage/log-follower.ts';
import type { NodeStore } from '../../src/storage/node-store.ts';

function checkEveryReplica(s: Scenario): void {
  for (const table of s.server.catalog.all()) {
    for (const p of table.partitions) {
      for (const r of p.replicas) {
        const problems = checkChangeLogs(s.server.nodes.nodes[r].store, table.tableId, p.hashStart, p.hashEnd);
        assert.deepEqual(problems.slice(0, 5), [], `the change log of ${table.name}/${p.pid} on node ${r}`);
      }
    }
  }
}

test('a lagging follower of the log receives every committed change exactly once and in order on every replica, across splits, installs, a node crash and a process crash', async () => {
  const s = new Scenario(61);
  await s.start();
  await s.createTable('t');
  const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
  let round = 0;
  const writeRound = async (): Promise<void> => {
    round++;
    await s.settle(Promise.all(keys.map((k, i) => ((i + round) % 5 === 0 ? s.delete('t', k) : s.put('t', k, `${k}-r${round}`)))));
  };
  await writeRound();
  await writeRound();
  assert.equal(await s.settle(s.server.autoAdmin.split('t', s.table('t').partitions[0].pid)), true);
  await writeRound();
  // A follower node's thread crashes: its replacement's replicas are rebuilt from snapshots.
  const victim = s.table('t').partitions[0].replicas.find((r) => r !== s.table('t').partitions[0].leader)!;
  s.server.nodes.crashThread(victim);
  await writeRound();
  await s.until(() => s.caughtUp(), 'repair', 30_000, 10);
  await writeRound();
  assert.equal(await s.settle(s.server.autoAdmin.split('t', s.table('t').partitions[1].pid)), true);
  await writeRound();
  await s.restart();
  await writeRound();
  await s.until(() => s.caughtUp(), 'every replica and its followers to catch up', 30_000, 10);
  assert.ok(s.server.nodes.nodes.some((n) => n.followers.some((f) => (f as unknown as { counts: { lags: number } }).counts.lags > 0)), 'the follower lagged');
  checkEveryReplica(s);
  for (const [i, k] of keys.entries()) assert.equal(await s.settle(s.get('t', k)), (i + round) % 5 === 0 ? null : `${k}-r${round}`);
});

/** Takes nothing unless it must: the slowest follower there can be. */
class StuckFollower implements LogFollower {
  readonly name = 'stuck';
  readonly behind: Array<{ pid: number; index: number }> = [];
  committed(_replica: FollowedReplica, _from: number, entries: readonly LogEntry[], _batch: NodeStore, takeAll: boolean): number {
    return takeAll ? entries.length : 0;
  }
  split(): void {}
  fellBehind(replica: FollowedReplica, index: number): void {
    this.behind.push({ pid: replica.pid, index });
  }
}

test("trimming waits for the slowest follower of the log; one that falls further behind than the log's cap is told, and goes on from the replica's data", async () => {
  const stuck: StuckFollower[] = [];
  const s = new Scenario(62, {
    logEntriesMax: 40,
    followers: () => {
      const f = new StuckFollower();
      stuck.push(f);
      return [f];
    },
  });
  await s.start();
  await s.createTable('t');
  const p = s.table('t').partitions[0];
  for (let i = 0; i < 30; i++) await s.settle(s.put('t', `k${i}`, `v${i}`));
  await s.until(() => s.converged(), 'replicas to converge');
  const leader = s.server.nodes.nodes[p.leader];
  const slot = leader.node.replicaOf(p.table, p.pid)!;
  assert.equal(slot.positions.stuck, 0, 'the follower took nothing');
  assert.equal(slot.machine.base, 0, 'nothing it still needs was trimmed');
  assert.deepEqual(stuck.flatMap((f) => f.behind), []);
  for (let i = 0; i < 40; i++) await s.settle(s.put('t', `k${i}`, `w${i}`));
  await s.until(() => s.converged(), 'replicas to converge');
  assert.ok(slot.machine.base > 0, "the log's cap trims past the stuck follower");
  assert.ok(stuck.some((f) => f.behind.some((b) => b.pid === p.pid)), 'the follower was told it fell behind');
  assert.ok(slot.positions.stuck >= slot.machine.base, 'and goes on from the data, not from a trimmed entry');
  assert.ok(s.server.nodes.nodes.every((n) => n.followers.every((f) => f.name !== changeLogName)));
});
