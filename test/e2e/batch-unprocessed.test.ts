// Batch requests that partly fail with a retryable error, through a real server: a table
// provisioned at 1 unit per second throttles all but the first request of a batch, and the
// rest come back as UnprocessedItems / UnprocessedKeys in their request form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, BatchWriteItemCommand, BatchGetItemCommand, PutItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.tables.initialPartitions = 1;
    c.capacity.burstSeconds = 0;
    c.capacity.adaptive = false;
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'tiny',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    }),
  );
});
after(async () => {
  await s.stop();
});

const second = () => new Promise((r) => setTimeout(r, 1100));

test('throttled writes come back in UnprocessedItems, in request form, and a retry writes them', async () => {
  const raw = clientFor(s.endpoint, 1);
  try {
    await second();
    const requests: WriteRequest[] = [
      { PutRequest: { Item: { id: { S: 'a' }, n: { N: '01' } } } },
      { PutRequest: { Item: { id: { S: 'b' } } } },
      { DeleteRequest: { Key: { id: { S: 'c' } } } },
    ];
    const out = await raw.send(new BatchWriteItemCommand({ RequestItems: { tiny: requests } }));
    const unprocessed = out.UnprocessedItems?.tiny ?? [];
    assert.ok(unprocessed.length >= 1 && unprocessed.length <= 2, `${unprocessed.length} unprocessed`);
    // The throttled requests in their request form (numbers normalized, as DynamoDB stores them).
    const asSent = [
      { PutRequest: { Item: { id: { S: 'a' }, n: { N: '1' } } } },
      { PutRequest: { Item: { id: { S: 'b' } } } },
      { DeleteRequest: { Key: { id: { S: 'c' } } } },
    ].map((r) => JSON.stringify(r));
    for (const r of unprocessed) assert.ok(asSent.includes(JSON.stringify(r)), `unexpected ${JSON.stringify(r)}`);
    let pending = out.UnprocessedItems;
    for (let attempt = 0; pending && Object.keys(pending).length > 0 && attempt < 20; attempt++) {
      await second();
      pending = (await raw.send(new BatchWriteItemCommand({ RequestItems: pending }))).UnprocessedItems;
    }
    assert.deepEqual(pending, {});
  } finally {
    raw.destroy();
  }
});

test('throttled reads come back in UnprocessedKeys with the table’s parameters; nothing read at all is the error itself', async () => {
  const raw = clientFor(s.endpoint, 1);
  try {
    await second();
    await raw.send(new PutItemCommand({ TableName: 'tiny', Item: { id: { S: 'x' }, v: { N: '1' } } }));
    await second();
    const spec = { Keys: [{ id: { S: 'x' } }, { id: { S: 'y' } }, { id: { S: 'z' } }], ConsistentRead: true, ProjectionExpression: '#v', ExpressionAttributeNames: { '#v': 'v' } };
    const out = await raw.send(new BatchGetItemCommand({ RequestItems: { tiny: spec } }));
    const pending = out.UnprocessedKeys?.tiny;
    assert.ok(pending, 'some keys were throttled');
    assert.equal(pending!.ConsistentRead, true);
    assert.equal(pending!.ProjectionExpression, '#v');
    assert.deepEqual(pending!.ExpressionAttributeNames, { '#v': 'v' });
    assert.ok(pending!.Keys!.length >= 1 && pending!.Keys!.length <= 3);
    // With the bucket empty, a batch of which nothing can be read fails as a whole, retryably.
    await assert.rejects(raw.send(new BatchGetItemCommand({ RequestItems: { tiny: spec } })), { name: 'ProvisionedThroughputExceededException' });
  } finally {
    raw.destroy();
  }
});

// A fresh PAY_PER_REQUEST table holds each of its 4 partitions to its ceiling (1000 WCU and 3000
// RCU per second by default): a batch of items near 400 KB costs far more than that, so only some
// of them can be admitted, however concurrently they are sent.
test('a batch of large puts to a fresh on-demand table writes what its partition admits and returns the rest in UnprocessedItems', async () => {
  const raw = clientFor(s.endpoint, 1);
  try {
    await s.client.send(
      new CreateTableCommand({
        TableName: 'ondemand',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const big = 'x'.repeat(390_000);
    const ids = Array.from({ length: 25 }, (_, i) => `big${i}`);
    const out = await raw.send(new BatchWriteItemCommand({ RequestItems: { ondemand: ids.map((id) => ({ PutRequest: { Item: { id: { S: id }, data: { S: big } } } })) } }));
    const unprocessed = (out.UnprocessedItems?.ondemand ?? []).map((r) => r.PutRequest!.Item!.id.S!);
    assert.ok(unprocessed.length > 0 && unprocessed.length < ids.length, `${unprocessed.length} of ${ids.length} unprocessed`);
    for (const r of out.UnprocessedItems!.ondemand!) assert.equal(r.PutRequest!.Item!.data.S, big);

    // Reading them back costs about 2,400 RCU, within what a fresh on-demand table takes (12,000 a
    // second over its 4 partitions, as DynamoDB's): every key is read, exactly what was written.
    // (Reads over a partition's ceiling come back in UnprocessedKeys: the test of 'tiny' above.)
    const keys = [...ids, ...Array.from({ length: 15 }, (_, i) => `other${i}`)].map((id) => ({ id: { S: id } }));
    const read = await raw.send(new BatchGetItemCommand({ RequestItems: { ondemand: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'id' } } }));
    assert.deepEqual(read.UnprocessedKeys ?? {}, {});
    const found = (read.Responses?.ondemand ?? []).map((item) => item.id.S!);
    assert.deepEqual(found.sort(), ids.filter((id) => !unprocessed.includes(id)).sort());
  } finally {
    raw.destroy();
  }
});
