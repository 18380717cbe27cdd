// The router alone, over a scripted transport and a clock that advances only when the router
// sleeps: which replica each attempt goes to, what a retry carries, and which answer the client
// gets when an earlier attempt may have been applied. Each case names the review finding it
// guards (../shared/reviews/replication-correctness.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type StorageTransport } from '../../src/router/router.ts';
import { PartitionMap } from '../../src/router/partition-map.ts';
import { NodeFailedError } from '../../src/control/node-supervisor.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import { Op, ReturnValues, Status, WriteKind, type GetRequest, type PartitionAssignment, type StorageRequest, type StorageResponse, type WriteRequest } from '../../src/storage/messages.ts';
import type { Admission } from '../../src/admission/admission.ts';
import type { Clock } from '../../src/control/clock.ts';

const tableId = 't.1';
const partition: PartitionAssignment = { table: tableId, pid: 0, hashStart: 0, hashEnd: 2 ** 32, replicas: [0, 1, 2], leader: 0, epoch: 1, version: 1 };

/** Virtual time: it moves only when the router sleeps between attempts. */
function manualClock(): Clock & { t: number } {
  const clock = {
    t: 1_000_000,
    now: () => clock.t,
    after: () => ({ cancel: () => {} }),
    every: () => ({ cancel: () => {} }),
    sleep: (ms: number) => {
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

interface Attempt {
  node: number;
  req: StorageRequest;
}

/** Answers each attempt with the next scripted answer (a response, or a thrown error). */
class ScriptedTransport implements StorageTransport {
  readonly attempts: Attempt[] = [];
  load = [0, 0, 0];
  constructor(private readonly answer: (node: number, attempt: number) => Omit<StorageResponse, 'id'> | Error) {}

  call(node: number, req: StorageRequest): Promise<StorageResponse> {
    this.attempts.push({ node, req: { ...req } });
    const a = this.answer(node, this.attempts.length - 1);
    return a instanceof Error ? Promise.reject(a) : Promise.resolve({ id: req.id, ...a });
  }

  isAlive(): boolean {
    return true;
  }

  inFlight(node: number): number {
    return this.load[node];
  }
}

/** Admission that lets one request through, then throttles every later call (a bucket run dry). */
class OneShotAdmission {
  admits = 0;
  admit(): void {
    if (++this.admits > 1) throw new DynamoError('ProvisionedThroughputExceededException', 'throttled');
  }
  settle(): void {}
  expectedReadUnits(): number {
    return 1;
  }
}

/** Admission that admits everything. */
const openAdmission = { admit() {}, settle() {}, expectedReadUnits: () => 1 };

function router(transport: StorageTransport, clock: Clock, admission: object = openAdmission): Router {
  const map = new PartitionMap();
  map.setTable(tableId, [partition]);
  return new Router(map, transport, admission as Admission, { retryWindowMs: 10_000, requestTimeoutMs: 15_000, refreshMap: () => Promise.resolve(), clock, writeIdPrefix: 'w.' });
}

function write(): WriteRequest {
  return { id: 0, op: Op.Write, t: tableId, p: 0, v: 0, k: new Uint8Array([0, 0, 0, 1, 7]), w: WriteKind.Put, item: { pk: { S: 'k' } }, sz: 2, key: null, x: null, rv: ReturnValues.NONE, rvf: false };
}

function read(consistent: boolean): GetRequest {
  return { id: 0, op: Op.Get, t: tableId, p: 0, v: 0, k: new Uint8Array([0, 0, 0, 1, 7]), c: consistent };
}

test('F4: a write retried after its node died is admitted once, keeps its write id, and is never throttled', async () => {
  const clock = manualClock();
  // The leader dies with the write (it may have applied it); the next attempts find the new leader.
  const transport = new ScriptedTransport((_node, attempt) => (attempt < 3 ? new NodeFailedError(0) : { s: Status.Ok, n: 10 }));
  const admission = new OneShotAdmission();
  const res = await router(transport, clock, admission).sendByHash(tableId, 7, write(), true);
  assert.equal(res.s, Status.Ok);
  assert.equal(admission.admits, 1, 'admission decides once, before anything may have been applied');
  assert.equal(transport.attempts.length, 4);
  const wids = new Set(transport.attempts.map((a) => (a.req as WriteRequest).wid));
  assert.equal(wids.size, 1, 'every attempt carries the same write id (the new leader answers it from its log)');
  assert.ok([...wids][0]?.startsWith('w.'));
});

test('F4: a throttle is a definite refusal only before the first attempt', async () => {
  const clock = manualClock();
  const transport = new ScriptedTransport(() => ({ s: Status.Ok }));
  const admission = new OneShotAdmission();
  admission.admits = 1; // the bucket is dry already
  await assert.rejects(router(transport, clock, admission).sendByHash(tableId, 7, write(), true), (err: DynamoError) => err.kind.name === 'ProvisionedThroughputExceededException');
  assert.equal(transport.attempts.length, 0, 'nothing was sent, so nothing was applied');
});

test('F4: "not enough replicas" after an attempt that may have been applied is an unknown outcome (500), not a 503', async () => {
  const clock = manualClock();
  const transport = new ScriptedTransport((_node, attempt) => (attempt === 0 ? new NodeFailedError(0) : { s: Status.Unavailable, msg: 'not enough replicas' }));
  await assert.rejects(router(transport, clock).sendByHash(tableId, 7, write(), true), (err: DynamoError) => err.kind.name === 'InternalServerError');
  // The same refusal on a first attempt is DynamoDB's retryable 503: nothing was applied.
  const first = new ScriptedTransport(() => ({ s: Status.Unavailable, msg: 'not enough replicas' }));
  await assert.rejects(router(first, clock).sendByHash(tableId, 7, write(), true), (err: DynamoError) => err.kind.name === 'ServiceUnavailable');
});

test('F4: a write the old leader gave up on (Retry) is retried with the same id and not turned into a refusal', async () => {
  const clock = manualClock();
  const transport = new ScriptedTransport((_node, attempt) => (attempt === 0 ? { s: Status.Retry } : attempt === 1 ? { s: Status.Unavailable } : { s: Status.Ok }));
  await assert.rejects(router(transport, clock).sendByHash(tableId, 7, write(), true), (err: DynamoError) => err.kind.name === 'InternalServerError');
  assert.equal(new Set(transport.attempts.map((a) => (a.req as WriteRequest).wid)).size, 1);
});

test('F9: an eventually consistent read refused at the current map version goes to another replica, not back to the same one', async () => {
  const clock = manualClock();
  // Replica 1 is being rebuilt: it answers at once (so it always looks least loaded) and refuses.
  const transport = new ScriptedTransport((node) => (node === 1 ? { s: Status.WrongReplica, ver: partition.version } : { s: Status.Ok, item: null, n: 0 }));
  transport.load = [5, 0, 1];
  const res = await router(transport, clock).sendByHash(tableId, 7, read(false), false);
  assert.equal(res.s, Status.Ok);
  assert.deepEqual(
    transport.attempts.map((a) => a.node),
    [1, 2],
  );
});

test('F9: when every replica refuses, an eventually consistent read falls back to the leader', async () => {
  const clock = manualClock();
  const transport = new ScriptedTransport((node, attempt) => (node !== 0 || attempt < 3 ? { s: Status.WrongReplica, ver: partition.version } : { s: Status.Ok, item: null, n: 0 }));
  transport.load = [0, 1, 2];
  const res = await router(transport, clock).sendByHash(tableId, 7, read(false), false);
  assert.equal(res.s, Status.Ok);
  assert.deepEqual(
    transport.attempts.map((a) => a.node),
    [0, 1, 2, 0],
  );
});

test('M3: a write carries an absolute deadline (now + the request timeout), renewed on every attempt', async () => {
  const clock = manualClock();
  const transport = new ScriptedTransport((_node, attempt) => (attempt === 0 ? new NodeFailedError(0) : { s: Status.Ok }));
  const start = clock.t;
  await router(transport, clock).sendByHash(tableId, 7, write(), true);
  const [first, second] = transport.attempts.map((a) => (a.req as WriteRequest).dl);
  assert.equal(first, start + 15_000);
  assert.ok(second !== undefined && second > first!, 'a retry gets a deadline of its own');
});

test('issue 21: a read refused by a node that knows a newer map (its partition split) is re-sent with the new map as soon as it arrives: no sleep, no wait for a refresh from the nodes', { timeout: 10_000 }, async () => {
  const clock = manualClock();
  const map = new PartitionMap();
  map.setTable(tableId, [partition]);
  const children: PartitionAssignment[] = [
    { ...partition, pid: 1, hashEnd: 2 ** 31, version: 2, parent: 0 },
    { ...partition, pid: 2, hashStart: 2 ** 31, version: 2, parent: 0 },
  ];
  // The split's parent refuses; its children answer.
  const transport = new ScriptedTransport((_node, attempt) => (attempt === 0 ? { s: Status.WrongReplica, ver: 2 } : { s: Status.Ok, item: null, n: 0 }));
  let refreshes = 0;
  // A refresh from the nodes that has not come back (a round trip to every node).
  const refreshMap = () => {
    refreshes++;
    return new Promise<void>(() => {});
  };
  const r = new Router(map, transport, openAdmission as unknown as Admission, { retryWindowMs: 10_000, requestTimeoutMs: 15_000, refreshMap, clock, writeIdPrefix: 'w.' });
  const start = clock.t;
  const answered = r.sendByHash(tableId, 7, read(true), true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(transport.attempts.length, 1, 'resent before the map changed');
  // The control plane hears that the split was applied: the map switches to the children.
  map.setTable(tableId, children);
  assert.equal((await answered).s, Status.Ok);
  assert.deepEqual(
    transport.attempts.map((a) => [a.req.p, a.req.v]),
    [
      [0, 1],
      [1, 2],
    ],
  );
  assert.equal(clock.t, start, 'the router slept');
  assert.equal(refreshes, 1);

  // A map that changed before the refusal came back (the child's leader moved: a publish landed) is used at once, without a refresh.
  const again = new ScriptedTransport((_node, attempt) => {
    if (attempt === 0) map.setTable(tableId, [children[0], { ...children[1], leader: 1, epoch: 2, version: 3 }]);
    return attempt === 0 ? { s: Status.WrongReplica, ver: 3 } : { s: Status.Ok, item: null, n: 0 };
  });
  const r2 = new Router(map, again, openAdmission as unknown as Admission, { retryWindowMs: 10_000, requestTimeoutMs: 15_000, refreshMap, clock, writeIdPrefix: 'w.' });
  assert.equal((await r2.sendByHash(tableId, 2 ** 31 + 7, read(true), true)).s, Status.Ok);
  assert.deepEqual(
    again.attempts.map((a) => [a.node, a.req.p, a.req.v]),
    [
      [0, 2, 2],
      [1, 2, 3],
    ],
  );
  assert.equal(refreshes, 1, 'a refresh was asked for although the map had changed');
  assert.equal(clock.t, start, 'the router slept');
});
