import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/storage/message-codec.ts';
import { encodeFrame } from '../../src/rings/frame-codec.ts';
import { Op, Status, ReturnValues, WriteKind, type StorageRequest, type StorageResponse } from '../../src/storage/messages.ts';

/** What a ring hands the reader: a private copy in a plain Uint8Array. */
function viaRing(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

test('Get requests use the compact layout and come back field for field', () => {
  const key = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 255]);
  for (const req of [
    { id: 1, op: Op.Get, t: 'tbl-1a2b', p: 0, v: 7, k: key, c: false },
    { id: 0x7fffffff, op: Op.Get, t: 'tâble ✓', p: 4_000_000_000, v: 2 ** 32 - 1, k: new Uint8Array(0), c: true },
  ] as StorageRequest[]) {
    const bytes = encodeRequest(req);
    assert.equal(bytes[0], 0x01);
    const back = decodeRequest(viaRing(bytes));
    assert.deepEqual({ ...back, k: [...(back as { k: Uint8Array }).k] }, { ...req, k: [...(req as { k: Uint8Array }).k] });
    assert.equal((back as { k: Uint8Array }).k.constructor, Uint8Array);
  }
});

test('other requests travel as cbor-x frames', () => {
  const write: StorageRequest = { id: 3, op: Op.Write, t: 't', p: 1, v: 2, k: new Uint8Array([1, 2]), w: WriteKind.Put, item: { a: { S: 'x' } }, sz: 5, key: null, x: null, rv: ReturnValues.NONE, rvf: false, wid: 'w1' };
  const bytes = encodeRequest(write);
  assert.ok(bytes[0] >= 0xa0);
  assert.deepEqual(decodeRequest(viaRing(bytes)), { ...write, k: new Uint8Array([1, 2]) });
  // A Get whose numbers do not fit the layout falls back rather than truncating.
  const odd: StorageRequest = { id: 1, op: Op.Get, t: 't', p: 1.5, v: 0, k: new Uint8Array([1]), c: false };
  assert.ok(encodeRequest(odd)[0] >= 0xa0);
  assert.equal((decodeRequest(viaRing(encodeRequest(odd))) as { p: number }).p, 1.5);
});

test('plain Ok answers use the compact layout; anything else is cbor-x', () => {
  const plain: StorageResponse[] = [
    { id: 9, s: Status.Ok, item: '{"a":{"S":"é✓ \\"q\\""}}', n: 123 },
    { id: 10, s: Status.Ok, item: null, n: 0 },
    { id: 11, s: Status.Ok, item: '', n: 1 },
  ];
  for (const res of plain) {
    const bytes = encodeResponse(res);
    assert.equal(bytes[0], 0x02);
    assert.deepEqual(decodeResponse(viaRing(bytes)), res);
  }
  // A write answer without an item decodes with item null (the router treats both as absent).
  assert.deepEqual(decodeResponse(viaRing(encodeResponse({ id: 12, s: Status.Ok, n: 4 }))), { id: 12, s: Status.Ok, item: null, n: 4 });
  const others: StorageResponse[] = [
    { id: 1, s: Status.WrongReplica, ver: 4 },
    { id: 2, s: Status.ClientError, err: 'ConditionalCheckFailedException', msg: 'The conditional request failed', item: null, n: 3 },
    { id: 3, s: Status.Ok, items: new Uint8Array(0), count: 0, scanned: 0, last: null, n: 0, ver: 1 },
  ];
  for (const res of others) {
    const bytes = encodeResponse(res);
    assert.ok(bytes[0] >= 0xa0);
    assert.deepEqual(decodeResponse(viaRing(bytes)), res);
  }
});

test('an unknown compact tag is refused, not misread as CBOR', () => {
  assert.throws(() => decodeResponse(new Uint8Array([0x05, 0, 0])), /unknown compact frame tag 5/);
  assert.throws(() => decodeRequest(new Uint8Array([0x04, 0, 0])), /unknown compact frame tag 4/);
  assert.throws(() => decodeRequest(new Uint8Array([0x02, 0, 0])), /unknown compact frame tag 2/);
  assert.ok(encodeFrame({ a: 1 })[0] >= 0xa0);
});

/** A response with its binary fields as arrays, for deepEqual across Buffer and Uint8Array. */
function plainBytes<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = v instanceof Uint8Array ? [...v] : v;
  return out as T;
}

test("GetItem's answers carry the item's JSON bytes as they are (or none), in the compact layout", () => {
  const json = Buffer.from('{"pk":{"S":"é✓"},"__proto__":{"B":"AAE="},"n":{"N":"-1.50E+3"}}');
  for (const res of [
    { id: 7, s: Status.Ok, json, n: 300 },
    { id: 8, s: Status.Ok, json: null, n: 0 },
    { id: 9, s: Status.Ok, json: new Uint8Array(0), n: 0 },
  ] as StorageResponse[]) {
    const bytes = encodeResponse(res);
    assert.equal(bytes[0], 0x02);
    const back = decodeResponse(viaRing(bytes));
    assert.deepEqual(plainBytes(back), plainBytes(res));
    assert.ok(!('item' in back), 'a GetItem answer has no text item');
  }
});

test('Query and Scan requests use the compact layout and come back field for field', () => {
  const key = (n: number) => new Uint8Array(Array.from({ length: n }, (_, i) => (i * 37) & 0xff));
  const requests: StorageRequest[] = [
    { id: 1, op: Op.Query, t: 'tbl-1', p: 2, v: 3, lo: key(9), loInc: true, hi: key(12), hiInc: false, pre: key(8), rev: false, lim: 10, max: 1 << 20, jm: 3 << 20, c: true, kn: ['pk', 'sk'], x: null, cnt: false },
    { id: 0x7fffffff, op: Op.Query, t: 'tâble ✓', p: 4_000_000_000, v: 2 ** 32 - 1, lo: key(0), loInc: false, hi: null, hiInc: true, pre: null, rev: true, lim: 0, max: 0, jm: 0, c: false, kn: ['__proto__', 'é'],
      x: { KeyConditionExpression: '#p = :v AND #s > :s', FilterExpression: 'a.b[1] <> :n', ProjectionExpression: '#p, m.__proto__', ExpressionAttributeNames: JSON.parse('{"#p":"__proto__","#s":"sk"}'), ExpressionAttributeValues: JSON.parse('{":v":{"S":"x"},":s":{"B":"AQ=="},":n":{"N":"1E+2"}}') }, cnt: true },
    { id: 5, op: Op.Scan, t: 't', p: 0, v: 1, lo: key(4), loInc: true, hi: key(4), hiInc: false, pre: null, rev: false, lim: 25, max: 1000, jm: 2000, c: false, kn: ['pk'], x: { FilterExpression: 'attribute_exists(a)' }, cnt: false, fd: true, tk: ['pk', 'sk'], tag: key(3) },
  ];
  for (const req of requests) {
    const bytes = encodeRequest(req);
    assert.equal(bytes[0], 0x03);
    const back = decodeRequest(viaRing(bytes));
    // JSON text compares "__proto__" names as own properties, in order.
    assert.equal(JSON.stringify(plainBytes(back)), JSON.stringify(plainBytes(req)));
    assert.equal((back as { lo: Uint8Array }).lo.constructor, Uint8Array);
  }
  // Numbers that do not fit the layout fall back to cbor-x rather than truncating.
  const odd = { ...requests[0], lim: -1 } as StorageRequest;
  assert.ok(encodeRequest(odd)[0] >= 0xa0);
  assert.equal((decodeRequest(viaRing(encodeRequest(odd))) as { lim: number }).lim, -1);
  // A frame cut short is refused, not misread.
  const whole = encodeRequest(requests[2]);
  assert.throws(() => decodeRequest(viaRing(whole.subarray(0, whole.length - 1))), /compact Range frame/);
});

test('Query and Scan pages use the compact layout: items as bytes, LastEvaluatedKey and the hash end exact', () => {
  const items = Buffer.from('{"pk":{"S":"a"},"v":{"S":"é✓"}},{"pk":{"S":"b"},"__proto__":{"NULL":true}}');
  const pages: StorageResponse[] = [
    { id: 1, s: Status.Ok, items, count: 2, scanned: 5, last: JSON.parse('{"pk":{"S":"b"},"__proto__":{"N":"3"}}'), n: 4096 },
    { id: 2, s: Status.Ok, items: new Uint8Array(0), count: 0, scanned: 0, last: null, n: 0, he: 2 ** 32 },
    { id: 3, s: Status.Ok, items, count: 2, scanned: 2, last: null, n: 10, he: 123456 },
  ];
  for (const res of pages) {
    const bytes = encodeResponse(res);
    assert.equal(bytes[0], 0x04);
    const back = decodeResponse(viaRing(bytes));
    assert.equal(JSON.stringify(plainBytes(back)), JSON.stringify(plainBytes(res)));
  }
});
