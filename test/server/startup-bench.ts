// npm run bench:startup [-- --runs 10 --idle-ms 2000 --dynalite PATH --compare FILE ...]
//
// How fast the monodyne bin (node on package.json's "bin" file) answers GET / after it is
// spawned, and how much memory the whole process (every thread) holds once idle, with the
// default config (a fresh data directory and a free port each start, so runs do not collide).
// The same run measures, as baselines:
//   - monodyne run from the TypeScript sources through tsx (how the bin started before dist/),
//   - dynalite, when installed: --dynalite PATH (its cli.js), DYNALITE_PATH, or node_modules,
//   - any other monodyne command file given with --compare (e.g. an older checkout's bin).
// Starts are interleaved (A, B, C, A, B, C, ...) so that a busy machine slows them alike.
// Prints medians (and min–max) and the ratios of monodyne to each baseline.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readyTargetMs = 300;
const idleRssTargetMb = 100;
/** Longest a start may take before the run is counted as failed. */
const startTimeoutMs = 60_000;

interface Options {
  runs: number;
  idleMs: number;
  dynalite: string | null;
  compare: string[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = { runs: 10, idleMs: 2000, dynalite: process.env.DYNALITE_PATH ?? null, compare: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--runs') options.runs = Number(value);
    else if (argv[i] === '--idle-ms') options.idleMs = Number(value);
    else if (argv[i] === '--dynalite') options.dynalite = value;
    else if (argv[i] === '--compare') options.compare.push(value);
    else throw new Error(`unknown option ${argv[i]} (--runs N, --idle-ms MS, --dynalite PATH, --compare FILE)`);
    i++;
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs must be a positive integer');
  if (!Number.isInteger(options.idleMs) || options.idleMs < 0) throw new Error('--idle-ms must be a non-negative integer');
  return options;
}

/** dynalite's cli.js: given, or installed beside this project or in the current directory. */
function findDynalite(given: string | null): string | null {
  if (given) {
    const file = statSync(given).isDirectory() ? join(given, 'cli.js') : given;
    if (!existsSync(file)) throw new Error(`no dynalite cli.js at ${file}`);
    return file;
  }
  for (const base of [root, `${process.cwd()}/`]) {
    try {
      return createRequire(base).resolve('dynalite/cli.js');
    } catch {
      // not installed there
    }
  }
  return null;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The bin named by package.json, built first if dist/ is missing or older than the sources. */
function ensureBuilt(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = join(root, pkg.bin.monodyne);
  if (!existsSync(bin) || statSync(bin).mtimeMs < Math.max(newestMtimeMs(join(root, 'src')), newestMtimeMs(join(root, 'config')))) {
    console.log('dist/ is missing or older than src/: npm run build');
    const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Target {
  name: string;
  /** Arguments after `node`, and the endpoint once known (from the output, or fixed). */
  start(): Promise<{ args: string[]; cleanup: () => void; endpointFrom: (output: string) => string | null }>;
}

interface Sample {
  readyMs: number;
  /** CPU time (user + system, every thread) the process had used when it first answered: less moved by other work on the machine than readyMs. */
  readyCpuMs: number;
  idleRssMb: number;
  peakRssMb: number;
}

const clockTicksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime), counted from field 3 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) / 1024;
}

async function answersGet(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function measure(target: Target, idleMs: number): Promise<Sample> {
  const { args, cleanup, endpointFrom } = await target.start();
  const startedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve(void (exited = true))));
  try {
    let readyMs = -1;
    let readyCpuMs = -1;
    while (readyMs < 0) {
      if (exited) throw new Error(`${target.name} exited before answering:\n${output}`);
      if (performance.now() - startedAt > startTimeoutMs) throw new Error(`${target.name} did not answer GET / within ${startTimeoutMs} ms:\n${output}`);
      const endpoint = endpointFrom(output);
      if (endpoint !== null && (await answersGet(endpoint))) {
        readyMs = performance.now() - startedAt;
        readyCpuMs = cpuMs(child.pid!);
      }
      else await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    return { readyMs, readyCpuMs, idleRssMb: statusMb(child.pid!, 'VmRSS'), peakRssMb: statusMb(child.pid!, 'VmHWM') };
  } finally {
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(killTimer);
    cleanup();
  }
}

function monodyneTarget(name: string, file: string): Target {
  return {
    name,
    async start() {
      const dataDir = mkdtempSync(join(tmpdir(), 'monodyne-startup-'));
      return {
        args: [file, '--port', '0', '--data-dir', dataDir],
        cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
        endpointFrom: (output) => /listening on (http:\/\/\S+)/.exec(output)?.[1] ?? null,
      };
    },
  };
}

function dynaliteTarget(cli: string): Target {
  return {
    name: 'dynalite',
    async start() {
      const port = await freePort();
      // dynalite prints nothing when it listens: poll its port.
      return { args: [cli, '--port', String(port)], cleanup: () => {}, endpointFrom: () => `http://127.0.0.1:${port}` };
    },
  };
}

function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const bin = ensureBuilt();
  const targets: Target[] = [monodyneTarget('monodyne (bin)', bin), monodyneTarget('monodyne (sources, tsx)', join(root, 'src/server/monodyne.js'))];
  for (const file of options.compare) targets.push(monodyneTarget(file, file));
  const dynalite = findDynalite(options.dynalite);
  if (dynalite) targets.push(dynaliteTarget(dynalite));
  else console.log('dynalite: not installed (npm i --no-save dynalite, or --dynalite PATH / DYNALITE_PATH): measured without it');
  console.log(`${options.runs} starts each, interleaved; idle RSS read ${options.idleMs} ms after the first answer to GET /`);

  // fetch loads undici on its first call: load it now, not inside the first measured start.
  await answersGet(`http://127.0.0.1:${await freePort()}`);
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  for (let run = 0; run < options.runs; run++) {
    for (const target of targets) samples.get(target.name)!.push(await measure(target, options.idleMs));
    process.stdout.write(`\rrun ${run + 1}/${options.runs}`);
  }
  process.stdout.write('\n\n');

  const summary = new Map<string, { ready: number; cpu: number; rss: number }>();
  const nameChars = Math.max(26, ...targets.map((t) => t.name.length + 2));
  console.log('server'.padEnd(nameChars) + 'GET / answered (ms)'.padEnd(24) + 'CPU by then (ms)'.padEnd(24) + 'idle RSS (MB)'.padEnd(24) + 'peak RSS (MB)');
  for (const target of targets) {
    const list = samples.get(target.name)!;
    const ready = stats(list.map((s) => s.readyMs));
    const cpu = stats(list.map((s) => s.readyCpuMs));
    const rss = stats(list.map((s) => s.idleRssMb));
    const peak = stats(list.map((s) => s.peakRssMb));
    summary.set(target.name, { ready: ready.median, cpu: cpu.median, rss: rss.median });
    const cell = (s: { median: number; min: number; max: number }, digits: number) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
    console.log(target.name.padEnd(nameChars) + cell(ready, 0).padEnd(24) + cell(cpu, 0).padEnd(24) + cell(rss, 1).padEnd(24) + cell(peak, 1));
  }
  const bin0 = summary.get('monodyne (bin)')!;
  console.log('');
  for (const [name, base] of summary) {
    if (name === 'monodyne (bin)') continue;
    console.log(
      `monodyne (bin) / ${name}: start ${(bin0.ready / base.ready).toFixed(2)}×, CPU to start ${(bin0.cpu / base.cpu).toFixed(2)}×, idle memory ${(bin0.rss / base.rss).toFixed(2)}×`,
    );
  }
  console.log(
    `\ntargets (median): GET / within ${readyTargetMs} ms: ${bin0.ready <= readyTargetMs ? 'met' : 'NOT met'} (${bin0.ready.toFixed(0)} ms); ` +
      `idle under ${idleRssTargetMb} MB: ${bin0.rss < idleRssTargetMb ? 'met' : 'NOT met'} (${bin0.rss.toFixed(1)} MB)`,
  );
}

await main();
