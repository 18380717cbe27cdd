// The deterministic simulator over a fixed set of seeds (npm run sim -- --seeds N runs more):
// every seed must keep acknowledged writes on two voters' disks, stay linearizable, find every
// item on every replica's committed prefix, apply every counter update at most once, and end
// with identical replicas. A failing seed replays exactly: npm run sim -- --seed S --verbose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './sim/simulate.ts';

// Which faults a seed draws depends on every frame and timer before them: a change to what the
// nodes and the router send shifts them. Seeds 1..24 drew no long disk stall after the split path
// changed for issue 21 (7 stalls, each long with odds of 30 %); 25..48 have two, and every other
// fault and path (npm run sim -- --seeds 200 passes).
const seeds = Array.from({ length: 24 }, (_, i) => 25 + i);

/** Faults the generator must have caused, and paths the code must have taken, over the seeds. */
const faults = ['nodeCrashes', 'hangs', 'processCrashes', 'unsyncedRestarts', 'divergentLogs', 'twoWayDivergences', 'splits', 'handoffs', 'partitions', 'lossy', 'stalls', 'longStalls', 'slowInstalls', 'laggingVoters'];
const paths = [
  // The operations.
  'updates',
  'deletes',
  'casFailed',
  'queries',
  'batchWrites',
  'stableReads',
  // Requests that timed out, outcomes unknown to their client, and the SDK's resends.
  'timeouts',
  'unknown',
  'resends',
  // Throttling: requests refused by admission, calls retried, batch writes left unprocessed and resent.
  'throttled',
  'throttleRetries',
  'unprocessedResends',
  // A fenced node's thread running on, its frames still reaching its peers.
  'fencedRunning',
  'framesFromFenced',
];
/** Paths counted by the storage nodes (StorageNode.stats): replacements are built from snapshots. */
const nodePaths = ['installs'];
/**
 * Log divergence, in most seeds: a follower cuts entries it received that the new leader's log
 * does not have, and refuses entries whose previous index holds another epoch in its log.
 */
const divergencePaths = ['truncations', 'prevEpochRefusals'];

test(`the simulator finds no violation in seeds ${seeds[0]}..${seeds[seeds.length - 1]}`, { timeout: 300_000 }, async () => {
  const totals: Record<string, number> = {};
  const seedsWith: Record<string, number> = {};
  for (const seed of seeds) {
    const result = await simulate(seed);
    assert.ok(result.ok, `seed ${seed} failed (replay: npm run sim -- --seed ${seed} --verbose):\n${result.failures.slice(0, 3).join('\n').slice(0, 4000)}`);
    for (const [k, v] of Object.entries(result.stats)) {
      totals[k] = (totals[k] ?? 0) + v;
      if (v > 0) seedsWith[k] = (seedsWith[k] ?? 0) + 1;
    }
  }
  for (const name of divergencePaths) assert.ok((seedsWith[name] ?? 0) > seeds.length / 2, `${name} in only ${seedsWith[name] ?? 0} of ${seeds.length} seeds`);
  // The faults must have happened and driven the code down these paths, or the seeds prove nothing.
  for (const name of [...faults, ...paths]) assert.ok(totals[name] > 0, `no ${name} in ${seeds.length} seeds: ${JSON.stringify(totals)}`);
  for (const name of nodePaths) assert.ok(totals[name] > 0, `no ${name} in ${seeds.length} seeds: ${JSON.stringify(totals)}`);
  assert.ok(totals.writesAcked > 10_000 && totals.reads > 10_000, JSON.stringify(totals));
});

/**
 * Seeds that once failed, each for a bug it found (a fixed seed takes another path once the code
 * changes, so each bug also has a test of its own).
 */
const regressions: Array<[number, string]> = [
  [110750, 'a node whose disk stalled was failed over while it held the only whole copy of a partition (the other follower lagged, cut off): acknowledged writes were lost'],
  [370126, "the simulated log thread released the whole log at a restart, unlike the server's: a power loss before the first checkpoint after recovery found its records recycled"],
  [380069, 'a write still in flight when the run ended (its router retrying past a process crash) was missing from the register history, so a read of what it wrote looked like a value never written'],
];

for (const [seed, bug] of regressions) {
  test(`simulator seed ${seed} passes (${bug})`, { timeout: 120_000 }, async () => {
    const result = await simulate(seed);
    assert.ok(result.ok, `seed ${seed} failed (replay: npm run sim -- --seed ${seed} --verbose):\n${result.failures.slice(0, 3).join('\n').slice(0, 4000)}`);
  });
}

test('a seed replays exactly', async () => {
  const a = await simulate(7, { workloadMs: 3000 });
  const b = await simulate(7, { workloadMs: 3000 });
  assert.deepEqual(a.stats, b.stats);
});
