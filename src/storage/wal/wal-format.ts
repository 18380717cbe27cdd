// The write-ahead log's on-disk record format. The log is a stream of bytes cut into segment
// files of a fixed size; a record's position in that stream is its LSN (log sequence number), and
// it says so in its header, so a stale record left in a recycled segment (written there at another
// position) is never taken for a current one. Records are written in groups, one group per group
// commit (one fdatasync); the last record of a group is flagged, so that the reader can tell a torn
// last group (its sync never completed: nothing in it was acknowledged) from a damaged record in a
// group that was synced (which must never be silently dropped).
//
// Header (32 bytes, big-endian), then the payload, then zero padding to a multiple of 8 bytes:
//   0  u32  payload length
//   4  u32  CRC-32 of bytes 8 .. 32 + payload length (the rest of the header and the payload)
//   8  u64  LSN (as two u32: high, low)
//   16 u64  group (as two u32: high, low)
//   24 u8   type (WalRecordType)
//   25 u8   flags (endOfGroup)
//   26 u16  node (the storage node the record belongs to)
//   28 u32  incarnation (of that node: records of a replaced incarnation are skipped)
import { crc32 } from 'node:zlib';

export const walHeaderBytes = 32;
/** Records start at multiples of this (the reader looks for a valid record only there). */
export const walAlignBytes = 8;

export const WalRecordType = {
  /** The segment ends here: the log continues at the start of the next segment. */
  SegmentEnd: 1,
  /** A replication log entry: table, partition, index, epoch, the entry as the leader encoded it. */
  LogAppend: 2,
  /** Log entries from..to of one partition removed (a truncation or a trim). */
  LogRemove: 3,
  /** A replica record (membership, epoch, state, applied index, counts). */
  ReplicaRecord: 4,
  /** A replica's record and followers' positions removed (the replica left the node). */
  ReplicaRemove: 5,
  /** The log followers' positions on one replica. */
  FollowerPositions: 6,
  /** An item written by a snapshot install (items applied from committed entries are not logged). */
  SnapshotItem: 7,
  /** A log follower's own data: put, or removed. */
  FollowerDataPut: 8,
  FollowerDataRemove: 9,
  /** Every item and follower datum of a hash range removed (a replica rebuilt or dropped). */
  ClearRange: 10,
  /** A table's trees dropped on this node. */
  DropTable: 11,
} as const;
export type WalRecordTypeCode = (typeof WalRecordType)[keyof typeof WalRecordType];

export const WalFlag = {
  /** The last record of its group: the group is complete once this record is on disk. */
  endOfGroup: 1,
} as const;

export interface WalHeader {
  length: number;
  lsn: number;
  group: number;
  type: number;
  flags: number;
  node: number;
  incarnation: number;
}

/** Bytes a record of `payloadLength` takes in the log, padding included. */
export function recordBytes(payloadLength: number): number {
  return alignUp(walHeaderBytes + payloadLength);
}

export function alignUp(n: number): number {
  return (n + walAlignBytes - 1) & ~(walAlignBytes - 1);
}

/** Writes a record (header, payload, padding) into `out` at `offset`; returns the bytes written. */
export function writeRecord(out: Buffer, offset: number, header: Omit<WalHeader, 'length'>, payload: Uint8Array): number {
  const length = payload.length;
  out.writeUInt32BE(length, offset);
  writeU64(out, offset + 8, header.lsn);
  writeU64(out, offset + 16, header.group);
  out[offset + 24] = header.type;
  out[offset + 25] = header.flags;
  out.writeUInt16BE(header.node, offset + 26);
  out.writeUInt32BE(header.incarnation, offset + 28);
  out.set(payload, offset + walHeaderBytes);
  const total = recordBytes(length);
  out.fill(0, offset + walHeaderBytes + length, offset + total);
  out.writeUInt32BE(crc32(out.subarray(offset + 8, offset + walHeaderBytes + length)), offset + 4);
  return total;
}

/**
 * The header at `offset` if a valid record starts there at log position `lsn`: its length fits
 * in `limit` bytes of `buf`, its CRC matches and it says it is at `lsn`. Null otherwise (a torn
 * or zeroed record, garbage, or a stale record from another position).
 */
export function readValidHeader(buf: Buffer, offset: number, limit: number, lsn: number): WalHeader | null {
  if (offset + walHeaderBytes > limit) return null;
  // The cheap test first: a record that does not say it is here is not one (zeros, garbage, stale records).
  if (readU64(buf, offset + 8) !== lsn) return null;
  const length = buf.readUInt32BE(offset);
  if (offset + walHeaderBytes + length > limit) return null;
  if (crc32(buf.subarray(offset + 8, offset + walHeaderBytes + length)) !== buf.readUInt32BE(offset + 4)) return null;
  return {
    length,
    lsn,
    group: readU64(buf, offset + 16),
    type: buf[offset + 24],
    flags: buf[offset + 25],
    node: buf.readUInt16BE(offset + 26),
    incarnation: buf.readUInt32BE(offset + 28),
  };
}

/** The LSN a record header at `offset` says it is at (the cheap first test of a record). */
export function headerLsn(buf: Buffer, offset: number): number {
  return readU64(buf, offset + 8);
}

function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32BE(Math.floor(value / 2 ** 32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * 2 ** 32 + buf.readUInt32BE(offset + 4);
}

/** Segment file names: the segment's number in 16 hex digits, so that names sort as numbers. */
export function segmentFileName(segment: number): string {
  return `${segment.toString(16).padStart(16, '0')}.wal`;
}

export function segmentOfFileName(name: string): number | null {
  const m = /^([0-9a-f]{16})\.wal$/.exec(name);
  return m === null ? null : parseInt(m[1], 16);
}
