// npm run sim -- --seeds N [--from S] [--keep-going]: runs N seeded simulations and stops at the
// first failing seed (with --keep-going, runs them all and lists the failing seeds at the end);
// npm run sim -- --seed S [--verbose]: replays one seed exactly (the run is a function of it).
// Each seed's line gives its work, its faults and the paths they drove the code through.
import { simulate } from './sim/simulate.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** What each seed's line shows: its stats' names and how they are printed. */
const shown: Array<[string, string]> = [
  ['writesAcked', 'writes'],
  ['reads', 'reads'],
  ['queries', 'queries'],
  ['updates', 'ADDs'],
  ['unknown', 'unknown'],
  ['nodeCrashes', 'crashes'],
  ['hangs', 'hangs'],
  ['restarts', 'restarts'],
  ['processCrashes', 'process crashes'],
  ['powerLosses', 'power losses'],
  ['recoveryCrashes', 'crashes in recovery'],
  ['tornTails', 'torn tails cut'],
  ['checkpointsRolledBack', 'checkpoints rolled back'],
  ['treesAhead', 'B-trees ahead of their mark'],
  ['unsyncedRestarts', 'unsynced restarts'],
  ['divergentLogs', 'divergent logs'],
  ['twoWayDivergences', 'two-way divergences'],
  ['partitions', 'link cuts'],
  ['stalls', 'stalls'],
  ['longStalls', 'long stalls'],
  ['slowInstalls', 'slow installs'],
  ['laggingVoters', 'lagging voters'],
  ['splits', 'splits'],
  ['handoffs', 'hand-offs'],
  ['fencedRunning', 'fenced running'],
  ['timeouts', 'timeouts'],
  ['resends', 'resends'],
  ['throttled', 'throttled'],
  ['unprocessedResends', 'unprocessed resent'],
  ['truncations', 'truncations'],
  ['prevEpochRefusals', 'prev-epoch refusals'],
  ['installs', 'installs'],
];

const verbose = process.argv.includes('--verbose');
const keepGoing = process.argv.includes('--keep-going');
const failedSeeds: Array<{ seed: number; failure: string }> = [];
const one = arg('seed');
const seeds = one !== undefined ? [Number(one)] : Array.from({ length: Number(arg('seeds') ?? 20) }, (_, i) => Number(arg('from') ?? 1) + i);
const workloadMs = arg('workload-ms') === undefined ? undefined : Number(arg('workload-ms'));
let failed = 0;
for (const seed of seeds) {
  const started = performance.now();
  const result = await simulate(seed, { verbose, ...(workloadMs === undefined ? {} : { workloadMs }) });
  const ms = Math.round(performance.now() - started);
  const s = result.stats;
  const counts = shown.map(([name, label]) => `${label} ${s[name] ?? '-'}`).join(', ');
  console.log(`seed ${seed}: ${result.ok ? 'ok' : 'FAILED'} in ${ms} ms (${counts})`);
  if (!result.ok) {
    failed++;
    failedSeeds.push({ seed, failure: result.failures[0].split('\n')[0] });
    for (const f of result.failures.slice(0, 5)) console.log('  ' + f.split('\n').slice(0, 40).join('\n  '));
    console.log(`replay: npm run sim -- --seed ${seed} --verbose`);
    if (one === undefined && !keepGoing) break;
  }
}
if (keepGoing) {
  console.log(`\n${seeds.length - failed} of ${seeds.length} seeds ok${failed === 0 ? '' : '; failing:'}`);
  for (const f of failedSeeds) console.log(`  seed ${f.seed}: ${f.failure.slice(0, 400)}`);
}
process.exit(failed === 0 ? 0 : 1);
