// Hot-path costs of the ring transport: one frame through an SpscRing, the cbor-x frame codec
// on a typical GetItem request and item response, the compact layouts the router and the
// storage nodes use for GetItem's and Query's messages, and a producer's doorbell ring.
import type { Bench } from 'tinybench';
import { SpscRing } from '../src/rings/ring.ts';
import { Doorbell } from '../src/rings/doorbell.ts';
import { Outbox } from '../src/rings/outbox.ts';
import { decodeFrame, encodeFrame } from '../src/rings/frame-codec.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../src/storage/message-codec.ts';
import { Op, Status, type GetRequest, type RangeRequest, type StorageResponse } from '../src/storage/messages.ts';

const getItemRequest = { op: 1, id: 12345, table: 'users', pid: 3, ver: 7, key: { pk: { S: 'user#123' } }, consistent: true };

// About 200 bytes encoded: a GetItem response carrying a small user item.
const itemResponse = {
  id: 12345,
  ok: true,
  ver: 7,
  item: {
    pk: { S: 'user#123' },
    name: { S: 'Ada Lovelace' },
    email: { S: 'ada@example.com' },
    age: { N: '36' },
    tags: { SS: ['math', 'engines'] },
    active: { BOOL: true },
    avatar: { B: new Uint8Array(32).fill(7) },
  },
  consumed: 0.5,
};

// The messages as the router and a storage node exchange them for one GetItem.
const getRequest: GetRequest = { id: 12345, op: Op.Get, t: 'tbl-7f3a9c', p: 3, v: 7, k: new Uint8Array(40).fill(9), c: false };
const okAnswer: StorageResponse = {
  id: 12345,
  s: Status.Ok,
  item: '{"pk":{"S":"item#0001234"},"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"age":{"N":"36"},"tags":{"SS":["math","engines"]},"active":{"BOOL":true},"note":{"S":"' + 'x'.repeat(40) + '"}}',
  n: 180,
};

// GetItem's answer as a node sends it: the item's stored JSON bytes.
const getAnswer: StorageResponse = { id: 12345, s: Status.Ok, json: Buffer.from(okAnswer.item!), n: 180 };

// One Query page (Limit 10, ~120-byte items) as the router and a storage node exchange it, and
// as cbor-x carried it before (the page as one JSON array text).
const rangeRequest: RangeRequest = {
  id: 12345, op: Op.Query, t: 'tbl-7f3a9c', p: 3, v: 7, lo: new Uint8Array(30).fill(5), loInc: false, hi: new Uint8Array(26).fill(6), hiInc: true,
  pre: new Uint8Array(25).fill(5), rev: false, lim: 10, max: 1 << 20, jm: 3 << 20, c: false, kn: ['pk', 'sk'], x: null, cnt: false,
};
const pageText = Array.from({ length: 10 }, (_, i) => `{"pk":{"S":"p#00042"},"sk":{"N":"${i}"},"v":{"S":"${'y'.repeat(70)}"}}`).join(',');
const pageAnswer: StorageResponse = { id: 12345, s: Status.Ok, items: Buffer.from(pageText), count: 10, scanned: 10, last: { pk: { S: 'p#00042' }, sk: { N: '9' } }, n: 1200 };
const pageAnswerAsText = { ...pageAnswer, items: `[${pageText}]` };

export function register(bench: Bench): void {
  const ring = SpscRing.create(1 << 16);
  const frame200 = new Uint8Array(200).fill(42);
  const outbox = new Outbox(SpscRing.create(1 << 16), Doorbell.create());
  const outboxReader = new SpscRing(outbox.ring.sab);
  const awakeBell = Doorbell.create();
  const requestFrame = Uint8Array.from(encodeFrame(getItemRequest));
  const responseFrame = Uint8Array.from(encodeFrame(itemResponse));
  let sink: unknown = null;

  bench
    .add('ring tryWrite+tryRead 200 B frame', () => {
      ring.tryWrite(frame200);
      sink = ring.tryRead();
    })
    .add('outbox send+tryRead 200 B frame', () => {
      outbox.send(frame200);
      sink = outboxReader.tryRead();
    })
    .add('doorbell ring, consumer awake', () => {
      awakeBell.ring();
    })
    .add(`encodeFrame GetItem request (${requestFrame.length} B)`, () => {
      sink = encodeFrame(getItemRequest);
    })
    .add(`decodeFrame GetItem request (${requestFrame.length} B)`, () => {
      sink = decodeFrame(requestFrame);
    })
    .add(`encodeFrame item response (${responseFrame.length} B)`, () => {
      sink = encodeFrame(itemResponse);
    })
    .add(`decodeFrame item response (${responseFrame.length} B)`, () => {
      sink = decodeFrame(responseFrame);
    })
    .add('GetItem request: encode, ring, decode', () => {
      ring.tryWrite(encodeFrame(getItemRequest));
      sink = decodeFrame(ring.tryRead()!);
    })
    .add('Get request as cbor-x (encodeFrame + decodeFrame)', () => {
      sink = decodeFrame(Uint8Array.from(encodeFrame(getRequest)));
    })
    .add('Get request compact (encodeRequest + decodeRequest)', () => {
      sink = decodeRequest(encodeRequest(getRequest));
    })
    .add(`Ok answer as cbor-x (encodeFrame + decodeFrame, ${okAnswer.item!.length}-char item)`, () => {
      sink = decodeFrame(Uint8Array.from(encodeFrame(okAnswer)));
    })
    .add(`Ok answer compact (encodeResponse + decodeResponse, ${okAnswer.item!.length}-char item)`, () => {
      sink = decodeResponse(encodeResponse(okAnswer));
    })
    .add(`GetItem answer compact (encodeResponse + decodeResponse, ${getAnswer.json!.length}-byte item)`, () => {
      sink = decodeResponse(encodeResponse(getAnswer));
    })
    .add('Query request as cbor-x (encodeFrame + decodeFrame)', () => {
      sink = decodeFrame(Uint8Array.from(encodeFrame(rangeRequest)));
    })
    .add('Query request compact (encodeRequest + decodeRequest)', () => {
      sink = decodeRequest(encodeRequest(rangeRequest));
    })
    .add(`Query page as cbor-x (encodeFrame + decodeFrame, ${pageAnswerAsText.items.length}-char text)`, () => {
      sink = decodeFrame(Uint8Array.from(encodeFrame(pageAnswerAsText)));
    })
    .add(`Query page compact (encodeResponse + decodeResponse, ${pageText.length}-byte items)`, () => {
      sink = decodeResponse(encodeResponse(pageAnswer));
    })
    .add('GetItem round trip compact: request and answer through rings', () => {
      ring.tryWrite(encodeRequest(getRequest));
      sink = decodeRequest(ring.tryRead()!);
      ring.tryWrite(encodeResponse(getAnswer));
      sink = decodeResponse(ring.tryRead()!);
    });
  if (sink === undefined) throw new Error('unreachable');
}
