// Drives a target with wrk: the ready-made requests go to a file that a Lua script loads and
// sends in turn (each wrk thread from its own offset), and the script's done() prints the
// figures as one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './node-generator.ts';

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

const separator = Buffer.from([0]);

/** Writes the ready-made requests to `path`, separated by NUL bytes (the form wrk's script and open-loop.c read). */
export function writeRequestsFile(path: string, pool: Buffer[]): void {
  const parts: Buffer[] = [];
  for (const request of pool) parts.push(request, separator);
  writeFileSync(path, Buffer.concat(parts));
}

// Requests are separated by NUL bytes (JSON bodies and headers never contain one).
const script = `
local path = os.getenv("LOADTEST_REQUESTS_FILE")
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local reqs = {}
local n = 0
local i = 0
function init(args)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while true do
    local s = string.find(data, "\\0", pos, true)
    if not s then break end
    n = n + 1
    reqs[n] = string.sub(data, pos, s - 1)
    pos = s + 1
  end
  i = ((tid or 1) * 7919) % n
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
function done(summary, latency, requests)
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
`;

export interface WrkOptions {
  connections: number;
  threads: number;
  durationS: number;
  workDir: string;
}

/** Runs wrk against `url` with the given request pool; resolves with its figures. */
export async function runWrk(url: string, pool: Buffer[], name: string, options: WrkOptions): Promise<LoadResult> {
  const requestsFile = join(options.workDir, `${name.replace(/[^A-Za-z0-9_-]+/g, '_')}.requests`);
  writeRequestsFile(requestsFile, pool);
  const scriptFile = join(options.workDir, 'loadtest.lua');
  writeFileSync(scriptFile, script);
  const args = ['-t', String(options.threads), '-c', String(options.connections), '-d', `${options.durationS}s`, '--timeout', '5s', '-s', scriptFile, url];
  const child = spawn('wrk', args, { env: { ...process.env, LOADTEST_REQUESTS_FILE: requestsFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the output may still be in its pipes when the process has exited.
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const match = /WRK_RESULT (\{.*\})/.exec(output);
  if (code !== 0 || match === null) throw new Error(`wrk failed (exit ${code}):\n${output}`);
  const r = JSON.parse(match[1]) as Record<string, number>;
  const durationS = r.duration_us / 1e6;
  return {
    requests: r.requests,
    durationS,
    requestsPerS: r.requests / durationS,
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    meanMs: r.mean_us / 1000,
    maxMs: r.max_us / 1000,
    non2xx: r.non2xx,
    socketErrors: r.connect + r.read + r.write + r.timeout,
    firstErrorBody: null,
  };
}
