// Checks that a secondary index is exactly the projection of its table: every item that has the
// index's key attributes is in it once, as the index projects it, and nothing else is.
import assert from 'node:assert/strict';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export interface IndexDef {
  name: string;
  kind: 'GSI' | 'LSI';
  keys: Array<{ name: string; type: 'S' | 'N'; role: 'HASH' | 'RANGE' }>;
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  include?: string[];
}

/** A value as a string that is the same for equal values (object keys sorted). */
export function canon(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function keyOf(item: Item, tableKeys: readonly string[]): string {
  return tableKeys.map((k) => canon(item[k])).join('|');
}

/** The item as the index holds it, or null when it is not in the index (a key attribute missing or of another type). */
export function projectOnto(item: Item, index: IndexDef, tableKeys: readonly string[]): Item | null {
  for (const k of index.keys) if (item[k.name] === undefined || !(k.type in item[k.name])) return null;
  if (index.projection === 'ALL') return item;
  const out: Item = {};
  for (const name of [...tableKeys, ...index.keys.map((k) => k.name), ...(index.include ?? [])]) if (item[name] !== undefined) out[name] = item[name];
  return out;
}

export async function scanAllOf(client: DynamoDBClient, input: { TableName: string; IndexName?: string; ConsistentRead?: boolean }, limit: number): Promise<Item[]> {
  const out: Item[] = [];
  let esk: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ ...input, Limit: limit, ExclusiveStartKey: esk }));
    out.push(...((page.Items ?? []) as Item[]));
    esk = page.LastEvaluatedKey as Item | undefined;
  } while (esk !== undefined);
  return out;
}

/** What is wrong with `scanned` as the index `index` of a table holding `tableItems` (empty: nothing). */
export function indexProblems(tableItems: readonly Item[], tableKeys: readonly string[], index: IndexDef, scanned: readonly Item[]): string[] {
  const expected = new Map<string, string>();
  for (const item of tableItems) {
    const projected = projectOnto(item, index, tableKeys);
    if (projected !== null) expected.set(keyOf(item, tableKeys), canon(projected));
  }
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const entry of scanned) {
    const key = keyOf(entry, tableKeys);
    if (seen.has(key)) problems.push(`duplicate ${key}`);
    seen.set(key, canon(entry));
  }
  for (const [key, want] of expected) {
    const got = seen.get(key);
    if (got === undefined) problems.push(`missing ${key}: ${want}`);
    else if (got !== want) problems.push(`stale ${key}: index has ${got}, table projects to ${want}`);
  }
  for (const [key, got] of seen) if (!expected.has(key)) problems.push(`extra ${key}: ${got}`);
  return problems;
}

/**
 * Scans `index` `rounds` times with `parallel` scans at once (eventually consistent reads go to
 * the least busy replica, so concurrent scans read different replicas), plus once consistently
 * for an LSI, and checks each against the table. Returns how many scans were checked.
 */
export async function checkIndexOf(client: DynamoDBClient, table: string, tableKeys: readonly string[], tableItems: readonly Item[], index: IndexDef, rounds = 2, parallel = 3): Promise<number> {
  let scans = 0;
  const check = (scanned: Item[], how: string) => {
    const problems = indexProblems(tableItems, tableKeys, index, scanned);
    assert.deepEqual(problems.slice(0, 10), [], `${how} scan of ${table} index ${index.name}: ${problems.length} problems (${scanned.length} entries read)`);
    scans++;
  };
  if (index.kind === 'LSI') check(await scanAllOf(client, { TableName: table, IndexName: index.name, ConsistentRead: true }, 41), 'a consistent');
  for (let round = 0; round < rounds; round++) {
    const results = await Promise.all(Array.from({ length: parallel }, (_, i) => scanAllOf(client, { TableName: table, IndexName: index.name }, 29 + 10 * i)));
    for (const r of results) check(r, 'an eventually consistent');
  }
  return scans;
}
