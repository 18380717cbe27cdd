// Time to Live through the AWS SDK: UpdateTimeToLive and DescribeTimeToLive with DynamoDB's
// statuses and refusals, the setting surviving a restart, and the sweeper deleting exactly the
// expired items (Numbers in the past, not more than five years old) as ordinary replicated deletes
// (every replica agrees, a global index follows), also while items are written meanwhile.
// Sweeps run when the test asks (RunningServer.ttl.sweepNow), except in the test of the interval.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer, type TestServer } from '../helpers/server.ts';
import { loadDefaults } from '../../src/server/config.ts';
import { startServer, type RunningServer } from '../../src/server/main.ts';
import { drainIndexes, waitFor } from '../helpers/admin.ts';
import { replicasAgree } from '../helpers/digests.ts';
import { seededRandom } from '../helpers/prng.ts';

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const nowSeconds = () => Math.floor(Date.now() / 1000);
const yearSeconds = 365 * 24 * 3600;

/** Sweeps only when asked; statuses settle at once unless a test says otherwise. */
const manual = (settleMs = 0, changeCooldownMs = 0) => (c: import('../../src/server/config.ts').Config) => {
  c.ttl.sweepIntervalMs = 86_400_000;
  c.ttl.settleMs = settleMs;
  c.ttl.changeCooldownMs = changeCooldownMs;
  c.splits.enabled = false;
};

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.stop())));
async function server(overrides = manual()): Promise<TestServer> {
  const s = await startTestServer(overrides);
  servers.push(s);
  return s;
}

async function createTable(s: TestServer, TableName: string, gsi = false): Promise<void> {
  await s.client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, ...(gsi ? [{ AttributeName: 'g', AttributeType: 'S' as const }] : [])],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ...(gsi ? { GlobalSecondaryIndexes: [{ IndexName: 'by-g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' as const }], Projection: { ProjectionType: 'ALL' as const } }] } : {}),
    }),
  );
}

async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  return { name: 'accepted', message: '' };
}

const describe = async (s: TestServer, TableName: string) => (await s.client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
const enable = (s: TestServer, TableName: string, AttributeName: string, Enabled = true) => s.client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName, Enabled } }));

test('UpdateTimeToLive and DescribeTimeToLive: DISABLED, ENABLING, ENABLED, DISABLING, DISABLED; not idempotent, as DynamoDB', async () => {
  const slow = await server(manual(3_600_000));
  await createTable(slow, 'ttl-status');
  assert.deepEqual(await describe(slow, 'ttl-status'), { TimeToLiveStatus: 'DISABLED' });
  const answer = await enable(slow, 'ttl-status', 'expiresAt');
  assert.deepEqual(answer.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
  assert.deepEqual(await describe(slow, 'ttl-status'), { TimeToLiveStatus: 'ENABLING', AttributeName: 'expiresAt' });
  // Enabling again, with the same attribute or another, is refused; so is disabling a disabled table.
  assert.deepEqual(await refusal(enable(slow, 'ttl-status', 'expiresAt')), { name: 'ValidationException', message: 'TimeToLive is already enabled' });
  assert.deepEqual(await refusal(enable(slow, 'ttl-status', 'other')), { name: 'ValidationException', message: 'TimeToLive is already enabled' });
  await enable(slow, 'ttl-status', 'expiresAt', false);
  assert.deepEqual(await describe(slow, 'ttl-status'), { TimeToLiveStatus: 'DISABLING', AttributeName: 'expiresAt' });
  assert.deepEqual(await refusal(enable(slow, 'ttl-status', 'expiresAt', false)), { name: 'ValidationException', message: 'TimeToLive is already disabled' });

  const quick = await server();
  await createTable(quick, 'ttl-quick');
  assert.deepEqual(await refusal(enable(quick, 'ttl-quick', 'x', false)), { name: 'ValidationException', message: 'TimeToLive is already disabled' });
  await enable(quick, 'ttl-quick', 'x');
  assert.deepEqual(await describe(quick, 'ttl-quick'), { TimeToLiveStatus: 'ENABLED', AttributeName: 'x' });
  // The attribute changes through a disable.
  await enable(quick, 'ttl-quick', 'x', false);
  assert.deepEqual(await describe(quick, 'ttl-quick'), { TimeToLiveStatus: 'DISABLED' });
  await enable(quick, 'ttl-quick', 'y');
  assert.deepEqual(await describe(quick, 'ttl-quick'), { TimeToLiveStatus: 'ENABLED', AttributeName: 'y' });
});

test("UpdateTimeToLive's validation: the specification's members, the attribute name's length, an unknown table, and the cool-down when it is set", async () => {
  const s = await server(manual(0, 3_600_000));
  await createTable(s, 'ttl-checks');
  const update = (input: Record<string, unknown>) => refusal(s.client.send(new UpdateTimeToLiveCommand(input as never)));
  assert.deepEqual(await update({ TableName: 'ttl-checks' }), {
    name: 'ValidationException',
    message: "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
  });
  assert.deepEqual(await update({ TableName: 'ttl-checks', TimeToLiveSpecification: { Enabled: true } }), {
    name: 'ValidationException',
    message: "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null",
  });
  assert.deepEqual(await update({ TableName: 'ttl-checks', TimeToLiveSpecification: { AttributeName: 'a' } }), {
    name: 'ValidationException',
    message: "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null",
  });
  const long = 'a'.repeat(256);
  assert.deepEqual(await update({ TableName: 'ttl-checks', TimeToLiveSpecification: { AttributeName: long, Enabled: true } }), {
    name: 'ValidationException',
    message: `1 validation error detected: Value '${long}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255`,
  });
  assert.deepEqual(await update({ TableName: 'no-such-table', TimeToLiveSpecification: { AttributeName: 'a', Enabled: true } }), {
    name: 'ResourceNotFoundException',
    message: 'Requested resource not found: Table: no-such-table not found',
  });
  assert.deepEqual(await refusal(s.client.send(new DescribeTimeToLiveCommand({ TableName: 'no-such-table' }))), {
    name: 'ResourceNotFoundException',
    message: 'Requested resource not found: Table: no-such-table not found',
  });
  await enable(s, 'ttl-checks', 'a');
  assert.deepEqual(await refusal(enable(s, 'ttl-checks', 'a', false)), { name: 'ValidationException', message: 'Time to live has been modified multiple times within a fixed interval' });
  assert.deepEqual(await describe(s, 'ttl-checks'), { TimeToLiveStatus: 'ENABLED', AttributeName: 'a' });
});

test('a sweep deletes exactly the expired items: Numbers in the past, not more than five years old; every replica and a global index agree', async () => {
  const s = await server();
  await createTable(s, 'ttl-sweep', true);
  await enable(s, 'ttl-sweep', 'exp');
  const now = nowSeconds();
  const items: Array<[string, AttributeValue | undefined, boolean]> = [
    ['expired', N(now - 100), true],
    ['expired-a-year-ago', N(now - yearSeconds), true],
    ['expired-long-ago', N(now - 6 * yearSeconds), false],
    ['in-the-future', N(now + 3600), false],
    ['a-string', S(String(now - 100)), false],
    ['no-expiry', undefined, false],
  ];
  for (const [id, exp] of items) await s.client.send(new PutItemCommand({ TableName: 'ttl-sweep', Item: { id: S(id), g: S('all'), ...(exp === undefined ? {} : { exp }) } }));
  // Expired but not yet deleted: still read, as DynamoDB.
  assert.ok((await s.client.send(new GetItemCommand({ TableName: 'ttl-sweep', Key: { id: S('expired') }, ConsistentRead: true }))).Item);
  const counts = await s.server.ttl.sweepNow();
  assert.equal(counts.deleted, 2);
  const left = (await s.client.send(new ScanCommand({ TableName: 'ttl-sweep', ConsistentRead: true }))).Items!.map((i) => i.id.S).sort();
  assert.deepEqual(left, items.filter(([, , gone]) => !gone).map(([id]) => id).sort());
  await replicasAgree(s.endpoint, 'ttl-sweep');
  await drainIndexes(s.endpoint, 'ttl-sweep');
  const indexed = (await s.client.send(new QueryCommand({ TableName: 'ttl-sweep', IndexName: 'by-g', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': S('all') } }))).Items!.map((i) => i.id.S).sort();
  assert.deepEqual(indexed, left);
  // Nothing more to do: a second sweep deletes nothing.
  assert.equal((await s.server.ttl.sweepNow()).deleted, 0);
});

test('with a short sweep interval, expired items go by themselves; a disabled table keeps them', async () => {
  const s = await server((c) => {
    c.ttl.sweepIntervalMs = 100;
    c.ttl.settleMs = 0;
  });
  await createTable(s, 'ttl-auto');
  await createTable(s, 'ttl-off');
  await enable(s, 'ttl-auto', 'exp');
  const past = nowSeconds() - 10;
  for (const TableName of ['ttl-auto', 'ttl-off']) {
    for (let i = 0; i < 20; i++) await s.client.send(new PutItemCommand({ TableName, Item: { id: S(`i${i}`), exp: N(past) } }));
  }
  await waitFor(async () => (await s.client.send(new ScanCommand({ TableName: 'ttl-auto', ConsistentRead: true }))).Count === 0, 30_000, 'the expired items to go');
  // Let a sweep pass over the disabled table too: it keeps every item.
  await s.server.ttl.sweepNow();
  assert.equal((await s.client.send(new ScanCommand({ TableName: 'ttl-off', ConsistentRead: true }))).Count, 20);
});

test('under write load, a sweep deletes only what is expired when it deletes: an item given a new expiry meanwhile stays', async () => {
  const s = await server();
  await createTable(s, 'ttl-load');
  await enable(s, 'ttl-load', 'exp');
  const ids = Array.from({ length: 60 }, (_, i) => `k${i}`);
  const latest = new Map<string, number>();
  const put = async (id: string, exp: number) => {
    await s.client.send(new PutItemCommand({ TableName: 'ttl-load', Item: { id: S(id), exp: N(exp) } }));
    latest.set(id, exp);
  };
  for (const id of ids) await put(id, nowSeconds() - 5);
  let writing = true;
  // Each writer has its own items, so the order of one item's writes is the order they were answered in.
  const writer = async (seed: number) => {
    const r = seededRandom(seed);
    const mine = ids.filter((_, i) => i % 3 === seed - 1);
    while (writing) {
      const id = mine[Math.floor(r() * mine.length)];
      // Half of the writes push the expiry an hour ahead, half put it in the past.
      await put(id, nowSeconds() + (r() < 0.5 ? 3600 : -5));
    }
  };
  const writers = [writer(1), writer(2), writer(3)];
  let deleted = 0;
  for (let round = 0; round < 5; round++) deleted += (await s.server.ttl.sweepNow()).deleted;
  writing = false;
  await Promise.all(writers);
  assert.ok(deleted > 0, 'the sweeps deleted nothing');
  // What is left: every item whose last write put its expiry ahead is there with that expiry.
  const left = new Map(((await s.client.send(new ScanCommand({ TableName: 'ttl-load', ConsistentRead: true }))).Items ?? []).map((i) => [i.id.S!, Number(i.exp.N)]));
  for (const [id, exp] of latest) if (exp > nowSeconds()) assert.equal(left.get(id), exp, `${id}, written to expire an hour from now, was deleted or lost its write`);
  // A last sweep with the writers stopped leaves only the items that expire ahead.
  await s.server.ttl.sweepNow();
  const final = ((await s.client.send(new ScanCommand({ TableName: 'ttl-load', ConsistentRead: true }))).Items ?? []).map((i) => i.id.S!).sort();
  assert.deepEqual(final, [...latest].filter(([, exp]) => exp > nowSeconds()).map(([id]) => id).sort());
  await replicasAgree(s.endpoint, 'ttl-load');
});

test('the Time to Live setting survives a restart (it is kept in the catalog)', async () => {
  const s = await server();
  await createTable(s, 'ttl-kept');
  await enable(s, 'ttl-kept', 'until');
  await s.server.close();
  const config = loadDefaults();
  config.server.port = 0;
  config.storage.dataDir = s.dataDir;
  config.log.level = 'warn';
  config.auth.enabled = false;
  manual()(config);
  let second: RunningServer | null = null;
  try {
    second = await startServer(config);
    const c = clientFor(second.endpoint);
    assert.deepEqual((await c.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-kept' }))).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'until' });
    c.destroy();
  } finally {
    await second?.close();
  }
});

test('a sweep pages through partitions (a table with a sort key, pages of 100 items): every expired item goes, every other stays', async () => {
  const s = await server((c) => {
    manual()(c);
    c.ttl.scanItemsPerSecondMax = 100;
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'ttl-pages',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'p', AttributeType: 'S' },
        { AttributeName: 's', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'p', KeyType: 'HASH' },
        { AttributeName: 's', KeyType: 'RANGE' },
      ],
    }),
  );
  await enable(s, 'ttl-pages', 'exp');
  const now = nowSeconds();
  const kept = new Set<string>();
  for (let i = 0; i < 250; i++) {
    const expired = i % 2 === 0;
    await s.client.send(new PutItemCommand({ TableName: 'ttl-pages', Item: { p: S(`p${i % 7}`), s: N(i), exp: N(expired ? now - 60 : now + 3600) } }));
    if (!expired) kept.add(`p${i % 7}/${i}`);
  }
  const counts = await s.server.ttl.sweepNow();
  assert.equal(counts.deleted, 125);
  assert.equal(counts.scanned, 250);
  const left = ((await s.client.send(new ScanCommand({ TableName: 'ttl-pages', ConsistentRead: true }))).Items ?? []).map((i) => `${i.p.S}/${i.s.N}`);
  assert.deepEqual(new Set(left), kept);
});
