// Contributor Insights through the AWS SDK: UpdateContributorInsights, DescribeContributorInsights
// and ListContributorInsights with DynamoDB's shapes and errors, and the counted keys themselves
// on GET /_monodyne/contributors (signed, with its own policy action), kept across a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeContributorInsightsCommand,
  GetItemCommand,
  ListContributorInsightsCommand,
  PutItemCommand,
  QueryCommand,
  UpdateContributorInsightsCommand,
  UpdateItemCommand,
  DeleteItemCommand,
} from '@aws-sdk/client-dynamodb';
import { clientFor, devCredentials, sdkSigner, signedFetch, startTestServer, type TestServer } from '../helpers/server.ts';
import { startServer, type RunningServer } from '../../src/server/main.ts';
import { loadDefaults } from '../../src/server/config.ts';

const watcher = { accessKeyId: 'AKIAWATCHER', secretAccessKey: 'watcher-secret' };

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.auth.enabled = true;
    c.auth.credentials = [{ ...devCredentials }, { ...watcher, user: 'watcher', policy: [{ Effect: 'Allow', Action: 'monodyne:GetPartitions' }] }];
    c.capacity.burstSeconds = 0;
  });
  await s.client.send(
    new CreateTableCommand({
      TableName: 'Events',
      KeySchema: [{ AttributeName: 'device', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'device', AttributeType: 'S' }, { AttributeName: 'at', AttributeType: 'N' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(
    new CreateTableCommand({
      TableName: 'Tiny',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    }),
  );
});
after(async () => {
  await s.stop();
});

async function adminGet(path: string, credentials: { accessKeyId: string; secretAccessKey: string } = devCredentials): Promise<Response> {
  const url = new URL(path, s.endpoint);
  const signed = await sdkSigner(credentials).sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
  return fetch(url, { headers: signed.headers as Record<string, string> });
}

interface Report {
  halfLifeSeconds: number;
  tables: { tableName: string; indexName: null; partitionKey: { name: string; type: string }; contributorInsightsStatus: string; contributorInsightsMode: string | null; accessed: { key: string; count: number }[] | null; throttled: { key: string; count: number }[] | null }[];
}

async function report(): Promise<Report> {
  const res = await adminGet('/_monodyne/contributors');
  assert.equal(res.status, 200);
  return (await res.json()) as Report;
}

test('a new table has Contributor Insights DISABLED; ENABLE answers ENABLING, then DESCRIBE says ENABLED with the rule names', async () => {
  const before = await s.client.send(new DescribeContributorInsightsCommand({ TableName: 'Events' }));
  assert.equal(before.TableName, 'Events');
  assert.equal(before.ContributorInsightsStatus, 'DISABLED');
  assert.equal(before.ContributorInsightsRuleList, undefined);
  const t0 = Date.now();
  const enabled = await s.client.send(new UpdateContributorInsightsCommand({ TableName: 'Events', ContributorInsightsAction: 'ENABLE' }));
  assert.equal(enabled.TableName, 'Events');
  assert.equal(enabled.ContributorInsightsStatus, 'ENABLING');
  assert.equal(enabled.ContributorInsightsMode, 'ACCESSED_AND_THROTTLED_KEYS');
  const after = await s.client.send(new DescribeContributorInsightsCommand({ TableName: 'Events' }));
  assert.equal(after.ContributorInsightsStatus, 'ENABLED');
  assert.equal(after.ContributorInsightsMode, 'ACCESSED_AND_THROTTLED_KEYS');
  assert.ok(after.LastUpdateDateTime instanceof Date && after.LastUpdateDateTime.getTime() >= t0 - 1000);
  const rules = after.ContributorInsightsRuleList!;
  assert.deepEqual(rules.map((r) => r.replace(/-\d+$/, '')), ['PKC', 'SKC', 'PKT', 'SKT'].map((k) => `DynamoDBContributorInsights-${k}-Events`));
  assert.equal(new Set(rules.map((r) => r.slice(r.lastIndexOf('-') + 1))).size, 1, 'one creation timestamp');

  // A table without a sort key has only the partition key rules; THROTTLED_KEYS mode only the throttle rules.
  await s.client.send(new UpdateContributorInsightsCommand({ TableName: 'Tiny', ContributorInsightsAction: 'ENABLE', ContributorInsightsMode: 'THROTTLED_KEYS' }));
  const tiny = await s.client.send(new DescribeContributorInsightsCommand({ TableName: 'Tiny' }));
  assert.deepEqual(tiny.ContributorInsightsRuleList!.map((r) => r.replace(/-\d+$/, '')), ['DynamoDBContributorInsights-PKT-Tiny']);
  assert.equal(tiny.ContributorInsightsMode, 'THROTTLED_KEYS');
});

test('ListContributorInsights lists every table (or one), paged by MaxResults and NextToken', async () => {
  const all = await s.client.send(new ListContributorInsightsCommand({}));
  assert.deepEqual(all.ContributorInsightsSummaries, [
    { TableName: 'Events', ContributorInsightsStatus: 'ENABLED', ContributorInsightsMode: 'ACCESSED_AND_THROTTLED_KEYS' },
    { TableName: 'Tiny', ContributorInsightsStatus: 'ENABLED', ContributorInsightsMode: 'THROTTLED_KEYS' },
  ]);
  assert.equal(all.NextToken, undefined);
  const first = await s.client.send(new ListContributorInsightsCommand({ MaxResults: 1 }));
  assert.deepEqual(first.ContributorInsightsSummaries!.map((x) => x.TableName), ['Events']);
  assert.ok(first.NextToken);
  const second = await s.client.send(new ListContributorInsightsCommand({ MaxResults: 1, NextToken: first.NextToken }));
  assert.deepEqual(second.ContributorInsightsSummaries!.map((x) => x.TableName), ['Tiny']);
  assert.equal(second.NextToken, undefined);
  const one = await s.client.send(new ListContributorInsightsCommand({ TableName: 'Tiny' }));
  assert.deepEqual(one.ContributorInsightsSummaries!.map((x) => x.TableName), ['Tiny']);
});

test("DynamoDB's validation errors and ResourceNotFoundException", async () => {
  const raw = async (target: string, body: unknown) => {
    const res = await signedFetch(s.endpoint, `DynamoDB_20120810.${target}`, JSON.stringify(body));
    return { status: res.status, body: (await res.json()) as { __type: string; message?: string; Message?: string } };
  };
  const missingAction = await raw('UpdateContributorInsights', { TableName: 'Events' });
  assert.equal(missingAction.status, 400);
  assert.equal(missingAction.body.__type, 'com.amazon.coral.validate#ValidationException');
  assert.equal(missingAction.body.message, "1 validation error detected: Value null at 'contributorInsightsAction' failed to satisfy constraint: Member must not be null");
  const badAction = await raw('UpdateContributorInsights', { TableName: 'Events', ContributorInsightsAction: 'START' });
  assert.equal(badAction.body.message, "1 validation error detected: Value 'START' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]");
  const badMode = await raw('UpdateContributorInsights', { TableName: 'Events', ContributorInsightsAction: 'ENABLE', ContributorInsightsMode: 'ALL' });
  assert.match(badMode.body.message!, /Member must satisfy enum value set: \[ACCESSED_AND_THROTTLED_KEYS, THROTTLED_KEYS\]/);
  const badName = await raw('DescribeContributorInsights', { TableName: 'x!' });
  assert.match(badName.body.message!, /^2 validation errors detected: Value 'x!' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; /);
  const wrongType = await raw('ListContributorInsights', { MaxResults: 'ten' });
  assert.equal(wrongType.body.__type, 'com.amazon.coral.service#SerializationException');
  const badToken = await raw('ListContributorInsights', { NextToken: '!!' });
  assert.equal(badToken.status, 400);
  assert.equal(badToken.body.__type, 'com.amazon.coral.validate#ValidationException');
  const tooMany = await raw('ListContributorInsights', { MaxResults: 101 });
  assert.equal(tooMany.body.message, "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
  await assert.rejects(s.client.send(new DescribeContributorInsightsCommand({ TableName: 'Nope' })), { name: 'ResourceNotFoundException', message: 'Requested resource not found: Table: Nope not found' });
  await assert.rejects(s.client.send(new UpdateContributorInsightsCommand({ TableName: 'Nope', ContributorInsightsAction: 'ENABLE' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(s.client.send(new ListContributorInsightsCommand({ TableName: 'Nope' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(s.client.send(new DescribeContributorInsightsCommand({ TableName: 'Events', IndexName: 'byDay' })), { name: 'ResourceNotFoundException', message: 'Requested resource not found: Index: byDay not found' });
});

test('the most accessed partition keys: item operations, Query and BatchWriteItem are counted', async () => {
  const c = s.client;
  for (let i = 0; i < 6; i++) await c.send(new PutItemCommand({ TableName: 'Events', Item: { device: { S: 'thermostat' }, at: { N: String(i) } } }));
  for (let i = 0; i < 3; i++) await c.send(new GetItemCommand({ TableName: 'Events', Key: { device: { S: 'doorbell' }, at: { N: String(i) } } }));
  await c.send(new UpdateItemCommand({ TableName: 'Events', Key: { device: { S: 'doorbell' }, at: { N: '9' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { N: '1' } } }));
  await c.send(new DeleteItemCommand({ TableName: 'Events', Key: { device: { S: 'lamp' }, at: { N: '1' } } }));
  await c.send(new QueryCommand({ TableName: 'Events', KeyConditionExpression: 'device = :d', ExpressionAttributeValues: { ':d': { S: 'thermostat' } } }));
  await c.send(new BatchWriteItemCommand({ RequestItems: { Events: [1, 2].map((i) => ({ PutRequest: { Item: { device: { S: 'lamp' }, at: { N: String(i) } } } })) } }));
  const events = (await report()).tables.find((t) => t.tableName === 'Events')!;
  assert.equal(events.contributorInsightsStatus, 'ENABLED');
  assert.deepEqual(events.partitionKey, { name: 'device', type: 'S' });
  assert.deepEqual(
    events.accessed!.map((e) => [e.key, Math.round(e.count)]),
    [['thermostat', 7], ['doorbell', 4], ['lamp', 3]],
  );
  assert.deepEqual(events.throttled, []);
});

test('the most throttled partition keys: a provisioned table over its rate', async () => {
  const raw = clientFor(s.endpoint, 1);
  try {
    const throttledByKey = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const id = i % 3 === 0 ? '7' : String(100 + i);
        return raw.send(new PutItemCommand({ TableName: 'Tiny', Item: { id: { N: id } } })).catch((err: Error) => {
          assert.equal(err.name, 'ProvisionedThroughputExceededException');
          throttledByKey.set(id, (throttledByKey.get(id) ?? 0) + 1);
        });
      }),
    );
    assert.ok((throttledByKey.get('7') ?? 0) > 1, 'the hot key was throttled more than once');
    const tiny = (await report()).tables.find((t) => t.tableName === 'Tiny')!;
    assert.equal(tiny.contributorInsightsMode, 'THROTTLED_KEYS');
    assert.equal(tiny.accessed, null, 'THROTTLED_KEYS mode counts no accesses');
    assert.equal(tiny.throttled![0].key, '7', 'the key sent most is the most throttled');
    assert.ok(tiny.throttled!.length <= 10, 'ten keys at most are reported');
    // Exact counts (fewer keys than the sketch holds), decayed by a few milliseconds at most.
    for (const e of tiny.throttled!) assert.equal(Math.round(e.count), throttledByKey.get(e.key), `key ${e.key}`);
  } finally {
    raw.destroy();
  }
});

test('GET /_monodyne/contributors needs monodyne:GetContributors', async () => {
  const unsigned = await fetch(`${s.endpoint}/_monodyne/contributors`);
  assert.equal(unsigned.status, 400);
  const denied = await adminGet('/_monodyne/contributors', watcher);
  assert.equal(denied.status, 400);
  assert.match(((await denied.json()) as { Message: string }).Message, /not authorized to perform: monodyne:GetContributors on resource: arn:aws:monodyne:us-east-1:000000000000:admin\/contributors/);
});

test('DISABLE stops counting and drops the counts; a deleted table leaves the report', async () => {
  const disabled = await s.client.send(new UpdateContributorInsightsCommand({ TableName: 'Tiny', ContributorInsightsAction: 'DISABLE' }));
  assert.equal(disabled.ContributorInsightsStatus, 'DISABLING');
  const described = await s.client.send(new DescribeContributorInsightsCommand({ TableName: 'Tiny' }));
  assert.equal(described.ContributorInsightsStatus, 'DISABLED');
  assert.equal(described.ContributorInsightsRuleList, undefined);
  assert.ok(described.LastUpdateDateTime instanceof Date);
  const tiny = (await report()).tables.find((t) => t.tableName === 'Tiny')!;
  assert.equal(tiny.contributorInsightsStatus, 'DISABLED');
  assert.equal(tiny.throttled, null);
  await s.client.send(new DeleteTableCommand({ TableName: 'Tiny' }));
  assert.deepEqual((await report()).tables.map((t) => t.tableName), ['Events']);
});

test('the setting survives a restart (it is kept in the catalog); the counts start afresh', async () => {
  const config = loadDefaults();
  config.server.port = 0;
  config.storage.dataDir = s.dataDir;
  config.log.level = 'warn';
  config.auth.enabled = false;
  await s.server.close();
  let second: RunningServer | null = null;
  try {
    second = await startServer(config);
    const c = clientFor(second.endpoint);
    const described = await c.send(new DescribeContributorInsightsCommand({ TableName: 'Events' }));
    assert.equal(described.ContributorInsightsStatus, 'ENABLED');
    await c.send(new GetItemCommand({ TableName: 'Events', Key: { device: { S: 'fresh' }, at: { N: '1' } } }));
    const view = (await (await fetch(`${second.endpoint}/_monodyne/contributors`)).json()) as Report;
    assert.deepEqual(view.tables[0].accessed!.map((e) => e.key), ['fresh']);
    c.destroy();
  } finally {
    await second?.close();
  }
});
