// DynamoDB Streams' LimitExceededException through the AWS SDK's Streams client (one attempt, so
// the error is seen rather than retried): two readers of a shard are served, a third at the same
// time is refused until one of them reads its closed shard to the end, each NextShardIterator
// staying its reader's; a burst of DescribeStream calls on one stream past ten a second is
// refused; with capacity.throttling off neither happens. How a reader drops out of the window
// after a pause is tested on a hand-moved clock (test/streams/shard-readers.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, LimitExceededException } from '@aws-sdk/client-dynamodb-streams';
import { devCredentials, startTestServer, type TestServer } from '../helpers/server.ts';
import { createStreamTable } from '../helpers/streams.ts';

let limited: TestServer;
let unlimited: TestServer;
before(async () => {
  // A reader stays in the window for a minute here: a slow machine cannot make the third reader's
  // call come after the others have dropped out.
  limited = await startTestServer((c) => (c.streams.readerWindowMs = 60_000));
  unlimited = await startTestServer((c) => {
    c.capacity.throttling = false;
    c.streams.readerWindowMs = 60_000;
  });
});
after(async () => {
  await limited.stop();
  await unlimited.stop();
});

function streamsClient(s: TestServer): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: devCredentials, maxAttempts: 1 });
}

/** A table with a stream and one item in it; its stream's ARN and the shard holding the item. */
async function streamWithRecord(s: TestServer, streams: DynamoDBStreamsClient, TableName: string): Promise<{ arn: string; shardId: string }> {
  const out = await createStreamTable(s.client, TableName, 'KEYS_ONLY');
  await s.client.send(new PutItemCommand({ TableName, Item: { id: { S: 'a' } } }));
  await s.server.streams.collectAll();
  const arn = out.TableDescription!.LatestStreamArn!;
  for (const shard of (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards!) {
    const iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
    // This first read is a reader of its own; it reached no end, so the shard keeps it a minute: the
    // tests below take its place into account.
    if (((await streams.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? []).length > 0) return { arn, shardId: shard.ShardId! };
  }
  throw new Error('no shard holds the record');
}

async function startReader(streams: DynamoDBStreamsClient, arn: string, shardId: string): Promise<string> {
  return (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
}

function isRateExceeded(err: unknown): boolean {
  assert.ok(err instanceof LimitExceededException, `LimitExceededException, not ${String(err)}`);
  assert.equal(err.name, 'LimitExceededException');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.message, 'Rate exceeded');
  return true;
}

test('two readers of a shard are served; a third at the same time gets LimitExceededException until one reads the closed shard to its end', async () => {
  const streams = streamsClient(limited);
  try {
    const { arn, shardId } = await streamWithRecord(limited, streams, 'limit-readers');
    // streamWithRecord's reader is the first; one more is served.
    const second = await startReader(streams, arn, shardId);
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: second }));
    assert.equal(page.Records!.length, 1);
    const third = await startReader(streams, arn, shardId);
    await assert.rejects(streams.send(new GetRecordsCommand({ ShardIterator: third })), isRateExceeded);
    await assert.rejects(streams.send(new GetRecordsCommand({ ShardIterator: third })), isRateExceeded, 'asking again does not help while both read');
    // The NextShardIterator is the same reader: it goes on reading.
    const next = await streams.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator! }));
    assert.deepEqual(next.Records, []);
    // Disabling the stream closes its shards; the second reader reads to the end and leaves.
    await limited.client.send(new UpdateTableCommand({ TableName: 'limit-readers', StreamSpecification: { StreamEnabled: false } }));
    await limited.server.streams.collectAll();
    const end = await streams.send(new GetRecordsCommand({ ShardIterator: next.NextShardIterator! }));
    assert.equal(end.NextShardIterator, undefined, 'the closed shard is read to its end');
    const served = await streams.send(new GetRecordsCommand({ ShardIterator: third }));
    assert.equal(served.Records!.length, 1, 'the third reader takes the place left');
  } finally {
    streams.destroy();
  }
});

test('DescribeStream: a burst of calls on one stream past ten a second gets LimitExceededException; another stream is not affected', async () => {
  const streams = streamsClient(limited);
  try {
    const [burst, other] = await Promise.all([streamWithRecord(limited, streams, 'limit-describe'), streamWithRecord(limited, streams, 'limit-describe-other')]);
    // streamWithRecord described each stream once; 30 more at once is far past ten a second.
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => streams.send(new DescribeStreamCommand({ StreamArn: burst.arn }))));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.length > 0, 'some calls of the burst are refused');
    assert.ok(results.length - refused.length >= 9, 'a second of calls is served at once');
    for (const r of refused) isRateExceeded(r.reason);
    assert.equal((await streams.send(new DescribeStreamCommand({ StreamArn: other.arn }))).StreamDescription!.StreamArn, other.arn);
  } finally {
    streams.destroy();
  }
});

test('with capacity.throttling off, any number of readers of a shard and any rate of DescribeStream are served', async () => {
  const streams = streamsClient(unlimited);
  try {
    const { arn, shardId } = await streamWithRecord(unlimited, streams, 'unlimited');
    for (let i = 0; i < 5; i++) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: await startReader(streams, arn, shardId) }));
      assert.equal(page.Records!.length, 1, `reader ${i + 2}`);
    }
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => streams.send(new DescribeStreamCommand({ StreamArn: arn }))));
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
  } finally {
    streams.destroy();
  }
});
