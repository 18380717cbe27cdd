// Appends to the write-ahead log: each storage node's batches become records (header with LSN,
// group, node, incarnation and CRC; payload encrypted when a key is set), gathered into one group
// per group commit and made durable by one write and one fdatasync of the segment they are in. A
// group that does not fit in the rest of a segment ends it with a SegmentEnd record and goes on in
// the next one (both are synced). Segments are preallocated (zero-filled, so an fdatasync does not
// change a file's size) and recycled once every node's checkpoint covers them. A failed write or
// fdatasync is not retried: the process stops (after a failed fsync, Linux may have dropped the
// dirty pages; retrying would report data durable that is not).
import { crc32 } from 'node:zlib';
import { WalFlag, WalRecordType, recordBytes, walHeaderBytes, writeRecord } from './wal-format.ts';
import { batchRecords, batchSequence } from './wal-payloads.ts';
import type { WalCipher } from './wal-cipher.ts';

/** Where the log's segments live: files in the server, memory in the simulator. */
export interface WalSegments {
  /** Segment numbers present, ascending. */
  list(): number[];
  /** How a segment is named to people (its file's path). */
  name(segment: number): string;
  /** Fills `target` with the segment's bytes from `position` on (zeros past the file's end, or for a missing file). */
  readAt(segment: number, position: number, target: Buffer): void;
  /**
   * A new segment of `bytes`, made durable: a spare one reused (its stale records carry other
   * LSNs), or a new file of that size (its size never changes after). Returns whether its blocks
   * are still to be written (fill()) so that a sync of a write to it changes no block map.
   */
  create(segment: number, bytes: number): boolean;
  /** Writes zeros to `bytes` of a new segment from `offset`, durably (the log writer does it while idle). */
  fill(segment: number, offset: number, bytes: number): void;
  /** A segment the log no longer needs becomes a spare (not listed any more) for create() to reuse. */
  retire(segment: number): void;
  write(segment: number, offset: number, bytes: Uint8Array): void;
  /** Makes every write to the segment durable (fdatasync); throws if it fails. */
  sync(segment: number): void;
}

/** Where each node's batches stand once a group is durable. */
export interface NodeDurability {
  node: number;
  /** The node's last batch in the group. */
  sequence: number;
  /** The LSN just after that batch's last record. */
  lsn: number;
}

export interface WalWriterOptions {
  segmentBytes: number;
  /** Encrypts payloads (ChaCha20-Poly1305, the nonce from the LSN) when encryption at rest is on. */
  cipher: WalCipher | null;
}

export class WalWriter {
  private readonly segments: WalSegments;
  private readonly segmentBytes: number;
  private readonly cipher: WalCipher | null;
  /** The next group's number. */
  private group: number;
  /** The group being gathered: its bytes per segment, and each node's last batch in it. */
  private pending: Buffer;
  private pendingStart: number;
  private pendingBytes = 0;
  private readonly pendingNodes = new Map<number, NodeDurability>();
  /** Segments whose part of the pending group ends before `pendingStart` moved on (a group spanning two). */
  private readonly spilled: Array<{ segment: number; offset: number; bytes: Buffer }> = [];
  /** Records of the pending group (the last one gets the end-of-group flag when the group is written). */
  private lastRecordAt = -1;
  /** Segments held, oldest first; the last is being written. */
  private readonly held: number[];
  /** The segment being written, from `from` on, is a new file whose blocks are not written yet. */
  private unfilled: { segment: number; from: number } | null = null;

  constructor(segments: WalSegments, options: WalWriterOptions, end: { end: number; nextGroup: number; segments: number[] }) {
    this.segments = segments;
    this.segmentBytes = options.segmentBytes;
    this.cipher = options.cipher;
    this.group = end.nextGroup;
    this.held = end.segments.slice();
    // What the start-up scan read may be in the page cache only (written by a process that died
    // before syncing it) and a node may act on it as durable: sync every segment holding the log
    // before anything follows it. The next group's sync covers only its own segment, and a power
    // loss would otherwise leave an unsynced hole before synced groups.
    for (const segment of this.held) this.segments.sync(segment);
    const current = Math.floor(end.end / this.segmentBytes);
    if (!this.held.includes(current)) {
      if (this.segments.create(current, this.segmentBytes)) this.unfilled = { segment: current, from: 0 };
      this.held.push(current);
    }
    this.pending = Buffer.alloc(Math.min(this.segmentBytes, 1 << 20));
    this.pendingStart = end.end;
  }

  /** The LSN where the next record goes. */
  get end(): number {
    return this.pendingStart + this.pendingBytes;
  }

  /** Whether records wait for the next group commit. */
  get hasPending(): boolean {
    return this.pendingBytes > 0 || this.spilled.length > 0;
  }

  /** Adds one node's batch to the group being gathered. */
  append(node: number, incarnation: number, batch: Uint8Array): void {
    for (const { type, payload } of batchRecords(batch)) {
      const body = this.cipher === null ? payload : null;
      const length = body === null ? payload.length + this.cipher!.overheadBytes : body.length;
      // A SegmentEnd record must still fit behind this one.
      if (this.offsetInSegment() + recordBytes(length) + recordBytes(0) > this.segmentBytes) this.endSegment(node, incarnation);
      const lsn = this.end;
      const sealed = body ?? this.cipher!.seal(lsn, payload);
      this.reserve(recordBytes(sealed.length));
      this.lastRecordAt = this.pendingBytes;
      this.pendingBytes += writeRecord(this.pending, this.pendingBytes, { lsn, group: this.group, type, flags: 0, node, incarnation }, sealed);
    }
    this.pendingNodes.set(node, { node, sequence: batchSequence(batch), lsn: this.end });
  }

  /**
   * Writes the gathered group and syncs it (one write and one fdatasync, two when it spans a
   * segment's end). Returns where each node's batches stand now. Throws if the disk fails.
   */
  commitGroup(): NodeDurability[] {
    if (!this.hasPending) return [];
    // The group's last record says the group ends there.
    if (this.lastRecordAt >= 0) this.flagEnd(this.lastRecordAt);
    const current = Math.floor(this.pendingStart / this.segmentBytes);
    for (const part of this.spilled) {
      this.segments.write(part.segment, part.offset, part.bytes);
      this.segments.sync(part.segment);
    }
    this.spilled.length = 0;
    if (this.pendingBytes > 0) {
      this.segments.write(current, this.pendingStart - current * this.segmentBytes, this.pending.subarray(0, this.pendingBytes));
      this.segments.sync(current);
    }
    this.pendingStart += this.pendingBytes;
    this.pendingBytes = 0;
    this.lastRecordAt = -1;
    this.group++;
    const done = [...this.pendingNodes.values()];
    this.pendingNodes.clear();
    return done;
  }

  /**
   * Segments wholly before `coveredLsn` (every node's durable checkpoint is past them) become
   * spares, reused as later segments instead of new zero-filled files.
   */
  release(coveredLsn: number): void {
    while (this.held.length > 1 && (this.held[0] + 1) * this.segmentBytes <= coveredLsn) this.segments.retire(this.held.shift()!);
  }

  /**
   * Writes up to `bytes` zeros of the segment being written ahead of the log's end (a new file is
   * made sparse, so that making one costs no wait; its blocks are written here, while the writer
   * is idle, so that a group's sync then flushes data only). Returns whether it wrote any.
   */
  fillStep(bytes: number): boolean {
    const u = this.unfilled;
    if (u === null) return false;
    const segmentStart = u.segment * this.segmentBytes;
    // Written data ends where the pending group starts; its block is allocated already.
    const written = this.pendingStart - segmentStart;
    if (written >= this.segmentBytes) {
      this.unfilled = null;
      return false;
    }
    const from = Math.max(u.from, alignUp(Math.max(0, written), fillAlignBytes));
    const to = Math.min(this.segmentBytes, from + bytes);
    if (from < to) this.segments.fill(u.segment, from, to - from);
    u.from = to;
    if (to >= this.segmentBytes) this.unfilled = null;
    return from < to;
  }

  /** Segments holding the log now (oldest first). */
  get heldSegments(): readonly number[] {
    return this.held;
  }

  private offsetInSegment(): number {
    return this.end % this.segmentBytes;
  }

  private reserve(bytes: number): void {
    if (this.pendingBytes + bytes <= this.pending.length) return;
    const bigger = Buffer.alloc(Math.max(this.pendingBytes + bytes, this.pending.length * 2));
    this.pending.copy(bigger, 0, 0, this.pendingBytes);
    this.pending = bigger;
  }

  /** Ends the current segment within the pending group and goes on at the start of the next one. */
  private endSegment(node: number, incarnation: number): void {
    const lsn = this.end;
    this.reserve(recordBytes(0));
    this.pendingBytes += writeRecord(this.pending, this.pendingBytes, { lsn, group: this.group, type: WalRecordType.SegmentEnd, flags: 0, node, incarnation }, new Uint8Array(0));
    const segment = Math.floor(this.pendingStart / this.segmentBytes);
    this.spilled.push({ segment, offset: this.pendingStart - segment * this.segmentBytes, bytes: Buffer.from(this.pending.subarray(0, this.pendingBytes)) });
    const next = segment + 1;
    this.unfilled = this.segments.create(next, this.segmentBytes) ? { segment: next, from: 0 } : null;
    this.held.push(next);
    this.pendingStart = next * this.segmentBytes;
    this.pendingBytes = 0;
    this.lastRecordAt = -1;
  }

  /** Sets the end-of-group flag on the record at `at` in the pending buffer (and its CRC with it). */
  private flagEnd(at: number): void {
    const length = this.pending.readUInt32BE(at);
    this.pending[at + 25] |= WalFlag.endOfGroup;
    writeCrc(this.pending, at, length);
  }
}

/** Zeros are written a file system block at a time, never into a block that holds records. */
const fillAlignBytes = 4096;

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function writeCrc(buf: Buffer, at: number, length: number): void {
  buf.writeUInt32BE(crc32(buf.subarray(at + 8, at + walHeaderBytes + length)), at + 4);
}
