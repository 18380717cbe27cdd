// A storage thread's loop with a real server: a node whose memtable fills while a checkpoint
// runs sleeps (so the event loop that ends the checkpoint gets its turn) and then takes the
// waiting writes; it never spins on input it cannot take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { walRecordBytesMax } from '../../src/limits-relations.ts';
import { clientFor, startTestServer } from '../helpers/server.ts';

/** The smallest memtable the limits allow (it must hold the largest log record), in whole MiB. */
const memtableBytesMax = Math.ceil((walRecordBytesMax + 4096) / 2 ** 20) * 2 ** 20;
const itemBytes = 390_000;
/** Every node holds every partition (3 replicas on 3 nodes): each memtable sees all of it, three times over. */
const items = Math.ceil((3 * memtableBytesMax) / itemBytes);
const inFlight = 16;

test('nodes whose memtables fill while checkpoints run keep taking writes once each checkpoint ends; no node is failed over', { timeout: 300_000 }, async () => {
  const s = await startTestServer((c) => {
    c.storage.sync = false;
    c.storage.memtableBytesMax = memtableBytesMax;
    // Checkpoints come only from a half-full memtable: writes keep arriving while one runs.
    c.storage.checkpointIntervalMs = 3_600_000;
    c.capacity.partitionWriteUnitsMax = 1_000_000_000;
    c.splits.enabled = false;
  });
  // Writes refused while every follower waits on its checkpoint (too many uncommitted entries:
  // a 503) are retried, as the SDKs do.
  const client = clientFor(s.endpoint, 10);
  try {
    await client.send(
      new CreateTableCommand({ TableName: 'tab', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    let next = 0;
    const writer = async () => {
      for (let i = next++; i < items; i = next++) {
        await client.send(new PutItemCommand({ TableName: 'tab', Item: { pk: { S: `k${i}` }, v: { S: String(i % 10).repeat(itemBytes) } } }));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, writer));
    for (let i = 0; i < items; i += 7) {
      const got = await client.send(new GetItemCommand({ TableName: 'tab', Key: { pk: { S: `k${i}` } }, ConsistentRead: true }));
      assert.equal(got.Item?.v?.S?.length, itemBytes, `k${i} read back`);
    }
    const view = await (await fetch(`${s.endpoint}/_monodyne/partitions`)).json() as { nodes: Array<{ alive: boolean }>; failovers: unknown[] };
    assert.ok(view.nodes.every((n) => n.alive), 'every node alive');
    assert.deepEqual(view.failovers, [], 'no failover: every node kept answering');
  } finally {
    client.destroy();
    await s.stop();
  }
});
