// A crash trace, for the crash-image test (test/faults/crash-images.test.ts): with
// MONODYNE_CRASH_TRACE=<dir> and faults.enabled, the process records every write, sync, create
// and retire of its write-ahead log's segments, and copies each node's B-tree while checkpoints
// are under way and once each is durable (before the log it covers may be reused). Times are
// process.hrtime (CLOCK_MONOTONIC, the same in every thread and process on the machine), so a
// test can cut the trace at any moment and build the data directory a crash then would have left.
// Nothing here runs unless the trace is asked for.
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { WalSegments } from './wal/wal-writer.ts';

/** What a segment operation in the trace was. */
export const TraceOp = {
  /** A segment made: fresh (zeros) or from a spare (its old bytes), named in the payload. */
  Create: 1,
  Write: 2,
  /** Recorded once fdatasync returned: every write before it to the segment is durable. */
  Sync: 3,
  Retire: 4,
} as const;

/** One operation's header: op u8, time u64 (ns), segment u32, offset u32, payload length u32. */
export const traceHeaderBytes = 1 + 8 + 4 + 4 + 4;

/** The log's segments, each operation appended to `<traceDir>/wal-<name>.trace` once done. */
export class TracingSegments implements WalSegments {
  private readonly inner: WalSegments;
  private readonly fd: number;
  private readonly dir: string;
  private readonly header = Buffer.alloc(traceHeaderBytes);

  constructor(inner: WalSegments, logDir: string, traceDir: string) {
    this.inner = inner;
    this.dir = logDir;
    mkdirSync(traceDir, { recursive: true });
    this.fd = openSync(join(traceDir, `wal-${basename(logDir)}-${process.pid}.trace`), 'a');
    appendFileSync(join(traceDir, 'logs.jsonl'), JSON.stringify({ dir: logDir, trace: `wal-${basename(logDir)}-${process.pid}.trace` }) + '\n');
  }

  list(): number[] {
    return this.inner.list();
  }

  name(segment: number): string {
    return this.inner.name(segment);
  }

  readAt(segment: number, position: number, target: Buffer): void {
    this.inner.readAt(segment, position, target);
  }

  create(segment: number, bytes: number): boolean {
    const before = new Set(readdirSync(this.dir));
    const sparse = this.inner.create(segment, bytes);
    const spare = [...before].find((name) => name.startsWith('spare-') && !readdirSync(this.dir).includes(name)) ?? '';
    this.record(TraceOp.Create, segment, bytes, Buffer.from(spare));
    return sparse;
  }

  /** Zeros over zeros: nothing a crash image needs. */
  fill(segment: number, offset: number, bytes: number): void {
    this.inner.fill(segment, offset, bytes);
  }

  retire(segment: number): void {
    this.inner.retire(segment);
    this.record(TraceOp.Retire, segment, 0, null);
  }

  write(segment: number, offset: number, bytes: Uint8Array): void {
    this.inner.write(segment, offset, bytes);
    this.record(TraceOp.Write, segment, offset, bytes);
  }

  sync(segment: number): void {
    this.inner.sync(segment);
    this.record(TraceOp.Sync, segment, 0, null);
  }

  private record(op: number, segment: number, offset: number, payload: Uint8Array | null): void {
    const h = this.header;
    h.writeUInt8(op, 0);
    h.writeBigUInt64BE(process.hrtime.bigint(), 1);
    h.writeUInt32BE(segment, 9);
    h.writeUInt32BE(offset, 13);
    h.writeUInt32BE(payload?.length ?? 0, 17);
    writeSync(this.fd, h);
    if (payload !== null && payload.length > 0) writeSync(this.fd, payload);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A tree that can copy itself as it is now (LMDB's consistent backup). */
export interface CopyableTree {
  /** Copies the tree into `dir` (made, empty) as one consistent read of it sees it. */
  copyTo(dir: string): Promise<void>;
}

/**
 * Told of a node's checkpoints: copies its B-tree now and then while one is under way (a crash
 * may leave any prefix of its writes), and once each is durable; the log the checkpoint covers is
 * released only after that copy is done, so every moment of the trace has a copy to start from.
 */
export interface CheckpointObserver {
  during(): void;
  durable(coveredLsn: number): Promise<void>;
}

export class CheckpointCopies implements CheckpointObserver {
  private readonly tree: CopyableTree;
  private readonly dir: string;
  private readonly node: number;
  private readonly generation: number;
  private copying: Promise<void> | null = null;
  private copies = 0;
  private steps = 0;

  constructor(tree: CopyableTree, traceDir: string, node: number, generation: number) {
    this.tree = tree;
    this.dir = traceDir;
    this.node = node;
    this.generation = generation;
  }

  /** Every 7th step of a checkpoint's writes, unless a copy is still being made. */
  during(): void {
    if (++this.steps % 7 !== 0 || this.copying !== null) return;
    this.copying = this.copy('during', -1).finally(() => (this.copying = null));
  }

  async durable(coveredLsn: number): Promise<void> {
    if (this.copying !== null) await this.copying;
    await this.copy('durable', coveredLsn);
  }

  private async copy(kind: 'during' | 'durable', coveredLsn: number): Promise<void> {
    const path = join(this.dir, 'trees', `node-${this.node}-gen-${this.generation}-${process.pid}-${++this.copies}`);
    mkdirSync(path, { recursive: true });
    const started = process.hrtime.bigint();
    await this.tree.copyTo(path);
    const finished = process.hrtime.bigint();
    appendFileSync(
      join(this.dir, 'trees.jsonl'),
      JSON.stringify({ node: this.node, generation: this.generation, kind, coveredLsn, path, started: String(started), finished: String(finished) }) + '\n',
    );
  }
}
