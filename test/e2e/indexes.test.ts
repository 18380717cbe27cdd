// Secondary indexes end to end through the AWS SDK: GSIs (their own partitions, fed from the
// log by the propagator) and LSIs (beside the items), Query and Scan with IndexName, sparse
// indexes, key moves, projections, Select, pagination, consistency rules, write validation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  PutItemCommand,
  UpdateItemCommand,
  DeleteItemCommand,
  QueryCommand,
  ScanCommand,
  BatchWriteItemCommand,
  DescribeTableCommand,
  ListTablesCommand,
  UpdateTableCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { waitFor } from '../helpers/admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
const table = 'orders';

before(async () => {
  t = await startTestServer();
  await t.client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'customer', AttributeType: 'S' },
        { AttributeName: 'order', AttributeType: 'N' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'placed', AttributeType: 'N' },
        { AttributeName: 'total', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'customer', KeyType: 'HASH' },
        { AttributeName: 'order', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-status',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'placed', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['total'] },
        },
        {
          IndexName: 'all-by-status',
          KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'by-total',
          KeySchema: [
            { AttributeName: 'customer', KeyType: 'HASH' },
            { AttributeName: 'total', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
});

after(() => t.stop());

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

function order(customer: string, n: number, status: string | null, placed: number, total: number, note = 'x'): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { customer: S(customer), order: N(n), placed: N(placed), total: N(total), note: S(note) };
  if (status !== null) item.status = S(status);
  return item;
}

/** Queries a GSI until it shows what `expect` accepts (GSIs are eventually consistent). */
async function untilIndex(input: ConstructorParameters<typeof QueryCommand>[0], accept: (items: Record<string, AttributeValue>[]) => boolean): Promise<Record<string, AttributeValue>[]> {
  await t.server.propagator.drained(table);
  // Drained: the index's leaders have every change. A GSI Query is eventually consistent and may
  // reach a replica still applying the last batch: it is asked again until one answers it all.
  let items: Record<string, AttributeValue>[] = [];
  await waitFor(async () => accept((items = (await t.client.send(new QueryCommand(input))).Items ?? [])), 30_000, 'the index replicas to apply the last batch').catch(() => {});
  assert.ok(accept(items), `index answer not as expected: ${JSON.stringify(items)}`);
  return items;
}

test('GSI: entries in index order, sparse, moved when the index key changes, removed with the item', async () => {
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('ann', 1, 'open', 30, 100) }));
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('bob', 1, 'open', 10, 50) }));
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('ann', 2, 'open', 20, 75) }));
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('cat', 1, null, 5, 10) }));
  const open = await untilIndex({ TableName: table, IndexName: 'by-status', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('open') } }, (items) => items.length === 3);
  assert.deepEqual(open.map((i) => Number(i.placed.N)), [10, 20, 30]);
  // INCLUDE projection: keys of both, plus total; not note.
  assert.deepEqual(Object.keys(open[0]).sort(), ['customer', 'order', 'placed', 'status', 'total']);

  await t.client.send(new UpdateItemCommand({ TableName: table, Key: { customer: S('ann'), order: N(1) }, UpdateExpression: 'SET #s = :c', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':c': S('closed') } }));
  await t.client.send(new DeleteItemCommand({ TableName: table, Key: { customer: S('bob'), order: N(1) } }));
  const stillOpen = await untilIndex({ TableName: table, IndexName: 'by-status', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('open') } }, (items) => items.length === 1);
  assert.equal(stillOpen[0].customer.S, 'ann');
  assert.equal(stillOpen[0].order.N, '2');
  const closed = await untilIndex({ TableName: table, IndexName: 'all-by-status', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('closed') } }, (items) => items.length === 1);
  // ALL projection: the whole item.
  assert.equal(closed[0].note.S, 'x');

  // Sort key conditions, descending order, pagination with the index's and the table's keys.
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('dan', 1, 'open', 40, 5) }));
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('eve', 1, 'open', 50, 5) }));
  await t.server.propagator.drained(table);
  const page1 = await t.client.send(new QueryCommand({ TableName: table, IndexName: 'by-status', KeyConditionExpression: '#s = :s AND placed >= :p', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('open'), ':p': N(20) }, ScanIndexForward: false, Limit: 2 }));
  assert.deepEqual(page1.Items!.map((i) => Number(i.placed.N)), [50, 40]);
  assert.deepEqual(Object.keys(page1.LastEvaluatedKey!).sort(), ['customer', 'order', 'placed', 'status']);
  const page2 = await t.client.send(new QueryCommand({ TableName: table, IndexName: 'by-status', KeyConditionExpression: '#s = :s AND placed >= :p', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('open'), ':p': N(20) }, ScanIndexForward: false, Limit: 2, ExclusiveStartKey: page1.LastEvaluatedKey }));
  assert.deepEqual(page2.Items!.map((i) => Number(i.placed.N)), [20]);
});

test('GSI: ConsistentRead and ALL_ATTRIBUTES on a partial projection are refused', async () => {
  await assert.rejects(
    t.client.send(new QueryCommand({ TableName: table, IndexName: 'by-status', ConsistentRead: true, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('open') } })),
    { name: 'ValidationException', message: 'Consistent reads are not supported on global secondary indexes' },
  );
  await assert.rejects(
    t.client.send(new QueryCommand({ TableName: table, IndexName: 'by-status', Select: 'ALL_ATTRIBUTES', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': S('open') } })),
    { name: 'ValidationException', message: /Select type ALL_ATTRIBUTES is not supported for global secondary index by-status/ },
  );
  await assert.rejects(t.client.send(new QueryCommand({ TableName: table, IndexName: 'nope', KeyConditionExpression: 'customer = :c', ExpressionAttributeValues: { ':c': S('ann') } })), {
    name: 'ValidationException',
    message: 'The table does not have the specified index: nope',
  });
});

test('LSI: consistent reads see the latest write, in index order; ALL_ATTRIBUTES fetches from the table', async () => {
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('fay', 1, 'open', 1, 300) }));
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('fay', 2, 'open', 2, 100) }));
  await t.client.send(new PutItemCommand({ TableName: table, Item: order('fay', 3, 'open', 3, 200) }));
  const q = { TableName: table, IndexName: 'by-total', KeyConditionExpression: 'customer = :c AND #t > :t', ExpressionAttributeNames: { '#t': 'total' }, ExpressionAttributeValues: { ':c': S('fay'), ':t': N(150) }, ConsistentRead: true };
  const keysOnly = await t.client.send(new QueryCommand(q));
  assert.deepEqual(keysOnly.Items!.map((i) => Number(i.total.N)), [200, 300]);
  assert.deepEqual(Object.keys(keysOnly.Items![0]).sort(), ['customer', 'order', 'total']);
  const whole = await t.client.send(new QueryCommand({ ...q, Select: 'ALL_ATTRIBUTES' }));
  assert.equal(whole.Items![0].note.S, 'x');
  await t.client.send(new UpdateItemCommand({ TableName: table, Key: { customer: S('fay'), order: N(2) }, UpdateExpression: 'SET #t = :t', ExpressionAttributeNames: { '#t': 'total' }, ExpressionAttributeValues: { ':t': N(250) } }));
  const after = await t.client.send(new QueryCommand(q));
  assert.deepEqual(after.Items!.map((i) => Number(i.total.N)), [200, 250, 300]);
  const scanned = await t.client.send(new ScanCommand({ TableName: table, IndexName: 'by-total', ConsistentRead: true }));
  assert.ok(scanned.Items!.some((i) => i.customer.S === 'fay' && i.total.N === '250'));
  assert.ok(scanned.Items!.every((i) => Object.keys(i).length === 3));
});

test('index keys are validated before anything is written', async () => {
  await assert.rejects(t.client.send(new PutItemCommand({ TableName: table, Item: { ...order('gus', 1, 'open', 1, 1), status: N(3) } })), {
    name: 'ValidationException',
    message: 'One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: all-by-status',
  });
  await assert.rejects(t.client.send(new PutItemCommand({ TableName: table, Item: { ...order('gus', 1, 'open', 1, 1), status: S('') } })), {
    name: 'ValidationException',
    message: 'One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: all-by-status, IndexKey: status',
  });
  await assert.rejects(
    t.client.send(new UpdateItemCommand({ TableName: table, Key: { customer: S('gus'), order: N(1) }, UpdateExpression: 'SET placed = :p', ExpressionAttributeValues: { ':p': S('soon') } })),
    { name: 'ValidationException', message: 'One or more parameter values were invalid: Type mismatch for Index Key placed Expected: N Actual: S IndexName: by-status' },
  );
  await assert.rejects(
    t.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: [{ PutRequest: { Item: order('gus', 2, 'open', 1, 1) } }, { PutRequest: { Item: { ...order('gus', 3, 'open', 1, 1), total: S('lots') } } }] } })),
    { name: 'ValidationException' },
  );
  const got = await t.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'customer = :c', ExpressionAttributeValues: { ':c': S('gus') }, ConsistentRead: true }));
  assert.equal(got.Count, 0);
});

test('DescribeTable counts each index; the admin endpoint shows delivery and partitions of each GSI', async () => {
  await t.server.propagator.drained(table);
  const { Table } = await t.client.send(new DescribeTableCommand({ TableName: table }));
  const scanIndex = async (IndexName: string) => (await t.client.send(new ScanCommand({ TableName: table, IndexName, Select: 'COUNT' }))).Count;
  for (const g of Table!.GlobalSecondaryIndexes!) assert.equal(g.ItemCount, await scanIndex(g.IndexName!), g.IndexName);
  assert.equal(Table!.LocalSecondaryIndexes![0].ItemCount, await scanIndex('by-total'));
  assert.ok(Table!.LocalSecondaryIndexes![0].IndexSizeBytes! > 0);
  const indexes = (await (await fetch(`${t.endpoint}/_monodyne/indexes`)).json()) as Array<Record<string, unknown>>;
  const byStatus = indexes.find((i) => i.indexName === 'by-status')!;
  assert.equal(byStatus.kind, 'GSI');
  assert.equal(byStatus.holderTable, `${table}/by-status`);
  const propagation = byStatus.propagation as { delivered: number; lagMedianMs: number | null };
  assert.ok(propagation.delivered > 0 && propagation.lagMedianMs !== null);
  const partitions = (await (await fetch(`${t.endpoint}/_monodyne/partitions`)).json()) as { tables: Array<{ tableName: string; partitions: unknown[] }> };
  assert.ok(partitions.tables.find((x) => x.tableName === `${table}/by-status`)!.partitions.length > 0);
  // The hidden tables are not users' tables.
  const { TableNames } = await t.client.send(new ListTablesCommand({}));
  assert.deepEqual(TableNames, [table]);
});

test('item collections of a table with an LSI: bounded, and reported with ReturnItemCollectionMetrics SIZE', async () => {
  const small = await startTestServer((c) => {
    c.tables.itemCollectionBytesMax = 4096;
  });
  try {
    await small.client.send(
      new CreateTableCommand({
        TableName: 'coll',
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
    const item = (s: number) => ({ p: S('k'), s: N(s), l: N(s), pad: S('x'.repeat(500)) });
    const first = await small.client.send(new PutItemCommand({ TableName: 'coll', Item: item(1), ReturnItemCollectionMetrics: 'SIZE' }));
    assert.deepEqual(first.ItemCollectionMetrics, { ItemCollectionKey: { p: S('k') }, SizeEstimateRangeGB: [0, 1] });
    // Each item counts twice (itself and its ALL-projected LSI entry): about 1 KB; the fourth fits, the fifth does not.
    for (let s = 2; s <= 4; s++) await small.client.send(new PutItemCommand({ TableName: 'coll', Item: item(s) }));
    await assert.rejects(small.client.send(new PutItemCommand({ TableName: 'coll', Item: item(5) })), { name: 'ItemCollectionSizeLimitExceededException' });
    // Another collection is not affected; a delete shrinks the full one, which then takes a write again.
    await small.client.send(new PutItemCommand({ TableName: 'coll', Item: { ...item(5), p: S('other') } }));
    const del = await small.client.send(new DeleteItemCommand({ TableName: 'coll', Key: { p: S('k'), s: N(1) }, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.deepEqual(del.ItemCollectionMetrics!.ItemCollectionKey, { p: S('k') });
    await small.client.send(new PutItemCommand({ TableName: 'coll', Item: item(5) }));
    const batch = await small.client.send(new BatchWriteItemCommand({ RequestItems: { coll: [{ DeleteRequest: { Key: { p: S('k'), s: N(2) } } }] }, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.equal(batch.ItemCollectionMetrics!.coll.length, 1);
    const update = await small.client.send(new UpdateItemCommand({ TableName: 'coll', Key: { p: S('k'), s: N(3) }, UpdateExpression: 'SET l = :l', ExpressionAttributeValues: { ':l': N(30) }, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.ok(update.ItemCollectionMetrics !== undefined);
    // A table without local indexes has no item collections to report.
    await small.client.send(new CreateTableCommand({ TableName: 'plain', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'p', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'p', KeyType: 'HASH' }] }));
    const plain = await small.client.send(new PutItemCommand({ TableName: 'plain', Item: { p: S('a') }, ReturnItemCollectionMetrics: 'SIZE' }));
    assert.equal(plain.ItemCollectionMetrics, undefined);
  } finally {
    await small.stop();
  }
});

test('a throttled GSI holds back writes to its table until it has capacity again; its writes consume its own capacity', async () => {
  const s = await startTestServer((c) => {
    c.capacity.burstSeconds = 0; // one second of burst: the index's bucket runs dry at once
    c.capacity.adaptive = false;
  });
  try {
    await s.client.send(
      new CreateTableCommand({
        TableName: 'held',
        AttributeDefinitions: [
          { AttributeName: 'p', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'p', KeyType: 'HASH' }],
        ProvisionedThroughput: { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 },
        GlobalSecondaryIndexes: [{ IndexName: 'by-g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }],
      }),
    );
    let refused: unknown = null;
    let written = 0;
    for (let i = 0; i < 400 && refused === null; i++) {
      try {
        await s.client.send(new PutItemCommand({ TableName: 'held', Item: { p: S(`k${i}`), g: S(`g${i % 7}`), pad: S('x'.repeat(900)) } }));
        written++;
      } catch (err) {
        refused = err;
      }
    }
    assert.ok(refused !== null, `no write was held back after ${written} writes`);
    assert.equal((refused as Error).name, 'ProvisionedThroughputExceededException');
    assert.match((refused as Error).message, /one or more global secondary indexes of the table was exceeded/);
    // More capacity for the index: its backlog drains, and the table takes writes again.
    await s.client.send(new UpdateTableCommand({ TableName: 'held', GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-g', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 100000 } } }] }));
    await s.server.propagator.drained('held');
    await s.client.send(new PutItemCommand({ TableName: 'held', Item: { p: S('after'), g: S('g0') } }));
    await s.server.propagator.drained('held');
    const all = await s.client.send(new ScanCommand({ TableName: 'held', IndexName: 'by-g', Select: 'COUNT' }));
    assert.equal(all.Count, written + 1);
  } finally {
    await s.stop();
  }
});

test('ConsumedCapacity of writes counts each index as DynamoDB does: entering, leaving, moving (two writes), or unchanged', async () => {
  const put = async (item: Record<string, AttributeValue>) => (await t.client.send(new PutItemCommand({ TableName: table, Item: item, ReturnConsumedCapacity: 'INDEXES' }))).ConsumedCapacity!;
  // A new item with every index key: the table, two GSIs and the LSI take one unit each.
  const first = await put(order('hal', 1, 'open', 1, 10));
  assert.deepEqual(first.Table, { CapacityUnits: 1, WriteCapacityUnits: 1 });
  assert.deepEqual(first.GlobalSecondaryIndexes, { 'by-status': { CapacityUnits: 1, WriteCapacityUnits: 1 }, 'all-by-status': { CapacityUnits: 1, WriteCapacityUnits: 1 } });
  assert.deepEqual(first.LocalSecondaryIndexes, { 'by-total': { CapacityUnits: 1, WriteCapacityUnits: 1 } });
  assert.equal(first.CapacityUnits, 4);
  // The same item again: no index changes.
  const same = await put(order('hal', 1, 'open', 1, 10));
  assert.equal(same.CapacityUnits, 1);
  assert.equal(same.GlobalSecondaryIndexes, undefined);
  // A new status moves both GSI entries (a delete and a put each); the LSI's KEYS_ONLY entry keeps its key and attributes.
  const moved = await put(order('hal', 1, 'closed', 1, 10));
  assert.deepEqual(moved.GlobalSecondaryIndexes, { 'by-status': { CapacityUnits: 2, WriteCapacityUnits: 2 }, 'all-by-status': { CapacityUnits: 2, WriteCapacityUnits: 2 } });
  assert.equal(moved.LocalSecondaryIndexes, undefined);
  assert.equal(moved.CapacityUnits, 5);
  // A note change: the ALL index is rewritten in place, the INCLUDE index holds no note.
  const noted = await put(order('hal', 1, 'closed', 1, 10, 'y'));
  assert.deepEqual(noted.GlobalSecondaryIndexes, { 'all-by-status': { CapacityUnits: 1, WriteCapacityUnits: 1 } });
  // Leaving every index (deleted): one write each where it was.
  const gone = (await t.client.send(new DeleteItemCommand({ TableName: table, Key: { customer: S('hal'), order: N(1) }, ReturnConsumedCapacity: 'TOTAL' }))).ConsumedCapacity!;
  assert.equal(gone.CapacityUnits, 4);
});

test('a GSI with multi-attribute keys: Query names every partition key attribute and the leading sort key attributes', async () => {
  await t.client.send(
    new CreateTableCommand({
      TableName: 'games',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'tournament', AttributeType: 'S' },
        { AttributeName: 'region', AttributeType: 'S' },
        { AttributeName: 'round', AttributeType: 'N' },
        { AttributeName: 'score', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-event',
          KeySchema: [
            { AttributeName: 'tournament', KeyType: 'HASH' },
            { AttributeName: 'region', KeyType: 'HASH' },
            { AttributeName: 'round', KeyType: 'RANGE' },
            { AttributeName: 'score', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  const games = [
    ['g1', 'cup', 'eu', 1, 10],
    ['g2', 'cup', 'eu', 1, 30],
    ['g3', 'cup', 'eu', 2, 20],
    ['g4', 'cup', 'us', 1, 50],
    ['g5', 'open', 'eu', 1, 40],
  ] as const;
  for (const [id, tournament, region, round, score] of games) {
    await t.client.send(new PutItemCommand({ TableName: 'games', Item: { id: S(id), tournament: S(tournament), region: S(region), round: N(round), score: N(score) } }));
  }
  await t.server.propagator.drained('games');
  const ids = async (condition: string, values: Record<string, AttributeValue>) =>
    (await t.client.send(new QueryCommand({ TableName: 'games', IndexName: 'by-event', KeyConditionExpression: condition, ExpressionAttributeNames: { '#r': 'region' }, ExpressionAttributeValues: values }))).Items!.map((i) => i.id.S);
  assert.deepEqual(await ids('tournament = :t AND #r = :r', { ':t': S('cup'), ':r': S('eu') }), ['g1', 'g2', 'g3']);
  assert.deepEqual(await ids('tournament = :t AND #r = :r AND round = :n', { ':t': S('cup'), ':r': S('eu'), ':n': N(1) }), ['g1', 'g2']);
  assert.deepEqual(await ids('tournament = :t AND #r = :r AND round = :n AND score > :s', { ':t': S('cup'), ':r': S('eu'), ':n': N(1), ':s': N(15) }), ['g2']);
  await assert.rejects(
    t.client.send(new QueryCommand({ TableName: 'games', IndexName: 'by-event', KeyConditionExpression: 'tournament = :t', ExpressionAttributeValues: { ':t': S('cup') } })),
    { name: 'ValidationException', message: 'Query condition missed key schema element: region' },
  );
  await assert.rejects(
    t.client.send(new QueryCommand({ TableName: 'games', IndexName: 'by-event', KeyConditionExpression: 'tournament = :t AND #r = :r AND score > :s', ExpressionAttributeNames: { '#r': 'region' }, ExpressionAttributeValues: { ':t': S('cup'), ':r': S('eu'), ':s': N(1) } })),
    { name: 'ValidationException', message: 'Query condition missed key schema element: round' },
  );
});
