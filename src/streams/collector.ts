// The stream collector (main thread): takes each stream-enabled table's change records out of its
// partitions (the stream follower left them there, storage/stream-follower.ts) into the stream
// store, partition by partition, in log order, then acknowledges them through the partition's log,
// which removes them on every replica.
//
// Why every change is in the stream once, and in order per item:
//   - a record leaves its partition only through a committed acknowledgement, written after the
//     store made it durable; one read again (a crash before the acknowledgement) is recognised by
//     its log stamp and left out;
//   - an item's records carry their log position (partition id, index), and a split's children
//     have higher ids than their parent: sorted by it, an item's changes come in the order they
//     were made, across splits too;
//   - shards follow partitions: a partition that split has its shard closed and one opened per
//     child, naming it as parent; records the parent had not given up yet move with its items to
//     the children, so a reader that follows the lineage sees each item's changes in order.
import type { ControlPlane } from '../control/control-plane.ts';
import type { Router } from '../router/router.ts';
import type { Clock, TimerHandle } from '../control/clock.ts';
import type { TableRecord } from '../control/table-record.ts';
import type { PartitionAssignment } from '../storage/messages.ts';
import { decodeStoredItem } from '../storage/stored-item.ts';
import { decodeStreamChange } from './stream-change.ts';
import { acknowledgeRecords, readPartitionRecords } from '../router/partition-records.ts';
import { keysOf, streamArn, type ShardMeta, type StreamMeta, type StreamStore } from './stream-store.ts';
import { DynamoError } from '../protocol/errors.ts';
import { log } from '../server/logger.ts';
import { StreamReadLimits, type StreamReadLimitSettings } from './read-limits.ts';

export interface CollectorOptions {
  /** How often every stream-enabled table is looked at, written to or not. */
  pollMs: number;
  recordsPerRead: number;
  bytesPerRead: number;
  /** How long records are kept (DynamoDB: 24 hours). */
  retentionMs: number;
  /** The limits on reading the streams (GetRecords readers per shard, DescribeStream's rate). */
  readLimits: StreamReadLimitSettings;
}

/** A shard's id, DynamoDB's shape: shardId-<20 digits>-<8 hex>. */
function shardIdOf(openedAtMs: number, pid: number, name: string): string {
  const suffix = (pid >>> 0).toString(16).padStart(4, '0') + name.slice(0, 4).padEnd(4, '0');
  return `shardId-${String(openedAtMs).padStart(20, '0')}-${suffix.slice(0, 8)}`;
}

export class StreamCollector {
  private readonly control: ControlPlane;
  private readonly router: Router;
  readonly store: StreamStore;
  /** Kept beside the store the Streams operations read, on the collector's clock. */
  readonly readLimits: StreamReadLimits;
  private readonly clock: Clock;
  private readonly options: CollectorOptions;
  private timers: TimerHandle[] = [];
  /** The passes, one after another. */
  private chain: Promise<void> = Promise.resolve();
  /** A pass is asked for and not yet begun. */
  private soon = false;
  private stopped = false;

  constructor(control: ControlPlane, router: Router, store: StreamStore, clock: Clock, options: CollectorOptions) {
    this.control = control;
    this.router = router;
    this.store = store;
    this.clock = clock;
    this.options = options;
    this.readLimits = new StreamReadLimits(clock, options.readLimits);
  }

  start(): void {
    this.timers.push(this.clock.every(this.options.pollMs, () => this.collectSoon()));
    this.timers.push(this.clock.every(Math.min(60_000, this.options.retentionMs), () => void this.store.trim(this.clock.now() - this.options.retentionMs).catch((err) => log.error('trimming streams failed:', err))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    await this.chain;
  }

  /** A write to a stream-enabled table was acknowledged: a pass follows at once (the pass under way, then one more). */
  collectSoon(): void {
    if (this.soon) return;
    this.soon = true;
    void this.collectAll()
      .catch((err) => log.error('collecting streams failed:', err))
      .finally(() => (this.soon = false));
  }

  /**
   * One pass over every table with a stream, enabled or just disabled (its shards are closed),
   * after the pass under way: passes never overlap (two would take the same records twice).
   */
  collectAll(): Promise<void> {
    const run = this.chain.then(() => this.pass());
    this.chain = run.catch(() => {});
    return run;
  }

  private async pass(): Promise<void> {
    // From here on, a write asks for the next pass.
    this.soon = false;
    // A deleted table's stream is disabled: readable until its records expire, as DynamoDB keeps it.
    const tables = new Set(this.control.catalog.all().map((t) => t.tableId));
    for (const meta of this.store.streams()) {
      if (!meta.enabled || tables.has(meta.tableId)) continue;
      await this.store.putStream({ ...meta, enabled: false });
      await this.closeAll(meta);
    }
    for (const table of this.control.catalog.all()) {
      if (this.stopped) return;
      const stream = table.stream;
      if (stream === undefined) continue;
      const meta = await this.streamOf(table);
      try {
        if (stream.enabled) await this.collectTable(table, meta);
        else await this.closeAll(meta);
      } catch (err) {
        // A partition changing hands, a table deleted meanwhile: the next pass goes on.
        if (!(err instanceof DynamoError)) throw err;
        log.debug(`collecting the stream of ${table.name}: ${err.kind.name} ${err.message}`);
      }
    }
  }

  /** The store's description of the table's current stream, made when first seen. */
  private async streamOf(table: TableRecord): Promise<StreamMeta> {
    const stream = table.stream!;
    const arn = streamArn(table, stream.label);
    let meta = this.store.stream(arn);
    if (meta === undefined || meta.enabled !== stream.enabled) {
      meta = {
        arn,
        label: stream.label,
        tableName: table.name,
        tableId: table.tableId,
        viewType: stream.viewType,
        keySchema: table.keySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType as 'HASH' | 'RANGE' })),
        enabled: stream.enabled,
        createdAtMs: meta?.createdAtMs ?? this.clock.now(),
      };
      await this.store.putStream(meta);
    }
    return meta;
  }

  private async collectTable(table: TableRecord, meta: StreamMeta): Promise<void> {
    const partitions = this.control.map.partitions(table.tableId);
    const shards = await this.shardsFor(meta, partitions);
    for (const p of partitions) await this.collectPartition(table, meta, p, shards.get(p.pid)!);
  }

  /** The open shard of each partition: partitions gone (split) close theirs, new ones open one naming their parent's. */
  private async shardsFor(meta: StreamMeta, partitions: readonly PartitionAssignment[]): Promise<Map<number, ShardMeta>> {
    const all = this.store.shards(meta.arn);
    const open = new Map<number, ShardMeta>();
    const byPid = new Map<number, ShardMeta>();
    for (const s of all) {
      byPid.set(s.pid, s);
      if (s.endSeq === undefined) open.set(s.pid, s);
    }
    const live = new Set(partitions.map((p) => p.pid));
    for (const s of open.values()) {
      if (live.has(s.pid)) continue;
      await this.close(meta, s);
      open.delete(s.pid);
    }
    for (const p of partitions) {
      if (open.has(p.pid)) continue;
      const now = this.clock.now();
      const parent = p.parent === undefined ? undefined : byPid.get(p.parent);
      const shard: ShardMeta = { shardId: shardIdOf(now, p.pid, meta.label.replace(/\D/g, '')), pid: p.pid, startSeq: this.store.peekSequence(), openedAtMs: now };
      if (parent !== undefined) shard.parentShardId = parent.shardId;
      await this.store.putShard(meta.arn, shard);
      open.set(p.pid, shard);
    }
    return open;
  }

  private async close(meta: StreamMeta, shard: ShardMeta): Promise<void> {
    const records = this.store.records(meta.arn, shard.shardId, null, Number.MAX_SAFE_INTEGER);
    shard.endSeq = records.length === 0 ? shard.startSeq : records[records.length - 1].seq;
    await this.store.putShard(meta.arn, shard);
  }

  private async closeAll(meta: StreamMeta): Promise<void> {
    for (const s of this.store.shards(meta.arn)) if (s.endSeq === undefined) await this.close(meta, s);
  }

  /** Takes one partition's change records, a read at a time, each made durable and then acknowledged. */
  private async collectPartition(table: TableRecord, meta: StreamMeta, partition: PartitionAssignment, shard: ShardMeta): Promise<void> {
    await readPartitionRecords(this.router, table.tableId, partition, { stream: true, recordsPerRead: this.options.recordsPerRead, bytesPerRead: this.options.bytesPerRead }, async (flat) => {
      if (flat.length === 0) return;
      this.take(meta, shard, flat);
      await this.store.flushed();
      const keys: Uint8Array[] = [];
      for (let j = 0; j < flat.length; j += 2) keys.push(flat[j]);
      await acknowledgeRecords(this.router, table.tableId, keys);
    });
  }

  /** Appends a read's records to the shard in log order (partition id, index; then key). */
  private take(meta: StreamMeta, shard: ShardMeta, flat: readonly Uint8Array[]): void {
    const order: number[] = [];
    for (let j = 0; j < flat.length; j += 2) order.push(j);
    order.sort((a, b) => compareStamps(flat[a], flat[b]) || Buffer.compare(flat[a], flat[b]));
    const now = this.clock.now();
    for (const j of order) {
      const key = flat[j];
      const change = decodeStreamChange(flat[j + 1]);
      const oldImage = change.o === null ? undefined : decodeStoredItem(change.o);
      const newImage = change.b === null ? undefined : decodeStoredItem(change.b);
      const eventName = oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY';
      const keys = keysOf((newImage ?? oldImage)!, meta.keySchema);
      const stamp = Buffer.from(key).toString('base64');
      this.store.append(meta.arn, shard.shardId, stamp, { eventName, atMs: now, keys, ...(newImage === undefined ? {} : { newImage }), ...(oldImage === undefined ? {} : { oldImage }), ...(change.t === true ? { ttl: true } : {}) });
    }
  }

}

/** A change record's key ends in its stamp: 4 zero bytes, the partition id, the log index (8 bytes). */
function compareStamps(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a.subarray(a.length - 16), b.subarray(b.length - 16));
}
