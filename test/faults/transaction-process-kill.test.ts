// Transactions across a SIGKILL of the whole server: transfers (two account updates and a
// ledger entry, on different partitions of two tables) run concurrently when the process is
// killed; the restarted server finishes whatever its transaction ledger holds (commits what was
// decided, cancels the rest) before it serves, so afterwards every account's balance is exactly
// its opening balance plus what the ledger entries say moved, no item is left locked, and the
// replicas agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CreateTableCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientFor, killChildServers, spawnServer, tempDataDir } from '../helpers/server.ts';
import { replicasAgree } from '../helpers/digests.ts';
import { scanAllOf } from '../helpers/index-check.ts';
import { seededRandom } from '../helpers/prng.ts';

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const accounts = Array.from({ length: 16 }, (_, i) => `acct${i}`);
const opening = 1000;
const workers = 6;
/** Transfers sent between them before the kill, which comes after half of them. */
const transfersPlanned = 240;

async function transfers(client: DynamoDBClient, seed: number, next: () => boolean): Promise<void> {
  const r = seededRandom(seed);
  for (let n = 0; !next(); n++) {
    const from = accounts[Math.floor(r() * accounts.length)];
    const to = accounts[(accounts.indexOf(from) + 1 + Math.floor(r() * (accounts.length - 1))) % accounts.length];
    const amount = 1 + Math.floor(r() * 50);
    try {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Update: { TableName: 'accounts', Key: { id: S(from) }, UpdateExpression: 'SET balance = balance - :a', ConditionExpression: 'balance >= :a', ExpressionAttributeValues: { ':a': N(amount) } } },
            { Update: { TableName: 'accounts', Key: { id: S(to) }, UpdateExpression: 'SET balance = balance + :a', ExpressionAttributeValues: { ':a': N(amount) } } },
            { Put: { TableName: 'transfers', Item: { id: S(`s${seed}-${n}`), from: S(from), to: S(to), amount: N(amount) } } },
          ],
        }),
      );
    } catch (err) {
      const name = (err as Error).name;
      // Cancelled (a conflict, not enough money), or the server went away under it.
      if (name !== 'TransactionCanceledException') return;
    }
  }
}

test('transactions interrupted by SIGKILL are finished from the ledger on restart: balances match the transfers, nothing stays locked', { timeout: 180_000 }, async () => {
  const dataDir = tempDataDir('monodyne-tx-kill');
  const env = { MONODYNE_AUTH_ENABLED: 'false' };
  try {
    const first = await spawnServer(['--port', '0', '--data-dir', dataDir], env);
    let client = clientFor(first.endpoint, 1);
    for (const TableName of ['accounts', 'transfers']) {
      await client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
    }
    for (const id of accounts) await client.send(new PutItemCommand({ TableName: 'accounts', Item: { id: S(id), balance: N(opening) } }));
    let sent = 0;
    const next = () => {
      sent++;
      if (sent === transfersPlanned / 2) first.child.kill('SIGKILL');
      return sent > transfersPlanned;
    };
    await Promise.all(Array.from({ length: workers }, (_, w) => transfers(client, w + 1, next)));
    await first.exited;
    client.destroy();

    const second = await spawnServer(['--port', '0', '--data-dir', dataDir], env);
    client = clientFor(second.endpoint, 1);
    const balances = await scanAllOf(client, { TableName: 'accounts', ConsistentRead: true }, 100);
    const moved = await scanAllOf(client, { TableName: 'transfers', ConsistentRead: true }, 100);
    assert.ok(moved.length > 0, 'no transfer committed before the kill');
    const expected = new Map(accounts.map((id) => [id, opening]));
    for (const t of moved) {
      expected.set(t.from.S!, expected.get(t.from.S!)! - Number(t.amount.N));
      expected.set(t.to.S!, expected.get(t.to.S!)! + Number(t.amount.N));
    }
    assert.equal(balances.length, accounts.length);
    for (const b of balances) assert.equal(Number(b.balance.N), expected.get(b.id.S!), `${b.id.S}: its balance is not what the ${moved.length} transfers moved`);
    // No lock is left: every account takes a plain write.
    for (const id of accounts) await client.send(new UpdateItemCommand({ TableName: 'accounts', Key: { id: S(id) }, UpdateExpression: 'SET checked = :t', ExpressionAttributeValues: { ':t': { BOOL: true } } }));
    await replicasAgree(second.endpoint, 'accounts');
    await replicasAgree(second.endpoint, 'transfers');
    client.destroy();
    second.child.kill('SIGTERM');
    await second.exited;
  } finally {
    await killChildServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
