// A follower cut off from replication catches up once traffic flows again: from the leader's
// log when the log still holds what it missed, from a snapshot when the log has been trimmed.
// Writes keep succeeding meanwhile (the other follower makes W = 2). Delayed replication to one
// replica costs no availability either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface View {
  tables: Array<{ partitions: Array<{ partition: number; leader: number; replicas: number[]; items: number | null; logIndex: number | null; followers: Array<{ node: number; applied: number | null; lag: number | null }> }> }>;
}

async function view(s: TestServer): Promise<View> {
  return (await (await fetch(`${s.endpoint}/_monodyne/partitions`)).json()) as View;
}

async function fault(s: TestServer, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${s.endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
}

async function caughtUp(s: TestServer, timeoutMs: number): Promise<View> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await view(s);
    if (v.tables[0].partitions.every((p) => p.followers.every((f) => f.lag === 0))) return v;
    if (Date.now() > deadline) throw new Error(`followers did not catch up: ${JSON.stringify(v.tables[0].partitions.map((p) => p.followers))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function writeItems(s: TestServer, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => s.client.send(new PutItemCommand({ TableName: 'cut', Item: { pk: { S: `${prefix}-${i + j}` } } }))));
  }
}

for (const [label, logEntriesMax, written] of [
  ['from the log', 100_000, 150],
  ['from a snapshot once the log is trimmed', 40, 300],
] as const) {
  test(`a follower cut off from replication catches up ${label}`, { timeout: 60_000 }, async () => {
    const s = await startTestServer((c) => {
      c.faults.enabled = true;
      c.failover.logEntriesMax = logEntriesMax;
    });
    try {
      await s.client.send(new CreateTableCommand({ TableName: 'cut', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
      const cutOff = 2;
      await fault(s, { action: 'drop', to: cutOff });
      await writeItems(s, 'dropped', written);
      const during = await view(s);
      const behind = during.tables[0].partitions.flatMap((p) => p.followers.filter((f) => f.node === cutOff && (f.lag ?? 0) > 0));
      assert.ok(behind.length > 0, 'the cut-off follower fell behind');
      await fault(s, { action: 'heal', to: cutOff });
      // The next write to each partition shows the follower its gap.
      await writeItems(s, 'after', 30);
      const after = await caughtUp(s, 30_000);
      for (const p of after.tables[0].partitions) {
        for (const f of p.followers) assert.equal(f.applied, p.logIndex);
      }
    } finally {
      await s.stop();
    }
  });
}

test('delayed replication to one replica: writes keep succeeding and it catches up', { timeout: 60_000 }, async () => {
  const s = await startTestServer((c) => {
    c.faults.enabled = true;
  });
  try {
    await s.client.send(new CreateTableCommand({ TableName: 'cut', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    await fault(s, { action: 'delay', to: 1, ms: 300 });
    await writeItems(s, 'slow', 100);
    await fault(s, { action: 'heal', to: 1 });
    await writeItems(s, 'after', 10);
    await caughtUp(s, 30_000);
  } finally {
    await s.stop();
  }
});
