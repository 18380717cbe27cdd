// Tags through the AWS SDK: TagResource, UntagResource, ListTagsOfResource (paged) and CreateTable's
// Tags, with DynamoDB's limits and messages, kept in the catalog across a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type DynamoDBClient,
  type Tag,
} from '@aws-sdk/client-dynamodb';
import { clientFor, devCredentials, restartOnSameDataDir, startTestServer, type TestServer } from '../helpers/server.ts';
import type { RunningServer } from '../../src/server/main.ts';
import { expectDynamoError } from '../helpers/errors.ts';

/** Small pages, so that paging is exercised with a few tags (the default holds all 50). */
const tagsPageSize = 3;

let s: TestServer;
let arn: string;
before(async () => {
  s = await startTestServer((c) => {
    c.tables.tagsPageSize = tagsPageSize;
  });
  const created = await s.client.send(
    new CreateTableCommand({
      TableName: 'Tagged',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      Tags: [
        { Key: 'team', Value: 'storage' },
        { Key: 'env', Value: '' },
      ],
    }),
  );
  arn = created.TableDescription!.TableArn!;
});
after(async () => {
  await s.stop();
});


/** Every tag of `resource`, following NextToken; and how many pages that took. */
async function allTags(client: DynamoDBClient, resource: string): Promise<{ tags: Tag[]; pages: number }> {
  const tags: Tag[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListTagsOfResourceCommand({ ResourceArn: resource, NextToken: token }));
    tags.push(...(page.Tags ?? []));
    pages++;
    token = page.NextToken;
  } while (token !== undefined);
  return { tags, pages };
}

test("CreateTable's Tags are the table's tags, on the ARN DescribeTable reports", async () => {
  const described = await s.client.send(new DescribeTableCommand({ TableName: 'Tagged' }));
  assert.equal(described.Table?.TableArn, arn);
  const listed = await s.client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  assert.deepEqual(listed.Tags, [
    { Key: 'env', Value: '' },
    { Key: 'team', Value: 'storage' },
  ]);
  assert.equal(listed.NextToken, undefined);
});

test('TagResource adds and overwrites, UntagResource removes (absent keys are no error), and pages follow NextToken', async () => {
  await s.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'api' }, { Key: 'cost-centre', Value: '42' }, { Key: 'owner', Value: 'ada@example.com' }] }));
  const { tags, pages } = await allTags(s.client, arn);
  assert.deepEqual(tags, [
    { Key: 'cost-centre', Value: '42' },
    { Key: 'env', Value: '' },
    { Key: 'owner', Value: 'ada@example.com' },
    { Key: 'team', Value: 'api' },
  ]);
  assert.equal(pages, 2);
  await s.client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['env', 'never-there'] }));
  assert.deepEqual(
    (await allTags(s.client, arn)).tags.map((t) => t.Key),
    ['cost-centre', 'owner', 'team'],
  );
});

test('50 tags at most: a request that would pass it changes nothing', async () => {
  const tags = Array.from({ length: 47 }, (_, i) => ({ Key: `k${String(i).padStart(2, '0')}`, Value: `${i}` }));
  await s.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }));
  const { tags: fifty, pages } = await allTags(s.client, arn);
  assert.equal(fifty.length, 50);
  assert.equal(pages, Math.ceil(50 / tagsPageSize));
  await expectDynamoError(s.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'one-more', Value: '' }] })), 'ValidationException', 'Number of Tags exceed the current limit for the provided ResourceArn');
  // Replacing a value is no new tag.
  await s.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k00', Value: 'zero' }] }));
  await s.client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: tags.map((t) => t.Key) }));
  assert.equal((await allTags(s.client, arn)).tags.length, 3);
});

test("bad tags are refused with DynamoDB's messages, and none of the request's tags is applied", async () => {
  const cases: Array<[Tag[], string]> = [
    [[], 'Atleast one Tag needs to be provided as Input.'],
    [[{ Key: 'fine', Value: 'x' }, { Key: 'k'.repeat(129), Value: 'x' }], `The Tag Key provided is invalid, Key: ${'k'.repeat(129)}`],
    [[{ Key: 'fine', Value: 'x' }, { Key: 'aws:zzz', Value: 'x' }], 'Tag Key cannot be prefixed with aws:, Key: aws:zzz'],
    [[{ Key: 'fine', Value: 'a&b' }], 'The Tag Value provided is invalid, Value: a&b'],
    [[{ Key: 'fine', Value: 'v'.repeat(257) }], `The Tag Value provided is invalid, Value: ${'v'.repeat(257)}`],
    [[{ Key: 'dup', Value: '1' }, { Key: 'dup', Value: '2' }], 'Duplicate Tag Keys provided as input: Duplicate Tag Key found dup'],
  ];
  for (const [tags, message] of cases) await expectDynamoError(s.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags })), 'ValidationException', message);
  assert.ok(!(await allTags(s.client, arn)).tags.some((t) => t.Key === 'fine' || t.Key === 'dup'));
  await expectDynamoError(s.client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: [] })), 'ValidationException', 'Atleast one Tag Key needs to be provided as Input.');
});

test('an ARN of no table is ResourceNotFoundException; a malformed one or an index ARN ValidationException', async () => {
  const missing = arn.replace('table/Tagged', 'table/Missing');
  await expectDynamoError(s.client.send(new ListTagsOfResourceCommand({ ResourceArn: missing })), 'ResourceNotFoundException', `Requested resource not found: ResourcArn: ${missing} not found`);
  await expectDynamoError(s.client.send(new TagResourceCommand({ ResourceArn: missing, Tags: [{ Key: 'a', Value: 'b' }] })), 'ResourceNotFoundException', `Requested resource not found: ResourcArn: ${missing} not found`);
  // Another region's ARN names no table here.
  const elsewhere = arn.replace('us-east-1', 'eu-west-1');
  await expectDynamoError(s.client.send(new UntagResourceCommand({ ResourceArn: elsewhere, TagKeys: ['a'] })), 'ResourceNotFoundException', `Requested resource not found: ResourcArn: ${elsewhere} not found`);
  await expectDynamoError(s.client.send(new ListTagsOfResourceCommand({ ResourceArn: 'Tagged' })), 'ValidationException', "One or more parameter values were invalid: ARNs must start with 'arn:': Tagged");
  await expectDynamoError(
    s.client.send(new ListTagsOfResourceCommand({ ResourceArn: `${arn}/index/ByOwner` })),
    'ValidationException',
    `One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: ${arn}/index/ByOwner`,
  );
  await expectDynamoError(s.client.send(new ListTagsOfResourceCommand({ ResourceArn: arn, NextToken: '!!' })), 'ValidationException', 'Invalid NextToken: !!');
});

test('CreateTable with bad Tags is refused and creates no table', async () => {
  const create = (tags: Tag[]) =>
    s.client.send(
      new CreateTableCommand({
        TableName: 'NeverMade',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        Tags: tags,
      }),
    );
  await expectDynamoError(create(Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: '' }))), 'ValidationException', 'Number of Tags exceed the current limit for the provided ResourceArn');
  await expectDynamoError(create([{ Key: 'aws:cloudformation:stack-name', Value: 'x' }]), 'ValidationException', 'Tag Key cannot be prefixed with aws:, Key: aws:cloudformation:stack-name');
  await expectDynamoError(s.client.send(new DescribeTableCommand({ TableName: 'NeverMade' })), 'ResourceNotFoundException', 'Requested resource not found: Table: NeverMade not found');
});

test('with authentication on, CreateTable with Tags also needs dynamodb:TagResource on the table', async () => {
  const creator = { accessKeyId: 'AKIACREATOR', secretAccessKey: 'creator-secret' };
  const secured = await startTestServer((c) => {
    c.auth.enabled = true;
    c.auth.credentials = [{ ...devCredentials }, { ...creator, user: 'creator', policy: [{ Effect: 'Allow', Action: ['dynamodb:CreateTable', 'dynamodb:ListTagsOfResource'], Resource: '*' }] }];
  });
  const client = clientFor(secured.endpoint, 1, creator);
  try {
    const definition = {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
      BillingMode: 'PAY_PER_REQUEST' as const,
    };
    await assert.rejects(client.send(new CreateTableCommand({ TableName: 'WithTags', Tags: [{ Key: 'a', Value: 'b' }], ...definition })), (err: Error) => {
      assert.equal(err.name, 'AccessDeniedException');
      assert.match(err.message, /is not authorized to perform: dynamodb:TagResource on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/WithTags/);
      return true;
    });
    const created = await client.send(new CreateTableCommand({ TableName: 'WithoutTags', ...definition }));
    assert.deepEqual((await client.send(new ListTagsOfResourceCommand({ ResourceArn: created.TableDescription!.TableArn }))).Tags, []);
    await assert.rejects(client.send(new TagResourceCommand({ ResourceArn: created.TableDescription!.TableArn, Tags: [{ Key: 'a', Value: 'b' }] })), { name: 'AccessDeniedException' });
  } finally {
    client.destroy();
    await secured.stop();
  }
});

// Last: it restarts the server on the same data directory.
test("tags survive a restart (they are kept with the table's catalog record)", async () => {
  const before = (await allTags(s.client, arn)).tags;
  assert.ok(before.length > 0);
  let second: RunningServer | null = null;
  try {
    second = await restartOnSameDataDir(s);
    const client = clientFor(second.endpoint);
    assert.deepEqual((await allTags(client, arn)).tags, before);
    client.destroy();
  } finally {
    await second?.close();
  }
});
