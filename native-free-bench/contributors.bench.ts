// What Contributor Insights costs the hot path: an item operation's send as it was (straight to
// the router) against sendByKey with Contributor Insights off and on, and the top-k sketch alone.
import type { Bench } from 'tinybench';
import { sendByKey, type ApiContext } from '../src/api/context.ts';
import { Contributors } from '../src/control/contributors.ts';
import { TopKSketch } from '../src/control/top-k-sketch.ts';
import type { TableRecord } from '../src/control/table-record.ts';
import type { StorageRequest, StorageResponse } from '../src/storage/messages.ts';
import type { AttributeValue } from '../src/values/types.ts';

const answer: StorageResponse = { id: 0, s: 0 } as StorageResponse;
const answered = Promise.resolve(answer);
/** The router reduced to an answer already there: what is left is the call itself. */
const router = { sendByHash: (_t: string, _h: number, _r: StorageRequest, _l: boolean) => answered };

function table(name: string, insights: boolean): TableRecord {
  return {
    name,
    tableId: `${name}.1`,
    arn: '',
    keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    billingMode: 'PAY_PER_REQUEST',
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    createdAt: 0,
    partitions: [],
    ...(insights ? { contributorInsights: { enabled: true, mode: 'ACCESSED_AND_THROTTLED_KEYS' as const, updatedAtMs: 0, rulesCreatedAtMs: 0 } } : {}),
  };
}

export function register(bench: Bench): void {
  const ctx = { router, contributors: new Contributors() } as unknown as ApiContext;
  const plain = table('plain', false);
  const watched = table('watched', true);
  const req = { id: 0, op: 0, t: plain.tableId, p: 0, v: 0, k: new Uint8Array(8), c: false } as unknown as StorageRequest;
  const keys: AttributeValue[] = Array.from({ length: 1000 }, (_, i) => ({ S: `user#${String(i).padStart(6, '0')}` }));
  let i = 0;
  let sink = 0;
  bench.add('send a keyed request: router.sendByHash directly (before)', () => {
    sink += router.sendByHash(plain.tableId, 42, req, true) === answered ? 1 : 0;
  });
  bench.add('send a keyed request: sendByKey, Contributor Insights off', () => {
    sink += sendByKey(ctx, plain, keys[i++ % 1000], 42, req, true) === answered ? 1 : 0;
  });
  bench.add('send a keyed request: sendByKey, Contributor Insights on (1,000 keys)', () => {
    sink += sendByKey(ctx, watched, keys[i++ % 1000], 42, req, true) !== answered ? 1 : 0;
  });
  const hot = new TopKSketch(64, 60_000, Date.now());
  bench.add('TopKSketch.add: 32 tracked keys (hits)', () => {
    hot.add((keys[i++ & 31] as { S: string }).S);
  });
  const churn = new TopKSketch(64, 60_000, Date.now());
  bench.add('TopKSketch.add: 1,000 keys into 64 slots (mostly replacements)', () => {
    churn.add((keys[i++ % 1000] as { S: string }).S);
  });
  bench.add('(sink)', () => {
    sink &= 1;
  });
}
