// Items whose encodings are many times their 400 KB through the real server: Query and Scan
// pages cut by their JSON size, so that a client paging on LastEvaluatedKey gets every item
// exactly once and no storage node ever builds a frame its ring cannot carry; BatchGetItem
// answers of 100 such items cut at 16 MB with UnprocessedKeys; substitution variables over
// DynamoDB's 2 MB refused before they are sent to a storage node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetItemCommand, CreateTableCommand, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Item = Record<string, AttributeValue>;

let s: TestServer;
/** Three ~390 KB strings of control characters (2.3 MB of JSON each) under one partition key. */
const controlItems: Item[] = ['a', 'b', 'c'].map((sk) => ({ pk: { S: 'ctrl' }, sk: { S: sk }, s: { S: '\u0001'.repeat(390_000) } }));
/** Three ~400 KB lists of 204,790 NULLs (2.9 MB of JSON each) under another. */
const nullItems: Item[] = ['a', 'b', 'c'].map((sk) => ({ pk: { S: 'nulls' }, sk: { S: sk }, l: { L: Array.from({ length: 204_790 }, () => ({ NULL: true })) } }));
/** A hundred 400 KB items for BatchGetItem: 40 MB of items, more than a response's 16 MB. */
const wideItems: Item[] = Array.from({ length: 100 }, (_, i) => ({ pk: { S: `w${i}` }, s: { S: String(i % 10).repeat(400_000) } }));
/** A list of number sets whose plain text is 27.5 MB of JSON: more than a whole BatchGetItem response. */
const numberItem: Item = { pk: { S: 'numbers' }, l: { L: Array.from({ length: 2040 }, () => ({ NS: Array.from({ length: 99 }, (_, i) => `${i + 1}E-130`) })) } };

before(async () => {
  // 400 KB writes cost 400 units each: the per-partition ceilings are not under test here, nor
  // is durability (unsynced commits keep the 50 MB of writes below quick).
  s = await startTestServer((c) => {
    c.storage.sync = false;
    c.capacity.partitionReadUnitsMax = 1_000_000_000;
    c.capacity.partitionWriteUnitsMax = 1_000_000_000;
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'large',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(new CreateTableCommand({ TableName: 'wide', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  for (const item of [...controlItems, ...nullItems]) await s.client.send(new PutItemCommand({ TableName: 'large', Item: item }));
  for (let i = 0; i < wideItems.length; i += 10) await Promise.all(wideItems.slice(i, i + 10).map((item) => s.client.send(new PutItemCommand({ TableName: 'wide', Item: item }))));
  await s.client.send(new PutItemCommand({ TableName: 'wide', Item: numberItem }));
});
after(async () => {
  await s.stop();
});

/** Pages through a Query or Scan; returns each page's items. */
async function pages(input: QueryCommandInput | ScanCommandInput, scan: boolean): Promise<Item[][]> {
  const out: Item[][] = [];
  let start: Item | undefined;
  do {
    const res = scan
      ? await s.client.send(new ScanCommand({ ...(input as ScanCommandInput), ExclusiveStartKey: start }))
      : await s.client.send(new QueryCommand({ ...(input as QueryCommandInput), ExclusiveStartKey: start }));
    out.push(res.Items ?? []);
    start = res.LastEvaluatedKey;
    assert.ok(out.length < 20, 'paging does not end');
  } while (start !== undefined);
  return out;
}

const keyOf = (i: Item) => `${i.pk.S}/${i.sk.S}`;

test('Query of three 390 KB control-character items and of three 400 KB NULL lists: pages that hold each item once', async () => {
  for (const [pk, expected] of [['ctrl', controlItems], ['nulls', nullItems]] as const) {
    for (const forward of [true, false]) {
      const got = await pages({ TableName: 'large', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: pk } }, ScanIndexForward: forward }, false);
      // Two such items are more JSON than a page carries (4 MB): one item a page.
      assert.ok(got.every((page) => page.length <= 1), `${pk}: pages of ${got.map((p) => p.length).join(', ')} items`);
      const order = forward ? expected : expected.slice().reverse();
      assert.deepEqual(got.flat(), order, `${pk} (forward ${forward})`);
    }
  }
});

test('Scan of the same items: pages that hold each item once', async () => {
  const got = await pages({ TableName: 'large' }, true);
  // Each partition's answer holds one such item; a Scan page that reaches the next partition with
  // budget left may add that partition's first item (so a page is at most the budget and one item).
  assert.ok(got.every((page) => page.length <= 2), `pages of ${got.map((p) => p.length).join(', ')} items`);
  assert.ok(got.length >= 3);
  const items = got.flat();
  assert.deepEqual(items.map(keyOf).sort(), [...controlItems, ...nullItems].map(keyOf).sort());
  for (const item of items) assert.deepEqual(item, [...controlItems, ...nullItems].find((i) => keyOf(i) === keyOf(item)));
  // Projected to their keys, pages end at DynamoDB's 1 MB of items read (3 items), not earlier:
  // the JSON budget counts what is returned.
  const keys = await pages({ TableName: 'large', ProjectionExpression: 'pk, sk' }, true);
  assert.deepEqual(keys.flat().map(keyOf).sort(), [...controlItems, ...nullItems].map(keyOf).sort());
  assert.ok(keys.some((page) => page.length === 3), `pages of ${keys.map((p) => p.length).join(', ')} keys`);
});

/** BatchGetItem until no key is left unprocessed; returns every response's items and JSON size. */
async function batchGetAll(table: string, keys: Item[]): Promise<Array<{ items: Item[]; jsonBytes: number }>> {
  const rounds: Array<{ items: Item[]; jsonBytes: number }> = [];
  let pending = keys;
  while (pending.length > 0) {
    const res = await s.client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending } }, ReturnConsumedCapacity: 'TOTAL' }));
    const items = res.Responses?.[table] ?? [];
    rounds.push({ items, jsonBytes: items.reduce((n, i) => n + Buffer.byteLength(JSON.stringify(i), 'utf8'), 0) });
    const next = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
    assert.equal(items.length + next.length, pending.length, 'every key is answered or left unprocessed');
    assert.ok((res.ConsumedCapacity?.[0]?.CapacityUnits ?? 0) >= items.length * 48, `${JSON.stringify(res.ConsumedCapacity)} for ${items.length} items`);
    pending = next;
    assert.ok(rounds.length <= 100, 'BatchGetItem makes no progress');
  }
  return rounds;
}

test('BatchGetItem of 100 × 400 KB: answers of at most 16 MB, the rest as UnprocessedKeys, every item once', async () => {
  const rounds = await batchGetAll('wide', wideItems.map((i) => ({ pk: i.pk })));
  assert.ok(rounds.length >= 3, `${rounds.length} rounds`);
  for (const round of rounds) assert.ok(round.jsonBytes <= 16 * 1024 * 1024, `a response of ${round.jsonBytes} bytes of items`);
  // Each response is filled: about 16 MB / 400 KB = 40 items (DynamoDB's example answers 52 of 100 300 KB items).
  assert.ok(rounds[0].items.length >= 35, `the first response holds ${rounds[0].items.length} items`);
  const got = rounds.flatMap((r) => r.items);
  assert.deepEqual(got.map((i) => i.pk.S).sort(), wideItems.map((i) => i.pk.S).sort());
  for (const item of got) assert.deepEqual(item, wideItems.find((i) => i.pk.S === item.pk.S));
});

test('BatchGetItem of items larger than 16 MB of JSON: each comes alone, so paging always advances', async () => {
  const keys = [{ pk: numberItem.pk }, ...wideItems.slice(0, 5).map((i) => ({ pk: i.pk }))];
  const rounds = await batchGetAll('wide', keys);
  const alone = rounds.find((r) => r.items.some((i) => i.pk.S === 'numbers'));
  assert.ok(alone !== undefined && alone.items.length === 1, 'the 27 MB item comes in a response of its own');
  assert.ok(alone.jsonBytes > 16 * 1024 * 1024);
  assert.equal(rounds.flatMap((r) => r.items).length, keys.length);
  assert.equal((alone.items[0].l.L ?? []).length, 2040);
});

async function expectValidation(send: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(send, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, 'ValidationException', err.message);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.match(err.message, message);
    return true;
  });
}

test('substitution variables over 2 MB are a ValidationException, in every operation that sends them to a node', async () => {
  const fiveMegabytes: AttributeValue = { S: 'v'.repeat(5 * 1024 * 1024) };
  const tooLarge = /^Expression attribute names and values size has exceeded the maximum allowed size; size: 524\d{4}$/;
  const key = { pk: { S: 'x' }, sk: { S: 'x' } };
  await expectValidation(s.client.send(new PutItemCommand({ TableName: 'large', Item: key, ConditionExpression: '#a = :v', ExpressionAttributeNames: { '#a': 'a' }, ExpressionAttributeValues: { ':v': fiveMegabytes } })), tooLarge);
  await expectValidation(s.client.send(new UpdateItemCommand({ TableName: 'large', Key: key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': fiveMegabytes } })), tooLarge);
  await expectValidation(s.client.send(new DeleteItemCommand({ TableName: 'large', Key: key, ConditionExpression: 'a <> :v', ExpressionAttributeValues: { ':v': fiveMegabytes } })), tooLarge);
  await expectValidation(s.client.send(new QueryCommand({ TableName: 'large', KeyConditionExpression: 'pk = :p', FilterExpression: 'a = :v', ExpressionAttributeValues: { ':p': { S: 'x' }, ':v': fiveMegabytes } })), tooLarge);
  await expectValidation(s.client.send(new ScanCommand({ TableName: 'large', FilterExpression: 'a = :v', ExpressionAttributeValues: { ':v': fiveMegabytes } })), tooLarge);
  // The legacy parameters are rewritten as expressions, and bounded alike.
  await expectValidation(s.client.send(new UpdateItemCommand({ TableName: 'large', Key: key, AttributeUpdates: { a: { Action: 'PUT', Value: fiveMegabytes } } })), tooLarge);
  await expectValidation(s.client.send(new DeleteItemCommand({ TableName: 'large', Key: key, Expected: { a: { Value: fiveMegabytes } } })), tooLarge);
  await expectValidation(s.client.send(new ScanCommand({ TableName: 'large', ScanFilter: { a: { ComparisonOperator: 'EQ', AttributeValueList: [fiveMegabytes] } } })), tooLarge);
  assert.equal((await s.client.send(new GetItemCommand({ TableName: 'large', Key: key, ConsistentRead: true }))).Item, undefined, 'nothing was written');
});

test('UpdateItem SET with a large value: 390 KB is written, past 400 KB of item is DynamoDB\'s item-size error', async () => {
  const key = { pk: { S: 'set' }, sk: { S: 'a' } };
  const value: AttributeValue = { S: '\u0001'.repeat(390_000) };
  const res = await s.client.send(new UpdateItemCommand({ TableName: 'large', Key: key, UpdateExpression: 'SET s = :v', ExpressionAttributeValues: { ':v': value }, ReturnValues: 'UPDATED_NEW' }));
  assert.deepEqual(res.Attributes, { s: value });
  // 1.9 MB: within the substitution variables' 2 MB, so it reaches the leader, whose item-size check refuses it.
  await expectValidation(
    s.client.send(new UpdateItemCommand({ TableName: 'large', Key: key, UpdateExpression: 'SET t = :v', ExpressionAttributeValues: { ':v': { S: 't'.repeat(1_900_000) } } })),
    /^Item size to update has exceeded the maximum allowed size$/,
  );
  await expectValidation(
    s.client.send(new UpdateItemCommand({ TableName: 'large', Key: key, UpdateExpression: 'SET t = :v', ExpressionAttributeValues: { ':v': { S: 't'.repeat(20_000) } } })),
    /^Item size to update has exceeded the maximum allowed size$/,
  );
  const got = await s.client.send(new GetItemCommand({ TableName: 'large', Key: key, ConsistentRead: true }));
  assert.deepEqual(got.Item, { ...key, s: value });
  await s.client.send(new DeleteItemCommand({ TableName: 'large', Key: key }));
});
