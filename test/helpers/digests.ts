// Compares every replica of a table through POST /_monodyne/digests: after catch-up, the
// replicas of each partition must hold identical items (same count, same SHA-256 over every key
// and value). Requests are signed with the development credential, so this works whether the
// server verifies signatures or not.
import { createHash } from 'node:crypto';
import { signedFetch } from './server.ts';
import type { ReplicaDigest } from '../../src/control/control-messages.ts';

/** A replica's digest as the endpoint reports it: the node's own, plus which node it is on. */
export type ReplicaDigestView = ReplicaDigest & { node: number };

export interface DigestsView {
  tableName: string;
  partitions: Array<{ partition: number; hashRange: [number, number]; leader: number; replicas: number[] }>;
  digests: ReplicaDigestView[];
}

/** One partition once its replicas agree. */
export interface PartitionAgreement {
  partition: number;
  hashRange: [number, number];
  replicas: number[];
  items: number;
  sha256: string;
}

export async function digestsOf(endpoint: string, table: string): Promise<DigestsView> {
  const res = await signedFetch(endpoint, 'monodyne.Digests', JSON.stringify({ table }), { path: '/_monodyne/digests' });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`POST /_monodyne/digests answered ${res.status}: ${body}`);
  return JSON.parse(body) as DigestsView;
}

/**
 * Why the replicas of `view` do not agree yet, or null when every partition's replicas (all
 * of them, each following or leading, the map's leader leading) have applied the same whole log
 * and report the same item count and hash. Equal hashes alone are not enough: after a restart all replicas may hold the
 * same data while committed entries still wait in their logs for the new leader's first commit.
 */
export function disagreement(view: DigestsView): string | null {
  for (const p of view.partitions) {
    const digests = view.digests.filter((d) => d.pid === p.partition && p.replicas.includes(d.node));
    const nodes = digests.map((d) => d.node).sort((a, b) => a - b);
    const expected = p.replicas.slice().sort((a, b) => a - b);
    if (nodes.join() !== expected.join()) return `partition ${p.partition}: replicas ${expected.join()} expected, nodes ${nodes.join()} reported`;
    const notServing = digests.filter((d) => d.state !== 'following' && d.state !== 'leading');
    if (notServing.length > 0) return `partition ${p.partition}: ${notServing.map((d) => `node ${d.node} is ${d.state}`).join(', ')}`;
    if (digests.find((d) => d.node === p.leader)?.state !== 'leading') return `partition ${p.partition}: its leader, node ${p.leader}, is not leading (${digests.map((d) => `node ${d.node} ${d.state}`).join(', ')})`;
    const first = digests[0];
    if (digests.some((d) => d.applied !== d.last || d.last !== first.last)) {
      return `partition ${p.partition}: not caught up: ${digests.map((d) => `node ${d.node} (${d.state}) applied ${d.applied} of ${d.last}`).join('; ')}`;
    }
    if (digests.some((d) => d.items !== first.items || d.sha256 !== first.sha256)) {
      return `partition ${p.partition}: ${digests.map((d) => `node ${d.node} (${d.state}, applied ${d.applied}) has ${d.items} items, ${d.sha256.slice(0, 12)}`).join('; ')}`;
    }
  }
  return null;
}

/**
 * Polls the digests until every partition's replicas agree (catch-up is asynchronous) and
 * returns them; fails with the last disagreement once `timeoutMs` has passed.
 */
export async function replicasAgree(endpoint: string, table: string, timeoutMs = 30_000): Promise<PartitionAgreement[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await digestsOf(endpoint, table);
    const why = disagreement(view);
    if (why === null) {
      return view.partitions.map((p) => {
        const d = view.digests.find((r) => r.pid === p.partition && r.node === p.leader) ?? view.digests.find((r) => r.pid === p.partition)!;
        return { partition: p.partition, hashRange: p.hashRange, replicas: p.replicas, items: d.items, sha256: d.sha256 };
      });
    }
    if (Date.now() > deadline) throw new Error(`replicas of ${table} did not converge in ${timeoutMs} ms: ${why}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Items in the whole table, counting each partition once (its replicas agree). */
export function itemsIn(agreement: PartitionAgreement[]): number {
  return agreement.reduce((n, p) => n + p.items, 0);
}

/** The partition key's hash as DynamoDB (and DESIGN.md) define it: the first 32 bits of MD5, big-endian. */
export function hashOfKey(partitionKey: string): number {
  return createHash('md5').update(partitionKey, 'utf8').digest().readUInt32BE(0);
}

/**
 * Checks every partition's item count (which all its replicas share) against what was written
 * there: at least the acknowledged items, at most those acknowledged or of unknown outcome.
 * Each list holds one partition key (a string) per distinct item; returns the problems found.
 */
export function countsOutsideBounds(agreement: PartitionAgreement[], acknowledged: Iterable<string>, attempted: Iterable<string>): string[] {
  const inPartition = (keys: Iterable<string>): number[] => {
    const counts = agreement.map(() => 0);
    for (const key of keys) {
      const hash = hashOfKey(key);
      const at = agreement.findIndex((p) => hash >= p.hashRange[0] && hash < p.hashRange[1]);
      if (at < 0) throw new Error(`no partition holds hash ${hash} (key ${key})`);
      counts[at]++;
    }
    return counts;
  };
  const least = inPartition(acknowledged);
  const most = inPartition(attempted);
  const problems: string[] = [];
  agreement.forEach((p, i) => {
    if (p.items < least[i] || p.items > most[i]) problems.push(`partition ${p.partition}: each replica has ${p.items} items, expected ${least[i]}..${most[i]}`);
  });
  return problems;
}
