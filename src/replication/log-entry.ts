// One entry of a partition's replication log, as the leader writes it and every replica stores
// it: encoded once by the leader (cbor-x) and carried and stored as those same bytes. The log is
// the spine later features follow (index propagation, streams, TTL deletes, transactions,
// point-in-time restore): each keeps its position as a log index of a partition (log-follower.ts).
import { decodeFrame } from '../rings/frame-codec.ts';
import { InvariantError } from './invariants.ts';
import type { TxFinish, TxRecord } from '../transactions/tx-record.ts';

/**
 * One physical change: the key, the new stored item bytes (null: deleted) and the old ones (null:
 * there was none), so that a follower of the log that sees changes (a stream, an index) needs
 * nothing but the entry.
 */
export interface LogMutation {
  k: Uint8Array;
  b: Uint8Array | null;
  o: Uint8Array | null;
  /** Change in the partition's item count (+1 new item, -1 deleted, 0 overwritten); what counts, not o (a GSI's table's entries carry no old image). */
  d: number;
  /** Change in the partition's stored item bytes (DynamoDB item sizes). */
  z: number;
}

/** A split: from this entry on, the partition is two partitions, cut at hash `at`. */
export interface SplitEntry {
  at: number;
  lowPid: number;
  highPid: number;
  /** Map version of the two children. */
  version: number;
}

export interface LogEntry {
  /** Epoch of the leader that wrote it. */
  e: number;
  /** Position in the partition's log: 1-based, contiguous. */
  i: number;
  m: LogMutation[];
  /** The client write's id and the Attributes it answered, to answer a retry without re-applying it. */
  w: string | null;
  a: string | null;
  split?: SplitEntry;
  /** The table's secondary indexes as the write saw them (index-spec.ts), for the index follower. */
  x?: Uint8Array;
  /** Outbox records the propagator delivered (followers'-data keys): every replica removes them. */
  oa?: Uint8Array[];
  /**
   * A backfill of index `rx`: the mutations are items as they are (b = o), brought into that index
   * only; the item store and every other index ignore them.
   */
  rx?: string;
  /** A transaction's prepare, commit or cancel on one item (transactions/tx-record.ts). */
  t?: TxRecord;
  /** Commits and cancels of several transactions on items of this partition (a commit's write is in m). */
  tf?: TxFinish[];
}

// Layout (little-endian; lengths u32, numbers f64, exact for the integers a log uses):
//   F3, flags (1: w, 2: a, 4: split, 8: x, 16: oa, 32: rx, 64: t, 128: tf), e, i, [u32 + w (UTF-8)],
//   [u32 + a (UTF-8)], [split: at, lowPid, highPid, version], [u32 + x], [u32 count, then per
//   key u32 + key], [u32 + rx (UTF-8)], [t: u8 op, u8 check, u32 + id (UTF-8), u32 + k,
//   i32 + b (-1: null)], [tf: u32 count, then per finish u8 op, u8 check, u32 + id (UTF-8),
//   u32 + k], u32 mutation count, then per mutation:
//   u32 + k, i32 + b (-1: null), i32 + o (-1: null), d, z.
// A reader takes keys and items as views of the entry's bytes: storing or applying an entry never
// decodes an item. Entries written before this layout are CBOR maps (first byte A0..BF), still read.
const entryMarker = 0xf3;
const hasWriteId = 1;
const hasAttributes = 2;
const hasSplit = 4;
const hasIndexSpec = 8;
const hasOutboxAcks = 16;
const hasBackfill = 32;
const hasTransaction = 64;
const hasTxFinishes = 128;
const absent = -1;

export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const wBytes = entry.w === null ? 0 : Buffer.byteLength(entry.w, 'utf8');
  const aBytes = entry.a === null ? 0 : Buffer.byteLength(entry.a, 'utf8');
  const rxBytes = entry.rx === undefined ? 0 : Buffer.byteLength(entry.rx, 'utf8');
  let size = 2 + 16 + (entry.w === null ? 0 : 4 + wBytes) + (entry.a === null ? 0 : 4 + aBytes) + (entry.split === undefined ? 0 : 32) + 4;
  if (entry.x !== undefined) size += 4 + entry.x.length;
  if (entry.oa !== undefined) for (const k of entry.oa) size += 4 + k.length;
  if (entry.oa !== undefined) size += 4;
  if (entry.rx !== undefined) size += 4 + rxBytes;
  if (entry.t !== undefined) size += txHeadBytes(entry.t) + 4 + (entry.t.b === null ? 0 : entry.t.b.length);
  if (entry.tf !== undefined) {
    size += 4;
    for (const f of entry.tf) size += txHeadBytes(f);
  }
  for (const mu of entry.m) size += 12 + mu.k.length + (mu.b === null ? 0 : mu.b.length) + (mu.o === null ? 0 : mu.o.length) + 16;
  const out = Buffer.allocUnsafe(size);
  out[0] = entryMarker;
  out[1] =
    (entry.w === null ? 0 : hasWriteId) |
    (entry.a === null ? 0 : hasAttributes) |
    (entry.split === undefined ? 0 : hasSplit) |
    (entry.x === undefined ? 0 : hasIndexSpec) |
    (entry.oa === undefined ? 0 : hasOutboxAcks) |
    (entry.rx === undefined ? 0 : hasBackfill) |
    (entry.t === undefined ? 0 : hasTransaction) |
    (entry.tf === undefined ? 0 : hasTxFinishes);
  let at = out.writeDoubleLE(entry.e, 2);
  at = out.writeDoubleLE(entry.i, at);
  if (entry.w !== null) {
    at = out.writeUInt32LE(wBytes, at);
    at += out.write(entry.w, at, 'utf8');
  }
  if (entry.a !== null) {
    at = out.writeUInt32LE(aBytes, at);
    at += out.write(entry.a, at, 'utf8');
  }
  if (entry.split !== undefined) {
    at = out.writeDoubleLE(entry.split.at, at);
    at = out.writeDoubleLE(entry.split.lowPid, at);
    at = out.writeDoubleLE(entry.split.highPid, at);
    at = out.writeDoubleLE(entry.split.version, at);
  }
  if (entry.x !== undefined) at = writeBytes(out, at, entry.x);
  if (entry.oa !== undefined) {
    at = out.writeUInt32LE(entry.oa.length, at);
    for (const k of entry.oa) at = writeBytes(out, at, k);
  }
  if (entry.rx !== undefined) {
    at = out.writeUInt32LE(rxBytes, at);
    at += out.write(entry.rx, at, 'utf8');
  }
  if (entry.t !== undefined) {
    at = writeTxHead(out, at, entry.t);
    at = entry.t.b === null ? out.writeInt32LE(absent, at) : writeBytes(out, at, entry.t.b);
  }
  if (entry.tf !== undefined) {
    at = out.writeUInt32LE(entry.tf.length, at);
    for (const f of entry.tf) at = writeTxHead(out, at, f);
  }
  at = out.writeUInt32LE(entry.m.length, at);
  for (const mu of entry.m) {
    at = writeBytes(out, at, mu.k);
    at = mu.b === null ? out.writeInt32LE(absent, at) : writeBytes(out, at, mu.b);
    at = mu.o === null ? out.writeInt32LE(absent, at) : writeBytes(out, at, mu.o);
    at = out.writeDoubleLE(mu.d, at);
    at = out.writeDoubleLE(mu.z, at);
  }
  if (at !== size) throw new InvariantError(`log entry of ${size} bytes written to ${at}`);
  return out;
}

/** What a transaction's record (t) and each finish (tf) begin with: u8 op, u8 check, u32 + id (UTF-8), u32 + k. */
function writeTxHead(out: Buffer, at: number, head: { op: number; check: boolean; id: string; k: Uint8Array }): number {
  out[at] = head.op;
  out[at + 1] = head.check ? 1 : 0;
  at = out.writeUInt32LE(Buffer.byteLength(head.id, 'utf8'), at + 2);
  at += out.write(head.id, at, 'utf8');
  return writeBytes(out, at, head.k);
}

function txHeadBytes(head: { id: string; k: Uint8Array }): number {
  return 2 + 4 + Buffer.byteLength(head.id, 'utf8') + 4 + head.k.length;
}

function readTxHead(bytes: Uint8Array, view: DataView, at: number): { op: TxRecord['op']; check: boolean; id: string; k: Uint8Array; at: number } {
  const op = bytes[at] as TxRecord['op'];
  const check = bytes[at + 1] === 1;
  const idLength = view.getUint32(at + 2, true);
  const id = text(bytes, at + 6, idLength);
  at += 6 + idLength;
  const kLength = view.getUint32(at, true);
  return { op, check, id, k: bytes.subarray(at + 4, at + 4 + kLength), at: at + 4 + kLength };
}

function writeBytes(out: Buffer, at: number, bytes: Uint8Array): number {
  at = out.writeUInt32LE(bytes.length, at);
  out.set(bytes, at);
  return at + bytes.length;
}

export function decodeLogEntry(bytes: Uint8Array): LogEntry {
  if (bytes[0] !== entryMarker) return decodeFrame(bytes) as LogEntry;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[1];
  const e = view.getFloat64(2, true);
  const i = view.getFloat64(10, true);
  let at = 18;
  let w: string | null = null;
  let a: string | null = null;
  let split: SplitEntry | undefined;
  if ((flags & hasWriteId) !== 0) {
    const length = view.getUint32(at, true);
    w = text(bytes, at + 4, length);
    at += 4 + length;
  }
  if ((flags & hasAttributes) !== 0) {
    const length = view.getUint32(at, true);
    a = text(bytes, at + 4, length);
    at += 4 + length;
  }
  if ((flags & hasSplit) !== 0) {
    split = { at: view.getFloat64(at, true), lowPid: view.getFloat64(at + 8, true), highPid: view.getFloat64(at + 16, true), version: view.getFloat64(at + 24, true) };
    at += 32;
  }
  let x: Uint8Array | undefined;
  let oa: Uint8Array[] | undefined;
  let rx: string | undefined;
  if ((flags & hasIndexSpec) !== 0) {
    const length = view.getUint32(at, true);
    x = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
  }
  if ((flags & hasOutboxAcks) !== 0) {
    const keys = view.getUint32(at, true);
    at += 4;
    oa = new Array(keys);
    for (let n = 0; n < keys; n++) {
      const length = view.getUint32(at, true);
      oa[n] = bytes.subarray(at + 4, at + 4 + length);
      at += 4 + length;
    }
  }
  if ((flags & hasBackfill) !== 0) {
    const length = view.getUint32(at, true);
    rx = text(bytes, at + 4, length);
    at += 4 + length;
  }
  let t: TxRecord | undefined;
  if ((flags & hasTransaction) !== 0) {
    const head = readTxHead(bytes, view, at);
    at = head.at;
    const bLength = view.getInt32(at, true);
    const b = bLength === absent ? null : bytes.subarray(at + 4, at + 4 + bLength);
    at += 4 + (bLength === absent ? 0 : bLength);
    t = { op: head.op, id: head.id, k: head.k, b, check: head.check };
  }
  let tf: TxFinish[] | undefined;
  if ((flags & hasTxFinishes) !== 0) {
    const finishes = view.getUint32(at, true);
    at += 4;
    tf = new Array(finishes);
    for (let n = 0; n < finishes; n++) {
      const head = readTxHead(bytes, view, at);
      at = head.at;
      tf[n] = { op: head.op as TxFinish['op'], id: head.id, k: head.k, check: head.check };
    }
  }
  const count = view.getUint32(at, true);
  at += 4;
  const m: LogMutation[] = new Array(count);
  for (let n = 0; n < count; n++) {
    const kLength = view.getUint32(at, true);
    const k = bytes.subarray(at + 4, at + 4 + kLength);
    at += 4 + kLength;
    const bLength = view.getInt32(at, true);
    const b = bLength === absent ? null : bytes.subarray(at + 4, at + 4 + bLength);
    at += 4 + (bLength === absent ? 0 : bLength);
    const oLength = view.getInt32(at, true);
    const o = oLength === absent ? null : bytes.subarray(at + 4, at + 4 + oLength);
    at += 4 + (oLength === absent ? 0 : oLength);
    m[n] = { k, b, o, d: view.getFloat64(at, true), z: view.getFloat64(at + 8, true) };
    at += 16;
  }
  if (at !== bytes.length) throw new InvariantError(`log entry ${e}/${i} of ${bytes.length} bytes holds ${at}`);
  const entry: LogEntry = { e, i, m, w, a };
  if (split !== undefined) entry.split = split;
  if (x !== undefined) entry.x = x;
  if (oa !== undefined) entry.oa = oa;
  if (rx !== undefined) entry.rx = rx;
  if (t !== undefined) entry.t = t;
  if (tf !== undefined) entry.tf = tf;
  return entry;
}

function text(bytes: Uint8Array, at: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString('utf8');
}

/** The entry a new leader appends first: it commits everything before it in its own epoch. */
export function noopEntry(epoch: number, index: number): LogEntry {
  return { e: epoch, i: index, m: [], w: null, a: null };
}
