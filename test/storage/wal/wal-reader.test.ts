// The write-ahead log's reader over crafted segment files: where the log ends after a torn,
// truncated, zeroed or garbage tail, that a damaged record in a synced group stops the start
// instead of being dropped, and that stale records of a recycled segment are not taken for current ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalFlag, WalRecordType, recordBytes, segmentFileName, writeRecord, walHeaderBytes } from '../../../src/storage/wal/wal-format.ts';
import { WalCorruptError, scanWal, walReadBytes } from '../../../src/storage/wal/wal-reader.ts';
import { FileSegments } from '../../../src/storage/wal/wal-files.ts';

const segmentBytes = 4096;
/** Windows smaller than most records here (but never than a header). */
const smallReadBytes = 40;

/** Builds segment images record by record, as the writer lays them out. */
class Image {
  readonly segments = new Map<number, Buffer>();
  lsn: number;
  group = 0;
  constructor(firstSegment = 0) {
    this.lsn = firstSegment * segmentBytes;
    this.segment(firstSegment);
  }
  private segment(n: number): Buffer {
    let b = this.segments.get(n);
    if (b === undefined) this.segments.set(n, (b = Buffer.alloc(segmentBytes)));
    return b;
  }
  /** One group of records with these payloads; returns the LSN of each. */
  group_(payloads: string[]): number[] {
    const at: number[] = [];
    payloads.forEach((text, i) => {
      const payload = Buffer.from(text);
      let seg = Math.floor(this.lsn / segmentBytes);
      if ((this.lsn % segmentBytes) + recordBytes(payload.length) + recordBytes(0) > segmentBytes) {
        writeRecord(this.segment(seg), this.lsn % segmentBytes, { lsn: this.lsn, group: this.group, type: WalRecordType.SegmentEnd, flags: 0, node: 0, incarnation: 1 }, Buffer.alloc(0));
        seg++;
        this.lsn = seg * segmentBytes;
      }
      at.push(this.lsn);
      this.lsn += writeRecord(this.segment(seg), this.lsn % segmentBytes, { lsn: this.lsn, group: this.group, type: WalRecordType.LogAppend, flags: i === payloads.length - 1 ? WalFlag.endOfGroup : 0, node: 1, incarnation: 1 }, payload);
    });
    this.group++;
    return at;
  }
  at(lsn: number): { buf: Buffer; offset: number } {
    return { buf: this.segment(Math.floor(lsn / segmentBytes)), offset: lsn % segmentBytes };
  }
  write(dir: string, sizes: Map<number, number> = new Map()): void {
    for (const [n, b] of this.segments) writeFileSync(join(dir, segmentFileName(n)), b.subarray(0, sizes.get(n) ?? segmentBytes));
  }
}

function scan(image: Image, sizes?: Map<number, number>): { texts: string[]; end: number; cutTail: boolean; nextGroup: number } {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-wal-'));
  try {
    image.write(dir, sizes);
    // Read in windows of a few records too: records and zero runs then straddle the windows.
    const outcomes = [smallReadBytes, walReadBytes].map((readBytes) => {
      const texts: string[] = [];
      try {
        const result = scanWal(new FileSegments(dir), segmentBytes, (_h, payload) => texts.push(payload.toString()), undefined, readBytes);
        return { texts, end: result.end, cutTail: result.cutTail, nextGroup: result.nextGroup };
      } catch (err) {
        return err as Error;
      }
    });
    assert.deepEqual(outcomes[0], outcomes[1], 'reading in small windows finds what reading a segment at once does');
    if (outcomes[1] instanceof Error) throw outcomes[1];
    return outcomes[1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a clean log reads back whole, across segments, and ends where the next record goes', () => {
  const image = new Image();
  const all: string[] = [];
  for (let g = 0; g < 30; g++) {
    const payloads = [`g${g}a`.repeat(40), `g${g}b`.repeat(10)];
    image.group_(payloads);
    all.push(...payloads);
  }
  const r = scan(image);
  assert.deepEqual(r.texts, all);
  assert.equal(r.end, image.lsn);
  assert.equal(r.cutTail, false);
  assert.equal(r.nextGroup, 30);
  assert.ok(image.segments.size >= 2, 'the log spans several segments');
});

test('a zeroed tail (a preallocated segment) ends the log; nothing is cut', () => {
  const image = new Image();
  image.group_(['one', 'two']);
  const r = scan(image);
  assert.deepEqual(r.texts, ['one', 'two']);
  assert.equal(r.cutTail, false);
});

test('a truncated header and a truncated payload in the last group: the torn group is cut whole, its whole records too (a batch is never half replayed)', () => {
  for (const cutAt of [10, walHeaderBytes + 3]) {
    const image = new Image();
    image.group_(['synced-1', 'synced-2']);
    const [first, torn] = image.group_(['last-1', 'last-2-is-torn'.repeat(5)]);
    const { buf, offset } = image.at(torn);
    buf.fill(0, offset + cutAt, segmentBytes);
    const r = scan(image);
    assert.deepEqual(r.texts, ['synced-1', 'synced-2'], `cut at ${cutAt}`);
    assert.equal(r.end, first, 'the log goes on where the torn group started');
    assert.equal(r.cutTail, true);
  }
});

test('a last group whose end was never written (all its records whole, the rest zeros) is cut whole', () => {
  const image = new Image();
  image.group_(['synced']);
  const [first, second] = image.group_(['whole-1', 'never-written']);
  const { buf, offset } = image.at(second);
  buf.fill(0, offset, segmentBytes);
  const r = scan(image);
  assert.deepEqual(r.texts, ['synced']);
  assert.equal(r.end, first);
  assert.equal(r.cutTail, true);
  assert.equal(r.nextGroup, 2, 'the next group is above the cut one');
});

test('a last group spanning a segment end, torn in the next segment, is cut where it started (the next segment is not part of the log)', () => {
  const image = new Image();
  image.group_(['x'.repeat(3000)]);
  const [first, , third] = image.group_(['y'.repeat(600), 'z'.repeat(600), 'w'.repeat(600)]);
  assert.equal(Math.floor(first / segmentBytes), 0);
  assert.equal(Math.floor(third / segmentBytes), 1, 'the group goes on in the next segment');
  const { buf, offset } = image.at(third);
  buf.fill(0, offset, segmentBytes);
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-wal-'));
  try {
    image.write(dir);
    const texts: string[] = [];
    const end = scanWal(new FileSegments(dir), segmentBytes, (_h, payload) => texts.push(payload.toString()));
    assert.deepEqual(texts, ['x'.repeat(3000)]);
    assert.equal(end.end, first);
    assert.deepEqual(end.segments, [0]);
    assert.equal(end.cutTail, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a garbage tail (random bytes after the last record) is cut', () => {
  const image = new Image();
  image.group_(['a', 'b']);
  const { buf, offset } = image.at(image.lsn);
  for (let i = offset; i < offset + 300; i++) buf[i] = (i * 131 + 7) & 0xff;
  const r = scan(image);
  assert.deepEqual(r.texts, ['a', 'b']);
  assert.equal(r.cutTail, true);
});

test('a segment file shorter than a segment (cut off by a crash while being made) reads as zeros past its end', () => {
  const image = new Image();
  image.group_(['a', 'b']);
  const r = scan(image, new Map([[0, 60]]));
  assert.deepEqual(r.texts, [], 'the group lost its second record: it is cut whole');
  assert.equal(r.end, 0);
});

test('a bad record followed by records of its own last group is a torn tail (that group was never synced)', () => {
  const image = new Image();
  image.group_(['synced']);
  const [first] = image.group_(['torn-first', 'valid-after', 'valid-last']);
  const { buf, offset } = image.at(first);
  buf[offset + walHeaderBytes] ^= 0xff; // the payload no longer matches its CRC
  const r = scan(image);
  assert.deepEqual(r.texts, ['synced']);
  assert.equal(r.end, first);
  assert.equal(r.cutTail, true);
});

test('a bad record followed by a later group is damage in synced data: the reader refuses, naming the segment and the offset', () => {
  const image = new Image();
  image.group_(['one']);
  const [bad] = image.group_(['two', 'three']);
  image.group_(['four']);
  const { buf, offset } = image.at(bad);
  buf[offset + walHeaderBytes] ^= 0xff;
  assert.throws(
    () => scan(image),
    (err: Error) => err instanceof WalCorruptError && err.offset === offset && err.file.endsWith(segmentFileName(0)) && /synced/.test(err.message),
  );
});

test('the last record of a synced group damaged, then the next group whole: refused (it is no torn tail)', () => {
  const image = new Image();
  const [, last] = image.group_(['one', 'end-of-group']);
  image.group_(['next']);
  const { buf, offset } = image.at(last);
  buf[offset + walHeaderBytes + 2] ^= 0x01;
  assert.throws(() => scan(image), WalCorruptError);
});

test('a recycled segment: its stale records (written at other positions) are not read as current ones', () => {
  // Segment 0 once held records at LSNs 0..; recycled as segment 5 it still holds them.
  const old = new Image();
  for (let g = 0; g < 8; g++) old.group_([`stale-${g}`.repeat(30)]);
  const image = new Image(5);
  image.segments.set(5, Buffer.from(old.segments.get(0)!));
  const [first] = image.group_(['fresh']);
  assert.equal(first, 5 * segmentBytes);
  const r = scan(image);
  assert.deepEqual(r.texts, ['fresh']);
  assert.equal(r.cutTail, true, 'stale bytes follow the fresh record and are cut');
});

test('a log whose writer resumed after a cut reads on across the cut', () => {
  const image = new Image();
  image.group_(['synced']);
  const [torn] = image.group_(['partly', 'written']);
  const { buf, offset } = image.at(torn);
  buf.fill(0xee, offset, offset + 40);
  const cut = scan(image);
  assert.equal(cut.end, torn);
  assert.equal(cut.nextGroup, 2, 'above the torn group 1, whose stale records may remain');
  // The writer resumes at the cut with that group; the torn group's stale records after it stay out.
  image.lsn = torn;
  image.group = cut.nextGroup;
  image.group_(['after-restart']);
  const r = scan(image);
  assert.deepEqual(r.texts, ['synced', 'after-restart']);
});

test("a torn group's records left intact after the writer resumed are not read as part of the log", () => {
  const image = new Image();
  image.group_(['synced']);
  const [first] = image.group_(['torn-first-record', 'intact-second', 'intact-third']);
  const { buf, offset } = image.at(first);
  buf[offset + walHeaderBytes] ^= 0xff;
  const cut = scan(image);
  assert.deepEqual(cut.texts, ['synced']);
  // The resumed writer's record is exactly as long as the torn one: the stale ones follow it intact.
  image.lsn = first;
  image.group = cut.nextGroup;
  image.group_(['resumed-after-cut'.padEnd('torn-first-record'.length)]);
  const r = scan(image);
  assert.deepEqual(r.texts, ['synced', 'resumed-after-cut'.padEnd('torn-first-record'.length)]);
});
