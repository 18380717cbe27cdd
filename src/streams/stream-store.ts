// The streams' records as readers get them: a small LMDB environment of the main thread (beside
// the catalog and the transaction ledger), written by the stream collector and read by the
// DynamoDB Streams API. A stream has shards, one per partition of its table (a split closes the
// parent's shard and opens one per child, naming the parent), and each shard its records in
// order of increasing sequence numbers. Records are kept for the retention period; a stream
// that was disabled stays readable until its last records expire.
import { open, type RootDatabase } from 'lmdb';
import type { StreamViewType, TableRecord } from '../control/table-record.ts';
import type { AttributeValue, Item } from '../values/types.ts';

export interface StreamMeta {
  arn: string;
  label: string;
  tableName: string;
  tableId: string;
  viewType: StreamViewType;
  /** The key schema of the table: KeySchema in DescribeStream. */
  keySchema: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
  enabled: boolean;
  createdAtMs: number;
}

export interface ShardMeta {
  shardId: string;
  parentShardId?: string;
  /** The partition it follows. */
  pid: number;
  startSeq: string;
  /** Set once its partition split or its stream was disabled: no record follows this one. */
  endSeq?: string;
  /** Records up to this sequence number were trimmed (past the retention period). */
  trimmedThrough?: string;
  openedAtMs: number;
}

export type StreamEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

/** One record, with both images whatever the view type (the API gives what the stream's view type asks for). */
export interface StoredStreamRecord {
  seq: string;
  eventName: StreamEventName;
  /** Milliseconds since the epoch when the collector took the change. */
  atMs: number;
  keys: Item;
  newImage?: Item;
  oldImage?: Item;
  /** A delete by Time to Live (userIdentity: the DynamoDB service). */
  ttl?: boolean;
}

/** Sequence numbers: decimal strings of this many digits, so text order is number order. */
const seqDigits = 21;

export function sequenceNumber(n: number): string {
  return String(n).padStart(seqDigits, '0');
}

/** A sequence number a client gave, in the store's form; null when it is none. */
export function normalSequence(given: string): string | null {
  if (!/^\d+$/.test(given)) return null;
  const digits = given.replace(/^0+/, '') || '0';
  return digits.length > seqDigits ? null : digits.padStart(seqDigits, '0');
}

/** The sequence number before `seq` (null: none before it). */
export function previousSequence(seq: string): string | null {
  const n = BigInt(seq);
  return n <= 1n ? null : (n - 1n).toString().padStart(seqDigits, '0');
}

const metaPrefix = 'm:';
const shardPrefix = 's:';
const recordPrefix = 'r:';
const stampPrefix = 'd:';
const counterKey = 'n';

/** A change taken (by its log stamp): so that one read again is not appended twice. */
interface StampRecord {
  seq: string;
  atMs: number;
}

type Stored = StreamMeta | ShardMeta | StoredStreamRecord | StampRecord | number;

export class StreamStore {
  private readonly db: RootDatabase<Stored, string>;
  private next: number;

  private constructor(path: string, sync: boolean, encryptionKey?: string) {
    this.db = open<Stored, string>({ path, encoding: 'msgpack', noSync: !sync, compression: false, ...(encryptionKey ? { encryptionKey } : {}) });
    this.next = (this.db.get(counterKey) as number | undefined) ?? 1;
  }

  static open(path: string, sync: boolean, encryptionKey?: string): StreamStore {
    return new StreamStore(path, sync, encryptionKey);
  }

  streams(): StreamMeta[] {
    return [...this.db.getRange({ start: metaPrefix, end: metaPrefix + '\uffff' })].map(({ value }) => value as StreamMeta);
  }

  stream(arn: string): StreamMeta | undefined {
    return this.db.get(metaPrefix + arn) as StreamMeta | undefined;
  }

  putStream(meta: StreamMeta): Promise<boolean> {
    return this.db.put(metaPrefix + meta.arn, meta);
  }

  /** The stream's shards, in the order they were opened. */
  shards(arn: string): ShardMeta[] {
    const out = [...this.db.getRange({ start: `${shardPrefix}${arn}|`, end: `${shardPrefix}${arn}|\uffff` })].map(({ value }) => value as ShardMeta);
    return out.sort((a, b) => a.openedAtMs - b.openedAtMs || (a.startSeq < b.startSeq ? -1 : a.startSeq > b.startSeq ? 1 : 0));
  }

  shard(arn: string, shardId: string): ShardMeta | undefined {
    return this.db.get(`${shardPrefix}${arn}|${shardId}`) as ShardMeta | undefined;
  }

  putShard(arn: string, shard: ShardMeta): Promise<boolean> {
    return this.db.put(`${shardPrefix}${arn}|${shard.shardId}`, shard);
  }

  /** The next sequence number (not taken until append uses it). */
  peekSequence(): string {
    return sequenceNumber(this.next);
  }

  /**
   * Appends one change to a shard, once: a change already taken (its stamp seen: the collector
   * read it again after a crash before its acknowledgement) is left out. Resolves whether it was new.
   */
  append(arn: string, shardId: string, stamp: string, record: Omit<StoredStreamRecord, 'seq'>): boolean {
    const stampKey = `${stampPrefix}${arn}|${stamp}`;
    if (this.db.get(stampKey) !== undefined) return false;
    const seq = sequenceNumber(this.next++);
    void this.db.put(`${recordPrefix}${arn}|${shardId}|${seq}`, { ...record, seq });
    void this.db.put(stampKey, { seq, atMs: record.atMs });
    void this.db.put(counterKey, this.next);
    return true;
  }

  /** Everything appended so far is durable. */
  flushed(): Promise<boolean> {
    return this.db.flushed;
  }

  /** Up to `limit` records of the shard after sequence number `after` (null: from its start). */
  records(arn: string, shardId: string, after: string | null, limit: number): StoredStreamRecord[] {
    const base = `${recordPrefix}${arn}|${shardId}|`;
    const out: StoredStreamRecord[] = [];
    for (const { key, value } of this.db.getRange({ start: after === null ? base : base + after, end: base + '\uffff' })) {
      if (after !== null && key === base + after) continue;
      out.push(value as StoredStreamRecord);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The shard's newest record's sequence number (undefined: none). */
  newestRecord(arn: string, shardId: string): string | undefined {
    const base = `${recordPrefix}${arn}|${shardId}|`;
    for (const { value } of this.db.getRange({ start: base + '\uffff', end: base, reverse: true, limit: 1 })) return (value as StoredStreamRecord).seq;
    return undefined;
  }

  /** Removes records taken before `beforeMs`, and shards and streams with nothing left that will never get more. */
  async trim(beforeMs: number): Promise<number> {
    let removed = 0;
    for (const meta of this.streams()) {
      for (const shard of this.shards(meta.arn)) {
        const base = `${recordPrefix}${meta.arn}|${shard.shardId}|`;
        let left = 0;
        let trimmed: string | undefined;
        for (const { key, value } of this.db.getRange({ start: base, end: base + '\uffff' })) {
          const record = value as StoredStreamRecord;
          if (record.atMs < beforeMs) {
            void this.db.remove(key);
            trimmed = record.seq;
            removed++;
          } else left++;
        }
        if (trimmed !== undefined) void this.db.put(`${shardPrefix}${meta.arn}|${shard.shardId}`, { ...shard, trimmedThrough: trimmed });
        if (left === 0 && shard.endSeq !== undefined && shard.openedAtMs < beforeMs) void this.db.remove(`${shardPrefix}${meta.arn}|${shard.shardId}`);
      }
      if (!meta.enabled && this.shards(meta.arn).length === 0) void this.db.remove(metaPrefix + meta.arn);
      const stamps = `${stampPrefix}${meta.arn}|`;
      for (const { key, value } of this.db.getRange({ start: stamps, end: stamps + '\uffff' })) if ((value as StampRecord).atMs < beforeMs) void this.db.remove(key);
    }
    await this.db.flushed;
    return removed;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** A record's keys, from an item, by the table's key schema. */
export function keysOf(item: Item, keySchema: StreamMeta['keySchema']): Item {
  const keys: Record<string, AttributeValue> = {};
  for (const k of keySchema) if (item[k.AttributeName] !== undefined) keys[k.AttributeName] = item[k.AttributeName];
  return keys;
}

/** The stream ARN of a table's stream with label `label`, as DynamoDB forms it. */
export function streamArn(table: TableRecord, label: string): string {
  return `${table.arn}/stream/${label}`;
}
