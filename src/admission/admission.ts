// Admission control: every partition meters its reads and writes against token buckets, as
// DynamoDB's do. PROVISIONED tables split their capacity evenly over their partitions, keep up
// to burstSeconds of unused capacity, and (adaptive capacity) let a hot partition borrow what
// the table as a whole leaves unused; every partition also has a hard ceiling (3000 RCU,
// 1000 WCU by default), which is all PAY_PER_REQUEST tables are held to: they start with enough
// partitions for DynamoDB's initial on-demand throughput (onDemandInitialPartitions).
import { TokenBucket } from './token-bucket.ts';
import { DynamoError } from '../protocol/errors.ts';
import { onDemandInitialReadUnitsPerSecond, onDemandInitialWriteUnitsPerSecond } from '../limits.ts';
import type { TableRecord } from '../control/table-record.ts';

export interface AdmissionOptions {
  burstSeconds: number;
  adaptive: boolean;
  partitionReadUnitsMax: number;
  partitionWriteUnitsMax: number;
  /** false: no request is ever throttled (load tests); what requests consume is still metered. Default true. */
  throttling?: boolean;
}

/** The most partitions a new table starts with (tables.initialPartitions' maximum too). */
export const initialPartitionsMax = 256;

/**
 * Partitions a new PAY_PER_REQUEST table (or global index) starts with: enough that, each held to
 * its ceiling, together they take DynamoDB's initial on-demand throughput (4 with the default
 * ceilings of 1000 WCU and 3000 RCU), and at least `initialPartitions`. With throttling off no
 * ceiling holds, so none is needed for throughput: `initialPartitions`.
 */
export function onDemandInitialPartitions(initialPartitions: number, options: Pick<AdmissionOptions, 'partitionReadUnitsMax' | 'partitionWriteUnitsMax' | 'throttling'>): number {
  if (options.throttling === false) return initialPartitions;
  const forWrites = Math.ceil(onDemandInitialWriteUnitsPerSecond / options.partitionWriteUnitsMax);
  const forReads = Math.ceil(onDemandInitialReadUnitsPerSecond / options.partitionReadUnitsMax);
  return Math.min(initialPartitionsMax, Math.max(initialPartitions, forWrites, forReads));
}

export type Direction = 'read' | 'write';

const provisionedMessage =
  'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.';
const onDemandMessage =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html';

/** Consumed-rate window for the observability endpoint. */
const rateWindowMs = 1000;

class Meter {
  /** The partition's share of the table's provisioned capacity (null: on-demand). */
  share: TokenBucket | null;
  /** The hard per-partition ceiling. */
  readonly ceiling: TokenBucket;
  throttled = 0;
  consumed = 0;
  /**
   * Read meters: what a strongly consistent read of one of the partition's items cost lately (from
   * the last point read, or the last put's size), taken at admission so that concurrent reads of
   * large items (a BatchGetItem's) cannot all slip in on one unit each.
   */
  itemReadUnits = 1;
  private windowStart = 0;
  private windowUnits = 0;
  lastRate = 0;

  constructor(share: TokenBucket | null, ceiling: TokenBucket) {
    this.share = share;
    this.ceiling = ceiling;
  }

  /** Units per second over the last full window (zero once traffic stopped). */
  rate(now: number): number {
    if (now - this.windowStart >= 2 * rateWindowMs) return 0;
    return this.lastRate;
  }

  record(units: number, now: number): void {
    this.consumed += units;
    if (now - this.windowStart >= rateWindowMs) {
      this.lastRate = (this.windowUnits * 1000) / Math.max(rateWindowMs, now - this.windowStart);
      this.windowStart = now;
      this.windowUnits = 0;
    }
    this.windowUnits += units;
  }
}

interface TableMeters {
  provisioned: boolean;
  readRate: number;
  writeRate: number;
  /** Table-wide buckets: what adaptive capacity lends from. */
  tableRead: TokenBucket | null;
  tableWrite: TokenBucket | null;
  partitions: Map<number, { read: Meter; write: Meter }>;
}

export class Admission {
  private readonly options: AdmissionOptions;
  private readonly tables = new Map<string, TableMeters>();
  /** capacity.throttling: when off, admit() admits everything and the buckets are left alone. */
  private readonly throttling: boolean;

  constructor(options: AdmissionOptions) {
    this.options = options;
    this.throttling = options.throttling ?? true;
  }

  /** (Re)configures a table's meters from its record: at creation, at start-up, after UpdateTable or a split. */
  configure(table: TableRecord, now = Date.now()): void {
    const provisioned = table.billingMode === 'PROVISIONED';
    const partitions = table.partitions.length;
    const existing = this.tables.get(table.tableId);
    const meters: TableMeters = existing ?? { provisioned, readRate: 0, writeRate: 0, tableRead: null, tableWrite: null, partitions: new Map() };
    meters.provisioned = provisioned;
    meters.readRate = table.readCapacityUnits;
    meters.writeRate = table.writeCapacityUnits;
    const burst = this.options.burstSeconds;
    if (provisioned) {
      if (meters.tableRead) meters.tableRead.setRate(table.readCapacityUnits, now);
      else meters.tableRead = new TokenBucket(table.readCapacityUnits, burst, now);
      if (meters.tableWrite) meters.tableWrite.setRate(table.writeCapacityUnits, now);
      else meters.tableWrite = new TokenBucket(table.writeCapacityUnits, burst, now);
    } else {
      meters.tableRead = null;
      meters.tableWrite = null;
    }
    const live = new Set<number>();
    for (const p of table.partitions) {
      live.add(p.pid);
      const readShare = table.readCapacityUnits / partitions;
      const writeShare = table.writeCapacityUnits / partitions;
      let m = meters.partitions.get(p.pid);
      if (m === undefined) {
        m = {
          read: new Meter(null, new TokenBucket(this.options.partitionReadUnitsMax, 1, now)),
          write: new Meter(null, new TokenBucket(this.options.partitionWriteUnitsMax, 1, now)),
        };
        meters.partitions.set(p.pid, m);
      }
      if (provisioned) {
        if (m.read.share) m.read.share.setRate(readShare, now);
        else m.read.share = new TokenBucket(readShare, burst, now);
        if (m.write.share) m.write.share.setRate(writeShare, now);
        else m.write.share = new TokenBucket(writeShare, burst, now);
      } else {
        m.read.share = null;
        m.write.share = null;
      }
    }
    for (const pid of [...meters.partitions.keys()]) if (!live.has(pid)) meters.partitions.delete(pid);
    this.tables.set(table.tableId, meters);
  }

  forget(tableId: string): void {
    this.tables.delete(tableId);
  }

  /**
   * Admits a request expected to cost `units` (taking them at once, so concurrent requests
   * cannot all slip past an almost empty bucket), or throws ProvisionedThroughputExceededException.
   * charge() later settles the difference with what the request really consumed.
   */
  admit(tableId: string, pid: number, direction: Direction, units: number, now = Date.now()): void {
    if (!this.throttling) return;
    const meters = this.tables.get(tableId);
    const m = meters?.partitions.get(pid);
    if (meters === undefined || m === undefined) return;
    const meter = direction === 'read' ? m.read : m.write;
    let ok = meter.ceiling.canTake(units, now);
    if (ok && meter.share !== null) {
      const table = direction === 'read' ? meters.tableRead! : meters.tableWrite!;
      ok = meter.share.canTake(units, now) || (this.options.adaptive && table.canTake(units, now));
    }
    if (!ok) {
      meter.throttled++;
      throw new DynamoError('ProvisionedThroughputExceededException', meters.provisioned ? provisionedMessage : onDemandMessage);
    }
    this.take(meters, meter, direction, units, now);
  }

  /** What a point read on the partition is expected to cost: its recent item size in read units (half for eventual consistency). */
  expectedReadUnits(tableId: string, pid: number, consistent: boolean): number {
    const units = this.tables.get(tableId)?.partitions.get(pid)?.read.itemReadUnits ?? 1;
    return consistent ? units : units / 2;
  }

  /** Remembers what a strongly consistent read of one of the partition's items costs now (see Meter.itemReadUnits). */
  noteItemReadUnits(tableId: string, pid: number, units: number): void {
    const m = this.tables.get(tableId)?.partitions.get(pid);
    if (m !== undefined) m.read.itemReadUnits = Math.max(1, units);
  }

  /** Settles an admitted request: `units` consumed in all, of which `admitted` were taken at admission. */
  charge(tableId: string, pid: number, direction: Direction, units: number, admitted: number, now = Date.now()): void {
    const meters = this.tables.get(tableId);
    const m = meters?.partitions.get(pid);
    if (meters === undefined || m === undefined) return;
    const meter = direction === 'read' ? m.read : m.write;
    if (this.throttling) this.take(meters, meter, direction, units - admitted, now);
    meter.record(units, now);
  }

  private take(meters: TableMeters, meter: Meter, direction: Direction, units: number, now: number): void {
    if (units === 0) return;
    meter.ceiling.take(units, now);
    meter.share?.take(units, now);
    (direction === 'read' ? meters.tableRead : meters.tableWrite)?.take(units, now);
  }

  /** Read plus write units per second a partition consumed lately (what splits for throughput look at). */
  unitsPerSecond(tableId: string, pid: number, now = Date.now()): number {
    const m = this.tables.get(tableId)?.partitions.get(pid);
    return m === undefined ? 0 : m.read.rate(now) + m.write.rate(now);
  }

  /** Per-partition figures for GET /_monodyne/partitions. */
  stats(tableId: string, pid: number, now = Date.now()): unknown {
    const meters = this.tables.get(tableId);
    const m = meters?.partitions.get(pid);
    if (meters === undefined || m === undefined) return null;
    const side = (meter: Meter, table: TokenBucket | null) => ({
      consumedUnitsPerSecond: Math.round(meter.rate(now) * 100) / 100,
      consumedUnitsTotal: Math.round(meter.consumed * 100) / 100,
      provisionedUnitsPerSecond: meter.share?.ratePerSecond ?? null,
      availableUnits: meter.share ? Math.round(meter.share.available(now) * 100) / 100 : null,
      tableAvailableUnits: table ? Math.round(table.available(now) * 100) / 100 : null,
      ceilingUnitsPerSecond: meter.ceiling.ratePerSecond,
      /** false with capacity.throttling off: the limits above are not applied. */
      throttling: this.throttling,
      throttledRequests: meter.throttled,
    });
    return { read: side(m.read, meters.tableRead), write: side(m.write, meters.tableWrite) };
  }
}
