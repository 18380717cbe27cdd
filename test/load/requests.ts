// Raw awsJson 1.0 requests for the load test: the tables' items, each workload's request
// bodies, and whole HTTP/1.1 request texts, signed with SigV4 (or unsigned) once up front, so
// a load generator only has to copy bytes onto a socket.
import { createHash, createHmac } from 'node:crypto';

export const itemsTable = 'lt_items';
export const sortedTable = 'lt_sorted';
/** The second table's shape: partition keys × sort keys per partition key (LOADTEST_SORTED_KEYS changes the first). */
export const sortedPartitionKeys = 1000;
export const sortedKeysPerPartition = 100;

/**
 * The global index of `lt_sorted` (gsi-query): on (gpk, gsk), ALL projection. Every item of
 * `lt_sorted` carries gpk/gsk, a shuffle of the table's own (pk, sk) layout: as many index
 * partition keys, as many entries under each, the same numeric sort keys, so a Query on the index
 * has the shape and item sizes of the same Query on the table.
 */
export const sortedIndex = 'lt_sorted_by_g';
/** `lt_items` again with two global indexes, ALL projection (put-gsi), on attributes every item has. */
export const itemsGsiTable = 'lt_items_gsi';
export const itemsGsiIndexes = ['by_name', 'by_count'] as const;

export interface Signing {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export const devSigning: Signing = { accessKeyId: 'local', secretAccessKey: 'local', region: 'us-east-1' };

/** A deterministic pseudo-random generator (mulberry32), so runs are comparable. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function itemKey(i: number): string {
  return `item#${String(i).padStart(7, '0')}`;
}

export function sortedKey(p: number): string {
  return `part#${String(p).padStart(4, '0')}`;
}

/** The index partition key of `lt_sorted`'s global index: as long as sortedKey's. */
export function sortedIndexKey(p: number): string {
  return `gprt#${String(p).padStart(4, '0')}`;
}

const filler = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A text of `length` characters that varies with `seed` (so items do not all compress alike). */
function fillerText(length: number, seed: number): string {
  let out = '';
  let s = seed >>> 0;
  while (out.length < length) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const start = s % filler.length;
    out += filler.slice(start) + filler.slice(0, start);
  }
  return out.slice(0, length);
}

/**
 * One item of about `itemBytes` by DynamoDB's size rules: the key attributes, a name, a
 * counter, a timestamp and a filler string making up the rest.
 */
export function makeItem(key: Record<string, unknown>, itemBytes: number, seed: number, extra?: Record<string, { S: string } | { N: string }>): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...key,
    ...extra,
    name: { S: `user ${seed % 100000}` },
    count: { N: String(seed % 1000) },
    updated: { S: '2024-06-10T12:00:00Z' },
  };
  // key (~20 B) + name (~14) + count (~8) + updated (~27) + "data" (4): the filler is the rest,
  // less what `extra` attributes take, so that items with them have the same size.
  const fixed = 75 + (extra === undefined ? 0 : attributesBytes(extra));
  item.data = { S: fillerText(Math.max(8, itemBytes - fixed), seed) };
  return item;
}

/** DynamoDB's size of string and number attributes: name + value (a number: 1 byte + 1 per 2 significant digits). */
function attributesBytes(attributes: Record<string, { S: string } | { N: string }>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name);
    bytes += 'S' in value ? Buffer.byteLength(value.S) : 1 + Math.ceil(value.N.replace(/^[-0.]+/, '').replace(/\./, '').length / 2);
  }
  return bytes;
}

export function itemsKeyOf(i: number): Record<string, unknown> {
  return { pk: { S: itemKey(i) } };
}

export function sortedKeyOf(p: number, s: number): Record<string, unknown> {
  return { pk: { S: sortedKey(p) }, sk: { N: String(s) } };
}

/**
 * Item `i` of `lt_sorted` (partition key i / 100, sort key i % 100) among `partitionKeys` × 100:
 * its key, and its index key (gpk, gsk), the position i * m mod n (m prime to n) cut the same
 * way, so index partitions gather items of many table partitions.
 */
export function sortedItem(i: number, partitionKeys: number, itemBytes: number): Record<string, unknown> {
  const n = partitionKeys * sortedKeysPerPartition;
  const j = (i * shuffleMultiplier(n)) % n;
  const key = sortedKeyOf(Math.floor(i / sortedKeysPerPartition), i % sortedKeysPerPartition);
  return makeItem(key, itemBytes, i, { gpk: { S: sortedIndexKey(Math.floor(j / sortedKeysPerPartition)) }, gsk: { N: String(j % sortedKeysPerPartition) } });
}

function shuffleMultiplier(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let m = 7919;
  while (gcd(m, n) !== 1) m += 2;
  return m;
}

// ---- request bodies ------------------------------------------------------------------

export type BodyMaker = (random: () => number) => { target: string; body: string };

export function getItemBody(itemCount: number): BodyMaker {
  return (random) => ({ target: 'GetItem', body: JSON.stringify({ TableName: itemsTable, Key: itemsKeyOf(Math.floor(random() * itemCount)) }) });
}

/**
 * TransactWriteItems of two Puts (items as PutItem's) on two keys of lt_items (most often on two
 * partitions). Each request of the pool takes the next two keys, so the requests in flight at
 * once (neighbours in the pool) never share an item: none is cancelled by a conflict with another.
 */
export function transactWriteBody(itemCount: number, itemBytes: number): BodyMaker {
  let next = 0;
  return (random) => {
    const a = next % itemCount;
    const b = (next + 1) % itemCount;
    next += 2;
    const put = (i: number) => ({ Put: { TableName: itemsTable, Item: makeItem(itemsKeyOf(i), itemBytes, Math.floor(random() * 1e9)) } });
    return { target: 'TransactWriteItems', body: JSON.stringify({ TransactItems: [put(a), put(b)] }) };
  };
}

/** TransactGetItems of two random keys of lt_items. */
export function transactGetBody(itemCount: number): BodyMaker {
  return (random) => {
    const a = Math.floor(random() * itemCount);
    const b = (a + 1 + Math.floor(random() * (itemCount - 1))) % itemCount;
    const get = (i: number) => ({ Get: { TableName: itemsTable, Key: itemsKeyOf(i) } });
    return { target: 'TransactGetItems', body: JSON.stringify({ TransactItems: [get(a), get(b)] }) };
  };
}

/** PutItem of a random key among `itemCount` with a new item; `table` is lt_items or lt_items_gsi (the same items). */
export function putItemBody(itemCount: number, itemBytes: number, table = itemsTable): BodyMaker {
  return (random) => {
    const i = Math.floor(random() * itemCount);
    return { target: 'PutItem', body: JSON.stringify({ TableName: table, Item: makeItem(itemsKeyOf(i), itemBytes, Math.floor(random() * 1e9)) }) };
  };
}

/**
 * An eventually consistent Query, Limit 10, on one random partition key of `lt_sorted` with a
 * random lower bound on the sort key; with `onIndex`, the same on its global index (gpk, gsk).
 * The same random source draws the same keys either way.
 */
export function queryBody(partitionKeys = sortedPartitionKeys, onIndex = false): BodyMaker {
  return (random) => {
    const p = Math.floor(random() * partitionKeys);
    const v = Math.floor(random() * (sortedKeysPerPartition - 10));
    const request: Record<string, unknown> = {
      TableName: sortedTable,
      KeyConditionExpression: onIndex ? 'gpk = :p AND gsk > :v' : 'pk = :p AND sk > :v',
      ExpressionAttributeValues: { ':p': { S: onIndex ? sortedIndexKey(p) : sortedKey(p) }, ':v': { N: String(v) } },
      Limit: 10,
    };
    if (onIndex) request.IndexName = sortedIndex;
    return { target: 'Query', body: JSON.stringify(request) };
  };
}

export function mixedBody(get: BodyMaker, put: BodyMaker, getShare: number): BodyMaker {
  return (random) => (random() < getShare ? get(random) : put(random));
}

// ---- HTTP request texts ----------------------------------------------------------------

const signingKeys = new Map<string, Buffer>();

function signingKey(signing: Signing, dateStamp: string): Buffer {
  const cacheKey = `${signing.accessKeyId}\n${dateStamp}\n${signing.region}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${signing.secretAccessKey}`).update(dateStamp).digest();
    const kRegion = createHmac('sha256', kDate).update(signing.region).digest();
    const kService = createHmac('sha256', kRegion).update('dynamodb').digest();
    key = createHmac('sha256', kService).update('aws4_request').digest();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * The whole HTTP/1.1 request for one DynamoDB call: headers (signed with SigV4 when `signing`
 * is given: host, x-amz-date and x-amz-target, as the SDKs sign) and the body.
 */
export function httpRequest(host: string, target: string, body: string, signing: Signing | null, nowMs = Date.now()): Buffer {
  const fullTarget = `DynamoDB_20120810.${target}`;
  const bodyBytes = Buffer.from(body);
  let auth = '';
  if (signing !== null) {
    const amzDate = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const dateStamp = amzDate.slice(0, 8);
    const scope = `${dateStamp}/${signing.region}/dynamodb/aws4_request`;
    const payloadHash = createHash('sha256').update(bodyBytes).digest('hex');
    const canonical = `POST\n/\n\nhost:${host}\nx-amz-date:${amzDate}\nx-amz-target:${fullTarget}\n\nhost;x-amz-date;x-amz-target\n${payloadHash}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', signingKey(signing, dateStamp)).update(stringToSign).digest('hex');
    auth =
      `X-Amz-Date: ${amzDate}\r\n` +
      `Authorization: AWS4-HMAC-SHA256 Credential=${signing.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${signature}\r\n`;
  }
  const head =
    `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: ${fullTarget}\r\n` +
    `${auth}Content-Length: ${bodyBytes.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), bodyBytes]);
}

/** A signed (or unsigned) GET of an admin path such as /_monodyne/partitions. */
export function httpGet(host: string, path: string, signing: Signing | null, nowMs = Date.now()): Buffer {
  return httpAdmin(host, 'GET', path, '', signing, nowMs);
}

/** A signed (or unsigned) request to an admin path, with a JSON body for POST (/_monodyne/faults). */
export function httpAdmin(host: string, method: 'GET' | 'POST', path: string, body: string, signing: Signing | null, nowMs = Date.now()): Buffer {
  const bodyBytes = Buffer.from(body);
  let auth = '';
  if (signing !== null) {
    const amzDate = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const dateStamp = amzDate.slice(0, 8);
    const scope = `${dateStamp}/${signing.region}/dynamodb/aws4_request`;
    const canonical = `${method}\n${path}\n\nhost:${host}\nx-amz-date:${amzDate}\n\nhost;x-amz-date\n${createHash('sha256').update(bodyBytes).digest('hex')}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', signingKey(signing, dateStamp)).update(stringToSign).digest('hex');
    auth = `X-Amz-Date: ${amzDate}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=${signing.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}\r\n`;
  }
  const length = method === 'POST' ? `Content-Type: application/json\r\nContent-Length: ${bodyBytes.length}\r\n` : '';
  return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${auth}${length}\r\n`), bodyBytes]);
}

/** `count` ready-made requests drawn from `make`. */
export function requestPool(host: string, make: BodyMaker, count: number, signing: Signing | null, seed: number): Buffer[] {
  const random = randomSource(seed);
  const pool: Buffer[] = new Array(count);
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const { target, body } = make(random);
    pool[i] = httpRequest(host, target, body, signing, now);
  }
  return pool;
}
