// Secondary indexes across SIGKILLs of the whole server: writers move index keys while the
// process is killed (twice), each restart recovers from the write-ahead log on the same data
// directory, and afterwards every index is exactly the projection of its table: the outbox of
// GSI changes and the LSI entries are recovered with the items, and no acknowledged change is
// lost or applied twice in an index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CreateTableCommand, UpdateItemCommand, DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, spawnServer, tempDataDir } from '../helpers/server.ts';
import { replicasAgree } from '../helpers/digests.ts';
import { checkIndexOf, scanAllOf, type IndexDef } from '../helpers/index-check.ts';
import { seededRandom } from '../helpers/prng.ts';

const table = 'kept';
const tableKeys = ['pk', 'sk'];
const indexes: IndexDef[] = [
  { name: 'by-g', kind: 'GSI', keys: [{ name: 'g', type: 'S', role: 'HASH' }, { name: 'r', type: 'N', role: 'RANGE' }], projection: 'ALL' },
  { name: 'by-h', kind: 'GSI', keys: [{ name: 'h', type: 'S', role: 'HASH' }], projection: 'KEYS_ONLY' },
  { name: 'by-l', kind: 'LSI', keys: [{ name: 'pk', type: 'S', role: 'HASH' }, { name: 'l', type: 'N', role: 'RANGE' }], projection: 'INCLUDE', include: ['v'] },
];
const keysCount = 200;
/** Writes each writer sends before the kill (the kill comes in the middle of them). */
const writesBeforeKill = 150;
const writers = 8;

/** Sends updates that move index keys (or remove one, or delete the item) until stopped; errors (the kill) end it. */
async function write(client: DynamoDBClient, seed: number, stop: () => boolean): Promise<number> {
  const r = seededRandom(seed);
  let done = 0;
  while (!stop()) {
    const k = Math.floor(r() * keysCount);
    const key = { pk: { S: `p${k % 20}` }, sk: { N: String(k) } };
    try {
      if (r() < 0.1) await client.send(new DeleteItemCommand({ TableName: table, Key: key }));
      else if (r() < 0.2) await client.send(new UpdateItemCommand({ TableName: table, Key: key, UpdateExpression: 'REMOVE g, l SET v = :v', ExpressionAttributeValues: { ':v': { N: String(done) } } }));
      else {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'SET g = :g, r = :r, h = :h, l = :l, v = :v',
            ExpressionAttributeValues: { ':g': { S: `g${Math.floor(r() * 5)}` }, ':r': { N: String(Math.floor(r() * 50)) }, ':h': { S: `h${Math.floor(r() * 30)}` }, ':l': { N: String(Math.floor(r() * 9)) }, ':v': { N: String(done) } },
          }),
        );
      }
      done++;
    } catch {
      return done;
    }
  }
  return done;
}

async function drained(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/_monodyne/indexes/drain`, { method: 'POST', body: JSON.stringify({ table }), signal: AbortSignal.timeout(60_000) });
  assert.equal(res.status, 200, await res.text());
}

test('GSIs and LSIs recover with their table after SIGKILLs of the whole server under write load', { timeout: 180_000 }, async () => {
  const dataDir = tempDataDir('monodyne-index-kill');
  const env = { MONODYNE_AUTH_ENABLED: 'false' };
  try {
    let server = await spawnServer(['--port', '0', '--data-dir', dataDir], env);
    let client = clientFor(server.endpoint, 1);
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
          { AttributeName: 'g', AttributeType: 'S' },
          { AttributeName: 'r', AttributeType: 'N' },
          { AttributeName: 'h', AttributeType: 'S' },
          { AttributeName: 'l', AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes.filter((ix) => ix.kind === 'GSI').map((ix) => ({ IndexName: ix.name, KeySchema: ix.keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })), Projection: { ProjectionType: ix.projection } })),
        LocalSecondaryIndexes: indexes.filter((ix) => ix.kind === 'LSI').map((ix) => ({ IndexName: ix.name, KeySchema: ix.keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })), Projection: { ProjectionType: ix.projection, NonKeyAttributes: ix.include } })),
      }),
    );
    for (let kill = 0; kill < 2; kill++) {
      // Writers run; once they have sent half their writes between them, the whole process is killed under them.
      let sent = 0;
      const stopAt = writers * writesBeforeKill;
      const current = server;
      const next = () => {
        sent++;
        if (sent === stopAt / 2) current.child.kill('SIGKILL');
        return sent >= stopAt;
      };
      const loops = Array.from({ length: writers }, (_, w) => write(client, 1000 * kill + w, next));
      await server.exited;
      await Promise.all(loops);
      client.destroy();
      server = await spawnServer(['--port', '0', '--data-dir', dataDir], env);
      client = clientFor(server.endpoint, 1);
    }
    await drained(server.endpoint);
    // The table as recovered is the truth (a write the kill cut short may or may not be in it); its replicas agree, and so do its GSIs' tables'.
    await replicasAgree(server.endpoint, table);
    const tableItems = await scanAllOf(client, { TableName: table, ConsistentRead: true }, 100);
    assert.ok(tableItems.length > 50, `only ${tableItems.length} items`);
    for (const index of indexes) await checkIndexOf(client, table, tableKeys, tableItems, index, 1, 2);
    for (const index of indexes.filter((ix) => ix.kind === 'GSI')) await replicasAgree(server.endpoint, `${table}/${index.name}`);
    client.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
  } finally {
    await killChildServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
