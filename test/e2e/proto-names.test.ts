// "__proto__" is a legal attribute name: an item holding it at the top level and inside a map
// comes back exactly through every read and every ReturnValues, and expressions see it. Sent as
// raw JSON text, since a JavaScript object literal would turn the name into a prototype.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signedFetch, startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;

before(async () => {
  s = await startTestServer();
  await call('CreateTable', '{"TableName":"proto","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}');
});
after(async () => {
  await s.stop();
});

/** Sends one request as JSON text; returns the answer's JSON text (asserting a 200). */
async function call(operation: string, body: string): Promise<string> {
  const res = await signedFetch(s.endpoint, `DynamoDB_20120810.${operation}`, body);
  const text = await res.text();
  assert.equal(res.status, 200, `${operation}: ${text}`);
  return text;
}

/** The JSON text of `member` in an answer, its own properties in order ("__proto__" included). */
function member(answer: string, path: Array<string | number>): string {
  let value: unknown = JSON.parse(answer);
  for (const step of path) value = (value as Record<string | number, unknown>)[step];
  return JSON.stringify(value);
}

const item = '{"pk":{"S":"a"},"__proto__":{"S":"x"},"m":{"M":{"__proto__":{"N":"1"}}}}';
const key = '{"pk":{"S":"a"}}';

test('PutItem, then GetItem, Query, Scan and BatchGetItem return the item exactly', async () => {
  await call('PutItem', `{"TableName":"proto","Item":${item}}`);
  assert.equal(member(await call('GetItem', `{"TableName":"proto","Key":${key},"ConsistentRead":true}`), ['Item']), item);
  assert.equal(member(await call('GetItem', `{"TableName":"proto","Key":${key}}`), ['Item']), item);
  assert.equal(member(await call('Query', '{"TableName":"proto","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}'), ['Items', 0]), item);
  assert.equal(member(await call('Scan', '{"TableName":"proto"}'), ['Items', 0]), item);
  assert.equal(member(await call('BatchGetItem', `{"RequestItems":{"proto":{"Keys":[${key}]}}}`), ['Responses', 'proto', 0]), item);
});

test('ReturnValues of PutItem, UpdateItem and DeleteItem carry the name exactly', async () => {
  await call('PutItem', `{"TableName":"proto","Item":${item}}`);
  assert.equal(member(await call('PutItem', `{"TableName":"proto","Item":${item},"ReturnValues":"ALL_OLD"}`), ['Attributes']), item);
  const updated = await call(
    'UpdateItem',
    `{"TableName":"proto","Key":${key},"UpdateExpression":"SET #p = :v, m.#p = :n","ExpressionAttributeNames":{"#p":"__proto__"},"ExpressionAttributeValues":{":v":{"S":"y"},":n":{"N":"2"}},"ReturnValues":"ALL_NEW"}`,
  );
  assert.equal(member(updated, ['Attributes']), '{"pk":{"S":"a"},"__proto__":{"S":"y"},"m":{"M":{"__proto__":{"N":"2"}}}}');
  const updatedOld = await call(
    'UpdateItem',
    `{"TableName":"proto","Key":${key},"UpdateExpression":"SET #p = :v","ExpressionAttributeNames":{"#p":"__proto__"},"ExpressionAttributeValues":{":v":{"S":"z"}},"ReturnValues":"UPDATED_OLD"}`,
  );
  assert.equal(member(updatedOld, ['Attributes']), '{"__proto__":{"S":"y"}}');
  const deleted = await call('DeleteItem', `{"TableName":"proto","Key":${key},"ReturnValues":"ALL_OLD"}`);
  assert.equal(member(deleted, ['Attributes']), '{"pk":{"S":"a"},"__proto__":{"S":"z"},"m":{"M":{"__proto__":{"N":"2"}}}}');
});

test('conditions, filters and projections see the name', async () => {
  await call('PutItem', `{"TableName":"proto","Item":${item}}`);
  await call('PutItem', `{"TableName":"proto","Item":${item},"ConditionExpression":"attribute_exists(#p) AND #p = :x AND m.#p = :one","ExpressionAttributeNames":{"#p":"__proto__"},"ExpressionAttributeValues":{":x":{"S":"x"},":one":{"N":"1"}}}`);
  const filtered = await call('Scan', '{"TableName":"proto","FilterExpression":"#p = :x","ExpressionAttributeNames":{"#p":"__proto__"},"ExpressionAttributeValues":{":x":{"S":"x"}}}');
  assert.equal(member(filtered, ['Items', 0]), item);
  const projected = await call('GetItem', `{"TableName":"proto","Key":${key},"ConsistentRead":true,"ProjectionExpression":"#p, m.#p","ExpressionAttributeNames":{"#p":"__proto__"}}`);
  assert.equal(member(projected, ['Item']), '{"__proto__":{"S":"x"},"m":{"M":{"__proto__":{"N":"1"}}}}');
  const queried = await call('Query', '{"TableName":"proto","KeyConditionExpression":"pk = :p","ProjectionExpression":"m.#p","ExpressionAttributeNames":{"#p":"__proto__"},"ExpressionAttributeValues":{":p":{"S":"a"}}}');
  assert.equal(member(queried, ['Items', 0]), '{"m":{"M":{"__proto__":{"N":"1"}}}}');
  const legacy = await call('GetItem', `{"TableName":"proto","Key":${key},"ConsistentRead":true,"AttributesToGet":["__proto__"]}`);
  assert.equal(member(legacy, ['Item']), '{"__proto__":{"S":"x"}}');
});
