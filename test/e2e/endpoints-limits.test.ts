// DescribeEndpoints and DescribeLimits through the AWS SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DescribeEndpointsCommand, DescribeLimitsCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { provisionedUnitsMax } from '../../src/limits.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

test("DescribeEndpoints answers the server's own address (host:port), to be cached for a day", async () => {
  const answer = await s.client.send(new DescribeEndpointsCommand({}));
  assert.deepEqual(answer.Endpoints, [{ Address: new URL(s.endpoint).host, CachePeriodInMinutes: 1440 }]);
});

test('DescribeLimits answers the capacity a table may be given, and a table can be given exactly that', async () => {
  const limits = await s.client.send(new DescribeLimitsCommand({}));
  assert.equal(limits.TableMaxReadCapacityUnits, provisionedUnitsMax);
  assert.equal(limits.TableMaxWriteCapacityUnits, provisionedUnitsMax);
  assert.equal(limits.AccountMaxReadCapacityUnits, provisionedUnitsMax);
  assert.equal(limits.AccountMaxWriteCapacityUnits, provisionedUnitsMax);
  await s.client.send(
    new CreateTableCommand({
      TableName: 'AtTheLimit',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: limits.TableMaxReadCapacityUnits, WriteCapacityUnits: 1 },
    }),
  );
  const over = limits.TableMaxWriteCapacityUnits! + 1;
  await assert.rejects(
    s.client.send(new UpdateTableCommand({ TableName: 'AtTheLimit', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: over } })),
    (err: Error) => err.name === 'ValidationException' && err.message === `Given value ${over} for WriteCapacityUnits is out of bounds`,
  );
});
