// PutItem, GetItem and DeleteItem through the AWS SDK (low-level and document clients).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, GetItemCommand, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'items',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(
    new CreateTableCommand({
      TableName: 'composite',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'N' },
        { AttributeName: 'sk', AttributeType: 'B' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
after(async () => {
  await s.stop();
});

async function expectValidation(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, 'ValidationException', `${err.name}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('an item of every type round-trips, numbers canonicalized', async () => {
  const item = {
    pk: { S: 'all-types' },
    s: { S: 'héllo ✓' },
    empty: { S: '' },
    n: { N: '001.500' },
    b: { B: new Uint8Array([0, 1, 2, 255]) },
    t: { BOOL: true },
    nul: { NULL: true },
    ss: { SS: ['a', 'b'] },
    ns: { NS: ['1', '2.50'] },
    bs: { BS: [new Uint8Array([1]), new Uint8Array([2])] },
    l: { L: [{ S: 'x' }, { N: '1e3' }, { M: { deep: { L: [] } } }] },
    m: { M: { a: { S: 'b' }, c: { M: {} } } },
  };
  await s.client.send(new PutItemCommand({ TableName: 'items', Item: item }));
  for (const consistent of [true, false]) {
    const got = await s.client.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'all-types' } }, ConsistentRead: consistent }));
    assert.deepEqual(got.Item, {
      ...item,
      n: { N: '1.5' },
      ns: { NS: ['1', '2.5'] },
      l: { L: [{ S: 'x' }, { N: '1000' }, { M: { deep: { L: [] } } }] },
    });
  }
});

test('GetItem of a missing item returns no Item', async () => {
  const got = await s.client.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'missing' } } }));
  assert.equal(got.Item, undefined);
});

test('PutItem replaces the whole item and ReturnValues ALL_OLD returns the old one', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'r' }, v: { N: '1' }, gone: { S: 'x' } } }));
  const put = await s.client.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'r' }, v: { N: '2' } }, ReturnValues: 'ALL_OLD' }));
  assert.deepEqual(put.Attributes, { pk: { S: 'r' }, v: { N: '1' }, gone: { S: 'x' } });
  const got = await s.client.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'r' } }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { pk: { S: 'r' }, v: { N: '2' } });
  const fresh = await s.client.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'fresh' } }, ReturnValues: 'ALL_OLD' }));
  assert.equal(fresh.Attributes, undefined);
});

test('DeleteItem removes the item and can return it', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'd' }, a: { S: '1' } } }));
  const del = await s.client.send(new DeleteItemCommand({ TableName: 'items', Key: { pk: { S: 'd' } }, ReturnValues: 'ALL_OLD' }));
  assert.deepEqual(del.Attributes, { pk: { S: 'd' }, a: { S: '1' } });
  const got = await s.client.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'd' } }, ConsistentRead: true }));
  assert.equal(got.Item, undefined);
  const again = await s.client.send(new DeleteItemCommand({ TableName: 'items', Key: { pk: { S: 'd' } }, ReturnValues: 'ALL_OLD' }));
  assert.equal(again.Attributes, undefined);
});

test('composite N/B keys: equal numbers address the same item', async () => {
  const sk = new Uint8Array([9, 8, 7]);
  await s.client.send(new PutItemCommand({ TableName: 'composite', Item: { pk: { N: '10' }, sk: { B: sk }, v: { S: 'first' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'composite', Item: { pk: { N: '1e1' }, sk: { B: sk }, v: { S: 'second' } } }));
  const got = await s.client.send(new GetItemCommand({ TableName: 'composite', Key: { pk: { N: '10.0' }, sk: { B: sk } }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { pk: { N: '10' }, sk: { B: sk }, v: { S: 'second' } });
});

test('the document client works unchanged', async () => {
  await s.doc.send(new PutCommand({ TableName: 'items', Item: { pk: 'doc', list: [1, 'two', { three: 3 }], set: new Set(['a']) } }));
  const got = await s.doc.send(new GetCommand({ TableName: 'items', Key: { pk: 'doc' }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { pk: 'doc', list: [1, 'two', { three: 3 }], set: new Set(['a']) });
});

test('keys and items are validated with DynamoDB messages', async () => {
  const t = 'items';
  await expectValidation(s.client.send(new GetItemCommand({ TableName: t, Key: { other: { S: 'x' } } })), 'The provided key element does not match the schema');
  await expectValidation(s.client.send(new GetItemCommand({ TableName: t, Key: { pk: { N: '1' } } })), 'The provided key element does not match the schema');
  await expectValidation(s.client.send(new GetItemCommand({ TableName: t, Key: { pk: { S: 'x' }, extra: { S: 'y' } } })), 'The provided key element does not match the schema');
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { nopk: { S: 'x' } } })), 'One or more parameter values were invalid: Missing the key pk in the item');
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { N: '1' } } })), 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N');
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { S: '' } } })), /empty string value/);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { S: 'x' }, big: { S: 'x'.repeat(400 * 1024) } } })), 'Item size has exceeded the maximum allowed size');
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { S: 'x' }, n: { N: 'abc' } } })), /numeric value/);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { S: 'x' }, ss: { SS: [] } } })), /set\s+may not be empty|empty set/);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { S: 'x' }, ss: { SS: ['a', 'a'] } } })), /duplicates/);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: t, Item: { pk: { S: 'x' } }, ReturnValues: 'ALL_NEW' })), 'ReturnValues can only be ALL_OLD or NONE');
  await assert.rejects(s.client.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'x' } } })), { name: 'ResourceNotFoundException', message: 'Requested resource not found' });
});
