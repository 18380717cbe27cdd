// Two front-door threads sharing the port (server.frontDoorThreads), through the AWS SDK with a
// new connection per request, so that the kernel spreads requests over both threads: every
// operation is answered whichever thread accepted it, the door thread answers eventually
// consistent reads itself and forwards the rest, the catalog and partition map it reads by are
// never behind the main thread's, the port is the server's alone, and a process that exits
// without stopping the server exits cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { devCredentials, startTestServer, type TestServer } from '../helpers/server.ts';
import { startServer } from '../../src/server/main.ts';
import { loadDefaults } from '../../src/server/config.ts';

/** A client that opens a new connection for every request: the kernel picks the thread each time. */
function connectionPerRequest(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: devCredentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: false }), requestTimeout: 30_000 }),
  });
}

async function startTwoDoors(): Promise<TestServer> {
  const t = await startTestServer((c) => {
    c.server.frontDoorThreads = 2;
    // Items reach the B-trees the door thread reads within milliseconds.
    c.storage.checkpointIntervalMs = 10;
    c.storage.localReadsBusyPercentMax = 100;
  });
  // The server answers once the main thread listens; the other thread joins when its code is loaded.
  await t.server.frontDoorsJoined;
  return t;
}

const keySchema = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'N' as const },
  ],
};

test('every operation is answered whichever thread accepted it; the door thread answers reads and forwards the rest', async () => {
  const t = await startTwoDoors();
  const client = connectionPerRequest(t.endpoint);
  try {
    assert.equal(t.server.frontDoorThreads, 2);
    await client.send(new CreateTableCommand({ TableName: 'doors', ...keySchema, BillingMode: 'PAY_PER_REQUEST' }));
    for (let round = 1; round <= 12; round++) {
      for (let i = 0; i < 8; i++) {
        await client.send(new PutItemCommand({ TableName: 'doors', Item: { pk: { S: `p${i % 3}` }, sk: { N: String(i) }, round: { N: String(round) } } }));
        const consistent = await client.send(new GetItemCommand({ TableName: 'doors', Key: { pk: { S: `p${i % 3}` }, sk: { N: String(i) } }, ConsistentRead: true }));
        assert.equal(consistent.Item?.round.N, String(round), `round ${round}, item ${i}: a consistent read sees the acknowledged write`);
      }
      // Eventually consistent reads: whatever a replica applied, never a round that was not written.
      for (let i = 0; i < 8; i++) {
        const got = await client.send(new GetItemCommand({ TableName: 'doors', Key: { pk: { S: `p${i % 3}` }, sk: { N: String(i) } }, ReturnConsumedCapacity: 'TOTAL' }));
        const seen = Number(got.Item?.round.N ?? 0);
        assert.ok(seen >= round - 1 && seen <= round, `round ${round}, item ${i}: read round ${seen}`);
        assert.equal(got.ConsumedCapacity?.CapacityUnits, 0.5);
      }
      const page = await client.send(new QueryCommand({ TableName: 'doors', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p1' } }, Limit: 2 }));
      assert.deepEqual(
        page.Items?.map((item) => item.sk.N),
        ['1', '4'],
      );
      const scan = await client.send(new ScanCommand({ TableName: 'doors', Limit: 20 }));
      assert.equal(scan.Count, 8);
      const batch = await client.send(new BatchGetItemCommand({ RequestItems: { doors: { Keys: [0, 3, 5, 7].map((i) => ({ pk: { S: `p${i % 3}` }, sk: { N: String(i) } })) } }, ReturnConsumedCapacity: 'TOTAL' }));
      assert.deepEqual(batch.Responses?.doors.map((item) => item.sk.N).sort(), ['0', '3', '5', '7']);
      assert.equal(batch.ConsumedCapacity?.[0].CapacityUnits, 2);
    }
    const counts = t.server.frontDoorCounts();
    assert.equal(counts.length, 1);
    assert.ok(counts[0].forwarded > 0, `the door thread forwarded writes and consistent reads (${JSON.stringify(counts)})`);
    assert.ok(counts[0].answered > 0, `the door thread answered reads itself (${JSON.stringify(counts)})`);
  } finally {
    client.destroy();
    await t.stop();
  }
});

test('a table is readable on every thread as soon as CreateTable answers, and gone as soon as DeleteTable does', async () => {
  const t = await startTwoDoors();
  const client = connectionPerRequest(t.endpoint);
  try {
    for (let n = 0; n < 6; n++) {
      const name = `fresh_${n}`;
      await client.send(new CreateTableCommand({ TableName: name, ...keySchema, BillingMode: 'PAY_PER_REQUEST' }));
      for (let i = 0; i < 4; i++) {
        const missing = await client.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'a' }, sk: { N: '1' } } }));
        assert.equal(missing.Item, undefined);
      }
      await client.send(new UpdateTableCommand({ TableName: name, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 100 } }));
      const described = await client.send(new DescribeTableCommand({ TableName: name }));
      assert.equal(described.Table?.BillingModeSummary?.BillingMode, 'PROVISIONED');
      await client.send(new DeleteTableCommand({ TableName: name }));
      for (let i = 0; i < 4; i++) {
        await assert.rejects(client.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'a' }, sk: { N: '1' } } })), { name: 'ResourceNotFoundException' });
      }
    }
  } finally {
    client.destroy();
    await t.stop();
  }
});

test('the port is the server\'s alone: another server cannot start on it, with one front door or two', async () => {
  const t = await startTwoDoors();
  try {
    for (const threads of [1, 2]) {
      const config = loadDefaults();
      config.server.port = t.server.port;
      config.server.frontDoorThreads = threads;
      config.storage.ephemeral = true;
      config.log.level = 'silent';
      await assert.rejects(startServer(config), /cannot listen on/);
    }
    const client = connectionPerRequest(t.endpoint);
    await client.send(new CreateTableCommand({ TableName: 'still_served', ...keySchema, BillingMode: 'PAY_PER_REQUEST' }));
    client.destroy();
  } finally {
    await t.stop();
  }
});

test('a process that exits without stopping its server (two front-door threads) exits cleanly', () => {
  const script = `
    import { startServer } from ${JSON.stringify(fileURLToPath(new URL('../../src/server/main.ts', import.meta.url)))};
    import { loadDefaults } from ${JSON.stringify(fileURLToPath(new URL('../../src/server/config.ts', import.meta.url)))};
    const config = loadDefaults();
    config.server.port = 0;
    config.server.frontDoorThreads = 2;
    config.storage.ephemeral = true;
    config.auth.enabled = false;
    config.log.level = 'silent';
    const server = await startServer(config);
    // The other thread holds its sockets when the process exits: the case that would abort it.
    await server.frontDoorsJoined;
    const res = await fetch(server.endpoint + '/');
    console.log(await res.text());
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.signal, null, `no abort: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /healthy: monodyne/);
});

interface MeteredView {
  frontDoors: Array<{ thread: number; tid: number | null; answered?: number; forwarded?: number; localServed: number }>;
  tables: Array<{ tableName: string; partitions: Array<{ capacity: { read: { consumedUnitsTotal: number; throttledRequests: number } } }> }>;
}

async function meteredView(endpoint: string): Promise<MeteredView> {
  return (await (await fetch(`${endpoint}/_monodyne/partitions`, { signal: AbortSignal.timeout(20_000) })).json()) as MeteredView;
}

function readUnitsOf(view: MeteredView, table: string): { consumed: number; throttled: number } {
  const partitions = view.tables.find((t) => t.tableName === table)!.partitions;
  return {
    consumed: partitions.reduce((sum, p) => sum + p.capacity.read.consumedUnitsTotal, 0),
    throttled: partitions.reduce((sum, p) => sum + p.capacity.read.throttledRequests, 0),
  };
}

test('reads on either thread are metered on the same meters: consumed units add up exactly, and either thread throttles', async () => {
  const t = await startTestServer((c) => {
    c.server.frontDoorThreads = 2;
    c.storage.checkpointIntervalMs = 10;
    c.storage.localReadsBusyPercentMax = 100;
    c.capacity.burstSeconds = 0;
    c.capacity.adaptive = false;
  });
  await t.server.frontDoorsJoined;
  const client = connectionPerRequest(t.endpoint);
  try {
    await client.send(new CreateTableCommand({ TableName: 'metered', ...keySchema, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 3000, WriteCapacityUnits: 100 } }));
    for (let i = 0; i < 6; i++) await client.send(new PutItemCommand({ TableName: 'metered', Item: { pk: { S: `p${i}` }, sk: { N: '0' } } }));
    const reads = 120;
    let reported = 0;
    for (let i = 0; i < reads; i++) {
      const got = await client.send(new GetItemCommand({ TableName: 'metered', Key: { pk: { S: `p${i % 6}` }, sk: { N: '0' } }, ReturnConsumedCapacity: 'TOTAL' }));
      reported += got.ConsumedCapacity!.CapacityUnits!;
    }
    const view = await meteredView(t.endpoint);
    const door = view.frontDoors.find((d) => d.thread === 1)!;
    assert.ok(door.tid === null || door.tid > 0);
    assert.ok((door.answered ?? 0) > 0, `the door thread answered some of the reads (${JSON.stringify(view.frontDoors)})`);
    assert.equal(reported, reads * 0.5);
    assert.equal(readUnitsOf(view, 'metered').consumed, reads * 0.5, 'every read, on whichever thread, was charged once on the one set of meters');

    // One read unit a second per partition, no burst: most reads are refused, on either thread.
    await client.send(new UpdateTableCommand({ TableName: 'metered', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 100 } }));
    let admitted = 0;
    let refused = 0;
    const answeredBefore = t.server.frontDoorCounts()[0].answered;
    for (let i = 0; i < 80; i++) {
      try {
        await client.send(new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'p1' }, sk: { N: '0' } } }));
        admitted++;
      } catch (err) {
        assert.equal((err as Error).name, 'ProvisionedThroughputExceededException');
        refused++;
      }
    }
    const after = readUnitsOf(await meteredView(t.endpoint), 'metered');
    assert.ok(refused > 0, 'reads over the rate are throttled');
    assert.equal(after.throttled, refused, 'each refusal counted once on the shared meters');
    assert.equal(after.consumed, reads * 0.5 + admitted * 0.5, 'each admitted read charged once');
    assert.ok(t.server.frontDoorCounts()[0].answered >= answeredBefore);
  } finally {
    client.destroy();
    await t.stop();
  }
});

test('a long Query or Scan page (read in steps) is answered on the door thread too, as the leader answers it, and charged once', async () => {
  const t = await startTwoDoors();
  const client = connectionPerRequest(t.endpoint);
  try {
    await client.send(new CreateTableCommand({ TableName: 'long_pages', ...keySchema, BillingMode: 'PAY_PER_REQUEST' }));
    // About 200 KB in one partition key: several steps of 64 KB.
    const filler = 'x'.repeat(1000);
    for (let i = 0; i < 200; i++) await client.send(new PutItemCommand({ TableName: 'long_pages', Item: { pk: { S: 'long' }, sk: { N: String(i) }, filler: { S: filler } } }));
    const keyCondition = { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'long' } } };
    const leaderQuery = await client.send(new QueryCommand({ TableName: 'long_pages', ...keyCondition, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
    const leaderScan = await client.send(new ScanCommand({ TableName: 'long_pages', ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
    assert.equal(leaderQuery.Count, 200);
    assert.equal(leaderScan.Count, 200);
    const answeredBefore = t.server.frontDoorCounts()[0].answered;
    for (let n = 0; n < 30; n++) {
      const query = await client.send(new QueryCommand({ TableName: 'long_pages', ...keyCondition, ReturnConsumedCapacity: 'TOTAL' }));
      assert.deepEqual(query.Items, leaderQuery.Items, `query ${n}: the leader's page`);
      assert.equal(query.LastEvaluatedKey, undefined);
      // An eventually consistent read of the same bytes costs half.
      assert.equal(query.ConsumedCapacity?.CapacityUnits, leaderQuery.ConsumedCapacity!.CapacityUnits! / 2);
      const scan = await client.send(new ScanCommand({ TableName: 'long_pages', ReturnConsumedCapacity: 'TOTAL' }));
      assert.deepEqual(scan.Items, leaderScan.Items, `scan ${n}: the leader's page`);
      assert.equal(scan.ConsumedCapacity?.CapacityUnits, leaderScan.ConsumedCapacity!.CapacityUnits! / 2);
    }
    assert.ok(t.server.frontDoorCounts()[0].answered > answeredBefore, 'the door thread answered long pages itself');
  } finally {
    client.destroy();
    await t.stop();
  }
});
