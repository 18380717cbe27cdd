// Capacity through the AWS SDK: ReturnConsumedCapacity on every data-plane operation with
// DynamoDB's arithmetic, throttling of a provisioned table at its rate, UpdateTable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  PutItemCommand,
  GetItemCommand,
  UpdateItemCommand,
  DeleteItemCommand,
  QueryCommand,
  ScanCommand,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  UpdateTableCommand,
  DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.capacity.burstSeconds = 0; // one second of burst: throttling shows at once
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'metered',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
after(async () => {
  await s.stop();
});

test('ReturnConsumedCapacity TOTAL and INDEXES on every data-plane operation', async () => {
  const big = 'x'.repeat(5000); // a ~5 KB item: 5 WCU to write, 2 RCU to read consistently
  const put = await s.client.send(new PutItemCommand({ TableName: 'metered', Item: { pk: { S: 'a' }, sk: { N: '1' }, big: { S: big } }, ReturnConsumedCapacity: 'TOTAL' }));
  assert.deepEqual(put.ConsumedCapacity, { TableName: 'metered', CapacityUnits: 5, WriteCapacityUnits: 5 });
  const get = await s.client.send(new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'a' }, sk: { N: '1' } }, ConsistentRead: true, ReturnConsumedCapacity: 'INDEXES' }));
  assert.deepEqual(get.ConsumedCapacity, { TableName: 'metered', CapacityUnits: 2, ReadCapacityUnits: 2, Table: { CapacityUnits: 2, ReadCapacityUnits: 2 } });
  const eventual = await s.client.send(new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'a' }, sk: { N: '1' } }, ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(eventual.ConsumedCapacity?.CapacityUnits, 1);
  const missing = await s.client.send(new GetItemCommand({ TableName: 'metered', Key: { pk: { S: 'none' }, sk: { N: '1' } }, ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(missing.ConsumedCapacity?.CapacityUnits, 0.5);
  // An update is charged on the larger of the old and new item.
  const update = await s.client.send(new UpdateItemCommand({ TableName: 'metered', Key: { pk: { S: 'a' }, sk: { N: '1' } }, UpdateExpression: 'REMOVE big', ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(update.ConsumedCapacity?.CapacityUnits, 5);
  const none = await s.client.send(new PutItemCommand({ TableName: 'metered', Item: { pk: { S: 'b' }, sk: { N: '1' } } }));
  assert.equal(none.ConsumedCapacity, undefined);
  for (let i = 2; i <= 10; i++) await s.client.send(new PutItemCommand({ TableName: 'metered', Item: { pk: { S: 'a' }, sk: { N: String(i) }, pad: { S: 'y'.repeat(1000) } } }));
  const q = await s.client.send(new QueryCommand({ TableName: 'metered', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'a' } }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(q.Count, 10);
  assert.equal(q.ConsumedCapacity?.CapacityUnits, 3); // ~9 KB read in 4 KB units
  const scan = await s.client.send(new ScanCommand({ TableName: 'metered', ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(scan.ConsumedCapacity?.CapacityUnits, 1.5);
  const del = await s.client.send(new DeleteItemCommand({ TableName: 'metered', Key: { pk: { S: 'b' }, sk: { N: '1' } }, ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(del.ConsumedCapacity?.CapacityUnits, 1);
  const bw = await s.client.send(
    new BatchWriteItemCommand({
      RequestItems: { metered: [{ PutRequest: { Item: { pk: { S: 'c' }, sk: { N: '1' } } } }, { PutRequest: { Item: { pk: { S: 'c' }, sk: { N: '2' }, big: { S: big } } } }] },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  assert.deepEqual(bw.ConsumedCapacity, [{ TableName: 'metered', CapacityUnits: 6, WriteCapacityUnits: 6 }]);
  const bg = await s.client.send(
    new BatchGetItemCommand({ RequestItems: { metered: { Keys: [{ pk: { S: 'c' }, sk: { N: '1' } }, { pk: { S: 'c' }, sk: { N: '2' } }], ConsistentRead: true } }, ReturnConsumedCapacity: 'TOTAL' }),
  );
  assert.deepEqual(bg.ConsumedCapacity, [{ TableName: 'metered', CapacityUnits: 3, ReadCapacityUnits: 3 }]);
});

test('a provisioned table is throttled at its rate with ProvisionedThroughputExceededException; UpdateTable lifts it', async () => {
  await s.client.send(
    new CreateTableCommand({
      TableName: 'slow',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 3 },
    }),
  );
  const raw = clientFor(s.endpoint, 1);
  try {
    let throttled = 0;
    let ok = 0;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        raw.send(new PutItemCommand({ TableName: 'slow', Item: { pk: { S: `k${i}` } } })).then(
          () => ok++,
          (err: Error) => {
            assert.equal(err.name, 'ProvisionedThroughputExceededException');
            assert.match(err.message, /configured provisioned throughput for the table was exceeded/);
            throttled++;
          },
        ),
      ),
    );
    assert.ok(throttled > 0, 'some writes were throttled');
    assert.ok(ok >= 3 && ok <= 12, `${ok} writes admitted at 3 WCU (plus adaptive borrowing)`);
    const updated = await s.client.send(new UpdateTableCommand({ TableName: 'slow', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 1000 } }));
    assert.equal(updated.TableDescription?.ProvisionedThroughput?.WriteCapacityUnits, 1000);
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 40; i++) await raw.send(new PutItemCommand({ TableName: 'slow', Item: { pk: { S: `again${i}` } } }));
    const onDemand = await s.client.send(new UpdateTableCommand({ TableName: 'slow', BillingMode: 'PAY_PER_REQUEST' }));
    assert.equal(onDemand.TableDescription?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    const described = await s.client.send(new DescribeTableCommand({ TableName: 'slow' }));
    assert.equal(described.Table?.ProvisionedThroughput?.WriteCapacityUnits, 0);
    await assert.rejects(s.client.send(new UpdateTableCommand({ TableName: 'slow' })), /At least one of ProvisionedThroughput, BillingMode/);
    await assert.rejects(s.client.send(new UpdateTableCommand({ TableName: 'slow', BillingMode: 'PROVISIONED' })), /ReadCapacityUnits and WriteCapacityUnits must both be specified/);
    await assert.rejects(s.client.send(new UpdateTableCommand({ TableName: 'nope', BillingMode: 'PAY_PER_REQUEST' })), { name: 'ResourceNotFoundException' });
  } finally {
    raw.destroy();
  }
});

test('GET /_monodyne/partitions shows each partition’s size, consumed and available capacity and throttles', async () => {
  const view = (await (await fetch(`${s.endpoint}/_monodyne/partitions`)).json()) as {
    tables: Array<{ tableName: string; partitions: Array<{ sizeBytes: number; items: number; capacity: { write: { consumedUnitsTotal: number; throttledRequests: number; provisionedUnitsPerSecond: number | null; ceilingUnitsPerSecond: number } } }> }>;
  };
  const slow = view.tables.find((t) => t.tableName === 'slow')!;
  const throttles = slow.partitions.reduce((n, p) => n + p.capacity.write.throttledRequests, 0);
  assert.ok(throttles > 0);
  const metered = view.tables.find((t) => t.tableName === 'metered')!;
  assert.ok(metered.partitions.some((p) => p.capacity.write.consumedUnitsTotal > 0 && p.sizeBytes > 0 && p.items > 0));
  assert.equal(metered.partitions[0].capacity.write.ceilingUnitsPerSecond, 1000);
});
