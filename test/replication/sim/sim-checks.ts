// What the clients observed (sim-workload.ts), checked once the run has healed:
//   - registers and rows: consistent reads, writes, deletes and conditional writes form a
//     linearizable history per key (test/helpers/linearizability.ts);
//   - eventually consistent reads (GetItem, Query) return only values some write had been asked
//     for by then (stable items are checked as they are read: always found, never changed);
//   - counters: every UpdateItem attempt is applied at most once and an acknowledged one exactly
//     once; the count is the sum of the increments of the attempts in the list; every read of the
//     counter (either kind) saw a prefix of its final list; a consistent read saw every attempt
//     acknowledged before it started, and no less than a consistent read that ended before it.
import { checkRegister } from '../../helpers/linearizability.ts';
import type { CounterObservation, Workload } from './sim-workload.ts';

/** Failures reported per kind of check at most (one broken invariant tends to break many reads). */
const failuresPerCheckMax = 5;

export function checkWorkload(w: Workload): string[] {
  const failures: string[] = [];
  const report = (list: string[], text: string): void => {
    if (list.length < failuresPerCheckMax) list.push(text);
  };

  const registers: string[] = [];
  for (const [id, entries] of w.histories) {
    try {
      const result = checkRegister(entries, null);
      if (!result.linearizable) report(registers, `history of ${id} is not linearizable:\n${entries.map((e) => JSON.stringify(e)).join('\n')}`);
    } catch (err) {
      report(registers, `history of ${id}: ${(err as Error).message}`);
    }
  }

  const eventual: string[] = [];
  for (const r of w.eventualReads) {
    if (r.value === null) continue;
    const askedAt = w.asked.get(r.id)?.get(r.value);
    if (askedAt === undefined || askedAt > r.completedAt) report(eventual, `${r.what} at ${r.completedAt.toFixed(1)} ms: ${r.id} was ${r.value}, which no write had been asked for`);
  }

  const counters: string[] = [];
  for (const ref of w.counters) checkCounter(w, ref.id, (text) => report(counters, text));

  return [...registers, ...eventual, ...counters];
}

function checkCounter(w: Workload, id: string, fail: (text: string) => void): void {
  const final = w.finalCounters.get(id);
  if (final === undefined) return; // the run did not get as far as its final reads
  const list = final?.ops ?? [];
  const attempts = [...w.counterAttempts].filter(([, a]) => a.key === id);
  const incOf = new Map(attempts.map(([attempt, a]) => [attempt, a.inc]));
  const sum = (ops: string[]): number => ops.reduce((total, op) => total + (incOf.get(op) ?? Number.NaN), 0);

  const inList = new Set<string>();
  for (const op of list) {
    if (inList.has(op)) fail(`counter ${id}: attempt ${op} was applied twice (final list ${list.join(' ')})`);
    inList.add(op);
    const a = w.counterAttempts.get(op);
    if (a === undefined || a.key !== id) fail(`counter ${id}: its list holds ${op}, which was never sent to it`);
    else if (a.outcome === 'refused' || a.outcome === 'throttled' || a.outcome === 'fail') fail(`counter ${id}: attempt ${op} was answered ${a.outcome} (nothing applied), yet it is in the list`);
  }
  if ((final?.n ?? 0) !== sum(list)) fail(`counter ${id}: n is ${final?.n ?? 0}, the increments of its list add up to ${sum(list)}`);
  for (const [op, a] of attempts) if (a.outcome === 'ok' && !inList.has(op)) fail(`counter ${id}: attempt ${op}, acknowledged at ${a.ackedAt.toFixed(1)} ms, is not in the final list`);

  const observed = w.counterObservations.filter((o) => o.id === id);
  for (const o of observed) {
    if (o.ops.length > list.length || o.ops.some((op, i) => list[i] !== op)) fail(`counter ${id}: ${o.what} at ${o.completedAt.toFixed(1)} ms saw ${o.ops.join(' ') || 'no attempts'}, not a prefix of the final list ${list.join(' ')}`);
    else if (o.n !== sum(o.ops)) fail(`counter ${id}: ${o.what} at ${o.completedAt.toFixed(1)} ms saw n = ${o.n} with a list adding up to ${sum(o.ops)}`);
  }
  // Real time, for consistent observations: nothing acknowledged before one started is missing
  // from it, and it saw no less than any that ended before it started.
  const consistent = observed.filter((o) => o.consistent);
  const acked = attempts.filter(([, a]) => a.outcome === 'ok').sort((x, y) => x[1].ackedAt - y[1].ackedAt);
  const byEnd = [...consistent].sort((x, y) => x.completedAt - y.completedAt);
  for (const o of consistent) {
    const seen = new Set(o.ops);
    for (const [op, a] of acked) {
      if (a.ackedAt >= o.invokedAt) break;
      if (!seen.has(op)) {
        fail(`counter ${id}: ${o.what} started at ${o.invokedAt.toFixed(1)} ms without attempt ${op}, acknowledged at ${a.ackedAt.toFixed(1)} ms`);
        break;
      }
    }
    let before: CounterObservation | null = null;
    for (const p of byEnd) {
      if (p.completedAt >= o.invokedAt) break;
      if (before === null || p.ops.length > before.ops.length) before = p;
    }
    if (before !== null && before.ops.length > o.ops.length) fail(`counter ${id}: ${o.what} started at ${o.invokedAt.toFixed(1)} ms saw ${o.ops.length} attempts, fewer than the ${before.ops.length} that ${before.what} saw by ${before.completedAt.toFixed(1)} ms`);
  }
}
