// npm run sim:mutants [-- --seeds N] [--only I,J]: mutation tests of the simulator. Each mutation
// below (the review's, replication-correctness-r2.md section 3) is a deliberate bug: it is applied
// to a copy of src/, test/ and config/ in a temporary directory, the simulator runs seeds 1..N
// (200) there and stops at the first failing seed, and the mutation is reported caught at that
// seed (with its first failure) or NOT caught. A seed that fails on the unmutated code too (run
// in the repository) catches nothing: the search goes on after it. Exit status 1 when a mutation
// is not caught or no longer applies.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Edit {
  /** File, relative to the repository. */
  file: string;
  /** Exact text, found exactly once in the file. */
  find: string;
  replace: string;
}

interface Mutation {
  /** What the mutation does, in the review's words. */
  name: string;
  edits: Edit[];
}

// ============================================================================================
// THE MUTATIONS, written against the Ready-value core (replica-machine.ts, read-serve.ts and the
// item store follower in log-follower.ts); when the code they edit is rewritten,
// re-point `find` and `replace` at the new code (each `find` must occur exactly once).
// ============================================================================================
const mutations: Mutation[] = [
  {
    name: "1. Learners' matches join the quorum in advanceCommit (F2 reintroduced)",
    edits: [
      {
        file: 'src/replication/replica-machine.ts',
        find: 'for (const v of this.membershipNow.voters) {\n      if (v === this.self) continue;\n      const p = this.progressByPeer.get(v);',
        replace: 'for (const v of this.progressByPeer.keys()) {\n      if (v === this.self) continue;\n      const p = this.progressByPeer.get(v);',
      },
    ],
  },
  {
    name: "2. No log matching: the prev-epoch check is removed and entries already held are skipped by index (F1's old follower rule)",
    edits: [
      {
        file: 'src/replication/replica-machine.ts',
        find: 'if (prev > this.appliedNow && this.log.epochAt(prev) !== prevEpoch) {',
        replace: 'if (false && prev > this.appliedNow && this.log.epochAt(prev) !== prevEpoch) {',
      },
      {
        file: 'src/replication/replica-machine.ts',
        find: 'if (this.log.epochAt(index) === epoch) continue;\n        this.truncate(index);',
        replace: 'continue;',
      },
    ],
  },
  {
    name: '3. Leader reads skip the read barrier',
    edits: [
      {
        file: 'src/storage/read-serve.ts',
        find: "return m.readBarrier(req) ? 'serve' : 'wait';",
        replace: "return 'serve';",
      },
    ],
  },
  {
    name: '4. The leader counts its own copy before it is durable (quorumIndex(last, …))',
    edits: [
      {
        file: 'src/replication/replica-machine.ts',
        find: 'quorumIndex(this.log.durable, matches)',
        replace: 'quorumIndex(this.log.last, matches)',
      },
    ],
  },
  {
    name: '5. Followers skip applying one entry in 50',
    edits: [
      {
        file: 'src/storage/log-follower.ts',
        find: '    for (const entry of entries) {\n      for (const mu of entry.m) {\n        if (mu.b === null) batch.removeItem(replica.table, mu.k);',
        replace: '    for (const entry of entries) {\n      if (!(replica as unknown as { machine: { isLeader(): boolean } }).machine.isLeader() && entry.i % 50 === 0) continue;\n      for (const mu of entry.m) {\n        if (mu.b === null) batch.removeItem(replica.table, mu.k);',
      },
    ],
  },
  {
    name: '6. Followers write a stray item (same hash prefix, never read) once in 50 entries',
    edits: [
      {
        file: 'src/storage/log-follower.ts',
        find: '    for (const entry of entries) {\n      for (const mu of entry.m) {\n        if (mu.b === null) batch.removeItem(replica.table, mu.k);',
        replace:
          '    for (const entry of entries) {\n' +
          '      if (!(replica as unknown as { machine: { isLeader(): boolean } }).machine.isLeader() && entry.i % 50 === 0 && entry.m.length > 0 && entry.m[0].b !== null) batch.putItem(replica.table, Uint8Array.from([...entry.m[0].k, 0x7f]), entry.m[0].b);\n' +
          '      for (const mu of entry.m) {\n        if (mu.b === null) batch.removeItem(replica.table, mu.k);',
      },
    ],
  },
];
// ============================================================================================

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const repo = process.cwd();
const seedsMax = Number(arg('seeds') ?? 200);
const only = arg('only')?.split(',').map(Number);

interface Outcome {
  name: string;
  result: string;
  caught: boolean;
}

/** A copy of the code under test with `mutation` applied; null (and why) when it does not apply. */
function mutatedCopy(mutation: Mutation): { dir: string } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-mutant-'));
  for (const part of ['src', 'test', 'config', 'package.json', 'tsconfig.json']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  symlinkSync(realpathSync(join(repo, 'node_modules')), join(dir, 'node_modules'));
  for (const edit of mutation.edits) {
    const path = join(dir, edit.file);
    const text = readFileSync(path, 'utf8');
    const count = text.split(edit.find).length - 1;
    if (count !== 1) {
      rmSync(dir, { recursive: true, force: true });
      return { error: `its text to find occurs ${count} times in ${edit.file} (re-point the mutation): ${JSON.stringify(edit.find.slice(0, 80))}` };
    }
    writeFileSync(path, text.replace(edit.find, () => edit.replace));
  }
  return { dir };
}

/** Runs seeds from..seedsMax in `dir`, stopping at the first failure: that seed and its first failure line, or null. */
function firstFailingSeed(dir: string, from: number): Promise<{ seed: number; failure: string; seconds: number } | null> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/replication/sim-run.ts', '--seeds', String(seedsMax - from + 1), '--from', String(from)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lastSeed = from - 1;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const done = out.match(/^seed (\d+): ok/gm);
      const seed = done === null ? 0 : Number(done[done.length - 1].split(' ')[1].slice(0, -1));
      if (seed >= lastSeed + 20) {
        lastSeed = seed;
        process.stdout.write(`  ... seeds ${from}..${seed} ok\n`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Math.round((performance.now() - started) / 1000);
      const lines = out.split('\n');
      const at = lines.findIndex((l) => /^seed \d+: FAILED/.test(l));
      if (at !== -1) resolve({ seed: Number(lines[at].split(' ')[1].slice(0, -1)), failure: (lines[at + 1] ?? '').trim().slice(0, 300), seconds });
      else if (code === 0) resolve(null);
      else {
        const text = (err || out).trim().split('\n');
        const line = text.find((l) => /Error/.test(l)) ?? text[text.length - 1];
        resolve({ seed: -1, failure: `the simulator exited with ${code}: ${line.trim().slice(0, 300)}`, seconds });
      }
    });
  });
}

/** Whether seed `seed` fails on the code as it is (run in the repository itself). */
function failsUnmutated(seed: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/replication/sim-run.ts', '--seed', String(seed)], { cwd: repo, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code !== 0));
  });
}

const outcomes: Outcome[] = [];
for (const [i, mutation] of mutations.entries()) {
  if (only !== undefined && !only.includes(i + 1)) continue;
  console.log(`mutation ${mutation.name}`);
  const copy = mutatedCopy(mutation);
  if ('error' in copy) {
    console.log(`  does not apply: ${copy.error}`);
    outcomes.push({ name: mutation.name, result: `does not apply: ${copy.error}`, caught: false });
    continue;
  }
  try {
    // A seed that fails without the mutation too (a bug of the code itself) catches nothing: go on past it.
    const alsoUnmutated: number[] = [];
    let failed: Awaited<ReturnType<typeof firstFailingSeed>>;
    for (let from = 1; ; ) {
      failed = await firstFailingSeed(copy.dir, from);
      if (failed === null || failed.seed === -1) break;
      if (!(await failsUnmutated(failed.seed))) break;
      console.log(`  seed ${failed.seed} fails without the mutation too: not counted`);
      alsoUnmutated.push(failed.seed);
      if (failed.seed >= seedsMax) {
        failed = null;
        break;
      }
      from = failed.seed + 1;
    }
    const unmutated = alsoUnmutated.length === 0 ? '' : alsoUnmutated.length === 1 ? ` (seed ${alsoUnmutated[0]} fails without it too)` : ` (seeds ${alsoUnmutated.join(', ')} fail without it too)`;
    const result = failed === null ? `NOT caught in seeds 1..${seedsMax}${unmutated}` : failed.seed === -1 ? `run broke: ${failed.failure}` : `caught at seed ${failed.seed}${unmutated}: ${failed.failure}`;
    console.log(`  ${result}`);
    outcomes.push({ name: mutation.name, result, caught: failed !== null && failed.seed !== -1 });
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
}
console.log('\nsummary:');
for (const o of outcomes) console.log(`  ${o.caught ? 'caught    ' : 'NOT CAUGHT'}  ${o.name}: ${o.result}`);
process.exit(outcomes.every((o) => o.caught) ? 0 : 1);
