// Transactions on the simulator (the real StorageNode, router and control plane over simulated
// disks and network, in virtual time): what a prepared item refuses, a lock surviving its
// leader's failover, and the coordinator finishing what its ledger holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scenario } from '../replication/sim/scenario.ts';
import { simClock } from '../replication/sim/sim-clock.ts';
import { routeKey } from '../../src/api/item-key.ts';
import { keyInfoOf } from '../../src/control/table-record.ts';
import { Op, ReturnValues, WriteKind, type GetRequest, type WriteRequest } from '../../src/storage/messages.ts';
import { itemSizeBytes } from '../../src/validation/attribute-values.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import { TransactionCoordinator, type TxWriteAction } from '../../src/transactions/coordinator.ts';
import { realClock } from '../../src/control/clock.ts';
import type { Ledger, LedgerItem, LedgerRecord, TokenRecord } from '../../src/transactions/ledger.ts';
import type { Item } from '../../src/values/types.ts';

/** The ledger in memory (what the server keeps in LMDB). */
class MemoryLedger implements Ledger {
  readonly records = new Map<string, LedgerRecord>();
  private readonly tokenRecords = new Map<string, TokenRecord>();
  async put(record: LedgerRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record));
  }
  async remove(id: string): Promise<void> {
    this.records.delete(id);
  }
  all(): LedgerRecord[] {
    return [...this.records.values()];
  }
  token(token: string): TokenRecord | undefined {
    return this.tokenRecords.get(token);
  }
  async putToken(record: TokenRecord): Promise<void> {
    this.tokenRecords.set(record.token, record);
  }
  async removeToken(token: string): Promise<void> {
    this.tokenRecords.delete(token);
  }
  tokens(): TokenRecord[] {
    return [...this.tokenRecords.values()];
  }
  async close(): Promise<void> {}
}

async function scenario(seed: number): Promise<Scenario> {
  const s = new Scenario(seed);
  await s.start();
  await s.createTable('t');
  await s.settle(Promise.all(['a', 'b', 'c'].map((k) => s.put('t', k, `${k}0`))));
  return s;
}

function itemOf(s: Scenario, key: string): LedgerItem {
  const table = s.table('t');
  const { hash32, storageKey } = routeKey(keyInfoOf(table), { pk: { S: key } });
  return { tableId: table.tableId, table: 't', k: storageKey, hash32 };
}

function send(s: Scenario, item: LedgerItem, req: Partial<WriteRequest>): Promise<unknown> {
  const full: WriteRequest = { id: 0, op: Op.Write, t: item.tableId, p: 0, v: 0, k: item.k, w: WriteKind.Put, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false, ...req };
  return s.server.router.sendByHash(item.tableId, item.hash32, full, true);
}

function prepareput(s: Scenario, tx: string, key: string, value: string): Promise<unknown> {
  const put: Item = { pk: { S: key }, v: { S: value } };
  return send(s, itemOf(s, key), { w: WriteKind.TxPrepare, tx, ta: WriteKind.Put, item: put, sz: itemSizeBytes(put) });
}

async function refusal(s: Scenario, promise: Promise<unknown>): Promise<string> {
  try {
    await s.settle(promise);
  } catch (err) {
    if (err instanceof DynamoError) return err.kind.name;
    throw err;
  }
  return 'accepted';
}

test('a prepared item refuses writes, other prepares and transactional reads; its commit writes the prepared image and frees it', async () => {
  const s = await scenario(1);
  await s.settle(prepareput(s, 'T1', 'a', 'a1'));
  assert.equal(await s.settle(s.get('t', 'a')), 'a0', 'GetItem reads the committed item');
  assert.equal(await refusal(s, s.put('t', 'a', 'other')), 'TransactionConflictException');
  assert.equal(await refusal(s, prepareput(s, 'T2', 'a', 'a2')), 'TransactionConflictException');
  const a = itemOf(s, 'a');
  const read: GetRequest = { id: 0, op: Op.Get, t: a.tableId, p: 0, v: 0, k: a.k, c: true, tl: true };
  assert.equal(await refusal(s, s.server.router.sendByHash(a.tableId, a.hash32, read, true)), 'TransactionConflictException');
  // Its own prepare again is answered; another transaction's commit changes nothing.
  await s.settle(prepareput(s, 'T1', 'a', 'a1'));
  await s.settle(send(s, a, { w: WriteKind.TxCommit, tx: 'T2' }));
  assert.equal(await s.settle(s.get('t', 'a')), 'a0');
  await s.settle(send(s, a, { w: WriteKind.TxCommit, tx: 'T1' }));
  assert.equal(await s.settle(s.get('t', 'a')), 'a1');
  await s.settle(send(s, a, { w: WriteKind.TxCommit, tx: 'T1' }));
  await s.settle(s.put('t', 'a', 'a3'));
  assert.equal(await s.settle(s.get('t', 'a')), 'a3');
  await s.until(() => s.caughtUp(), 'every replica to catch up');
});

test("a lock survives its leader's failover; the new leader commits it once, and a cancel frees without writing", async () => {
  const s = await scenario(2);
  await s.settle(prepareput(s, 'T1', 'b', 'b1'));
  await s.settle(prepareput(s, 'T1', 'c', 'c1'));
  const leader = s.partitionOf('t', 'b').leader;
  s.server.nodes.crashThread(leader);
  await s.until(() => s.partitionOf('t', 'b').leader !== leader, 'a new leader');
  assert.equal(await refusal(s, s.put('t', 'b', 'other')), 'TransactionConflictException');
  await s.settle(send(s, itemOf(s, 'b'), { w: WriteKind.TxCommit, tx: 'T1' }));
  await s.settle(send(s, itemOf(s, 'c'), { w: WriteKind.TxCancel, tx: 'T1' }));
  assert.equal(await s.settle(s.get('t', 'b')), 'b1');
  assert.equal(await s.settle(s.get('t', 'c')), 'c0');
  await s.settle(s.put('t', 'c', 'c2'));
  assert.equal(await s.settle(s.get('t', 'c')), 'c2');
});

test('the coordinator finishes its ledger: a committing transaction is committed on every item, a preparing one cancelled', async () => {
  const s = await scenario(3);
  const ledger = new MemoryLedger();
  const coordinator = new TransactionCoordinator(ledger, s.server.router, { clock: simClock(s.scheduler), recoveryIntervalMs: 1000 });
  await s.settle(prepareput(s, 'C', 'a', 'a9'));
  await s.settle(prepareput(s, 'C', 'b', 'b9'));
  await s.settle(prepareput(s, 'P', 'c', 'c9'));
  await ledger.put({ id: 'C', state: 'committing', items: [itemOf(s, 'a'), itemOf(s, 'b')], at: 0 });
  await ledger.put({ id: 'P', state: 'preparing', items: [itemOf(s, 'c')], at: 0 });
  await s.settle(coordinator.recoverNow());
  assert.deepEqual(ledger.all(), []);
  assert.equal(await s.settle(s.get('t', 'a')), 'a9');
  assert.equal(await s.settle(s.get('t', 'b')), 'b9');
  assert.equal(await s.settle(s.get('t', 'c')), 'c0');
  await s.settle(s.put('t', 'c', 'free'));
  // A whole transaction through the coordinator: its two items, then a cancelled one (a failed condition) that writes nothing.
  const action = (key: string, value: string, x: TxWriteAction['x'] = null): TxWriteAction => {
    const put: Item = { pk: { S: key }, v: { S: value } };
    return { item: itemOf(s, key), kind: WriteKind.Put, put, sz: itemSizeBytes(put), key: null, x, rvf: false };
  };
  const done = await s.settle(coordinator.write([action('a', 'x'), action('b', 'y')]));
  assert.equal(done.committed, true);
  const refused = await s.settle(coordinator.write([action('a', 'z'), action('c', 'z', { ConditionExpression: 'attribute_not_exists(pk)' })]));
  assert.equal(refused.committed, false);
  if (!refused.committed) assert.deepEqual(refused.reasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
  assert.equal(await s.settle(s.get('t', 'a')), 'x');
  assert.equal(await s.settle(s.get('t', 'c')), 'free');
  assert.deepEqual(ledger.all(), []);
});

test("finishes of several transactions in one entry (TxFinishBatch): each as it would be alone; another transaction's finish on an item takes nothing from the one holding it", async () => {
  const s = await scenario(4);
  const a = itemOf(s, 'a');
  const batch = (finishes: Array<[string, boolean]>) => send(s, a, { w: WriteKind.TxFinishBatch, tf: finishes.map(([tx, c]) => ({ k: a.k, tx, c })) });
  await s.settle(prepareput(s, 'T1', 'a', 'a1'));
  // T2 (refused on this item, so cancelling everywhere) comes first in the batch: T1's commit must still be taken, once.
  await s.settle(batch([['T2', false], ['T1', true], ['T1', true]]));
  assert.equal(await s.settle(s.get('t', 'a')), 'a1');
  await s.settle(s.put('t', 'a', 'a2'));
  // A cancel in a batch frees the item and writes nothing; the same batch again changes nothing.
  await s.settle(prepareput(s, 'T3', 'a', 'a3'));
  await s.settle(batch([['T3', false]]));
  await s.settle(batch([['T3', false], ['T1', true]]));
  assert.equal(await s.settle(s.get('t', 'a')), 'a2');
  await s.settle(s.put('t', 'a', 'a4'));
  assert.equal(await s.settle(s.get('t', 'a')), 'a4');
  await s.until(() => s.caughtUp(), 'every replica to catch up');
});

test('a ClientRequestToken: the same request while the first runs is in progress, another request a mismatch; a finished one answers again', async () => {
  const ledger = new MemoryLedger();
  // once() keeps the token's request and answer in the ledger; it routes nothing.
  const coordinator = new TransactionCoordinator(ledger, null as never, { clock: realClock, recoveryIntervalMs: 1000 });
  let finish!: (answer: string) => void;
  const first = coordinator.once('token', 'request-a', () => new Promise<string>((resolve) => (finish = resolve)));
  const refusedWith = async (promise: Promise<string>) => {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof DynamoError, String(err));
      return [err.kind.name, err.message];
    }
    return ['accepted'];
  };
  const runs: string[] = [];
  const again = () => {
    runs.push('ran');
    return Promise.resolve('second');
  };
  assert.deepEqual(await refusedWith(coordinator.once('token', 'request-a', again)), ['TransactionInProgressException', 'Transaction from previous request is still in progress']);
  assert.deepEqual(await refusedWith(coordinator.once('token', 'request-b', again)), [
    'IdempotentParameterMismatchException',
    'The request uses the same client token as a previous, but non-identical request.',
  ]);
  finish('first');
  assert.equal(await first, 'first');
  assert.equal(await coordinator.once('token', 'request-a', again), 'first');
  assert.deepEqual(await refusedWith(coordinator.once('token', 'request-b', again)), [
    'IdempotentParameterMismatchException',
    'The request uses the same client token as a previous, but non-identical request.',
  ]);
  assert.deepEqual(runs, []);
});
