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
    { id: 3, s: Status.Ok, items: '[]', count: 0, scanned: 0, last: null, n: 0 },
  ];
  for (const res of others) {
    const bytes = encodeResponse(res);
    assert.ok(bytes[0] >= 0xa0);
    assert.deepEqual(decodeResponse(viaRing(bytes)), res);
  }
});

test('an unknown compact tag is refused, not misread as CBOR', () => {
  assert.throws(() => decodeResponse(new Uint8Array([0x05, 0, 0])), /unknown compact frame tag 5/);
  assert.throws(() => decodeRequest(new Uint8Array([0x02, 0, 0])), /unknown compact frame tag 2/);
  assert.ok(encodeFrame({ a: 1 })[0] >= 0xa0);
});
