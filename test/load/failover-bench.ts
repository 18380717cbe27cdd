// Failover figures: kills a storage node ≥ 20 times under a write load and measures (1) the
// time from the kill to the first successful write to each partition the node led, and
// (2) the time until every partition has three replicas again. Run: npm run bench:failover
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { clientFor, startTestServer } from '../helpers/server.ts';
import { partitionKeyHash32 } from '../../src/storage/key-encoding.ts';
import { loadDefaults } from '../../src/server/config.ts';

const kills = Number(process.env.KILLS ?? 20);

interface View {
  tables: Array<{ partitions: Array<{ partition: number; leader: number; replicas: number[]; hashRange: [number, number] }> }>;
  nodes: Array<{ alive: boolean }>;
  failovers: Array<{ node: number; detectedAt: number; leadersMovedAt: number | null; repairedAt: number | null }>;
}

const server = await startTestServer((c) => {
  c.faults.enabled = true;
  c.tables.initialPartitions = 6;
});
const client = clientFor(server.endpoint, 1);
const view = async (): Promise<View> => (await (await fetch(`${server.endpoint}/_monodyne/partitions`)).json()) as View;
await client.send(new CreateTableCommand({ TableName: 'bench', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));

// One key per partition, so each writer below exercises exactly one partition.
const partitionsOf = (await view()).tables[0].partitions;
const keyFor = new Map<number, string>();
for (let i = 0; keyFor.size < partitionsOf.length; i++) {
  const key = `k${i}`;
  const hash = partitionKeyHash32({ S: key });
  const p = partitionsOf.find((q) => hash >= q.hashRange[0] && hash < q.hashRange[1])!;
  if (!keyFor.has(p.partition)) keyFor.set(p.partition, key);
}

// Writers record every success with its invocation and completion times.
const successes = new Map<number, Array<{ invokedAt: number; completedAt: number }>>();
let stop = false;
let errors = 0;
const writers = [...keyFor].map(async ([pid, key]) => {
  successes.set(pid, []);
  for (let n = 0; !stop; n++) {
    const invokedAt = Date.now();
    try {
      await client.send(new PutItemCommand({ TableName: 'bench', Item: { pk: { S: key }, n: { N: String(n) } } }));
      successes.get(pid)!.push({ invokedAt, completedAt: Date.now() });
    } catch {
      errors++;
    }
  }
});

const toFirstWrite: number[] = [];
const toFullReplication: number[] = [];
for (let k = 0; k < kills; k++) {
  for (;;) {
    const v = await view();
    if (v.nodes.every((n) => n.alive) && v.tables[0].partitions.every((p) => p.replicas.length === 3)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  const v = await view();
  const victim = k % 3;
  const led = v.tables[0].partitions.filter((p) => p.leader === victim).map((p) => p.partition);
  const failoversBefore = v.failovers.length;
  const killedAt = Date.now();
  await fetch(`${server.endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify({ action: 'kill', worker: victim }) });
  // Wait for repair to finish, then read off the figures.
  let record: View['failovers'][number] | undefined;
  for (;;) {
    const after = await view();
    record = after.failovers[failoversBefore];
    if (record?.repairedAt) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  let worst = 0;
  for (const pid of led) {
    const first = successes.get(pid)!.find((s) => s.invokedAt >= killedAt);
    if (first === undefined) throw new Error(`no write to partition ${pid} succeeded after kill ${k}`);
    worst = Math.max(worst, first.completedAt - killedAt);
  }
  toFirstWrite.push(worst);
  toFullReplication.push(record!.repairedAt! - killedAt);
  console.log(`kill ${k + 1}: node ${victim} (led ${led.length} partitions): first write after ${worst} ms, replication factor 3 after ${record!.repairedAt! - killedAt} ms`);
}
stop = true;
await Promise.all(writers);

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1], min: sorted[0] };
};
// A kill ends the node's thread, which is failed over at once; the hang bounds are shown for reference.
const { heartbeatIntervalMs, hungNodeMs, commitStallMaxMs } = loadDefaults().failover;
const result = { kills, heartbeatIntervalMs, hungNodeMs, commitStallMaxMs, killToFirstWriteMs: stats(toFirstWrite), killToFullReplicationMs: stats(toFullReplication), clientErrors: errors };
console.log(JSON.stringify(result, null, 2));
client.destroy();
await server.stop();
