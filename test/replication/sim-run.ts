// npm run sim -- --seeds N [--from S]: runs N seeded simulations and prints the first failing
// seed; npm run sim -- --seed S [--verbose]: replays one seed exactly (the run is a function of it).
import { simulate } from './sim/simulate.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const verbose = process.argv.includes('--verbose');
const one = arg('seed');
const seeds = one !== undefined ? [Number(one)] : Array.from({ length: Number(arg('seeds') ?? 20) }, (_, i) => Number(arg('from') ?? 1) + i);
const workloadMs = arg('workload-ms') === undefined ? undefined : Number(arg('workload-ms'));
let failed = 0;
for (const seed of seeds) {
  const started = performance.now();
  const result = await simulate(seed, { verbose, ...(workloadMs === undefined ? {} : { workloadMs }) });
  const ms = Math.round(performance.now() - started);
  const s = result.stats;
  console.log(`seed ${seed}: ${result.ok ? 'ok' : 'FAILED'} in ${ms} ms (writes ${s.writesAcked}, reads ${s.reads}, unknown ${s.unknown}, node crashes ${s.nodeCrashes}, hangs ${s.hangs}, process crashes ${s.processCrashes}, splits ${s.splits}, hand-offs ${s.handoffs})`);
  if (!result.ok) {
    failed++;
    for (const f of result.failures.slice(0, 5)) console.log('  ' + f.split('\n').slice(0, 40).join('\n  '));
    console.log(`replay: npm run sim -- --seed ${seed} --verbose`);
    if (one === undefined) break;
  }
}
process.exit(failed === 0 ? 0 : 1);
