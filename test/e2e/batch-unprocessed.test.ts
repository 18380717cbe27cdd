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
