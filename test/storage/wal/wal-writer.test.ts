// The write-ahead log's writer: nodes' batches become records in groups, one write and one
// fdatasync per group commit, groups spanning a segment's end, segments recycled once covered,
// payloads encrypted at rest; what it wrote reads back whole, in order, per node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalWriter } from '../../../src/storage/wal/wal-writer.ts';
import { FileSegments } from '../../../src/storage/wal/wal-files.ts';
import { scanWal } from '../../../src/storage/wal/wal-reader.ts';
import { WalBatchBuilder, decodeChange } from '../../../src/storage/wal/wal-payloads.ts';
import { WalRecordType } from '../../../src/storage/wal/wal-format.ts';
import { WalCipher } from '../../../src/storage/wal/wal-cipher.ts';

const segmentBytes = 64 * 1024;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'monodyne-walw-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class CountingSegments extends FileSegments {
  syncs = 0;
  writes = 0;
  override sync(segment: number): void {
    this.syncs++;
    super.sync(segment);
  }
  override write(segment: number, offset: number, bytes: Uint8Array): void {
    this.writes++;
    super.write(segment, offset, bytes);
  }
}

function batch(builder: WalBatchBuilder, node: number, sequence: number, entries: number, size: number): Uint8Array {
  for (let i = 0; i < entries; i++) builder.logAppend('t.1', node, sequence * 1000 + i, 1, Buffer.alloc(size, sequence % 251));
  return builder.take(sequence);
}

test("each group commit is one write and one fdatasync; the log reads back every node's records in order, and each node's durable batch and LSN", () => {
  withDir((dir) => {
    const segments = new CountingSegments(dir);
    const writer = new WalWriter(segments, { segmentBytes, cipher: null }, { end: 0, nextGroup: 0, segments: [] });
    const builders = [new WalBatchBuilder(), new WalBatchBuilder()];
    let last: ReturnType<WalWriter['commitGroup']> = [];
    for (let g = 1; g <= 5; g++) {
      writer.append(0, 7, batch(builders[0], 0, g, 3, 100));
      writer.append(1, 7, batch(builders[1], 1, g, 2, 50));
      const syncsBefore = segments.syncs;
      last = writer.commitGroup();
      assert.equal(segments.syncs - syncsBefore, 1, 'one fdatasync per group');
    }
    assert.deepEqual(last.map((d) => [d.node, d.sequence]), [[0, 5], [1, 5]]);
    assert.equal(last[1].lsn, writer.end);
    const seen: Array<[number, number]> = [];
    const end = scanWal(segments, segmentBytes, (h, payload) => {
      const change = decodeChange(h.type, payload);
      assert.equal(h.incarnation, 7);
      if (change.type === WalRecordType.LogAppend) seen.push([h.node, change.index]);
    });
    assert.equal(end.end, writer.end);
    assert.equal(end.nextGroup, 5);
    assert.equal(seen.length, 25);
    assert.deepEqual(seen.filter(([n]) => n === 1).map(([, i]) => i), [1000, 1001, 2000, 2001, 3000, 3001, 4000, 4001, 5000, 5001]);
  });
});

test('groups span segment ends (the rest of a segment is skipped), segments are recycled once covered, and a reopened writer goes on where the log ends', () => {
  withDir((dir) => {
    const segments = new FileSegments(dir);
    let writer = new WalWriter(segments, { segmentBytes, cipher: null }, { end: 0, nextGroup: 0, segments: [] });
    const builder = new WalBatchBuilder();
    let written = 0;
    for (let g = 1; g <= 40; g++) {
      writer.append(0, 1, batch(builder, 0, g, 4, 900));
      writer.commitGroup();
      written += 4;
    }
    assert.ok(writer.heldSegments.length >= 3, 'the log spans segments');
    const count = (): number => {
      let n = 0;
      scanWal(segments, segmentBytes, () => n++);
      return n;
    };
    assert.equal(count(), written);
    // Every node's checkpoint covers the first segments: they are recycled as the log grows.
    const firstHeld = writer.heldSegments[0];
    writer.release(writer.end - segmentBytes);
    for (let g = 41; g <= 80; g++) {
      writer.append(0, 1, batch(builder, 0, g, 4, 900));
      writer.commitGroup();
    }
    assert.ok(!segments.list().includes(firstHeld), 'a covered segment was reused');
    // Reopening: the reader says where to go on; the writer goes on there.
    const end = scanWal(segments, segmentBytes, () => {});
    writer = new WalWriter(segments, { segmentBytes, cipher: null }, end);
    writer.append(0, 1, batch(builder, 0, 81, 1, 10));
    writer.commitGroup();
    let lastIndex = -1;
    scanWal(segments, segmentBytes, (h, payload) => {
      const c = decodeChange(h.type, payload);
      if (c.type === WalRecordType.LogAppend) lastIndex = c.index;
    });
    assert.equal(lastIndex, 81000);
  });
});

test('with encryption at rest, no payload byte is in the clear, and the right key reads it back', () => {
  withDir((dir) => {
    const segments = new FileSegments(dir);
    const cipher = new WalCipher('0123456789abcdef0123456789abcdef');
    const writer = new WalWriter(segments, { segmentBytes, cipher }, { end: 0, nextGroup: 0, segments: [] });
    const builder = new WalBatchBuilder();
    builder.logAppend('t.1', 0, 1, 1, Buffer.from('a secret item value'));
    writer.append(0, 1, builder.take(1));
    writer.commitGroup();
    const file = readFileSync(segments.name(segments.list()[0]));
    assert.equal(file.includes(Buffer.from('a secret item value')), false);
    assert.equal(file.includes(Buffer.from('t.1')), false, 'the table id is in the payload, encrypted too');
    let read = '';
    scanWal(segments, segmentBytes, (h, payload) => {
      const c = decodeChange(h.type, cipher.open(h.lsn, payload));
      if (c.type === WalRecordType.LogAppend) read = Buffer.from(c.entry).toString();
    });
    assert.equal(read, 'a secret item value');
    const other = new WalCipher('another key, not the one it had!');
    assert.throws(() => scanWal(segments, segmentBytes, (h, payload) => other.open(h.lsn, payload)));
  });
});

test('a new segment is made sparse and filled with zeros while the writer is idle, never over records written or pending; the log reads back the same', () => {
  withDir((dir) => {
    const fills: Array<[number, number]> = [];
    class FillingSegments extends FileSegments {
      override fill(segment: number, offset: number, bytes: number): void {
        fills.push([offset, offset + bytes]);
        super.fill(segment, offset, bytes);
      }
    }
    const segments = new FillingSegments(dir);
    const writer = new WalWriter(segments, { segmentBytes, cipher: null }, { end: 0, nextGroup: 0, segments: [] });
    const builder = new WalBatchBuilder();
    writer.append(0, 1, batch(builder, 0, 1, 3, 1000));
    writer.commitGroup();
    const firstEnd = writer.end;
    // A group appended but not committed yet: the fill must leave its place alone as well.
    writer.append(0, 1, batch(builder, 0, 2, 2, 1000));
    let steps = 0;
    while (writer.fillStep(8192)) steps++;
    assert.ok(steps >= 1, 'the rest of the segment was filled');
    for (const [from] of fills) assert.ok(from >= firstEnd && from % 4096 === 0, `zeros written from ${from}, after the records (end ${firstEnd}) and block-aligned`);
    assert.equal(fills.at(-1)![1], segmentBytes, 'filled to the end of the segment');
    assert.equal(writer.fillStep(8192), false, 'nothing left to fill');
    writer.commitGroup();
    const seen: number[] = [];
    const end = scanWal(segments, segmentBytes, (h, payload) => {
      const change = decodeChange(h.type, payload);
      if (change.type === WalRecordType.LogAppend) seen.push(change.index);
    });
    assert.deepEqual(seen, [1000, 1001, 1002, 2000, 2001]);
    assert.equal(end.end, writer.end);
  });
});
