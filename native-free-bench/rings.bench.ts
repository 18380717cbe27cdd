// Hot-path costs of the ring transport: one frame through an SpscRing, the cbor-x frame codec
// on a typical GetItem request and item response, and a producer's doorbell ring.
import type { Bench } from 'tinybench';
import { SpscRing } from '../src/rings/ring.ts';
import { Doorbell } from '../src/rings/doorbell.ts';
import { Outbox } from '../src/rings/outbox.ts';
import { decodeFrame, encodeFrame } from '../src/rings/frame-codec.ts';

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
    });
  if (sink === undefined) throw new Error('unreachable');
}
