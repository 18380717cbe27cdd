// UpdateItem, ConditionExpression on every write, ReturnValues and
// ReturnValuesOnConditionCheckFailure, through the AWS SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, GetItemCommand, DeleteItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'things',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
after(async () => {
  await s.stop();
});

async function get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
}

async function expectConditionFailed(promise: Promise<unknown>, item?: Record<string, AttributeValue>): Promise<void> {
  await assert.rejects(promise, (err: Error & { Item?: Record<string, AttributeValue> }) => {
    assert.equal(err.name, 'ConditionalCheckFailedException', err.message);
    assert.equal(err.message, 'The conditional request failed');
    assert.deepEqual(err.Item, item);
    return true;
  });
}

test('UpdateItem creates the item when absent and applies SET/REMOVE/ADD/DELETE', async () => {
  const created = await s.client.send(
    new UpdateItemCommand({
      TableName: 'things',
      Key: { pk: { S: 'u1' } },
      UpdateExpression: 'SET #c = if_not_exists(#c, :zero) + :one, tags = :tags ADD visits :one, colors :red',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':tags': { L: [{ S: 'a' }] }, ':red': { SS: ['red', 'blue'] } },
      ReturnValues: 'ALL_NEW',
    }),
  );
  assert.deepEqual(created.Attributes, { pk: { S: 'u1' }, count: { N: '1' }, tags: { L: [{ S: 'a' }] }, visits: { N: '1' }, colors: { SS: ['red', 'blue'] } });
  const second = await s.client.send(
    new UpdateItemCommand({
      TableName: 'things',
      Key: { pk: { S: 'u1' } },
      UpdateExpression: 'SET #c = #c + :one, tags = list_append(tags, :more) REMOVE visits DELETE colors :red',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':more': { L: [{ S: 'b' }] }, ':red': { SS: ['red'] } },
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  assert.deepEqual(second.Attributes, { count: { N: '1' }, tags: { L: [{ S: 'a' }] }, visits: { N: '1' }, colors: { SS: ['red', 'blue'] } });
  assert.deepEqual(await get('u1'), { pk: { S: 'u1' }, count: { N: '2' }, tags: { L: [{ S: 'a' }, { S: 'b' }] }, colors: { SS: ['blue'] } });
  const updatedNew = await s.client.send(
    new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'u1' } }, UpdateExpression: 'SET nested = :m', ExpressionAttributeValues: { ':m': { M: { a: { N: '1' } } } }, ReturnValues: 'UPDATED_NEW' }),
  );
  assert.deepEqual(updatedNew.Attributes, { nested: { M: { a: { N: '1' } } } });
  const old = await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'u1' } }, UpdateExpression: 'SET nested.b = :v', ExpressionAttributeValues: { ':v': { S: 'x' } }, ReturnValues: 'ALL_OLD' }));
  assert.deepEqual(old.Attributes?.nested, { M: { a: { N: '1' } } });
});

test('UpdateItem without an UpdateExpression creates the key-only item', async () => {
  await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'bare' } } }));
  assert.deepEqual(await get('bare'), { pk: { S: 'bare' } });
});

test('UpdateItem that only REMOVEs or DELETEs from a missing item creates nothing and returns no Attributes', async () => {
  for (const returnValues of ['NONE', 'ALL_NEW', 'ALL_OLD', 'UPDATED_NEW', 'UPDATED_OLD'] as const) {
    const out = await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'takeaway' } }, UpdateExpression: 'REMOVE a, b', ReturnValues: returnValues }));
    assert.equal(out.Attributes, undefined, returnValues);
    assert.equal(await get('takeaway'), undefined, returnValues);
  }
  const deleted = await s.client.send(
    new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'takeaway' } }, UpdateExpression: 'DELETE tags :t REMOVE a', ExpressionAttributeValues: { ':t': { SS: ['x'] } }, ReturnValues: 'ALL_NEW' }),
  );
  assert.equal(deleted.Attributes, undefined);
  assert.equal(await get('takeaway'), undefined);
  // The legacy AttributeUpdates' DELETE is the same: nothing to delete, nothing created.
  await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'takeaway' } }, AttributeUpdates: { a: { Action: 'DELETE' }, tags: { Action: 'DELETE', Value: { SS: ['x'] } } } }));
  assert.equal(await get('takeaway'), undefined);
  // A DELETE of a value that is no set is refused as on an existing item.
  await assert.rejects(
    s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'takeaway' } }, UpdateExpression: 'DELETE tags :t', ExpressionAttributeValues: { ':t': { S: 'x' } } })),
    { name: 'ValidationException' },
  );
  // One action that adds anything still creates the item.
  const created = await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'takeaway' } }, UpdateExpression: 'REMOVE a SET b = :b', ExpressionAttributeValues: { ':b': { N: '1' } }, ReturnValues: 'ALL_NEW' }));
  assert.deepEqual(created.Attributes, { pk: { S: 'takeaway' }, b: { N: '1' } });
});

test('numbers are added exactly, beyond float64', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'exact' }, n: { N: '0.1' }, big: { N: '12345678901234567890123456789012345678' } } }));
  const r = await s.client.send(
    new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'exact' } }, UpdateExpression: 'SET n = n + :p2 ADD big :one', ExpressionAttributeValues: { ':p2': { N: '0.2' }, ':one': { N: '-8' } }, ReturnValues: 'UPDATED_NEW' }),
  );
  assert.deepEqual(r.Attributes, { n: { N: '0.3' }, big: { N: '12345678901234567890123456789012345670' } });
});

test('ConditionExpression guards PutItem, UpdateItem and DeleteItem', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'c' }, v: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' }));
  await expectConditionFailed(s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'c' }, v: { N: '9' } }, ConditionExpression: 'attribute_not_exists(pk)' })));
  await expectConditionFailed(
    s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'c' }, v: { N: '9' } }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
    { pk: { S: 'c' }, v: { N: '1' } },
  );
  await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'c' } }, UpdateExpression: 'SET v = v + :one', ConditionExpression: 'v = :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
  await expectConditionFailed(s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'c' } }, UpdateExpression: 'SET v = :one', ConditionExpression: 'v = :one', ExpressionAttributeValues: { ':one': { N: '1' } } })));
  await expectConditionFailed(s.client.send(new DeleteItemCommand({ TableName: 'things', Key: { pk: { S: 'c' } }, ConditionExpression: 'v > :n', ExpressionAttributeValues: { ':n': { N: '5' } } })));
  assert.deepEqual(await get('c'), { pk: { S: 'c' }, v: { N: '2' } });
  await s.client.send(new DeleteItemCommand({ TableName: 'things', Key: { pk: { S: 'c' } }, ConditionExpression: 'v BETWEEN :a AND :b', ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } } }));
  assert.equal(await get('c'), undefined);
  // A condition on a missing item sees an empty item.
  await expectConditionFailed(s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'absent' } }, UpdateExpression: 'SET a = :a', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':a': { S: 'x' } } })));
  assert.equal(await get('absent'), undefined);
});

test('concurrent conditional increments are atomic: none lost, none doubled', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'ctr' }, n: { N: '0' } } }));
  const workers = 8;
  const perWorker = 25;
  let conflicts = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let done = 0; done < perWorker; ) {
        const cur = (await get('ctr'))!.n.N!;
        try {
          await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'ctr' } }, UpdateExpression: 'SET n = n + :one', ConditionExpression: 'n = :cur', ExpressionAttributeValues: { ':one': { N: '1' }, ':cur': { N: cur } } }));
          done++;
        } catch (err) {
          if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
          conflicts++;
        }
      }
    }),
  );
  assert.equal((await get('ctr'))!.n.N, String(workers * perWorker));
  assert.ok(conflicts >= 0);
});

test('update errors are DynamoDB ValidationExceptions', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'e' }, s: { S: 'text' } } }));
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }, /Cannot update attribute pk. This attribute is part of the key/],
    [{ UpdateExpression: 'ADD s :one', ExpressionAttributeValues: { ':one': { N: '1' } } }, /An operand in the update expression has an incorrect data type/],
    [{ UpdateExpression: 'SET a.b = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }, /The document path provided in the update expression is invalid for update/],
    [{ UpdateExpression: 'SET a = :v, a = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }, /Two document paths overlap/],
    [{ UpdateExpression: 'SET #s = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }, /An expression attribute name used in the document path is not defined; attribute name: #s/],
    [{ UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { S: 'x' }, ':w': { S: 'y' } } }, /unused in expressions: keys: \{:w\}/],
    [{ UpdateExpression: 'SET status = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }, /reserved keyword: status/],
    [{ UpdateExpression: 'SET a = ', ExpressionAttributeValues: { ':v': { S: 'x' } } }, /Syntax error/],
  ];
  for (const [params, message] of cases) {
    await assert.rejects(s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'e' } }, ...params } as never)), (err: Error) => {
      assert.equal(err.name, 'ValidationException', `${err.name}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
  }
  assert.deepEqual(await get('e'), { pk: { S: 'e' }, s: { S: 'text' } });
});

test('the document client UpdateCommand works unchanged', async () => {
  const r = await s.doc.send(new UpdateCommand({ TableName: 'things', Key: { pk: 'doc' }, UpdateExpression: 'SET score = if_not_exists(score, :z) + :d', ExpressionAttributeValues: { ':z': 0, ':d': 5 }, ReturnValues: 'ALL_NEW' }));
  assert.deepEqual(r.Attributes, { pk: 'doc', score: 5 });
});
