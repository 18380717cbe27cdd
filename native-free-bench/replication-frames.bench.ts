// What every replicated write costs in encoding: its log entry (encoded by the leader, decoded by
// each follower to apply it) and its share of an Entries frame of 8 entries and of an Ack, in
// their binary layouts against the CBOR (cbor-x) they replaced.
import type { Bench } from 'tinybench';
import { decodeLogEntry, encodeLogEntry, type LogEntry } from '../src/replication/log-entry.ts';
import { decodeReplFrame, encodeReplFrame } from '../src/replication/repl-frame-codec.ts';
import { ReplFrameType, type AckFrame, type EntriesFrame } from '../src/replication/frames.ts';
import { decodeFrame, encodeFrame } from '../src/rings/frame-codec.ts';

export function register(bench: Bench): void {
  // A PutItem of a 200-byte item over an older one, with its write id.
  const entry: LogEntry = { e: 3, i: 123_456, m: [{ k: Buffer.alloc(24, 7), b: Buffer.alloc(220, 9), o: Buffer.alloc(210, 8), d: 0, z: 10 }], w: 'f3a1c2d4e5b6a7980f1e2d3c', a: null };
  const binaryEntry = encodeLogEntry(entry);
  const cborEntry = encodeFrame(entry);
  const frameOf = (entries: Uint8Array[]): EntriesFrame => ({ r: ReplFrameType.Entries, t: 'orders', p: 2, from: 0, e: 3, prev: 1000, prevEpoch: 3, base: 10, entries, epochs: entries.map(() => 3), commit: 999, ack: true });
  const binaryFrame = frameOf(Array.from({ length: 8 }, () => binaryEntry));
  const cborFrame = frameOf(Array.from({ length: 8 }, () => cborEntry));
  const ack: AckFrame = { r: ReplFrameType.Ack, t: 'orders', p: 2, from: 1, e: 3, ok: true, i: 1008, applied: 999 };
  const binaryFrameBytes = encodeReplFrame(binaryFrame);
  const cborFrameBytes = encodeFrame(cborFrame);
  const binaryAck = encodeReplFrame(ack);
  const cborAck = encodeFrame(ack);
  let sink: unknown = null;
  bench
    .add('log entry encode: binary', () => void (sink = encodeLogEntry(entry)))
    .add('log entry encode: CBOR', () => void (sink = encodeFrame(entry)))
    .add('log entry decode: binary', () => void (sink = decodeLogEntry(binaryEntry)))
    .add('log entry decode: CBOR', () => void (sink = decodeFrame(cborEntry)))
    .add('Entries frame of 8, encode + decode: binary', () => void (sink = decodeReplFrame(encodeReplFrame(binaryFrame))))
    .add('Entries frame of 8, encode + decode: CBOR', () => void (sink = decodeFrame(encodeFrame(cborFrame))))
    .add('Ack encode + decode: binary', () => void (sink = decodeReplFrame(encodeReplFrame(ack))))
    .add('Ack encode + decode: CBOR', () => void (sink = decodeFrame(encodeFrame(ack))));
  if (sink === undefined || binaryFrameBytes.length === 0 || cborFrameBytes.length === 0 || binaryAck.length === 0 || cborAck.length === 0) throw new Error('unreachable');
}
