// Drives a target at a fixed rate with the C generator (open-loop.c), built here with the
// machine's C compiler on first use; where there is none, the caller falls back to the Node
// generator (node-generator.ts runOpenLoop). The requests go to a file as for wrk.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './node-generator.ts';
import { writeRequestsFile } from './wrk-driver.ts';

const source = join(import.meta.dirname, 'open-loop.c');

/** Builds the generator into `workDir`; its path, or null when no C compiler builds it. */
export function buildOpenLoop(workDir: string): string | null {
  const binary = join(workDir, 'open-loop');
  if (existsSync(binary)) return binary;
  const problems: string[] = [];
  for (const cc of ['cc', 'gcc', 'clang']) {
    const built = spawnSync(cc, ['-O2', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (built.error === undefined && built.status === 0) return binary;
    problems.push(`${cc}: ${built.error?.message ?? built.stderr.toString().trim().split('\n').slice(0, 3).join(' / ')}`);
  }
  console.log(`open-loop.c did not build (${problems.join('; ')}): the fixed-rate runs use the Node generator`);
  return null;
}

/** `ratePerS` requests a second for `durationS` over `connections` connections, each request sent at its scheduled time. */
export async function runOpenLoopC(binary: string, host: string, port: number, pool: Buffer[], name: string, ratePerS: number, connections: number, durationS: number, workDir: string): Promise<LoadResult> {
  const requestsFile = join(workDir, `${name.replace(/[^A-Za-z0-9_-]+/g, '_')}.fixed-rate.requests`);
  writeRequestsFile(requestsFile, pool);
  const child = spawn(binary, [host, String(port), requestsFile, String(ratePerS), String(connections), String(durationS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the output may still be in its pipes when the process has exited.
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const match = /OPEN_LOOP_RESULT (\{.*\})/.exec(output);
  if (code !== 0 || match === null) throw new Error(`the fixed-rate generator failed (exit ${code}):\n${output}`);
  if (process.env.LOADTEST_FIXED_RATE_RAW === '1') console.log(`  ${name}: ${match[1]}`);
  const r = JSON.parse(match[1]) as Record<string, number> & { first_error: string };
  const durationS2 = r.duration_us / 1e6;
  return {
    requests: r.requests,
    durationS: durationS2,
    requestsPerS: r.requests / durationS2,
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    meanMs: r.mean_us / 1000,
    maxMs: r.max_us / 1000,
    non2xx: r.non2xx,
    socketErrors: r.errors + r.unanswered,
    firstErrorBody: r.first_error === '' ? null : `status ${r.first_error}`,
    sendDelayP99Ms: r.send_delay_p99_us / 1000,
  };
}
