// Summarizes V8 .cpuprofile files (from `LOADTEST_CPU_PROF=dir npm run loadtest`, which runs
// the server with --cpu-prof): per thread, where the samples fall by function (self time) and
// by source file. Run: node --import tsx test/load/profile-summary.ts DIR [top]
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!dir) {
  console.error('usage: profile-summary.ts DIR [top]');
  process.exit(2);
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const i = url.indexOf('/src/');
  if (i !== -1) return url.slice(i + 1);
  const n = url.indexOf('node_modules/');
  if (n !== -1) return url.slice(n + 'node_modules/'.length).split('/').slice(0, 2).join('/');
  if (url.startsWith('node:')) return url;
  return basename(url);
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  let total = 0;
  let idle = 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const where = shortUrl(frame.url);
    const fn = `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const fileKey = where || frame.functionName;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const busy = total - idle;
  // Inclusive time per function (self plus callees), counted once per stack for recursion.
  const inclusive = new Map<string, number>();
  const keyOf = (node: ProfileNode) => {
    const where = shortUrl(node.callFrame.url);
    return `${node.callFrame.functionName || '(anonymous)'} ${where ? `${where}:${node.callFrame.lineNumber + 1}` : ''}`;
  };
  const onStack = new Map<string, number>();
  const walk = (node: ProfileNode): number => {
    const key = keyOf(node);
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    let us = selfUs.get(node.id) ?? 0;
    for (const child of node.children ?? []) us += walk(byId.get(child)!);
    const depth = onStack.get(key)!;
    if (depth === 1) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    onStack.set(key, depth - 1);
    return us;
  };
  walk(profile.nodes[0]);
  console.log(`\n== ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)} %)`);
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
  console.log('-- self time by function (share of busy time)');
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${fn}`);
  console.log('-- inclusive time of src/ functions (with what they call)');
  for (const [fn, us] of [...inclusive].filter(([k]) => k.includes(' src/')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${fn}`);
  console.log('-- self time by file');
  for (const [f, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, Math.min(top, 20))) console.log(`${pct(us)}  ${f}`);
}
