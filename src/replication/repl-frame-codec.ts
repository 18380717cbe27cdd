// Replication frames as bytes between storage nodes. Entries and Ack frames, the ones every write
// sends, have a fixed binary layout: a follower takes each entry as a view of the frame's bytes
// and stores and forwards it as it is, and nobody walks a generic encoder's object graph. The
// rare frames (snapshot requests and chunks) go through cbor-x.
//
// Layout (little-endian; a count or length is a u32, every other number an f64, exact for the
// integers a log uses):
//   Entries: F1, flags (1: ack), u16 table-id length, table id (UTF-8), p, from, e, prev,
//            prevEpoch, base, commit, u32 count, then per entry: epoch, u32 length, the entry
//   Ack:     F2, ok (0/1), u16 table-id length, table id, p, from, e, i, applied
// A CBOR frame starts with a map header (A0..BF), never with F1 or F2.
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';
import { broken } from './invariants.ts';
import { ReplFrameType, type AckFrame, type EntriesFrame, type ReplFrame } from './frames.ts';

const entriesMarker = 0xf1;
const ackMarker = 0xf2;
const f64 = 8;
const u32 = 4;
const entriesHeadBytes = 1 + 1 + 2 + 7 * f64 + u32;
const ackBytes = 1 + 1 + 2 + 5 * f64;

export function encodeReplFrame(frame: ReplFrame): Uint8Array {
  if (frame.r === ReplFrameType.Entries) return encodeEntries(frame);
  if (frame.r === ReplFrameType.Ack) return encodeAck(frame);
  return encodeFrame(frame);
}

export function decodeReplFrame(bytes: Uint8Array): ReplFrame {
  const marker = bytes[0];
  if (marker === entriesMarker) return decodeEntries(bytes);
  if (marker === ackMarker) return decodeAck(bytes);
  return decodeFrame(bytes) as ReplFrame;
}

function encodeEntries(f: EntriesFrame): Uint8Array {
  const tableBytes = Buffer.byteLength(f.t, 'utf8');
  let size = entriesHeadBytes + tableBytes;
  for (let i = 0; i < f.entries.length; i++) size += f64 + u32 + f.entries[i].length;
  const out = Buffer.allocUnsafe(size);
  let at = writeHead(out, entriesMarker, f.ack, f, tableBytes);
  at = out.writeDoubleLE(f.prev, at);
  at = out.writeDoubleLE(f.prevEpoch, at);
  at = out.writeDoubleLE(f.base, at);
  at = out.writeDoubleLE(f.commit, at);
  at = out.writeUInt32LE(f.entries.length, at);
  for (let i = 0; i < f.entries.length; i++) {
    const entry = f.entries[i];
    at = out.writeDoubleLE(f.epochs[i], at);
    at = out.writeUInt32LE(entry.length, at);
    out.set(entry, at);
    at += entry.length;
  }
  if (at !== size) broken(`Entries frame of ${size} bytes written to ${at}`);
  return out;
}

function decodeEntries(bytes: Uint8Array): EntriesFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tableBytes = view.getUint16(2, true);
  if (bytes.length < entriesHeadBytes + tableBytes) broken(`Entries frame of ${bytes.length} bytes, shorter than its head`);
  const t = Buffer.from(bytes.buffer, bytes.byteOffset + 4, tableBytes).toString('utf8');
  let at = 4 + tableBytes;
  const p = view.getFloat64(at, true);
  const from = view.getFloat64(at + 8, true);
  const e = view.getFloat64(at + 16, true);
  const prev = view.getFloat64(at + 24, true);
  const prevEpoch = view.getFloat64(at + 32, true);
  const base = view.getFloat64(at + 40, true);
  const commit = view.getFloat64(at + 48, true);
  const count = view.getUint32(at + 56, true);
  at += 60;
  const entries: Uint8Array[] = new Array(count);
  const epochs: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (at + f64 + u32 > bytes.length) broken(`Entries frame of ${bytes.length} bytes cut in entry ${i} of ${count}`);
    epochs[i] = view.getFloat64(at, true);
    const length = view.getUint32(at + f64, true);
    at += f64 + u32;
    if (at + length > bytes.length) broken(`Entries frame of ${bytes.length} bytes cut in entry ${i} of ${count}`);
    // A view, as the frame is this node's own copy: stored and forwarded as it is.
    entries[i] = bytes.subarray(at, at + length);
    at += length;
  }
  if (at !== bytes.length) broken(`Entries frame of ${bytes.length} bytes holds ${at}`);
  return { r: ReplFrameType.Entries, t, p, from, e, prev, prevEpoch, base, entries, epochs, commit, ack: bytes[1] === 1 };
}

function encodeAck(f: AckFrame): Uint8Array {
  const tableBytes = Buffer.byteLength(f.t, 'utf8');
  const out = Buffer.allocUnsafe(ackBytes + tableBytes);
  let at = writeHead(out, ackMarker, f.ok, f, tableBytes);
  at = out.writeDoubleLE(f.i, at);
  out.writeDoubleLE(f.applied, at);
  return out;
}

/** What both layouts start with: marker, a flag, the table id, then partition, sender and epoch; returns the offset after them. */
function writeHead(out: Buffer, marker: number, flag: boolean, f: EntriesFrame | AckFrame, tableBytes: number): number {
  out[0] = marker;
  out[1] = flag ? 1 : 0;
  out.writeUInt16LE(tableBytes, 2);
  const at = 4 + out.write(f.t, 4, 'utf8');
  return out.writeDoubleLE(f.e, out.writeDoubleLE(f.from, out.writeDoubleLE(f.p, at)));
}

function decodeAck(bytes: Uint8Array): AckFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tableBytes = view.getUint16(2, true);
  if (bytes.length !== ackBytes + tableBytes) broken(`Ack frame of ${bytes.length} bytes, expected ${ackBytes + tableBytes}`);
  const t = Buffer.from(bytes.buffer, bytes.byteOffset + 4, tableBytes).toString('utf8');
  const at = 4 + tableBytes;
  return {
    r: ReplFrameType.Ack,
    t,
    p: view.getFloat64(at, true),
    from: view.getFloat64(at + 8, true),
    e: view.getFloat64(at + 16, true),
    ok: bytes[1] === 1,
    i: view.getFloat64(at + 24, true),
    applied: view.getFloat64(at + 32, true),
  };
}
