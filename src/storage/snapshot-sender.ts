// Streams a consistent snapshot of one replica to a follower or a new replica: the replica's
// items and its log followers' data as of its applied position, read through one pinned read
// view (later commits do not show), cut into chunks of bounded bytes and sent a few per pump, so
// the sender keeps serving traffic and no frame outgrows a ring. The last chunk says which log
// position the snapshot reflects; the write ids the leader remembers for the partition travel
// with it.
import { ReplFrameType, type SnapshotChunkFrame } from '../replication/frames.ts';
import type { ItemEntry, ReplicaSnapshot } from './node-store.ts';

export class SnapshotSender {
  readonly table: string;
  readonly pid: number;
  readonly target: number;
  /** The stream id the target asked for: it accepts only this stream's chunks. */
  readonly sid: number;
  readonly index: number;
  private readonly indexEpoch: number;
  private readonly items: number;
  private readonly bytes: number;
  private readonly view: ReplicaSnapshot;
  private readonly ids: Array<string | number | null>;
  private idsSent = 0;
  private itemsDone = false;
  private followerDataDone = false;
  private seq = 0;
  private finished = false;
  private readonly chunkBytesMax: number;

  /**
   * `epochAt` gives the epoch of a log index (the snapshot's index is in the replica's log or its
   * base); `ids` are write-id records, four values each (write-ids.ts ofSnapshot).
   */
  constructor(table: string, pid: number, target: number, sid: number, view: ReplicaSnapshot, epochAt: (index: number) => number, ids: Array<string | number | null>, chunkBytesMax: number) {
    this.table = table;
    this.pid = pid;
    this.target = target;
    this.sid = sid;
    this.view = view;
    const record = view.record;
    if (record === undefined) throw new Error(`snapshot of ${table}/${pid}: no replica record`);
    this.index = record.applied;
    this.indexEpoch = record.applied === record.base ? record.baseEpoch : epochAt(record.applied);
    this.items = record.items;
    this.bytes = record.bytes;
    this.ids = ids;
    this.chunkBytesMax = chunkBytesMax;
  }

  get done(): boolean {
    return this.finished;
  }

  /** The next chunk; the last one has done = true (and closes the read view). */
  next(from: number, epoch: number): SnapshotChunkFrame {
    const kv: Uint8Array[] = [];
    const fkv: Uint8Array[] = [];
    let bytes = 0;
    bytes = this.take(this.view.items, kv, bytes, () => (this.itemsDone = true));
    if (this.itemsDone) bytes = this.take(this.view.followerData, fkv, bytes, () => (this.followerDataDone = true));
    const ids: Array<string | number | null> = [];
    while (this.followerDataDone && this.idsSent < this.ids.length && bytes < this.chunkBytesMax) {
      const wid = this.ids[this.idsSent] as string;
      const attributes = this.ids[this.idsSent + 3] as string | null;
      ids.push(wid, this.ids[this.idsSent + 1], this.ids[this.idsSent + 2], attributes);
      bytes += wid.length + (attributes?.length ?? 0) + 24;
      this.idsSent += 4;
    }
    const done = this.followerDataDone && this.idsSent >= this.ids.length;
    if (done) this.close();
    return { r: ReplFrameType.SnapshotChunk, t: this.table, p: this.pid, from, e: epoch, sid: this.sid, seq: this.seq++, kv, fkv, ids, done, index: this.index, indexEpoch: this.indexEpoch, items: this.items, bytes: this.bytes };
  }

  /** Moves entries of `source` into `out` (keys and values alternating) while the chunk has room. */
  private take(source: Iterator<ItemEntry>, out: Uint8Array[], bytes: number, exhausted: () => void): number {
    while (bytes < this.chunkBytesMax) {
      const step = source.next();
      if (step.done) {
        exhausted();
        break;
      }
      out.push(new Uint8Array(step.value.key), new Uint8Array(step.value.value));
      bytes += step.value.key.length + step.value.value.length;
    }
    return bytes;
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.view.close();
  }
}
