// A write-ahead log damaged before its end (a flipped byte with whole records after it) is not
// a torn tail: the server refuses to start on it, naming the file and offset, before any
// storage node opens its data; left as it was, a good log starts as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { clientFor, spawnServer, tempDataDir } from '../helpers/server.ts';
import { assertRefusedStart, stopCleanly } from '../server/child-server.ts';

test('a server whose write-ahead log is damaged before its end refuses to start, naming where', { timeout: 120_000 }, async () => {
  const dataDir = tempDataDir('monodyne-damaged-log');
  const args = ['--port', '0', '--data-dir', dataDir];
  try {
    const server = await spawnServer(args);
    const client = clientFor(server.endpoint);
    await client.send(
      new CreateTableCommand({ TableName: 'kept', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    for (let i = 0; i < 200; i++) await client.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: `k${i}` }, v: { S: 'x'.repeat(500) } } }));
    client.destroy();
    await stopCleanly(server);

    const walDir = join(dataDir, 'wal');
    const segment = join(walDir, readdirSync(walDir).filter((f) => /^[0-9a-f]{16}\.wal$/.test(f)).sort()[0]);
    const bytes = readFileSync(segment);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    assert.ok(end > 100_000, `the log holds the writes (${end} bytes written)`);
    // A third of the way in: whole records follow it, so it cannot be a torn tail.
    const at = Math.floor(end / 3);
    bytes[at] ^= 0xff;
    writeFileSync(segment, bytes);
    await assertRefusedStart(args, /write-ahead log is damaged in .*\.wal at offset \d+/);

    bytes[at] ^= 0xff;
    writeFileSync(segment, bytes);
    const again = await spawnServer(args);
    await stopCleanly(again);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
