// What each write-ahead log record carries (its payload), and the batch a storage node hands to
// the log writer: the records of one of its commits, in order. Binary, big-endian; a table id is
// a length-prefixed UTF-8 string. Items applied from committed log entries are not here: they are
// derived from the log entries (recovery re-applies them), so an item is written once per commit.
import { encodeFrame, decodeFrame } from '../../rings/frame-codec.ts';
import type { ReplicaRecord } from '../../replication/replica-machine.ts';
import { logIndexMax, type FollowerPositions } from '../node-store.ts';
import { WalRecordType, type WalRecordTypeCode } from './wal-format.ts';

/** A LogRemove "to the end" (logIndexMax, 2^48) is written as the highest index 6 bytes hold: no entry is ever there. */
const toTheEnd = 2 ** 48 - 1;

/** Builds one commit's records into one growing buffer (reused from commit to commit). */
export class WalBatchBuilder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 4;
  private records = 0;

  /** Records in the batch being built. */
  get count(): number {
    return this.records;
  }

  /** Takes the batch's bytes (sequence number first) and starts a new one. */
  take(sequence: number): Uint8Array {
    this.buf.writeUInt32BE(sequence >>> 0, 0);
    const out = Uint8Array.prototype.slice.call(this.buf, 0, this.at);
    this.at = 4;
    this.records = 0;
    return out;
  }

  logAppend(table: string, pid: number, index: number, epoch: number, entry: Uint8Array): void {
    const p = this.begin(WalRecordType.LogAppend, tableBytes(table) + 4 + 6 + 4 + entry.length);
    let o = this.table(p, table);
    o = this.buf.writeUInt32BE(pid, o);
    o = this.buf.writeUIntBE(index, o, 6);
    o = this.buf.writeUInt32BE(epoch, o);
    this.buf.set(entry, o);
  }

  logRemove(table: string, pid: number, from: number, to: number): void {
    const p = this.begin(WalRecordType.LogRemove, tableBytes(table) + 4 + 6 + 6);
    let o = this.table(p, table);
    o = this.buf.writeUInt32BE(pid, o);
    o = this.buf.writeUIntBE(from, o, 6);
    this.buf.writeUIntBE(Math.min(to, toTheEnd), o, 6);
  }

  replicaRecord(record: ReplicaRecord): void {
    this.bytes(WalRecordType.ReplicaRecord, encodeFrame(record));
  }

  replicaRemove(table: string, pid: number): void {
    const p = this.begin(WalRecordType.ReplicaRemove, tableBytes(table) + 4);
    this.buf.writeUInt32BE(pid, this.table(p, table));
  }

  followerPositions(table: string, pid: number, positions: FollowerPositions): void {
    this.bytes(WalRecordType.FollowerPositions, encodeFrame({ t: table, p: pid, f: positions }));
  }

  keyValue(type: typeof WalRecordType.SnapshotItem | typeof WalRecordType.FollowerDataPut, table: string, key: Uint8Array, value: Uint8Array): void {
    const p = this.begin(type, tableBytes(table) + 2 + key.length + value.length);
    let o = this.table(p, table);
    o = this.buf.writeUInt16BE(key.length, o);
    this.buf.set(key, o);
    this.buf.set(value, o + key.length);
  }

  followerDataRemove(table: string, key: Uint8Array): void {
    const p = this.begin(WalRecordType.FollowerDataRemove, tableBytes(table) + key.length);
    this.buf.set(key, this.table(p, table));
  }

  clearRange(table: string, hashStart: number, hashEnd: number): void {
    const p = this.begin(WalRecordType.ClearRange, tableBytes(table) + 6 + 6);
    let o = this.table(p, table);
    o = this.buf.writeUIntBE(hashStart, o, 6);
    this.buf.writeUIntBE(hashEnd, o, 6);
  }

  dropTable(table: string): void {
    const p = this.begin(WalRecordType.DropTable, tableBytes(table));
    this.table(p, table);
  }

  private bytes(type: WalRecordTypeCode, payload: Uint8Array): void {
    // begin() first: it may replace this.buf with a bigger buffer (read before it, the old one
    // was written past its end).
    const at = this.begin(type, payload.length);
    this.buf.set(payload, at);
  }

  /** Starts a record of `length` payload bytes: returns where its payload goes. */
  private begin(type: WalRecordTypeCode, length: number): number {
    const need = this.at + 5 + length;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.at);
      this.buf = bigger;
    }
    this.buf[this.at] = type;
    this.buf.writeUInt32BE(length, this.at + 1);
    const payload = this.at + 5;
    this.at = payload + length;
    this.records++;
    return payload;
  }

  private table(offset: number, table: string): number {
    const n = this.buf.write(table, offset + 2, 'utf8');
    this.buf.writeUInt16BE(n, offset);
    return offset + 2 + n;
  }
}

function tableBytes(table: string): number {
  return 2 + Buffer.byteLength(table, 'utf8');
}

/** The records of a batch as the log writer receives it: its sequence number, then each record's type and payload. */
export function* batchRecords(batch: Uint8Array): Generator<{ type: number; payload: Buffer }> {
  const buf = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  for (let o = 4; o < buf.length; ) {
    const type = buf[o];
    const length = buf.readUInt32BE(o + 1);
    yield { type, payload: buf.subarray(o + 5, o + 5 + length) };
    o += 5 + length;
  }
}

export function batchSequence(batch: Uint8Array): number {
  return Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength).readUInt32BE(0);
}

/** One record's payload, decoded (recovery replays these). */
export type WalChange =
  | { type: typeof WalRecordType.LogAppend; table: string; pid: number; index: number; epoch: number; entry: Uint8Array }
  | { type: typeof WalRecordType.LogRemove; table: string; pid: number; from: number; to: number }
  | { type: typeof WalRecordType.ReplicaRecord; record: ReplicaRecord }
  | { type: typeof WalRecordType.ReplicaRemove; table: string; pid: number }
  | { type: typeof WalRecordType.FollowerPositions; table: string; pid: number; positions: FollowerPositions }
  | { type: typeof WalRecordType.SnapshotItem | typeof WalRecordType.FollowerDataPut; table: string; key: Buffer; value: Buffer }
  | { type: typeof WalRecordType.FollowerDataRemove; table: string; key: Buffer }
  | { type: typeof WalRecordType.ClearRange; table: string; hashStart: number; hashEnd: number }
  | { type: typeof WalRecordType.DropTable; table: string };

/** Decodes a record payload (copies what it keeps: the payload is a view of a segment being read). */
export function decodeChange(type: number, payload: Buffer): WalChange {
  switch (type) {
    case WalRecordType.LogAppend: {
      const [table, o] = readTable(payload, 0);
      return { type, table, pid: payload.readUInt32BE(o), index: payload.readUIntBE(o + 4, 6), epoch: payload.readUInt32BE(o + 10), entry: Uint8Array.prototype.slice.call(payload, o + 14) };
    }
    case WalRecordType.LogRemove: {
      const [table, o] = readTable(payload, 0);
      const to = payload.readUIntBE(o + 10, 6);
      return { type, table, pid: payload.readUInt32BE(o), from: payload.readUIntBE(o + 4, 6), to: to === toTheEnd ? logIndexMax : to };
    }
    case WalRecordType.ReplicaRecord:
      return { type, record: decodeFrame(Uint8Array.prototype.slice.call(payload)) as ReplicaRecord };
    case WalRecordType.ReplicaRemove: {
      const [table, o] = readTable(payload, 0);
      return { type, table, pid: payload.readUInt32BE(o) };
    }
    case WalRecordType.FollowerPositions: {
      const f = decodeFrame(Uint8Array.prototype.slice.call(payload)) as { t: string; p: number; f: FollowerPositions };
      return { type, table: f.t, pid: f.p, positions: f.f };
    }
    case WalRecordType.SnapshotItem:
    case WalRecordType.FollowerDataPut: {
      const [table, o] = readTable(payload, 0);
      const keyLength = payload.readUInt16BE(o);
      return { type, table, key: Buffer.from(payload.subarray(o + 2, o + 2 + keyLength)), value: Buffer.from(payload.subarray(o + 2 + keyLength)) };
    }
    case WalRecordType.FollowerDataRemove: {
      const [table, o] = readTable(payload, 0);
      return { type, table, key: Buffer.from(payload.subarray(o)) };
    }
    case WalRecordType.ClearRange: {
      const [table, o] = readTable(payload, 0);
      return { type, table, hashStart: payload.readUIntBE(o, 6), hashEnd: payload.readUIntBE(o + 6, 6) };
    }
    case WalRecordType.DropTable:
      return { type, table: readTable(payload, 0)[0] };
    default:
      throw new Error(`write-ahead log record of unknown type ${type}`);
  }
}

function readTable(payload: Buffer, offset: number): [string, number] {
  const n = payload.readUInt16BE(offset);
  return [payload.toString('utf8', offset + 2, offset + 2 + n), offset + 2 + n];
}
