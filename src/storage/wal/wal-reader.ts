// Reads the write-ahead log back at start-up: every valid record in log order, and where the log
// ends. A record that is not valid (torn, zeroed, garbage, or stale from a recycled segment) ends
// the log if it is part of the last group, whose fdatasync never completed (nothing in it was
// acknowledged: the writer acknowledges a group only once it is synced, and starts the next group
// only then). A bad record in a group that was synced (a later group exists after it) is damage to
// acknowledged data: the reader refuses, naming the segment and the offset, rather than drop it.
// Records are handed out a whole group at a time, once its last record is read: a node's batch is
// in one group, so a group cut short (its end never written) is cut whole, never half applied (an
// install's cleared range without the record that says what replaced it).
import { WalFlag, WalRecordType, readValidHeader, recordBytes, walAlignBytes, walHeaderBytes, type WalHeader } from './wal-format.ts';
import type { WalSegments } from './wal-writer.ts';

/** What reading the log needs of where its segments are. */
export type WalSource = Pick<WalSegments, 'list' | 'read' | 'name'>;

/** A bad record followed by records of a later group: the log is damaged where it was synced. */
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
 * Visits every valid record of the log in `dir` in order (`visit` gets the header and the
 * payload, a view valid during the call), a whole group at a time, and returns where the log
 * ends. Throws WalCorruptError when a bad record is followed by a later group's records.
 */
export function scanWal(source: WalSource, segmentBytes: number, visit: (header: WalHeader, payload: Buffer) => void): WalEnd {
  const segments = source.list();
  if (segments.length === 0) return { end: 0, nextGroup: 0, segments: [], cutTail: false };
  let segment = segments[0];
  let buf = source.read(segment);
  let offset = 0;
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
    const header = readValidHeader(buf, offset, segmentBytes, lsn);
    // Within a group, or a later one (after a cut the writer resumes with a group above any in the cut tail).
    const follows = header !== null && (lastGroup === -1 || (header.group === lastGroup && !lastEnded) || header.group > lastGroup);
    if (header === null || !follows) {
      const cut = decideAtBadRecord(source, segments, segment, buf, offset, segmentBytes, lastEnded ? lastGroup + 1 : lastGroup);
      return ending(lsn, cut);
    }
    if (lastEnded) groupStart = lsn;
    lastGroup = header.group;
    lastEnded = (header.flags & WalFlag.endOfGroup) !== 0;
    if (header.type !== WalRecordType.SegmentEnd) {
      group.push({ header, payload: buf.subarray(offset + walHeaderBytes, offset + walHeaderBytes + header.length) });
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
      buf = source.read(segment);
      used.push(segment);
    }
  }
}

/**
 * At a bad record of group `badGroup` (at most): true when it is a torn tail (no later group
 * follows; cut there), or throws when a later group's valid record follows it.
 */
function decideAtBadRecord(source: WalSource, segments: number[], segment: number, buf: Buffer, offset: number, segmentBytes: number, badGroup: number): boolean {
  let laterGroup = -1;
  let laterAt = -1;
  const look = (b: Buffer, seg: number, from: number): void => {
    for (let q = from; q + walHeaderBytes <= segmentBytes; q += walAlignBytes) {
      // Zeros (a preallocated segment's rest) hold no record: skip them at memcmp speed.
      if (wordIsZero(b, q)) {
        q = skipZeros(b, q, segmentBytes) - walAlignBytes;
        continue;
      }
      const h = readValidHeader(b, q, segmentBytes, seg * segmentBytes + q);
      if (h !== null && h.group > laterGroup) {
        laterGroup = h.group;
        laterAt = seg * segmentBytes + q;
      }
    }
  };
  look(buf, segment, offset + walAlignBytes);
  if (segments.includes(segment + 1)) look(source.read(segment + 1), segment + 1, 0);
  if (laterGroup > badGroup) {
    throw new WalCorruptError(source.name(segment), offset, `an invalid record is followed by a record of group ${laterGroup} at LSN ${laterAt}, so its own group ${badGroup} had been synced`);
  }
  // Nothing, or only the rest of the last group (whose sync never completed), follows: a torn tail.
  return laterGroup >= 0 || !isZero(buf, offset);
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
