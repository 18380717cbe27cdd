// Streams a consistent snapshot of one partition replica to a new replica: an LMDB read
// snapshot taken at a known log index, sent in bounded chunks a few at a time so the sender
// keeps serving traffic and its rings never fill with one huge transfer.
import type { Database } from 'lmdb';
import { Repl, type ReplSnapshotChunk } from '../storage/messages.ts';

/** Bytes of keys and items per chunk: well under any ring's largest frame. */
const chunkBytesMax = 256 * 1024;

export class SnapshotSender {
  readonly table: string;
  readonly pid: number;
  readonly target: number;
  /** The log index the snapshot reflects: the new replica continues from here. */
  readonly index: number;
  private readonly iterator: Iterator<{ key: Buffer; value: Buffer }>;
  private finished = false;
  private started = false;

  constructor(table: string, pid: number, target: number, index: number, data: Database<Buffer, Buffer>) {
    this.table = table;
    this.pid = pid;
    this.target = target;
    this.index = index;
    // snapshot: true pins one LMDB read transaction for the whole walk, so later commits do not show.
    this.iterator = data.getRange({ snapshot: true })[Symbol.iterator]();
  }

  get done(): boolean {
    return this.finished;
  }

  /** The next chunk; the last one has done = true. */
  next(from: number, epoch: number): ReplSnapshotChunk {
    const kv: Uint8Array[] = [];
    let bytes = 0;
    while (bytes < chunkBytesMax) {
      const step = this.iterator.next();
      if (step.done) {
        this.finished = true;
        break;
      }
      kv.push(new Uint8Array(step.value.key), new Uint8Array(step.value.value));
      bytes += step.value.key.length + step.value.value.length;
    }
    const first = !this.started;
    this.started = true;
    return { r: Repl.SnapshotChunk, t: this.table, p: this.pid, from, e: epoch, first, kv, done: this.finished, i: this.index };
  }
}
