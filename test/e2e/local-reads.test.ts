// Eventually consistent GetItem answered on the front door's thread from the nodes' B-trees
// (storage.localReads, on by default), through the AWS SDK: a read after a write's acknowledgement
// returns that write whether or not a checkpoint has moved it into the B-tree yet; consistent
// reads and TransactGetItems always go to the nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand, TransactGetItemsCommand } from '@aws-sdk/client-dynamodb';
import { startTestServer } from '../helpers/server.ts';

const table = 'local_reads';
const keys = 40;

test('GetItem after each acknowledged write returns it, answered here once checkpointed and by the node before', async () => {
  // Checkpoints every 10 ms: keys go back and forth between "in the memtable only" and "in the B-tree".
  const t = await startTestServer((c) => {
    c.storage.checkpointIntervalMs = 10;
  });
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
