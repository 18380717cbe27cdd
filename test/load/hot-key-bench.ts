// Hot key: one partition key hammered as fast as clients can, on a PROVISIONED table, while
// other partitions of the same table get a steady load within their share. Shows the hot key
// held to its partition's rate (plus what adaptive capacity lends) and the others unaffected.
// Run: npm run bench:hotkey  (HOTKEY_SECONDS, HOTKEY_WCU, HOTKEY_ADAPTIVE=0|1)
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer } from '../helpers/server.ts';
import { partitionKeyHash32 } from '../../src/storage/key-encoding.ts';

const seconds = Number(process.env.HOTKEY_SECONDS ?? 10);
const tableWcu = Number(process.env.HOTKEY_WCU ?? 300);
const adaptive = process.env.HOTKEY_ADAPTIVE === '1';

const server = await startTestServer((c) => {
  c.capacity.burstSeconds = 0; // no stored burst: the sustained rate is what shows
  c.capacity.adaptive = adaptive;
  c.splits.enabled = false;
});
const client = clientFor(server.endpoint, 1);
await client.send(
  new CreateTableCommand({
    TableName: 'hotkey',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: tableWcu },
  }),
);
const view = (await (await fetch(`${server.endpoint}/_monodyne/partitions`)).json()) as { tables: Array<{ partitions: Array<{ partition: number; hashRange: [number, number] }> }> };
const partitions = view.tables[0].partitions;
const partitionOf = (key: string) => {
  const h = partitionKeyHash32({ S: key });
  return partitions.find((p) => h >= p.hashRange[0] && h < p.hashRange[1])!.partition;
};
const hotKey = 'the-hot-key';
const hotPartition = partitionOf(hotKey);
// Keys of the other partitions.
const coldKeys: string[] = [];
for (let i = 0; coldKeys.length < 50; i++) if (partitionOf(`cold-${i}`) !== hotPartition) coldKeys.push(`cold-${i}`);
const share = tableWcu / partitions.length;
const coldRate = share * 0.5; // per cold partition count: well within their share

let stop = false;
const hot = { ok: 0, throttled: 0 };
const cold = { ok: 0, throttled: 0, offered: 0 };
const hotLoops = Array.from({ length: 8 }, async () => {
  while (!stop) {
    try {
      await client.send(new PutItemCommand({ TableName: 'hotkey', Item: { pk: { S: hotKey } } }));
      hot.ok++;
    } catch (err) {
      if ((err as Error).name !== 'ProvisionedThroughputExceededException') throw err;
      hot.throttled++;
    }
  }
});
// Cold writers: a paced load totalling coldRate writes/s per other partition.
const otherPartitions = partitions.length - 1;
const coldLoop = (async () => {
  const intervalMs = 1000 / (coldRate * otherPartitions);
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; !stop; n++) {
    const due = started + n * intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    cold.offered++;
    inFlight.push(
      client.send(new PutItemCommand({ TableName: 'hotkey', Item: { pk: { S: coldKeys[n % coldKeys.length] } } })).then(
        () => void cold.ok++,
        (err: Error) => {
          if (err.name !== 'ProvisionedThroughputExceededException') throw err;
          cold.throttled++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
})();
const started = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
stop = true;
await Promise.all([...hotLoops, coldLoop]);
const elapsed = (Date.now() - started) / 1000;
const result = {
  seconds: Math.round(elapsed * 10) / 10,
  tableWriteCapacityUnits: tableWcu,
  partitions: partitions.length,
  partitionShareUnitsPerSecond: share,
  adaptiveCapacity: adaptive,
  hotKey: { admittedPerSecond: Math.round(hot.ok / elapsed), throttledPerSecond: Math.round(hot.throttled / elapsed), ratioToShare: Math.round((hot.ok / elapsed / share) * 100) / 100 },
  otherPartitions: { offeredPerSecond: Math.round(cold.offered / elapsed), admittedPerSecond: Math.round(cold.ok / elapsed), throttled: cold.throttled },
};
console.log(JSON.stringify(result, null, 2));
client.destroy();
await server.stop();
