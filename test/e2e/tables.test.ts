// Table lifecycle through the AWS SDK against a real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DeleteTableCommand,
  ListTablesCommand,
  PutItemCommand,
  GetItemCommand,
  paginateListTables,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

async function expectError(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

test('CreateTable returns the description and DescribeTable finds the table', async () => {
  const created = await s.client.send(
    new CreateTableCommand({
      TableName: 'Users',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const d = created.TableDescription!;
  assert.equal(d.TableName, 'Users');
  assert.equal(d.TableStatus, 'ACTIVE');
  assert.deepEqual(d.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
  assert.equal(d.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.match(d.TableArn!, /^arn:aws:dynamodb:us-east-1:\d{12}:table\/Users$/);
  assert.ok(d.CreationDateTime instanceof Date);

  const described = await s.client.send(new DescribeTableCommand({ TableName: 'Users' }));
  assert.equal(described.Table?.TableName, 'Users');
  assert.equal(described.Table?.TableStatus, 'ACTIVE');
});

test('CreateTable with PROVISIONED throughput reports it', async () => {
  const created = await s.client.send(
    new CreateTableCommand({
      TableName: 'Orders',
      KeySchema: [
        { AttributeName: 'customer', KeyType: 'HASH' },
        { AttributeName: 'placed', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'customer', AttributeType: 'S' },
        { AttributeName: 'placed', AttributeType: 'N' },
      ],
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 7 },
    }),
  );
  assert.equal(created.TableDescription?.ProvisionedThroughput?.ReadCapacityUnits, 5);
  assert.equal(created.TableDescription?.ProvisionedThroughput?.WriteCapacityUnits, 7);
});

test('CreateTable of an existing table is ResourceInUseException', async () => {
  await expectError(
    s.client.send(
      new CreateTableCommand({
        TableName: 'Users',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    ),
    'ResourceInUseException',
    'Table already exists: Users',
  );
});

test('CreateTable validates its input as DynamoDB does', async () => {
  const base = {
    TableName: 'Bad',
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
  const cases: Array<[Record<string, unknown>, string | RegExp]> = [
    [{ TableName: 'ab' }, "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"],
    [{ TableName: 'bad name!' }, /Member must satisfy regular expression pattern: \[a-zA-Z0-9_.-\]\+/],
    [{ KeySchema: [] }, /Member must have length greater than or equal to 1/],
    [{ AttributeDefinitions: [{ AttributeName: 'other', AttributeType: 'S' }] }, 'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]'],
    [{ KeySchema: [{ AttributeName: 'id', KeyType: 'RANGE' }] }, 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type'],
    [{ AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'x', AttributeType: 'S' }] }, 'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions'],
    [{ BillingMode: 'PROVISIONED' }, 'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED'],
    [{ ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }, 'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST'],
    [{ AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'X' }] }, /Member must satisfy enum value set: \[S, N, B\]/],
  ];
  for (const [change, message] of cases) {
    await expectError(s.client.send(new CreateTableCommand({ ...base, ...change } as never)), 'ValidationException', message);
  }
});

test('ListTables pages with Limit and ExclusiveStartTableName', async () => {
  for (const name of ['t-a', 't-b', 't-c']) {
    await s.client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  const first = await s.client.send(new ListTablesCommand({ Limit: 2 }));
  assert.deepEqual(first.TableNames, ['Orders', 'Users']);
  assert.equal(first.LastEvaluatedTableName, 'Users');
  const second = await s.client.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: 'Users' }));
  assert.deepEqual(second.TableNames, ['t-a', 't-b']);
  const all: string[] = [];
  for await (const page of paginateListTables({ client: s.client, pageSize: 2 }, {})) all.push(...(page.TableNames ?? []));
  assert.deepEqual(all, ['Orders', 'Users', 't-a', 't-b', 't-c']);
  await expectError(s.client.send(new ListTablesCommand({ Limit: 101 })), 'ValidationException', /Member must have value less than or equal to 100/);
});

test('DeleteTable removes the table and its items; a missing table is ResourceNotFoundException', async () => {
  await s.client.send(new PutItemCommand({ TableName: 't-c', Item: { id: { S: 'x' } } }));
  const deleted = await s.client.send(new DeleteTableCommand({ TableName: 't-c' }));
  assert.equal(deleted.TableDescription?.TableStatus, 'DELETING');
  await expectError(s.client.send(new DescribeTableCommand({ TableName: 't-c' })), 'ResourceNotFoundException', 'Requested resource not found: Table: t-c not found');
  await expectError(s.client.send(new DeleteTableCommand({ TableName: 't-c' })), 'ResourceNotFoundException', 'Requested resource not found: Table: t-c not found');
  await expectError(s.client.send(new GetItemCommand({ TableName: 't-c', Key: { id: { S: 'x' } } })), 'ResourceNotFoundException', 'Requested resource not found');
  // Re-created, it starts empty.
  await s.client.send(
    new CreateTableCommand({
      TableName: 't-c',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const got = await s.client.send(new GetItemCommand({ TableName: 't-c', Key: { id: { S: 'x' } }, ConsistentRead: true }));
  assert.equal(got.Item, undefined);
});

test('DescribeTable reports the item count and size, and explains the replication model', async () => {
  await s.client.send(
    new CreateTableCommand({ TableName: 'counted', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
  );
  for (let i = 0; i < 25; i++) await s.client.send(new PutItemCommand({ TableName: 'counted', Item: { id: { S: `i${i}` }, pad: { S: 'x'.repeat(100) } } }));
  const described = await s.client.send(new DescribeTableCommand({ TableName: 'counted' }));
  assert.equal(described.Table?.ItemCount, 25);
  assert.ok((described.Table?.TableSizeBytes ?? 0) > 0);
  const res = await fetch(s.endpoint + '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.DescribeTable' },
    body: JSON.stringify({ TableName: 'counted' }),
  });
  const body = (await res.json()) as { Table: { MonodyneReplication: { ReplicasPerPartition: number; WriteQuorum: number; Model: string; Partitions: Array<{ Replicas: number[] }> } } };
  const replication = body.Table.MonodyneReplication;
  assert.equal(replication.ReplicasPerPartition, 3);
  assert.equal(replication.WriteQuorum, 2);
  assert.match(replication.Model, /leader and at least one follower/);
  for (const p of replication.Partitions) assert.equal(new Set(p.Replicas).size, 3);
});
