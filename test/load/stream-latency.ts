// Streams latency (issue 20): one writer at WRITES_PER_SECOND (100) for SECONDS (10) against a
// table with a stream, and a consumer calling GetRecords in a loop on every open shard: for each
// write, the time from its acknowledgement to its record being returned. Reported as p50/p99/max,
// beside the same run's GetItem round trip as a baseline. Run: npm run bench:streams
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { clientFor, devCredentials, startTestServer } from '../helpers/server.ts';

const writesPerSecond = Number(process.env.WRITES_PER_SECOND ?? 100);
const seconds = Number(process.env.SECONDS ?? 10);

const server = await startTestServer();
const client = clientFor(server.endpoint, 1);
const streams = new DynamoDBStreamsClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: devCredentials });
const created = await client.send(
  new CreateTableCommand({
    TableName: 'latency',
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
  }),
);
const arn = created.TableDescription!.LatestStreamArn!;

const ackedAt = new Map<string, number>();
const latencies: number[] = [];
const getItemMs: number[] = [];
let writing = true;
let lastWriteAt = performance.now();

// The consumer: an iterator per shard (LATEST from the start), GetRecords in a loop.
const consumer = (async () => {
  const iterators = new Map<string, string | undefined>();
  const refresh = async () => {
    for (const shard of (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards ?? []) {
      if (iterators.has(shard.ShardId!)) continue;
      iterators.set(shard.ShardId!, (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator);
    }
  };
  await refresh();
  let polls = 0;
  while (writing || latencies.length < ackedAt.size) {
    if (++polls % 200 === 0) await refresh();
    for (const [shardId, iterator] of iterators) {
      if (iterator === undefined) continue;
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const now = performance.now();
      for (const r of page.Records ?? []) {
        const acked = ackedAt.get(r.dynamodb!.Keys!.id.S!);
        if (acked !== undefined) latencies.push(now - acked);
      }
      iterators.set(shardId, page.NextShardIterator);
    }
    if (!writing && performance.now() - lastWriteAt > 10_000) break;
  }
})();

const start = performance.now();
for (let i = 0; i < writesPerSecond * seconds; i++) {
  const due = start + (i * 1000) / writesPerSecond;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const id = `w${i}`;
  await client.send(new PutItemCommand({ TableName: 'latency', Item: { id: { S: id } } }));
  ackedAt.set(id, performance.now());
  lastWriteAt = performance.now();
  if (i % 10 === 0) {
    const t = performance.now();
    await client.send(new GetItemCommand({ TableName: 'latency', Key: { id: { S: id } } }));
    getItemMs.push(performance.now() - t);
  }
}
writing = false;
await consumer;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
console.log(`writes: ${ackedAt.size} at ${writesPerSecond}/s; records seen: ${latencies.length}`);
console.log(`acknowledgement → record returned: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
console.log(`baseline, GetItem round trip in the same run: p50 ${pct(getItemMs, 50).toFixed(2)} ms, p99 ${pct(getItemMs, 99).toFixed(2)} ms`);
streams.destroy();
client.destroy();
await server.stop();
if (latencies.length < ackedAt.size) {
  console.error(`${ackedAt.size - latencies.length} writes never showed up in the stream`);
  process.exit(1);
}
