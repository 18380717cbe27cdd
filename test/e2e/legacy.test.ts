// The legacy parameters through the AWS SDK: Expected + ConditionalOperator on every write,
// AttributeUpdates, AttributesToGet, KeyConditions, QueryFilter, ScanFilter, and the error for a
// request that mixes them with expressions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type Condition,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const invalid = 'One or more parameter values were invalid: ';

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
  await s.client.send(
    new CreateTableCommand({
      TableName: 'events',
      KeySchema: [
        { AttributeName: 'user', KeyType: 'HASH' },
        { AttributeName: 'n', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'user', AttributeType: 'S' },
        { AttributeName: 'n', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const puts: Promise<unknown>[] = [];
  for (const user of ['u1', 'u2']) {
    for (let n = 0; n < 10; n++) {
      puts.push(
        s.client.send(
          new PutItemCommand({
            TableName: 'events',
            Item: { user: { S: user }, n: { N: String(n) }, kind: { S: n % 2 === 0 ? 'even' : 'odd' }, size: { N: String(n * 10) }, tags: { SS: n < 5 ? ['low'] : ['high', 'x'] } },
          }),
        ),
      );
    }
  }
  await Promise.all(puts);
});
after(async () => {
  await s.stop();
});

async function expectValidation(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, 'ValidationException', err.message);
    assert.equal(err.message, message);
    return true;
  });
}

async function expectConditionFailed(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, 'ConditionalCheckFailedException', err.message);
    assert.equal(err.message, 'The conditional request failed');
    return true;
  });
}

async function get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
}

const eq = (value: AttributeValue): Condition => ({ ComparisonOperator: 'EQ', AttributeValueList: [value] });

test('PutItem with Expected: Exists false, Value, ComparisonOperator forms, ConditionalOperator OR', async () => {
  const item = { pk: { S: 'p1' }, color: { S: 'red' }, count: { N: '3' } };
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: item, Expected: { pk: { Exists: false } } }));
  await expectConditionFailed(s.client.send(new PutItemCommand({ TableName: 'things', Item: item, Expected: { pk: { Exists: false } } })));
  // Value with Exists true (and with Exists left out).
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { ...item, count: { N: '4' } }, Expected: { color: { Exists: true, Value: { S: 'red' } } } }));
  await expectConditionFailed(s.client.send(new PutItemCommand({ TableName: 'things', Item: item, Expected: { color: { Value: { S: 'blue' } } } })));
  // ComparisonOperator forms; several conditions are ANDed by default.
  await s.client.send(
    new PutItemCommand({
      TableName: 'things',
      Item: { ...item, count: { N: '5' } },
      Expected: { count: { ComparisonOperator: 'GE', AttributeValueList: [{ N: '4' }] }, color: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [{ S: 're' }] } },
    }),
  );
  await expectConditionFailed(
    s.client.send(
      new PutItemCommand({
        TableName: 'things',
        Item: item,
        Expected: { count: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '100' }] }, color: eq({ S: 'red' }) },
      }),
    ),
  );
  // ConditionalOperator OR: one true condition is enough.
  await s.client.send(
    new PutItemCommand({
      TableName: 'things',
      Item: { ...item, count: { N: '6' } },
      Expected: { count: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '100' }] }, color: eq({ S: 'red' }) },
      ConditionalOperator: 'OR',
    }),
  );
  await expectConditionFailed(
    s.client.send(
      new PutItemCommand({
        TableName: 'things',
        Item: item,
        Expected: { count: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '100' }] }, color: eq({ S: 'green' }) },
        ConditionalOperator: 'OR',
      }),
    ),
  );
  assert.deepEqual(await get('p1'), { ...item, count: { N: '6' } });
  // IN, NOT_NULL, NULL, CONTAINS, NOT_CONTAINS, NE, BETWEEN on the stored item.
  const ok: Record<string, Condition> = {
    color: { ComparisonOperator: 'IN', AttributeValueList: [{ S: 'blue' }, { S: 'red' }] },
    count: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '6' }, { N: '6.0' }] },
    pk: { ComparisonOperator: 'NOT_NULL' },
    missing: { ComparisonOperator: 'NULL' },
    other: { ComparisonOperator: 'NE', AttributeValueList: [{ S: 'x' }] },
  };
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: item, Expected: ok }));
  await expectConditionFailed(
    s.client.send(new PutItemCommand({ TableName: 'things', Item: item, Expected: { missing: { ComparisonOperator: 'NOT_CONTAINS', AttributeValueList: [{ S: 'x' }] } } })),
  );
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: item, Expected: { color: { ComparisonOperator: 'CONTAINS', AttributeValueList: [{ S: 'ed' }] } } }));
});

test('DeleteItem with Expected and ReturnValues ALL_OLD', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'd1' }, state: { S: 'done' } } }));
  await expectConditionFailed(s.client.send(new DeleteItemCommand({ TableName: 'things', Key: { pk: { S: 'd1' } }, Expected: { state: eq({ S: 'open' }) } })));
  const deleted = await s.client.send(
    new DeleteItemCommand({
      TableName: 'things',
      Key: { pk: { S: 'd1' } },
      Expected: { state: eq({ S: 'open' }), pk: { ComparisonOperator: 'NOT_NULL' } },
      ConditionalOperator: 'OR',
      ReturnValues: 'ALL_OLD',
    }),
  );
  assert.deepEqual(deleted.Attributes, { pk: { S: 'd1' }, state: { S: 'done' } });
  assert.equal(await get('d1'), undefined);
});

test('UpdateItem with AttributeUpdates (PUT, ADD, DELETE) and Expected', async () => {
  const created = await s.client.send(
    new UpdateItemCommand({
      TableName: 'things',
      Key: { pk: { S: 'u1' } },
      AttributeUpdates: {
        name: { Action: 'PUT', Value: { S: 'Ada' } },
        visits: { Action: 'ADD', Value: { N: '1' } },
        tags: { Action: 'ADD', Value: { SS: ['a', 'b'] } },
        history: { Action: 'ADD', Value: { L: [{ S: 'created' }] } },
        nothing: { Action: 'DELETE' },
      },
      Expected: { pk: { Exists: false } },
      ReturnValues: 'ALL_NEW',
    }),
  );
  assert.deepEqual(created.Attributes, {
    pk: { S: 'u1' },
    name: { S: 'Ada' },
    visits: { N: '1' },
    tags: { SS: ['a', 'b'] },
    history: { L: [{ S: 'created' }] },
  });
  const updated = await s.client.send(
    new UpdateItemCommand({
      TableName: 'things',
      Key: { pk: { S: 'u1' } },
      AttributeUpdates: {
        name: { Value: { S: 'Grace' } },
        visits: { Action: 'ADD', Value: { N: '2.5' } },
        tags: { Action: 'DELETE', Value: { SS: ['a'] } },
        history: { Action: 'ADD', Value: { L: [{ S: 'renamed' }] } },
      },
      Expected: { name: eq({ S: 'Ada' }), visits: { ComparisonOperator: 'LT', AttributeValueList: [{ N: '2' }] } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  assert.deepEqual(updated.Attributes, { name: { S: 'Grace' }, visits: { N: '3.5' }, tags: { SS: ['b'] }, history: { L: [{ S: 'created' }, { S: 'renamed' }] } });
  const old = await s.client.send(
    new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'u1' } }, AttributeUpdates: { name: { Action: 'DELETE' } }, ReturnValues: 'UPDATED_OLD' }),
  );
  assert.deepEqual(old.Attributes, { name: { S: 'Grace' } });
  assert.deepEqual(await get('u1'), { pk: { S: 'u1' }, visits: { N: '3.5' }, tags: { SS: ['b'] }, history: { L: [{ S: 'created' }, { S: 'renamed' }] } });
  await expectConditionFailed(
    s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'u1' } }, AttributeUpdates: { x: { Value: { N: '1' } } }, Expected: { visits: eq({ N: '1' }) } })),
  );
  const either = await s.client.send(
    new UpdateItemCommand({
      TableName: 'things',
      Key: { pk: { S: 'u1' } },
      AttributeUpdates: { visits: { Action: 'ADD', Value: { N: '-0.5' } } },
      Expected: { visits: eq({ N: '1' }), tags: { ComparisonOperator: 'CONTAINS', AttributeValueList: [{ S: 'b' }] } },
      ConditionalOperator: 'OR',
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  assert.deepEqual(either.Attributes, { visits: { N: '3' } });
  await expectConditionFailed(
    s.client.send(
      new UpdateItemCommand({
        TableName: 'things',
        Key: { pk: { S: 'u1' } },
        AttributeUpdates: { visits: { Action: 'ADD', Value: { N: '1' } } },
        Expected: { visits: eq({ N: '1' }), tags: { ComparisonOperator: 'CONTAINS', AttributeValueList: [{ S: 'a' }] } },
        ConditionalOperator: 'OR',
      }),
    ),
  );
  // An UpdateItem with only Expected still creates the item when the condition holds.
  await s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'u2' } }, Expected: { pk: { ComparisonOperator: 'NULL' } } }));
  assert.deepEqual(await get('u2'), { pk: { S: 'u2' } });
});

test('AttributeUpdates errors: types, missing values, key attributes, type mismatch on the stored item', async () => {
  const update = (updates: Record<string, unknown>) =>
    s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'u1' } }, AttributeUpdates: updates as never }));
  await expectValidation(update({ a: { Action: 'PUT' } }), `${invalid}Only DELETE action is allowed when no attribute value is specified`);
  await expectValidation(update({ a: { Action: 'ADD', Value: { S: 'x' } } }), `${invalid}ADD action is not supported for the type S`);
  await expectValidation(update({ a: { Action: 'DELETE', Value: { N: '1' } } }), `${invalid}DELETE action with value is not supported for the type N`);
  await expectValidation(update({ pk: { Value: { S: 'other' } } }), `${invalid}Cannot update attribute pk. This attribute is part of the key`);
  await expectValidation(update({ tags: { Action: 'ADD', Value: { N: '1' } } }), 'Type mismatch for attribute to update');
  await expectValidation(update({ visits: { Action: 'DELETE', Value: { NS: ['1'] } } }), 'Type mismatch for attribute to update');
  await expectValidation(update({ visits: { Action: 'ADD', Value: { L: [] } } }), 'Type mismatch for attribute to update');
  await expectValidation(
    update({ a: { Action: 'REPLACE', Value: { S: 'x' } } }),
    "1 validation error detected: Value 'REPLACE' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]",
  );
});

test('Expected and ConditionalOperator errors', async () => {
  const put = (extra: Record<string, unknown>) => s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'e1' } }, ...extra }));
  await expectValidation(put({ Expected: { a: { ComparisonOperator: 'EQ', AttributeValueList: [] } } }), `${invalid}Invalid number of argument(s) for the EQ ComparisonOperator`);
  await expectValidation(put({ Expected: { a: { ComparisonOperator: 'NULL', AttributeValueList: [{ S: 'x' }] } } }), `${invalid}Invalid number of argument(s) for the NULL ComparisonOperator`);
  await expectValidation(put({ Expected: { a: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '1' }] } } }), `${invalid}Invalid number of argument(s) for the BETWEEN ComparisonOperator`);
  await expectValidation(put({ Expected: { a: { Exists: true } } }), `${invalid}Value must be provided when Exists is true for Attribute: a`);
  await expectValidation(put({ Expected: { a: {} } }), `${invalid}Value must be provided when Exists is null for Attribute: a`);
  await expectValidation(put({ Expected: { a: { Exists: false, Value: { S: 'x' } } } }), `${invalid}Value cannot be used when Exists is false for Attribute: a`);
  await expectValidation(put({ Expected: { a: { ComparisonOperator: 'EQ', Exists: true, Value: { S: 'x' } } } }), `${invalid}Exists and ComparisonOperator cannot be used together for Attribute: a`);
  await expectValidation(put({ Expected: { a: { AttributeValueList: [{ S: 'x' }] } } }), `${invalid}AttributeValueList can only be used with a ComparisonOperator for Attribute: a`);
  await expectValidation(put({ Expected: { a: { ComparisonOperator: 'GT', AttributeValueList: [{ SS: ['x'] }] } } }), `${invalid}ComparisonOperator GT is not valid for SS AttributeValue type`);
  await expectValidation(
    put({ Expected: { a: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '2' }, { N: '1' }] } } }),
    'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound',
  );
  await expectValidation(
    put({ Expected: { a: { ComparisonOperator: 'LIKE', AttributeValueList: [{ S: 'x' }] } } }),
    "1 validation error detected: Value 'LIKE' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
  );
  await expectValidation(put({ ConditionalOperator: 'AND' }), 'ConditionalOperator cannot be used without Filter or Expected');
  await expectValidation(put({ ConditionalOperator: 'OR', Expected: { a: { Exists: false } } }), 'ConditionalOperator can only be used when Filter or Expected has two or more elements');
  await expectValidation(
    s.client.send(new DeleteItemCommand({ TableName: 'things', Key: { pk: { S: 'e1' } }, ConditionalOperator: 'AND' })),
    'ConditionalOperator cannot be used without Filter or Expected',
  );
  await expectValidation(
    s.client.send(new UpdateItemCommand({ TableName: 'things', Key: { pk: { S: 'e1' } }, ConditionalOperator: 'AND', AttributeUpdates: { a: { Value: { S: 'v' } } } })),
    'ConditionalOperator cannot be used without Filter or Expected',
  );
  await expectValidation(put({ Expected: { a: { Exists: false } }, ExpressionAttributeNames: { '#a': 'a' } }), 'ExpressionAttributeNames can only be specified when using expressions');
});

test('GetItem and BatchGetItem with AttributesToGet', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'g1' }, a: { S: 'A' }, b: { N: '2' }, 'c.d': { S: 'dotted' }, name: { S: 'reserved word' } } }));
  const got = await s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'g1' } }, AttributesToGet: ['a', 'c.d', 'name', 'absent'], ConsistentRead: true }));
  assert.deepEqual(got.Item, { a: { S: 'A' }, 'c.d': { S: 'dotted' }, name: { S: 'reserved word' } });
  const none = await s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'g1' } }, AttributesToGet: ['absent'], ConsistentRead: true }));
  assert.deepEqual(none.Item, {});
  await expectValidation(
    s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'g1' } }, AttributesToGet: ['a', 'a'] })),
    `${invalid}Duplicate value in attribute name: a`,
  );
  await expectValidation(
    s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'g1' } }, AttributesToGet: [] })),
    "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  const batch = await s.client.send(
    new BatchGetItemCommand({ RequestItems: { things: { Keys: [{ pk: { S: 'g1' } }], AttributesToGet: ['b', 'name'], ConsistentRead: true } } }),
  );
  assert.deepEqual(batch.Responses?.things, [{ b: { N: '2' }, name: { S: 'reserved word' } }]);
});

function ns(items: Record<string, AttributeValue>[] | undefined): number[] {
  return (items ?? []).map((item) => Number(item.n.N));
}

test('Query with KeyConditions, QueryFilter, ConditionalOperator and AttributesToGet', async () => {
  const all = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u1' }) }, ConsistentRead: true }));
  assert.deepEqual(ns(all.Items), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const cases: Array<[Condition, number[]]> = [
    [{ ComparisonOperator: 'EQ', AttributeValueList: [{ N: '3.0' }] }, [3]],
    [{ ComparisonOperator: 'LT', AttributeValueList: [{ N: '3' }] }, [0, 1, 2]],
    [{ ComparisonOperator: 'LE', AttributeValueList: [{ N: '3' }] }, [0, 1, 2, 3]],
    [{ ComparisonOperator: 'GT', AttributeValueList: [{ N: '7' }] }, [8, 9]],
    [{ ComparisonOperator: 'GE', AttributeValueList: [{ N: '7' }] }, [7, 8, 9]],
    [{ ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '2' }, { N: '4' }] }, [2, 3, 4]],
  ];
  for (const [condition, expected] of cases) {
    const q = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u1' }), n: condition }, ConsistentRead: true }));
    assert.deepEqual(ns(q.Items), expected, JSON.stringify(condition));
  }
  const back = await s.client.send(
    new QueryCommand({ TableName: 'events', KeyConditions: { n: { ComparisonOperator: 'GE', AttributeValueList: [{ N: '8' }] }, user: eq({ S: 'u2' }) }, ScanIndexForward: false, ConsistentRead: true }),
  );
  assert.deepEqual(ns(back.Items), [9, 8]);
  // QueryFilter: ANDed by default, ORed with ConditionalOperator.
  const filtered = await s.client.send(
    new QueryCommand({
      TableName: 'events',
      KeyConditions: { user: eq({ S: 'u1' }) },
      QueryFilter: { kind: eq({ S: 'even' }), size: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '40' }] } },
      ConsistentRead: true,
    }),
  );
  assert.deepEqual(ns(filtered.Items), [6, 8]);
  assert.equal(filtered.Count, 2);
  assert.equal(filtered.ScannedCount, 10);
  const either = await s.client.send(
    new QueryCommand({
      TableName: 'events',
      KeyConditions: { user: eq({ S: 'u1' }) },
      QueryFilter: { tags: { ComparisonOperator: 'CONTAINS', AttributeValueList: [{ S: 'x' }] }, size: { ComparisonOperator: 'LT', AttributeValueList: [{ N: '20' }] } },
      ConditionalOperator: 'OR',
      ConsistentRead: true,
    }),
  );
  assert.deepEqual(ns(either.Items), [0, 1, 5, 6, 7, 8, 9]);
  const projected = await s.client.send(
    new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u1' }), n: eq({ N: '4' }) }, AttributesToGet: ['kind', 'size'], ConsistentRead: true }),
  );
  assert.deepEqual(projected.Items, [{ kind: { S: 'even' }, size: { N: '40' } }]);
  const counted = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u2' }) }, Select: 'COUNT', ConsistentRead: true }));
  assert.equal(counted.Count, 10);
  assert.equal(counted.Items, undefined);
  // KeyConditions may come with FilterExpression and ProjectionExpression (placeholders do not collide).
  const mixedOk = await s.client.send(
    new QueryCommand({
      TableName: 'events',
      KeyConditions: { user: eq({ S: 'u1' }), n: { ComparisonOperator: 'LT', AttributeValueList: [{ N: '5' }] } },
      FilterExpression: '#l0 = :l0',
      ProjectionExpression: '#l0, n',
      ExpressionAttributeNames: { '#l0': 'kind' },
      ExpressionAttributeValues: { ':l0': { S: 'odd' } },
      ConsistentRead: true,
    }),
  );
  assert.deepEqual(mixedOk.Items, [
    { kind: { S: 'odd' }, n: { N: '1' } },
    { kind: { S: 'odd' }, n: { N: '3' } },
  ]);
  // Paginating with Limit continues from LastEvaluatedKey.
  const page1 = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u1' }) }, Limit: 4, ConsistentRead: true }));
  assert.deepEqual(ns(page1.Items), [0, 1, 2, 3]);
  const page2 = await s.client.send(
    new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u1' }) }, Limit: 4, ExclusiveStartKey: page1.LastEvaluatedKey, ConsistentRead: true }),
  );
  assert.deepEqual(ns(page2.Items), [4, 5, 6, 7]);
});

test('Query legacy errors', async () => {
  const query = (extra: Record<string, unknown>) => s.client.send(new QueryCommand({ TableName: 'events', ...extra }));
  const user = eq({ S: 'u1' });
  await expectValidation(query({ KeyConditions: { n: eq({ N: '1' }) } }), 'Query condition missed key schema element: user');
  await expectValidation(query({ KeyConditions: { user, kind: eq({ S: 'x' }) } }), 'Query condition missed key schema element: n');
  await expectValidation(query({ KeyConditions: { user: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [{ S: 'u' }] } } }), 'Query key condition not supported');
  await expectValidation(query({ KeyConditions: { user, n: { ComparisonOperator: 'NE', AttributeValueList: [{ N: '1' }] } } }), 'Attempted conditional constraint is not an indexable operation');
  await expectValidation(query({ KeyConditions: { user: eq({ N: '1' }) } }), `${invalid}Condition parameter type does not match schema type`);
  await expectValidation(query({ KeyConditions: {} }), 'Conditions can be of length 1 or 2 only');
  await expectValidation(query({ KeyConditions: { user, n: eq({ N: '1' }), x: eq({ N: '1' }) } }), 'Conditions can be of length 1 or 2 only');
  await expectValidation(query({ KeyConditions: { user, n: { ComparisonOperator: 'LE', AttributeValueList: [{ SS: ['a'] }] } } }), `${invalid}ComparisonOperator LE is not valid for SS AttributeValue type`);
  await expectValidation(
    query({ KeyConditions: { user: { AttributeValueList: [{ S: 'u1' }] } } }),
    "1 validation error detected: Value null at 'keyConditions.user.member.comparisonOperator' failed to satisfy constraint: Member must not be null",
  );
  await expectValidation(query({ KeyConditions: { user }, QueryFilter: { n: eq({ N: '1' }) } }), 'QueryFilter can only contain non-primary key attributes: Primary key attribute: n');
  await expectValidation(query({ KeyConditions: { user }, QueryFilter: { kind: eq({ S: 'x' }) }, ConditionalOperator: 'OR' }), 'ConditionalOperator can only be used when Filter or Expected has two or more elements');
  await expectValidation(query({ KeyConditions: { user }, ConditionalOperator: 'OR' }), 'ConditionalOperator cannot be used without Filter or Expected');
  await expectValidation(query({ ConditionalOperator: 'AND' }), 'ConditionalOperator cannot be used without Filter or Expected');
  await expectValidation(query({}), 'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  await expectValidation(
    query({ KeyConditions: { user }, AttributesToGet: ['kind'], Select: 'ALL_ATTRIBUTES' }),
    '1 validation error detected: Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES',
  );
  await expectValidation(query({ KeyConditions: { user }, AttributesToGet: ['kind'], Select: 'COUNT' }), '1 validation error detected: Cannot specify the AttributesToGet when choosing to get only the Count');
  const specific = await query({ KeyConditions: { user, n: eq({ N: '2' }) }, AttributesToGet: ['kind'], Select: 'SPECIFIC_ATTRIBUTES', ConsistentRead: true });
  assert.deepEqual((specific as { Items: unknown }).Items, [{ kind: { S: 'even' } }]);
});

test('Scan with ScanFilter, ConditionalOperator OR and AttributesToGet', async () => {
  const scan = await s.client.send(
    new ScanCommand({
      TableName: 'events',
      ScanFilter: { user: eq({ S: 'u2' }), n: { ComparisonOperator: 'IN', AttributeValueList: [{ N: '1' }, { N: '7' }, { N: '70' }] } },
      AttributesToGet: ['user', 'n'],
      ConsistentRead: true,
    }),
  );
  assert.deepEqual(ns(scan.Items).sort(), [1, 7]);
  assert.deepEqual(Object.keys(scan.Items![0]).sort(), ['n', 'user']);
  assert.equal(scan.ScannedCount, 20);
  const or = await s.client.send(
    new ScanCommand({
      TableName: 'events',
      ScanFilter: { n: eq({ N: '0' }), size: { ComparisonOperator: 'GE', AttributeValueList: [{ N: '90' }] } },
      ConditionalOperator: 'OR',
      Select: 'COUNT',
      ConsistentRead: true,
    }),
  );
  assert.equal(or.Count, 4);
  const notContains = await s.client.send(
    new ScanCommand({ TableName: 'events', ScanFilter: { tags: { ComparisonOperator: 'NOT_CONTAINS', AttributeValueList: [{ S: 'low' }] } }, Select: 'COUNT', ConsistentRead: true }),
  );
  assert.equal(notContains.Count, 10);
  await expectValidation(
    s.client.send(new ScanCommand({ TableName: 'events', ScanFilter: { a: eq({ S: 'x' }) }, ConditionalOperator: 'AND' })),
    'ConditionalOperator can only be used when Filter or Expected has two or more elements',
  );
  await expectValidation(
    s.client.send(new ScanCommand({ TableName: 'events', ScanFilter: { a: { ComparisonOperator: 'CONTAINS', AttributeValueList: [{ M: {} }] } } })),
    `${invalid}ComparisonOperator CONTAINS is not valid for M AttributeValue type`,
  );
  await expectValidation(s.client.send(new ScanCommand({ TableName: 'events', AttributesToGet: ['a'], Select: 'COUNT' })), 'Cannot specify the AttributesToGet when choosing to get only the Count');
  await expectValidation(s.client.send(new ScanCommand({ TableName: 'events', AttributesToGet: ['a', 'a'] })), `${invalid}Duplicate value in attribute name: a`);
});

test('mixing legacy and expression parameters is rejected on every operation', async () => {
  const mixing = (legacy: string, expression: string) =>
    `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacy}} Expression parameters: {${expression}}`;
  await expectValidation(
    s.client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'g1' } }, AttributesToGet: ['a'], ProjectionExpression: 'a' })),
    mixing('AttributesToGet', 'ProjectionExpression'),
  );
  await expectValidation(
    s.client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'm' } }, Expected: { pk: { Exists: false } }, ConditionExpression: 'attribute_not_exists(pk)' })),
    mixing('Expected', 'ConditionExpression'),
  );
  await expectValidation(
    s.client.send(new DeleteItemCommand({ TableName: 'things', Key: { pk: { S: 'm' } }, Expected: { pk: { Exists: false } }, ConditionalOperator: 'AND', ConditionExpression: 'attribute_exists(pk)' })),
    mixing('Expected, ConditionalOperator', 'ConditionExpression'),
  );
  await expectValidation(
    s.client.send(
      new UpdateItemCommand({
        TableName: 'things',
        Key: { pk: { S: 'm' } },
        AttributeUpdates: { a: { Value: { S: 'v' } } },
        UpdateExpression: 'SET a = :v',
        ExpressionAttributeValues: { ':v': { S: 'v' } },
      }),
    ),
    mixing('AttributeUpdates', 'UpdateExpression'),
  );
  await expectValidation(
    s.client.send(
      new QueryCommand({
        TableName: 'events',
        KeyConditionExpression: '#u = :u',
        QueryFilter: { kind: eq({ S: 'x' }) },
        ExpressionAttributeNames: { '#u': 'user' },
        ExpressionAttributeValues: { ':u': { S: 'u1' } },
      }),
    ),
    mixing('QueryFilter', 'KeyConditionExpression'),
  );
  await expectValidation(
    s.client.send(
      new QueryCommand({ TableName: 'events', KeyConditions: { user: eq({ S: 'u1' }) }, KeyConditionExpression: 'x = :x', ExpressionAttributeValues: { ':x': { S: 'u1' } } }),
    ),
    mixing('KeyConditions', 'KeyConditionExpression'),
  );
  await expectValidation(
    s.client.send(new ScanCommand({ TableName: 'events', ScanFilter: { a: eq({ S: 'x' }) }, ProjectionExpression: 'b' })),
    mixing('ScanFilter', 'ProjectionExpression'),
  );
  await expectValidation(
    s.client.send(new ScanCommand({ TableName: 'events', ConditionalOperator: 'AND', FilterExpression: 'a = :v', ExpressionAttributeValues: { ':v': { S: 'x' }, ':unused': { S: 'y' } } })),
    mixing('ConditionalOperator', 'FilterExpression'),
  );
});
