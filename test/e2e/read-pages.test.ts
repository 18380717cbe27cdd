// Query and Scan, complete: Select, Count/ScannedCount with a filter applied after Limit and after
// the 1 MB page, parallel Scan segments, ExclusiveStartKey checks, and pagination that never
// skips or repeats an item while another client writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue, type QueryCommandInput, type QueryCommandOutput, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
const perUser = 40;

before(async () => {
  // Pages of 100 KB items move far more than a partition's per-second ceiling: not under test here.
  s = await startTestServer((c) => {
    c.capacity.partitionReadUnitsMax = 1_000_000;
    c.capacity.partitionWriteUnitsMax = 1_000_000;
  });
  for (const [name, sortKey] of [['events', true], ['flat', false], ['big', true], ['busy', true]] as const) {
    await s.client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: sortKey
          ? [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ]
          : [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: sortKey
          ? [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'N' },
            ]
          : [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < perUser; i++) {
    // Every 4th item (0, 4, 8, …) is "hit": Limit 10 from the start reads 0..9 and keeps 0, 4, 8.
    puts.push(s.client.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: 'u' }, sk: { N: String(i) }, hit: { BOOL: i % 4 === 0 }, v: { N: String(i) } } })));
  }
  for (let i = 0; i < 200; i++) {
    puts.push(s.client.send(new PutItemCommand({ TableName: 'flat', Item: { pk: { S: `k${i}` }, hit: { BOOL: i % 10 === 0 } } })));
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

const byUser: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'> = {
  KeyConditionExpression: 'pk = :u',
  ExpressionAttributeValues: { ':u': { S: 'u' } },
};

test('Select: ALL_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT, and DynamoDB messages for invalid combinations', async () => {
  const all = await s.client.send(new QueryCommand({ TableName: 'events', ...byUser, Select: 'ALL_ATTRIBUTES', Limit: 1, ConsistentRead: true }));
  assert.deepEqual(all.Items, [{ pk: { S: 'u' }, sk: { N: '0' }, hit: { BOOL: true }, v: { N: '0' } }]);
  const specific = await s.client.send(new QueryCommand({ TableName: 'events', ...byUser, Select: 'SPECIFIC_ATTRIBUTES', ProjectionExpression: 'v', Limit: 2, ConsistentRead: true }));
  assert.deepEqual(specific.Items, [{ v: { N: '0' } }, { v: { N: '1' } }]);
  const count = await s.client.send(new QueryCommand({ TableName: 'events', ...byUser, Select: 'COUNT', ConsistentRead: true }));
  assert.equal(count.Items, undefined);
  assert.equal(count.Count, perUser);
  assert.equal(count.ScannedCount, perUser);
  const scanCount = await s.client.send(new ScanCommand({ TableName: 'flat', Select: 'COUNT', Limit: 1, ConsistentRead: true }));
  assert.equal(scanCount.Count, 1);
  assert.equal(scanCount.ScannedCount, 1);
  assert.equal(scanCount.Items, undefined);
  assert.ok(scanCount.LastEvaluatedKey);

  const query = (extra: Partial<QueryCommandInput>) => s.client.send(new QueryCommand({ TableName: 'events', ...byUser, ...extra }));
  const scan = (extra: Partial<ScanCommandInput>) => s.client.send(new ScanCommand({ TableName: 'flat', ...extra }));
  for (const [select, words] of [['ALL_ATTRIBUTES', 'ALL_ATTRIBUTES'], ['COUNT', 'only the Count'], ['ALL_PROJECTED_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES']] as const) {
    await expectValidation(query({ Select: select, ProjectionExpression: 'v' }), `1 validation error detected: Cannot specify the ProjectionExpression when choosing to get ${words}`);
    await expectValidation(scan({ Select: select, ProjectionExpression: 'v' }), `Cannot specify the ProjectionExpression when choosing to get ${words}`);
  }
  await expectValidation(query({ Select: 'SPECIFIC_ATTRIBUTES' }), '1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES');
  await expectValidation(scan({ Select: 'SPECIFIC_ATTRIBUTES' }), 'Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES');
  await expectValidation(query({ Select: 'ALL_PROJECTED_ATTRIBUTES' }), '1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  await expectValidation(scan({ Select: 'ALL_PROJECTED_ATTRIBUTES' }), 'ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  await expectValidation(
    scan({ Select: 'count' as never }),
    "1 validation error detected: Value 'count' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
  );
});

test('the filter applies after Limit: Limit 10 keeping 3 gives Count 3, ScannedCount 10 and a LastEvaluatedKey', async () => {
  const filter = { FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':u': { S: 'u' }, ':t': { BOOL: true } } };
  const q = await s.client.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :u', ...filter, Limit: 10, ConsistentRead: true }));
  assert.equal(q.Count, 3);
  assert.equal(q.ScannedCount, 10);
  assert.deepEqual(q.Items!.map((i) => i.sk.N), ['0', '4', '8']);
  assert.deepEqual(q.LastEvaluatedKey, { pk: { S: 'u' }, sk: { N: '9' } });
  // The next page carries on after the last item read, not after the last item returned.
  const next = await s.client.send(
    new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :u', ...filter, Limit: 10, ExclusiveStartKey: q.LastEvaluatedKey, ConsistentRead: true }),
  );
  assert.deepEqual(next.Items!.map((i) => i.sk.N), ['12', '16']);
  assert.equal(next.ScannedCount, 10);
  // A page whose items all fail the filter is empty but still has a LastEvaluatedKey.
  const none = await s.client.send(
    new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :u AND sk BETWEEN :a AND :b', FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':u': { S: 'u' }, ':t': { BOOL: true }, ':a': { N: '1' }, ':b': { N: '30' } }, Limit: 3, ConsistentRead: true }),
  );
  assert.deepEqual(none.Items, []);
  assert.equal(none.Count, 0);
  assert.equal(none.ScannedCount, 3);
  assert.deepEqual(none.LastEvaluatedKey, { pk: { S: 'u' }, sk: { N: '3' } });
  // Scan: Limit bounds the items read across partitions; the filter keeps a subset of them.
  const scan = await s.client.send(new ScanCommand({ TableName: 'flat', FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':t': { BOOL: true } }, Limit: 50, ConsistentRead: true }));
  assert.equal(scan.ScannedCount, 50);
  assert.equal(scan.Count, scan.Items!.length);
  assert.ok(scan.Count! < 50);
  assert.ok(scan.LastEvaluatedKey);
  // Counting every hit page by page gives the total, whatever the page boundaries.
  let hits = 0;
  let scanned = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await s.client.send(
      new ScanCommand({ TableName: 'flat', FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':t': { BOOL: true } }, Limit: 7, ExclusiveStartKey: start, Select: 'COUNT', ConsistentRead: true }),
    );
    hits += page.Count!;
    scanned += page.ScannedCount!;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  assert.equal(hits, 20);
  assert.equal(scanned, 200);
});

test('the filter applies after the 1 MB page: ScannedCount is what fits in 1 MB, Count what passes', async () => {
  const filler = 'x'.repeat(100 * 1024);
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < 25; i++) {
    puts.push(s.client.send(new PutItemCommand({ TableName: 'big', Item: { pk: { S: 'b' }, sk: { N: String(i) }, hit: { BOOL: i === 3 || i === 20 }, filler: { S: filler } } })));
  }
  await Promise.all(puts);
  const first = await s.client.send(
    new QueryCommand({ TableName: 'big', KeyConditionExpression: 'pk = :b', FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':b': { S: 'b' }, ':t': { BOOL: true } }, ProjectionExpression: 'sk', ConsistentRead: true }),
  );
  // ~100 KB items: the page ends after about 10 of them, with only item 3 passing the filter.
  assert.ok(first.ScannedCount! >= 9 && first.ScannedCount! <= 11, String(first.ScannedCount));
  assert.deepEqual(first.Items, [{ sk: { N: '3' } }]);
  assert.equal(first.Count, 1);
  assert.ok(first.LastEvaluatedKey);
  let count = first.Count!;
  let scanned = first.ScannedCount!;
  let start: Record<string, AttributeValue> | undefined = first.LastEvaluatedKey;
  while (start !== undefined) {
    const page: QueryCommandOutput = await s.client.send(
      new QueryCommand({ TableName: 'big', KeyConditionExpression: 'pk = :b', FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':b': { S: 'b' }, ':t': { BOOL: true } }, ExclusiveStartKey: start, Select: 'COUNT', ConsistentRead: true }),
    );
    count += page.Count!;
    scanned += page.ScannedCount!;
    start = page.LastEvaluatedKey;
  }
  assert.equal(count, 2);
  assert.equal(scanned, 25);
  const scanPage = await s.client.send(new ScanCommand({ TableName: 'big', FilterExpression: 'hit = :t', ExpressionAttributeValues: { ':t': { BOOL: true } }, Select: 'COUNT', ConsistentRead: true }));
  assert.ok(scanPage.ScannedCount! < 25);
  assert.ok(scanPage.LastEvaluatedKey);
});

test('parallel Scan: segments partition the table; bad Segment/TotalSegments combinations are rejected', async () => {
  for (const total of [1, 3, 7]) {
    const seen: string[] = [];
    for (let segment = 0; segment < total; segment++) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await s.client.send(new ScanCommand({ TableName: 'flat', Segment: segment, TotalSegments: total, Limit: 30, ExclusiveStartKey: start, ConsistentRead: true }));
        for (const item of page.Items!) seen.push(item.pk.S!);
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
    assert.equal(seen.length, 200, `TotalSegments ${total}`);
    assert.equal(new Set(seen).size, 200, `TotalSegments ${total}: no item in two segments`);
  }
  const scan = (extra: Partial<ScanCommandInput>) => s.client.send(new ScanCommand({ TableName: 'flat', ...extra }));
  await expectValidation(scan({ Segment: 0 }), 'The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
  await expectValidation(scan({ TotalSegments: 2 }), 'The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
  await expectValidation(scan({ Segment: 2, TotalSegments: 2 }), 'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2');
  await expectValidation(
    scan({ Segment: 0, TotalSegments: 1000001 }),
    "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000",
  );
  await expectValidation(
    scan({ Segment: -1, TotalSegments: 2 }),
    "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0",
  );
  // A start key from segment 1 of 2 given to segment 0.
  let other: Record<string, AttributeValue> | undefined;
  let segmentOneStart: Record<string, AttributeValue> | undefined;
  do {
    const page = await scan({ Segment: 1, TotalSegments: 2, Limit: 5, ExclusiveStartKey: segmentOneStart, ConsistentRead: true });
    other = page.Items?.[0];
    segmentOneStart = page.LastEvaluatedKey;
  } while (other === undefined && segmentOneStart !== undefined);
  assert.ok(other);
  await expectValidation(
    scan({ Segment: 0, TotalSegments: 2, ExclusiveStartKey: { pk: other.pk } }),
    'The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0',
  );
  await expectValidation(scan({ ExclusiveStartKey: { pk: { N: '1' } } }), 'The provided starting key is invalid: The provided key element does not match the schema');
});

test('Query ExclusiveStartKey must be a key inside the queried range; a filter may not read the key', async () => {
  const query = (extra: Partial<QueryCommandInput>) => s.client.send(new QueryCommand({ TableName: 'events', ...extra }));
  await expectValidation(query({ ...byUser, ExclusiveStartKey: { pk: { S: 'u' } } }), 'The provided starting key is invalid');
  await expectValidation(query({ ...byUser, ExclusiveStartKey: { pk: { S: 'u' }, other: { N: '1' } } }), 'The provided starting key is invalid');
  await expectValidation(
    query({ ...byUser, ExclusiveStartKey: { pk: { S: 'u' }, sk: { S: '1' } } }),
    'The provided starting key is invalid: The provided key element does not match the schema',
  );
  await expectValidation(query({ ...byUser, ExclusiveStartKey: { pk: { S: 'v' }, sk: { N: '1' } } }), 'The provided starting key is outside query boundaries based on provided conditions');
  const ranged = { KeyConditionExpression: 'pk = :u AND sk > :n', ExpressionAttributeValues: { ':u': { S: 'u' }, ':n': { N: '10' } } };
  await expectValidation(query({ ...ranged, ExclusiveStartKey: { pk: { S: 'u' }, sk: { N: '5' } } }), 'The provided starting key does not match the range key predicate');
  await expectValidation(query({ ...ranged, ExclusiveStartKey: { pk: { S: 'v' }, sk: { N: '15' } } }), 'The query can return at most one row and cannot be restarted');
  const resumed = await query({ ...ranged, ExclusiveStartKey: { pk: { S: 'u' }, sk: { N: '37' } }, ConsistentRead: true });
  assert.deepEqual(resumed.Items!.map((i) => i.sk.N), ['38', '39']);
  await expectValidation(
    query({ KeyConditionExpression: 'pk = :u', FilterExpression: 'sk > :n', ExpressionAttributeValues: { ':u': { S: 'u' }, ':n': { N: '1' } } }),
    'Filter Expression can only contain non-primary key attributes: Primary key attribute: sk',
  );
  await expectValidation(
    query({ KeyConditionExpression: 'pk = :u', FilterExpression: 'attribute_exists(v) AND size(pk) > :n', ExpressionAttributeValues: { ':u': { S: 'u' }, ':n': { N: '1' } } }),
    'Filter Expression can only contain non-primary key attributes: Primary key attribute: pk',
  );
  await expectValidation(
    query({ KeyConditionExpression: 'pk = :u', ExpressionAttributeValues: { ':u': { S: 'u' } }, ExpressionAttributeNames: { '#x': 'x' } }),
    'Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}',
  );
  await expectValidation(
    query({ KeyConditionExpression: 'pk = :u', ExpressionAttributeValues: { ':u': { S: 'u' } }, ProjectionExpression: '#v', ExpressionAttributeNames: { '#v': 'v' }, Select: 'COUNT' }),
    '1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count',
  );
});

test('paginating a Query and a Scan while another client writes never skips or repeats an item that existed throughout', async () => {
  const initial = 300;
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < initial; i++) {
    // Even sort keys exist from the start; the writer adds odd ones in between and overwrites the even ones.
    puts.push(s.client.send(new PutItemCommand({ TableName: 'busy', Item: { pk: { S: `p${i % 5}` }, sk: { N: String(2 * i) }, version: { N: '0' } } })));
  }
  await Promise.all(puts);
  const existing = new Set<string>();
  for (let i = 0; i < initial; i++) existing.add(`p${i % 5}/${2 * i}`);

  let writing = true;
  const writer = (async () => {
    let round = 0;
    while (writing) {
      round++;
      const batch: Promise<unknown>[] = [];
      for (let j = 0; j < 20; j++) {
        const i = (round * 37 + j * 13) % initial;
        batch.push(s.client.send(new PutItemCommand({ TableName: 'busy', Item: { pk: { S: `p${i % 5}` }, sk: { N: String(2 * i) }, version: { N: String(round) }, pad: { S: 'y'.repeat(round % 50) } } })));
        batch.push(s.client.send(new PutItemCommand({ TableName: 'busy', Item: { pk: { S: `p${i % 5}` }, sk: { N: String(2 * i + 1) }, version: { N: String(round) } } })));
      }
      await Promise.all(batch);
    }
    return round;
  })();

  try {
    for (const consistent of [true, false]) {
      // Scan, small pages.
      const scanned: string[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await s.client.send(new ScanCommand({ TableName: 'busy', Limit: 17, ExclusiveStartKey: start, ConsistentRead: consistent }));
        for (const item of page.Items!) scanned.push(`${item.pk.S}/${item.sk.N}`);
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      assertOnceEach(scanned, existing, `Scan (ConsistentRead ${consistent})`);
      // Query every partition key, forward and backward.
      for (const forward of [true, false]) {
        const queried: string[] = [];
        for (let p = 0; p < 5; p++) {
          let qStart: Record<string, AttributeValue> | undefined;
          do {
            const page = await s.client.send(
              new QueryCommand({ TableName: 'busy', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `p${p}` } }, Limit: 11, ScanIndexForward: forward, ExclusiveStartKey: qStart, ConsistentRead: consistent }),
            );
            for (const item of page.Items!) queried.push(`${item.pk.S}/${item.sk.N}`);
            qStart = page.LastEvaluatedKey;
          } while (qStart !== undefined);
        }
        assertOnceEach(queried, existing, `Query (forward ${forward}, ConsistentRead ${consistent})`);
      }
    }
  } finally {
    writing = false;
  }
  const rounds = await writer;
  assert.ok(rounds > 1, 'the writer ran while the reads paginated');
});

/** Every key of `existing` appears exactly once in `seen`, and nothing appears twice. */
function assertOnceEach(seen: string[], existing: Set<string>, label: string): void {
  const counts = new Map<string, number>();
  for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const key of existing) assert.equal(counts.get(key), 1, `${label}: ${key} seen ${counts.get(key) ?? 0} times`);
  for (const [key, n] of counts) assert.equal(n, 1, `${label}: ${key} seen ${n} times`);
}
