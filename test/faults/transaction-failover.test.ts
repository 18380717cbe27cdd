// Transactions while storage nodes are killed: transfers between accounts spread over the
// partitions of two tables run concurrently with single-item writes and TransactGetItems audits
// while three nodes are killed, one after another, each repaired before the next. Every audit
// sees the same total, and so does the end state on every replica; no item stays locked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand, TransactGetItemsCommand, TransactWriteItemsCommand, UpdateItemCommand, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startTestServer } from '../helpers/server.ts';
import { killAndRepair, waitFor } from '../helpers/admin.ts';
import { replicasAgree } from '../helpers/digests.ts';
import { scanAllOf } from '../helpers/index-check.ts';
import { seededRandom } from '../helpers/prng.ts';
import { PauseGate } from '../helpers/pause-gate.ts';

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const tables = ['checking', 'savings'];
const perTable = 10;
const opening = 500;

test('transfers across two tables keep their total while storage nodes are killed; audits always see it; nothing stays locked', { timeout: 240_000 }, async () => {
  const s = await startTestServer((c) => {
    c.faults.enabled = true;
    c.splits.enabled = false;
  });
  try {
    const accounts: Array<{ table: string; id: string }> = [];
    for (const TableName of tables) {
      await s.client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
      for (let i = 0; i < perTable; i++) {
        accounts.push({ table: TableName, id: `${TableName}-${i}` });
        await s.client.send(new PutItemCommand({ TableName, Item: { id: S(`${TableName}-${i}`), balance: N(opening) } }));
      }
    }
    const total = opening * accounts.length;
    let stop = false;
    let committed = 0;
    let audited = 0;
    // Closed by the auditor after a few cancelled audits in a row, until one gets through.
    const quiet = new PauseGate();
    const transfers = async (seed: number) => {
      const r = seededRandom(seed);
      while (!stop) {
        await quiet.pass();
        const from = accounts[Math.floor(r() * accounts.length)];
        const to = accounts[(accounts.indexOf(from) + 1 + Math.floor(r() * (accounts.length - 1))) % accounts.length];
        const amount = 1 + Math.floor(r() * 40);
        try {
          await s.client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                { Update: { TableName: from.table, Key: { id: S(from.id) }, UpdateExpression: 'SET balance = balance - :a', ConditionExpression: 'balance >= :a', ExpressionAttributeValues: { ':a': N(amount) } } },
                { Update: { TableName: to.table, Key: { id: S(to.id) }, UpdateExpression: 'SET balance = balance + :a', ExpressionAttributeValues: { ':a': N(amount) } } },
              ],
            }),
          );
          committed++;
        } catch (err) {
          // Cancelled, or refused while a partition changed hands (503/500): retried with the next transfer.
          if (!(err instanceof TransactionCanceledException) && !['InternalServerError', 'ServiceUnavailable'].includes((err as Error).name)) throw err;
        }
      }
    };
    const touches = async (seed: number) => {
      // Single-item writes that do not change balances: they must not slip into a held item either.
      const r = seededRandom(seed);
      while (!stop) {
        await quiet.pass();
        const a = accounts[Math.floor(r() * accounts.length)];
        try {
          await s.client.send(new UpdateItemCommand({ TableName: a.table, Key: { id: S(a.id) }, UpdateExpression: 'SET touched = :t', ExpressionAttributeValues: { ':t': N(Math.floor(r() * 1000)) } }));
        } catch (err) {
          if (!['TransactionConflictException', 'InternalServerError', 'ServiceUnavailable'].includes((err as Error).name)) throw err;
        }
      }
    };
    const audits = async () => {
      let cancelledInARow = 0;
      while (!stop) {
        try {
          const got = await s.client.send(new TransactGetItemsCommand({ TransactItems: accounts.map((a) => ({ Get: { TableName: a.table, Key: { id: S(a.id) } } })) }));
          assert.equal(got.Responses!.reduce((sum, x) => sum + Number(x.Item!.balance.N), 0), total, 'an audit saw a partial transfer');
          audited++;
          cancelledInARow = 0;
          quiet.reopen();
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          if (!(err instanceof TransactionCanceledException) && !['InternalServerError', 'ServiceUnavailable'].includes((err as Error).name)) throw err;
          if (++cancelledInARow >= 3) quiet.close();
        }
      }
      quiet.reopen();
    };
    const running = [transfers(1), transfers(2), transfers(3), touches(4), audits()];
    // A request with a ClientRequestToken, sent again after a node's failover, applies once.
    await s.client.send(new PutItemCommand({ TableName: 'checking', Item: { id: S('counter'), n: N(0), balance: N(0) } }));
    const bump = new TransactWriteItemsCommand({ TransactItems: [{ Update: { TableName: 'checking', Key: { id: S('counter') }, UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': N(1) } } }], ClientRequestToken: 'once-across-failover' });
    await s.client.send(bump);
    await killAndRepair(s.endpoint, 0);
    await s.client.send(bump);
    const counter = await s.client.send(new GetItemCommand({ TableName: 'checking', Key: { id: S('counter') }, ConsistentRead: true }));
    assert.equal(counter.Item!.n.N, '1', 'the repeated request was applied again');
    for (const worker of [1, 2, 0]) await killAndRepair(s.endpoint, worker);
    stop = true;
    await Promise.all(running);
    assert.ok(committed > 0 && audited > 0, `committed ${committed}, audited ${audited}`);
    // Whatever the kills interrupted is finished from the ledger (the coordinator retries every second).
    await waitFor(async () => s.server.transactions.unfinished().length === 0, 60_000, 'every transaction finished');
    let sum = 0;
    for (const table of tables) {
      await replicasAgree(s.endpoint, table);
      const items = await scanAllOf(s.client, { TableName: table, ConsistentRead: true }, 100);
      for (const item of items) sum += Number(item.balance.N);
    }
    assert.equal(sum, total);
    for (const a of accounts) await s.client.send(new UpdateItemCommand({ TableName: a.table, Key: { id: S(a.id) }, UpdateExpression: 'SET checked = :t', ExpressionAttributeValues: { ':t': { BOOL: true } } }));
  } finally {
    await s.stop();
  }
});
