// DynamoDB Streams through the AWS SDK's own Streams client, on the same endpoint: a table's
// stream made and disabled by CreateTable/UpdateTable, its records (INSERT, MODIFY, REMOVE, the
// images its view type asks for, none for a write that changes nothing, one per item of a
// transaction, a TTL delete naming the service), shard iterators of every type, and a reader
// following the shards' lineage through splits and a storage node's failover that replays the
// table's final contents exactly.
import { test, before, after } from 'node:test';
import { execFile, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { devCredentials, startTestServer, type TestServer } from '../helpers/server.ts';
import { killAndRepair, splitWidest } from '../helpers/admin.ts';
import { seededRandom } from '../helpers/prng.ts';
import { createStreamTable } from '../helpers/streams.ts';

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

let s: TestServer;
let streams: DynamoDBStreamsClient;
before(async () => {
  s = await startTestServer((c) => {
    c.faults.enabled = true;
    c.splits.enabled = false;
    c.ttl.sweepIntervalMs = 86_400_000;
    c.ttl.settleMs = 0;
    // These readers take a new iterator (a new reader) for every pass over a shard, several a second
    // on the same shard: more than two readers at once to the limit, which has its own test
    // (streams-limits.test.ts).
    c.streams.readersPerShard = 1000;
  });
  streams = new DynamoDBStreamsClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: devCredentials });
});
after(async () => {
  streams.destroy();
  await s.stop();
});

async function createTable(TableName: string, StreamViewType: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES'): Promise<string> {
  const out = await createStreamTable(s.client, TableName, StreamViewType);
  assert.deepEqual(out.TableDescription!.StreamSpecification, { StreamEnabled: true, StreamViewType });
  assert.ok(out.TableDescription!.LatestStreamArn!.startsWith(`${out.TableDescription!.TableArn}/stream/`));
  return out.TableDescription!.LatestStreamArn!;
}

/** Every shard of the stream (DescribeStream, page by page). */
async function shardsOf(arn: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const d = await streams.send(new DescribeStreamCommand({ StreamArn: arn, Limit: 2, ...(start ? { ExclusiveStartShardId: start } : {}) }));
    shards.push(...(d.StreamDescription!.Shards ?? []));
    start = d.StreamDescription!.LastEvaluatedShardId;
  } while (start !== undefined);
  return shards;
}

/** Every record of one shard from its start, until a read comes back empty (or the shard ends). */
async function readShard(arn: string, shardId: string): Promise<_Record[]> {
  let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const out: _Record[] = [];
  while (iterator) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 7 }));
    out.push(...(page.Records ?? []));
    if ((page.Records ?? []).length === 0) break;
    iterator = page.NextShardIterator;
  }
  return out;
}

/** Every record of the stream, parents' shards before their children's. */
async function readStream(arn: string): Promise<_Record[]> {
  const shards = await shardsOf(arn);
  const done = new Set<string>();
  const out: _Record[] = [];
  while (done.size < shards.length) {
    for (const shard of shards) {
      if (done.has(shard.ShardId!) || (shard.ParentShardId !== undefined && shards.some((p) => p.ShardId === shard.ParentShardId) && !done.has(shard.ParentShardId))) continue;
      out.push(...(await readShard(arn, shard.ShardId!)));
      done.add(shard.ShardId!);
    }
  }
  return out;
}

test('records of puts, updates and deletes with the images of the view type; none for a write that changes nothing', async () => {
  const arn = await createTable('s-images', 'NEW_AND_OLD_IMAGES');
  await s.client.send(new PutItemCommand({ TableName: 's-images', Item: { id: S('a'), v: N(1) } }));
  await s.client.send(new UpdateItemCommand({ TableName: 's-images', Key: { id: S('a') }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': N(2) } }));
  // The same item again, its attributes in another order: no change, no record.
  await s.client.send(new PutItemCommand({ TableName: 's-images', Item: { v: N(2), id: S('a') } }));
  await s.client.send(new DeleteItemCommand({ TableName: 's-images', Key: { id: S('a') } }));
  await s.server.streams.collectAll();
  const records = await readStream(arn);
  assert.deepEqual(
    records.map((r) => [r.eventName, r.dynamodb!.Keys, r.dynamodb!.OldImage, r.dynamodb!.NewImage]),
    [
      ['INSERT', { id: S('a') }, undefined, { id: S('a'), v: N(1) }],
      ['MODIFY', { id: S('a') }, { id: S('a'), v: N(1) }, { id: S('a'), v: N(2) }],
      ['REMOVE', { id: S('a') }, { id: S('a'), v: N(2) }, undefined],
    ],
  );
  const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
  assert.ok(seqs.every((q, i) => i === 0 || q > seqs[i - 1]), 'sequence numbers increase');
  for (const r of records) {
    assert.equal(r.eventSource, 'aws:dynamodb');
    assert.equal(r.awsRegion, 'us-east-1');
    assert.equal(r.dynamodb!.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(r.dynamodb!.SizeBytes! > 0);
    assert.ok(r.dynamodb!.ApproximateCreationDateTime instanceof Date);
  }
  const listed = await streams.send(new ListStreamsCommand({ TableName: 's-images' }));
  assert.deepEqual(listed.Streams!.map((x) => x.StreamArn), [arn]);
});

test('KEYS_ONLY and NEW_IMAGE streams carry only what their view type asks for; a transaction makes one record per item', async () => {
  const keysOnly = await createTable('s-keys', 'KEYS_ONLY');
  const newImage = await createTable('s-new', 'NEW_IMAGE');
  await s.client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: 's-keys', Item: { id: S('t1'), v: N(1) } } },
        { Put: { TableName: 's-new', Item: { id: S('t2'), v: N(2) } } },
        { Put: { TableName: 's-new', Item: { id: S('t3'), v: N(3) } } },
      ],
    }),
  );
  await s.server.streams.collectAll();
  const k = await readStream(keysOnly);
  assert.deepEqual(k.map((r) => [r.eventName, r.dynamodb!.Keys, r.dynamodb!.NewImage, r.dynamodb!.OldImage]), [['INSERT', { id: S('t1') }, undefined, undefined]]);
  const n = await readStream(newImage);
  assert.deepEqual(n.map((r) => r.dynamodb!.NewImage).sort((a, b) => a!.id.S!.localeCompare(b!.id.S!)), [{ id: S('t2'), v: N(2) }, { id: S('t3'), v: N(3) }]);
});

test('shard iterators: LATEST, AT_ and AFTER_SEQUENCE_NUMBER; bad iterators and sequence numbers are refused', async () => {
  const arn = await createTable('s-iter', 'NEW_IMAGE');
  for (const id of ['a', 'b', 'c']) await s.client.send(new PutItemCommand({ TableName: 's-iter', Item: { id: S(id) } }));
  await s.server.streams.collectAll();
  const [shard] = (await shardsOf(arn)).filter((x) => x.SequenceNumberRange?.EndingSequenceNumber === undefined);
  const all = (await readStream(arn)).map((r) => r.dynamodb!.SequenceNumber!);
  assert.equal(all.length, 3);
  const iterator = async (ShardIteratorType: 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER', SequenceNumber?: string) => {
    const out: string[] = [];
    for (const sh of await shardsOf(arn)) {
      // A sequence number of another shard is refused there.
      const first = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: sh.ShardId!, ShardIteratorType, ...(SequenceNumber ? { SequenceNumber } : {}) })).catch(() => null))?.ShardIterator;
      if (!first) continue;
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: first }));
      out.push(...(page.Records ?? []).map((r) => r.dynamodb!.SequenceNumber!));
    }
    return out;
  };
  const latest = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'LATEST' }))).ShardIterator!;
  assert.deepEqual((await streams.send(new GetRecordsCommand({ ShardIterator: latest }))).Records, []);
  await s.client.send(new PutItemCommand({ TableName: 's-iter', Item: { id: S('d') } }));
  await s.server.streams.collectAll();
  const afterLatest = (await streams.send(new GetRecordsCommand({ ShardIterator: latest }))).Records ?? [];
  const d = (await readStream(arn)).find((r) => r.dynamodb!.Keys!.id.S === 'd')!;
  if (d.dynamodb!.SequenceNumber! > (shard.SequenceNumberRange!.StartingSequenceNumber ?? '') && afterLatest.length > 0) assert.equal(afterLatest[0].dynamodb!.Keys!.id.S, 'd');
  assert.ok((await iterator('AT_SEQUENCE_NUMBER', all[1])).includes(all[1]));
  assert.ok(!(await iterator('AFTER_SEQUENCE_NUMBER', all[1])).includes(all[1]));
  await assert.rejects(streams.send(new GetRecordsCommand({ ShardIterator: 'not-an-iterator' })), { name: 'ValidationException' });
  await assert.rejects(streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'AT_SEQUENCE_NUMBER' })), { name: 'ValidationException' });
  await assert.rejects(streams.send(new DescribeStreamCommand({ StreamArn: `${arn}x` })), { name: 'ResourceNotFoundException' });
});

test('a disabled stream stays readable; enabling again makes a new stream; a TTL delete names the DynamoDB service', async () => {
  const first = await createTable('s-cycle', 'NEW_AND_OLD_IMAGES');
  await s.client.send(new PutItemCommand({ TableName: 's-cycle', Item: { id: S('x'), exp: N(Math.floor(Date.now() / 1000) - 60) } }));
  await s.client.send(new UpdateTimeToLiveCommand({ TableName: 's-cycle', TimeToLiveSpecification: { AttributeName: 'exp', Enabled: true } }));
  assert.equal((await s.server.ttl.sweepNow()).deleted, 1);
  await s.server.streams.collectAll();
  const records = await readStream(first);
  assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'REMOVE']);
  assert.deepEqual(records[1].userIdentity, { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' });
  assert.equal(records[0].userIdentity, undefined);
  await assert.rejects(s.client.send(new UpdateTableCommand({ TableName: 's-cycle', StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } })), {
    name: 'ValidationException',
    message: 'Table already has an enabled stream: TableName: s-cycle',
  });
  await s.client.send(new UpdateTableCommand({ TableName: 's-cycle', StreamSpecification: { StreamEnabled: false } }));
  const described = (await s.client.send(new DescribeTableCommand({ TableName: 's-cycle' }))).Table!;
  assert.equal(described.StreamSpecification, undefined);
  assert.equal(described.LatestStreamArn, first);
  await s.server.streams.collectAll();
  const old = await streams.send(new DescribeStreamCommand({ StreamArn: first }));
  assert.equal(old.StreamDescription!.StreamStatus, 'DISABLED');
  assert.ok(old.StreamDescription!.Shards!.every((x) => x.SequenceNumberRange!.EndingSequenceNumber !== undefined), 'its shards are closed');
  assert.deepEqual((await readStream(first)).map((r) => r.eventName), ['INSERT', 'REMOVE']);
  await assert.rejects(s.client.send(new UpdateTableCommand({ TableName: 's-cycle', StreamSpecification: { StreamEnabled: false } })), {
    name: 'ValidationException',
    message: 'Table has no stream to disable: TableName: s-cycle',
  });
  await new Promise((r) => setTimeout(r, 5)); // a later label (millisecond timestamps)
  await s.client.send(new UpdateTableCommand({ TableName: 's-cycle', StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } }));
  const second = (await s.client.send(new DescribeTableCommand({ TableName: 's-cycle' }))).Table!.LatestStreamArn!;
  assert.notEqual(second, first);
  const listed = (await streams.send(new ListStreamsCommand({ TableName: 's-cycle' }))).Streams!.map((x) => x.StreamArn).sort();
  assert.deepEqual(listed, [first, second].sort());
  // Deleting the table disables its stream; its records stay readable until they expire.
  await s.client.send(new DeleteTableCommand({ TableName: 's-cycle' }));
  await s.server.streams.collectAll();
  const gone = await streams.send(new DescribeStreamCommand({ StreamArn: second }));
  assert.equal(gone.StreamDescription!.StreamStatus, 'DISABLED');
  assert.ok(gone.StreamDescription!.Shards!.every((x) => x.SequenceNumberRange!.EndingSequenceNumber !== undefined), 'its shards are closed');
  assert.deepEqual((await readStream(first)).map((r) => r.eventName), ['INSERT', 'REMOVE']);
});

test('a reader following the shards through splits and a failover sees every change of each item once, in order, and replays the table', async () => {
  const arn = await createTable('s-lineage', 'NEW_AND_OLD_IMAGES');
  const r = seededRandom(7);
  const ids = Array.from({ length: 30 }, (_, i) => `k${i}`);
  const write = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const id = ids[Math.floor(r() * ids.length)];
      const roll = r();
      if (roll < 0.15) await s.client.send(new DeleteItemCommand({ TableName: 's-lineage', Key: { id: S(id) } }));
      else if (roll < 0.5) await s.client.send(new UpdateItemCommand({ TableName: 's-lineage', Key: { id: S(id) }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': N(1) } }));
      else await s.client.send(new PutItemCommand({ TableName: 's-lineage', Item: { id: S(id), v: N(Math.floor(r() * 1000)) } }));
    }
  };
  await write(60);
  await splitWidest(s.endpoint, 's-lineage');
  await write(60);
  await killAndRepair(s.endpoint, 1);
  await write(60);
  await splitWidest(s.endpoint, 's-lineage');
  await write(40);
  await s.server.streams.collectAll();
  const shards = await shardsOf(arn);
  assert.ok(shards.some((x) => x.ParentShardId !== undefined), 'a split opened child shards naming their parent');
  // Replaying the records in lineage order gives the table's final contents; each item's old image is what its previous record left.
  const replay = new Map<string, Record<string, AttributeValue>>();
  for (const rec of await readStream(arn)) {
    const id = rec.dynamodb!.Keys!.id.S!;
    assert.deepEqual(rec.dynamodb!.OldImage, replay.get(id), `the record of ${id} follows its previous one`);
    if (rec.eventName === 'REMOVE') replay.delete(id);
    else replay.set(id, rec.dynamodb!.NewImage!);
  }
  const table = new Map(((await s.client.send(new ScanCommand({ TableName: 's-lineage', ConsistentRead: true }))).Items ?? []).map((i) => [i.id.S!, i]));
  assert.deepEqual(new Map([...replay].sort()), new Map([...table].sort()));
});

const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;
const boto3Reader = `
import sys, json, boto3
streams = boto3.client("dynamodbstreams", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
arn = streams.list_streams(TableName=sys.argv[2])["Streams"][0]["StreamArn"]
out = []
for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    for record in streams.get_records(ShardIterator=it)["Records"]:
        out.append([record["eventName"], record["dynamodb"]["Keys"]["id"]["S"], record["dynamodb"].get("NewImage")])
print(json.dumps(sorted(out)))
`;

test("boto3's dynamodbstreams client reads a stream", { skip: !hasBoto3 && 'boto3 is not installed' }, async () => {
  await createTable('s-boto3', 'NEW_IMAGE');
  await s.client.send(new PutItemCommand({ TableName: 's-boto3', Item: { id: S('p1'), v: N(1) } }));
  await s.client.send(new PutItemCommand({ TableName: 's-boto3', Item: { id: S('p2'), v: N(2) } }));
  await s.server.streams.collectAll();
  const result = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', boto3Reader, s.endpoint, 's-boto3'], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
  assert.deepEqual(JSON.parse(result), [
    ['INSERT', 'p1', { id: { S: 'p1' }, v: { N: '1' } }],
    ['INSERT', 'p2', { id: { S: 'p2' }, v: { N: '2' } }],
  ]);
});
