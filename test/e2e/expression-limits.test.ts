// Expressions at and past DynamoDB's limits, through a real server: document paths of at most
// 32 levels, at most 300 operators in a condition, and conditions nested thousands deep within
// the 4 KB limit, each refused with DynamoDB's ValidationException and never a 500 or a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { expressionBytesMax } from '../../src/limits.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'exprs',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(new PutItemCommand({ TableName: 'exprs', Item: { pk: { S: 'k' }, a: { N: '1' }, b: { N: '2' } } }));
});
after(async () => {
  await s.stop();
});

function refused(message: string) {
  return (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, 'ValidationException', err.message);
    assert.equal(err.message, message);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    return true;
  };
}

const key = { pk: { S: 'k' } };
const within4KB = (text: string) => {
  assert.ok(Buffer.byteLength(text) <= expressionBytesMax, `${text.length} bytes`);
  return text;
};

test('a document path has at most 32 levels, in every kind of expression', async () => {
  const got = await s.client.send(new GetItemCommand({ TableName: 'exprs', Key: key, ProjectionExpression: 'a' + '.b'.repeat(31) }));
  assert.deepEqual(got.Item, {});
  await assert.rejects(
    s.client.send(new GetItemCommand({ TableName: 'exprs', Key: key, ProjectionExpression: 'a' + '.b'.repeat(32) })),
    refused('Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33'),
  );
  await assert.rejects(
    s.client.send(new UpdateItemCommand({ TableName: 'exprs', Key: key, UpdateExpression: within4KB('SET a' + '[0]'.repeat(1300) + ' = :v'), ExpressionAttributeValues: { ':v': { N: '1' } } })),
    refused('Invalid UpdateExpression: The document path has too many nesting levels; nesting levels: 1301'),
  );
  await assert.rejects(
    s.client.send(new ScanCommand({ TableName: 'exprs', FilterExpression: within4KB('#a' + '.#a'.repeat(1300) + ' = :v'), ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':v': { N: '1' } } })),
    refused('Invalid FilterExpression: The document path has too many nesting levels; nesting levels: 1301'),
  );
});

test('a condition has at most 300 operators', async () => {
  const update = (condition: string) =>
    s.client.send(new UpdateItemCommand({ TableName: 'exprs', Key: key, UpdateExpression: 'SET z = :z', ConditionExpression: within4KB(condition), ExpressionAttributeValues: { ':z': { N: '1' } } }));
  await update('a<b' + ' OR (a<b'.repeat(149) + ')'.repeat(149));
  await assert.rejects(update('a<b' + ' OR (a<b'.repeat(454) + ')'.repeat(454)), refused('Invalid ConditionExpression: The expression contains too many operators; operator count: 909'));
  await assert.rejects(update('NOT '.repeat(1000) + 'a<b'), refused('Invalid ConditionExpression: The expression contains too many operators; operator count: 1001'));
});

test('conditions nested thousands deep get DynamoDB\'s error, not a stack overflow', async () => {
  const condition = (text: string) =>
    s.client.send(new UpdateItemCommand({ TableName: 'exprs', Key: key, UpdateExpression: 'SET z = :z', ConditionExpression: within4KB(text), ExpressionAttributeValues: { ':z': { N: '1' } } }));
  await assert.rejects(condition('('.repeat(2046) + 'a<b' + ')'.repeat(2046)), refused('Invalid ConditionExpression: The expression has redundant parentheses;'));
  await assert.rejects(condition('a < ' + 'f('.repeat(1355) + 'b' + ')'.repeat(1355)), refused('Invalid ConditionExpression: Invalid function name; function: f'));
  // The server is still answering.
  const got = await s.client.send(new GetItemCommand({ TableName: 'exprs', Key: key, ConsistentRead: true }));
  assert.equal(got.Item?.z?.N, '1');
});
