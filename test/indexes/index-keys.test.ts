// The pure parts of secondary indexes: entry keys order as DynamoDB orders an index (index key,
// then the table's key), a Query's key range selects exactly the entries its condition holds for
// (checked against brute force over seeded random values, long values included), projections,
// index key checks, and the log entry fields indexes add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gsiEntryKey, gsiPartitionPrefix, lsiEntryKey, lsiPartitionPrefix, outboxKey, isOutboxKey, projectForIndex, checkIndexKeys, sameItem } from '../../src/indexes/index-entries.ts';
import { indexKeyRange } from '../../src/indexes/index-range.ts';
import { ProjectionCode, type IndexSpec, type IndexSpecEntry } from '../../src/indexes/index-spec.ts';
import { encodeItemKey, encodeHashPrefix, partitionKeyHash32 } from '../../src/storage/key-encoding.ts';
import { decodeLogEntry, encodeLogEntry, type LogEntry } from '../../src/replication/log-entry.ts';
import { compareOrdered as compareValues } from '../../src/expressions/attribute-ops.ts';
import type { SortKeyOperator } from '../../src/expressions/key-condition.ts';
import type { AttributeValue, Item } from '../../src/values/types.ts';
import { seededRandom } from '../helpers/prng.ts';

const rng = seededRandom;

const gsi: IndexSpecEntry = { g: true, n: 'g', h: ['gp'], ht: ['S'], r: ['gs'], rt: ['S'], p: ProjectionCode.KEYS_ONLY, a: [] };
const gsiN: IndexSpecEntry = { g: true, n: 'gn', h: ['gp'], ht: ['S'], r: ['num'], rt: ['N'], p: ProjectionCode.INCLUDE, a: ['x'] };
const multi: IndexSpecEntry = { g: true, n: 'm', h: ['a', 'b'], ht: ['S', 'N'], r: ['c', 'd'], rt: ['S', 'N'], p: ProjectionCode.ALL, a: [] };
const lsi: IndexSpecEntry = { g: false, n: 'l', h: ['pk'], ht: ['S'], r: ['ls'], rt: ['S'], p: ProjectionCode.KEYS_ONLY, a: [] };
const spec: IndexSpec = { tk: ['pk', 'sk'], ix: [gsi, gsiN, multi, lsi] };

function tableKey(item: Item): Uint8Array {
  return encodeItemKey(partitionKeyHash32(item.pk), item.pk, item.sk);
}

/** A string value: mostly short, sometimes past the index sort key's kept prefix (366 bytes). */
function text(r: () => number, long: boolean): string {
  const alphabet = 'ab\u0000é';
  const length = long && r() < 0.3 ? 360 + Math.floor(r() * 20) : Math.floor(r() * 4);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(r() * alphabet.length)];
  return out;
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

test('GSI entries of one index partition key sort by index sort key, then by the table key', () => {
  const r = rng(1);
  const items: Item[] = [];
  for (let i = 0; i < 300; i++) items.push({ pk: { S: text(r, false) + i }, sk: { N: String(Math.floor(r() * 5)) }, gp: { S: 'same' }, gs: { S: text(r, false) } });
  const keyed = items.map((item) => ({ item, key: gsiEntryKey(gsi, item, tableKey(item))! }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  const prefix = gsiPartitionPrefix(gsi, [{ S: 'same' }]).prefix;
  for (let i = 1; i < keyed.length; i++) {
    const a = keyed[i - 1];
    const b = keyed[i];
    assert.ok(Buffer.from(b.key).subarray(0, prefix.length).equals(Buffer.from(prefix)));
    const bySort = compareValues(a.item.gs, b.item.gs);
    assert.ok(bySort <= 0, `index sort key out of order at ${i}`);
    if (bySort === 0) {
      const byTable = compareValues(a.item.pk, b.item.pk) || compareValues(a.item.sk, b.item.sk);
      assert.ok(byTable < 0, 'same index key: the table key (partition key, then sort key) orders');
    }
  }
});

test('an item without an index key attribute, or with one of another type, is not in the index', () => {
  const base: Item = { pk: { S: 'p' }, sk: { N: '1' }, gp: { S: 'x' } };
  assert.equal(gsiEntryKey(gsi, base, tableKey(base)), null);
  assert.equal(gsiEntryKey(gsi, { ...base, gs: { N: '1' } }, tableKey(base)), null);
  assert.notEqual(gsiEntryKey(gsi, { ...base, gs: { S: 's' } }, tableKey(base)), null);
  assert.equal(gsiEntryKey(multi, { ...base, a: { S: 'a' }, b: { N: '1' }, c: { S: 'c' } }, tableKey(base)), null, 'one of two sort key attributes missing');
});

const ops: SortKeyOperator[] = ['=', '<', '<=', '>', '>=', 'BETWEEN', 'BEGINS_WITH'];

function holds(op: SortKeyOperator, v: AttributeValue, values: AttributeValue[]): boolean {
  const c = compareValues(v, values[0]);
  switch (op) {
    case '=':
      return c === 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case 'BETWEEN':
      return c >= 0 && compareValues(v, values[1]) <= 0;
    case 'BEGINS_WITH':
      return (v as { S: string }).S.startsWith((values[0] as { S: string }).S);
  }
}

function inRange(key: Uint8Array, range: ReturnType<typeof indexKeyRange>): boolean {
  const lo = compareKeys(key, range.lo);
  if (lo < 0 || (lo === 0 && !range.loInc)) return false;
  if (range.hi !== null) {
    const hi = compareKeys(key, range.hi);
    if (hi > 0 || (hi === 0 && !range.hiInc)) return false;
  }
  return Buffer.from(key).subarray(0, range.pre.length).equals(Buffer.from(range.pre));
}

test('a Query range holds every entry its sort key condition selects (long values: a superset the node re-checks)', () => {
  const r = rng(7);
  for (let round = 0; round < 40; round++) {
    const items: Item[] = [];
    for (let i = 0; i < 80; i++) items.push({ pk: { S: `p${i}` }, sk: { N: '0' }, gp: { S: r() < 0.8 ? 'h' : 'other' }, gs: { S: text(r, true) } });
    const op = ops[Math.floor(r() * ops.length)];
    const values: AttributeValue[] = [{ S: text(r, true) }];
    if (op === 'BETWEEN') {
      values.push({ S: text(r, true) });
      if (compareValues(values[0], values[1]) > 0) values.reverse();
    }
    const range = indexKeyRange(gsiPartitionPrefix(gsi, [{ S: 'h' }]).prefix, gsi, [], { op, values });
    for (const item of items) {
      const key = gsiEntryKey(gsi, item, tableKey(item))!;
      const want = (item.gp as { S: string }).S === 'h' && holds(op, item.gs, values);
      const long = [item.gs, ...values].some((v) => Buffer.byteLength((v as { S: string }).S) > 300);
      if (want) assert.ok(inRange(key, range), `round ${round}: ${op} missed an entry`);
      else if (!long) assert.ok(!inRange(key, range), `round ${round}: ${op} took an entry it should not`);
    }
  }
});

test('numbers, multi-attribute keys and LSIs: ranges select exactly', () => {
  const r = rng(11);
  const numbers = Array.from({ length: 60 }, () => (r() < 0.5 ? -1 : 1) * Math.floor(r() * 1000) / 10);
  for (const op of ops.filter((o) => o !== 'BEGINS_WITH')) {
    const values: AttributeValue[] = op === 'BETWEEN' ? [{ N: '-20' }, { N: '30.5' }] : [{ N: '12.3' }];
    const range = indexKeyRange(gsiPartitionPrefix(gsiN, [{ S: 'h' }]).prefix, gsiN, [], { op, values });
    numbers.forEach((n, i) => {
      const item: Item = { pk: { S: `p${i}` }, sk: { N: '1' }, gp: { S: 'h' }, num: { N: String(n) } };
      assert.equal(inRange(gsiEntryKey(gsiN, item, tableKey(item))!, range), holds(op, item.num, values), `${op} ${n}`);
    });
  }
  // a = 'x' AND b = 2 AND c = 'k' AND d > 5
  const mrange = indexKeyRange(gsiPartitionPrefix(multi, [{ S: 'x' }, { N: '2' }]).prefix, multi, [{ S: 'k' }], { op: '>', values: [{ N: '5' }] });
  for (const [a, b, c, d, want] of [['x', 2, 'k', 6, true], ['x', 2, 'k', 5, false], ['x', 2, 'kk', 9, false], ['x', 3, 'k', 9, false], ['y', 2, 'k', 9, false]] as const) {
    const item: Item = { pk: { S: `${a}${b}${c}${d}` }, sk: { N: '1' }, a: { S: a }, b: { N: String(b) }, c: { S: c }, d: { N: String(d) } };
    assert.equal(inRange(gsiEntryKey(multi, item, tableKey(item))!, mrange), want, `${a} ${b} ${c} ${d}`);
  }
  const lrange = indexKeyRange(lsiPartitionPrefix(lsi, encodeHashPrefix(partitionKeyHash32({ S: 'p' })), { S: 'p' }), lsi, [], { op: 'BEGINS_WITH', values: [{ S: 'ab' }] });
  for (const [ls, want] of [['ab', true], ['abc', true], ['a', false], ['b', false]] as const) {
    const item: Item = { pk: { S: 'p' }, sk: { N: ls.length.toString() }, ls: { S: ls } };
    assert.equal(inRange(lsiEntryKey(lsi, item, tableKey(item), 'pk')!, lrange), want, ls);
  }
});

test('projections keep the keys of the table and the index, plus INCLUDE attributes or everything', () => {
  const item: Item = { pk: { S: 'p' }, sk: { N: '1' }, gp: { S: 'g' }, gs: { S: 's' }, num: { N: '3' }, x: { BOOL: true }, y: { S: 'no' } };
  assert.deepEqual(Object.keys(projectForIndex(spec, gsi, item)).sort(), ['gp', 'gs', 'pk', 'sk']);
  assert.deepEqual(Object.keys(projectForIndex(spec, gsiN, item)).sort(), ['gp', 'num', 'pk', 'sk', 'x']);
  assert.equal(projectForIndex(spec, multi, item), item);
  assert.ok(sameItem({ a: { S: '1' }, b: { N: '2' } }, { b: { N: '2.0' }, a: { S: '1' } }));
  assert.ok(!sameItem({ a: { S: '1' } }, { a: { S: '1' }, b: { N: '2' } }));
});

test('index key checks: type, emptiness and size, naming the alphabetically first index', () => {
  const both: IndexSpec = { tk: ['pk'], ix: [{ ...gsi, n: 'zeta' }, { ...gsi, n: 'alpha' }] };
  assert.throws(() => checkIndexKeys(both, { pk: { S: 'p' }, gp: { N: '1' } }, 'item'), { message: 'One or more parameter values were invalid: Type mismatch for Index Key gp Expected: S Actual: N IndexName: alpha' });
  assert.throws(() => checkIndexKeys(both, { pk: { S: 'p' }, gs: { S: '' } }, 'update'), { message: /update expression attempted to update a secondary index key.*IndexName: alpha, IndexKey: gs/ });
  assert.throws(() => checkIndexKeys(both, { pk: { S: 'p' }, gs: { S: 'x'.repeat(1025) } }, 'item'), { message: /range keys has exceeded the size limit of 1024 bytes/ });
  checkIndexKeys(both, { pk: { S: 'p' }, other: { N: '1' } }, 'item');
});

test("outbox keys: an item's records sort in the order of their log positions, across a split to higher partition ids", () => {
  const k = tableKey({ pk: { S: 'p' }, sk: { N: '1' } } as Item);
  const keys = [outboxKey('idx', k, 3, 900), outboxKey('idx', k, 3, 1000), outboxKey('idx', k, 7, 1)];
  for (const key of keys) assert.ok(isOutboxKey(key));
  assert.deepEqual([...keys].sort(compareKeys), keys);
  assert.ok(!isOutboxKey(lsiEntryKey(lsi, { pk: { S: 'p' }, sk: { N: '1' }, ls: { S: 'a' } }, k, 'pk')!));
  const long = tableKey({ pk: { S: 'p'.repeat(1000) }, sk: { S: 's'.repeat(1000) } } as Item);
  assert.ok(outboxKey('x'.repeat(200), long, 1, 1).length <= 1978);
});

test('log entries carry an index spec, outbox acknowledgements and a backfill index', () => {
  const entry: LogEntry = { e: 2, i: 9, m: [{ k: new Uint8Array([1, 2, 3, 4, 5]), b: new Uint8Array([0, 0, 0, 1, 0xa0]), o: new Uint8Array([0, 0, 0, 1, 0xa0]), d: 0, z: 0 }], w: null, a: null, x: new Uint8Array([9, 8, 7]), oa: [new Uint8Array([1]), new Uint8Array([2, 3])], rx: 'new-index' };
  const back = decodeLogEntry(encodeLogEntry(entry));
  assert.deepEqual(Buffer.from(back.x!), Buffer.from([9, 8, 7]));
  assert.deepEqual(back.oa!.map((k) => [...k]), [[1], [2, 3]]);
  assert.equal(back.rx, 'new-index');
  const plain = decodeLogEntry(encodeLogEntry({ e: 1, i: 1, m: [], w: null, a: null }));
  assert.equal(plain.x, undefined);
  assert.equal(plain.oa, undefined);
  assert.equal(plain.rx, undefined);
});
