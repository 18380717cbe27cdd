// The deterministic simulator over a fixed set of seeds (npm run sim -- --seeds N runs more):
// every seed must keep acknowledged writes on two voters' disks, stay linearizable, and end
// with identical replicas. A failing seed replays exactly: npm run sim -- --seed S --verbose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './sim/simulate.ts';

const seeds = Array.from({ length: 24 }, (_, i) => 1 + i);

test(`the simulator finds no violation in seeds ${seeds[0]}..${seeds[seeds.length - 1]}`, { timeout: 180_000 }, async () => {
  const totals: Record<string, number> = {};
  for (const seed of seeds) {
    const result = await simulate(seed);
    assert.ok(result.ok, `seed ${seed} failed (replay: npm run sim -- --seed ${seed} --verbose):\n${result.failures.slice(0, 3).join('\n').slice(0, 4000)}`);
    for (const [k, v] of Object.entries(result.stats)) totals[k] = (totals[k] ?? 0) + v;
  }
  // The faults must have happened, or the seeds prove nothing.
  for (const fault of ['nodeCrashes', 'hangs', 'processCrashes', 'splits', 'handoffs', 'partitions']) assert.ok(totals[fault] > 0, `no ${fault} in ${seeds.length} seeds`);
  assert.ok(totals.writesAcked > 10_000 && totals.reads > 10_000, JSON.stringify(totals));
});

test('a seed replays exactly', async () => {
  const a = await simulate(7, { workloadMs: 3000 });
  const b = await simulate(7, { workloadMs: 3000 });
  assert.deepEqual(a.stats, b.stats);
});
