// The versioned partition map: stale routes corrected by the storage nodes (the authority),
// online splits under load without a failed request or a lost or duplicated item, and
// leadership spread again after splits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, GetItemCommand, ScanCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';

interface View {
  mapVersion: number;
  splits: number;
  tables: Array<{ tableName: string; partitions: Array<{ partition: number; leader: number; replicas: number[]; epoch: number; mapVersion: number; hashRange: [number, number] }> }>;
  failovers: Array<{ repairedAt: number | null }>;
}

async function view(s: TestServer): Promise<View> {
  return (await (await fetch(`${s.endpoint}/_monodyne/partitions`)).json()) as View;
}

async function fault(s: TestServer, body: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${s.endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return res.json();
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function scanAll(s: TestServer, table: string): Promise<string[]> {
  const keys: string[] = [];
  let esk: Record<string, AttributeValue> | undefined;
  do {
    const page = await s.client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: esk, Limit: 97 }));
    for (const item of page.Items ?? []) keys.push(item.pk.S!);
    esk = page.LastEvaluatedKey;
  } while (esk);
  return keys;
}

test('requests routed with a stale map version, across a split and a leader change, all succeed', { timeout: 60_000 }, async () => {
  const s = await startTestServer((c) => {
    c.faults.enabled = true;
    c.splits.enabled = false;
  });
  const raw = clientFor(s.endpoint, 1); // no SDK retries: the router must recover by itself
  try {
    await s.client.send(new CreateTableCommand({ TableName: 'stale', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    for (let i = 0; i < 200; i++) await raw.send(new PutItemCommand({ TableName: 'stale', Item: { pk: { S: `k${i}` } } }));
    await fault(s, { action: 'snapshot-map' });
    const before = await view(s);
    // A split and a leader change (a failover) the snapshot does not know about.
    assert.deepEqual(await fault(s, { action: 'split', table: 'stale', partition: 0 }), { split: true });
    const victim = before.tables[0].partitions[1].leader;
    await fault(s, { action: 'kill', worker: victim });
    await waitFor(async () => (await view(s)).failovers.some((f) => f.repairedAt !== null), 20_000, 'failover');
    const after = await view(s);
    assert.ok(after.mapVersion > before.mapVersion);
    assert.equal(after.tables[0].partitions.length, before.tables[0].partitions.length + 1);
    // Now route with the old map: every node that no longer matches answers with its newer version.
    await fault(s, { action: 'rewind-map' });
    for (let i = 0; i < 200; i++) {
      const got = await raw.send(new GetItemCommand({ TableName: 'stale', Key: { pk: { S: `k${i}` } }, ConsistentRead: true }));
      assert.ok(got.Item, `k${i}`);
    }
    await fault(s, { action: 'rewind-map' });
    for (let i = 200; i < 300; i++) await raw.send(new PutItemCommand({ TableName: 'stale', Item: { pk: { S: `k${i}` } } }));
    await fault(s, { action: 'rewind-map' });
    const keys = await scanAll(s, 'stale');
    assert.equal(keys.length, 300);
    assert.equal(new Set(keys).size, 300);
  } finally {
    raw.destroy();
    await s.stop();
  }
});

test('partitions split online under load: no request fails, nothing is lost or duplicated, leaders spread', { timeout: 90_000 }, async () => {
  const s = await startTestServer((c) => {
    c.splits.sizeBytes = 48 * 1024;
    c.splits.unitsPerSecond = 1_000_000;
    c.splits.checkIntervalMs = 200;
  });
  const raw = clientFor(s.endpoint, 1);
  try {
    await s.client.send(
      new CreateTableCommand({
        TableName: 'growing',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    let stop = false;
    const written: string[] = [];
    const errors: string[] = [];
    const pad = 'p'.repeat(400);
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const pk = `user${(w * 7919 + i) % 60}`;
        const key = `${pk}/${w}-${i}`;
        try {
          await raw.send(new PutItemCommand({ TableName: 'growing', Item: { pk: { S: pk }, sk: { N: String(w * 1_000_000 + i) }, pad: { S: pad } } }));
          written.push(key);
        } catch (err) {
          errors.push(`put ${(err as Error).name}`);
        }
      }
    });
    const readers = Array.from({ length: 2 }, async () => {
      while (!stop) {
        try {
          await raw.send(new QueryCommand({ TableName: 'growing', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `user${Math.floor(Math.random() * 60)}` } }, ConsistentRead: true, Limit: 20 }));
          if (written.length > 0) {
            const [pk, rest] = written[Math.floor(Math.random() * written.length)].split('/');
            const [w, i] = rest.split('-').map(Number);
            const got = await raw.send(new GetItemCommand({ TableName: 'growing', Key: { pk: { S: pk }, sk: { N: String(w * 1_000_000 + i) } }, ConsistentRead: true }));
            if (!got.Item) errors.push('read missed an acknowledged write');
          }
        } catch (err) {
          errors.push(`read ${(err as Error).name}`);
        }
      }
    });
    await waitFor(async () => (await view(s)).splits >= 4, 60_000, 'four splits');
    stop = true;
    await Promise.all([...writers, ...readers]);
    assert.deepEqual(errors, [], 'requests failed during splits');
    const v = await view(s);
    assert.ok(v.tables[0].partitions.length >= 7, `${v.tables[0].partitions.length} partitions`);
    // Every item exactly once in a full scan, and each acknowledged write readable by key.
    const keys = await scanAll(s, 'growing');
    assert.equal(keys.length, written.length, 'scan count equals acknowledged writes');
    for (let n = 0; n < written.length; n += Math.max(1, Math.floor(written.length / 300))) {
      const [pk, rest] = written[n].split('/');
      const [w, i] = rest.split('-').map(Number);
      const got = await s.client.send(new GetItemCommand({ TableName: 'growing', Key: { pk: { S: pk }, sk: { N: String(w * 1_000_000 + i) } }, ConsistentRead: true }));
      assert.ok(got.Item, written[n]);
    }
    // Splits spread leadership: each zone leads about a third of the partitions.
    await waitFor(async () => {
      const leads = [0, 0, 0];
      for (const p of (await view(s)).tables[0].partitions) leads[p.leader]++;
      return Math.max(...leads) - Math.min(...leads) <= 1;
    }, 20_000, 'leaders spread over the zones');
  } finally {
    raw.destroy();
    await s.stop();
  }
});

test('a partition busier than splits.unitsPerSecond for long enough splits', { timeout: 60_000 }, async () => {
  const s = await startTestServer((c) => {
    c.splits.unitsPerSecond = 30;
    c.splits.sustainedChecks = 3;
    c.splits.checkIntervalMs = 200;
  });
  try {
    await s.client.send(new CreateTableCommand({ TableName: 'hotkey', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    let stop = false;
    const load = Array.from({ length: 4 }, async () => {
      for (let i = 0; !stop; i++) await s.client.send(new PutItemCommand({ TableName: 'hotkey', Item: { pk: { S: `hot-${i % 5}` } } }));
    });
    await waitFor(async () => (await view(s)).splits >= 1, 30_000, 'a throughput split');
    stop = true;
    await Promise.all(load);
  } finally {
    await s.stop();
  }
});
