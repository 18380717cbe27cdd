// Reads the write-ahead log back at start-up: every valid record in log order, and where the log
// ends. A record that is not valid (torn, zeroed, garbage, or stale from a recycled segment) ends
// the log if it is part of the last group, whose fdatasync never completed (nothing in it was
// acknowledged: the writer acknowledges a group only once it is synced, and starts the next group
// only then). A bad record in a group that was synced (a later group exists after it) is damage to
// acknowledged data: the reader refuses, naming the segment and the offset, rather than drop it.
// Records are handed out a whole group at a time, once its last record is read: a node's batch is
// in one group, so a group cut short (its end never written) is cut whole, never half applied (an
// install's cleared range without the record that says what replaced it).
import { WalFlag, WalRecordType, headerLsn, readValidHeader, recordBytes, walAlignBytes, walHeaderBytes, type WalHeader } from './wal-format.ts';
import type { WalSegments } from './wal-writer.ts';

/** What reading the log needs of where its segments are. */
export type WalSource = Pick<WalSegments, 'list' | 'readAt' | 'name'>;

/** The log is read this much at a time (a record larger than this is read whole). */
export const walReadBytes = 1 << 20;

/**
 * Windows onto the segments, read a chunk at a time: only what the scan reaches is read, and
 * memory stays at a chunk or two whatever the segment size. Each window is a new buffer, so views
 * handed out stay valid (a group's records are held until its end is read).
 */
class SegmentWindows {
  private buf = Buffer.alloc(0);
  private segment = -1;
  private start = 0;

  constructor(
    private readonly source: WalSource,
    private readonly segmentBytes: number,
    readonly readBytes: number,
  ) {}

  /** Bytes [offset, offset + n) of `segment` (n ≤ segmentBytes - offset); zeros past a file's end. */
  view(segment: number, offset: number, n: number): Buffer {
    if (segment === this.segment && offset >= this.start && offset + n <= this.start + this.buf.length) return this.buf.subarray(offset - this.start, offset - this.start + n);
    const length = Math.min(Math.max(n, this.readBytes), this.segmentBytes - offset);
    this.buf = Buffer.allocUnsafe(length);
    this.source.readAt(segment, offset, this.buf);
    this.segment = segment;
    this.start = offset;
    return this.buf.subarray(0, n);
  }

  /** The valid record at `offset` of `segment` if one starts there at log position `lsn` (readValidHeader), with its payload. */
  record(segment: number, offset: number, lsn: number): { header: WalHeader; payload: Buffer } | null {
    if (offset + walHeaderBytes > this.segmentBytes) return null;
    const head = this.view(segment, offset, walHeaderBytes);
    if (headerLsn(head, 0) !== lsn) return null;
    const length = head.readUInt32BE(0);
    if (offset + walHeaderBytes + length > this.segmentBytes) return null;
    const whole = this.view(segment, offset, walHeaderBytes + length);
    const header = readValidHeader(whole, 0, whole.length, lsn);
    return header === null ? null : { header, payload: whole.subarray(walHeaderBytes) };
  }
}

export class WalCorruptError extends Error {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, detail: string) {
    super(`the write-ahead log is damaged in ${file} at offset ${offset}: ${detail}; monodyne will not start on it (acknowledged writes could be lost). Restore the data directory from a backup.`);
    this.name = 'WalCorruptError';
    this.file = file;
    this.offset = offset;
  }
}

export interface WalEnd {
  /** The LSN where the next record goes. */
  end: number;
  /** The group number the next group commit takes (above every group a cut tail may still hold). */
  nextGroup: number;
  /** The segments that hold the log, oldest first (the last one is where writing continues). */
  segments: number[];
  /** A torn or zeroed tail was cut at `end` (the last group's sync never completed). */
  cutTail: boolean;
}

/**
 * Visits every valid record of the log in order (`visit` gets the header and the payload), a
 * whole group at a time, and returns where the log ends. Throws WalCorruptError when a bad record
 * is followed by a later group's records. With `range`, reads only from `range.from` (a record's
 * position: a checkpoint's mark) up to `range.to` (where a full scan found the log's end).
 */
export function scanWal(
  source: WalSource,
  segmentBytes: number,
  visit: (header: WalHeader, payload: Buffer) => void,
  range?: { from: number; to: number },
  readBytes = walReadBytes,
): WalEnd {
  if (!(readBytes >= walHeaderBytes)) throw new RangeError(`the log is read at least a record header at a time (${walHeaderBytes} bytes), not ${readBytes}`);
  const segments = source.list();
  if (segments.length === 0 || (range !== undefined && range.from >= range.to)) return { end: range?.to ?? 0, nextGroup: 0, segments: [], cutTail: false };
  const windows = new SegmentWindows(source, segmentBytes, readBytes);
  // A mark in a segment reused since (every node's checkpoint covered it) reads from the oldest one kept.
  const from = range === undefined ? segments[0] * segmentBytes : Math.max(range.from, segments[0] * segmentBytes);
  let segment = Math.floor(from / segmentBytes);
  let offset = from % segmentBytes;
  let lastGroup = -1;
  let lastEnded = true;
  const used = [segment];
  /** The records of the group being read, and where it starts. */
  const group: Array<{ header: WalHeader; payload: Buffer }> = [];
  let groupStart = 0;
  /** The log ends at `lsn`; a group whose end was never written is cut whole (its sync never completed). */
  const ending = (lsn: number, cut: boolean): WalEnd => {
    if (!lastEnded) {
      const kept = used.filter((s) => s <= Math.floor(groupStart / segmentBytes));
      return { end: groupStart, nextGroup: lastGroup + 1, segments: kept.length > 0 ? kept : [used[0]], cutTail: true };
    }
    // Records of a cut tail carry a group up to lastGroup + 1: the writer's next group is above them.
    return { end: lsn, nextGroup: lastGroup + (cut ? 2 : 1), segments: used, cutTail: cut };
  };
  for (;;) {
    const lsn = segment * segmentBytes + offset;
    if (range !== undefined && lsn >= range.to) return ending(lsn, false);
    const record = windows.record(segment, offset, lsn);
    const header = record?.header ?? null;
    // Within a group, or a later one (after a cut the writer resumes with a group above any in the cut tail).
    const follows = header !== null && (lastGroup === -1 || (header.group === lastGroup && !lastEnded) || header.group > lastGroup);
    if (header === null || !follows) {
      const cut = decideAtBadRecord(source, windows, segments, segment, offset, segmentBytes, lastEnded ? lastGroup + 1 : lastGroup);
      return ending(lsn, cut);
    }
    if (lastEnded) groupStart = lsn;
    lastGroup = header.group;
    lastEnded = (header.flags & WalFlag.endOfGroup) !== 0;
    if (header.type !== WalRecordType.SegmentEnd) {
      group.push(record!);
      offset += recordBytes(header.length);
    }
    if (lastEnded) {
      for (const r of group) visit(r.header, r.payload);
      group.length = 0;
    }
    if (header.type === WalRecordType.SegmentEnd || offset >= segmentBytes) {
      const end = (segment + 1) * segmentBytes;
      if (header.type !== WalRecordType.SegmentEnd) return ending(end, false);
      segment++;
      offset = 0;
      if (!segments.includes(segment)) return ending(end, false);
      used.push(segment);
    }
  }
}

/**
 * At a bad record of group `badGroup` (at most): true when it is a torn tail (no later group
 * follows; cut there), or throws when a later group's valid record follows it. Reads the rest of
 * the segment and the next one a chunk at a time.
 */
function decideAtBadRecord(source: WalSource, windows: SegmentWindows, segments: number[], segment: number, offset: number, segmentBytes: number, badGroup: number): boolean {
  let laterGroup = -1;
  let laterAt = -1;
  const look = (seg: number, from: number): void => {
    for (let q = from; q + walHeaderBytes <= segmentBytes; ) {
      const chunk = windows.view(seg, q, Math.min(windows.readBytes, segmentBytes - q));
      let p = q;
      // Positions whose first 16 bytes (length, CRC, LSN) are in this chunk.
      for (; p + 16 <= q + chunk.length && p + walHeaderBytes <= segmentBytes; p += walAlignBytes) {
        const at = p - q;
        // Zeros (a preallocated segment's rest) hold no record: skip them at memcmp speed.
        if (wordIsZero(chunk, at)) {
          p = q + skipZeros(chunk, at, chunk.length) - walAlignBytes;
          continue;
        }
        if (headerLsn(chunk, at) !== seg * segmentBytes + p) continue;
        const h = windows.record(seg, p, seg * segmentBytes + p)?.header;
        if (h !== undefined && h.group > laterGroup) {
          laterGroup = h.group;
          laterAt = seg * segmentBytes + p;
        }
      }
      if (p <= q) break;
      q = p;
    }
  };
  look(segment, offset + walAlignBytes);
  if (segments.includes(segment + 1)) look(segment + 1, 0);
  if (laterGroup > badGroup) {
    throw new WalCorruptError(source.name(segment), offset, `an invalid record is followed by a record of group ${laterGroup} at LSN ${laterAt}, so its own group ${badGroup} had been synced`);
  }
  // Nothing, or only the rest of the last group (whose sync never completed), follows: a torn tail.
  return laterGroup >= 0 || !isZero(windows.view(segment, offset, Math.min(walHeaderBytes, segmentBytes - offset)), 0);
}

const zeroBlock = Buffer.alloc(64 * 1024);

/**
 * The first 8-aligned offset at or after `from` whose 8 bytes are not all zero (or `limit`). A
 * record's LSN field is never zero past the log's first 8 bytes, so none starts in a zero run.
 */
function skipZeros(buf: Buffer, from: number, limit: number): number {
  let q = from & ~(walAlignBytes - 1);
  while (q < limit) {
    const n = Math.min(zeroBlock.length, limit - q);
    if (buf.compare(zeroBlock, 0, n, q, q + n) !== 0) break;
    q += n;
  }
  while (q < limit && wordIsZero(buf, q)) q += walAlignBytes;
  return Math.min(q, limit);
}

/** Whether no record can start at `q`: its first 16 bytes (length, CRC and the LSN, never 0 past the log's start) are zero. */
function wordIsZero(buf: Buffer, q: number): boolean {
  for (let i = q; i < q + 16 && i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function isZero(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < Math.min(buf.length, offset + walHeaderBytes); i++) if (buf[i] !== 0) return false;
  return true;
}
