// The bundled load generator, used when wrk is not installed (and for the fixed-rate latency
// run, which wrk cannot do): N keep-alive connections, each sending the next ready-made
// request as soon as the previous answer is in (closed loop), or requests started on a fixed
// schedule (open loop, latency measured from the scheduled start so queueing counts).
import { openConnections, type HttpConnection, type HttpResponse } from './http-client.ts';

export interface LoadResult {
  requests: number;
  durationS: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Responses with a status outside 2xx. */
  non2xx: number;
  /** Connect, read, write errors and timeouts. */
  socketErrors: number;
  /** The first non-2xx answer, for the report. */
  firstErrorBody: string | null;
  /** Open loop only: how late requests left compared with their schedule (p99, ms): queueing in the generator, i.e. the server fell behind. */
  sendDelayP99Ms?: number;
}

export function percentile(sortedUs: Float64Array, p: number): number {
  if (sortedUs.length === 0) return 0;
  const index = Math.min(sortedUs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedUs.length) - 1));
  return sortedUs[index];
}

/** Latency samples in microseconds, kept in a growable typed array. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(us: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = us;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

function summarize(samples: Samples, durationS: number, non2xx: number, socketErrors: number, firstErrorBody: string | null): LoadResult {
  const sorted = samples.sorted();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    requests: sorted.length,
    durationS,
    requestsPerS: sorted.length / durationS,
    p50Ms: percentile(sorted, 50) / 1000,
    p99Ms: percentile(sorted, 99) / 1000,
    meanMs: sorted.length ? sum / sorted.length / 1000 : 0,
    maxMs: sorted.length ? sorted[sorted.length - 1] / 1000 : 0,
    non2xx,
    socketErrors,
    firstErrorBody,
  };
}

const nowUs = (): number => Number(process.hrtime.bigint()) / 1000;

/** Closed loop: every connection keeps exactly one request in flight for `durationS`. */
export async function runClosedLoop(host: string, port: number, pool: Buffer[], connectionCount: number, durationS: number): Promise<LoadResult> {
  const connections = await openConnections(host, port, connectionCount);
  const samples = new Samples();
  let non2xx = 0;
  let socketErrors = 0;
  let firstErrorBody: string | null = null;
  const started = nowUs();
  const endUs = started + durationS * 1e6;
  let next = 0;
  await Promise.all(
    connections.map(
      (connection, c) =>
        new Promise<void>((resolve) => {
          let sentAt = 0;
          next = (next + c * 7919) % pool.length;
          const onResponse = (res: HttpResponse): void => {
            const now = nowUs();
            samples.push(now - sentAt);
            if (res.status < 200 || res.status > 299) {
              non2xx++;
              firstErrorBody ??= `${res.status} ${res.body.toString('utf8', 0, 300)}`;
            }
            if (now >= endUs) {
              resolve();
              return;
            }
            sendNext();
          };
          const onError = (): void => {
            socketErrors++;
            resolve();
          };
          const sendNext = (): void => {
            next = next + 1 === pool.length ? 0 : next + 1;
            sentAt = nowUs();
            connection.send(pool[next], onResponse, onError);
          };
          sendNext();
        }),
    ),
  );
  const durationMeasured = (nowUs() - started) / 1e6;
  for (const connection of connections) connection.close();
  return summarize(samples, durationMeasured, non2xx, socketErrors, firstErrorBody);
}

/**
 * Open loop: `ratePerS` requests a second on a fixed schedule over up to `connectionCount`
 * connections. Latency counts from the moment a request is written, as wrk counts it; how late
 * requests left compared with the schedule is reported beside it (sendDelayP99Ms), so a server
 * that falls behind shows up there (timers fire about every millisecond, so up to ~1 ms of it
 * is the generator's own granularity).
 */
export async function runOpenLoop(host: string, port: number, pool: Buffer[], ratePerS: number, connectionCount: number, durationS: number): Promise<LoadResult> {
  const connections = await openConnections(host, port, connectionCount);
  const idle: HttpConnection[] = connections.slice();
  const samples = new Samples();
  let non2xx = 0;
  let socketErrors = 0;
  let firstErrorBody: string | null = null;
  const started = nowUs();
  const intervalUs = 1e6 / ratePerS;
  const total = Math.floor(ratePerS * durationS);
  let scheduled = 0;
  let finished = 0;
  /** Due times of requests waiting for a connection. */
  const waiting: number[] = [];
  let next = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const delays = new Samples();
  const start = (connection: HttpConnection, dueUs: number): void => {
    next = next + 1 === pool.length ? 0 : next + 1;
    const sentAt = nowUs();
    delays.push(sentAt - dueUs);
    connection.send(
      pool[next],
      (res) => {
        samples.push(nowUs() - sentAt);
        if (res.status < 200 || res.status > 299) {
          non2xx++;
          firstErrorBody ??= `${res.status} ${res.body.toString('utf8', 0, 300)}`;
        }
        finish(connection);
      },
      () => {
        socketErrors++;
        finish(null);
      },
    );
  };
  const finish = (connection: HttpConnection | null): void => {
    finished++;
    if (connection !== null) {
      const due = waiting.shift();
      if (due !== undefined) start(connection, due);
      else idle.push(connection);
    }
    if (finished === total) resolveDone();
  };
  const tick = (): void => {
    const now = nowUs();
    while (scheduled < total && started + scheduled * intervalUs <= now) {
      const due = started + scheduled * intervalUs;
      scheduled++;
      const connection = idle.pop();
      if (connection === undefined) waiting.push(due);
      else start(connection, due);
    }
    // Timers fire about every millisecond: requests due meanwhile start together.
    if (scheduled < total) setTimeout(tick, 1);
  };
  tick();
  await done;
  const durationMeasured = (nowUs() - started) / 1e6;
  for (const connection of connections) connection.close();
  return { ...summarize(samples, durationMeasured, non2xx, socketErrors, firstErrorBody), sendDelayP99Ms: percentile(delays.sorted(), 99) / 1000 };
}
