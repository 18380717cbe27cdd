// On-demand throughput through a real server: a fresh PAY_PER_REQUEST table (and its global
// index) starts with the partitions DynamoDB's initial on-demand throughput needs at the
// per-partition ceilings, a provisioned one with tables.initialPartitions; and
// capacity.throttling false lets through what the same server would otherwise throttle (and
// needs no partitions for throughput).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DescribeTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';
import { hashSpaceEnd } from '../../src/router/partition-map.ts';

interface Side {
  ceilingUnitsPerSecond: number;
  throttledRequests: number;
  consumedUnitsTotal: number;
  throttling: boolean;
}
interface View {
  tables: Array<{ tableName: string; partitions: Array<{ hashRange: [number, number]; capacity: { read: Side; write: Side } }> }>;
}

let throttled: TestServer;
let unthrottled: TestServer;
before(async () => {
  // Burst off, so that a provisioned table of 1 WCU shows throttling at once.
  throttled = await startTestServer((c) => {
    c.capacity.burstSeconds = 0;
  });
  unthrottled = await startTestServer((c) => {
    c.capacity.burstSeconds = 0;
    c.capacity.throttling = false;
  });
});
after(async () => {
  await throttled?.stop();
  await unthrottled?.stop();
});

async function view(s: TestServer): Promise<View> {
  return (await (await fetch(`${s.endpoint}/_monodyne/partitions`)).json()) as View;
}

function partitionsOf(v: View, tableName: string): View['tables'][number]['partitions'] {
  const table = v.tables.find((t) => t.tableName === tableName);
  assert.ok(table !== undefined, `GET /_monodyne/partitions lists ${tableName}`);
  return table.partitions;
}

/** A table with a string partition key `pk`, provisioned at `units` read and write units. */
async function createProvisioned(s: TestServer, tableName: string, units: number): Promise<void> {
  await s.client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: units, WriteCapacityUnits: units },
    }),
  );
}

test('a fresh on-demand table and its global index have partitions for 4,000 WRU/s and 12,000 RRU/s, each held to 1,000 WCU and 3,000 RCU', async () => {
  const s = throttled;
  await s.client.send(
    new CreateTableCommand({
      TableName: 'fresh',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'g', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [{ IndexName: 'by-g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    }),
  );
  await createProvisioned(s, 'provisioned', 5);
  const described = await s.client.send(new DescribeTableCommand({ TableName: 'fresh' }));
  assert.deepEqual(described.Table?.WarmThroughput, { ReadUnitsPerSecond: 12_000, WriteUnitsPerSecond: 4_000, Status: 'ACTIVE' });
  const v = await view(s);
  for (const name of ['fresh', 'fresh/by-g']) {
    const partitions = partitionsOf(v, name);
    assert.equal(partitions.length, 4, `${name}: partitions`);
    // Equal hash ranges, so distinct keys spread evenly; together their ceilings are the warm throughput.
    for (const p of partitions) assert.equal(p.hashRange[1] - p.hashRange[0], hashSpaceEnd / 4);
    assert.deepEqual(
      partitions.map((p) => [p.capacity.write.ceilingUnitsPerSecond, p.capacity.read.ceilingUnitsPerSecond, p.capacity.write.throttling]),
      Array.from({ length: 4 }, () => [1000, 3000, true]),
    );
    assert.equal(partitions.reduce((n, p) => n + p.capacity.write.ceilingUnitsPerSecond, 0), described.Table?.WarmThroughput?.WriteUnitsPerSecond);
    assert.equal(partitions.reduce((n, p) => n + p.capacity.read.ceilingUnitsPerSecond, 0), described.Table?.WarmThroughput?.ReadUnitsPerSecond);
  }
  // A provisioned table starts with tables.initialPartitions (3), as before.
  assert.equal(partitionsOf(v, 'provisioned').length, 3);
});

/** Sends `count` PutItems to one key at once, without retries; answers how many were throttled. */
async function burstOnOneKey(client: DynamoDBClient, tableName: string, count: number): Promise<number> {
  let throttledCount = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'hot' }, n: { N: String(i) } } })).catch((err: Error) => {
        assert.equal(err.name, 'ProvisionedThroughputExceededException');
        throttledCount++;
      }),
    ),
  );
  return throttledCount;
}

test('capacity.throttling false: an on-demand table starts with tables.initialPartitions, no ceiling calling for more', async () => {
  await unthrottled.client.send(new CreateTableCommand({ TableName: 'open', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  const partitions = partitionsOf(await view(unthrottled), 'open');
  assert.equal(partitions.length, 3);
  assert.ok(partitions.every((p) => p.capacity.write.throttling === false && p.capacity.read.throttling === false));
});

test('capacity.throttling false: a table provisioned at 1 WCU takes a burst on one key that the same table is throttled on with it on', async () => {
  for (const s of [throttled, unthrottled]) await createProvisioned(s, 'tiny', 1);
  const once = [clientFor(throttled.endpoint, 1), clientFor(unthrottled.endpoint, 1)];
  try {
    assert.ok((await burstOnOneKey(once[0], 'tiny', 40)) > 0, 'throttling on: some of 40 writes at 1 WCU are throttled');
    assert.equal(await burstOnOneKey(once[1], 'tiny', 40), 0, 'throttling off: none is');
  } finally {
    for (const c of once) c.destroy();
  }
  const partitions = partitionsOf(await view(unthrottled), 'tiny');
  assert.ok(partitions.every((p) => p.capacity.write.throttling === false && p.capacity.write.throttledRequests === 0));
  // Consumption is still metered (what splits for throughput and the console look at).
  assert.equal(partitions.reduce((n, p) => n + p.capacity.write.consumedUnitsTotal, 0), 40);
});
