// TransactWriteItems and TransactGetItems through the AWS SDK: every request member's refusal and
// every option, each error asserted by type and message (issue 19). Messages confirmed against
// DynamoDB are noted where the source code defines them; the rest are monodyne's own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type TransactGetItem,
  type TransactGetItemsCommandInput,
  type TransactWriteItem,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { oneValidationError, refused } from '../helpers/refused.ts';

let t: TestServer;
const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
type Item = Record<string, AttributeValue>;

before(async () => {
  // What is checked here is validation, not throughput: a 3.9 MB transaction costs 7,800 write
  // units, more than a fresh table's partitions admit in a second (capacity is still metered).
  t = await startTestServer((c) => {
    c.capacity.throttling = false;
  });
  // 'large' takes the 4 MB transactions.
  for (const TableName of ['plain', 'large']) {
    await t.client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
  }
  await t.client.send(
    new CreateTableCommand({
      TableName: 'indexed',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'p', AttributeType: 'S' },
        { AttributeName: 's', AttributeType: 'N' },
        { AttributeName: 'l', AttributeType: 'N' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'p', KeyType: 'HASH' },
        { AttributeName: 's', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [{ IndexName: 'by-l', KeySchema: [{ AttributeName: 'p', KeyType: 'HASH' }, { AttributeName: 'l', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
      GlobalSecondaryIndexes: [{ IndexName: 'by-g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    }),
  );
});

after(() => t.stop());

function write(input: TransactWriteItemsCommandInput) {
  return t.client.send(new TransactWriteItemsCommand(input));
}

function read(input: TransactGetItemsCommandInput) {
  return t.client.send(new TransactGetItemsCommand(input));
}

async function stored(TableName: string, Key: Item): Promise<Item | undefined> {
  return (await t.client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
}

const put = (id: string, extra: Item = {}): TransactWriteItem => ({ Put: { TableName: 'plain', Item: { id: S(id), ...extra } } });

test('TransactWriteItems refuses malformed requests before anything runs', async (ctx) => {
  const cases: [string, TransactWriteItemsCommandInput, string, string | RegExp][] = [
    ['no actions', { TransactItems: [] }, 'ValidationException', /^1 validation error detected: Value .* at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1$/],
    [
      '101 actions',
      { TransactItems: Array.from({ length: 101 }, (_, i) => put(`many-${i}`)) },
      'ValidationException',
      /^1 validation error detected: Value .* at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100$/,
    ],
    [
      'an unknown ReturnConsumedCapacity',
      { TransactItems: [put('v1')], ReturnConsumedCapacity: 'BOGUS' as never },
      'ValidationException',
      oneValidationError("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
    ],
    [
      'an unknown ReturnItemCollectionMetrics',
      { TransactItems: [put('v1')], ReturnItemCollectionMetrics: 'BOGUS2' as never },
      'ValidationException',
      oneValidationError("Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]"),
    ],
    [
      'both unknown, in member order',
      { TransactItems: [put('v1')], ReturnConsumedCapacity: 'BOGUS' as never, ReturnItemCollectionMetrics: 'BOGUS2' as never },
      'ValidationException',
      "2 validation errors detected: Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]",
    ],
    [
      'a ClientRequestToken over 36 characters',
      { TransactItems: [put('v1')], ClientRequestToken: 'x'.repeat(37) },
      'ValidationException',
      oneValidationError(`Value '${'x'.repeat(37)}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`),
    ],
    [
      'an unknown ReturnValuesOnConditionCheckFailure',
      { TransactItems: [{ Delete: { TableName: 'plain', Key: { id: S('v1') }, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' as never } }] },
      'ValidationException',
      oneValidationError("Value 'ALL_NEW' at 'transactItems.1.member.delete.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"),
    ],
    ['an entry with no action', { TransactItems: [{}] }, 'ValidationException', 'TransactItems can only contain one of Check, Put, Update or Delete'],
    [
      'an entry with two actions',
      { TransactItems: [{ Put: { TableName: 'plain', Item: { id: S('v1') } }, Delete: { TableName: 'plain', Key: { id: S('v2') } } }] },
      'ValidationException',
      'TransactItems can only contain one of Check, Put, Update or Delete',
    ],
    [
      'an Update without UpdateExpression',
      { TransactItems: [{ Update: { TableName: 'plain', Key: { id: S('v1') } } as never }] },
      'ValidationException',
      oneValidationError("Value null at 'transactItems.1.member.update.updateExpression' failed to satisfy constraint: Member must not be null"),
    ],
    [
      'a Put without Item',
      { TransactItems: [{ Put: { TableName: 'plain' } as never }] },
      'ValidationException',
      oneValidationError("Value null at 'transactItems.1.member.put.item' failed to satisfy constraint: Member must not be null"),
    ],
    [
      'a table name out of pattern',
      { TransactItems: [{ Put: { TableName: 'a b', Item: { id: S('v1') } } }] },
      'ValidationException',
      oneValidationError("Value 'a b' at 'transactItems.1.member.put.tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ],
    ['an unknown table', { TransactItems: [{ Put: { TableName: 'nope', Item: { id: S('x') } } }] }, 'ResourceNotFoundException', 'Requested resource not found'],
    [
      'two actions on one item (ConditionCheck and Put)',
      { TransactItems: [{ ConditionCheck: { TableName: 'plain', Key: { id: S('dup') }, ConditionExpression: 'attribute_not_exists(id)' } }, put('dup')] },
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    ],
    [
      'a Put whose item lacks its key',
      { TransactItems: [{ Put: { TableName: 'plain', Item: { other: S('x') } } }] },
      'ValidationException',
      'One or more parameter values were invalid: Missing the key id in the item',
    ],
    [
      'an empty string key',
      { TransactItems: [{ Delete: { TableName: 'plain', Key: { id: S('') } } }] },
      'ValidationException',
      'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id',
    ],
    [
      'an index key of the wrong type',
      { TransactItems: [{ Put: { TableName: 'indexed', Item: { p: S('a'), s: N(1), g: N(5) } } }] },
      'ValidationException',
      'One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: by-g',
    ],
    [
      'a ConditionExpression that does not parse',
      { TransactItems: [{ ConditionCheck: { TableName: 'plain', Key: { id: S('v1') }, ConditionExpression: 'attribute_not_exists(' } }] },
      'ValidationException',
      'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("',
    ],
    [
      'an unused ExpressionAttributeValues entry',
      { TransactItems: [{ ConditionCheck: { TableName: 'plain', Key: { id: S('v1') }, ConditionExpression: 'attribute_not_exists(id)', ExpressionAttributeValues: { ':v': S('x') } } }] },
      'ValidationException',
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}',
    ],
    [
      'an undefined ExpressionAttributeNames entry',
      { TransactItems: [{ Delete: { TableName: 'plain', Key: { id: S('v1') }, ConditionExpression: 'attribute_exists(#n)' } }] },
      'ValidationException',
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n',
    ],
    [
      'an Update that sets the key',
      { TransactItems: [{ Update: { TableName: 'plain', Key: { id: S('v1') }, UpdateExpression: 'SET id = :x', ExpressionAttributeValues: { ':x': S('b') } } }] },
      'ValidationException',
      'One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key',
    ],
    [
      'an item over 400 KB',
      { TransactItems: [put('big', { pad: S('x'.repeat(410 * 1024)) })] },
      'ValidationException',
      'Item size has exceeded the maximum allowed size',
    ],
  ];
  for (const [what, input, name, message] of cases) {
    await ctx.test(what, async () => void (await refused(write(input), name, message)));
  }
  // Nothing above was applied.
  for (const id of ['v1', 'v2', 'dup', 'many-0', 'big']) assert.equal(await stored('plain', { id: S(id) }), undefined, id);
});

test('TransactWriteItems checks request members, then every item and expression, then tables, then duplicates', async () => {
  const deep = (): AttributeValue => {
    let v: AttributeValue = S('leaf');
    for (let i = 0; i < 32; i++) v = { M: { n: v } };
    return v;
  };
  const missing: TransactWriteItem = { Put: { TableName: 'nope', Item: { id: S('a') } } };
  const badCondition: TransactWriteItem = { ConditionCheck: { TableName: 'plain', Key: { id: S('order-cc') }, ConditionExpression: 'attribute_not_exists(' } };
  const unusedValue: TransactWriteItem = { ConditionCheck: { TableName: 'plain', Key: { id: S('order-cc') }, ConditionExpression: 'attribute_not_exists(id)', ExpressionAttributeValues: { ':v': S('x') } } };
  const deepItem = put('order-deep', { data: deep() });
  const syntax = 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("';
  const unused = 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}';
  const nesting = 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
  const cases: [string, TransactWriteItemsCommandInput, string][] = [
    [
      'an unknown ReturnConsumedCapacity ahead of a missing table',
      { TransactItems: [missing], ReturnConsumedCapacity: 'BOGUS' as never },
      oneValidationError("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
    ],
    [
      'an unknown ReturnConsumedCapacity ahead of a duplicate target',
      { TransactItems: [put('order-dup'), { Delete: { TableName: 'plain', Key: { id: S('order-dup') } } }], ReturnConsumedCapacity: 'BOGUS' as never },
      oneValidationError("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
    ],
    ['a malformed condition on a later action ahead of a missing table on an earlier one', { TransactItems: [missing, badCondition] }, syntax],
    ['an unused value ahead of a missing table on an earlier action', { TransactItems: [missing, unusedValue] }, unused],
    ['an unused value ahead of a missing table on a later action', { TransactItems: [unusedValue, missing] }, unused],
    ['an unused value ahead of a duplicate target', { TransactItems: [put('order-cc'), unusedValue] }, unused],
    ['a malformed condition on the first action ahead of a too deep item on the second', { TransactItems: [badCondition, deepItem] }, syntax],
    ['a too deep item on the first action ahead of a malformed condition on the second', { TransactItems: [deepItem, badCondition] }, nesting],
  ];
  for (const [what, input, message] of cases) {
    await refused(write(input), 'ValidationException', message).catch((e: unknown) => assert.fail(`${what}: ${String(e)}`));
  }
  for (const id of ['order-cc', 'order-dup', 'order-deep']) assert.equal(await stored('plain', { id: S(id) }), undefined, id);
});

test('a key that does not match its schema cancels the transaction, with a ValidationError in its place', async () => {
  const schema = 'The provided key element does not match the schema';
  const typed = 'One or more parameter values were invalid: Type mismatch for key id expected: S actual: ';
  const cases: [string, TransactWriteItem, string][] = [
    ['a Put with a number key', { Put: { TableName: 'plain', Item: { id: N(5) } } }, `${typed}N`],
    ['a Put with a list key', { Put: { TableName: 'plain', Item: { id: { L: [S('x')] } } } }, `${typed}L`],
    ['an Update with a number key', { Update: { TableName: 'plain', Key: { id: N(5) }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': N(1) } } }, schema],
    ['a Delete with a list key', { Delete: { TableName: 'plain', Key: { id: { L: [S('x')] } } } }, schema],
    ['a ConditionCheck with a number key', { ConditionCheck: { TableName: 'plain', Key: { id: N(5) }, ConditionExpression: 'attribute_not_exists(id)' } }, schema],
    ['a Delete with another attribute for its key', { Delete: { TableName: 'plain', Key: { other: S('x') } } }, schema],
  ];
  for (const [what, action, message] of cases) {
    const err = await refused(write({ TransactItems: [put('mismatch-other'), action] }), 'TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]');
    assert.deepEqual(err.CancellationReasons, [{ Code: 'None' }, { Code: 'ValidationError', Message: message }], what);
  }
  assert.equal(await stored('plain', { id: S('mismatch-other') }), undefined);
  for (const Key of [{}, { id: N(1) }] as Item[]) {
    const err = await refused(read({ TransactItems: [{ Get: { TableName: 'plain', Key } }] }), 'TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]');
    assert.deepEqual(err.CancellationReasons, [{ Code: 'ValidationError', Message: schema }]);
  }
});

test('an Update that would make its item larger than 400 KB cancels the transaction', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'plain', Item: { id: S('grow'), pad: S('x'.repeat(300 * 1024)) } }));
  const err = await refused(
    write({ TransactItems: [{ Update: { TableName: 'plain', Key: { id: S('grow') }, UpdateExpression: 'SET more = :m', ExpressionAttributeValues: { ':m': S('y'.repeat(200 * 1024)) } } }] }),
    'TransactionCanceledException',
    'Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]',
  );
  assert.deepEqual(err.CancellationReasons, [{ Code: 'ValidationError', Message: 'Item size to update has exceeded the maximum allowed size' }]);
  assert.equal((await stored('plain', { id: S('grow') }))?.more, undefined);
});

test('a transaction over 4 MB is refused, though each item is within 400 KB', async () => {
  const pad = 'x'.repeat(390 * 1024);
  const items = Array.from({ length: 11 }, (_, i): TransactWriteItem => ({ Put: { TableName: 'large', Item: { id: S(`large-${i}`), pad: S(pad) } } }));
  await refused(write({ TransactItems: items }), 'ValidationException', 'Transaction size has exceeded the maximum allowed size');
  assert.equal(await stored('large', { id: S('large-0') }), undefined);
  // Ten of them (3.9 MB) are one transaction.
  await write({ TransactItems: items.slice(0, 10) });
  assert.ok(await stored('large', { id: S('large-9') }));
});

test('100 actions are one transaction', async () => {
  await write({ TransactItems: Array.from({ length: 100 }, (_, i) => put(`hundred-${i}`)) });
  assert.ok(await stored('plain', { id: S('hundred-0') }));
  assert.ok(await stored('plain', { id: S('hundred-99') }));
});

test('ReturnValuesOnConditionCheckFailure ALL_OLD returns the item with the reason of each action kind; NONE does not', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'plain', Item: { id: S('rv'), n: N(1) } }));
  const failing: [string, TransactWriteItem][] = [
    ['ConditionCheck', { ConditionCheck: { TableName: 'plain', Key: { id: S('rv') }, ConditionExpression: 'n = :two', ExpressionAttributeValues: { ':two': N(2) } } }],
    ['Put', { Put: { TableName: 'plain', Item: { id: S('rv'), n: N(9) }, ConditionExpression: 'attribute_not_exists(id)' } }],
    ['Delete', { Delete: { TableName: 'plain', Key: { id: S('rv') }, ConditionExpression: 'n = :two', ExpressionAttributeValues: { ':two': N(2) } } }],
    ['Update', { Update: { TableName: 'plain', Key: { id: S('rv') }, UpdateExpression: 'SET n = :two', ConditionExpression: 'n = :two', ExpressionAttributeValues: { ':two': N(2) } } }],
  ];
  const cancelled = 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]';
  for (const [kind, action] of failing) {
    for (const mode of ['ALL_OLD', 'NONE', undefined] as const) {
      const body = Object.values(action)[0] as { ReturnValuesOnConditionCheckFailure?: string };
      const withMode = { [Object.keys(action)[0]!]: { ...body, ...(mode === undefined ? {} : { ReturnValuesOnConditionCheckFailure: mode }) } } as TransactWriteItem;
      const err = await refused(write({ TransactItems: [put(`rv-other-${kind}`), withMode] }), 'TransactionCanceledException', cancelled);
      const reasons = err.CancellationReasons as { Code: string; Message?: string; Item?: Item }[];
      assert.deepEqual(reasons[0], { Code: 'None' }, kind);
      assert.equal(reasons[1]!.Code, 'ConditionalCheckFailed', kind);
      assert.equal(reasons[1]!.Message, 'The conditional request failed', kind);
      if (mode === 'ALL_OLD') assert.deepEqual(reasons[1]!.Item, { id: S('rv'), n: N(1) }, kind);
      else assert.equal(reasons[1]!.Item, undefined, `${kind} ${mode}`);
    }
  }
  assert.deepEqual(await stored('plain', { id: S('rv') }), { id: S('rv'), n: N(1) });
  assert.equal(await stored('plain', { id: S('rv-other-Put') }), undefined);
});

test('ReturnConsumedCapacity: a transactional write costs twice its units, per table; NONE and no member answer none', async () => {
  const actions = (prefix: string): TransactWriteItem[] => [
    put(`${prefix}-1`),
    put(`${prefix}-2`, { pad: S('x'.repeat(1500)) }),
    { Put: { TableName: 'indexed', Item: { p: S(prefix), s: N(1) } } },
  ];
  const total = await write({ TransactItems: actions('cap-total'), ReturnConsumedCapacity: 'TOTAL' });
  const byTable = (list: typeof total.ConsumedCapacity) => Object.fromEntries((list ?? []).map((c) => [c.TableName, c]));
  // plain: 2 × 1 + 2 × 2 units (the second item is 1.5 KB); indexed: 2 × 1.
  assert.deepEqual(byTable(total.ConsumedCapacity), {
    plain: { TableName: 'plain', CapacityUnits: 6, WriteCapacityUnits: 6 },
    indexed: { TableName: 'indexed', CapacityUnits: 2, WriteCapacityUnits: 2 },
  });
  const indexes = await write({ TransactItems: actions('cap-indexes'), ReturnConsumedCapacity: 'INDEXES' });
  assert.deepEqual(byTable(indexes.ConsumedCapacity).plain, { TableName: 'plain', CapacityUnits: 6, WriteCapacityUnits: 6, Table: { CapacityUnits: 6, WriteCapacityUnits: 6 } });
  assert.equal((await write({ TransactItems: actions('cap-none'), ReturnConsumedCapacity: 'NONE' })).ConsumedCapacity, undefined);
  assert.equal((await write({ TransactItems: actions('cap-absent') })).ConsumedCapacity, undefined);
});

test('ReturnItemCollectionMetrics: SIZE answers collections of tables with local indexes, NONE answers none', async () => {
  const actions = (s: number): TransactWriteItem[] => [{ Put: { TableName: 'indexed', Item: { p: S('icm'), s: N(s), l: N(s) } } }, put(`icm-${s}`)];
  const size = await write({ TransactItems: actions(1), ReturnItemCollectionMetrics: 'SIZE' });
  assert.deepEqual(size.ItemCollectionMetrics, { indexed: [{ ItemCollectionKey: { p: S('icm') }, SizeEstimateRangeGB: [0, 1] }] });
  assert.equal((await write({ TransactItems: actions(2), ReturnItemCollectionMetrics: 'NONE' })).ItemCollectionMetrics, undefined);
});

test('ClientRequestToken: the same request answers again without applying; another request with the token is refused', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'plain', Item: { id: S('tok'), n: N(0) } }));
  const bump = { TransactItems: [{ Update: { TableName: 'plain', Key: { id: S('tok') }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': N(1) } } }], ClientRequestToken: 'validation-token-1' };
  await write(bump);
  // What capacity to report is no part of the request's identity.
  await write({ ...bump, ReturnConsumedCapacity: 'TOTAL' });
  assert.deepEqual((await stored('plain', { id: S('tok') }))?.n, N(1));
  await refused(
    write({ ...bump, TransactItems: [{ Delete: { TableName: 'plain', Key: { id: S('tok') } } }] }),
    'IdempotentParameterMismatchException',
    'The request uses the same client token as a previous, but non-identical request.',
  );
  assert.deepEqual((await stored('plain', { id: S('tok') }))?.n, N(1));
  // A request that failed leaves its token free.
  const token = 'validation-token-2';
  await refused(write({ TransactItems: [{ Put: { TableName: 'plain', Item: { id: S('tok') }, ConditionExpression: 'attribute_not_exists(id)' } }], ClientRequestToken: token }), 'TransactionCanceledException', /\[ConditionalCheckFailed\]$/);
  await write({ TransactItems: [put('tok-free')], ClientRequestToken: token });
  assert.ok(await stored('plain', { id: S('tok-free') }));
});

test('TransactGetItems refuses malformed requests', async (ctx) => {
  const get = (id: string, extra: Record<string, unknown> = {}) => ({ Get: { TableName: 'plain', Key: { id: S(id) }, ...extra } });
  const cases: [string, TransactGetItemsCommandInput, string, string | RegExp][] = [
    ['no gets', { TransactItems: [] }, 'ValidationException', /^1 validation error detected: Value .* at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1$/],
    [
      '101 gets',
      { TransactItems: Array.from({ length: 101 }, (_, i) => get(`g-${i}`)) },
      'ValidationException',
      /^1 validation error detected: Value .* at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100$/,
    ],
    ['an entry without Get', { TransactItems: [{} as never] }, 'ValidationException', oneValidationError("Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null")],
    [
      'an unknown ReturnConsumedCapacity',
      { TransactItems: [get('a')], ReturnConsumedCapacity: 'BOGUS' as never },
      'ValidationException',
      oneValidationError("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
    ],
    ['an unknown table', { TransactItems: [{ Get: { TableName: 'nope', Key: { id: S('a') } } }] }, 'ResourceNotFoundException', 'Requested resource not found'],
    ['one item twice', { TransactItems: [get('a'), get('a')] }, 'ValidationException', 'Transaction request cannot include multiple operations on one item'],
    ['a ProjectionExpression that does not parse', { TransactItems: [get('a', { ProjectionExpression: '!!!' })] }, 'ValidationException', 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'],
    [
      'an unused ExpressionAttributeNames entry',
      { TransactItems: [get('a', { ProjectionExpression: 'n', ExpressionAttributeNames: { '#x': 'x' } })] },
      'ValidationException',
      'Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}',
    ],
    [
      'an undefined ExpressionAttributeNames entry',
      { TransactItems: [get('a', { ProjectionExpression: '#x' })] },
      'ValidationException',
      'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x',
    ],
    [
      'a projection into a key attribute',
      { TransactItems: [get('a', { ProjectionExpression: 'id.x' })] },
      'ValidationException',
      "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: id",
    ],
  ];
  for (const [what, input, name, message] of cases) {
    await ctx.test(what, async () => void (await refused(read(input), name, message)));
  }
});

test('TransactGetItems: ProjectionExpression with ExpressionAttributeNames, and twice the units of a consistent read per table', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'plain', Item: { id: S('tg-1'), name: S('one'), m: { M: { deep: N(1), other: N(2) } }, pad: S('x'.repeat(5000)) } }));
  await t.client.send(new PutItemCommand({ TableName: 'indexed', Item: { p: S('tg'), s: N(1), l: N(7) } }));
  const items: TransactGetItem[] = [
    { Get: { TableName: 'plain', Key: { id: S('tg-1') }, ProjectionExpression: '#n, m.#d', ExpressionAttributeNames: { '#n': 'name', '#d': 'deep' } } },
    { Get: { TableName: 'indexed', Key: { p: S('tg'), s: N(1) } } },
    { Get: { TableName: 'plain', Key: { id: S('tg-missing') } } },
  ];
  const total = await read({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' });
  assert.deepEqual(total.Responses, [{ Item: { name: S('one'), m: { M: { deep: N(1) } } } }, { Item: { p: S('tg'), s: N(1), l: N(7) } }, {}]);
  const byTable = Object.fromEntries((total.ConsumedCapacity ?? []).map((c) => [c.TableName, c]));
  // plain: the 5 KB item (2 units consistent) twice, and the missing one (1 unit) twice; indexed: 1 unit twice.
  assert.deepEqual(byTable, {
    plain: { TableName: 'plain', CapacityUnits: 6, ReadCapacityUnits: 6 },
    indexed: { TableName: 'indexed', CapacityUnits: 2, ReadCapacityUnits: 2 },
  });
  const indexes = await read({ TransactItems: items, ReturnConsumedCapacity: 'INDEXES' });
  assert.deepEqual(
    indexes.ConsumedCapacity?.find((c) => c.TableName === 'indexed'),
    { TableName: 'indexed', CapacityUnits: 2, ReadCapacityUnits: 2, Table: { CapacityUnits: 2, ReadCapacityUnits: 2 } },
  );
  assert.equal((await read({ TransactItems: items, ReturnConsumedCapacity: 'NONE' })).ConsumedCapacity, undefined);
});
