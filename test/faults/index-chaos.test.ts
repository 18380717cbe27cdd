// Secondary indexes under faults. (1) A seeded workload of puts, updates that move index keys
// (and remove them, so items leave a sparse index, and add them back), deletes and batch writes
// runs while storage nodes are killed one at a time and partitions of the table and of its GSIs'
// hidden tables split; then every index, read back by Scan (on several replicas), must be exactly
// the projection of the table: no entry missing, none duplicated, none stale. (2) A GSI created by
// UpdateTable is backfilled while writers keep moving its keys, a partition splits and a node is
// killed; once ACTIVE it passes the same check. (3) A GSI deleted while it backfills (held at its
// start for certain) frees its hidden table and its partitions, the backfill is abandoned, writes to
// the table keep working, and an index made again under the same name holds only the table's items.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { seededRandom } from '../helpers/prng.ts';
import { faultOn, fullyReplicated as fullyReplicatedOn, killAndRepair as killAndRepairOn, partitionsOf, splitWidest as splitWidestOn, waitFor } from '../helpers/admin.ts';
import { canon, checkIndexOf, indexProblems, keyOf, projectOnto, scanAllOf, type IndexDef } from '../helpers/index-check.ts';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';
import { replicasAgree } from '../helpers/digests.ts';
import type { BackfillProgress } from '../../src/indexes/backfill.ts';

type Item = Record<string, AttributeValue>;

let s: TestServer;
let raw: DynamoDBClient;
before(async () => {
  s = await startTestServer((c) => {
    c.faults.enabled = true;
    // Splits only where this test asks for them: the same ones every run.
    c.splits.enabled = false;
  });
  // No SDK retries: every outcome the server gives is seen as it is (a retried write of unknown
  // outcome would hide which writes were acknowledged).
  raw = clientFor(s.endpoint, 1);
});
after(async () => {
  raw.destroy();
  await s.stop();
});

// ---- seeded randomness ------------------------------------------------------------------------

const prng = seededRandom;

const pick = <T>(rng: () => number, values: readonly T[]): T => values[Math.floor(rng() * values.length)];
const chance = (rng: () => number, p: number): boolean => rng() < p;

// ---- the admin endpoints ----------------------------------------------------------------------

const partitions = () => partitionsOf(s.endpoint);
const fault = (body: Record<string, unknown>) => faultOn(s.endpoint, body);
const killAndRepair = (worker: number) => killAndRepairOn(s.endpoint, worker);
const splitWidest = (table: string) => splitWidestOn(s.endpoint, table);
const fullyReplicated = () => fullyReplicatedOn(s.endpoint);

async function partitionCount(table: string): Promise<number> {
  return (await partitions()).tables.find((t) => t.tableName === table)?.partitions.length ?? 0;
}

// ---- items, indexes and projections -----------------------------------------------------------

const scanAll = (input: { TableName: string; IndexName?: string; ConsistentRead?: boolean }, limit: number) => scanAllOf(s.client, input, limit);
const checkIndex = (table: string, tableKeys: readonly string[], tableItems: readonly Item[], index: IndexDef, rounds = 2, parallel = 3) => checkIndexOf(s.client, table, tableKeys, tableItems, index, rounds, parallel);

// ---- a workload whose acknowledged outcomes are known ------------------------------------------

/** Errors after which the write was certainly not applied (DynamoDB's contract for them). */
const notApplied = new Set(['ConditionalCheckFailedException', 'ServiceUnavailable', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

class Outcomes {
  /** Per item key: its state after the last acknowledged write (null: absent), undefined when a later write's outcome is unknown. */
  readonly known = new Map<string, Item | null | undefined>();
  readonly errors: Record<string, number> = {};
  /** What a writer found wrong as it went (checked at the end: a writer never throws). */
  readonly problems: string[] = [];
  acknowledged = 0;
  unknown = 0;
  ops = 0;

  constructor(keys: Iterable<string>) {
    for (const k of keys) this.known.set(k, null);
  }

  failed(err: unknown, keys: string[], what: string): void {
    const name = (err as Error).name;
    this.errors[`${what} ${name}`] = (this.errors[`${what} ${name}`] ?? 0) + 1;
    if (name === 'ValidationException') this.problems.push(`${what} of ${keys.join(', ')} refused: ${(err as Error).message}`);
    if (notApplied.has(name) || name === 'ValidationException') return;
    this.unknown++;
    for (const k of keys) this.known.set(k, undefined);
  }

  /** Checks the table (read consistently) against what was acknowledged; returns the items checked. */
  check(tableItems: readonly Item[], tableKeys: readonly string[]): number {
    const inTable = new Map(tableItems.map((item) => [keyOf(item, tableKeys), item]));
    const problems: string[] = [];
    let checked = 0;
    for (const [key, state] of this.known) {
      if (state === undefined) continue;
      checked++;
      const item = inTable.get(key);
      if (state === null && item !== undefined) problems.push(`${key} should be absent, is ${canon(item)}`);
      if (state !== null && (item === undefined || canon(item) !== canon(state))) problems.push(`${key} should be ${canon(state)}, is ${item === undefined ? 'absent' : canon(item)}`);
    }
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} items differ from their last acknowledged write`);
    return checked;
  }
}

/** How a writer makes its items: which attributes, which values. */
interface ItemShape {
  table: string;
  keyNames: string[];
  /** The item's key attributes. */
  key(k: number): Item;
  /** A fresh item (its index key attributes each present or not). */
  item(rng: () => number, k: number): Item;
  /** An attribute to set, with a new value (index keys most of the time), or one to remove. */
  set: Array<{ name: string; value: (rng: () => number) => AttributeValue }>;
  removable: string[];
}

/**
 * One writer: owns the item keys `mine` (no other writer writes them, so each key's writes are in
 * order) and writes them until `stop()` says so: puts, updates that move or remove index keys
 * (ReturnValues ALL_NEW: an acknowledged update says what the item became), deletes and batches.
 */
async function writer(shape: ItemShape, seed: number, mine: number[], outcomes: Outcomes, stop: () => boolean): Promise<void> {
  const rng = prng(seed);
  const keyString = (k: number) => keyOf(shape.key(k), shape.keyNames);
  while (!stop()) {
    const r = rng();
    const k = pick(rng, mine);
    const key = keyString(k);
    outcomes.ops++;
    if (r < 0.25) {
      const item = shape.item(rng, k);
      try {
        await raw.send(new PutItemCommand({ TableName: shape.table, Item: item }));
        outcomes.known.set(key, item);
        outcomes.acknowledged++;
      } catch (err) {
        outcomes.failed(err, [key], 'put');
      }
    } else if (r < 0.7) {
      // Moves index keys (new values), takes some away (the item leaves a sparse index) and adds
      // back others; now and then only a projected non-key attribute changes.
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = {};
      const sets: string[] = [];
      const removes: string[] = [];
      const used = new Set<string>();
      const count = 1 + Math.floor(rng() * 3);
      for (let i = 0; i < count; i++) {
        const attr = pick(rng, shape.set);
        if (used.has(attr.name)) continue;
        used.add(attr.name);
        names[`#a${i}`] = attr.name;
        values[`:v${i}`] = attr.value(rng);
        sets.push(`#a${i} = :v${i}`);
      }
      if (chance(rng, 0.35)) {
        const name = pick(rng, shape.removable);
        if (!used.has(name)) {
          names['#r'] = name;
          removes.push('#r');
        }
      }
      const conditional = chance(rng, 0.5);
      if (conditional) names['#k'] = shape.keyNames[0];
      const expression = (sets.length > 0 ? `SET ${sets.join(', ')}` : '') + (removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : '');
      try {
        const res = await raw.send(
          new UpdateItemCommand({
            TableName: shape.table,
            Key: shape.key(k),
            UpdateExpression: expression.trim(),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
            ConditionExpression: conditional ? 'attribute_exists(#k)' : undefined,
            ReturnValues: 'ALL_NEW',
          }),
        );
        // An update of an absent item that only removes creates nothing: no attributes to return.
        outcomes.known.set(key, res.Attributes !== undefined ? (res.Attributes as Item) : null);
        outcomes.acknowledged++;
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') {
          const state = outcomes.known.get(key);
          if (state !== null && state !== undefined) outcomes.problems.push(`${key}: attribute_exists(pk) failed on an item acknowledged as ${canon(state)}`);
          outcomes.known.set(key, null);
        }
        outcomes.failed(err, [key], 'update');
      }
    } else if (r < 0.85) {
      try {
        await raw.send(new DeleteItemCommand({ TableName: shape.table, Key: shape.key(k) }));
        outcomes.known.set(key, null);
        outcomes.acknowledged++;
      } catch (err) {
        outcomes.failed(err, [key], 'delete');
      }
    } else {
      const ks = [...new Set(Array.from({ length: 2 + Math.floor(rng() * 10) }, () => pick(rng, mine)))];
      const requests: WriteRequest[] = ks.map((x) => (chance(rng, 0.7) ? { PutRequest: { Item: shape.item(rng, x) } } : { DeleteRequest: { Key: shape.key(x) } }));
      try {
        const res = await raw.send(new BatchWriteItemCommand({ RequestItems: { [shape.table]: requests } }));
        const unprocessed = new Set((res.UnprocessedItems?.[shape.table] ?? []).map((u) => keyOf((u.PutRequest?.Item ?? u.DeleteRequest!.Key!) as Item, shape.keyNames)));
        if (unprocessed.size > 0) outcomes.errors['batch unprocessed'] = (outcomes.errors['batch unprocessed'] ?? 0) + unprocessed.size;
        for (const req of requests) {
          const item = (req.PutRequest?.Item ?? null) as Item | null;
          const key = keyOf((item ?? req.DeleteRequest!.Key!) as Item, shape.keyNames);
          if (unprocessed.has(key)) continue;
          outcomes.known.set(key, item);
        }
        outcomes.acknowledged++;
      } catch (err) {
        outcomes.failed(err, ks.map(keyString), 'batch');
      }
    }
  }
}

/** Waits until the writers have done `n` more operations (pacing by progress, not by time). */
async function afterOps(outcomes: Outcomes, n: number): Promise<void> {
  const target = outcomes.ops + n;
  // Bounded only so that writers that stopped making progress fail the test instead of hanging it.
  await waitFor(async () => outcomes.ops >= target, 60_000, `${n} more writes (${outcomes.ops} done, errors ${JSON.stringify(outcomes.errors)})`);
}

// ---- (1) chaos ----------------------------------------------------------------------------------

const chaosTable = 'chaos';
const chaosKeys = ['pk', 'sk'];
const chaosIndexes: IndexDef[] = [
  {
    name: 'g-all',
    kind: 'GSI',
    keys: [
      { name: 'gp', type: 'S', role: 'HASH' },
      { name: 'gs', type: 'N', role: 'RANGE' },
    ],
    projection: 'ALL',
  },
  { name: 'g-inc', kind: 'GSI', keys: [{ name: 'gq', type: 'S', role: 'HASH' }], projection: 'INCLUDE', include: ['color', 'meta'] },
  {
    name: 'l-keys',
    kind: 'LSI',
    keys: [
      { name: 'pk', type: 'S', role: 'HASH' },
      { name: 'ls', type: 'N', role: 'RANGE' },
    ],
    projection: 'KEYS_ONLY',
  },
];
const itemKeys = 300;
const gpValues = Array.from({ length: 12 }, (_, i) => `g${i}`);
const gqValues = Array.from({ length: 30 }, (_, i) => `q${i}`);
const colors = ['red', 'green', 'blue', 'amber', 'violet'];
const num = (n: number): AttributeValue => ({ N: String(n) });

const chaosShape: ItemShape = {
  table: chaosTable,
  keyNames: chaosKeys,
  key: (k) => ({ pk: { S: `p${k % 40}` }, sk: num(k) }),
  item(rng, k) {
    const item: Item = { ...this.key(k), color: { S: pick(rng, colors) }, note: { S: 'n'.repeat(Math.floor(rng() * 300)) } };
    if (chance(rng, 0.8)) item.gp = { S: pick(rng, gpValues) };
    if (chance(rng, 0.8)) item.gs = num(Math.floor(rng() * 1000));
    if (chance(rng, 0.8)) item.gq = { S: pick(rng, gqValues) };
    if (chance(rng, 0.8)) item.ls = num(Math.floor(rng() * 100));
    if (chance(rng, 0.3)) item.meta = { M: { v: num(Math.floor(rng() * 10)), l: { L: [{ S: 'x' }, { BOOL: true }] } } };
    return item;
  },
  set: [
    { name: 'gp', value: (rng) => ({ S: pick(rng, gpValues) }) },
    { name: 'gs', value: (rng) => num(Math.floor(rng() * 1000)) },
    { name: 'gq', value: (rng) => ({ S: pick(rng, gqValues) }) },
    { name: 'ls', value: (rng) => num(Math.floor(rng() * 100)) },
    { name: 'color', value: (rng) => ({ S: pick(rng, colors) }) },
    { name: 'meta', value: (rng) => ({ M: { v: num(Math.floor(rng() * 10)) } }) },
    { name: 'note', value: (rng) => ({ S: 'm'.repeat(Math.floor(rng() * 200)) }) },
  ],
  removable: ['gp', 'gs', 'gq', 'ls', 'color', 'meta'],
};

test('indexes stay exactly the projection of their table while nodes are killed and partitions of the table and its GSIs split', { timeout: 110_000 }, async () => {
  await s.client.send(
    new CreateTableCommand({
      TableName: chaosTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'gp', AttributeType: 'S' },
        { AttributeName: 'gs', AttributeType: 'N' },
        { AttributeName: 'gq', AttributeType: 'S' },
        { AttributeName: 'ls', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: chaosIndexes
        .filter((ix) => ix.kind === 'GSI')
        .map((ix) => ({
          IndexName: ix.name,
          KeySchema: ix.keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
          Projection: { ProjectionType: ix.projection, NonKeyAttributes: ix.include },
        })),
      LocalSecondaryIndexes: chaosIndexes
        .filter((ix) => ix.kind === 'LSI')
        .map((ix) => ({
          IndexName: ix.name,
          KeySchema: ix.keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
          Projection: { ProjectionType: ix.projection },
        })),
    }),
  );
  const started = Date.now();
  const allKeys = Array.from({ length: itemKeys }, (_, k) => k);
  const outcomes = new Outcomes(allKeys.map((k) => keyOf(chaosShape.key(k), chaosKeys)));
  const writers = 4;
  let stop = false;
  const running = Array.from({ length: writers }, (_, w) =>
    writer(
      chaosShape,
      0xc4a05 + w,
      allKeys.filter((k) => k % writers === w),
      outcomes,
      () => stop,
    ),
  );

  const partitionsBefore = { table: await partitionCount(chaosTable), gAll: await partitionCount(`${chaosTable}/g-all`), gInc: await partitionCount(`${chaosTable}/g-inc`) };
  assert.ok(partitionsBefore.gAll > 0 && partitionsBefore.gInc > 0, 'the GSIs\' hidden tables are listed by GET /_monodyne/partitions');
  // The faults, in a fixed order, each after the writers have done some more work.
  const schedule: Array<{ kill: number } | { split: string }> = [
    { split: chaosTable },
    { kill: 0 },
    { split: `${chaosTable}/g-all` },
    { kill: 1 },
    { split: chaosTable },
    { split: `${chaosTable}/g-inc` },
    { kill: 2 },
    { split: `${chaosTable}/g-all` },
  ];
  try {
    await afterOps(outcomes, 150);
    for (const step of schedule) {
      if ('kill' in step) await killAndRepair(step.kill);
      else await splitWidest(step.split);
      await afterOps(outcomes, 100);
    }
  } finally {
    stop = true;
  }
  await Promise.all(running);
  const faultsDone = Date.now();

  assert.equal(await partitionCount(chaosTable), partitionsBefore.table + 2);
  assert.equal(await partitionCount(`${chaosTable}/g-all`), partitionsBefore.gAll + 2);
  assert.equal(await partitionCount(`${chaosTable}/g-inc`), partitionsBefore.gInc + 1);
  assert.deepEqual(outcomes.problems.slice(0, 10), []);
  assert.ok(outcomes.acknowledged > 500, `only ${outcomes.acknowledged} writes acknowledged`);

  // Everything delivered, and every replica of the table and of the indexes' tables caught up and equal.
  await waitFor(fullyReplicated, 30_000, 'replication factor 3');
  await s.server.propagator.drained(chaosTable);
  for (const t of [chaosTable, `${chaosTable}/g-all`, `${chaosTable}/g-inc`]) await replicasAgree(s.endpoint, t);

  const tableItems = await scanAll({ TableName: chaosTable, ConsistentRead: true }, 53);
  assert.equal(new Set(tableItems.map((i) => keyOf(i, chaosKeys))).size, tableItems.length, 'a table scan returned an item twice');
  const checkedItems = outcomes.check(tableItems, chaosKeys);
  let scans = 0;
  for (const index of chaosIndexes) scans += await checkIndex(chaosTable, chaosKeys, tableItems, index);

  // Query of the ALL index by each partition key value: the same entries, in sort key order.
  for (const gp of gpValues) {
    const got: Item[] = [];
    let esk: Item | undefined;
    do {
      const page = await s.client.send(new QueryCommand({ TableName: chaosTable, IndexName: 'g-all', KeyConditionExpression: 'gp = :v', ExpressionAttributeValues: { ':v': { S: gp } }, Limit: 7, ExclusiveStartKey: esk }));
      got.push(...((page.Items ?? []) as Item[]));
      esk = page.LastEvaluatedKey as Item | undefined;
    } while (esk !== undefined);
    const want = tableItems.filter((i) => i.gp?.S === gp && i.gs?.N !== undefined);
    assert.deepEqual(indexProblems(want, chaosKeys, chaosIndexes[0], got).slice(0, 10), [], `Query of g-all for ${gp}`);
    const sortKeys = got.map((i) => Number(i.gs.N));
    assert.deepEqual(sortKeys, [...sortKeys].sort((a, b) => a - b), `Query of g-all for ${gp} is in sort key order`);
  }
  const inIndex = chaosIndexes.map((ix) => `${ix.name} ${tableItems.filter((i) => projectOnto(i, ix, chaosKeys) !== null).length}`).join(', ');
  console.log(
    `chaos: ${schedule.length} faults in ${faultsDone - started} ms; ${outcomes.ops} writes (${outcomes.acknowledged} acknowledged, ${outcomes.unknown} of unknown outcome), ` +
      `errors ${JSON.stringify(outcomes.errors)}; ${tableItems.length} items (${checkedItems} checked against their last acknowledged write), entries: ${inIndex}; ${scans} index scans checked; ` +
      `propagation ${JSON.stringify(s.server.propagator.report().find((r) => r.table === chaosTable))}`,
  );
});

// ---- (2) backfill under load --------------------------------------------------------------------

const bfTable = 'backfill';
const categories = Array.from({ length: 10 }, (_, i) => `c${i}`);
const bfShape: ItemShape = {
  table: bfTable,
  keyNames: ['id'],
  key: (k) => ({ id: { S: `item-${k}` } }),
  item(rng, k) {
    const item: Item = { ...this.key(k), v: num(Math.floor(rng() * 1e6)), pad: { S: 'p'.repeat(Math.floor(rng() * 200)) } };
    if (chance(rng, 0.85)) item.cat = { S: pick(rng, categories) };
    if (chance(rng, 0.9)) item.rank = num(Math.floor(rng() * 500));
    return item;
  },
  set: [
    { name: 'cat', value: (rng) => ({ S: pick(rng, categories) }) },
    { name: 'rank', value: (rng) => num(Math.floor(rng() * 500)) },
    { name: 'v', value: (rng) => num(Math.floor(rng() * 1e6)) },
  ],
  removable: ['cat', 'rank', 'v'],
};
const byCat: IndexDef = {
  name: 'by-cat',
  kind: 'GSI',
  keys: [
    { name: 'cat', type: 'S', role: 'HASH' },
    { name: 'rank', type: 'N', role: 'RANGE' },
  ],
  projection: 'INCLUDE',
  include: ['v'],
};

async function indexStatus(table: string, index: string): Promise<{ IndexStatus?: string; Backfilling?: boolean } | undefined> {
  const described = await s.client.send(new DescribeTableCommand({ TableName: table }));
  return described.Table!.GlobalSecondaryIndexes?.find((i) => i.IndexName === index);
}

/** Writes `count` items (keys 0..count-1) with batches; returns them. */
async function load(shape: ItemShape, count: number, seed: number): Promise<Item[]> {
  const rng = prng(seed);
  const items = Array.from({ length: count }, (_, k) => shape.item(rng, k));
  for (let i = 0; i < items.length; i += 25) {
    let requests: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      assert.ok(attempt < 20, 'batch writes kept coming back unprocessed');
      const res = await s.client.send(new BatchWriteItemCommand({ RequestItems: { [shape.table]: requests } }));
      requests = res.UnprocessedItems?.[shape.table] ?? [];
    }
  }
  return items;
}

test('a GSI backfilled while writers move its keys, a partition splits and a node is killed equals the projection of its table', { timeout: 90_000 }, async () => {
  await s.client.send(
    new CreateTableCommand({ TableName: bfTable, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
  );
  const itemCount = 1200;
  const started = Date.now();
  const loaded = await load(bfShape, itemCount, 0xbf11);
  const allKeys = Array.from({ length: itemCount }, (_, k) => k);
  const outcomes = new Outcomes([]);
  // Every loaded item was acknowledged (load() resends what comes back unprocessed).
  for (const item of loaded) outcomes.known.set(keyOf(item, ['id']), item);
  const writers = 3;
  let stop = false;
  const running = Array.from({ length: writers }, (_, w) =>
    writer(
      bfShape,
      0xbf00 + w,
      allKeys.filter((k) => k % writers === w),
      outcomes,
      () => stop,
    ),
  );
  let sawBackfilling = false;
  let active = false;
  let progressAtKill: BackfillProgress | undefined;
  try {
    await afterOps(outcomes, 50);
    const created = await s.client.send(
      new UpdateTableCommand({
        TableName: bfTable,
        AttributeDefinitions: [
          { AttributeName: 'cat', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexUpdates: [
          { Create: { IndexName: byCat.name, KeySchema: byCat.keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })), Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: byCat.include } } },
        ],
      }),
    );
    const described = created.TableDescription!.GlobalSecondaryIndexes!.find((i) => i.IndexName === byCat.name)!;
    assert.equal(described.IndexStatus, 'CREATING');
    assert.equal(described.Backfilling, true);
    const status = await indexStatus(bfTable, byCat.name);
    if (status?.IndexStatus === 'CREATING') {
      sawBackfilling = true;
      await assert.rejects(s.client.send(new ScanCommand({ TableName: bfTable, IndexName: byCat.name })), {
        name: 'ValidationException',
        message: `Cannot read from backfilling global secondary index: ${byCat.name}`,
      });
    }
    // Once the walk has brought its first items in, the leader of the partition it walks is
    // killed (its next pages go to the new leader, or the walk starts over, bringing what it
    // brought already again); once that is repaired, the table splits.
    const progress = s.server.propagator.backfills.get(`${bfTable}/${byCat.name}`)!;
    for (let i = 0; i < 2000 && progress.state === 'scanning' && progress.itemsDone === 0; i++) await new Promise((r) => setTimeout(r, 2));
    progressAtKill = { ...progress };
    const walked = (await partitions()).tables.find((t) => t.tableName === bfTable)!.partitions.find((p) => p.hashRange[0] <= progress.hashPosition && progress.hashPosition < p.hashRange[1]);
    await killAndRepair(walked?.leader ?? 1);
    await splitWidest(bfTable);
    // ACTIVE, once the backfill is delivered: asked between passes of the propagator, a bounded number of times.
    for (let i = 0; i < 600 && !active; i++) {
      await s.server.propagator.drained(bfTable);
      const now = await indexStatus(bfTable, byCat.name);
      active = now?.IndexStatus === 'ACTIVE' && now.Backfilling !== true;
      if (!active) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(active, `index ${byCat.name} never became ACTIVE: ${JSON.stringify(s.server.propagator.backfills.get(`${bfTable}/${byCat.name}`))}`);
    // Writes after the backfill, still moving keys.
    await afterOps(outcomes, 150);
  } finally {
    stop = true;
  }
  await Promise.all(running);
  assert.deepEqual(outcomes.problems.slice(0, 10), []);
  const progress = s.server.propagator.backfills.get(`${bfTable}/${byCat.name}`);
  assert.equal(progress?.state, 'done');
  assert.equal(progress.hashPosition, 2 ** 32);

  await waitFor(fullyReplicated, 30_000, 'replication factor 3');
  await s.server.propagator.drained(bfTable);
  for (const t of [bfTable, `${bfTable}/${byCat.name}`]) await replicasAgree(s.endpoint, t);
  const tableItems = await scanAll({ TableName: bfTable, ConsistentRead: true }, 97);
  const checkedItems = outcomes.check(tableItems, ['id']);
  const scans = await checkIndex(bfTable, ['id'], tableItems, byCat);
  console.log(
    `backfill: ${itemCount} items loaded, ${outcomes.ops} writes during and after (${outcomes.acknowledged} acknowledged, ${outcomes.unknown} unknown), errors ${JSON.stringify(outcomes.errors)}; ` +
      `read refused while backfilling: ${sawBackfilling}; backfill when a node was killed: ${JSON.stringify(progressAtKill)}; backfill brought ${progress.itemsDone} of ${progress.itemsTotal}; ${tableItems.length} items (${checkedItems} checked), ` +
      `${tableItems.filter((i) => projectOnto(i, byCat, ['id']) !== null).length} index entries, ${scans} index scans checked, in ${Date.now() - started} ms`,
  );
});

// ---- (3) deleting a GSI while it backfills ------------------------------------------------------

test('a GSI deleted while it backfills frees its hidden table and partitions; writes keep working', { timeout: 60_000 }, async () => {
  const table = 'dropping';
  const index = 'by-cat';
  const holder = `${table}/${index}`;
  await s.client.send(
    new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
  );
  const shape: ItemShape = { ...bfShape, table };
  const count = 300;
  await load(shape, count, 0xd0);
  await waitFor(fullyReplicated, 30_000, 'replication factor 3');

  // The backfill is held where it starts, for certain: it waits for every write routed before the
  // index existed, and one such write cannot commit while replication to every node is cut.
  let held: Promise<unknown> | null = null;
  let before: Awaited<ReturnType<typeof indexStatus>>;
  try {
    for (let to = 0; to < 3; to++) await fault({ action: 'drop', to });
    held = raw.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'held' }, cat: { S: 'c1' }, rank: num(1) } })).catch((err: Error) => err);
    // Appended by its leader, not committed: in flight.
    await waitFor(
      async () => {
        const view = await partitions();
        return view.tables.some((t) => t.tableName === table && t.partitions.some((p) => p.logIndex !== null && p.committed !== null && p.logIndex > p.committed));
      },
      20_000,
      'the held write to be appended',
    );
    await s.client.send(
      new UpdateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'cat', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index, KeySchema: byCat.keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })), Projection: { ProjectionType: 'KEYS_ONLY' } } }],
      }),
    );
    assert.ok((await partitionCount(holder)) > 0, `GET /_monodyne/partitions lists ${holder} once the index is created`);
    before = await indexStatus(table, index);
    assert.equal(before?.IndexStatus, 'CREATING');
    assert.equal(before?.Backfilling, true);
    assert.equal(s.server.propagator.backfills.get(holder)?.itemsDone, 0);
    // DynamoDB allows deleting an index that is CREATING with Backfilling true.
    const deleted = await s.client.send(new UpdateTableCommand({ TableName: table, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: index } }] }));
    assert.equal(deleted.TableDescription!.GlobalSecondaryIndexes?.find((i) => i.IndexName === index)?.IndexStatus, 'DELETING');
  } finally {
    for (let to = 0; to < 3; to++) await fault({ action: 'heal', to });
  }
  const heldOutcome = await held;
  assert.ok(!(heldOutcome instanceof Error), `the held write failed: ${String(heldOutcome)}`);

  // Gone from DescribeTable and from the partition map; the backfill stopped.
  let gone = false;
  for (let i = 0; i < 500 && !gone; i++) {
    gone = (await indexStatus(table, index)) === undefined && (await partitionCount(holder)) === 0;
    if (!gone) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(gone, `${holder} is still listed`);
  const view = await partitions();
  assert.ok(!view.tables.some((t) => t.tableName === holder));
  assert.ok(view.tables.some((t) => t.tableName === table));
  await assert.rejects(s.client.send(new QueryCommand({ TableName: table, IndexName: index, KeyConditionExpression: 'cat = :c', ExpressionAttributeValues: { ':c': { S: 'c1' } } })), {
    name: 'ValidationException',
    message: `The table does not have the specified index: ${index}`,
  });
  // The backfill gave up without bringing anything in.
  for (let i = 0; i < 500 && s.server.propagator.backfills.get(holder)?.state === 'scanning'; i++) await new Promise((r) => setTimeout(r, 20));
  const progress = s.server.propagator.backfills.get(holder);
  assert.equal(progress?.state, 'abandoned', JSON.stringify(progress));
  assert.equal(progress.itemsDone, 0);

  // Writes keep working, with the attributes that were the index's keys too.
  const rng = prng(0xd1);
  for (let k = 0; k < 50; k++) {
    await raw.send(new PutItemCommand({ TableName: table, Item: shape.item(rng, k) }));
    await raw.send(new UpdateItemCommand({ TableName: table, Key: shape.key(count + k), UpdateExpression: 'SET cat = :c, #r = :r', ExpressionAttributeNames: { '#r': 'rank' }, ExpressionAttributeValues: { ':c': { S: 'c3' }, ':r': num(k) } }));
    await raw.send(new DeleteItemCommand({ TableName: table, Key: shape.key(100 + k) }));
  }
  await s.server.propagator.drained(table);
  const got = await s.client.send(new GetItemCommand({ TableName: table, Key: shape.key(count + 7), ConsistentRead: true }));
  assert.equal(got.Item?.rank?.N, '7');
  const items = await scanAll({ TableName: table, ConsistentRead: true }, 500);
  // The loaded items, the held one, 50 added by updates, 50 deleted.
  assert.equal(items.length, count + 1 + 50 - 50);
  // The same name can be used again, and the new index holds only what the table has.
  await s.client.send(
    new UpdateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'cat', AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index, KeySchema: [{ AttributeName: 'cat', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } } }],
    }),
  );
  let active = false;
  for (let i = 0; i < 600 && !active; i++) {
    await s.server.propagator.drained(table);
    active = (await indexStatus(table, index))?.IndexStatus === 'ACTIVE';
    if (!active) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(active, 'the index made again never became ACTIVE');
  await checkIndex(table, ['id'], await scanAll({ TableName: table, ConsistentRead: true }, 500), { name: index, kind: 'GSI', keys: [{ name: 'cat', type: 'S', role: 'HASH' }], projection: 'KEYS_ONLY' }, 1, 2);
});
