// Attribute name sizes through a real server: non-key names (at any nesting level) are 1 to
// 65,535 UTF-8 bytes, key attribute names at most 255, with DynamoDB's messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'names',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
after(async () => {
  await s.stop();
});

const longest = 'n'.repeat(65535);
const tooLong = 'n'.repeat(65536);
/** 65,536 UTF-8 bytes in 32,768 characters: the bound is on bytes. */
const tooLongMultibyte = 'é'.repeat(32768);
const tooLargeMessage = '1 validation error detected: Attribute name is too large, must be less than 65536 bytes';

function refused(message: string) {
  return (err: Error) => {
    assert.equal(err.name, 'ValidationException');
    assert.equal(err.message, message);
    return true;
  };
}

test('PutItem accepts a 65,535-byte attribute name and refuses longer and empty ones', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'names', Item: { pk: { S: 'p1' }, [longest]: { S: 'x' }, doc: { M: { [longest]: { N: '1' } } } } }));
  const got = await s.client.send(new GetItemCommand({ TableName: 'names', Key: { pk: { S: 'p1' } }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { pk: { S: 'p1' }, [longest]: { S: 'x' }, doc: { M: { [longest]: { N: '1' } } } });

  for (const name of [tooLong, tooLongMultibyte]) {
    await assert.rejects(s.client.send(new PutItemCommand({ TableName: 'names', Item: { pk: { S: 'p2' }, [name]: { S: 'x' } } })), refused(tooLargeMessage));
  }
  await assert.rejects(s.client.send(new PutItemCommand({ TableName: 'names', Item: { pk: { S: 'p2' }, doc: { M: { [tooLong]: { S: 'x' } } } } })), refused(tooLargeMessage));
  await assert.rejects(s.client.send(new PutItemCommand({ TableName: 'names', Item: { pk: { S: 'p2' }, '': { S: 'x' } } })), refused('One or more parameter values were invalid: Empty attribute name'));
  const after = await s.client.send(new GetItemCommand({ TableName: 'names', Key: { pk: { S: 'p2' } }, ConsistentRead: true }));
  assert.equal(after.Item, undefined);
});

test('UpdateItem accepts a 65,535-byte attribute name and refuses longer and empty ones', async () => {
  const set = (name: string, value = { S: 'x' } as Record<string, unknown>) =>
    s.client.send(new UpdateItemCommand({ TableName: 'names', Key: { pk: { S: 'u1' } }, UpdateExpression: 'SET #n = :v', ExpressionAttributeNames: { '#n': name }, ExpressionAttributeValues: { ':v': value as never } }));
  await set(longest);
  const got = await s.client.send(new GetItemCommand({ TableName: 'names', Key: { pk: { S: 'u1' } }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { pk: { S: 'u1' }, [longest]: { S: 'x' } });

  await assert.rejects(set(tooLong), refused(tooLargeMessage));
  await assert.rejects(set(tooLongMultibyte), refused(tooLargeMessage));
  await assert.rejects(set('doc', { M: { [tooLong]: { S: 'x' } } }), refused(tooLargeMessage));
  await assert.rejects(set(''), refused('ExpressionAttributeNames contains invalid value: Empty attribute name for key #n'));
  const after = await s.client.send(new GetItemCommand({ TableName: 'names', Key: { pk: { S: 'u1' } }, ConsistentRead: true }));
  assert.deepEqual(after.Item, { pk: { S: 'u1' }, [longest]: { S: 'x' } });
});

test('key attribute names are at most 255 bytes', async () => {
  const table = (name: string) =>
    s.client.send(
      new CreateTableCommand({
        TableName: `keys${name.length}`,
        KeySchema: [{ AttributeName: name, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: name, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  await table('k'.repeat(255));
  await assert.rejects(table('k'.repeat(256)), { name: 'ValidationException' });
});
