// Global index propagation lag, measured from outside while the load test's put-gsi load runs:
// a separate Node process (so the load generator does not delay its timers) writes marked items
// into lt_items_gsi at a low fixed rate and polls the index for each until it is there. The lag of
// one write is (answer of the first Query that finds it) − (answer of its PutItem), both as this
// process receives them: an upper bound, off by at most one poll interval plus one Query's round
// trip (both reported). Polls start `pollMs` apart and widen to a twentieth of the time waited so
// far, so a long lag does not turn the probe into a load of its own.
//
// Started by loadtest.ts; it prints "probe ready" once connected, starts writing when a line
// arrives on stdin, writes for LAG_DURATION_S, waits up to LAG_TIMEOUT_MS for the writes still
// unseen, then prints one line "LAG_RESULT {json}" and exits.
import { createInterface } from 'node:readline';
import { HttpConnection } from './http-client.ts';
import { devSigning, httpRequest, itemsGsiTable, makeItem } from './requests.ts';

const env = process.env;
const host = env.LAG_HOST ?? '127.0.0.1';
const port = Number(env.LAG_PORT);
const signing = env.LAG_AUTH === '0' ? null : devSigning;
const index = env.LAG_INDEX ?? 'by_name';
const itemBytes = Number(env.LAG_ITEM_BYTES ?? 200);
const ratePerS = Number(env.LAG_RATE ?? 20);
const durationS = Number(env.LAG_DURATION_S ?? 10);
const pollMs = Number(env.LAG_POLL_MS ?? 2);
const timeoutMs = Number(env.LAG_TIMEOUT_MS ?? 30_000);
const authority = `${host}:${port}`;

const idle: HttpConnection[] = [];
/** Runs `use` on an idle keep-alive connection (a new one if none); once more on a new one if that one was closed meanwhile. */
async function withConnection<T>(use: (c: HttpConnection) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let connection = attempt === 0 ? idle.pop() : undefined;
    if (connection === undefined) {
      connection = new HttpConnection(host, port);
      await connection.ready;
    }
    try {
      const out = await use(connection);
      idle.push(connection);
      return out;
    } catch (err) {
      connection.close();
      if (attempt > 0) throw err;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  lagMs: number | null;
  putMs: number;
  polls: number;
  error: string | null;
}

const pollRtts: number[] = [];

/** Writes marked item `n` and polls the index until it shows it. */
async function probe(n: number): Promise<Outcome> {
  // The marker is as long as the load's names ("user 12345"), the key as long as its keys.
  const marker = `lag ${String(n).padStart(6, '0')}`;
  const item = makeItem({ pk: { S: `lag#${String(n).padStart(8, '0')}` } }, itemBytes, n);
  item.name = { S: marker };
  const put = httpRequest(authority, 'PutItem', JSON.stringify({ TableName: itemsGsiTable, Item: item }), signing);
  const sent = performance.now();
  const putRes = await withConnection((c) => c.request(put));
  const acked = performance.now();
  if (putRes.status !== 200) return { lagMs: null, putMs: acked - sent, polls: 0, error: `PutItem ${putRes.status} ${putRes.body.toString('utf8', 0, 200)}` };
  const query = JSON.stringify({
    TableName: itemsGsiTable,
    IndexName: index,
    KeyConditionExpression: '#n = :m',
    ExpressionAttributeNames: { '#n': 'name' },
    ExpressionAttributeValues: { ':m': { S: marker } },
    Select: 'COUNT',
  });
  let polls = 0;
  for (;;) {
    const pollSent = performance.now();
    // Signed afresh each time, as a client would.
    const res = await withConnection((c) => c.request(httpRequest(authority, 'Query', query, signing)));
    const answered = performance.now();
    polls++;
    pollRtts.push(answered - pollSent);
    if (res.status !== 200) return { lagMs: null, putMs: acked - sent, polls, error: `Query ${res.status} ${res.body.toString('utf8', 0, 200)}` };
    if ((JSON.parse(res.body.toString('utf8')) as { Count: number }).Count > 0) return { lagMs: answered - acked, putMs: acked - sent, polls, error: null };
    const waited = answered - acked;
    if (waited > timeoutMs) return { lagMs: null, putMs: acked - sent, polls, error: null };
    await sleep(Math.max(pollMs, waited / 20));
  }
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);

console.log('probe ready');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));

const started = performance.now();
const total = Math.max(1, Math.floor(ratePerS * durationS));
const runs: Promise<Outcome>[] = [];
for (let n = 0; n < total; n++) {
  const due = started + (n * 1000) / ratePerS;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait);
  runs.push(probe(n).catch((err: unknown) => ({ lagMs: null, putMs: 0, polls: 0, error: String(err) })));
}
const writingS = (performance.now() - started) / 1000;
const outcomes = await Promise.all(runs);
const lags = outcomes.flatMap((o) => (o.lagMs === null ? [] : [o.lagMs])).sort((a, b) => a - b);
const puts = outcomes.map((o) => o.putMs).sort((a, b) => a - b);
pollRtts.sort((a, b) => a - b);
const errors = outcomes.filter((o) => o.error !== null);
/** Median lag of the writes of the first and the last third of the run: a lag that grows means the index falls behind the load. */
const thirdMedian = (part: Outcome[]) => percentile(part.flatMap((o) => (o.lagMs === null ? [] : [o.lagMs])).sort((a, b) => a - b), 50);
const third = Math.max(1, Math.floor(outcomes.length / 3));
const result = {
  index,
  ratePerS,
  writes: total,
  writingS: round3(writingS),
  seen: lags.length,
  notSeenWithinMs: timeoutMs,
  notSeen: outcomes.filter((o) => o.lagMs === null && o.error === null).length,
  errors: errors.length,
  firstError: errors[0]?.error ?? null,
  lagMedianMs: round3(percentile(lags, 50)),
  lagP99Ms: round3(percentile(lags, 99)),
  lagMaxMs: round3(lags.length === 0 ? null : lags[lags.length - 1]),
  lagMinMs: round3(lags.length === 0 ? null : lags[0]),
  lagMedianFirstThirdMs: round3(thirdMedian(outcomes.slice(0, third))),
  lagMedianLastThirdMs: round3(thirdMedian(outcomes.slice(-third))),
  putMedianMs: round3(percentile(puts, 50)),
  polls: outcomes.reduce((sum, o) => sum + o.polls, 0),
  pollMs,
  pollRttMedianMs: round3(percentile(pollRtts, 50)),
  pollRttP99Ms: round3(percentile(pollRtts, 99)),
};
console.log(`LAG_RESULT ${JSON.stringify(result)}`);
for (const c of idle) c.close();
process.exit(0);
