// Storage nodes that fail: kill and hang worker threads under load through the fault
// injection endpoint, and check that nothing acknowledged is lost, nothing reported failed
// was applied, clients see no errors while two replicas live, consistent reads and
// conditional writes stay linearizable, and a partition with two replicas down refuses writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';
import { checkRegister, type HistoryEntry } from '../helpers/linearizability.ts';
import { countsOutsideBounds, replicasAgree } from '../helpers/digests.ts';

/** How long storage nodes keep being killed; the issue asks for at least 30 s. */
/** Kills, one after another, each once the one before is repaired (a count, not a time: a busy machine repairs slower). */
const killsPlanned = 8;

let s: TestServer;
let raw: DynamoDBClient;
before(async () => {
  s = await startTestServer((c) => {
    c.faults.enabled = true;
    // A disk that stops is failed over after 5 s here (30 s by default), so the test of it stays short.
    c.failover.commitStallMaxMs = 5000;
  });
  // No SDK retries: every outcome the server gives is seen as it is.
  raw = clientFor(s.endpoint, 1);
  for (const name of ['load', 'registers']) {
    await s.client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
});
after(async () => {
  raw.destroy();
  await s.stop();
});

interface PartitionView {
  tables: Array<{ tableName: string; partitions: Array<{ partition: number; leader: number; replicas: number[]; epoch: number; followers: Array<{ lag: number | null }> }> }>;
  nodes: Array<{ node: number; alive: boolean }>;
  failovers: Array<{ node: number; reason: string; detectedAt: number; leadersMovedAt: number | null; repairedAt: number | null }>;
}

async function partitions(): Promise<PartitionView> {
  // Bounded, so a server that stops answering fails the test with a message instead of hanging it.
  return (await (await fetch(`${s.endpoint}/_monodyne/partitions`, { signal: AbortSignal.timeout(20_000) })).json()) as PartitionView;
}

async function fault(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${s.endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  assert.equal(res.status, 200, await res.text());
}

async function fullyReplicated(): Promise<boolean> {
  const view = await partitions();
  return view.nodes.every((n) => n.alive) && view.tables.every((t) => t.partitions.every((p) => p.replicas.length === 3));
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function errorName(err: unknown): string {
  return (err as Error).name;
}

test(`${killsPlanned} kills, each a few seconds after the last is repaired: nothing acknowledged lost, nothing failed applied, no client errors, linearizable registers`, { timeout: 180_000 }, async () => {
  let stop = false;
  const acknowledged: string[] = [];
  const refused: string[] = [];
  const unknown: string[] = [];
  const errors: Record<string, number> = {};

  // Writers: each key written once, conditionally, so a write applied twice would show up as
  // a ConditionalCheckFailedException.
  const writers = Array.from({ length: 6 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const pk = `w${w}-${i}`;
      try {
        await raw.send(new PutItemCommand({ TableName: 'load', Item: { pk: { S: pk }, n: { N: String(i) } }, ConditionExpression: 'attribute_not_exists(pk)' }));
        acknowledged.push(pk);
      } catch (err) {
        errors[errorName(err)] = (errors[errorName(err)] ?? 0) + 1;
        if (errorName(err) === 'ServiceUnavailable' || errorName(err) === 'ConditionalCheckFailedException') refused.push(pk);
        else unknown.push(pk);
      }
    }
  });
  // Readers: consistent reads of acknowledged keys must always find them.
  let readsMissing = 0;
  const readers = Array.from({ length: 2 }, async () => {
    while (!stop) {
      if (acknowledged.length === 0) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const pk = acknowledged[Math.floor(Math.random() * acknowledged.length)];
      try {
        const got = await raw.send(new GetItemCommand({ TableName: 'load', Key: { pk: { S: pk } }, ConsistentRead: true }));
        if (got.Item === undefined) readsMissing++;
      } catch (err) {
        errors[`read ${errorName(err)}`] = (errors[`read ${errorName(err)}`] ?? 0) + 1;
      }
    }
  });

  // Registers: consistent reads, blind writes and compare-and-set on three keys, recorded.
  const history = new Map<string, HistoryEntry[]>();
  let nextProcess = 0;
  const registerKeys = ['r0', 'r1', 'r2'];
  for (const k of registerKeys) history.set(k, []);
  const registerClients = registerKeys.flatMap((key) =>
    Array.from({ length: 3 }, async (_, c) => {
      let process = nextProcess++;
      let lastSeen: string | null = null;
      for (let n = 0; !stop; n++) {
        // Keep each register's history small enough for an exhaustive linearizability check.
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
        const roll = Math.random();
        const value = `${key}-${c}-${n}`;
        const invokedAt = performance.now();
        try {
          if (roll < 0.4) {
            const got = await raw.send(new GetItemCommand({ TableName: 'registers', Key: { pk: { S: key } }, ConsistentRead: true }));
            lastSeen = got.Item?.v?.S ?? null;
            history.get(key)!.push({ process, invokedAt, completedAt: performance.now(), op: { kind: 'read', result: lastSeen } });
          } else if (roll < 0.6) {
            await raw.send(new PutItemCommand({ TableName: 'registers', Item: { pk: { S: key }, v: { S: value } } }));
            history.get(key)!.push({ process, invokedAt, completedAt: performance.now(), op: { kind: 'write', value } });
          } else {
            const expected = lastSeen;
            try {
              await raw.send(
                new PutItemCommand({
                  TableName: 'registers',
                  Item: { pk: { S: key }, v: { S: value } },
                  ConditionExpression: expected === null ? 'attribute_not_exists(v)' : 'v = :e',
                  ExpressionAttributeValues: expected === null ? undefined : { ':e': { S: expected } },
                }),
              );
              history.get(key)!.push({ process, invokedAt, completedAt: performance.now(), op: { kind: 'cas', expected, value, result: 'ok' } });
            } catch (err) {
              if (errorName(err) !== 'ConditionalCheckFailedException') throw err;
              history.get(key)!.push({ process, invokedAt, completedAt: performance.now(), op: { kind: 'cas', expected, value, result: 'fail' } });
            }
          }
        } catch (err) {
          errors[`register ${errorName(err)}`] = (errors[`register ${errorName(err)}`] ?? 0) + 1;
          // Unknown outcome: it may take effect later; this client continues as a new process.
          const op = roll < 0.4 ? null : roll < 0.6 ? ({ kind: 'write', value } as const) : ({ kind: 'cas', expected: lastSeen, value, result: 'unknown' } as const);
          if (op !== null) history.get(key)!.push({ process, invokedAt, completedAt: Infinity, op });
          process = nextProcess++;
        }
      }
    }),
  );

  // The killer: waits for full replication, lets traffic flow, kills a random node.
  const kills: number[] = [];
  try {
    while (kills.length < killsPlanned) {
      await waitFor(fullyReplicated, 30_000, 'replication factor 3');
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
      const victim = Math.floor(Math.random() * 3);
      kills.push(victim);
      const failoversBefore = (await partitions()).failovers.length;
      await fault({ action: 'kill', worker: victim });
      // The next kill waits until this one is detected and fully repaired.
      await waitFor(async () => {
        const f = (await partitions()).failovers;
        return f.length > failoversBefore && f[f.length - 1].repairedAt !== null;
      }, 60_000, `repair after killing node ${victim}`);
    }
    await waitFor(fullyReplicated, 30_000, 'replication factor 3 after the last kill');
  } finally {
    // Also when the kill phase fails: clients left running would hammer a stopped server.
    stop = true;
  }
  await Promise.all([...writers, ...readers, ...registerClients]);

  assert.equal(kills.length, killsPlanned);
  const checkStarted = Date.now();
  assert.ok(acknowledged.length > 500, `only ${acknowledged.length} writes acknowledged`);
  assert.deepEqual(errors, {}, 'clients saw errors although two replicas of every partition were alive');
  assert.equal(readsMissing, 0, 'a consistent read missed an acknowledged write');

  // Every acknowledged write is there; no refused write is.
  const keys = new Set<string>();
  let esk: Record<string, { S: string }> | undefined;
  do {
    const page = await s.client.send(new ScanCommand({ TableName: 'load', ConsistentRead: true, ExclusiveStartKey: esk }));
    for (const item of page.Items ?? []) keys.add(item.pk.S!);
    esk = page.LastEvaluatedKey as typeof esk;
  } while (esk);
  const lost = acknowledged.filter((k) => !keys.has(k));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged writes lost`);
  const applied = refused.filter((k) => keys.has(k));
  assert.deepEqual(applied, [], 'writes reported failed were applied');
  for (const k of acknowledged.slice(-200)) {
    const got = await s.client.send(new GetItemCommand({ TableName: 'load', Key: { pk: { S: k } }, ConsistentRead: true }));
    assert.ok(got.Item, `${k} missing on a consistent read`);
  }

  for (const [key, entries] of history) {
    assert.ok(entries.length > 50, `register ${key} saw only ${entries.length} operations`);
    const result = checkRegister(entries, null);
    assert.ok(result.linearizable, `register ${key}: history of ${entries.length} operations is not linearizable`);
  }
  console.log(`${kills.length} kills, ${acknowledged.length} writes acknowledged, ${[...history.values()].reduce((n, h) => n + h.length, 0)} register operations checked in ${Date.now() - checkStarted} ms`);
  // Leadership is spread again: each zone leads about a third of the partitions.
  await waitFor(async () => {
    const leads = [0, 0, 0];
    for (const t of (await partitions()).tables) for (const p of t.partitions) leads[p.leader]++;
    return Math.max(...leads) - Math.min(...leads) <= 1;
  }, 20_000, 'leaders to be rebalanced');
  const view = await partitions();
  assert.ok(view.failovers.length >= kills.length);
  for (const f of view.failovers) assert.ok(f.repairedAt !== null, `failover of node ${f.node} never finished repair`);
  // Every replica, rebuilt or not, holds the same items as the others of its partition: at least
  // what was acknowledged there, at most that and the writes of unknown outcome.
  const load = await replicasAgree(s.endpoint, 'load');
  assert.deepEqual(countsOutsideBounds(load, acknowledged, [...acknowledged, ...unknown]), []);
  const written = registerKeys.filter((k) => history.get(k)!.some((h) => h.completedAt !== Infinity && (h.op.kind === 'write' || (h.op.kind === 'cas' && h.op.result === 'ok'))));
  assert.deepEqual(countsOutsideBounds(await replicasAgree(s.endpoint, 'registers'), written, registerKeys), []);
});

test('a hung leader is replaced and, when it wakes, answers nothing', { timeout: 60_000 }, async () => {
  await waitFor(fullyReplicated, 30_000, 'replication factor 3');
  const view = await partitions();
  const p = view.tables.find((t) => t.tableName === 'registers')!.partitions[0];
  const before = view.failovers.length;
  await fault({ action: 'hang', worker: p.leader });
  // Writes keep working through the failover (the router retries them on the new leader).
  for (let i = 0; i < 20; i++) await raw.send(new PutItemCommand({ TableName: 'registers', Item: { pk: { S: `hang-${i}` }, v: { S: 'x' } } }));
  await waitFor(async () => (await partitions()).failovers.length > before, 10_000, 'the hung node to be declared dead');
  // On a busy machine a follower of one of its partitions may trail what was committed a refresh
  // earlier: then the detector gives the node the longer grace for a partition short of sound
  // replicas before failing it over, for the same reason.
  assert.match((await partitions()).failovers[before].reason, /^made no progress for \d+ ms with work waiting( \(a partition it holds is short of replicas\))?$/);
  await fault({ action: 'resume', worker: p.leader });
  await waitFor(fullyReplicated, 30_000, 'replication factor 3 after the hang');
  const after = (await partitions()).tables.find((t) => t.tableName === 'registers')!.partitions[0];
  assert.ok(after.epoch > p.epoch, 'the partition moved to a new epoch');
  for (let i = 0; i < 20; i++) {
    const got = await raw.send(new GetItemCommand({ TableName: 'registers', Key: { pk: { S: `hang-${i}` } }, ConsistentRead: true }));
    assert.equal(got.Item?.v?.S, 'x');
  }
});

test('a node stuck inside a commit (a slow disk) is given failover.commitStallMaxMs before it is failed over', { timeout: 60_000 }, async () => {
  await waitFor(fullyReplicated, 30_000, 'replication factor 3');
  const view = await partitions();
  const p = view.tables.find((t) => t.tableName === 'registers')!.partitions[0];
  const before = view.failovers.length;
  await fault({ action: 'hang-in-commit', worker: p.leader });
  // Every node holds a replica of every partition: this write makes the node commit (as leader or follower).
  const writes = Array.from({ length: 5 }, (_, i) => raw.send(new PutItemCommand({ TableName: 'registers', Item: { pk: { S: `stall-${i}` }, v: { S: 'x' } } })));
  // Past the 3 s a node that makes no progress gets (failover.hungNodeMs), inside the 5 s its disk
  // gets here: the node keeps turning its loop, it only waits on its disk. (GET
  // /_monodyne/partitions would wait for the stuck node's answer: not asked meanwhile.)
  await new Promise((r) => setTimeout(r, 3500));
  await fault({ action: 'resume', worker: p.leader });
  await Promise.all(writes);
  assert.equal((await partitions()).failovers.length, before, 'a node waiting on its disk for 3.5 s was failed over');
  // A commit that never ends is a failure, found once the allowance (5 s here) has passed.
  await fault({ action: 'hang-in-commit', worker: p.leader });
  const stuckAt = Date.now();
  await raw.send(new PutItemCommand({ TableName: 'registers', Item: { pk: { S: 'stall-again' }, v: { S: 'y' } } }));
  await waitFor(async () => (await partitions()).failovers.length > before, 15_000, 'the node stuck in its commit to be declared dead');
  const record = (await partitions()).failovers[before];
  assert.equal(record.node, p.leader);
  assert.match(record.reason, /^its disk made no progress for \d+ ms$/);
  assert.ok(record.detectedAt - stuckAt >= 4000, `declared dead ${record.detectedAt - stuckAt} ms into its commit, before the 5 s allowance`);
  await fault({ action: 'resume', worker: p.leader });
  await waitFor(fullyReplicated, 30_000, 'replication factor 3 after the stall');
  for (let i = 0; i < 5; i++) {
    const got = await raw.send(new GetItemCommand({ TableName: 'registers', Key: { pk: { S: `stall-${i}` } }, ConsistentRead: true }));
    assert.equal(got.Item?.v?.S, 'x');
  }
});

test('with two replicas of a partition down, writes fail with a retryable 5xx and are not applied', { timeout: 60_000 }, async () => {
  const slow = await startTestServer((c) => {
    c.faults.enabled = true;
    c.failover.replaceDelayMs = 4000;
  });
  const client = clientFor(slow.endpoint, 1);
  try {
    await slow.client.send(
      new CreateTableCommand({ TableName: 'fragile', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    await client.send(new PutItemCommand({ TableName: 'fragile', Item: { pk: { S: 'before' } } }));
    for (const worker of [1, 2]) await fetch(`${slow.endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify({ action: 'kill', worker }) });
    // Wait until both are declared dead.
    await waitFor(async () => {
      const view = (await (await fetch(`${slow.endpoint}/_monodyne/partitions`)).json()) as PartitionView;
      return view.nodes.filter((n) => !n.alive).length === 2 && view.tables[0].partitions.every((p) => p.replicas.length === 1);
    }, 10_000, 'two nodes declared dead');
    let refusals = 0;
    for (let i = 0; i < 10; i++) {
      await assert.rejects(client.send(new PutItemCommand({ TableName: 'fragile', Item: { pk: { S: `during-${i}` } } })), (err: Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }) => {
        assert.ok((err.$metadata?.httpStatusCode ?? 0) >= 500, `${err.name} with status ${err.$metadata?.httpStatusCode}`);
        assert.equal(err.name, 'ServiceUnavailable');
        refusals++;
        return true;
      });
    }
    assert.equal(refusals, 10);
    // The data already there stays readable from the surviving replica.
    const got = await client.send(new GetItemCommand({ TableName: 'fragile', Key: { pk: { S: 'before' } }, ConsistentRead: true }));
    assert.ok(got.Item);
    // Replacements come back, the replication factor returns to 3, and writes work again.
    await waitFor(async () => {
      const view = (await (await fetch(`${slow.endpoint}/_monodyne/partitions`)).json()) as PartitionView;
      return view.nodes.every((n) => n.alive) && view.tables[0].partitions.every((p) => p.replicas.length === 3);
    }, 30_000, 'repair');
    await client.send(new PutItemCommand({ TableName: 'fragile', Item: { pk: { S: 'after' } } }));
    for (let i = 0; i < 10; i++) {
      const refused = await client.send(new GetItemCommand({ TableName: 'fragile', Key: { pk: { S: `during-${i}` } }, ConsistentRead: true }));
      assert.equal(refused.Item, undefined, 'a refused write was applied');
    }
  } finally {
    client.destroy();
    await slow.stop();
  }
});
