// Eventually consistent GetItem answered on the front door's thread from the nodes' B-trees
// (storage.localReads, on by default), through the AWS SDK: a read after a write's acknowledgement
// returns that write whether or not a checkpoint has moved it into the B-tree yet; consistent
// reads and TransactGetItems always go to the nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, TransactGetItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startTestServer } from '../helpers/server.ts';

const table = 'local_reads';
const keys = 40;

/**
 * Checkpoints every 10 ms: keys go back and forth between "in the memtable only" and "in the
 * B-tree". Reads stay on the front door however busy this process (client and server) keeps it.
 */
function startWithFastCheckpoints() {
  return startTestServer((c) => {
    c.storage.checkpointIntervalMs = 10;
    c.storage.localReadsBusyPercentMax = 100;
  });
}

test('GetItem after each acknowledged write returns it, answered here once checkpointed and by the node before', async () => {
  const t = await startWithFastCheckpoints();
  try {
    await t.client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    const reads = t.server.localReads!;
    for (let round = 1; round <= 30; round++) {
      for (let i = 0; i < keys; i++) {
        // Read at once: the write is most likely still in the memtable only.
        await t.client.send(new PutItemCommand({ TableName: table, Item: { id: { S: `k${i}` }, v: { N: String(round) } } }));
        const got = await t.client.send(new GetItemCommand({ TableName: table, Key: { id: { S: `k${i}` } } }));
        assert.equal(got.Item?.v.N, String(round), `round ${round}, k${i}, just written`);
      }
      for (let i = 0; i < keys; i++) {
        const got = await t.client.send(new GetItemCommand({ TableName: table, Key: { id: { S: `k${i}` } }, ReturnConsumedCapacity: 'TOTAL' }));
        assert.equal(got.Item?.v.N, String(round), `round ${round}, k${i}`);
        assert.equal(got.ConsumedCapacity?.CapacityUnits, 0.5);
      }
      const missing = await t.client.send(new GetItemCommand({ TableName: table, Key: { id: { S: `never-${round}` } } }));
      assert.equal(missing.Item, undefined);
    }
    assert.ok(reads.served > 0, 'some reads were answered from the B-trees');
    assert.ok(reads.passed > 0, 'some went to the nodes (their keys not checkpointed yet)');

    const served = reads.served;
    for (let i = 0; i < keys; i++) {
      const got = await t.client.send(new GetItemCommand({ TableName: table, Key: { id: { S: `k${i}` } }, ConsistentRead: true }));
      assert.equal(got.Item?.v.N, '30');
    }
    const tx = await t.client.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: table, Key: { id: { S: 'k1' } } } }] }));
    assert.equal(tx.Responses?.[0].Item?.v.N, '30');
    assert.equal(reads.served, served, 'consistent reads and transactions read at the leader, never here');
  } finally {
    await t.stop();
  }
});

test('Query after each acknowledged write returns it, its pages as the nodes would make them', async () => {
  const t = await startWithFastCheckpoints();
  try {
    await t.client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }], BillingMode: 'PAY_PER_REQUEST' }));
    const reads = t.server.localReads!;
    const query = async (pk: string, limit?: number, start?: Record<string, AttributeValue>) =>
      t.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p AND sk >= :s', ExpressionAttributeValues: { ':p': { S: pk }, ':s': { N: '0' } }, Limit: limit, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }));
    for (let round = 1; round <= 20; round++) {
      for (let p = 0; p < 5; p++) {
        // Each round writes sort keys 0..round-1 (the last one new) and deletes round-3's if there.
        await t.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `p${p}` }, sk: { N: String(round - 1) }, v: { N: String(round) } } }));
        if (round > 3) await t.client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: `p${p}` }, sk: { N: String(round - 4) } } }));
        const expected = Array.from({ length: round }, (_, i) => i).filter((i) => i >= round - 3 || round <= 3);
        const got = await query(`p${p}`);
        assert.deepEqual(got.Items?.map((i) => Number(i.sk.N)), expected, `round ${round}, p${p}`);
        assert.equal(got.Count, expected.length);
        // Paged by Limit 2: the same items, and a LastEvaluatedKey while more may follow.
        const paged: number[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await query(`p${p}`, 2, start);
          paged.push(...(page.Items ?? []).map((i) => Number(i.sk.N)));
          start = page.LastEvaluatedKey as typeof start;
        } while (start !== undefined);
        assert.deepEqual(paged, expected);
      }
    }
    assert.ok(reads.served > 0 && reads.passed > 0, `${reads.served} answered here, ${reads.passed} by the nodes`);
  } finally {
    await t.stop();
  }
});

test('a Scan paged by a short Limit after each round of writes returns exactly the table', async () => {
  const t = await startWithFastCheckpoints();
  try {
    await t.client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    const reads = t.server.localReads!;
    const present = new Map<string, number>();
    for (let round = 1; round <= 25; round++) {
      // A few writes per round, then at once a whole Scan: some of its pages find their range written.
      for (let i = 0; i < 4; i++) {
        const id = `k${(round * 7 + i * 13) % 40}`;
        if ((round + i) % 5 === 0 && present.has(id)) {
          await t.client.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
          present.delete(id);
        } else {
          await t.client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, v: { N: String(round) } } }));
          present.set(id, round);
        }
      }
      const seen = new Map<string, number>();
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await t.client.send(new ScanCommand({ TableName: table, Limit: 7, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) {
          assert.equal(seen.has(item.id.S!), false, `round ${round}: ${item.id.S} twice`);
          seen.set(item.id.S!, Number(item.v.N));
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      assert.deepEqual([...seen].sort(), [...present].sort(), `round ${round}`);
    }
    assert.ok(reads.served > 0 && reads.passed > 0, `${reads.served} answered here, ${reads.passed} by the nodes`);
  } finally {
    await t.stop();
  }
});

test('with storage.localReads off every read goes to the nodes', async () => {
  const t = await startTestServer((c) => {
    c.storage.localReads = false;
  });
  try {
    assert.equal(t.server.localReads, null);
    await t.client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    await t.client.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'a' } } }));
    assert.deepEqual((await t.client.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'a' } } }))).Item, { id: { S: 'a' } });
  } finally {
    await t.stop();
  }
});

test('a page without a Limit is answered here, short or long (a long one in steps), and is the page the node answers', async () => {
  const t = await startWithFastCheckpoints();
  try {
    await t.client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }], BillingMode: 'PAY_PER_REQUEST' }));
    const reads = t.server.localReads!;
    const filler = 'x'.repeat(1000);
    for (let i = 0; i < 5; i++) await t.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'short' }, sk: { N: String(i) } } }));
    // About 1 KB each: 200 KB in one partition key, several steps of localPageStepBytes.
    for (let i = 0; i < 200; i++) await t.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'long' }, sk: { N: String(i) }, filler: { S: filler } } }));
    const query = (pk: string) => t.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: pk } } }));
    const consistent = await t.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'long' } }, ConsistentRead: true }));
    let shortServedHere = 0;
    let longServedHere = 0;
    for (let n = 0; n < 200; n++) {
      const before = reads.served;
      const short = await query('short');
      assert.deepEqual(short.Items?.map((i) => Number(i.sk.N)), [0, 1, 2, 3, 4]);
      shortServedHere += reads.served - before;
      const beforeLong = reads.served;
      const long = await query('long');
      assert.deepEqual(long.Items, consistent.Items, 'the page the leader answers');
      assert.equal(long.LastEvaluatedKey, undefined);
      longServedHere += reads.served - beforeLong;
      if (shortServedHere > 0 && longServedHere > 0 && n >= 20) break;
    }
    assert.ok(shortServedHere > 0, 'short pages without a Limit are answered here once checkpointed');
    assert.ok(longServedHere > 0, 'long pages too');
  } finally {
    await t.stop();
  }
});

/** The table with a local secondary index on `rank` (KEYS_ONLY), for the index tests below. */
function createTableWithRankIndex(t: Awaited<ReturnType<typeof startWithFastCheckpoints>>) {
  return t.client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }, { AttributeName: 'rank', AttributeType: 'N' }],
      LocalSecondaryIndexes: [{ IndexName: 'byRank', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'rank', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

test('a local secondary index read after each acknowledged write returns it, answered here once checkpointed (entries, and items fetched for them)', async () => {
  const t = await startWithFastCheckpoints();
  try {
    await createTableWithRankIndex(t);
    const reads = t.server.localReads!;
    const servedBefore = reads.served;
    const ranks = new Map<number, number>();
    for (let round = 1; round <= 25; round++) {
      for (let i = 0; i < 4; i++) {
        // Each round moves every item to a new rank: the index's entries move with it.
        const sk = (round * 4 + i) % 6;
        const rank = (round * 7 + i * 3) % 50;
        ranks.set(sk, rank);
        await t.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'p' }, sk: { N: String(sk) }, rank: { N: String(rank) }, v: { N: String(round) } } }));
        const expected = [...ranks.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([s]) => s);
        const keysOnly = await t.client.send(new QueryCommand({ TableName: table, IndexName: 'byRank', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } }));
        assert.deepEqual(keysOnly.Items?.map((item) => Number(item.sk.N)), expected, `round ${round}, item ${i}: the index's entries`);
        const whole = await t.client.send(new QueryCommand({ TableName: table, IndexName: 'byRank', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Select: 'ALL_ATTRIBUTES', Limit: 3 }));
        assert.deepEqual(whole.Items?.map((item) => Number(item.sk.N)), expected.slice(0, 3));
        for (const item of whole.Items ?? []) assert.equal(Number(item.rank.N), ranks.get(Number(item.sk.N)), 'the item fetched is the one the entry stands for');
      }
    }
    assert.ok(reads.served > servedBefore, 'index reads were answered from the B-trees');
  } finally {
    await t.stop();
  }
});

test('a local secondary index read that fetches the items counts the entries\' and the items\' bytes, here as on the node', async () => {
  const t = await startWithFastCheckpoints();
  try {
    await createTableWithRankIndex(t);
    const reads = t.server.localReads!;
    // One item of about 3 KB: its entry and it come to under 4 KB (0.5 units); the item counted twice would not.
    await t.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'p' }, sk: { N: '1' }, rank: { N: '7' }, filler: { S: 'f'.repeat(3000) } } }));
    const query = () => t.client.send(new QueryCommand({ TableName: table, IndexName: 'byRank', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Select: 'ALL_ATTRIBUTES', ReturnConsumedCapacity: 'TOTAL' }));
    let servedHere = 0;
    for (let n = 0; n < 500 && servedHere < 5; n++) {
      const before = reads.served;
      const got = await query();
      assert.equal(got.Items?.[0]?.filler?.S?.length, 3000);
      assert.equal(got.ConsumedCapacity?.CapacityUnits, 0.5, `read ${n}${reads.served > before ? ', answered here' : ''}`);
      servedHere += reads.served - before;
    }
    assert.ok(servedHere > 0, 'some were answered here');
  } finally {
    await t.stop();
  }
});
