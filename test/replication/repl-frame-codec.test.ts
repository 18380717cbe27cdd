// Replication frames and log entries in their binary layouts: every field round-trips, entries
// are views of the frame (stored and forwarded as they came), cut frames are refused, other
// frames and entries written as CBOR before the layout still decode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplFrameType, type AckFrame, type EntriesFrame, type SnapshotRequestFrame } from '../../src/replication/frames.ts';
import { decodeReplFrame, encodeReplFrame } from '../../src/replication/repl-frame-codec.ts';
import { decodeLogEntry, encodeLogEntry, type LogEntry } from '../../src/replication/log-entry.ts';
import { InvariantError } from '../../src/replication/invariants.ts';
import { encodeFrame } from '../../src/rings/frame-codec.ts';
import { Random } from './sim/random.ts';

const random = new Random(3);
const bytesOf = (n: number) => Uint8Array.from({ length: n }, () => random.int(0, 255));
const list = (b: Uint8Array | null) => (b === null ? null : [...b]);
const plain = (e: LogEntry) => {
  const out: Record<string, unknown> = { ...e, m: e.m.map((mu) => ({ ...mu, k: list(mu.k), b: list(mu.b), o: list(mu.o) })) };
  if (e.x !== undefined) out.x = list(e.x);
  if (e.oa !== undefined) out.oa = e.oa.map(list);
  if (e.t !== undefined) out.t = { ...e.t, k: list(e.t.k), b: list(e.t.b) };
  if (e.tf !== undefined) out.tf = e.tf.map((f) => ({ ...f, k: list(f.k) }));
  return out;
};

function randomEntry(): LogEntry {
  const entry: LogEntry = {
    e: random.int(0, 2 ** 40),
    i: random.int(1, 2 ** 52),
    m: Array.from({ length: random.int(0, 3) }, () => ({
      k: bytesOf(random.int(1, 40)),
      b: random.chance(0.2) ? null : bytesOf(random.int(0, 500)),
      o: random.chance(0.5) ? null : bytesOf(random.int(0, 500)),
      d: random.int(-1, 1),
      z: random.int(-400_000, 400_000),
    })),
    w: random.chance(0.5) ? null : `w-${random.int(0, 1e9)}-é`,
    a: random.chance(0.7) ? null : JSON.stringify({ n: { N: String(random.int(0, 1e6)) }, s: { S: 'ü✓'.repeat(random.int(0, 50)) } }),
  };
  if (random.chance(0.1)) entry.split = { at: random.int(0, 2 ** 32), lowPid: random.int(0, 100), highPid: random.int(0, 100), version: random.int(0, 1e6) };
  if (random.chance(0.2)) entry.x = bytesOf(random.int(0, 60));
  if (random.chance(0.1)) entry.oa = Array.from({ length: random.int(0, 4) }, () => bytesOf(random.int(1, 40)));
  if (random.chance(0.1)) entry.rx = `index-${random.int(0, 99)}-ü`;
  if (random.chance(0.2)) entry.t = { op: random.int(1, 3) as 1 | 2 | 3, id: `tx-${random.int(0, 1e9)}-é`, k: bytesOf(random.int(1, 40)), b: random.chance(0.3) ? null : bytesOf(random.int(0, 300)), check: random.chance(0.3) };
  // Several transactions finishing in one entry (the coordinator's batched commits and cancels).
  if (random.chance(0.2)) entry.tf = Array.from({ length: random.int(1, 5) }, () => ({ op: random.int(2, 3) as 2 | 3, id: `tx-${random.int(0, 1e9)}`, k: bytesOf(random.int(1, 40)), check: random.chance(0.3) }));
  return entry;
}

test('log entries round-trip in the binary layout; items are views, never decoded', () => {
  for (let n = 0; n < 2000; n++) {
    const entry = randomEntry();
    const bytes = encodeLogEntry(entry);
    assert.equal(bytes[0], 0xf3);
    const back = decodeLogEntry(bytes);
    assert.deepEqual(plain(back), plain(entry));
    for (const mu of back.m) if (mu.b !== null) assert.equal(mu.b.buffer, bytes.buffer, 'an item is a view of the entry');
  }
});

test('log entries written as CBOR before the binary layout still decode', () => {
  for (let n = 0; n < 200; n++) {
    const entry = randomEntry();
    assert.deepEqual(plain(decodeLogEntry(encodeFrame(entry))), plain(entry));
  }
});

test('a cut or padded log entry is an invariant error, not a wrong entry', () => {
  const bytes = encodeLogEntry({ e: 2, i: 9, m: [{ k: bytesOf(8), b: bytesOf(30), o: null, d: 1, z: 40 }], w: 'x', a: null });
  assert.throws(() => decodeLogEntry(bytes.subarray(0, bytes.length - 1)), (err) => err instanceof InvariantError || err instanceof RangeError);
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  assert.throws(() => decodeLogEntry(padded), InvariantError);
});

test('Entries and Ack frames round-trip; entries arrive as views of the frame', () => {
  for (let n = 0; n < 500; n++) {
    const entries = Array.from({ length: random.int(0, 6) }, () => encodeLogEntry(randomEntry()));
    const frame: EntriesFrame = {
      r: ReplFrameType.Entries,
      t: random.chance(0.5) ? 'orders' : `t-${random.int(0, 1e6)}.é_ü`,
      p: random.int(0, 4000),
      from: random.int(0, 8),
      e: random.int(0, 2 ** 40),
      prev: random.int(0, 2 ** 52),
      prevEpoch: random.int(0, 2 ** 40),
      base: random.int(0, 2 ** 52),
      entries,
      epochs: entries.map(() => random.int(0, 2 ** 40)),
      commit: random.int(0, 2 ** 52),
      ack: random.chance(0.5),
    };
    const bytes = encodeReplFrame(frame);
    const back = decodeReplFrame(bytes) as EntriesFrame;
    assert.deepEqual({ ...back, entries: back.entries.map((e) => [...e]) }, { ...frame, entries: frame.entries.map((e) => [...e]) });
    for (const e of back.entries) assert.equal(e.buffer, bytes.buffer);
    const ack: AckFrame = { r: ReplFrameType.Ack, t: frame.t, p: frame.p, from: frame.from, e: frame.e, ok: random.chance(0.5), i: random.int(-1, 2 ** 52), applied: random.int(0, 2 ** 52) };
    assert.deepEqual(decodeReplFrame(encodeReplFrame(ack)), ack);
  }
});

test('cut frames are invariant errors; snapshot frames still travel as CBOR', () => {
  const frame: EntriesFrame = { r: ReplFrameType.Entries, t: 't', p: 0, from: 1, e: 2, prev: 3, prevEpoch: 2, base: 0, entries: [bytesOf(20), bytesOf(7)], epochs: [2, 2], commit: 1, ack: true };
  const bytes = encodeReplFrame(frame);
  for (const cut of [bytes.length - 1, bytes.length - 8, 20]) assert.throws(() => decodeReplFrame(bytes.subarray(0, cut)), (err) => err instanceof InvariantError || err instanceof RangeError);
  const ack = encodeReplFrame({ r: ReplFrameType.Ack, t: 't', p: 0, from: 1, e: 2, ok: true, i: 3, applied: 3 });
  assert.throws(() => decodeReplFrame(ack.subarray(0, ack.length - 1)), InvariantError);
  const request: SnapshotRequestFrame = { r: ReplFrameType.SnapshotRequest, t: 't', p: 1, from: 2, e: 3, sid: 7 };
  const encoded = encodeReplFrame(request);
  assert.ok(encoded[0] >= 0xa0 && encoded[0] <= 0xbf, 'a CBOR map');
  assert.deepEqual(decodeReplFrame(encoded), request);
});
