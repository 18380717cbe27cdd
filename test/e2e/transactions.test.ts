// Transactions end to end through the AWS SDK: TransactWriteItems across tables and partitions
// (all or nothing, with cancellation reasons in action order), ClientRequestToken idempotency,
// TransactGetItems, and concurrent transfers that keep a total constant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { seededRandom } from '../helpers/prng.ts';
import { PauseGate } from '../helpers/pause-gate.ts';

let t: TestServer;
const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

before(async () => {
  t = await startTestServer();
  for (const TableName of ['accounts', 'ledger']) {
    await t.client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
  }
});

after(() => t.stop());

async function balance(id: string): Promise<number | undefined> {
  const got = await t.client.send(new GetItemCommand({ TableName: 'accounts', Key: { id: S(id) }, ConsistentRead: true }));
  return got.Item === undefined ? undefined : Number(got.Item.balance.N);
}

function transfer(from: string, to: string, amount: number, entry: string): TransactWriteItem[] {
  return [
    { Update: { TableName: 'accounts', Key: { id: S(from) }, UpdateExpression: 'SET balance = balance - :a', ConditionExpression: 'balance >= :a', ExpressionAttributeValues: { ':a': N(amount) } } },
    { Update: { TableName: 'accounts', Key: { id: S(to) }, UpdateExpression: 'SET balance = balance + :a', ExpressionAttributeValues: { ':a': N(amount) } } },
    { Put: { TableName: 'ledger', Item: { id: S(entry), from: S(from), to: S(to), amount: N(amount) }, ConditionExpression: 'attribute_not_exists(id)' } },
  ];
}

test('a transaction across two tables applies every action, or none with the reasons in action order', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'accounts', Item: { id: S('a'), balance: N(100) } }));
  await t.client.send(new PutItemCommand({ TableName: 'accounts', Item: { id: S('b'), balance: N(0) } }));
  await t.client.send(new TransactWriteItemsCommand({ TransactItems: transfer('a', 'b', 30, 't1') }));
  assert.equal(await balance('a'), 70);
  assert.equal(await balance('b'), 30);
  // Not enough money: cancelled, nothing applied; the first action's condition failed, with the item when asked.
  const items = transfer('a', 'b', 500, 't2');
  items[0].Update!.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
  const err = await t.client.send(new TransactWriteItemsCommand({ TransactItems: items })).catch((e: unknown) => e);
  assert.ok(err instanceof TransactionCanceledException, String(err));
  assert.equal(err.message, 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]');
  assert.deepEqual(err.CancellationReasons!.map((r) => r.Code), ['ConditionalCheckFailed', 'None', 'None']);
  assert.deepEqual(err.CancellationReasons![0].Item, { id: S('a'), balance: N(70) });
  assert.equal(await balance('a'), 70);
  assert.equal((await t.client.send(new GetItemCommand({ TableName: 'ledger', Key: { id: S('t2') }, ConsistentRead: true }))).Item, undefined);
  // A ConditionCheck that fails cancels the rest; a Delete applies with the others.
  await assert.rejects(
    t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ ConditionCheck: { TableName: 'accounts', Key: { id: S('b') }, ConditionExpression: 'balance > :x', ExpressionAttributeValues: { ':x': N(1000) } } }, { Delete: { TableName: 'ledger', Key: { id: S('t1') } } }] })),
    { name: 'TransactionCanceledException' },
  );
  await t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ ConditionCheck: { TableName: 'accounts', Key: { id: S('b') }, ConditionExpression: 'balance = :x', ExpressionAttributeValues: { ':x': N(30) } } }, { Delete: { TableName: 'ledger', Key: { id: S('t1') } } }] }));
  assert.equal((await t.client.send(new GetItemCommand({ TableName: 'ledger', Key: { id: S('t1') }, ConsistentRead: true }))).Item, undefined);
});

test('validation: one item once, one action per entry, at most 100 actions', async () => {
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [...transfer('a', 'b', 1, 'v1'), { Delete: { TableName: 'accounts', Key: { id: S('a') } } }] })), {
    name: 'ValidationException',
    message: 'Transaction request cannot include multiple operations on one item',
  });
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Delete: { TableName: 'accounts', Key: { id: S('a') } }, ConditionCheck: { TableName: 'accounts', Key: { id: S('b') }, ConditionExpression: 'attribute_exists(id)' } }] })), {
    name: 'ValidationException',
    message: 'TransactItems can only contain one of Check, Put, Update or Delete',
  });
  const many = Array.from({ length: 101 }, (_, i): TransactWriteItem => ({ Put: { TableName: 'ledger', Item: { id: S(`m${i}`) } } }));
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: many })), { name: 'ValidationException' });
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'nope', Item: { id: S('x') } } }] })), { name: 'ResourceNotFoundException' });
  // Each action is validated as its single-item operation is.
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ ConditionCheck: { TableName: 'accounts', Key: { id: S('a') } } as never }] })), { name: 'ValidationException', message: /conditionExpression/i });
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Update: { TableName: 'accounts', Key: { id: S('a') }, UpdateExpression: 'SET id = :x', ExpressionAttributeValues: { ':x': S('b') } } }] })), {
    name: 'ValidationException',
    message: /This attribute is part of the key/,
  });
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'ledger', Item: { id: S('big'), pad: S('x'.repeat(410 * 1024)) } } }] })), {
    name: 'ValidationException',
    message: 'Item size has exceeded the maximum allowed size',
  });
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Delete: { TableName: 'accounts', Key: { id: N(1) } } }] })), {
    name: 'TransactionCanceledException',
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]',
  });
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Delete: { TableName: 'accounts', Key: { id: S('a') } } }], ClientRequestToken: 'x'.repeat(37) })), { name: 'ValidationException' });
  await assert.rejects(t.client.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: 'accounts', Key: { id: S('a') } } }, { Get: { TableName: 'accounts', Key: { id: S('a') } } }] })), {
    name: 'ValidationException',
    message: 'Transaction request cannot include multiple operations on one item',
  });
});

test('a ClientRequestToken applies a request once; another request with the same token is refused', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'accounts', Item: { id: S('c'), balance: N(10) } }));
  const bump = { TransactItems: [{ Update: { TableName: 'accounts', Key: { id: S('c') }, UpdateExpression: 'SET balance = balance + :one', ExpressionAttributeValues: { ':one': N(1) } } }], ClientRequestToken: 'token-1' };
  await t.client.send(new TransactWriteItemsCommand(bump));
  await t.client.send(new TransactWriteItemsCommand(bump));
  assert.equal(await balance('c'), 11);
  await assert.rejects(t.client.send(new TransactWriteItemsCommand({ ...bump, TransactItems: [{ Delete: { TableName: 'accounts', Key: { id: S('c') } } }] })), { name: 'IdempotentParameterMismatchException' });
});

test('TransactGetItems reads items of two tables together, with projections', async () => {
  await t.client.send(new PutItemCommand({ TableName: 'ledger', Item: { id: S('g1'), amount: N(5), note: S('n') } }));
  const got = await t.client.send(
    new TransactGetItemsCommand({
      TransactItems: [{ Get: { TableName: 'accounts', Key: { id: S('a') } } }, { Get: { TableName: 'ledger', Key: { id: S('g1') }, ProjectionExpression: 'amount' } }, { Get: { TableName: 'ledger', Key: { id: S('missing') } } }],
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  assert.equal(got.Responses![0].Item!.balance.N, '70');
  assert.deepEqual(got.Responses![1].Item, { amount: N(5) });
  assert.equal(got.Responses![2].Item, undefined);
  assert.equal(got.ConsumedCapacity!.length, 2);
});

test('concurrent transfers keep the total: each commits whole or is cancelled (conflict or condition), audits always see the total', async () => {
  const accounts = Array.from({ length: 8 }, (_, i) => `acct${i}`);
  for (const id of accounts) await t.client.send(new PutItemCommand({ TableName: 'accounts', Item: { id: S(id), balance: N(100) } }));
  const total = 100 * accounts.length;
  const r = seededRandom(42);
  let committed = 0;
  let cancelledCount = 0;
  let audits = 0;
  // Closed by the auditor after a few cancelled audits in a row, until one gets through.
  const quiet = new PauseGate();
  const worker = async (w: number) => {
    for (let i = 0; i < 25; i++) {
      await quiet.pass();
      const from = accounts[Math.floor(r() * accounts.length)];
      let to = accounts[Math.floor(r() * accounts.length)];
      if (to === from) to = accounts[(accounts.indexOf(from) + 1) % accounts.length];
      try {
        await t.client.send(new TransactWriteItemsCommand({ TransactItems: transfer(from, to, 1 + Math.floor(r() * 20), `w${w}-${i}`) }));
        committed++;
      } catch (err) {
        assert.ok(err instanceof TransactionCanceledException, String(err));
        cancelledCount++;
      }
    }
  };
  const auditor = async () => {
    let cancelledInARow = 0;
    for (let i = 0; i < 20; i++) {
      try {
        const got = await t.client.send(new TransactGetItemsCommand({ TransactItems: accounts.map((id) => ({ Get: { TableName: 'accounts', Key: { id: S(id) } } })) }));
        assert.equal(got.Responses!.reduce((sum, r) => sum + Number(r.Item!.balance.N), 0), total, 'an audit saw a partial transfer');
        audits++;
        cancelledInARow = 0;
        quiet.reopen();
      } catch (err) {
        assert.ok(err instanceof TransactionCanceledException, String(err));
        if (++cancelledInARow >= 3) quiet.close();
      }
    }
    quiet.reopen();
  };
  await Promise.all([worker(0), worker(1), worker(2), worker(3), auditor()]);
  let sum = 0;
  for (const id of accounts) sum += (await balance(id))!;
  assert.equal(sum, total);
  assert.ok(committed > 0, 'no transfer committed');
  const entries = (await t.client.send(new ScanCommand({ TableName: 'ledger', ConsistentRead: true }))).Items!.filter((i) => i.id.S!.startsWith('w'));
  assert.equal(entries.length, committed, 'a ledger entry for each committed transfer, and only those');
  assert.ok(audits > 0, 'no audit completed');
  assert.equal(committed + cancelledCount, 100);
});

test('ReturnItemCollectionMetrics SIZE answers the collections of actions on tables with local indexes', async () => {
  await t.client.send(
    new CreateTableCommand({
      TableName: 'withlsi',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'p', AttributeType: 'S' },
        { AttributeName: 's', AttributeType: 'N' },
        { AttributeName: 'l', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'p', KeyType: 'HASH' },
        { AttributeName: 's', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [{ IndexName: 'by-l', KeySchema: [{ AttributeName: 'p', KeyType: 'HASH' }, { AttributeName: 'l', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    }),
  );
  const out = await t.client.send(
    new TransactWriteItemsCommand({
      TransactItems: [{ Put: { TableName: 'withlsi', Item: { p: S('k'), s: N(1), l: N(1) } } }, { Put: { TableName: 'ledger', Item: { id: S('icm') } } }],
      ReturnItemCollectionMetrics: 'SIZE',
    }),
  );
  assert.deepEqual(out.ItemCollectionMetrics, { withlsi: [{ ItemCollectionKey: { p: S('k') }, SizeEstimateRangeGB: [0, 1] }] });
});
