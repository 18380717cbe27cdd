// Durability: SIGKILL the whole server while clients write, restart it on the same data
// directory, read back every write that had been acknowledged, and compare every replica: once
// caught up, the replicas of each partition hold identical items, and no fewer than were
// acknowledged there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CreateTableCommand, PutItemCommand, GetItemCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, spawnServer, tempDataDir } from '../helpers/server.ts';
import { countsOutsideBounds, itemsIn, replicasAgree } from '../helpers/digests.ts';

/** How long clients write before the kill; enough for thousands of acknowledged writes. */
const writeWindowMs = 3000;
const writers = 16;

test('SIGKILL under write load loses no acknowledged write, and table metadata survives', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-kill');
  try {
    const first = await spawnServer(['--port', '0', '--data-dir', dataDir]);
    const client = clientFor(first.endpoint, 1);
    await client.send(
      new CreateTableCommand({
        TableName: 'durable',
        KeySchema: [
          { AttributeName: 'writer', KeyType: 'HASH' },
          { AttributeName: 'seq', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'writer', AttributeType: 'S' },
          { AttributeName: 'seq', AttributeType: 'N' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    const acknowledged: Array<{ writer: string; seq: number }> = [];
    // Every item a PutItem was sent for, by its partition key: an item may exist only if it is here.
    const attempted: string[] = [];
    let killed = false;
    const loops = Array.from({ length: writers }, async (_, w) => {
      const writer = `w${w}`;
      for (let seq = 0; !killed; seq++) {
        attempted.push(writer);
        try {
          await client.send(new PutItemCommand({ TableName: 'durable', Item: { writer: { S: writer }, seq: { N: String(seq) }, payload: { S: 'x'.repeat(100) } } }));
          if (!killed) acknowledged.push({ writer, seq });
        } catch {
          return; // the server is gone
        }
      }
    });
    await new Promise((r) => setTimeout(r, writeWindowMs));
    // Everything acknowledged before this instant must survive; take the kill snapshot first.
    const mustSurvive = acknowledged.slice();
    killed = true;
    first.child.kill('SIGKILL');
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL');
    await Promise.all(loops);
    client.destroy();
    assert.ok(mustSurvive.length > 100, `only ${mustSurvive.length} writes were acknowledged`);

    const second = await spawnServer(['--port', '0', '--data-dir', dataDir]);
    const reader = clientFor(second.endpoint);
    const table = await reader.send(new DescribeTableCommand({ TableName: 'durable' }));
    assert.equal(table.Table?.TableStatus, 'ACTIVE');
    // Every replica, not only the leaders that reads reach: after catch-up all three of each
    // partition are identical, and each holds every write acknowledged there (and nothing never sent).
    const agreement = await replicasAgree(second.endpoint, 'durable');
    assert.deepEqual(countsOutsideBounds(agreement, mustSurvive.map((w) => w.writer), attempted), []);
    let missing = 0;
    for (let i = 0; i < mustSurvive.length; i += 32) {
      const batch = mustSurvive.slice(i, i + 32);
      const results = await Promise.all(
        batch.map((w) => reader.send(new GetItemCommand({ TableName: 'durable', Key: { writer: { S: w.writer }, seq: { N: String(w.seq) } }, ConsistentRead: true }))),
      );
      for (const r of results) if (r.Item === undefined) missing++;
    }
    assert.equal(missing, 0, `${missing} of ${mustSurvive.length} acknowledged writes were lost`);
    // Nothing changed while reading: the replicas still agree on what they held.
    assert.deepEqual(await replicasAgree(second.endpoint, 'durable', 0), agreement);
    console.log(`${mustSurvive.length} writes acknowledged before the kill, ${attempted.length} sent, ${itemsIn(agreement)} items on each replica set`);
    reader.destroy();
    second.child.kill('SIGTERM');
    const stopped = await second.exited;
    assert.equal(stopped.code, 0, 'SIGTERM stops the server cleanly');
  } finally {
    await killChildServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a split survives SIGKILL: after a restart every item is there and the map has the split', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-split-kill');
  const env = { MONODYNE_FAULTS: '1', MONODYNE_AUTH_ENABLED: 'false' };
  try {
    const first = await spawnServer(['--port', '0', '--data-dir', dataDir], env);
    const client = clientFor(first.endpoint);
    await client.send(new CreateTableCommand({ TableName: 'splitme', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    for (let i = 0; i < 150; i++) await client.send(new PutItemCommand({ TableName: 'splitme', Item: { pk: { S: `k${i}` } } }));
    const split = await fetch(`${first.endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify({ action: 'split', table: 'splitme', partition: 1 }) });
    assert.deepEqual(await split.json(), { split: true });
    for (let i = 150; i < 200; i++) await client.send(new PutItemCommand({ TableName: 'splitme', Item: { pk: { S: `k${i}` } } }));
    client.destroy();
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await spawnServer(['--port', '0', '--data-dir', dataDir], env);
    const reader = clientFor(second.endpoint);
    for (let i = 0; i < 200; i++) {
      const got = await reader.send(new GetItemCommand({ TableName: 'splitme', Key: { pk: { S: `k${i}` } }, ConsistentRead: true }));
      assert.ok(got.Item, `k${i} lost`);
    }
    const view = (await (await fetch(`${second.endpoint}/_monodyne/partitions`)).json()) as { tables: Array<{ partitions: unknown[] }> };
    // An on-demand table starts with 4 partitions (4,000 WRU/s at 1,000 each); one was split.
    assert.equal(view.tables[0].partitions.length, 5);
    // All 200 writes were acknowledged: each of the five partitions' replicas holds exactly its share.
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    assert.deepEqual(countsOutsideBounds(await replicasAgree(second.endpoint, 'splitme'), keys, keys), []);
    reader.destroy();
    second.child.kill('SIGTERM');
    await second.exited;
  } finally {
    await killChildServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
