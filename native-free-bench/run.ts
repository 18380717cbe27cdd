// Runs every *.bench.ts in this folder with tinybench and prints ops/s per case.
// It must run where uWebSockets.js and lmdb are absent: deny-native.ts makes any
// import of them fail, so a hot-path stage that pulls in a native addon breaks the bench.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { Bench } from 'tinybench';

interface BenchModule {
  register(bench: Bench): void | Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only))).sort();
const timeMs = Number(process.env.BENCH_TIME_MS ?? 500);

const rows: Array<Record<string, string>> = [];
for (const file of files) {
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  await mod.register(bench);
  await bench.run();
  for (const task of bench.tasks) {
    const r = task.result as { throughput?: { mean: number }; latency?: { mean: number } } | undefined;
    rows.push({
      file,
      case: task.name,
      'ops/s': r?.throughput ? Math.round(r.throughput.mean).toLocaleString('en-US') : 'n/a',
      'mean ns': r?.latency ? (r.latency.mean * 1e6).toFixed(0) : 'n/a',
    });
  }
}
console.table(rows);
