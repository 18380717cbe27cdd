// DynamoDB's value rules through the AWS SDK: exact 38-digit numbers and their magnitude
// limits, "1.0" = "1", empty strings and binaries (allowed outside keys), sets, nesting depth,
// the 400 KB item size and the key size limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const invalid = 'One or more parameter values were invalid: ';
const emptyKey = (kind: 'string' | 'binary', name: string) =>
  `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${kind} value. Key: ${name}`;

before(async () => {
  // Pages of 100 KB items move far more than a partition's per-second ceiling: not under test here.
  s = await startTestServer((c) => {
    c.capacity.partitionReadUnitsMax = 1_000_000;
    c.capacity.partitionWriteUnitsMax = 1_000_000;
  });
  const tables: Array<[string, Array<[string, 'S' | 'N' | 'B']>]> = [
    ['nums', [['pk', 'S'], ['n', 'N']]],
    ['strs', [['pk', 'S'], ['sk', 'S']]],
    ['bins', [['pk', 'B']]],
    ['flat', [['pk', 'S']]],
  ];
  for (const [name, keys] of tables) {
    await s.client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: keys.map(([attribute], i) => ({ AttributeName: attribute, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
        AttributeDefinitions: keys.map(([attribute, type]) => ({ AttributeName: attribute, AttributeType: type })),
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
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

async function getFlat(pk: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await s.client.send(new GetItemCommand({ TableName: 'flat', Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
}

const max = '9.9999999999999999999999999999999999999E+125';
const maxPlain = '99999999999999999999999999999999999999' + '0'.repeat(88);
const min = '1E-130';
const minPlain = '0.' + '0'.repeat(129) + '1';

test('numbers with 38 significant digits and at the magnitude limits round-trip exactly', async () => {
  const cases: Array<[string, string]> = [
    ['12345678901234567890123456789012345678', '12345678901234567890123456789012345678'],
    ['-1234567890.1234567890123456789012345678', '-1234567890.1234567890123456789012345678'],
    ['0.00000000000000000000000000000000000012345678901234567890123456789012345678', '0.00000000000000000000000000000000000012345678901234567890123456789012345678'],
    [max, maxPlain],
    [`-${max}`, `-${maxPlain}`],
    [min, minPlain],
    [`-${min}`, `-${minPlain}`],
    ['1000000000000000000000000000000000000000000', '1000000000000000000000000000000000000000000'],
    ['007.50', '7.5'],
    ['-0', '0'],
    ['1e2', '100'],
  ];
  const item: Record<string, AttributeValue> = { pk: { S: 'numbers' } };
  cases.forEach(([text], i) => (item[`n${i}`] = { N: text }));
  item.set = { NS: ['12345678901234567890123456789012345678', '-12345678901234567890123456789012345678', min] };
  await s.client.send(new PutItemCommand({ TableName: 'flat', Item: item }));
  const got = (await getFlat('numbers'))!;
  cases.forEach(([text, canonical], i) => assert.equal(got[`n${i}`].N, canonical, text));
  assert.deepEqual(new Set(got.set.NS), new Set(['12345678901234567890123456789012345678', '-12345678901234567890123456789012345678', minPlain]));
  // Exact arithmetic at full precision and at the magnitude limits.
  const added = await s.client.send(
    new UpdateItemCommand({
      TableName: 'flat',
      Key: { pk: { S: 'numbers' } },
      UpdateExpression: 'SET n0 = n0 + :one, n3 = n3 - :ulp ADD n5 :min',
      ExpressionAttributeValues: { ':one': { N: '1' }, ':ulp': { N: '1E+88' }, ':min': { N: min } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  assert.deepEqual(added.Attributes, {
    n0: { N: '12345678901234567890123456789012345679' },
    n3: { N: '99999999999999999999999999999999999998' + '0'.repeat(88) },
    n5: { N: '0.' + '0'.repeat(129) + '2' },
  });
  // The numbers are exact: a 38-digit number and its successor compare as different.
  const cond = await s.client.send(
    new UpdateItemCommand({
      TableName: 'flat',
      Key: { pk: { S: 'numbers' } },
      UpdateExpression: 'SET ok = :t',
      ConditionExpression: 'n1 < :bigger AND n1 > :smaller',
      ExpressionAttributeValues: { ':t': { BOOL: true }, ':bigger': { N: '-1234567890.1234567890123456789012345677' }, ':smaller': { N: '-1234567890.1234567890123456789012345679' } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  assert.deepEqual(cond.Attributes, { ok: { BOOL: true } });
});

test('39 significant digits and out-of-range magnitudes are rejected with DynamoDB messages', async () => {
  const put = (n: string) => s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'bad' }, n: { N: n } } }));
  await expectValidation(put('123456789012345678901234567890123456789'), 'Attempting to store more than 38 significant digits in a Number');
  await expectValidation(put('1.23456789012345678901234567890123456789'), 'Attempting to store more than 38 significant digits in a Number');
  await expectValidation(put('1E+126'), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
  await expectValidation(put('-1E+126'), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
  await expectValidation(put('1E-131'), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
  await expectValidation(put('0.99E-130'), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
  await expectValidation(put('12abc'), 'The parameter cannot be converted to a numeric value: 12abc');
  await expectValidation(
    s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'bad' } }, ConditionExpression: 'n = :v', ExpressionAttributeValues: { ':v': { N: '1E+126' } } })),
    'ExpressionAttributeValues contains invalid value: Number overflow. Attempting to store a number with magnitude larger than supported range for key :v',
  );
  await expectValidation(
    s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'bad' }, s: { NS: ['1', '123456789012345678901234567890123456789'] } } })),
    'Attempting to store more than 38 significant digits in a Number',
  );
  // Arithmetic whose result leaves the range fails too.
  await s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'edge' }, n: { N: max } } }));
  await expectValidation(
    s.client.send(new UpdateItemCommand({ TableName: 'flat', Key: { pk: { S: 'edge' } }, UpdateExpression: 'ADD n :v', ExpressionAttributeValues: { ':v': { N: max } } })),
    'Number overflow. Attempting to store a number with magnitude larger than supported range',
  );
  assert.equal((await getFlat('bad')), undefined);
});

test('"1.0" equals "1": as a key, in Query key conditions and in conditions', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'nums', Item: { pk: { S: 'a' }, n: { N: '1.0' }, v: { S: 'first' } } }));
  const got = await s.client.send(new GetItemCommand({ TableName: 'nums', Key: { pk: { S: 'a' }, n: { N: '1' } }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { pk: { S: 'a' }, n: { N: '1' }, v: { S: 'first' } });
  // Writing "1.00" again replaces the same item.
  await s.client.send(new PutItemCommand({ TableName: 'nums', Item: { pk: { S: 'a' }, n: { N: '01.00' }, v: { S: 'second' } } }));
  const q = await s.client.send(
    new QueryCommand({ TableName: 'nums', KeyConditionExpression: 'pk = :a AND n = :one', ExpressionAttributeValues: { ':a': { S: 'a' }, ':one': { N: '1.000' } }, ConsistentRead: true }),
  );
  assert.deepEqual(q.Items, [{ pk: { S: 'a' }, n: { N: '1' }, v: { S: 'second' } }]);
  const all = await s.client.send(new QueryCommand({ TableName: 'nums', KeyConditionExpression: 'pk = :a', ExpressionAttributeValues: { ':a': { S: 'a' } }, ConsistentRead: true }));
  assert.equal(all.Count, 1);
  await s.client.send(
    new UpdateItemCommand({
      TableName: 'nums',
      Key: { pk: { S: 'a' }, n: { N: '1e0' } },
      UpdateExpression: 'SET w = :w',
      ConditionExpression: 'n = :one AND n IN (:x, :one) AND n BETWEEN :one AND :one',
      ExpressionAttributeValues: { ':w': { NS: ['1', '2.50'] }, ':one': { N: '10E-1' }, ':x': { N: '5' } },
    }),
  );
  await s.client.send(
    new UpdateItemCommand({
      TableName: 'nums',
      Key: { pk: { S: 'a' }, n: { N: '1' } },
      UpdateExpression: 'DELETE w :rm',
      ConditionExpression: 'contains(w, :two)',
      ExpressionAttributeValues: { ':rm': { NS: ['1.0'] }, ':two': { N: '2.5000' } },
    }),
  );
  const after = await s.client.send(new GetItemCommand({ TableName: 'nums', Key: { pk: { S: 'a' }, n: { N: '1' } }, ConsistentRead: true }));
  assert.deepEqual(after.Item!.w, { NS: ['2.5'] });
});

test('empty strings and binaries: allowed outside keys, rejected in keys', async () => {
  const empty = new Uint8Array(0);
  await s.client.send(
    new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'empties' }, s: { S: '' }, b: { B: empty }, l: { L: [{ S: '' }] }, m: { M: { e: { S: '' } } } } }),
  );
  const got = (await getFlat('empties'))!;
  assert.equal(got.s.S, '');
  assert.equal(got.b.B!.length, 0);
  assert.deepEqual(got.l, { L: [{ S: '' }] });
  assert.deepEqual(got.m, { M: { e: { S: '' } } });
  const matched = await s.client.send(new ScanCommand({ TableName: 'flat', FilterExpression: 's = :e', ExpressionAttributeValues: { ':e': { S: '' } }, ConsistentRead: true }));
  assert.deepEqual(matched.Items!.map((i) => i.pk.S), ['empties']);

  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: '' } } })), emptyKey('string', 'pk'));
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: 'a' }, sk: { S: '' } } })), emptyKey('string', 'sk'));
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'bins', Item: { pk: { B: empty } } })), emptyKey('binary', 'pk'));
  await expectValidation(s.client.send(new GetItemCommand({ TableName: 'flat', Key: { pk: { S: '' } } })), emptyKey('string', 'pk'));
  await expectValidation(s.client.send(new GetItemCommand({ TableName: 'bins', Key: { pk: { B: empty } } })), emptyKey('binary', 'pk'));
  await expectValidation(
    s.client.send(new QueryCommand({ TableName: 'strs', KeyConditionExpression: 'pk = :e', ExpressionAttributeValues: { ':e': { S: '' } } })),
    emptyKey('string', 'pk'),
  );
  await expectValidation(
    s.client.send(new QueryCommand({ TableName: 'strs', KeyConditionExpression: 'pk = :a', ExpressionAttributeValues: { ':a': { S: 'a' } }, ExclusiveStartKey: { pk: { S: 'a' }, sk: { S: '' } } })),
    `The provided starting key is invalid: ${emptyKey('string', 'sk')}`,
  );
  await expectValidation(s.client.send(new ScanCommand({ TableName: 'flat', ExclusiveStartKey: { pk: { S: '' } } })), `The provided starting key is invalid: ${emptyKey('string', 'pk')}`);
});

test('sets must be non-empty and duplicate-free', async () => {
  const put = (value: AttributeValue) => s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'sets' }, v: value } }));
  await expectValidation(put({ SS: [] }), `${invalid}An string set  may not be empty`);
  await expectValidation(put({ NS: [] }), `${invalid}An number set  may not be empty`);
  await expectValidation(put({ BS: [] }), `${invalid}Binary sets should not be empty`);
  await expectValidation(put({ SS: ['a', 'b', 'a'] }), `${invalid}Input collection ["a", "b", "a"] contains duplicates.`);
  await expectValidation(put({ NS: ['1', '1.0'] }), `${invalid}Input collection contains duplicates.`);
  await expectValidation(put({ M: { inner: { SS: [] } } }), `${invalid}An string set  may not be empty`);
  await expectValidation(
    s.client.send(new UpdateItemCommand({ TableName: 'flat', Key: { pk: { S: 'sets' } }, UpdateExpression: 'ADD v :s', ExpressionAttributeValues: { ':s': { SS: [] } } })),
    `ExpressionAttributeValues contains invalid value: ${invalid}An string set  may not be empty for key :s`,
  );
  await put({ SS: ['', 'a'] });
  assert.deepEqual((await getFlat('sets'))!.v, { SS: ['', 'a'] });
});

/** `wraps` single-key maps around a string: wraps = 1 → { M: { n: { S } } }. */
function nested(wraps: number): AttributeValue {
  let value: AttributeValue = { S: 'leaf' };
  for (let i = 0; i < wraps; i++) value = { M: { n: value } };
  return value;
}

test('nesting: 32 levels (the attribute itself is level 1) are accepted, 33 rejected', async () => {
  const nestingMessage = 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
  await s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'deep' }, d: nested(31) } }));
  assert.deepEqual((await getFlat('deep'))!.d, nested(31));
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'deeper' }, d: nested(32) } })), nestingMessage);
  let list: AttributeValue = { N: '1' };
  for (let i = 0; i < 32; i++) list = { L: [list] };
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'deeper' }, d: list } })), nestingMessage);
  assert.equal(await getFlat('deeper'), undefined);
});

test('item size: exactly 400 KB is accepted, one byte more is rejected', async () => {
  const limit = 400 * 1024;
  // Size = name bytes + value bytes per attribute: "pk" + "k" + "data" + the string.
  const fill = limit - ('pk'.length + 'k'.length + 'data'.length);
  await s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'k' }, data: { S: 'x'.repeat(fill) } } }));
  assert.equal((await getFlat('k'))!.data.S!.length, fill);
  await expectValidation(
    s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'k' }, data: { S: 'x'.repeat(fill + 1) } } })),
    'Item size has exceeded the maximum allowed size',
  );
  // Multi-byte characters count in UTF-8 bytes: "é" is 2 bytes.
  await expectValidation(
    s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'k' }, data: { S: 'é'.repeat(Math.ceil(fill / 2) + 1) } } })),
    'Item size has exceeded the maximum allowed size',
  );
  // A number's size: "12" is 2 bytes (1 digit pair + exponent), so 400 KB with a number attribute.
  const withNumber = limit - ('pk'.length + 'k2'.length + 'n'.length + 2 + 'data'.length);
  await s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'k2' }, n: { N: '12' }, data: { S: 'y'.repeat(withNumber) } } }));
  await expectValidation(
    s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: 'k2' }, n: { N: '123' }, data: { S: 'y'.repeat(withNumber) } } })),
    'Item size has exceeded the maximum allowed size',
  );
  // An update that grows the item past the limit.
  await expectValidation(
    s.client.send(new UpdateItemCommand({ TableName: 'flat', Key: { pk: { S: 'k' } }, UpdateExpression: 'SET more = :c', ExpressionAttributeValues: { ':c': { S: 'c' } } })),
    'Item size to update has exceeded the maximum allowed size',
  );
});

test('key sizes: partition key 2048 bytes accepted and 2049 rejected; sort key 1024 and 1025', async () => {
  const hashTooLarge = `${invalid}Size of hashkey has exceeded the maximum size limit of2048 bytes`;
  const rangeTooLarge = `${invalid}Aggregated size of all range keys has exceeded the size limit of 1024 bytes`;
  const pk2048 = 'p'.repeat(2048);
  await s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: pk2048 }, sk: { S: 's'.repeat(1024) }, v: { N: '1' } } }));
  const got = await s.client.send(new GetItemCommand({ TableName: 'strs', Key: { pk: { S: pk2048 }, sk: { S: 's'.repeat(1024) } }, ConsistentRead: true }));
  assert.equal(got.Item!.v.N, '1');
  const q = await s.client.send(new QueryCommand({ TableName: 'strs', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: pk2048 } }, ConsistentRead: true }));
  assert.equal(q.Count, 1);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: 'p'.repeat(2049) }, sk: { S: 's' } } })), hashTooLarge);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: 'p' }, sk: { S: 's'.repeat(1025) } } })), rangeTooLarge);
  await expectValidation(s.client.send(new GetItemCommand({ TableName: 'strs', Key: { pk: { S: 'p'.repeat(2049) }, sk: { S: 's' } } })), hashTooLarge);
  // UTF-8 bytes, not characters: 1024 two-byte characters are 2048 bytes.
  await s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: 'é'.repeat(1024) }, sk: { S: 'ü'.repeat(512) } } }));
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: 'é'.repeat(1024) + 'x' }, sk: { S: 's' } } })), hashTooLarge);
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'strs', Item: { pk: { S: 'p' }, sk: { S: 'ü'.repeat(512) + 'x' } } })), rangeTooLarge);
  await s.client.send(new PutItemCommand({ TableName: 'bins', Item: { pk: { B: new Uint8Array(2048).fill(7) } } }));
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'bins', Item: { pk: { B: new Uint8Array(2049) } } })), hashTooLarge);
});
