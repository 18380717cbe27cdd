// Items stored before the JSON stored form (a cbor-x body) are still read after an upgrade: the
// same data, written to the nodes' B-trees in the old form while the server is stopped, gives
// byte-for-byte the same GetItem, Query, Scan and BatchGetItem answers (projections, filters,
// ConsumedCapacity and LastEvaluatedKey included) as it did in the new form.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { open } from 'lmdb';
import { restartOnSameDataDir, signedFetch, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/admin.ts';
import { decodeStoredItem, isJsonStoredItem, storedItemSize } from '../../src/storage/stored-item.ts';
import { legacyStoredItem } from '../storage/legacy-stored-item.ts';
import type { RunningServer } from '../../src/server/main.ts';

let s: TestServer | null = null;
let restarted: RunningServer | null = null;
after(async () => {
  await restarted?.close();
  await s?.stop();
});

async function call(endpoint: string, operation: string, body: string): Promise<string> {
  const res = await signedFetch(endpoint, `DynamoDB_20120810.${operation}`, body);
  const text = await res.text();
  assert.equal(res.status, 200, `${operation}: ${text}`);
  return text;
}

/** Items as JSON text (their names in JSON.parse's order): every type, full-precision numbers, nested maps, "__proto__" names. */
const items = [
  '{"pk":{"S":"p"},"sk":{"N":"1"},"s":{"S":"é✓ \\"q\\" \\u0001"},"n":{"N":"-12345678901234567890123456789012345678"},"b":{"B":"AAECAwT/"},"bs":{"BS":["AQ==","Ag=="]}}',
  '{"pk":{"S":"p"},"sk":{"N":"2"},"__proto__":{"S":"x"},"m":{"M":{"__proto__":{"N":"1E-130"},"deep":{"M":{"l":{"L":[{"NULL":true},{"BOOL":false}]}}}}}}',
  '{"1":{"S":"integer-like name"},"pk":{"S":"p"},"sk":{"N":"3"},"ss":{"SS":["a","b"]},"ns":{"NS":["1","0.5"]},"t":{"BOOL":true}}',
  '{"pk":{"S":"p"},"sk":{"N":"4"},"s":{"S":"short"}}',
  '{"pk":{"S":"q"},"sk":{"N":"1"},"s":{"S":"other partition"},"m":{"M":{}}}',
];

const keyOf = (item: string) => {
  const parsed = JSON.parse(item) as Record<string, unknown>;
  return JSON.stringify({ pk: parsed.pk, sk: parsed.sk });
};

/** Every read whose answer must not change with the stored form. */
const reads: Array<[string, string]> = [
  ...items.flatMap((item): Array<[string, string]> => [
    ['GetItem', `{"TableName":"upgraded","Key":${keyOf(item)},"ConsistentRead":true,"ReturnConsumedCapacity":"TOTAL"}`],
    ['GetItem', `{"TableName":"upgraded","Key":${keyOf(item)}}`],
    ['GetItem', `{"TableName":"upgraded","Key":${keyOf(item)},"ConsistentRead":true,"ProjectionExpression":"sk, m.#p, s","ExpressionAttributeNames":{"#p":"__proto__"}}`],
  ]),
  ['GetItem', '{"TableName":"upgraded","Key":{"pk":{"S":"none"},"sk":{"N":"1"}},"ConsistentRead":true}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"ReturnConsumedCapacity":"TOTAL"}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"Limit":2}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"Limit":2,"ExclusiveStartKey":{"pk":{"S":"p"},"sk":{"N":"2"}}}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p AND sk > :s","ExpressionAttributeValues":{":p":{"S":"p"},":s":{"N":"1"}},"ScanIndexForward":false,"ConsistentRead":true}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p","FilterExpression":"attribute_exists(s)","ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"Limit":3}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p","ProjectionExpression":"#p, b","ExpressionAttributeNames":{"#p":"__proto__"},"ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true}'],
  ['Query', '{"TableName":"upgraded","KeyConditionExpression":"pk = :p","Select":"COUNT","ExpressionAttributeValues":{":p":{"S":"p"}},"ConsistentRead":true,"Limit":3}'],
  ['Scan', '{"TableName":"upgraded","ConsistentRead":true,"ReturnConsumedCapacity":"TOTAL"}'],
  ['Scan', '{"TableName":"upgraded","ConsistentRead":true,"Limit":2}'],
  ['Scan', '{"TableName":"upgraded","ConsistentRead":true,"FilterExpression":"sk = :one","ExpressionAttributeValues":{":one":{"N":"1"}}}'],
  ['BatchGetItem', `{"RequestItems":{"upgraded":{"Keys":[${items.map(keyOf).join(',')}],"ConsistentRead":true}},"ReturnConsumedCapacity":"TOTAL"}`],
  ['BatchGetItem', `{"RequestItems":{"upgraded":{"Keys":[${items.map(keyOf).join(',')}],"ConsistentRead":true,"ProjectionExpression":"pk, sk, s"}}}`],
];

const nodeDirs = (dataDir: string) => [0, 1, 2].map((id) => `${dataDir}/node-${id}`).filter((dir) => existsSync(dir));

/** Each node's item values of tables whose B-tree name ends with `tableId`, handed to `visit` (which may rewrite them). */
async function eachStoredItem(dataDir: string, tableId: string, visit: (value: Buffer) => Buffer | null): Promise<number> {
  let seen = 0;
  for (const dir of nodeDirs(dataDir)) {
    const root = open({ path: dir, maxDbs: 10_000 });
    try {
      const names = [...root.getKeys()].filter((k): k is string => typeof k === 'string' && k.startsWith('d:') && k.endsWith(tableId));
      for (const name of names) {
        const db = root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
        for (const { key, value } of db.getRange({})) {
          seen++;
          const next = visit(value);
          if (next !== null) await db.put(key, next);
        }
      }
    } finally {
      await root.close();
    }
  }
  return seen;
}

test('items stored in the old cbor-x form read exactly as before after an upgrade', async () => {
  s = await startTestServer((config) => {
    // Checkpoints soon after the writes put the items in the B-trees, where this test rewrites them.
    config.storage.checkpointIntervalMs = 10;
  });
  const created = await call(s.endpoint, 'CreateTable', '{"TableName":"upgraded","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"BillingMode":"PAY_PER_REQUEST"}');
  const tableId = (JSON.parse(created) as { TableDescription: { TableId: string } }).TableDescription.TableId;
  await call(s.endpoint, 'CreateTable', '{"TableName":"marker","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}');
  for (const item of items) await call(s.endpoint, 'PutItem', `{"TableName":"upgraded","Item":${item}}`);
  const before: string[] = [];
  for (const [operation, body] of reads) before.push(await call(s.endpoint, operation, body));
  assert.equal((JSON.parse(before[0]) as { Item: unknown }).Item !== undefined, true);
  // Every replica of every item in its B-tree (three nodes, three replicas each); then a later
  // write checkpointed too, so the checkpoint that holds the items is the B-tree's recorded mark
  // (a restart replays only the log after it, which rewrites none of them).
  await waitFor(async () => (await eachStoredItem(s!.dataDir, tableId, () => null)) === 3 * items.length, 30_000, 'the items in the B-trees');
  await call(s.endpoint, 'PutItem', '{"TableName":"marker","Item":{"pk":{"S":"m"}}}');
  const markerId = (JSON.parse(await call(s.endpoint, 'DescribeTable', '{"TableName":"marker"}')) as { Table: { TableId: string } }).Table.TableId;
  await waitFor(async () => (await eachStoredItem(s!.dataDir, markerId, () => null)) === 3, 30_000, 'a later checkpoint');

  await s.server.close();
  const rewritten = await eachStoredItem(s.dataDir, tableId, (value) => {
    assert.ok(isJsonStoredItem(value), 'written in the JSON form');
    return legacyStoredItem(decodeStoredItem(value), storedItemSize(value));
  });
  assert.equal(rewritten, 3 * items.length);

  restarted = await restartOnSameDataDir({ ...s, server: { ...s.server, close: async () => {} } });
  for (let i = 0; i < reads.length; i++) {
    const [operation, body] = reads[i];
    assert.equal(await call(restarted.endpoint, operation, body), before[i], `${operation} ${body}`);
  }
  await restarted.close();
  restarted = null;
  // The reads above were served from the old form: nothing rewrote it meanwhile.
  let legacy = 0;
  await eachStoredItem(s.dataDir, tableId, (value) => {
    if (!isJsonStoredItem(value)) legacy++;
    return null;
  });
  assert.equal(legacy, 3 * items.length);
});
