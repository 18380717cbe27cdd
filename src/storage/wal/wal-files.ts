// The write-ahead log's segments as files in a directory: made at their full size at once (so a
// write never grows a file), sparse at first (made in no time) and, when the log is synced,
// zero-filled by the log writer while it is idle (so that an fdatasync of an overwrite changes no
// block map and costs one device flush), recycled by renaming, written with pwrite and made
// durable with fdatasync. A failed call throws.
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, readSync, readdirSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { segmentFileName, segmentOfFileName } from './wal-format.ts';
import type { WalSegments } from './wal-writer.ts';

/** Zeros to write, made on first use (most threads that read the log never fill a segment). */
let zeroChunk: Buffer | null = null;

export class FileSegments implements WalSegments {
  readonly dir: string;
  /** Open descriptors of segments being written. */
  private readonly fds = new Map<number, number>();

  /** `zeroFill`: write a new segment's zeros (a synced log); otherwise a sparse file. */
  constructor(dir: string, private readonly zeroFill = true) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  list(): number[] {
    const out: number[] = [];
    for (const name of readdirSync(this.dir)) {
      const segment = segmentOfFileName(name);
      if (segment !== null) out.push(segment);
    }
    return out.sort((a, b) => a - b);
  }

  name(segment: number): string {
    return join(this.dir, segmentFileName(segment));
  }

  readAt(segment: number, position: number, target: Buffer): void {
    let done = 0;
    let fd: number | undefined;
    try {
      fd = openSync(this.name(segment), 'r');
      while (done < target.length) {
        const n = readSync(fd, target, done, target.length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    target.fill(0, done);
  }

  create(segment: number, bytes: number): boolean {
    const path = this.name(segment);
    const spare = this.spares()[0];
    if (spare !== undefined) {
      renameSync(join(this.dir, spare), path);
      this.syncDir();
      return false;
    }
    // Sparse at first: made in no time; fill() writes its blocks later, while the writer is idle.
    const fd = openSync(path, 'w');
    ftruncateSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    this.syncDir();
    return this.zeroFill;
  }

  fill(segment: number, offset: number, bytes: number): void {
    const fd = this.fd(segment);
    zeroChunk ??= Buffer.alloc(1 << 20);
    for (let done = 0; done < bytes; ) {
      const n = Math.min(zeroChunk.length, bytes - done);
      writeSync(fd, zeroChunk, 0, n, offset + done);
      done += n;
    }
    fdatasyncSync(fd);
  }

  retire(segment: number): void {
    this.close(segment);
    renameSync(this.name(segment), join(this.dir, `spare-${segmentFileName(segment)}`));
    this.syncDir();
  }

  /** Spare segment files, by name (never read as part of the log). */
  private spares(): string[] {
    return readdirSync(this.dir).filter((name) => name.startsWith('spare-')).sort();
  }

  write(segment: number, offset: number, bytes: Uint8Array): void {
    const fd = this.fd(segment);
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
  }

  sync(segment: number): void {
    fdatasyncSync(this.fd(segment));
  }

  closeAll(): void {
    for (const segment of [...this.fds.keys()]) this.close(segment);
  }

  private fd(segment: number): number {
    let fd = this.fds.get(segment);
    if (fd === undefined) {
      fd = openSync(this.name(segment), 'r+');
      this.fds.set(segment, fd);
      // Only the newest segments are written: older descriptors are closed.
      for (const [s, other] of this.fds) if (s < segment - 1) {
        closeSync(other);
        this.fds.delete(s);
      }
    }
    return fd;
  }

  private close(segment: number): void {
    const fd = this.fds.get(segment);
    if (fd === undefined) return;
    closeSync(fd);
    this.fds.delete(segment);
  }

  /** A new or renamed file's directory entry is durable too. */
  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
