// The simulated device under one node's write-ahead log: the real WalWriter writes its segments
// here (WalSegments), and recovery reads them back with the real scanWal (WalSource). A write
// lands in the page cache at once; only a completed fdatasync of its segment puts it on the disk.
// The sync is asked for by the writer (sync()) and completes later, when the simulated disk says
// so (completeSyncs()): in between, the bytes are written but not durable.
//   - A process crash loses nothing here: the page cache outlives the process (and a later
//     fdatasync of the segment, by the next process, makes those bytes durable too).
//   - A power loss keeps what is on the disk plus a seeded prefix of the writes since (in the
//     order they were made), cut anywhere, even inside a record: a torn tail.
// Segments are made, zero-filled and recycled durably at once (the real ones fsync the file and
// its directory before going on); a recycled segment keeps its stale bytes, as a renamed file does.
import { segmentFileName } from '../../../src/storage/wal/wal-format.ts';
import type { WalSegments } from '../../../src/storage/wal/wal-writer.ts';
import type { WalSource } from '../../../src/storage/wal/wal-reader.ts';
import type { Random } from './random.ts';

/** One segment file: what the page cache holds, and what the disk holds. */
class SegmentFile {
  constructor(
    readonly cache: Buffer,
    readonly disk: Buffer,
  ) {}

  static empty(bytes: number): SegmentFile {
    return new SegmentFile(Buffer.alloc(bytes), Buffer.alloc(bytes));
  }
}

/** A write not yet synced: where it went (the file, whatever its name is now), its bytes, and whether an earlier process made it. */
interface DirtyWrite {
  file: SegmentFile;
  offset: number;
  bytes: Buffer;
  inherited: boolean;
}

export class SimLogDevice implements WalSegments {
  readonly segmentBytes: number;
  private readonly files = new Map<number, SegmentFile>();
  /** Retired segments, oldest first: create() reuses them, stale bytes and all. */
  private readonly spares: SegmentFile[] = [];
  /** Writes since their segment's last completed sync, in the order they were made. */
  private dirty: DirtyWrite[] = [];
  /** Segments whose fdatasync was asked for and has not completed. */
  private readonly syncing = new Set<SegmentFile>();

  constructor(segmentBytes: number) {
    this.segmentBytes = segmentBytes;
  }

  // ---- WalSegments (the writer) and WalSource (recovery) read the page cache ----------------

  list(): number[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  name(segment: number): string {
    return `sim-wal/${segmentFileName(segment)}`;
  }

  readAt(segment: number, position: number, target: Buffer): void {
    readFrom(this.files.get(segment)?.cache, position, target);
  }

  create(segment: number, bytes: number): boolean {
    if (bytes !== this.segmentBytes) throw new Error(`sim log device: segments of ${this.segmentBytes} bytes, not ${bytes}`);
    this.files.set(segment, this.spares.shift() ?? SegmentFile.empty(bytes));
    // Its blocks are there already (zeros, or a spare's stale bytes): nothing to fill.
    return false;
  }

  fill(segment: number, offset: number, bytes: number): void {
    const file = this.file(segment);
    file.cache.fill(0, offset, offset + bytes);
    file.disk.fill(0, offset, offset + bytes);
  }

  retire(segment: number): void {
    this.spares.push(this.file(segment));
    this.files.delete(segment);
  }

  write(segment: number, offset: number, bytes: Uint8Array): void {
    const file = this.file(segment);
    if (offset + bytes.length > this.segmentBytes) throw new Error(`sim log device: a write past the end of segment ${segment}`);
    const copy = Buffer.from(bytes);
    copy.copy(file.cache, offset);
    this.dirty.push({ file, offset, bytes: copy, inherited: false });
  }

  /** Asks for an fdatasync of the segment: it completes at the next completeSyncs(). */
  sync(segment: number): void {
    this.syncing.add(this.file(segment));
  }

  // ---- the simulated disk -----------------------------------------------------------------

  /** Whether an fdatasync was asked for and has not completed. */
  get syncPending(): boolean {
    return this.syncing.size > 0;
  }

  /**
   * The fdatasyncs asked for complete: every write to those segments so far is on the disk.
   * Returns whether that made durable some bytes an earlier process wrote and never synced.
   */
  completeSyncs(): boolean {
    const kept: DirtyWrite[] = [];
    let inherited = false;
    for (const w of this.dirty) {
      if (!this.syncing.has(w.file)) kept.push(w);
      else {
        w.bytes.copy(w.file.disk, w.offset);
        inherited ||= w.inherited;
      }
    }
    this.dirty = kept;
    this.syncing.clear();
    return inherited;
  }

  /** Bytes written and not yet on the disk. */
  get dirtyBytes(): number {
    let n = 0;
    for (const w of this.dirty) n += w.bytes.length;
    return n;
  }

  /** The log as a power loss right now would leave it with none of the unsynced writes: what is durable. */
  durableSource(): WalSource {
    return {
      list: () => this.list(),
      name: (segment) => this.name(segment),
      readAt: (segment, position, target) => readFrom(this.files.get(segment)?.disk, position, target),
    };
  }

  /** The process died: the page cache stays (and will reach the disk when the next process syncs it); a sync under way is forgotten. */
  afterProcessCrash(): SimLogDevice {
    this.syncing.clear();
    for (const w of this.dirty) w.inherited = true;
    return this;
  }

  /**
   * The power went: each file is what its disk held, plus the first `kept` bytes of the writes
   * made since its last sync, in the order they were made (`kept` seeded: the last write kept
   * may be cut anywhere). Returns the device as it comes back, and how many bytes were lost.
   */
  afterPowerLoss(random: Random): { device: SimLogDevice; keptBytes: number; lostBytes: number } {
    const total = this.dirtyBytes;
    // Often nothing or everything of what followed the last sync, otherwise a cut anywhere.
    const dice = random.next();
    const keep = dice < 0.2 ? 0 : dice < 0.3 ? total : Math.floor(random.next() * (total + 1));
    const back = new SimLogDevice(this.segmentBytes);
    const copies = new Map<SegmentFile, SegmentFile>();
    const copyOf = (file: SegmentFile): SegmentFile => {
      let c = copies.get(file);
      if (c === undefined) {
        const disk = Buffer.from(file.disk);
        copies.set(file, (c = new SegmentFile(Buffer.from(disk), disk)));
      }
      return c;
    };
    let left = keep;
    for (const w of this.dirty) {
      if (left <= 0) break;
      const n = Math.min(left, w.bytes.length);
      const c = copyOf(w.file);
      w.bytes.copy(c.cache, w.offset, 0, n);
      w.bytes.copy(c.disk, w.offset, 0, n);
      left -= n;
    }
    for (const [segment, file] of this.files) back.files.set(segment, copyOf(file));
    for (const file of this.spares) back.spares.push(copyOf(file));
    return { device: back, keptBytes: keep, lostBytes: total - keep };
  }

  private file(segment: number): SegmentFile {
    const file = this.files.get(segment);
    if (file === undefined) throw new Error(`sim log device: no segment ${segment}`);
    return file;
  }
}

/** Copies from `bytes` at `position` into `target`, zeros past its end (or for a missing file). */
function readFrom(bytes: Buffer | undefined, position: number, target: Buffer): void {
  let n = 0;
  if (bytes !== undefined && position < bytes.length) n = bytes.copy(target, 0, position, Math.min(bytes.length, position + target.length));
  target.fill(0, n);
}
