// Table settings through the AWS SDK: DeletionProtectionEnabled, TableClass, SSESpecification and
// OnDemandThroughput on CreateTable and UpdateTable, as DescribeTable describes them (with
// WarmThroughput and BillingModeSummary) and across a restart; DeleteTable's answer; and the
// parameters monodyne does not serve yet, refused by name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  UpdateTableCommand,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { clientFor, restartOnSameDataDir, startTestServer, type TestServer } from '../helpers/server.ts';
import type { RunningServer } from '../../src/server/main.ts';
import { expectDynamoError } from '../helpers/errors.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

const invalid = 'One or more parameter values were invalid: ';

function create(name: string, extra: Partial<CreateTableCommandInput> = {}) {
  return s.client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      ...extra,
    }),
  );
}

async function describe(name: string): Promise<TableDescription> {
  return (await s.client.send(new DescribeTableCommand({ TableName: name }))).Table!;
}

test('deletion protection: described, enforced by DeleteTable, lifted by UpdateTable; DeleteTable answers as DynamoDB does', async () => {
  const created = await create('Guarded', { DeletionProtectionEnabled: true });
  assert.equal(created.TableDescription?.DeletionProtectionEnabled, true);
  assert.equal((await describe('Guarded')).DeletionProtectionEnabled, true);
  await s.client.send(new PutItemCommand({ TableName: 'Guarded', Item: { id: { S: 'a' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'Guarded', Item: { id: { S: 'b' } } }));
  await expectDynamoError(
    s.client.send(new DeleteTableCommand({ TableName: 'Guarded' })),
    'ValidationException',
    'Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.',
  );
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Guarded', DeletionProtectionEnabled: false, BillingMode: 'PAY_PER_REQUEST' })),
    'ValidationException',
    `${invalid}DeletionProtection modification must be the only operation in the request`,
  );
  const lifted = await s.client.send(new UpdateTableCommand({ TableName: 'Guarded', DeletionProtectionEnabled: false }));
  assert.equal(lifted.TableDescription?.DeletionProtectionEnabled, false);
  // UpdateTable reports what the table holds, as DescribeTable does.
  assert.equal(lifted.TableDescription?.ItemCount, 2);
  assert.equal(lifted.TableDescription?.TableSizeBytes, (await describe('Guarded')).TableSizeBytes);
  const deleted = (await s.client.send(new DeleteTableCommand({ TableName: 'Guarded' }))).TableDescription!;
  assert.equal(deleted.TableStatus, 'DELETING');
  assert.equal(deleted.TableName, 'Guarded');
  assert.equal(deleted.ItemCount, 2);
  assert.equal(deleted.TableArn, created.TableDescription?.TableArn);
  assert.equal(deleted.TableId, created.TableDescription?.TableId);
  assert.equal(deleted.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(deleted.DeletionProtectionEnabled, false);
  // DynamoDB's answer describes no key schema, attributes or indexes.
  assert.equal(deleted.KeySchema, undefined);
  assert.equal(deleted.AttributeDefinitions, undefined);
});

test('TableClass: created, changed alone by UpdateTable, and refused when unknown', async () => {
  const created = await create('Cold', { TableClass: 'STANDARD_INFREQUENT_ACCESS' });
  assert.deepEqual(created.TableDescription?.TableClassSummary, { TableClass: 'STANDARD_INFREQUENT_ACCESS' });
  assert.equal((await create('Plain')).TableDescription?.TableClassSummary, undefined);
  const changed = await s.client.send(new UpdateTableCommand({ TableName: 'Cold', TableClass: 'STANDARD' }));
  assert.equal(changed.TableDescription?.TableClassSummary?.TableClass, 'STANDARD');
  assert.ok(changed.TableDescription?.TableClassSummary?.LastUpdateDateTime instanceof Date);
  assert.equal((await describe('Cold')).TableClassSummary?.TableClass, 'STANDARD');
  const unknownClass = 'Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].';
  await expectDynamoError(create('Colder', { TableClass: 'GLACIER' as never }), 'ValidationException', unknownClass);
  await expectDynamoError(s.client.send(new UpdateTableCommand({ TableName: 'Cold', TableClass: 'GLACIER' as never })), 'ValidationException', unknownClass);
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Cold', TableClass: 'STANDARD', DeletionProtectionEnabled: true })),
    'ValidationException',
    `${invalid}TableClass modification must be the only operation in the request`,
  );
});

test('SSESpecification: a KMS key is described as SSEDescription; the AWS owned key is not; bad values are refused', async () => {
  const managed = await create('Sealed', { SSESpecification: { Enabled: true } });
  assert.deepEqual(managed.TableDescription?.SSEDescription, { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: 'arn:aws:kms:us-east-1:000000000000:alias/aws/dynamodb' });
  const own = await create('OwnKey', { SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' } });
  assert.equal(own.TableDescription?.SSEDescription?.KMSMasterKeyArn, 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  assert.equal((await create('Owned', { SSESpecification: { Enabled: false } })).TableDescription?.SSEDescription, undefined);
  await expectDynamoError(create('Bad1', { SSESpecification: { Enabled: true, SSEType: 'AES256' } }), 'ValidationException', `${invalid}SSEType AES256 is not supported`);
  await expectDynamoError(create('Bad2', { SSESpecification: { Enabled: false, SSEType: 'KMS' } }), 'ValidationException', `${invalid}SSEType can not be specified if Enabled is false`);
  await expectDynamoError(create('Bad3', { SSESpecification: { Enabled: true, KMSMasterKeyId: 'k' } }), 'ValidationException', `${invalid}SSEType KMS is required if KMSMasterKeyId is specified`);

  const rekeyed = await s.client.send(new UpdateTableCommand({ TableName: 'Sealed', SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/mine' } }));
  assert.equal(rekeyed.TableDescription?.SSEDescription?.KMSMasterKeyArn, 'arn:aws:kms:us-east-1:000000000000:alias/mine');
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Sealed', SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/mine' } })),
    'ValidationException',
    `${invalid}Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key`,
  );
  const back = await s.client.send(new UpdateTableCommand({ TableName: 'Sealed', SSESpecification: { Enabled: false } }));
  assert.equal(back.TableDescription?.SSEDescription, undefined);
  await expectDynamoError(s.client.send(new UpdateTableCommand({ TableName: 'Sealed', SSESpecification: { Enabled: false } })), 'ValidationException', `${invalid}Table is already encrypted by default`);
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Sealed', SSESpecification: { Enabled: true }, DeletionProtectionEnabled: true })),
    'ValidationException',
    `${invalid}Server-Side Encryption modification must be the only operation in the request`,
  );
});

test('OnDemandThroughput: described, changed by UpdateTable (-1 removes a maximum), validated', async () => {
  const created = await create('Capped', { OnDemandThroughput: { MaxReadRequestUnits: 100 } });
  assert.deepEqual(created.TableDescription?.OnDemandThroughput, { MaxReadRequestUnits: 100 });
  const both = await s.client.send(new UpdateTableCommand({ TableName: 'Capped', OnDemandThroughput: { MaxWriteRequestUnits: 50 } }));
  assert.deepEqual(both.TableDescription?.OnDemandThroughput, { MaxReadRequestUnits: 100, MaxWriteRequestUnits: 50 });
  const cleared = await s.client.send(new UpdateTableCommand({ TableName: 'Capped', OnDemandThroughput: { MaxReadRequestUnits: -1 } }));
  assert.deepEqual(cleared.TableDescription?.OnDemandThroughput, { MaxWriteRequestUnits: 50 });
  assert.deepEqual((await describe('Capped')).OnDemandThroughput, { MaxWriteRequestUnits: 50 });
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Capped', OnDemandThroughput: { MaxReadRequestUnits: 0 } })),
    'ValidationException',
    `${invalid}Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range`,
  );
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Capped', OnDemandThroughput: { MaxReadRequestUnits: 5 }, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })),
    'ValidationException',
    `${invalid}OnDemandThroughput can only be combined with BillingMode in an UpdateTable request`,
  );
  await create('Metered', { BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } });
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Metered', OnDemandThroughput: { MaxReadRequestUnits: 5 } })),
    'ValidationException',
    `${invalid}MaxReadRequestUnits for OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED`,
  );
  // Switching to on demand takes maxima in the same request.
  const switched = await s.client.send(new UpdateTableCommand({ TableName: 'Metered', BillingMode: 'PAY_PER_REQUEST', OnDemandThroughput: { MaxReadRequestUnits: 5 } }));
  assert.deepEqual(switched.TableDescription?.OnDemandThroughput, { MaxReadRequestUnits: 5 });
});

test('WarmThroughput and BillingModeSummary: on demand 12000/4000, provisioned its capacity; the summary stays after a switch to PROVISIONED', async () => {
  const created = await create('Warm');
  assert.deepEqual(created.TableDescription?.WarmThroughput, { ReadUnitsPerSecond: 12000, WriteUnitsPerSecond: 4000, Status: 'ACTIVE' });
  const since = created.TableDescription?.BillingModeSummary?.LastUpdateToPayPerRequestDateTime;
  assert.ok(since instanceof Date);
  const switched = await s.client.send(new UpdateTableCommand({ TableName: 'Warm', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 } }));
  assert.deepEqual(switched.TableDescription?.BillingModeSummary, { BillingMode: 'PROVISIONED', LastUpdateToPayPerRequestDateTime: since });
  assert.deepEqual(switched.TableDescription?.WarmThroughput, { ReadUnitsPerSecond: 7, WriteUnitsPerSecond: 3, Status: 'ACTIVE' });
  assert.deepEqual((await describe('Warm')).BillingModeSummary, { BillingMode: 'PROVISIONED', LastUpdateToPayPerRequestDateTime: since });
  // A table that was never on demand has no summary.
  const provisioned = await create('NeverOnDemand', { BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } });
  assert.equal(provisioned.TableDescription?.BillingModeSummary, undefined);
});

test('parameters monodyne does not serve yet are refused by name, never dropped', async () => {
  // (StreamSpecification itself is served: test/e2e/streams.test.ts.)
  await expectDynamoError(create('Streamed', { StreamSpecification: { StreamEnabled: true } }), 'ValidationException', `${invalid}Table is being created with a stream enabled, UpdateViewType is required`);
  await expectDynamoError(create('Streamed', { ResourcePolicy: '{}' }), 'ValidationException', 'ResourcePolicy is not supported by this server yet');
  await expectDynamoError(create('Streamed', { WarmThroughput: { ReadUnitsPerSecond: 20000 } }), 'ValidationException', 'WarmThroughput is not supported by this server yet');
  // A disabled stream is no stream: accepted.
  await create('Unstreamed', { StreamSpecification: { StreamEnabled: false } });
  await expectDynamoError(s.client.send(new UpdateTableCommand({ TableName: 'Unstreamed', StreamSpecification: { StreamEnabled: false } })), 'ValidationException', 'Table has no stream to disable: TableName: Unstreamed');
  await expectDynamoError(s.client.send(new UpdateTableCommand({ TableName: 'Unstreamed', StreamSpecification: { StreamEnabled: true } })), 'ValidationException', `${invalid}If stream is being enabled then UpdateViewType is required`);
  await expectDynamoError(s.client.send(new UpdateTableCommand({ TableName: 'Unstreamed', ReplicaUpdates: [{ Create: { RegionName: 'eu-west-1' } }] })), 'ValidationException', 'ReplicaUpdates is not supported by this server yet');
  await expectDynamoError(
    s.client.send(new UpdateTableCommand({ TableName: 'Unstreamed' })),
    'ValidationException',
    'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required',
  );
});

test('members sent as null are absent (raw HTTP: the SDK never sends null)', async () => {
  await create('Nulls');
  const send = (target: string, body: Record<string, unknown>) =>
    fetch(s.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` }, body: JSON.stringify(body) });
  const refused = await send('UpdateTable', { TableName: 'Nulls', GlobalSecondaryIndexUpdates: null, ProvisionedThroughput: null, TableClass: null });
  assert.equal(refused.status, 400);
  assert.match(((await refused.json()) as { message: string }).message, /^At least one of ProvisionedThroughput/);
  const changed = await send('UpdateTable', { TableName: 'Nulls', GlobalSecondaryIndexUpdates: null, DeletionProtectionEnabled: true });
  assert.equal(changed.status, 200);
  const tagged = await send('TagResource', { ResourceArn: (await describe('Nulls')).TableArn, Tags: [null] });
  assert.equal(tagged.status, 400);
  assert.equal(((await tagged.json()) as { message: string }).message, 'The Tag Key provided is invalid, Key: null');
});

// Last: it restarts the server on the same data directory.
test('settings survive a restart (they are kept in the catalog)', async () => {
  await create('Kept', {
    DeletionProtectionEnabled: true,
    TableClass: 'STANDARD_INFREQUENT_ACCESS',
    SSESpecification: { Enabled: true },
    OnDemandThroughput: { MaxWriteRequestUnits: 9 },
  });
  const before = await describe('Kept');
  let second: RunningServer | null = null;
  try {
    second = await restartOnSameDataDir(s);
    const client = clientFor(second.endpoint);
    const after = (await client.send(new DescribeTableCommand({ TableName: 'Kept' }))).Table!;
    for (const member of ['DeletionProtectionEnabled', 'TableClassSummary', 'SSEDescription', 'OnDemandThroughput', 'BillingModeSummary', 'WarmThroughput'] as const) {
      assert.deepEqual(after[member], before[member], member);
    }
    await assert.rejects(client.send(new DeleteTableCommand({ TableName: 'Kept' })), /protected against deletion/);
    client.destroy();
  } finally {
    await second?.close();
  }
});
