// Query and Scan through the AWS SDK: key conditions, ordering, pagination, page limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, QueryCommand, ScanCommand, paginateQuery, paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const users = 20;
const eventsPerUser = 30;

before(async () => {
  // Pages of 100 KB items move far more than a partition's per-second ceiling: not under test here.
  s = await startTestServer((c) => {
    c.capacity.partitionReadUnitsMax = 1_000_000;
    c.capacity.partitionWriteUnitsMax = 1_000_000;
  });
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
  await s.client.send(
    new CreateTableCommand({
      TableName: 'names',
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
  const puts: Promise<unknown>[] = [];
  for (let u = 0; u < users; u++) {
    for (let e = 0; e < eventsPerUser; e++) {
      // Sort keys from -15 to 14.5 in steps of 1.0 and 0.5: exercises negative and fractional order.
      const n = e - 15 + (e % 2 === 0 ? 0 : 0.5);
      puts.push(s.client.send(new PutItemCommand({ TableName: 'events', Item: { user: { S: `u${u}` }, n: { N: String(n) }, kind: { S: e % 3 === 0 ? 'click' : 'view' } } })));
    }
  }
  for (const sk of ['a', 'ab', 'abc', 'b', 'ba', 'B', 'é', 'z', '~']) {
    puts.push(s.client.send(new PutItemCommand({ TableName: 'names', Item: { pk: { S: 'p' }, sk: { S: sk } } })));
  }
  await Promise.all(puts);
});
after(async () => {
  await s.stop();
});

function numbers(items: Record<string, AttributeValue>[] | undefined): number[] {
  return (items ?? []).map((i) => Number(i.n.N));
}

function expectedNumbers(): number[] {
  return Array.from({ length: eventsPerUser }, (_, e) => e - 15 + (e % 2 === 0 ? 0 : 0.5)).sort((a, b) => a - b);
}

test('Query returns one partition key in sort key order, both directions', async () => {
  const q = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { S: 'u3' } }, ConsistentRead: true }));
  assert.deepEqual(numbers(q.Items), expectedNumbers());
  assert.equal(q.Count, eventsPerUser);
  assert.equal(q.ScannedCount, eventsPerUser);
  assert.equal(q.LastEvaluatedKey, undefined);
  const back = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { S: 'u3' } }, ScanIndexForward: false, ConsistentRead: true }));
  assert.deepEqual(numbers(back.Items), expectedNumbers().reverse());
});

test('Query sort key conditions: = < <= > >= BETWEEN begins_with', async () => {
  const all = expectedNumbers();
  const cases: Array<[string, Record<string, AttributeValue>, (n: number) => boolean]> = [
    ['n = :a', { ':a': { N: '2' } }, (n) => n === 2],
    ['n < :a', { ':a': { N: '-3' } }, (n) => n < -3],
    ['n <= :a', { ':a': { N: '-3' } }, (n) => n <= -3],
    ['n > :a', { ':a': { N: '0.5' } }, (n) => n > 0.5],
    ['n >= :a', { ':a': { N: '0.5' } }, (n) => n >= 0.5],
    ['n BETWEEN :a AND :b', { ':a': { N: '-2.5' }, ':b': { N: '3' } }, (n) => n >= -2.5 && n <= 3],
  ];
  for (const [cond, values, keep] of cases) {
    for (const forward of [true, false]) {
      const q = await s.client.send(
        new QueryCommand({ TableName: 'events', KeyConditionExpression: `#u = :u AND ${cond}`, ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { S: 'u7' }, ...values }, ScanIndexForward: forward, ConsistentRead: true }),
      );
      const expected = all.filter(keep);
      assert.deepEqual(numbers(q.Items), forward ? expected : expected.reverse(), `${cond} forward=${forward}`);
    }
  }
  const bw = await s.client.send(new QueryCommand({ TableName: 'names', KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)', ExpressionAttributeValues: { ':p': { S: 'p' }, ':s': { S: 'a' } } , ConsistentRead: true}));
  assert.deepEqual(bw.Items?.map((i) => i.sk.S), ['a', 'ab', 'abc']);
  const sorted = await s.client.send(new QueryCommand({ TableName: 'names', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ConsistentRead: true }));
  // UTF-8 byte order: upper case before lower case, '~' (0x7e) before 'é' (0xc3 0xa9).
  assert.deepEqual(sorted.Items?.map((i) => i.sk.S), ['B', 'a', 'ab', 'abc', 'b', 'ba', 'z', '~', 'é']);
});

test('Query pages with Limit and ExclusiveStartKey, forward and backward, without skips or repeats', async () => {
  for (const forward of [true, false]) {
    const seen: number[] = [];
    let pages = 0;
    for await (const page of paginateQuery({ client: s.client, pageSize: 7 }, { TableName: 'events', KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { S: 'u1' } }, ScanIndexForward: forward, ConsistentRead: true })) {
      pages++;
      assert.ok((page.Items?.length ?? 0) <= 7);
      seen.push(...numbers(page.Items));
    }
    assert.deepEqual(seen, forward ? expectedNumbers() : expectedNumbers().reverse());
    assert.equal(pages, 5); // 7+7+7+7+2
  }
});

test('Query of an absent partition key is empty; key condition errors are DynamoDB ValidationExceptions', async () => {
  const q = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { S: 'nobody' } } }));
  assert.deepEqual(q.Items, []);
  assert.equal(q.Count, 0);
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ KeyConditionExpression: 'n = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }, /Query condition missed key schema element: user/],
    [{ KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { N: '1' } } }, /Condition parameter type does not match schema type/],
    [{ KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' } }, /An expression attribute value used in expression is not defined; attribute value: :u/],
    [{ KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user', '#x': 'x' }, ExpressionAttributeValues: { ':u': { S: 'a' } } }, /unused in expressions: keys: \{#x\}/],
    [{ KeyConditionExpression: 'user = :u', ExpressionAttributeValues: { ':u': { S: 'a' } } }, /reserved keyword/],
    [{}, /KeyConditionExpression/],
  ];
  for (const [params, message] of bad) {
    await assert.rejects(s.client.send(new QueryCommand({ TableName: 'events', ...params } as never)), (err: Error) => {
      assert.equal(err.name, 'ValidationException', err.message);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('Scan returns every item exactly once across pages and segments', async () => {
  const keyOf = (i: Record<string, AttributeValue>) => `${i.user.S}/${i.n.N}`;
  const all = new Set<string>();
  let pages = 0;
  for await (const page of paginateScan({ client: s.client, pageSize: 45 }, { TableName: 'events' })) {
    pages++;
    for (const item of page.Items ?? []) {
      const k = keyOf(item);
      assert.ok(!all.has(k), `repeated ${k}`);
      all.add(k);
    }
  }
  assert.equal(all.size, users * eventsPerUser);
  assert.ok(pages >= Math.ceil((users * eventsPerUser) / 45));

  const segmented = new Set<string>();
  for (let segment = 0; segment < 4; segment++) {
    for await (const page of paginateScan({ client: s.client, pageSize: 50 }, { TableName: 'events', Segment: segment, TotalSegments: 4 })) {
      for (const item of page.Items ?? []) {
        const k = keyOf(item);
        assert.ok(!segmented.has(k), `repeated ${k} in segment ${segment}`);
        segmented.add(k);
      }
    }
  }
  assert.equal(segmented.size, users * eventsPerUser);
});

test('Scan and Query stop at the 1 MB page limit and continue from LastEvaluatedKey', async () => {
  await s.client.send(
    new CreateTableCommand({ TableName: 'big', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }], BillingMode: 'PAY_PER_REQUEST' }),
  );
  const blob = 'x'.repeat(100 * 1024);
  for (let i = 0; i < 25; i++) await s.client.send(new PutItemCommand({ TableName: 'big', Item: { pk: { S: 'one' }, sk: { N: String(i) }, blob: { S: blob } } }));
  const first = await s.client.send(new QueryCommand({ TableName: 'big', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'one' } }, ConsistentRead: true }));
  assert.ok(first.LastEvaluatedKey, 'a 2.5 MB partition does not fit one page');
  assert.ok(first.Count! >= 10 && first.Count! <= 11, `page of ${first.Count} items of 100 KB`);
  let total = first.Count!;
  let esk: Record<string, AttributeValue> | undefined = first.LastEvaluatedKey;
  while (esk) {
    const next: { Count?: number; LastEvaluatedKey?: Record<string, AttributeValue> } = await s.client.send(new QueryCommand({ TableName: 'big', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'one' } }, ExclusiveStartKey: esk, ConsistentRead: true }));
    total += next.Count!;
    esk = next.LastEvaluatedKey;
  }
  assert.equal(total, 25);
  const scanned = await s.client.send(new ScanCommand({ TableName: 'big' }));
  assert.ok(scanned.LastEvaluatedKey);
  assert.ok(scanned.Count! <= 11);
});
