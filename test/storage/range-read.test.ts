// readRange on a real LMDB database: pages stop before their JSON passes the request's budget
// (counted in UTF-8 bytes), a page's first item is returned whatever its size, and a client that
// pages on LastEvaluatedKey gets every item exactly once, in order, in both directions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { pageJson, readRange, type RangePage } from '../../src/storage/range-read.ts';
import { SteppedPage } from '../../src/storage/stepped-range.ts';
import { encodeStoredItem } from '../../src/storage/stored-item.ts';
import { encodeItemKey, partitionKeyHash32, sortKeyRange } from '../../src/storage/key-encoding.ts';
import { itemSizeBytes } from '../../src/validation/attribute-values.ts';
import { Op, type RangeExpressions, type RangeRequest } from '../../src/storage/messages.ts';
import type { AttributeValue, Item } from '../../src/values/types.ts';

const pk: AttributeValue = { S: 'p' };
const hash32 = partitionKeyHash32(pk);
let dir: string;
let root: RootDatabase;
let data: Database<Buffer, Buffer>;
/** Every item in the database, in sort key order. */
const items: Item[] = [];

/** A deterministic mix of ASCII, control characters (6 JSON bytes each) and 3-byte characters. */
function valueOf(i: number): string {
  const length = 20 + ((i * 7919) % 600);
  const alphabet = ['a', '\u0001', '€', '"', 'z'];
  let text = '';
  for (let j = 0; j < length; j++) text += alphabet[(i + j * j) % alphabet.length];
  return text;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'monodyne-range-read-'));
  root = open({ path: dir });
  data = root.openDB<Buffer, Buffer>({ name: 'd', keyEncoding: 'binary', encoding: 'binary' });
  for (let i = 0; i < 60; i++) {
    const sk = `k${String(i).padStart(3, '0')}`;
    // Every third item is wide, so that budgets cut pages at varying places.
    const item: Item = { pk, sk: { S: sk }, s: { S: i % 3 === 0 ? valueOf(i).repeat(4) : valueOf(i) }, n: { N: String(i) } };
    items.push(item);
    await data.put(Buffer.from(encodeItemKey(hash32, pk, { S: sk })), Buffer.from(encodeStoredItem(item, itemSizeBytes(item))));
  }
});

after(async () => {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
});

interface PageOptions {
  jm: number;
  rev?: boolean;
  lim?: number;
  max?: number;
  x?: RangeExpressions | null;
  cnt?: boolean;
}

function request(options: PageOptions, startAfter: Item | null): RangeRequest {
  const range = sortKeyRange(hash32, pk);
  let lo = range.start;
  let loInc = range.startInclusive;
  let hi = range.end ?? null;
  let hiInc = range.endInclusive;
  if (startAfter !== null) {
    const key = encodeItemKey(hash32, pk, startAfter.sk);
    if (options.rev) {
      hi = key;
      hiInc = false;
    } else {
      lo = key;
      loInc = false;
    }
  }
  return {
    id: 1, op: Op.Query, t: 't', p: 0, v: 0,
    lo, loInc, hi, hiInc, pre: range.prefix ?? null, rev: options.rev === true,
    lim: options.lim ?? 0, max: options.max ?? 1024 * 1024, jm: options.jm, c: false,
    kn: ['pk', 'sk'], x: options.x ?? null, cnt: options.cnt === true,
  };
}

/** Pages through the partition as a client does; returns the pages. */
function pageThrough(options: PageOptions): RangePage[] {
  const pages: RangePage[] = [];
  let last: Item | null = null;
  for (let n = 0; n < 1000; n++) {
    const page = readRange(data, request(options, last));
    pages.push(page);
    last = page.last;
    if (last === null) return pages;
  }
  throw new Error('paging did not end');
}

function pageItems(page: RangePage): Item[] {
  return JSON.parse(pageJson(page)) as Item[];
}

function sortKeys(list: Item[]): string[] {
  return list.map((i) => (i.sk as { S: string }).S);
}

test('with a budget no page reaches, one page holds every item', () => {
  const pages = pageThrough({ jm: 64 * 1024 * 1024 });
  assert.equal(pages.length, 1);
  assert.deepEqual(pageItems(pages[0]), items);
  assert.equal(pages[0].last, null);
});

test('pages stop before their JSON passes the budget; paging returns every item once, in order, both ways', () => {
  const jsonSizes = items.map((i) => Buffer.byteLength(JSON.stringify(i), 'utf8'));
  const largest = Math.max(...jsonSizes);
  for (const jm of [0, 1, 100, largest - 1, largest, largest + 1, 2 * largest, 3000, 7777, 20_000]) {
    for (const rev of [false, true]) {
      const pages = pageThrough({ jm, rev });
      const got = pages.flatMap(pageItems);
      const expected = rev ? items.slice().reverse() : items;
      assert.deepEqual(sortKeys(got), sortKeys(expected), `jm ${jm} rev ${rev}: every item once, in order`);
      assert.deepEqual(got, expected);
      for (const page of pages) {
        const bytes = Buffer.byteLength(pageJson(page), 'utf8');
        // A page over its budget holds one item: the first, which is always returned (or none: "[]").
        if (bytes > jm) assert.ok(page.count <= 1, `jm ${jm}: a ${bytes}-byte page of ${page.count} items`);
        assert.equal(page.scanned, page.count);
      }
      // The budget is used: a page ends only when the next item would not have fitted.
      for (let p = 0; p + 1 < pages.length; p++) {
        const next = pageItems(pages[p + 1])[0];
        if (next === undefined) continue;
        const bytes = Buffer.byteLength(pageJson(pages[p]), 'utf8') + 1 + Buffer.byteLength(JSON.stringify(next), 'utf8');
        assert.ok(bytes > jm || Buffer.byteLength(pageJson(pages[p]), 'utf8') >= jm, `jm ${jm}: page ${p} ended although the next item fitted`);
      }
    }
  }
});

test('an item larger than the whole budget comes alone, and paging goes on after it', () => {
  const wide = items.findIndex((_, i) => i % 3 === 0 && i > 0);
  const start = items[wide - 1];
  const page = readRange(data, request({ jm: 10 }, start));
  assert.equal(page.count, 1);
  assert.deepEqual(pageItems(page), [items[wide]]);
  assert.deepEqual(page.last, { pk, sk: items[wide].sk });
});

test('a filter: the page ends after the last item read, filtered out or not, and nothing is lost', () => {
  const x: RangeExpressions = { FilterExpression: 'contains(s, :c)', ExpressionAttributeValues: { ':c': { S: '€' } } };
  const matching = items.filter((i) => (i.s as { S: string }).S.includes('€'));
  assert.ok(matching.length > 5 && matching.length < items.length);
  for (const jm of [1, 2000, 5000]) {
    for (const rev of [false, true]) {
      const pages = pageThrough({ jm, rev, x });
      assert.deepEqual(pages.flatMap(pageItems), rev ? matching.slice().reverse() : matching);
      assert.equal(pages.reduce((n, p) => n + p.scanned, 0), items.length, 'every item is read once (ScannedCount)');
    }
  }
});

test('Limit and the 1 MB of item size still end pages; COUNT pages ignore the JSON budget', () => {
  const limited = pageThrough({ jm: 64 * 1024 * 1024, lim: 7 });
  assert.ok(limited.slice(0, -1).every((p) => p.count === 7));
  assert.deepEqual(limited.flatMap(pageItems), items);
  const sized = pageThrough({ jm: 64 * 1024 * 1024, max: 4000 });
  assert.ok(sized.length > 3);
  assert.deepEqual(sized.flatMap(pageItems), items);
  const counted = pageThrough({ jm: 1, cnt: true });
  assert.equal(counted.length, 1);
  assert.equal(counted[0].count, items.length);
  assert.equal(pageJson(counted[0]), '[]');
});

test('a projection is what counts against the budget', () => {
  const x: RangeExpressions = { ProjectionExpression: 'sk' };
  const pages = pageThrough({ jm: 200, x });
  assert.deepEqual(pages.flatMap(pageItems), items.map((i) => ({ sk: i.sk })));
  for (const page of pages) assert.ok(Buffer.byteLength(pageJson(page), 'utf8') <= 200);
});

test('progress is reported after each item is read and after each is serialized', () => {
  let calls = 0;
  const page = readRange(data, request({ jm: 64 * 1024 * 1024 }, null), () => calls++);
  assert.equal(page.count, items.length);
  assert.equal(calls, 2 * items.length);
  let counted = 0;
  readRange(data, request({ jm: 64 * 1024 * 1024, cnt: true }, null), () => counted++);
  assert.equal(counted, items.length, 'COUNT serializes nothing');
});

test('a page read in steps of any size is the page read at once: items, counts, bytes read and LastEvaluatedKey', () => {
  const filter: RangeExpressions = { FilterExpression: 'contains(s, :c)', ExpressionAttributeValues: { ':c': { S: '€' } } };
  const projection: RangeExpressions = { ProjectionExpression: 'sk' };
  // Budgets one byte short of k whole items, forwards: where the separators' bytes decide.
  const jsonSizes = items.map((i) => Buffer.byteLength(JSON.stringify(i), 'utf8'));
  const shortOf = (k: number) => 2 + jsonSizes.slice(0, k).reduce((a, b) => a + b, 0) + (k - 1) - 1;
  const cases: PageOptions[] = [];
  for (const rev of [false, true]) {
    for (const jm of [1, 2000, 7777, shortOf(5), shortOf(17), 64 * 1024 * 1024]) {
      for (const lim of [0, 1, 7, 59]) {
        for (const max of [1, 4000, 1024 * 1024]) {
          cases.push({ jm, rev, lim, max });
          cases.push({ jm, rev, lim, max, x: filter });
        }
      }
      cases.push({ jm, rev, x: projection }, { jm, rev, cnt: true }, { jm, rev, cnt: true, x: filter, lim: 9 });
    }
  }
  let multiStep = 0;
  for (const options of cases) {
    for (const stepBytes of [1, 300, 2500, 10_000]) {
      // Page through the partition both ways: each page at once, and in steps.
      let last: Item | null = null;
      for (let n = 0; ; n++) {
        assert.ok(n < 1000, 'paging ends');
        const whole = readRange(data, request(options, last));
        const req = request(options, last);
        const stepped = new SteppedPage(req, stepBytes);
        let steps = 1;
        while (!stepped.step(data)) steps++;
        if (steps > 1) multiStep++;
        const page = stepped.page();
        const what = `${JSON.stringify(options)} in steps of ${stepBytes} B, page ${n}`;
        assert.deepEqual(pageItems(page), pageItems(whole), what);
        assert.deepEqual(
          { count: page.count, scanned: page.scanned, bytesRead: page.bytesRead, last: page.last },
          { count: whole.count, scanned: whole.scanned, bytesRead: whole.bytesRead, last: whole.last },
          what,
        );
        assert.deepEqual(req, request(options, last), 'the page request is left as it was');
        last = whole.last;
        if (last === null) break;
      }
    }
  }
  assert.ok(multiStep > 1000, `most pages took several steps (${multiStep})`);
});
