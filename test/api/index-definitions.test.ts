// Secondary index validation (src/api/index-definitions.ts): one case per DynamoDB rule, each with
// DynamoDB's error type and exact message, and the records the valid definitions become.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoError } from '../../src/protocol/errors.ts';
import {
  checkIndexesGetThroughputOnSwitch,
  javaHashSetOrder,
  parseCreateTableIndexes,
  parseGlobalSecondaryIndexUpdates,
  parseTableOnDemandThroughput,
} from '../../src/api/index-definitions.ts';
import type { BillingMode, SecondaryIndex, TableRecord } from '../../src/control/table-record.ts';
import type { AttributeDefinition, KeySchemaElement } from '../../src/values/types.ts';

const invalid = 'One or more parameter values were invalid: ';

function throwsDynamo(fn: () => unknown, kind: string, message: string, label: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DynamoError, `${label}: a DynamoError, got ${String(error)}`);
    assert.equal(error.kind.name, kind, `${label}: ${error.message}`);
    assert.equal(error.message, message, label);
    return true;
  }, label);
}

const hash = (name: string): KeySchemaElement => ({ AttributeName: name, KeyType: 'HASH' });
const range = (name: string): KeySchemaElement => ({ AttributeName: name, KeyType: 'RANGE' });
const defs = (...names: string[]): AttributeDefinition[] => names.map((n) => ({ AttributeName: n, AttributeType: 'S' }));
const all = { ProjectionType: 'ALL' };
const pt = { ReadCapacityUnits: 1, WriteCapacityUnits: 1 };

interface CreateCase {
  label: string;
  keySchema?: KeySchemaElement[];
  definitions?: AttributeDefinition[];
  billingMode?: BillingMode;
  lsis?: unknown[];
  gsis?: unknown[];
  gsiMax?: number;
  kind?: string;
  message: string;
}

/** A table keyed a (HASH) + b (RANGE), both defined, PAY_PER_REQUEST, unless a case says otherwise. */
function createIndexes(c: Omit<CreateCase, 'label' | 'message' | 'kind'>): SecondaryIndex[] {
  const input: Record<string, unknown> = { TableName: 'Music' };
  if (c.lsis !== undefined) input.LocalSecondaryIndexes = c.lsis;
  if (c.gsis !== undefined) input.GlobalSecondaryIndexes = c.gsis;
  return parseCreateTableIndexes(input, c.keySchema ?? [hash('a'), range('b')], c.definitions ?? defs('a', 'b'), c.billingMode ?? 'PAY_PER_REQUEST', c.gsiMax ?? 20);
}

const lsi = (name: string, keySchema: KeySchemaElement[], projection: unknown = all) => ({ IndexName: name, KeySchema: keySchema, Projection: projection });
const gsi = (name: string, keySchema: KeySchemaElement[], extra: Record<string, unknown> = {}) => ({ IndexName: name, KeySchema: keySchema, Projection: all, ...extra });
const many = (count: number, make: (i: number) => unknown) => Array.from({ length: count }, (_, i) => make(i));
const attributes = (prefix: string, count: number) => many(count, (i) => `${prefix}${i}`) as string[];

const createCases: CreateCase[] = [
  { label: 'empty LocalSecondaryIndexes', lsis: [], message: `${invalid}List of LocalSecondaryIndexes is empty` },
  { label: 'empty GlobalSecondaryIndexes', gsis: [], message: `${invalid}List of GlobalSecondaryIndexes is empty` },
  {
    label: 'an LSI on a table without a sort key',
    keySchema: [hash('a')],
    definitions: defs('a', 'b'),
    lsis: [lsi('abc', [hash('a'), range('b')])],
    message: `${invalid}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex`,
  },
  {
    label: 'LSI key attributes without definitions (all of the first such index listed)',
    lsis: [lsi('abc', [range('c'), range('d')]), lsi('abd', [range('e')])],
    message: `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [c, d], AttributeDefinitions: [a, b]`,
  },
  {
    label: 'GSI key attribute without a definition (defined keys listed too)',
    gsis: [gsi('abc', [hash('a'), range('c')])],
    message: `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [a, c], AttributeDefinitions: [a, b]`,
  },
  {
    label: 'an undefined key is reported before an unused definition',
    keySchema: [hash('a')],
    gsis: [gsi('abc', [range('c')])],
    message: `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [c], AttributeDefinitions: [a, b]`,
  },
  {
    label: 'unused definitions with indexes (keys used in java.util.HashSet order)',
    keySchema: [hash('pk'), range('sk')],
    definitions: defs('sk', 'a', 'b', 'pk', 'c'),
    gsis: [gsi('g-a', [hash('a')])],
    message: `${invalid}Some AttributeDefinitions are not used. AttributeDefinitions: [sk, a, b, pk, c], keys used: [a, sk, pk]`,
  },
  {
    label: 'unused definitions hide later per-index errors',
    keySchema: [hash('a')],
    definitions: defs('a', 'b', 'x'),
    gsis: [gsi('abc', [hash('b')], { Projection: {} })],
    message: `${invalid}Some AttributeDefinitions are not used. AttributeDefinitions: [a, b, x], keys used: [a, b]`,
  },
  {
    label: 'unused definition without indexes',
    keySchema: [hash('a')],
    definitions: defs('a', 'b'),
    message: `${invalid}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions`,
  },
  { label: 'LSI keys with one name', lsis: [lsi('abc', [hash('a'), hash('a')])], message: 'Both the Hash Key and the Range Key element in the KeySchema have the same name' },
  { label: 'LSI first key not HASH', lsis: [lsi('abc', [range('a')])], message: 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type' },
  { label: 'LSI second key not RANGE', lsis: [lsi('abc', [hash('a'), hash('b')])], message: 'Invalid KeySchema: The second KeySchemaElement is not a RANGE key type' },
  { label: 'LSI without a sort key', lsis: [lsi('abc', [hash('b')])], message: `${invalid}Index KeySchema does not have a range key for index: abc` },
  {
    label: "LSI partition key not the table's",
    lsis: [lsi('abc', [hash('b'), range('a')])],
    message: `${invalid}Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: b, table hash key: a`,
  },
  { label: 'Projection without ProjectionType', lsis: [lsi('abc', [hash('a'), range('b')], {})], message: `${invalid}Unknown ProjectionType: null` },
  {
    label: 'NonKeyAttributes with ALL',
    lsis: [lsi('abc', [hash('a'), range('b')], { ProjectionType: 'ALL', NonKeyAttributes: ['x'] })],
    message: `${invalid}ProjectionType is ALL, but NonKeyAttributes is specified`,
  },
  {
    label: 'NonKeyAttributes with KEYS_ONLY',
    gsis: [gsi('abc', [hash('a')], { Projection: { ProjectionType: 'KEYS_ONLY', NonKeyAttributes: ['x'] } })],
    message: `${invalid}ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified`,
  },
  {
    label: 'INCLUDE without NonKeyAttributes',
    gsis: [gsi('abc', [hash('a')], { Projection: { ProjectionType: 'INCLUDE' } })],
    message: `${invalid}ProjectionType is INCLUDE, but NonKeyAttributes is not specified`,
  },
  {
    label: 'an attribute projected twice by one index',
    gsis: [gsi('abc', [hash('a')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x', 'y', 'x'] } })],
    message: `${invalid}Duplicate element in NonKeyAttributes: x`,
  },
  { label: 'two LSIs with one name', lsis: [lsi('abc', [hash('a'), range('b')]), lsi('abc', [hash('a'), range('b')])], message: `${invalid}Duplicate index name: abc` },
  {
    label: 'an LSI and a GSI with one name',
    lsis: [lsi('abc', [hash('a'), range('b')])],
    gsis: [gsi('abc', [hash('b')])],
    message: `${invalid}Duplicate index name: abc`,
  },
  {
    label: 'six LSIs',
    lsis: many(6, (i) => lsi(`lsi${i}`, [hash('a'), range('b')])),
    message: `${invalid}Number of LocalSecondaryIndexes exceeds per-table limit of 5`,
  },
  {
    label: 'a GSI key naming an attribute twice',
    gsis: [gsi('abc', [hash('a'), range('b'), range('a')])],
    message: 'The KeySchema contains multiple key attributes with the same name',
  },
  { label: 'GSI first key not HASH', gsis: [gsi('abc', [range('b'), hash('a')])], message: 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type' },
  {
    label: 'GSI HASH key after a RANGE key',
    definitions: defs('a', 'b', 'c'),
    gsis: [gsi('abc', [hash('a'), range('b'), hash('c')])],
    message: `${invalid}All HASH key attributes must precede RANGE key attributes in the KeySchema`,
  },
  {
    label: 'five HASH keys on a GSI',
    definitions: defs('a', 'b', ...attributes('h', 5)),
    gsis: [gsi('abc', attributes('h', 5).map(hash))],
    message: `${invalid}The KeySchema exceeds the maximum allowed number of HASH key attributes`,
  },
  {
    label: 'five RANGE keys on a GSI',
    definitions: defs('a', 'b', ...attributes('r', 5)),
    gsis: [gsi('abc', [hash('a'), ...attributes('r', 5).map(range)])],
    message: `${invalid}The KeySchema exceeds the maximum allowed number of RANGE key attributes`,
  },
  {
    label: 'GSI ProvisionedThroughput on an on-demand table',
    gsis: [gsi('abc', [hash('b')]), gsi('abd', [hash('b')], { ProvisionedThroughput: pt })],
    message: `${invalid}ProvisionedThroughput should not be specified for index: abd when BillingMode is PAY_PER_REQUEST`,
  },
  {
    label: 'GSI without ProvisionedThroughput on a provisioned table',
    billingMode: 'PROVISIONED',
    gsis: [gsi('abc', [hash('b')])],
    message: `${invalid}ProvisionedThroughput is not specified for index: abc`,
  },
  {
    label: 'GSI capacity out of bounds',
    billingMode: 'PROVISIONED',
    gsis: [gsi('abc', [hash('b')], { ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1_000_000_000_001 } })],
    message: 'Given value 1000000000001 for WriteCapacityUnits is out of bounds',
  },
  {
    label: 'GSI OnDemandThroughput on a provisioned table',
    billingMode: 'PROVISIONED',
    gsis: [gsi('abc', [hash('b')], { ProvisionedThroughput: pt, OnDemandThroughput: { MaxWriteRequestUnits: 10 } })],
    message: `${invalid}MaxWriteRequestUnits for OnDemandThroughput for index : abc cannot be specified when table BillingMode is PROVISIONED.`,
  },
  {
    label: 'GSI OnDemandThroughput below 1',
    gsis: [gsi('abc', [hash('b')], { OnDemandThroughput: { MaxReadRequestUnits: 0, MaxWriteRequestUnits: -1 } })],
    message: `${invalid}Requested MaxReadRequestUnits for OnDemandThroughput for index : abc is outside of valid range`,
  },
  {
    label: 'more GSIs than the configured quota',
    gsiMax: 2,
    gsis: many(3, (i) => gsi(`gsi${i}`, [hash('b')])),
    message: `${invalid}GlobalSecondaryIndex count exceeds the per-table limit of 2`,
  },
  {
    label: "21 GSIs at DynamoDB's default quota",
    gsis: many(21, (i) => gsi(`gsi${i}`, [hash('b')])),
    message: `${invalid}GlobalSecondaryIndex count exceeds the per-table limit of 20`,
  },
  {
    label: 'more than 100 projected attributes across the indexes (one projected twice counts twice)',
    lsis: many(5, (i) => lsi(`lsi${i}`, [hash('a'), range('b')], { ProjectionType: 'INCLUDE', NonKeyAttributes: attributes('x', 20) })),
    gsis: [gsi('abc', [hash('b')], { Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x0'] } })],
    message: `${invalid}Number of projected attributes in all indexes exceeds limit of 100`,
  },
];

for (const c of createCases) {
  test(`CreateTable indexes: ${c.label}`, () => {
    throwsDynamo(() => createIndexes(c), c.kind ?? 'ValidationException', c.message, c.label);
  });
}

test('CreateTable indexes: 100 projected attributes, 20 GSIs, 5 LSIs and 4+4 key attributes are accepted', () => {
  const indexes = createIndexes({
    definitions: defs('a', 'b', ...attributes('h', 4), ...attributes('r', 4)),
    lsis: many(5, (i) => lsi(`lsi${i}`, [hash('a'), range('b')], { ProjectionType: 'INCLUDE', NonKeyAttributes: attributes('x', 20) })),
    gsis: [gsi('wide', [...attributes('h', 4).map(hash), ...attributes('r', 4).map(range)]), ...many(19, (i) => gsi(`gsi${i}`, [hash('b')]))],
  });
  assert.equal(indexes.filter((i) => i.kind === 'GSI').length, 20);
  assert.equal(indexes.filter((i) => i.kind === 'LSI').length, 5);
});

test('CreateTable indexes: records are the GSIs then the LSIs, each in request order', () => {
  const indexes = createIndexes({
    billingMode: 'PROVISIONED',
    definitions: defs('a', 'b', 'c', 'd'),
    lsis: [lsi('by-c', [hash('a'), range('c')], { ProjectionType: 'INCLUDE', NonKeyAttributes: ['z', 'y'] }), lsi('by-b', [hash('a'), range('b')], { ProjectionType: 'KEYS_ONLY' })],
    gsis: [
      gsi('g-two', [hash('c'), hash('d'), range('b')], { ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }),
      gsi('g-one', [hash('b')], { ProvisionedThroughput: pt }),
    ],
  });
  assert.deepEqual(indexes, [
    {
      kind: 'GSI',
      name: 'g-two',
      keySchema: [hash('c'), hash('d'), range('b')],
      projection: { ProjectionType: 'ALL' },
      status: 'ACTIVE',
      holder: 'Music/g-two',
      readCapacityUnits: 3,
      writeCapacityUnits: 4,
    },
    { kind: 'GSI', name: 'g-one', keySchema: [hash('b')], projection: { ProjectionType: 'ALL' }, status: 'ACTIVE', holder: 'Music/g-one', readCapacityUnits: 1, writeCapacityUnits: 1 },
    { kind: 'LSI', name: 'by-c', keySchema: [hash('a'), range('c')], projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['z', 'y'] }, status: 'ACTIVE' },
    { kind: 'LSI', name: 'by-b', keySchema: [hash('a'), range('b')], projection: { ProjectionType: 'KEYS_ONLY' }, status: 'ACTIVE' },
  ]);
});

test('CreateTable indexes: an on-demand GSI keeps its OnDemandThroughput and has no capacity; an LSI may repeat the table key', () => {
  const indexes = createIndexes({
    lsis: [lsi('same-as-table', [hash('a'), range('b')])],
    gsis: [gsi('g', [hash('b')], { OnDemandThroughput: { MaxReadRequestUnits: 50 } }), gsi('table-key', [hash('a'), range('b')], { OnDemandThroughput: {} })],
  });
  assert.deepEqual(indexes[0], { kind: 'GSI', name: 'g', keySchema: [hash('b')], projection: all, status: 'ACTIVE', holder: 'Music/g', onDemandThroughput: { MaxReadRequestUnits: 50 } });
  assert.equal(indexes[1].onDemandThroughput, undefined, 'an empty OnDemandThroughput sets nothing');
  assert.equal(indexes[2].kind, 'LSI');
});

test('CreateTable without indexes: exactly the table keys defined is fine, and there are no indexes', () => {
  assert.deepEqual(createIndexes({ keySchema: [hash('a')], definitions: defs('a') }), []);
});

test("CreateTable's table OnDemandThroughput", () => {
  assert.deepEqual(parseTableOnDemandThroughput({ OnDemandThroughput: { MaxReadRequestUnits: 100 } }, 'PAY_PER_REQUEST'), { MaxReadRequestUnits: 100 });
  assert.equal(parseTableOnDemandThroughput({ OnDemandThroughput: {} }, 'PAY_PER_REQUEST'), undefined);
  assert.equal(parseTableOnDemandThroughput({}, 'PAY_PER_REQUEST'), undefined);
  throwsDynamo(
    () => parseTableOnDemandThroughput({ OnDemandThroughput: { MaxReadRequestUnits: 5, MaxWriteRequestUnits: 5 } }, 'PROVISIONED'),
    'ValidationException',
    `${invalid}MaxReadRequestUnits for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED.`,
    'on a provisioned table',
  );
  throwsDynamo(
    () => parseTableOnDemandThroughput({ OnDemandThroughput: { MaxReadRequestUnits: 5, MaxWriteRequestUnits: -1 } }, 'PAY_PER_REQUEST'),
    'ValidationException',
    `${invalid}Requested MaxWriteRequestUnits for OnDemandThroughput for table is outside of valid range`,
    '-1 at creation',
  );
});

test('javaHashSetOrder iterates as java.util.HashSet does', () => {
  // From DynamoDB messages: keys used [a, sk, pk]; [index, hash]; [CreatedTime, ProductName, ProductId].
  assert.deepEqual(javaHashSetOrder(['pk', 'sk', 'a']), ['a', 'sk', 'pk']);
  assert.deepEqual(javaHashSetOrder(['hash', 'index']), ['index', 'hash']);
  assert.deepEqual(javaHashSetOrder(['ProductId', 'ProductName', 'CreatedTime']), ['CreatedTime', 'ProductName', 'ProductId']);
  // Past 12 names the table grows to 32 buckets (and the order changes with it).
  const names = attributes('k', 13);
  assert.deepEqual([...javaHashSetOrder(names)].sort(), [...names].sort());
});

// ---- UpdateTable ------------------------------------------------------------------------------

/** A table keyed pk (S) + sk (S) with GSI `g1` on gsk (1/1 when provisioned) and LSI `l1` on lsk. */
function tableRecord(billingMode: BillingMode = 'PROVISIONED', indexes?: SecondaryIndex[]): TableRecord {
  const provisioned = billingMode === 'PROVISIONED';
  return {
    name: 'Music',
    tableId: 'Music.1',
    arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Music',
    keySchema: [hash('pk'), range('sk')],
    attributeDefinitions: [...defs('pk', 'sk', 'gsk'), { AttributeName: 'lsk', AttributeType: 'N' }],
    billingMode,
    readCapacityUnits: provisioned ? 5 : 0,
    writeCapacityUnits: provisioned ? 5 : 0,
    createdAt: 0,
    partitions: [],
    indexes: indexes ?? [
      {
        kind: 'GSI',
        name: 'g1',
        keySchema: [hash('gsk')],
        projection: all as SecondaryIndex['projection'],
        status: 'ACTIVE',
        holder: 'Music/g1',
        ...(provisioned ? { readCapacityUnits: 1, writeCapacityUnits: 1 } : {}),
      },
      { kind: 'LSI', name: 'l1', keySchema: [hash('pk'), range('lsk')], projection: all as SecondaryIndex['projection'], status: 'ACTIVE' },
    ],
  };
}

const createG2 = (extra: Record<string, unknown> = {}) => ({ Create: { IndexName: 'g2', KeySchema: [hash('x')], Projection: all, ProvisionedThroughput: pt, ...extra } });

interface UpdateCase {
  label: string;
  table?: TableRecord;
  input: Record<string, unknown>;
  gsiMax?: number;
  kind?: string;
  message: string;
}

const updateCases: UpdateCase[] = [
  { label: 'empty GlobalSecondaryIndexUpdates next to another change', input: { BillingMode: 'PAY_PER_REQUEST', GlobalSecondaryIndexUpdates: [] }, message: `${invalid}List of GlobalSecondaryIndexUpdates is empty` },
  {
    label: 'an entry without an action',
    input: { GlobalSecondaryIndexUpdates: [{}] },
    message: `${invalid}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null`,
  },
  {
    label: 'an entry with two actions',
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: pt }, Delete: { IndexName: 'g1' } }] },
    message: `${invalid}Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object`,
  },
  {
    label: 'two entries for one index',
    input: { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'g1' } }, { Update: { IndexName: 'g1', ProvisionedThroughput: pt } }] },
    message: `${invalid}Only one global secondary index update per index is allowed simultaneously. Index: g1`,
  },
  {
    label: 'a Create and a Delete in one call',
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2(), { Delete: { IndexName: 'g1' } }] },
    kind: 'LimitExceededException',
    message: 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table',
  },
  {
    label: 'a Create while another index is being built',
    table: tableRecord('PROVISIONED', [{ kind: 'GSI', name: 'g1', keySchema: [hash('gsk')], projection: { ProjectionType: 'ALL' }, status: 'CREATING', backfilling: true, holder: 'Music/g1', readCapacityUnits: 1, writeCapacityUnits: 1 }]),
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2()] },
    kind: 'LimitExceededException',
    message: 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table',
  },
  {
    label: 'a Create with a table capacity change',
    input: { AttributeDefinitions: defs('x'), ProvisionedThroughput: { ReadCapacityUnits: 9, WriteCapacityUnits: 9 }, GlobalSecondaryIndexUpdates: [createG2()] },
    message: `${invalid}You cannot create or delete index while updating table IOPS`,
  },
  {
    label: 'a Create of an existing name (an LSI)',
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ IndexName: 'l1' })] },
    message: 'Attempting to create an index which already exists',
  },
  {
    label: 'a Create without AttributeDefinitions',
    input: { GlobalSecondaryIndexUpdates: [createG2()] },
    message: `${invalid}AttributeDefinitions is not specified for index: g2`,
  },
  {
    label: 'a Create with fewer definitions than keys',
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('x'), range('y')] })] },
    message: 'Invalid KeySchema: Some index key attribute have no definition',
  },
  {
    label: "a Create whose key is defined on the table but not in the call's AttributeDefinitions",
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('pk')] })] },
    message: `${invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [x]`,
  },
  {
    label: 'a Create with a multi-attribute key in the wrong order',
    input: { AttributeDefinitions: defs('x', 'y', 'z'), GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('x'), range('y'), hash('z')] })] },
    message: `${invalid}All HASH key attributes must precede RANGE key attributes in the KeySchema`,
  },
  {
    label: 'a Create without capacity on a provisioned table',
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ ProvisionedThroughput: undefined })] },
    message: `${invalid}Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: g2`,
  },
  {
    label: 'a Create with capacity on an on-demand table',
    table: tableRecord('PAY_PER_REQUEST'),
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2()] },
    message: `${invalid}ProvisionedThroughput should not be specified for index: g2 when BillingMode is PAY_PER_REQUEST`,
  },
  {
    label: 'a Create with OnDemandThroughput on a provisioned table',
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2({ OnDemandThroughput: { MaxReadRequestUnits: 10 } })] },
    message: `${invalid}MaxReadRequestUnits for OnDemandThroughput for index : g2 cannot be specified when the table BillingMode is PROVISIONED`,
  },
  {
    label: 'a Create past the GSI quota',
    gsiMax: 1,
    input: { AttributeDefinitions: defs('x'), GlobalSecondaryIndexUpdates: [createG2()] },
    kind: 'LimitExceededException',
    message: 'Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 1',
  },
  {
    label: 'an Update of an unknown index',
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'nope', ProvisionedThroughput: pt } }] },
    kind: 'ResourceNotFoundException',
    message: 'Requested resource not found: Index nope for table Music',
  },
  {
    label: 'a Delete of an unknown index',
    input: { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'nope' } }] },
    kind: 'ResourceNotFoundException',
    message: 'Requested resource not found: Index nope for table Music',
  },
  {
    label: 'an Update of an LSI',
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'l1', ProvisionedThroughput: pt } }] },
    message: 'Cannot update an index that is not a GlobalSecondaryIndex: l1',
  },
  { label: 'a Delete of an LSI', input: { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'l1' } }] }, message: 'Cannot delete an index that is not a GlobalSecondaryIndex: l1' },
  {
    label: 'an Update of an index being deleted',
    table: tableRecord('PROVISIONED', [{ kind: 'GSI', name: 'g1', keySchema: [hash('gsk')], projection: { ProjectionType: 'ALL' }, status: 'DELETING', holder: 'Music/g1', readCapacityUnits: 1, writeCapacityUnits: 1 }]),
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 } } }] },
    kind: 'ResourceInUseException',
    message: 'Attempt to change a resource which is still in use: Index is being deleted. Table: Music Index: g1',
  },
  {
    label: 'an Update to the current capacity',
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: pt } }] },
    message:
      'The provisioned throughput for the index g1 will not change. The requested value equals the current value. ' +
      'Current ReadCapacityUnits provisioned for index g1: 1. Requested ReadCapacityUnits: 1. ' +
      'Current WriteCapacityUnits provisioned for index g1: 1. Requested WriteCapacityUnits: 1. ' +
      'Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.',
  },
  {
    label: 'an Update of capacity out of bounds (even of an unknown index)',
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'nope', ProvisionedThroughput: { ReadCapacityUnits: 1_000_000_000_001, WriteCapacityUnits: 1 } } }] },
    message: 'This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate',
  },
  {
    label: 'an Update of capacity on an on-demand table',
    table: tableRecord('PAY_PER_REQUEST'),
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: pt } }] },
    message: `${invalid}The only Updates for index: g1 when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput`,
  },
  {
    label: 'an Update of OnDemandThroughput on a provisioned table',
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', OnDemandThroughput: { MaxWriteRequestUnits: 10 } } }] },
    message: `${invalid}MaxWriteRequestUnits for OnDemandThroughput for index : g1 cannot be specified when the table BillingMode is PROVISIONED`,
  },
  {
    label: 'an Update of OnDemandThroughput to 0',
    table: tableRecord('PAY_PER_REQUEST'),
    input: { GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', OnDemandThroughput: { MaxReadRequestUnits: 0 } } }] },
    message: `${invalid}Requested MaxReadRequestUnits for OnDemandThroughput for index : g1 is outside of valid range`,
  },
  {
    label: 'an OnDemandThroughput Update in the call that switches to PROVISIONED',
    table: tableRecord('PAY_PER_REQUEST'),
    input: { BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', OnDemandThroughput: { MaxReadRequestUnits: 5 } } }] },
    message: `${invalid}MaxReadRequestUnits for OnDemandThroughput for index : g1 cannot be specified when the table BillingMode is PROVISIONED`,
  },
];

for (const c of updateCases) {
  test(`UpdateTable GlobalSecondaryIndexUpdates: ${c.label}`, () => {
    throwsDynamo(() => parseGlobalSecondaryIndexUpdates({ TableName: 'Music', ...c.input }, c.table ?? tableRecord(), c.gsiMax ?? 20), c.kind ?? 'ValidationException', c.message, c.label);
  });
}

test('UpdateTable GlobalSecondaryIndexUpdates: a switch to PROVISIONED needs every GSI\'s capacity in the call', () => {
  const table = tableRecord('PAY_PER_REQUEST', [
    { kind: 'GSI', name: 'g1', keySchema: [hash('gsk')], projection: { ProjectionType: 'ALL' }, status: 'ACTIVE', holder: 'Music/g1' },
    { kind: 'GSI', name: 'g3', keySchema: [hash('gsk')], projection: { ProjectionType: 'ALL' }, status: 'ACTIVE', holder: 'Music/g3' },
  ]);
  throwsDynamo(
    () => checkIndexesGetThroughputOnSwitch({ BillingMode: 'PROVISIONED', ProvisionedThroughput: pt }, table),
    'ValidationException',
    `${invalid}ProvisionedThroughput must be specified for index: g1,g3`,
    'no GSI given capacity',
  );
  throwsDynamo(
    () => checkIndexesGetThroughputOnSwitch({ BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: pt } }] }, table),
    'ValidationException',
    `${invalid}ProvisionedThroughput must be specified for index: g3`,
    'g3 left without capacity',
  );
  const both = { BillingMode: 'PROVISIONED', ProvisionedThroughput: pt, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: pt } }, { Update: { IndexName: 'g3', ProvisionedThroughput: pt } }] };
  checkIndexesGetThroughputOnSwitch(both, table);
  checkIndexesGetThroughputOnSwitch({ BillingMode: 'PROVISIONED', ProvisionedThroughput: pt }, tableRecord('PROVISIONED'));
  assert.deepEqual(parseGlobalSecondaryIndexUpdates(both, table, 20).map((a) => a.kind), ['update', 'update']);
});

test('UpdateTable GlobalSecondaryIndexUpdates: a Create becomes a CREATING, backfilling GSI with merged AttributeDefinitions', () => {
  const [action] = parseGlobalSecondaryIndexUpdates(
    {
      // pk re-declared with another type keeps its type; the unused definition is dropped.
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'N' }, ...defs('x', 'unused'), { AttributeName: 'y', AttributeType: 'B' }],
      GlobalSecondaryIndexUpdates: [createG2({ KeySchema: [hash('x'), hash('pk'), range('y')], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['n'] } })],
    },
    tableRecord(),
    20,
  );
  assert.deepEqual(action, {
    kind: 'create',
    index: {
      kind: 'GSI',
      name: 'g2',
      keySchema: [hash('x'), hash('pk'), range('y')],
      projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['n'] },
      status: 'CREATING',
      backfilling: true,
      holder: 'Music/g2',
      readCapacityUnits: 1,
      writeCapacityUnits: 1,
    },
    attributeDefinitions: [...defs('pk', 'sk', 'gsk'), { AttributeName: 'lsk', AttributeType: 'N' }, { AttributeName: 'x', AttributeType: 'S' }, { AttributeName: 'y', AttributeType: 'B' }],
  });
});

test('UpdateTable GlobalSecondaryIndexUpdates: Updates and a Delete become actions in request order', () => {
  const provisioned = tableRecord('PROVISIONED', [
    { kind: 'GSI', name: 'g1', keySchema: [hash('gsk')], projection: { ProjectionType: 'ALL' }, status: 'ACTIVE', holder: 'Music/g1', readCapacityUnits: 1, writeCapacityUnits: 1 },
    { kind: 'GSI', name: 'g3', keySchema: [hash('gsk')], projection: { ProjectionType: 'ALL' }, status: 'ACTIVE', holder: 'Music/g3', readCapacityUnits: 1, writeCapacityUnits: 1 },
  ]);
  assert.deepEqual(
    parseGlobalSecondaryIndexUpdates({ GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 2 } } }, { Delete: { IndexName: 'g3' } }] }, provisioned, 20),
    [
      { kind: 'update', indexName: 'g1', readCapacityUnits: 1, writeCapacityUnits: 2 },
      { kind: 'delete', indexName: 'g3' },
    ],
  );
  // -1 clears an on-demand maximum.
  assert.deepEqual(
    parseGlobalSecondaryIndexUpdates({ GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'g1', OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: 7 } } }] }, tableRecord('PAY_PER_REQUEST'), 20),
    [{ kind: 'update', indexName: 'g1', onDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: 7 } }],
  );
});
