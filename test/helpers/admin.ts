// The admin endpoints as fault tests use them: the partition view, faults (kill a storage node,
// split a partition), and waiting for the repairs they cause.
import assert from 'node:assert/strict';

export interface PartitionView {
  tables: Array<{ tableName: string; partitions: Array<{ partition: number; leader: number; replicas: number[]; hashRange: [number, number]; logIndex: number | null; committed: number | null }> }>;
  nodes: Array<{ node: number; alive: boolean }>;
  failovers: Array<{ node: number; repairedAt: number | null }>;
}

export async function partitionsOf(endpoint: string): Promise<PartitionView> {
  return (await (await fetch(`${endpoint}/_monodyne/partitions`, { signal: AbortSignal.timeout(20_000) })).json()) as PartitionView;
}

export async function faultOn(endpoint: string, body: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${endpoint}/_monodyne/faults`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

export async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function fullyReplicated(endpoint: string): Promise<boolean> {
  const view = await partitionsOf(endpoint);
  return view.nodes.every((n) => n.alive) && view.tables.every((t) => t.partitions.every((p) => p.replicas.length === 3));
}

/** Kills storage node `worker` and waits until the failover it causes is repaired (every replica rebuilt). */
export async function killAndRepair(endpoint: string, worker: number): Promise<void> {
  await waitFor(() => fullyReplicated(endpoint), 30_000, 'replication factor 3');
  const before = (await partitionsOf(endpoint)).failovers.length;
  await faultOn(endpoint, { action: 'kill', worker });
  await waitFor(
    async () => {
      const f = (await partitionsOf(endpoint)).failovers;
      return f.length > before && f[f.length - 1].repairedAt !== null;
    },
    60_000,
    `repair after killing node ${worker}`,
  );
  await waitFor(() => fullyReplicated(endpoint), 30_000, `replication factor 3 after killing node ${worker}`);
}

/** Splits the widest partition of `table` (a user's table or a GSI's hidden table `table/index`). */
export async function splitWidest(endpoint: string, table: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await waitFor(() => fullyReplicated(endpoint), 30_000, 'replication factor 3');
    const parts = (await partitionsOf(endpoint)).tables.find((t) => t.tableName === table)?.partitions;
    assert.ok(parts !== undefined, `GET /_monodyne/partitions does not list ${table}`);
    const widest = parts.reduce((a, b) => (b.hashRange[1] - b.hashRange[0] > a.hashRange[1] - a.hashRange[0] ? b : a));
    // A split that lost a race with a leader change says false: asked again.
    if (((await faultOn(endpoint, { action: 'split', table, partition: widest.partition })) as { split: boolean }).split) return;
  }
  assert.fail(`${table} would not split`);
}

/** Waits until the table's global indexes hold every change written so far (POST /_monodyne/indexes/drain). */
export async function drainIndexes(endpoint: string, table: string): Promise<void> {
  const res = await fetch(`${endpoint}/_monodyne/indexes/drain`, { method: 'POST', body: JSON.stringify({ table }), signal: AbortSignal.timeout(60_000) });
  if (res.status !== 200) throw new Error(`draining the indexes of ${table}: ${res.status} ${await res.text()}`);
}
