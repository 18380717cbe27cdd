// README's "Supported operations" table against the server: it names every operation of
// DynamoDB's API and of DynamoDB Streams once, marks supported exactly those the dispatcher
// serves, and every other one "not yet", so that the table cannot drift from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { operations } from '../../src/api/dispatcher.ts';

/** Amazon DynamoDB API Reference, "Actions": the operations of DynamoDB_20120810. */
const dynamodbOperations = [
  'BatchExecuteStatement', 'BatchGetItem', 'BatchWriteItem', 'CreateBackup', 'CreateGlobalTable', 'CreateTable', 'DeleteBackup', 'DeleteItem',
  'DeleteResourcePolicy', 'DeleteTable', 'DescribeBackup', 'DescribeContinuousBackups', 'DescribeContributorInsights', 'DescribeEndpoints',
  'DescribeExport', 'DescribeGlobalTable', 'DescribeGlobalTableSettings', 'DescribeImport', 'DescribeKinesisStreamingDestination', 'DescribeLimits',
  'DescribeTable', 'DescribeTableReplicaAutoScaling', 'DescribeTimeToLive', 'DisableKinesisStreamingDestination', 'EnableKinesisStreamingDestination',
  'ExecuteStatement', 'ExecuteTransaction', 'ExportTableToPointInTime', 'GetItem', 'GetResourcePolicy', 'ImportTable', 'ListBackups',
  'ListContributorInsights', 'ListExports', 'ListGlobalTables', 'ListImports', 'ListTables', 'ListTagsOfResource', 'PutItem', 'PutResourcePolicy',
  'Query', 'RestoreTableFromBackup', 'RestoreTableToPointInTime', 'Scan', 'TagResource', 'TransactGetItems', 'TransactWriteItems', 'UntagResource',
  'UpdateContinuousBackups', 'UpdateContributorInsights', 'UpdateGlobalTable', 'UpdateGlobalTableSettings', 'UpdateItem',
  'UpdateKinesisStreamingDestination', 'UpdateTable', 'UpdateTableReplicaAutoScaling', 'UpdateTimeToLive',
];
/** Amazon DynamoDB Streams API Reference, "Actions" (DynamoDBStreams_20120810). */
const streamsOperations = ['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'];

/** Each operation the table names, and whether its row says it is supported (anything but "not yet ..."). */
function supportedOperationsTable(): Map<string, boolean> {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = /\n## Supported operations\n([\s\S]*?)\n## /.exec(readme);
  assert.ok(section, 'README has a "Supported operations" section');
  const rows = section[1].split('\n').filter((line) => line.startsWith('| '));
  assert.deepEqual(rows.slice(0, 2), ['| operation | status |', '| --- | --- |']);
  const table = new Map<string, boolean>();
  for (const row of rows.slice(2)) {
    const cells = /^\| ([^|]+) \| (.+) \|$/.exec(row);
    assert.ok(cells, `a table row has an operation cell and a status cell: ${row.slice(0, 80)}`);
    const supported = !cells[2].startsWith('not yet');
    for (const name of cells[1].split(', ')) {
      assert.match(name, /^[A-Z][A-Za-z]+$/, `an operation name: ${name}`);
      assert.ok(!table.has(name), `${name} has one row`);
      table.set(name, supported);
    }
  }
  return table;
}

test('the list of DynamoDB operations is the API reference’s: 57 of DynamoDB, 4 of Streams', () => {
  assert.equal(new Set(dynamodbOperations).size, 57);
  assert.equal(new Set([...dynamodbOperations, ...streamsOperations]).size, 61);
});

test("README's supported-operations table names every DynamoDB and DynamoDB Streams operation, and no other", () => {
  const table = supportedOperationsTable();
  const all = new Set([...dynamodbOperations, ...streamsOperations]);
  assert.deepEqual([...all].filter((name) => !table.has(name)), [], 'operations missing from the table');
  assert.deepEqual([...table.keys()].filter((name) => !all.has(name)), [], 'names in the table that are no DynamoDB operation');
});

test('an operation is marked supported exactly when the dispatcher serves it; the rest say "not yet"', () => {
  const table = supportedOperationsTable();
  const served = Object.keys(operations);
  assert.ok(served.length > 0);
  assert.deepEqual(served.filter((name) => table.get(name) !== true), [], 'served operations not marked supported');
  assert.deepEqual([...table].filter(([name, supported]) => supported && !Object.hasOwn(operations, name)).map(([name]) => name), [], 'operations marked supported that the server does not serve');
  // Streams operations come under a target prefix of their own, served by the same dispatcher.
  for (const name of streamsOperations) assert.equal(table.get(name), true, `${name} is supported`);
});
