// Encryption at rest: with encryption on, a value written through the API appears nowhere in
// the data directory's files (catalog, storage nodes, replication logs); with it off, the same
// scan finds it, which shows the scan can see plaintext. The key file is created 0600 and the
// data reads back after a restart; a wrong key is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, tempDataDir } from '../helpers/server.ts';
import { loadDefaults, type Config } from '../../src/server/config.ts';
import { startServer } from '../../src/server/main.ts';

function configFor(dataDir: string, encrypted: boolean, key = ''): Config {
  const config = loadDefaults();
  config.server.port = 0;
  config.storage.dataDir = dataDir;
  config.encryption.enabled = encrypted;
  config.encryption.key = key;
  config.log.level = 'warn';
  return config;
}

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Files (relative names) that contain `needle`'s bytes. */
function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  return filesUnder(dir)
    .filter((f) => readFileSync(f).includes(bytes))
    .map((f) => f.slice(dir.length + 1));
}

/** Writes the canary as a table name, a key, a small value and a large (overflow page) value. */
async function writeCanary(client: DynamoDBClient, canary: string): Promise<void> {
  const table = `t-${canary}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: `key-${canary}` }, small: { S: canary } } }));
  await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'big' }, large: { S: `${canary} `.repeat(2000) } } }));
  for (let i = 0; i < 50; i++) await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: `filler-${i}` }, v: { S: canary } } }));
}

test('with encryption on, no plaintext of a written value is in the data files; it reads back after a restart', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-encrypted');
  const canary = `canary${randomBytes(8).toString('hex')}`;
  try {
    const first = await startServer(configFor(dataDir, true));
    const client = clientFor(first.endpoint);
    await writeCanary(client, canary);
    client.destroy();
    await first.close();

    const keyFile = join(dataDir, 'encryption.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is readable by its owner only');
    assert.match(readFileSync(keyFile, 'utf8'), /^[0-9a-f]{64}\n$/);
    const scanned = filesUnder(dataDir).filter((f) => !f.endsWith('encryption.key'));
    assert.ok(scanned.some((f) => f.endsWith('data.mdb')), `LMDB files were scanned: ${scanned.join(', ')}`);
    assert.deepEqual(filesContaining(dataDir, canary), [], 'the canary appears in no file');

    const second = await startServer(configFor(dataDir, true));
    const reader = clientFor(second.endpoint);
    const got = await reader.send(new GetItemCommand({ TableName: `t-${canary}`, Key: { id: { S: `key-${canary}` } }, ConsistentRead: true }));
    assert.equal(got.Item?.small.S, canary);
    reader.destroy();
    await second.close();

    // A different key, or no encryption, is refused before any LMDB file is opened.
    await assert.rejects(startServer(configFor(dataDir, true, 'ab'.repeat(32))), /is not the key the data directory .* was encrypted with/);
    await assert.rejects(startServer(configFor(dataDir, false)), /is encrypted .* but encryption.enabled is false/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('with encryption off the same scan finds the value (the scan sees plaintext), and encryption cannot be switched on later', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-plain');
  const canary = `canary${randomBytes(8).toString('hex')}`;
  try {
    const server = await startServer(configFor(dataDir, false));
    const client = clientFor(server.endpoint);
    await writeCanary(client, canary);
    client.destroy();
    await server.close();
    const found = filesContaining(dataDir, canary);
    assert.ok(found.some((f) => f.startsWith('node-')), `found in ${found.join(', ')}`);
    assert.ok(found.some((f) => f.startsWith('catalog')), 'table names are in the catalog');
    await assert.rejects(startServer(configFor(dataDir, true)), /holds data written without encryption/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
