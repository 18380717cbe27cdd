// Secondary index definitions through the AWS SDK against a real server: every CreateTable and
// UpdateTable validation error of GSIs and LSIs with DynamoDB's error type and message, and the
// index descriptions DescribeTable answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type UpdateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.tables.initialPartitions = 1; // one table here has 20 GSIs, each a table of its own
    c.capacity.throttling = false; // on-demand tables then start with initialPartitions too (else 4 each: 84 partitions)
  });
});
after(async () => {
  await s.stop();
});

const invalid = 'One or more parameter values were invalid: ';

async function expectError(promise: Promise<unknown>, name: string, message: string | RegExp, label: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, `${label}: expected ${name}, got ${err.name}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message, label);
    else assert.match(err.message, message, label);
    return true;
  });
}

const hash = (name: string): KeySchemaElement => ({ AttributeName: name, KeyType: 'HASH' });
const range = (name: string): KeySchemaElement => ({ AttributeName: name, KeyType: 'RANGE' });
const defs = (...names: string[]): AttributeDefinition[] => names.map((n) => ({ AttributeName: n, AttributeType: 'S' }));
const all = { ProjectionType: 'ALL' as const };
const pt = { ReadCapacityUnits: 1, WriteCapacityUnits: 1 };
const lsi = (name: string, keySchema: KeySchemaElement[], projection: LocalSecondaryIndex['Projection'] = all): LocalSecondaryIndex => ({ IndexName: name, KeySchema: keySchema, Projection: projection });
const gsi = (name: string, keySchema: KeySchemaElement[], extra: Partial<GlobalSecondaryIndex> = {}): GlobalSecondaryIndex => ({ IndexName: name, KeySchema: keySchema, Projection: all, ...extra });
const many = <T>(count: number, make: (i: number) => T): T[] => Array.from({ length: count }, (_, i) => make(i));
const names = (prefix: string, count: number) => many(count, (i) => `${prefix}${i}`);

/** An on-demand table keyed a (HASH) + b (RANGE), both defined, with what a case changes. */
function createInput(change: Partial<CreateTableCommandInput>): CreateTableCommandInput {
  return {
    TableName: 'bad',
    KeySchema: [hash('a'), range('b')],
    AttributeDefinitions: defs('a', 'b'),
    BillingMode: 'PAY_PER_REQUEST',
    ...change,
  };
}

const createCases: Array<[string, Partial<CreateTableCommandInput>, string | RegExp]> = [
  [
    'an index name too short',
    { LocalSecondaryIndexes: [lsi('ab', [hash('a'), range('b')])] },
    "1 validation error detected: Value 'ab' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3",
  ],
  [
    'an index name with a bad character',
    { GlobalSecondaryIndexes: [gsi('ab;c', [hash('b')])] },
    "1 validation error detected: Value 'ab;c' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
  ],
  [
    'an LSI key of three elements',
    { LocalSecondaryIndexes: [lsi('abc', [hash('a'), range('b'), range('a')])] },
    /^1 validation error detected: Value '\[.*\]' at 'localSecondaryIndexes\.1\.member\.keySchema' failed to satisfy constraint: Member must have length less than or equal to 2$/,
  ],
  [
    'a GSI without a key',
    { GlobalSecondaryIndexes: [gsi('abc', [])] },
    "1 validation error detected: Value '[]' at 'globalSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1",
  ],
  [
    'a bad ProjectionType and an empty NonKeyAttributes',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'abc' as never, NonKeyAttributes: [] } })] },
    "2 validation errors detected: Value 'abc' at 'globalSecondaryIndexes.1.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]; " +
      "Value '[]' at 'globalSecondaryIndexes.1.member.projection.nonKeyAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1",
  ],
  [
    '21 NonKeyAttributes in one index',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: names('x', 21) } })] },
    `1 validation error detected: Value '[${names('x', 21).join(', ')}]' at 'globalSecondaryIndexes.1.member.projection.nonKeyAttributes' failed to satisfy constraint: Member must have length less than or equal to 20`,
  ],
  [
    'GSI capacity of 0',
    { BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 1 } })] },
    "1 validation error detected: Value '0' at 'globalSecondaryIndexes.1.member.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
  ],
  ['empty LocalSecondaryIndexes', { LocalSecondaryIndexes: [] }, `${invalid}List of LocalSecondaryIndexes is empty`],
  ['empty GlobalSecondaryIndexes', { GlobalSecondaryIndexes: [] }, `${invalid}List of GlobalSecondaryIndexes is empty`],
  [
    'an LSI on a table without a sort key',
    { KeySchema: [hash('a')], LocalSecondaryIndexes: [lsi('abc', [hash('a'), range('b')])] },
    `${invalid}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex`,
  ],
  [
    'LSI key attributes without definitions',
    { LocalSecondaryIndexes: [lsi('abc', [hash('a'), range('c')])] },
    `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [a, c], AttributeDefinitions: [a, b]`,
  ],
  [
    'a GSI key attribute without a definition',
    { KeySchema: [hash('a')], GlobalSecondaryIndexes: [gsi('abc', [range('c')])] },
    `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [c], AttributeDefinitions: [a, b]`,
  ],
  [
    'a definition no key uses, with indexes',
    { KeySchema: [hash('pk'), range('sk')], AttributeDefinitions: defs('sk', 'a', 'b', 'pk', 'c'), GlobalSecondaryIndexes: [gsi('g-a', [hash('a')])] },
    `${invalid}Some AttributeDefinitions are not used. AttributeDefinitions: [sk, a, b, pk, c], keys used: [a, sk, pk]`,
  ],
  [
    'a definition no key uses, without indexes',
    { KeySchema: [hash('a')] },
    `${invalid}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions`,
  ],
  ['LSI keys with one name', { LocalSecondaryIndexes: [lsi('abc', [hash('a'), hash('a')])] }, 'Both the Hash Key and the Range Key element in the KeySchema have the same name'],
  ['LSI first key not HASH', { LocalSecondaryIndexes: [lsi('abc', [range('a')])] }, 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type'],
  ['LSI second key not RANGE', { LocalSecondaryIndexes: [lsi('abc', [hash('a'), hash('b')])] }, 'Invalid KeySchema: The second KeySchemaElement is not a RANGE key type'],
  ['LSI without a sort key', { LocalSecondaryIndexes: [lsi('abc', [hash('b')])] }, `${invalid}Index KeySchema does not have a range key for index: abc`],
  [
    "LSI partition key not the table's",
    { LocalSecondaryIndexes: [lsi('abc', [hash('b'), range('a')])] },
    `${invalid}Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: b, table hash key: a`,
  ],
  ['a Projection without ProjectionType', { LocalSecondaryIndexes: [lsi('abc', [hash('a'), range('b')], {})] }, `${invalid}Unknown ProjectionType: null`],
  [
    'NonKeyAttributes with ALL',
    { LocalSecondaryIndexes: [lsi('abc', [hash('a'), range('b')], { ProjectionType: 'ALL', NonKeyAttributes: ['x'] })] },
    `${invalid}ProjectionType is ALL, but NonKeyAttributes is specified`,
  ],
  [
    'NonKeyAttributes with KEYS_ONLY',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'KEYS_ONLY', NonKeyAttributes: ['x'] } })] },
    `${invalid}ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified`,
  ],
  [
    'INCLUDE without NonKeyAttributes',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'INCLUDE' } })] },
    `${invalid}ProjectionType is INCLUDE, but NonKeyAttributes is not specified`,
  ],
  [
    'an attribute projected twice by one index',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x', 'x'] } })] },
    `${invalid}Duplicate element in NonKeyAttributes: x`,
  ],
  [
    'an LSI and a GSI with one name',
    { LocalSecondaryIndexes: [lsi('abc', [hash('a'), range('b')])], GlobalSecondaryIndexes: [gsi('abc', [hash('b')])] },
    `${invalid}Duplicate index name: abc`,
  ],
  ['two GSIs with one name', { GlobalSecondaryIndexes: [gsi('abc', [hash('b')]), gsi('abc', [hash('a')])] }, `${invalid}Duplicate index name: abc`],
  [
    'six LSIs',
    { LocalSecondaryIndexes: many(6, (i) => lsi(`lsi${i}`, [hash('a'), range('b')])) },
    `${invalid}Number of LocalSecondaryIndexes exceeds per-table limit of 5`,
  ],
  ['a GSI key naming an attribute twice', { GlobalSecondaryIndexes: [gsi('abc', [hash('a'), range('b'), range('a')])] }, 'The KeySchema contains multiple key attributes with the same name'],
  ['GSI first key not HASH', { GlobalSecondaryIndexes: [gsi('abc', [range('b'), hash('a')])] }, 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type'],
  [
    'a GSI HASH key after a RANGE key',
    { AttributeDefinitions: defs('a', 'b', 'c'), GlobalSecondaryIndexes: [gsi('abc', [hash('a'), range('b'), hash('c')])] },
    `${invalid}All HASH key attributes must precede RANGE key attributes in the KeySchema`,
  ],
  [
    'five HASH keys on a GSI',
    { AttributeDefinitions: defs('a', 'b', ...names('h', 5)), GlobalSecondaryIndexes: [gsi('abc', names('h', 5).map(hash))] },
    `${invalid}The KeySchema exceeds the maximum allowed number of HASH key attributes`,
  ],
  [
    'five RANGE keys on a GSI',
    { AttributeDefinitions: defs('a', 'b', ...names('r', 5)), GlobalSecondaryIndexes: [gsi('abc', [hash('a'), ...names('r', 5).map(range)])] },
    `${invalid}The KeySchema exceeds the maximum allowed number of RANGE key attributes`,
  ],
  [
    'GSI ProvisionedThroughput on an on-demand table',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')]), gsi('abd', [hash('b')], { ProvisionedThroughput: pt })] },
    `${invalid}ProvisionedThroughput should not be specified for index: abd when BillingMode is PAY_PER_REQUEST`,
  ],
  [
    'a GSI without ProvisionedThroughput on a provisioned table',
    { BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, GlobalSecondaryIndexes: [gsi('abc', [hash('b')])] },
    `${invalid}ProvisionedThroughput is not specified for index: abc`,
  ],
  [
    'GSI OnDemandThroughput on a provisioned table',
    { BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { ProvisionedThroughput: pt, OnDemandThroughput: { MaxReadRequestUnits: 10 } })] },
    `${invalid}MaxReadRequestUnits for OnDemandThroughput for index : abc cannot be specified when table BillingMode is PROVISIONED.`,
  ],
  [
    'GSI OnDemandThroughput of 0',
    { GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { OnDemandThroughput: { MaxReadRequestUnits: 0 } })] },
    `${invalid}Requested MaxReadRequestUnits for OnDemandThroughput for index : abc is outside of valid range`,
  ],
  [
    '21 GSIs',
    { GlobalSecondaryIndexes: many(21, (i) => gsi(`gsi${i}`, [hash('b')])) },
    `${invalid}GlobalSecondaryIndex count exceeds the per-table limit of 20`,
  ],
  [
    'more than 100 projected attributes across the indexes',
    {
      LocalSecondaryIndexes: many(5, (i) => lsi(`lsi${i}`, [hash('a'), range('b')], { ProjectionType: 'INCLUDE', NonKeyAttributes: names('x', 20) })),
      GlobalSecondaryIndexes: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x0'] } })],
    },
    `${invalid}Number of projected attributes in all indexes exceeds limit of 100`,
  ],
  [
    'table OnDemandThroughput on a provisioned table',
    { KeySchema: [hash('a')], AttributeDefinitions: defs('a'), BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, OnDemandThroughput: { MaxWriteRequestUnits: 5 } },
    `${invalid}MaxWriteRequestUnits for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED.`,
  ],
  [
    'table OnDemandThroughput of -1 at creation',
    { KeySchema: [hash('a')], AttributeDefinitions: defs('a'), OnDemandThroughput: { MaxReadRequestUnits: -1 } },
    `${invalid}Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range`,
  ],
];

test('CreateTable refuses invalid secondary indexes with DynamoDB\'s messages', async () => {
  for (const [label, change, message] of createCases) {
    await expectError(s.client.send(new CreateTableCommand(createInput(change))), 'ValidationException', message, label);
  }
  await expectError(s.client.send(new DescribeTableCommand({ TableName: 'bad' })), 'ResourceNotFoundException', 'Requested resource not found: Table: bad not found', 'nothing was created');
});

const songs: CreateTableCommandInput = {
  TableName: 'Songs',
  KeySchema: [hash('pk'), range('sk')],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'artist', AttributeType: 'S' },
    { AttributeName: 'album', AttributeType: 'S' },
    { AttributeName: 'year', AttributeType: 'N' },
    { AttributeName: 'genre', AttributeType: 'S' },
    { AttributeName: 'released', AttributeType: 'N' },
  ],
  BillingMode: 'PROVISIONED',
  ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
  GlobalSecondaryIndexes: [
    {
      IndexName: 'by-artist-album',
      KeySchema: [hash('artist'), hash('album'), range('year'), range('sk')],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title', 'duration'] },
      ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
    },
    { IndexName: 'by-genre', KeySchema: [hash('genre')], Projection: { ProjectionType: 'KEYS_ONLY' }, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 2 } },
  ],
  LocalSecondaryIndexes: [
    { IndexName: 'by-year', KeySchema: [hash('pk'), range('year')], Projection: all },
    { IndexName: 'by-released', KeySchema: [hash('pk'), range('released')], Projection: { ProjectionType: 'KEYS_ONLY' } },
  ],
};

const plays: CreateTableCommandInput = {
  TableName: 'Plays',
  KeySchema: [hash('pk')],
  AttributeDefinitions: defs('pk', 'listener'),
  BillingMode: 'PAY_PER_REQUEST',
  OnDemandThroughput: { MaxWriteRequestUnits: 100 },
  GlobalSecondaryIndexes: [gsi('by-listener', [hash('listener')], { OnDemandThroughput: { MaxReadRequestUnits: 50 } })],
};

let tablesCreated: Promise<void> | undefined;
/** Songs (provisioned: 2 GSIs, one multi-attribute, and 2 LSIs) and Plays (on demand, 1 GSI). */
function createIndexedTables(): Promise<void> {
  tablesCreated ??= (async () => {
    await s.client.send(new CreateTableCommand(songs));
    await s.client.send(new CreateTableCommand(plays));
  })();
  return tablesCreated;
}

test('DescribeTable describes GSIs and LSIs as DynamoDB does', async () => {
  await createIndexedTables();
  const table = (await s.client.send(new DescribeTableCommand({ TableName: 'Songs' }))).Table!;
  const arn = table.TableArn!;
  assert.deepEqual(table.GlobalSecondaryIndexes, [
    {
      IndexName: 'by-artist-album',
      KeySchema: [hash('artist'), hash('album'), range('year'), range('sk')],
      // Listed sorted by name, as DynamoDB lists them.
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['duration', 'title'] },
      IndexStatus: 'ACTIVE',
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: `${arn}/index/by-artist-album`,
      WarmThroughput: { ReadUnitsPerSecond: 3, WriteUnitsPerSecond: 4, Status: 'ACTIVE' },
    },
    {
      IndexName: 'by-genre',
      KeySchema: [hash('genre')],
      Projection: { ProjectionType: 'KEYS_ONLY' },
      IndexStatus: 'ACTIVE',
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 1, WriteCapacityUnits: 2 },
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: `${arn}/index/by-genre`,
      WarmThroughput: { ReadUnitsPerSecond: 1, WriteUnitsPerSecond: 2, Status: 'ACTIVE' },
    },
  ]);
  assert.deepEqual(table.LocalSecondaryIndexes, [
    { IndexName: 'by-year', KeySchema: [hash('pk'), range('year')], Projection: all, IndexSizeBytes: 0, ItemCount: 0, IndexArn: `${arn}/index/by-year` },
    { IndexName: 'by-released', KeySchema: [hash('pk'), range('released')], Projection: { ProjectionType: 'KEYS_ONLY' }, IndexSizeBytes: 0, ItemCount: 0, IndexArn: `${arn}/index/by-released` },
  ]);
  assert.equal(table.OnDemandThroughput, undefined);

  const onDemand = (await s.client.send(new DescribeTableCommand({ TableName: 'Plays' }))).Table!;
  assert.deepEqual(onDemand.OnDemandThroughput, { MaxWriteRequestUnits: 100 });
  assert.equal(onDemand.LocalSecondaryIndexes, undefined);
  assert.deepEqual(onDemand.GlobalSecondaryIndexes, [
    {
      IndexName: 'by-listener',
      KeySchema: [hash('listener')],
      Projection: all,
      IndexStatus: 'ACTIVE',
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: `${onDemand.TableArn}/index/by-listener`,
      OnDemandThroughput: { MaxReadRequestUnits: 50 },
      WarmThroughput: { ReadUnitsPerSecond: 12000, WriteUnitsPerSecond: 4000, Status: 'ACTIVE' },
    },
  ]);
});

const createG2 = (extra: Partial<GlobalSecondaryIndex> = {}) => ({ Create: { IndexName: 'g-new', KeySchema: [hash('x')], Projection: all, ProvisionedThroughput: pt, ...extra } });

const updateCases: Array<[string, Partial<UpdateTableCommandInput>, string, string]> = [
  [
    'AttributeDefinitions alone',
    { AttributeDefinitions: defs('x') },
    'ValidationException',
    'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required',
  ],
  [
    'an empty GlobalSecondaryIndexUpdates alone',
    { GlobalSecondaryIndexUpdates: [] },
    'ValidationException',
    'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required',
  ],
  ['an empty GlobalSecondaryIndexUpdates next to a change', { BillingMode: 'PAY_PER_REQUEST', GlobalSecondaryIndexUpdates: [] }, 'ValidationException', `${invalid}List of GlobalSecondaryIndexUpdates is empty`],
  [
    'an index name too short',
    { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'a' } }] },
    'ValidationException',
    "1 validation error detected: Value 'a' at 'globalSecondaryIndexUpdates.1.member.delete.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3",
  ],
  [
    'an entry without an action',
    { GlobalSecondaryIndexUpdates: [{}] },
    'ValidationException',
    `${invalid}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null`,
  ],
  [
    'an entry with two actions',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-genre', ProvisionedThroughput: pt }, Delete: { IndexName: 'by-genre' } }] },
    'ValidationException',
    `${invalid}Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object`,
  ],
  [
    'two entries for one index',
    { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-genre' } }, { Update: { IndexName: 'by-genre', ProvisionedThroughput: pt } }] },
    'ValidationException',
    `${invalid}Only one global secondary index update per index is allowed simultaneously. Index: by-genre`,
  ],
  [
    'a Create and a Delete in one call',
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2(), { Delete: { IndexName: 'by-genre' } }] },
    'LimitExceededException',
    'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table',
  ],
  [
    'a Create with a table capacity change',
    { AttributeDefinitions: defs('x'), ProvisionedThroughput: { ReadCapacityUnits: 9, WriteCapacityUnits: 9 }, GlobalSecondaryIndexUpdates: [createG2()] },
    'ValidationException',
    `${invalid}You cannot create or delete index while updating table IOPS`,
  ],
  [
    'a Create of an existing name',
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ IndexName: 'by-year' })] },
    'ValidationException',
    'Attempting to create an index which already exists',
  ],
  ['a Create without AttributeDefinitions', { GlobalSecondaryIndexUpdates: [createG2()] }, 'ValidationException', `${invalid}AttributeDefinitions is not specified for index: g-new`],
  [
    'a Create with fewer definitions than keys',
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('x'), range('y')] })] },
    'ValidationException',
    'Invalid KeySchema: Some index key attribute have no definition',
  ],
  [
    "a Create whose key is defined on the table but not in the call's AttributeDefinitions",
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('genre')] })] },
    'ValidationException',
    `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [genre], AttributeDefinitions: [x]`,
  ],
  [
    'a Create with five RANGE keys',
    { AttributeDefinitions: defs('x', ...names('r', 5)), GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('x'), ...names('r', 5).map(range)] })] },
    'ValidationException',
    `${invalid}The KeySchema exceeds the maximum allowed number of RANGE key attributes`,
  ],
  [
    'a Create without capacity on a provisioned table',
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ ProvisionedThroughput: undefined })] },
    'ValidationException',
    `${invalid}Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: g-new`,
  ],
  [
    'a Create with OnDemandThroughput on a provisioned table',
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ OnDemandThroughput: { MaxReadRequestUnits: 10 } })] },
    'ValidationException',
    `${invalid}MaxReadRequestUnits for OnDemandThroughput for index : g-new cannot be specified when the table BillingMode is PROVISIONED`,
  ],
  [
    'an Update of an unknown index',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'nope', ProvisionedThroughput: pt } }] },
    'ResourceNotFoundException',
    'Requested resource not found: Index nope for table Songs',
  ],
  ['a Delete of an unknown index', { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'nope' } }] }, 'ResourceNotFoundException', 'Requested resource not found: Index nope for table Songs'],
  [
    'an Update of an LSI',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-year', ProvisionedThroughput: pt } }] },
    'ValidationException',
    'Cannot update an index that is not a GlobalSecondaryIndex: by-year',
  ],
  ['a Delete of an LSI', { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-year' } }] }, 'ValidationException', 'Cannot delete an index that is not a GlobalSecondaryIndex: by-year'],
  [
    'an Update to the current capacity',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-genre', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 2 } } }] },
    'ValidationException',
    'The provisioned throughput for the index by-genre will not change. The requested value equals the current value. ' +
      'Current ReadCapacityUnits provisioned for index by-genre: 1. Requested ReadCapacityUnits: 1. ' +
      'Current WriteCapacityUnits provisioned for index by-genre: 2. Requested WriteCapacityUnits: 2. ' +
      'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
  ],
  [
    'an Update of capacity out of bounds',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-genre', ProvisionedThroughput: { ReadCapacityUnits: 1_000_000_000_001, WriteCapacityUnits: 1 } } }] },
    'ValidationException',
    'This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate',
  ],
  [
    'an Update of OnDemandThroughput on a provisioned table',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-genre', OnDemandThroughput: { MaxWriteRequestUnits: 10 } } }] },
    'ValidationException',
    `${invalid}MaxWriteRequestUnits for OnDemandThroughput for index : by-genre cannot be specified when the table BillingMode is PROVISIONED`,
  ],
];

const onDemandUpdateCases: Array<[string, Partial<UpdateTableCommandInput>, string]> = [
  [
    'a Create with capacity on an on-demand table',
    { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2()] },
    `${invalid}ProvisionedThroughput should not be specified for index: g-new when BillingMode is PAY_PER_REQUEST`,
  ],
  [
    'an Update of capacity on an on-demand table',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-listener', ProvisionedThroughput: pt } }] },
    `${invalid}The only Updates for index: by-listener when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`,
  ],
  [
    'an Update of OnDemandThroughput to 0',
    { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-listener', OnDemandThroughput: { MaxReadRequestUnits: 0 } } }] },
    `${invalid}Requested MaxReadRequestUnits for OnDemandThroughput for index : by-listener is outside of valid range`,
  ],
  [
    'a switch to PROVISIONED without capacity for every GSI',
    { BillingMode: 'PROVISIONED', ProvisionedThroughput: pt },
    `${invalid}ProvisionedThroughput must be specified for index: by-listener`,
  ],
];

test("UpdateTable refuses invalid GlobalSecondaryIndexUpdates with DynamoDB's messages", async () => {
  await createIndexedTables();
  for (const [label, change, name, message] of updateCases) {
    await expectError(s.client.send(new UpdateTableCommand({ TableName: 'Songs', ...change })), name, message, label);
  }
  for (const [label, change, message] of onDemandUpdateCases) {
    await expectError(s.client.send(new UpdateTableCommand({ TableName: 'Plays', ...change })), 'ValidationException', message, label);
  }
  await expectError(
    s.client.send(new UpdateTableCommand({ TableName: 'nope', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-genre' } }] })),
    'ResourceNotFoundException',
    'Requested resource not found: Table: nope not found',
    'a missing table',
  );
  // Nothing of the refused calls was applied.
  const table = (await s.client.send(new DescribeTableCommand({ TableName: 'Songs' }))).Table!;
  assert.deepEqual(table.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus, i.ProvisionedThroughput?.ReadCapacityUnits]), [
    ['by-artist-album', 'ACTIVE', 3],
    ['by-genre', 'ACTIVE', 1],
  ]);
  assert.equal(table.AttributeDefinitions?.length, 7);
});

test('UpdateTable refuses a GSI past the quota with LimitExceededException', async () => {
  await s.client.send(
    new CreateTableCommand({
      TableName: 'Wide',
      KeySchema: [hash('pk')],
      AttributeDefinitions: defs('pk', 'g'),
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: many(20, (i) => gsi(`gsi${i}`, [hash('g')])),
    }),
  );
  await expectError(
    s.client.send(new UpdateTableCommand({ TableName: 'Wide', AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ ProvisionedThroughput: undefined })] })),
    'LimitExceededException',
    'Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20',
    'a 21st GSI',
  );
});

test('UpdateTable creates, updates and deletes a GSI, one change at a time', async () => {
  await createIndexedTables();
  const created = await s.client.send(
    new UpdateTableCommand({
      TableName: 'Songs',
      AttributeDefinitions: [{ AttributeName: 'mood', AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'by-mood', KeySchema: [hash('mood')], Projection: { ProjectionType: 'KEYS_ONLY' }, ProvisionedThroughput: pt } }],
    }),
  );
  const added = created.TableDescription!.GlobalSecondaryIndexes!.find((i) => i.IndexName === 'by-mood')!;
  assert.ok(added.IndexStatus === 'CREATING' || added.IndexStatus === 'ACTIVE', added.IndexStatus);
  if (added.IndexStatus === 'CREATING') assert.equal(added.Backfilling, true);
  assert.ok(created.TableDescription!.AttributeDefinitions!.some((d) => d.AttributeName === 'mood' && d.AttributeType === 'S'));

  const updated = await s.client.send(
    new UpdateTableCommand({ TableName: 'Songs', GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-genre', ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 8 } } }] }),
  );
  assert.ok(updated.TableDescription!.GlobalSecondaryIndexes!.some((i) => i.IndexName === 'by-genre'));
  const described = (await s.client.send(new DescribeTableCommand({ TableName: 'Songs' }))).Table!;
  const genre = described.GlobalSecondaryIndexes!.find((i) => i.IndexName === 'by-genre')!;
  assert.equal(genre.ProvisionedThroughput?.ReadCapacityUnits, 7);
  assert.equal(genre.ProvisionedThroughput?.WriteCapacityUnits, 8);

  // The new index must be ACTIVE before another index is added or removed.
  for (let i = 0; i < 600; i++) {
    const mood = (await s.client.send(new DescribeTableCommand({ TableName: 'Songs' }))).Table!.GlobalSecondaryIndexes!.find((x) => x.IndexName === 'by-mood')!;
    if (mood.IndexStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await s.client.send(new UpdateTableCommand({ TableName: 'Songs', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-mood' } }] }));
  for (let i = 0; i < 600; i++) {
    const indexes = (await s.client.send(new DescribeTableCommand({ TableName: 'Songs' }))).Table!.GlobalSecondaryIndexes!;
    if (!indexes.some((x) => x.IndexName === 'by-mood')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('the deleted index is still listed');
});
