// Items whose encodings are many times their 400 KB through the real server: Query and Scan
// pages cut by their JSON size, so that a client paging on LastEvaluatedKey gets every item
// exactly once and no storage node ever builds a frame its ring cannot carry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Item = Record<string, AttributeValue>;

let s: TestServer;
/** Three ~390 KB strings of control characters (2.3 MB of JSON each) under one partition key. */
const controlItems: Item[] = ['a', 'b', 'c'].map((sk) => ({ pk: { S: 'ctrl' }, sk: { S: sk }, s: { S: '\u0001'.repeat(390_000) } }));
/** Three ~400 KB lists of 204,790 NULLs (2.9 MB of JSON each) under another. */
const nullItems: Item[] = ['a', 'b', 'c'].map((sk) => ({ pk: { S: 'nulls' }, sk: { S: sk }, l: { L: Array.from({ length: 204_790 }, () => ({ NULL: true })) } }));

before(async () => {
  // 400 KB writes cost 400 units each: the per-partition ceilings are not under test here.
  s = await startTestServer((c) => {
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
  for (const item of [...controlItems, ...nullItems]) await s.client.send(new PutItemCommand({ TableName: 'large', Item: item }));
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
