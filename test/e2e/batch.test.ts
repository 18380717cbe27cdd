// BatchGetItem and BatchWriteItem through the AWS SDK (low-level and document clients) and raw
// HTTP: round trips across tables, projections, DynamoDB's validation messages, the 25/100
// limits and the 16 MB BatchGetItem response with UnprocessedKeys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  // Durability is not under test here; unsynced commits keep the 30 MB case quick. Nor is
  // throttling: moving 30 MB of 300 KB items in seconds is far above a partition's ceiling.
  s = await startTestServer((config) => {
    config.storage.sync = false;
    config.capacity.partitionReadUnitsMax = 1_000_000;
    config.capacity.partitionWriteUnitsMax = 1_000_000;
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'users',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(
    new CreateTableCommand({
      TableName: 'events',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'ts', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'ts', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});
after(async () => {
  await s.stop();
});

async function expectError(promise: Promise<unknown>, name: string, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, `${err.name}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const expectValidation = (promise: Promise<unknown>, message: string | RegExp) => expectError(promise, 'ValidationException', message);

async function raw(target: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(s.endpoint + '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function expectRawError(target: string, body: unknown, type: string, message: string | RegExp): Promise<void> {
  const res = await raw(target, body);
  assert.equal(res.status, 400, JSON.stringify(res.json));
  assert.equal(res.json.__type, type, JSON.stringify(res.json));
  const text = (res.json.message ?? res.json.Message) as string;
  if (typeof message === 'string') assert.equal(text, message);
  else assert.match(text, message);
}

const validationType = 'com.amazon.coral.validate#ValidationException';
const serializationType = 'com.amazon.coral.service#SerializationException';
const tableNameKeys =
  "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, " +
  'Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]';
const writeRequestsValue =
  'failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, ' +
  'Member must have length greater than or equal to 1]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Round trips

test('BatchWriteItem puts across two tables and BatchGetItem reads them back', async () => {
  const written = await s.doc.send(
    new BatchWriteCommand({
      RequestItems: {
        users: [{ PutRequest: { Item: { id: 'u1', name: 'Ada', tags: new Set(['a', 'b']) } } }, { PutRequest: { Item: { id: 'u2', name: 'Grace', age: 85 } } }],
        events: [
          { PutRequest: { Item: { pk: 'u1', ts: 1, kind: 'login' } } },
          { PutRequest: { Item: { pk: 'u1', ts: 2, kind: 'logout', payload: { nested: [1, 'two', { three: true }] } } } },
        ],
      },
    }),
  );
  assert.deepEqual(written.UnprocessedItems, {});

  for (const consistent of [true, false]) {
    const got = await s.doc.send(
      new BatchGetCommand({
        RequestItems: {
          users: { Keys: [{ id: 'u1' }, { id: 'u2' }, { id: 'missing' }], ConsistentRead: consistent },
          events: { Keys: [{ pk: 'u1', ts: 2 }, { pk: 'u1', ts: 1 }, { pk: 'u1', ts: 3 }], ConsistentRead: consistent },
        },
      }),
    );
    assert.deepEqual(got.UnprocessedKeys, {});
    const users = [...got.Responses!.users].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    assert.deepEqual(users, [
      { id: 'u1', name: 'Ada', tags: new Set(['a', 'b']) },
      { id: 'u2', name: 'Grace', age: 85 },
    ]);
    const events = [...got.Responses!.events].sort((a, b) => Number(a.ts) - Number(b.ts));
    assert.deepEqual(events, [
      { pk: 'u1', ts: 1, kind: 'login' },
      { pk: 'u1', ts: 2, kind: 'logout', payload: { nested: [1, 'two', { three: true }] } },
    ]);
  }
});

test('BatchGetItem answers an empty list for a table none of whose keys exist', async () => {
  const got = await s.client.send(
    new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ id: { S: 'nobody' } }] }, events: { Keys: [{ pk: { S: 'x' }, ts: { N: '1' } }] } } }),
  );
  assert.deepEqual(got.Responses, { users: [], events: [] });
  assert.deepEqual(got.UnprocessedKeys, {});
});

test('BatchWriteItem mixes puts and deletes across tables', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'users', Item: { id: { S: 'gone' }, v: { N: '1' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: 'gone' }, ts: { N: '5' } } }));
  const res = await s.client.send(
    new BatchWriteItemCommand({
      RequestItems: {
        users: [{ DeleteRequest: { Key: { id: { S: 'gone' } } } }, { PutRequest: { Item: { id: { S: 'new' }, n: { N: '001.50' } } } }],
        // The sort key written as 5.0 is the same key as 5.
        events: [{ DeleteRequest: { Key: { pk: { S: 'gone' }, ts: { N: '5.0' } } } }],
      },
      ReturnConsumedCapacity: 'TOTAL',
      ReturnItemCollectionMetrics: 'SIZE',
    }),
  );
  assert.deepEqual(res.UnprocessedItems, {});
  const added = await s.client.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'new' } }, ConsistentRead: true }));
  assert.deepEqual(added.Item, { id: { S: 'new' }, n: { N: '1.5' } });
  // A put replaces the whole item, as PutItem does.
  await s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: { S: 'new' }, other: { BOOL: true } } } }] } }));
  const replaced = await s.client.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'new' } }, ConsistentRead: true }));
  assert.deepEqual(replaced.Item, { id: { S: 'new' }, other: { BOOL: true } });
});

// A plain delete (no condition, ReturnValues NONE) must delete: it once did not (b5f21f7).
test('a DeleteRequest deletes its item', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'users', Item: { id: { S: 'del' }, v: { N: '1' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: 'del' }, ts: { N: '5' } } }));
  const res = await s.client.send(
    new BatchWriteItemCommand({
      RequestItems: { users: [{ DeleteRequest: { Key: { id: { S: 'del' } } } }], events: [{ DeleteRequest: { Key: { pk: { S: 'del' }, ts: { N: '5.0' } } } }] },
    }),
  );
  assert.deepEqual(res.UnprocessedItems, {});
  const gone = await s.client.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'del' } }, ConsistentRead: true }));
  assert.equal(gone.Item, undefined);
  const goneEvent = await s.client.send(new GetItemCommand({ TableName: 'events', Key: { pk: { S: 'del' }, ts: { N: '5' } }, ConsistentRead: true }));
  assert.equal(goneEvent.Item, undefined);
});

test('BatchGetItem applies each table its own ProjectionExpression and ExpressionAttributeNames', async () => {
  await s.doc.send(
    new BatchWriteCommand({
      RequestItems: {
        users: [
          { PutRequest: { Item: { id: 'p1', name: 'Ada', size: 3, address: { city: 'London', zip: 'N1' }, list: ['a', 'b', 'c'] } } },
          { PutRequest: { Item: { id: 'p2', other: 'x' } } },
        ],
        events: [{ PutRequest: { Item: { pk: 'p', ts: 7, kind: 'k', body: 'b' } } }],
      },
    }),
  );
  const got = await s.doc.send(
    new BatchGetCommand({
      RequestItems: {
        users: {
          Keys: [{ id: 'p1' }, { id: 'p2' }],
          ProjectionExpression: 'id, #s, address.city, #l[2]',
          ExpressionAttributeNames: { '#s': 'size', '#l': 'list' },
          ConsistentRead: true,
        },
        events: { Keys: [{ pk: 'p', ts: 7 }], ProjectionExpression: 'kind' },
      },
    }),
  );
  const users = [...got.Responses!.users].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  assert.deepEqual(users, [{ id: 'p1', size: 3, address: { city: 'London' }, list: ['c'] }, { id: 'p2' }]);
  assert.deepEqual(got.Responses!.events, [{ kind: 'k' }]);
});

test('BatchGetItem projects legacy AttributesToGet onto top-level names (an item with none of them is {})', async () => {
  await s.doc.send(new BatchWriteCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: 'a1', b: 1, c: 'c', 'd.e': 'dotted' } } }, { PutRequest: { Item: { id: 'a2' } } }] } }));
  const got = await s.doc.send(
    new BatchGetCommand({ RequestItems: { users: { Keys: [{ id: 'a1' }, { id: 'a2' }, { id: 'a3' }], AttributesToGet: ['b', 'd.e'], ConsistentRead: true } } }),
  );
  const items = got.Responses!.users;
  assert.equal(items.length, 2);
  assert.deepEqual(
    items.find((item) => Object.keys(item).length > 0),
    { b: 1, 'd.e': 'dotted' },
  );
  assert.ok(items.some((item) => Object.keys(item).length === 0));
});

// ---------------------------------------------------------------------------------------------
// Limits

test('BatchWriteItem takes 25 requests and rejects 26, in one table or across tables', async () => {
  const puts = (prefix: string, count: number): WriteRequest[] =>
    Array.from({ length: count }, (_, i) => ({ PutRequest: { Item: { id: { S: `${prefix}${i}` } } } }));
  const ok = await s.client.send(new BatchWriteItemCommand({ RequestItems: { users: puts('w25-', 25) } }));
  assert.deepEqual(ok.UnprocessedItems, {});
  const back = await s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: puts('w25-', 25).map((r) => r.PutRequest!.Item!), ConsistentRead: true } } }));
  assert.equal(back.Responses!.users.length, 25);

  await expectValidation(
    s.client.send(new BatchWriteItemCommand({ RequestItems: { users: puts('w26-', 26) } })),
    new RegExp(`^1 validation error detected: Value '\\{users=\\[WriteRequest\\(putRequest=PutRequest\\(item=\\{id=.+\\}\\), deleteRequest=null\\), .+\\]\\}' at 'requestItems' ${escapeRegExp(writeRequestsValue)}$`),
  );
  const events = Array.from({ length: 13 }, (_, i) => ({ PutRequest: { Item: { pk: { S: 'x' }, ts: { N: String(i) } } } }));
  await expectValidation(
    s.client.send(new BatchWriteItemCommand({ RequestItems: { users: puts('w13-', 13), events } })),
    'Too many items requested for the BatchWriteItem call',
  );
  const ok2 = await s.client.send(new BatchWriteItemCommand({ RequestItems: { users: puts('w12-', 12), events } }));
  assert.deepEqual(ok2.UnprocessedItems, {});
});

test('BatchGetItem takes 100 keys and rejects 101, in one table or across tables', async () => {
  const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ id: { S: `${prefix}${i}` } }));
  const ok = await s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: keys('g', 100) } } }));
  assert.deepEqual(ok.Responses, { users: [] });
  assert.deepEqual(ok.UnprocessedKeys, {});
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: keys('g', 101) } } })),
    /^1 validation error detected: Value '\[\{id=com\.amazonaws\.dynamodb\.v20120810\.AttributeValue@[0-9a-f]+\}, .+\]' at 'requestItems\.users\.member\.keys' failed to satisfy constraint: Member must have length less than or equal to 100$/,
  );
  await expectValidation(
    s.client.send(
      new BatchGetItemCommand({
        RequestItems: { users: { Keys: keys('g', 100) }, events: { Keys: [{ pk: { S: 'x' }, ts: { N: '1' } }] } },
      }),
    ),
    'Too many items requested for the BatchGetItem call',
  );
  const split = await s.client.send(
    new BatchGetItemCommand({ RequestItems: { users: { Keys: keys('g', 99) }, events: { Keys: [{ pk: { S: 'x' }, ts: { N: '1' } }] } } }),
  );
  assert.deepEqual(split.UnprocessedKeys, {});
});

// ---------------------------------------------------------------------------------------------
// Validation: shapes

test('BatchGetItem shape errors use DynamoDB words and order', async () => {
  await expectRawError('BatchGetItem', {}, validationType, "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null");
  await expectRawError(
    'BatchGetItem',
    { ReturnConsumedCapacity: 'hi' },
    validationType,
    "2 validation errors detected: Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
      "Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
  );
  await expectRawError(
    'BatchGetItem',
    { RequestItems: {} },
    validationType,
    "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  await expectRawError(
    'BatchGetItem',
    { RequestItems: { a: {} }, ReturnConsumedCapacity: 'hi' },
    validationType,
    new RegExp(
      "^3 validation errors detected: Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: \\[INDEXES, TOTAL, NONE\\]; " +
        `Value '\\{a=KeysAndAttributes\\(.*\\)\\}' at 'requestItems' ${escapeRegExp(tableNameKeys)}; ` +
        "Value null at 'requestItems\\.a\\.member\\.keys' failed to satisfy constraint: Member must not be null$",
    ),
  );
  await expectRawError(
    'BatchGetItem',
    { RequestItems: { abc: { Keys: [] } } },
    validationType,
    "1 validation error detected: Value '[]' at 'requestItems.abc.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  await expectRawError(
    'BatchGetItem',
    { RequestItems: { abc: { Keys: [{ id: { S: 'x' } }], AttributesToGet: [] } } },
    validationType,
    "1 validation error detected: Value '[]' at 'requestItems.abc.member.attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  await expectRawError('BatchGetItem', { RequestItems: [] }, serializationType, 'Start of list found where not expected');
  await expectRawError('BatchGetItem', { RequestItems: { abc: { Keys: {} } } }, serializationType, 'Start of structure or map found where not expected.');
  await expectRawError('BatchGetItem', { RequestItems: { abc: { Keys: [{ id: { S: 'x' } }], ConsistentRead: 'yes' } } }, serializationType, "'YES' can not be converted to an Boolean");
});

test('BatchWriteItem shape errors use DynamoDB words and order', async () => {
  await expectRawError('BatchWriteItem', {}, validationType, "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null");
  await expectRawError(
    'BatchWriteItem',
    { ReturnConsumedCapacity: 'hi', ReturnItemCollectionMetrics: 'hi' },
    validationType,
    "3 validation errors detected: Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
      "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]; " +
      "Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
  );
  await expectRawError(
    'BatchWriteItem',
    { RequestItems: {} },
    validationType,
    "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  await expectRawError(
    'BatchWriteItem',
    { RequestItems: { a: [] } },
    validationType,
    new RegExp(
      `^2 validation errors detected: Value '\\{a=\\[\\]\\}' at 'requestItems' ${escapeRegExp(tableNameKeys)}; ` +
        `Value '\\{a=\\[\\]\\}' at 'requestItems' ${escapeRegExp(writeRequestsValue)}$`,
    ),
  );
  await expectRawError(
    'BatchWriteItem',
    { RequestItems: { 'aa;': [{ PutRequest: {}, DeleteRequest: {} }] }, ReturnConsumedCapacity: 'hi', ReturnItemCollectionMetrics: 'hi' },
    validationType,
    new RegExp(
      '^5 validation errors detected: ' +
        "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: \\[INDEXES, TOTAL, NONE\\]; " +
        "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: \\[SIZE, NONE\\]; " +
        `Value '\\{aa;=\\[.+\\]\\}' at 'requestItems' ${escapeRegExp(tableNameKeys)}; ` +
        "Value null at 'requestItems\\.aa;\\.member\\.1\\.member\\.deleteRequest\\.key' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'requestItems\\.aa;\\.member\\.1\\.member\\.putRequest\\.item' failed to satisfy constraint: Member must not be null$",
    ),
  );
  await expectRawError('BatchWriteItem', { RequestItems: { abc: {} } }, serializationType, 'Start of structure or map found where not expected.');
  await expectRawError('BatchWriteItem', { RequestItems: { abc: [{ PutRequest: { Item: [] } }] } }, serializationType, 'Start of list found where not expected');
});

// ---------------------------------------------------------------------------------------------
// Validation: batch rules

test('BatchWriteItem requests need exactly one of PutRequest and DeleteRequest', async () => {
  const message = 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
  await expectRawError('BatchWriteItem', { RequestItems: { users: [{}] } }, validationType, message);
  await expectRawError(
    'BatchWriteItem',
    { RequestItems: { users: [{ PutRequest: { Item: { id: { S: 'both' } } }, DeleteRequest: { Key: { id: { S: 'both' } } } }] } },
    validationType,
    message,
  );
  // Checked before the table is looked up.
  await expectRawError('BatchWriteItem', { RequestItems: { nosuchtable: [{}] } }, validationType, message);
});

test('duplicate keys in one table are rejected; the same key in two tables is not', async () => {
  const dup = 'Provided list of item keys contains duplicates';
  await expectValidation(
    s.client.send(
      new BatchWriteItemCommand({
        RequestItems: { users: [{ PutRequest: { Item: { id: { S: 'd1' }, v: { S: 'a' } } } }, { DeleteRequest: { Key: { id: { S: 'd1' } } } }] },
      }),
    ),
    dup,
  );
  await expectValidation(
    s.client.send(
      new BatchWriteItemCommand({
        RequestItems: { users: [{ DeleteRequest: { Key: { id: { S: 'd1' } } } }, { PutRequest: { Item: { id: { S: 'd1' } } } }] },
      }),
    ),
    dup,
  );
  await expectValidation(
    s.client.send(
      new BatchWriteItemCommand({
        RequestItems: { events: [{ PutRequest: { Item: { pk: { S: 'd' }, ts: { N: '1' } } } }, { PutRequest: { Item: { pk: { S: 'd' }, ts: { N: '1.00' } } } }] },
      }),
    ),
    dup,
  );
  // Nothing of a rejected batch was written.
  const after = await s.client.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'd1' } }, ConsistentRead: true }));
  assert.equal(after.Item, undefined);

  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ id: { S: 'k' } }, { id: { S: 'j' } }, { id: { S: 'k' } }] } } })),
    dup,
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { events: { Keys: [{ pk: { S: 'k' }, ts: { N: '10' } }, { ts: { N: '1E1' }, pk: { S: 'k' } }] } } })),
    dup,
  );
  // Duplicates are found before the table is looked up.
  await expectValidation(s.client.send(new BatchGetItemCommand({ RequestItems: { nosuchtable: { Keys: [{ a: { S: 'k' } }, { a: { S: 'k' } }] } } })), dup);

  const ok = await s.client.send(
    new BatchWriteItemCommand({
      RequestItems: {
        users: [{ PutRequest: { Item: { id: { S: 'same' } } } }],
        events: [{ PutRequest: { Item: { pk: { S: 'same' }, ts: { N: '1' } } } }, { PutRequest: { Item: { pk: { S: 'same' }, ts: { N: '2' } } } }],
      },
    }),
  );
  assert.deepEqual(ok.UnprocessedItems, {});
});

test('a missing table rejects the whole batch with ResourceNotFoundException', async () => {
  await expectError(
    s.client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          users: [{ PutRequest: { Item: { id: { S: 'not-written' } } } }],
          nosuchtable: [{ PutRequest: { Item: { a: { S: 'x' } } } }],
        },
      }),
    ),
    'ResourceNotFoundException',
    'Requested resource not found',
  );
  const none = await s.client.send(new GetItemCommand({ TableName: 'users', Key: { id: { S: 'not-written' } }, ConsistentRead: true }));
  assert.equal(none.Item, undefined);
  await expectError(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ id: { S: 'u1' } }] }, nosuchtable: { Keys: [{ a: { S: 'x' } }] } } })),
    'ResourceNotFoundException',
    'Requested resource not found',
  );
  // A missing table is reported before a key that does not match another table's schema.
  await expectError(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ wrong: { S: 'u1' } }] }, nosuchtable: { Keys: [{}] } } })),
    'ResourceNotFoundException',
    'Requested resource not found',
  );
  // 100 keys of a missing table: the limit holds, so the table is what is wrong.
  const keys = Array.from({ length: 100 }, (_, i) => ({ a: { S: String(i) } }));
  await expectError(s.client.send(new BatchGetItemCommand({ RequestItems: { nosuchtable: { Keys: keys } } })), 'ResourceNotFoundException', 'Requested resource not found');
});

test('keys and items are validated as the single-item operations validate them', async () => {
  const mismatch = 'The provided key element does not match the schema';
  const wrongKeys: Record<string, AttributeValue>[] = [{}, { other: { S: 'x' } }, { id: { N: '1' } }, { id: { S: 'x' }, extra: { S: 'y' } }];
  for (const Key of wrongKeys) {
    await expectValidation(s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [Key] } } })), mismatch);
    await expectValidation(s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ DeleteRequest: { Key } }] } })), mismatch);
  }
  await expectValidation(s.client.send(new BatchGetItemCommand({ RequestItems: { events: { Keys: [{ pk: { S: 'a' } }] } } })), mismatch);
  // A PutRequest's item without its key attributes, or with the wrong type.
  await expectValidation(s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { other: { S: 'x' } } } }] } })), mismatch);
  await expectValidation(s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: { N: '1' } } } }] } })), mismatch);
  await expectValidation(s.client.send(new BatchWriteItemCommand({ RequestItems: { events: [{ PutRequest: { Item: { pk: { S: 'a' } } } }] } })), mismatch);
  await expectValidation(
    s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: { S: '' } } } }] } })),
    'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id',
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ id: { S: 'x'.repeat(2049) } }] } } })),
    'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
  );
  await expectValidation(
    s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: { S: 'x' }, n: { N: 'abc' } } } }] } })),
    /numeric value/,
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ id: { S: 'a', N: '1' } as unknown as AttributeValue }] } } })),
    'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: [{ id: {} as AttributeValue }] } } })),
    'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
  );
});

test('BatchWriteItem item size: 400 KB is the limit, checked before the table is looked up', async () => {
  const tooBig = 'Item size has exceeded the maximum allowed size';
  // id (2) + "x" (1) + b (1) + value: exactly 400 KB is allowed, one byte more is not.
  const exact = 400 * 1024 - 4;
  await expectValidation(
    s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: { S: 'x' }, b: { S: 'a'.repeat(exact + 1) } } } }] } })),
    tooBig,
  );
  await expectValidation(
    s.client.send(new BatchWriteItemCommand({ RequestItems: { nosuchtable: [{ PutRequest: { Item: { id: { S: 'x' }, b: { S: 'a'.repeat(exact + 1) } } } }] } })),
    tooBig,
  );
  const ok = await s.client.send(new BatchWriteItemCommand({ RequestItems: { users: [{ PutRequest: { Item: { id: { S: 'x' }, b: { S: 'a'.repeat(exact) } } } }] } }));
  assert.deepEqual(ok.UnprocessedItems, {});
});

test('BatchGetItem expression rules: names need an expression, expressions must parse, no mixing with AttributesToGet', async () => {
  const Keys = [{ id: { S: 'u1' } }];
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys, ProjectionExpression: 'id', AttributesToGet: ['id'] } } })),
    'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}',
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys, ExpressionAttributeNames: { '#a': 'id' } } } })),
    'ExpressionAttributeNames can only be specified when using expressions',
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys, ProjectionExpression: 'id', ExpressionAttributeNames: { '#a': 'id' } } } })),
    'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}',
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys, ProjectionExpression: 'id,' } } })),
    /^Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","$/,
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys, ProjectionExpression: 'name' } } })),
    /^Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name$/,
  );
  await expectValidation(
    s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys, AttributesToGet: ['a', 'b', 'a'] } } })),
    'One or more parameter values were invalid: Duplicate value in attribute name: a',
  );
});

// ---------------------------------------------------------------------------------------------
// The 16 MB response

test('a BatchGetItem response stops at 16 MB; the rest comes back as UnprocessedKeys until all is read', async () => {
  // 100 items of ~300 KB: about 30 MB in all, so one call cannot answer them.
  const filler = 'z'.repeat(300 * 1024);
  const ids = Array.from({ length: 100 }, (_, i) => `big-${String(i).padStart(3, '0')}`);
  // Written 5 at a time: a group commit of many such items makes a replication frame larger
  // than a ring can carry (a storage node limit, not a BatchWriteItem one).
  for (let i = 0; i < ids.length; i += 5) {
    let items: Record<string, WriteRequest[]> = {
      users: ids.slice(i, i + 5).map((id) => ({ PutRequest: { Item: { id: { S: id }, filler: { S: filler }, n: { N: String(i) } } } })),
    };
    while (Object.keys(items).length > 0) items = (await s.client.send(new BatchWriteItemCommand({ RequestItems: items }))).UnprocessedItems ?? {};
  }

  const first = await s.client.send(
    new BatchGetItemCommand({
      RequestItems: {
        users: {
          Keys: ids.map((id) => ({ id: { S: id } })),
          ConsistentRead: true,
          ProjectionExpression: 'id, #f',
          ExpressionAttributeNames: { '#f': 'filler' },
        },
      },
    }),
  );
  const firstCount = first.Responses!.users.length;
  assert.ok(firstCount > 40 && firstCount < 60, `first page had ${firstCount} items`);
  const unprocessed = first.UnprocessedKeys!.users as KeysAndAttributes;
  assert.equal(unprocessed.Keys!.length, 100 - firstCount);
  // The table's parameters are carried over with its keys.
  assert.equal(unprocessed.ConsistentRead, true);
  assert.equal(unprocessed.ProjectionExpression, 'id, #f');
  assert.deepEqual(unprocessed.ExpressionAttributeNames, { '#f': 'filler' });
  for (const item of first.Responses!.users) assert.deepEqual(Object.keys(item).sort(), ['filler', 'id']);

  // The loop every DynamoDB client writes: send UnprocessedKeys back until there are none.
  const seen = new Set<string>(first.Responses!.users.map((item) => item.id.S!));
  let pending = first.UnprocessedKeys!;
  let calls = 1;
  while (Object.keys(pending).length > 0) {
    const next = await s.client.send(new BatchGetItemCommand({ RequestItems: pending }));
    calls++;
    for (const item of next.Responses!.users) {
      assert.equal(item.filler.S!.length, filler.length);
      seen.add(item.id.S!);
    }
    pending = next.UnprocessedKeys!;
    assert.ok(calls < 10);
  }
  assert.equal(calls, 2);
  assert.deepEqual([...seen].sort(), ids);

  // The document client's BatchGetCommand passes UnprocessedKeys back in its own form too.
  const doc = await s.doc.send(new BatchGetCommand({ RequestItems: { users: { Keys: ids.map((id) => ({ id })), AttributesToGet: ['id', 'filler'] } } }));
  const docPending = doc.UnprocessedKeys!.users;
  assert.equal(doc.Responses!.users.length + docPending.Keys!.length, 100);
  assert.deepEqual(docPending.AttributesToGet, ['id', 'filler']);
  assert.equal(typeof docPending.Keys![0].id, 'string');
  const rest = await s.doc.send(new BatchGetCommand({ RequestItems: doc.UnprocessedKeys! }));
  assert.deepEqual(rest.UnprocessedKeys, {});
  assert.equal(rest.Responses!.users.length, docPending.Keys!.length);

  // A projection small enough makes everything fit in one response.
  const small = await s.client.send(new BatchGetItemCommand({ RequestItems: { users: { Keys: ids.map((id) => ({ id: { S: id } })), ProjectionExpression: 'n' } } }));
  assert.equal(small.Responses!.users.length, 100);
  assert.deepEqual(small.UnprocessedKeys, {});
});
