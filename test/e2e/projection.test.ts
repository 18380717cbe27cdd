// ProjectionExpression on GetItem, Query and Scan through the AWS SDK: nested map paths, list
// indexes, #name substitution, and DynamoDB's errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;

const doc: Record<string, AttributeValue> = {
  pk: { S: 'p' },
  sk: { N: '1' },
  name: { S: 'Ada' },
  size: { N: '7' },
  profile: {
    M: {
      address: { M: { city: { S: 'London' }, zip: { S: 'N1' } } },
      emails: { L: [{ S: 'a@x' }, { S: 'b@x' }, { S: 'c@x' }] },
      'dotted.key': { S: 'literal' },
    },
  },
  matrix: { L: [{ L: [{ N: '1' }, { N: '2' }] }, { L: [{ N: '3' }, { N: '4' }] }] },
  events: { L: [{ M: { kind: { S: 'open' }, seq: { N: '1' } } }, { M: { kind: { S: 'close' }, seq: { N: '2' } } }] },
};

before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'docs',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(new PutItemCommand({ TableName: 'docs', Item: doc }));
  await s.client.send(new PutItemCommand({ TableName: 'docs', Item: { pk: { S: 'p' }, sk: { N: '2' }, name: { S: 'Bob' } } }));
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

/** The projections every read is tested with: expression, names, expected item. */
const cases: Array<[string, Record<string, string> | undefined, Record<string, AttributeValue>]> = [
  ['pk, sk', undefined, { pk: { S: 'p' }, sk: { N: '1' } }],
  ['#n, #s', { '#n': 'name', '#s': 'size' }, { name: { S: 'Ada' }, size: { N: '7' } }],
  ['profile.address.city', undefined, { profile: { M: { address: { M: { city: { S: 'London' } } } } } }],
  [
    'profile.address.city, profile.emails[2], profile.emails[0]',
    undefined,
    { profile: { M: { address: { M: { city: { S: 'London' } } }, emails: { L: [{ S: 'a@x' }, { S: 'c@x' }] } } } },
  ],
  ['#p.#d', { '#p': 'profile', '#d': 'dotted.key' }, { profile: { M: { 'dotted.key': { S: 'literal' } } } }],
  ['matrix[1][0]', undefined, { matrix: { L: [{ L: [{ N: '3' }] }] } }],
  ['events[1].kind, events[0].seq', undefined, { events: { L: [{ M: { seq: { N: '1' } } }, { M: { kind: { S: 'close' } } }] } }],
  ['profile.emails[9], absent, profile.nothing.deeper', undefined, {}],
  ['#n, profile.emails[1]', { '#n': 'name' }, { name: { S: 'Ada' }, profile: { M: { emails: { L: [{ S: 'b@x' }] } } } }],
];

test('GetItem applies ProjectionExpression: top-level names, nested maps, list indexes, names', async () => {
  for (const [expression, names, expected] of cases) {
    const got = await s.client.send(
      new GetItemCommand({ TableName: 'docs', Key: { pk: { S: 'p' }, sk: { N: '1' } }, ProjectionExpression: expression, ExpressionAttributeNames: names, ConsistentRead: true }),
    );
    assert.deepEqual(got.Item, expected, expression);
  }
  const whole = await s.client.send(new GetItemCommand({ TableName: 'docs', Key: { pk: { S: 'p' }, sk: { N: '1' } }, ConsistentRead: true }));
  assert.deepEqual(whole.Item, doc);
  // An absent item stays absent whatever the projection.
  const absent = await s.client.send(new GetItemCommand({ TableName: 'docs', Key: { pk: { S: 'p' }, sk: { N: '9' } }, ProjectionExpression: 'profile' }));
  assert.equal(absent.Item, undefined);
  // Through the document client.
  const viaDoc = await s.doc.send(new GetCommand({ TableName: 'docs', Key: { pk: 'p', sk: 1 }, ProjectionExpression: 'profile.address.zip, #n', ExpressionAttributeNames: { '#n': 'name' }, ConsistentRead: true }));
  assert.deepEqual(viaDoc.Item, { name: 'Ada', profile: { address: { zip: 'N1' } } });
});

test('Query and Scan apply ProjectionExpression on the storage node the same way', async () => {
  for (const [expression, names, expected] of cases) {
    const q = await s.client.send(
      new QueryCommand({
        TableName: 'docs',
        KeyConditionExpression: 'pk = :p AND sk = :one',
        ExpressionAttributeValues: { ':p': { S: 'p' }, ':one': { N: '1' } },
        ProjectionExpression: expression,
        ExpressionAttributeNames: names,
        ConsistentRead: true,
      }),
    );
    assert.deepEqual(q.Items, [expected], `Query ${expression}`);
    const scan = await s.client.send(
      new ScanCommand({
        TableName: 'docs',
        FilterExpression: 'sk = :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ProjectionExpression: expression,
        ExpressionAttributeNames: names,
        ConsistentRead: true,
      }),
    );
    assert.deepEqual(scan.Items, [expected], `Scan ${expression}`);
  }
  // An item with none of the projected attributes comes back as {}.
  const both = await s.client.send(
    new QueryCommand({ TableName: 'docs', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ProjectionExpression: 'profile.address', ConsistentRead: true }),
  );
  assert.deepEqual(both.Items, [{ profile: { M: { address: doc.profile.M!.address } } }, {}]);
  assert.equal(both.Count, 2);
});

test('projection errors are DynamoDB ValidationExceptions on every read', async () => {
  const get = (extra: Record<string, unknown>) => s.client.send(new GetItemCommand({ TableName: 'docs', Key: { pk: { S: 'p' }, sk: { N: '1' } }, ...extra }));
  await expectValidation(get({ ProjectionExpression: 'a, a' }), 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]');
  await expectValidation(get({ ProjectionExpression: 'a.b, a' }), 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]');
  await expectValidation(get({ ProjectionExpression: '#x' }), 'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x');
  await expectValidation(get({ ProjectionExpression: 'name' }), 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name');
  await expectValidation(get({ ProjectionExpression: 'a', ExpressionAttributeNames: { '#a': 'a' } }), 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}');
  await expectValidation(get({ ExpressionAttributeNames: { '#a': 'a' } }), 'ExpressionAttributeNames can only be specified when using expressions');
  await expectValidation(get({ ProjectionExpression: '' }), 'Invalid ProjectionExpression: The expression can not be empty;');
  await expectValidation(get({ ProjectionExpression: 'pk.x' }), "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk");
  await expectValidation(
    s.client.send(new QueryCommand({ TableName: 'docs', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ProjectionExpression: 'sk[0]' })),
    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: sk",
  );
  await expectValidation(s.client.send(new ScanCommand({ TableName: 'docs', ProjectionExpression: 'a[1], a[1]' })), 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, [1]]');
});
