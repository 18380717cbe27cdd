// Who is reading each stream shard. DynamoDB Streams serves at most two processes reading a shard
// at the same time and throttles more. Here a reader is one iterator lineage (GetShardIterator
// starts one, each NextShardIterator carries it on): it reads a shard while its last GetRecords
// there is less than a window old, and stops at once when it reaches the end of a closed shard.
// Pure: the caller says what time it is.

export interface ShardReadersSettings {
  /** Readers served on one shard at once (DynamoDB: 2). */
  readersPerShard: number;
  /** A reader whose last GetRecords on a shard is this old no longer reads it. */
  windowMs: number;
}

export class ShardReaders {
  private readonly settings: ShardReadersSettings;
  /**
   * Per shard, each reader counted there and when it last read. A reader is added only when fewer
   * than readersPerShard others are in the window, so a shard holds at most that many entries
   * (plus stale ones until the next sweep): memory stays within the shards read lately.
   */
  private readonly shards = new Map<string, Map<number, number>>();
  private sweptAtMs = -Infinity;

  constructor(settings: ShardReadersSettings) {
    this.settings = settings;
  }

  /** Whether `reader` may read `shard` at `nowMs`; when it may, it counts as reading it from now. */
  admit(shard: string, reader: number, nowMs: number): boolean {
    this.sweep(nowMs);
    let readers = this.shards.get(shard);
    if (readers === undefined) {
      readers = new Map();
      this.shards.set(shard, readers);
    }
    let others = 0;
    for (const [id, lastMs] of readers) {
      if (this.stale(lastMs, nowMs)) readers.delete(id);
      else if (id !== reader) others++;
    }
    if (others >= this.settings.readersPerShard) {
      if (readers.size === 0) this.shards.delete(shard);
      return false;
    }
    readers.set(reader, nowMs);
    return true;
  }

  /** `reader` reached the end of `shard` (no next iterator): it makes room for another at once. */
  finished(shard: string, reader: number): void {
    const readers = this.shards.get(shard);
    if (readers === undefined) return;
    readers.delete(reader);
    if (readers.size === 0) this.shards.delete(shard);
  }

  /** Readers counted on `shard` at `nowMs`. */
  readingAt(shard: string, nowMs: number): number {
    let n = 0;
    for (const lastMs of this.shards.get(shard)?.values() ?? []) if (!this.stale(lastMs, nowMs)) n++;
    return n;
  }

  /** Shards with an entry kept (stale ones go at the next sweep): what the memory bound is about. */
  shardsKept(): number {
    return this.shards.size;
  }

  private stale(lastMs: number, nowMs: number): boolean {
    return nowMs - lastMs >= this.settings.windowMs;
  }

  /** Once a window, forgets readers that stopped, and shards no one reads any more. */
  private sweep(nowMs: number): void {
    if (nowMs - this.sweptAtMs < this.settings.windowMs) return;
    this.sweptAtMs = nowMs;
    for (const [shard, readers] of this.shards) {
      for (const [id, lastMs] of readers) if (this.stale(lastMs, nowMs)) readers.delete(id);
      if (readers.size === 0) this.shards.delete(shard);
    }
  }
}
