// Admission control: every partition meters its reads and writes against token buckets, as
// DynamoDB's do. PROVISIONED tables split their capacity evenly over their partitions, keep up
// to burstSeconds of unused capacity, and (adaptive capacity) let a hot partition borrow what
// the table as a whole leaves unused; every partition also has a hard ceiling (3000 RCU,
// 1000 WCU by default), which is all PAY_PER_REQUEST tables are held to: they start with enough
// partitions for DynamoDB's initial on-demand throughput (onDemandInitialPartitions).
import { initBucket, setBucketRate } from './token-bucket.ts';
import {
  MeterArena, admitLocked, itemReadUnitsLocked, lockTable, meterStatsLocked, rateLocked, readMeter, recordLocked,
  setItemReadUnitsLocked, shareBucket, tableReadBucket, tableWriteBucket, takeLocked, unlockTable, writeMeter,
} from './meter-arena.ts';
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
  /**
   * Partitions (and as many tables) whose meters live in shared memory, where another thread can
   * admit against them (AttachedAdmission): 368 bytes each (sharedBytesPerPartition; 5.75 MiB
   * for the default), allocated at construction.
   * Tables beyond it keep private meters that only this thread sees. Default 16,384.
   */
  sharedPartitionsMax?: number;
}

export const sharedPartitionsMaxDefault = 16_384;

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

export const provisionedMessage =
  'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.';
export const onDemandMessage =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html';

interface TableMeters {
  provisioned: boolean;
  readRate: number;
  writeRate: number;
  /** Where the table's numbers live: the shared arena, or this thread's private one. */
  arena: MeterArena;
  /** Its table slot there (lock word, table-wide buckets: what adaptive capacity lends from). */
  slot: number;
  /** Partition id → partition slot (its read and write meters). */
  partitions: Map<number, number>;
  /**
   * Whether the hot path takes the table's lock: only while another thread may attach, i.e. the
   * table is in the shared arena and sharedState() was handed out. configure() and forget()
   * always lock.
   */
  locking: boolean;
}

/** Where one partition's meters live: its slot in the shared arena and the slot's generation while it holds them. */
export interface PartitionSlotRef {
  slot: number;
  generation: number;
}

/**
 * Where a table's meters live in the shared arena right now (admission.directory()): its table
 * slot (lock word and table-wide buckets) and, per partition id, the slot of its read and write
 * meters, each with the generation that slot had when given to it. Structured-clonable: the main
 * thread ships it to an attached thread after every change (onDirectoryChange).
 */
export interface MeterDirectory {
  tableId: string;
  tableSlot: number;
  tableGeneration: number;
  partitions: Map<number, PartitionSlotRef>;
}

/** What another thread needs to attach to an Admission's shared meters (AttachedAdmission): buffers and numbers only. */
export interface AdmissionSharedState {
  floats: SharedArrayBuffer;
  ints: SharedArrayBuffer;
  tableSlotsMax: number;
  /** 1: adaptive capacity on. */
  adaptive: number;
  /** 1: capacity.throttling on. */
  throttling: number;
}

export class Admission {
  private readonly options: AdmissionOptions;
  private readonly tables = new Map<string, TableMeters>();
  /** capacity.throttling: when off, admit() admits everything and the buckets are left alone. */
  private readonly throttling: boolean;
  private readonly adaptive: boolean;
  private readonly sharedArena: MeterArena;
  private readonly privateArena = MeterArena.private();
  private readonly directoryListeners: Array<(tableId: string) => void> = [];
  /** Whether sharedState() was handed out: from then on another thread may touch the shared arena. */
  private attachable = false;

  constructor(options: AdmissionOptions) {
    this.options = options;
    this.throttling = options.throttling ?? true;
    this.adaptive = options.adaptive;
    this.sharedArena = MeterArena.shared(options.sharedPartitionsMax ?? sharedPartitionsMaxDefault);
  }

  /** (Re)configures a table's meters from its record: at creation, at start-up, after UpdateTable or a split. */
  configure(table: TableRecord, now = Date.now()): void {
    const provisioned = table.billingMode === 'PROVISIONED';
    let meters = this.tables.get(table.tableId);
    const wasShared = meters !== undefined && meters.arena === this.sharedArena;
    let directoryChanged = meters === undefined;
    if (meters !== undefined) directoryChanged = this.dropPartitions(meters, table);
    const arena = this.arenaFor(meters, table);
    if (meters === undefined) {
      meters = { provisioned: false, readRate: 0, writeRate: 0, arena, slot: arena.allocateTable(), partitions: new Map(), locking: false };
      this.tables.set(table.tableId, meters);
    } else if (meters.arena !== arena) {
      this.move(meters, arena);
      directoryChanged = true;
    }
    meters.locking = this.attachable && arena === this.sharedArena;
    const wasProvisioned = meters.provisioned;
    meters.provisioned = provisioned;
    meters.readRate = table.readCapacityUnits;
    meters.writeRate = table.writeCapacityUnits;
    const burst = this.options.burstSeconds;
    const f = arena.floats;
    const tableAt = arena.tableAt(meters.slot);
    const readShare = table.readCapacityUnits / table.partitions.length;
    const writeShare = table.writeCapacityUnits / table.partitions.length;
    lockTable(arena.ints, meters.slot);
    arena.setProvisioned(meters.slot, provisioned);
    if (provisioned) {
      if (wasProvisioned) {
        setBucketRate(f, tableAt + tableReadBucket, table.readCapacityUnits, now);
        setBucketRate(f, tableAt + tableWriteBucket, table.writeCapacityUnits, now);
      } else {
        initBucket(f, tableAt + tableReadBucket, table.readCapacityUnits, burst, now);
        initBucket(f, tableAt + tableWriteBucket, table.writeCapacityUnits, burst, now);
      }
    }
    for (const p of table.partitions) {
      let slot = meters.partitions.get(p.pid);
      const fresh = slot === undefined;
      if (slot === undefined) {
        slot = arena.allocatePartition(meters.slot, this.options.partitionReadUnitsMax, this.options.partitionWriteUnitsMax, now);
        meters.partitions.set(p.pid, slot);
        directoryChanged = true;
      }
      if (!provisioned) continue;
      const at = arena.partitionAt(slot);
      // A new partition, or one of a table that just became PROVISIONED, starts with a full share.
      if (fresh || !wasProvisioned) {
        initBucket(f, at + readMeter + shareBucket, readShare, burst, now);
        initBucket(f, at + writeMeter + shareBucket, writeShare, burst, now);
      } else {
        setBucketRate(f, at + readMeter + shareBucket, readShare, now);
        setBucketRate(f, at + writeMeter + shareBucket, writeShare, now);
      }
    }
    unlockTable(arena.ints, meters.slot);
    if (directoryChanged && (wasShared || arena === this.sharedArena)) this.directoryChanged(table.tableId);
  }

  /** Frees the slots of partitions the table no longer has; whether there were any. */
  private dropPartitions(meters: TableMeters, table: TableRecord): boolean {
    const live = new Set<number>();
    for (const p of table.partitions) live.add(p.pid);
    let dropped = false;
    lockTable(meters.arena.ints, meters.slot);
    for (const [pid, slot] of meters.partitions) {
      if (live.has(pid)) continue;
      meters.arena.freePartition(slot, meters.slot);
      meters.partitions.delete(pid);
      dropped = true;
    }
    unlockTable(meters.arena.ints, meters.slot);
    return dropped;
  }

  /** The shared arena when it has room for all the table's partitions, else the private one. */
  private arenaFor(meters: TableMeters | undefined, table: TableRecord): MeterArena {
    const shared = this.sharedArena;
    if (meters !== undefined && meters.arena === shared) {
      let added = 0;
      for (const p of table.partitions) if (!meters.partitions.has(p.pid)) added++;
      return shared.freePartitionSlots() >= added ? shared : this.privateArena;
    }
    return shared.freeTableSlots() >= 1 && shared.freePartitionSlots() >= table.partitions.length ? shared : this.privateArena;
  }

  /** Moves a table's numbers to another arena; its old slots are freed (an attached thread's directory for them goes stale). */
  private move(meters: TableMeters, to: MeterArena): void {
    const from = meters.arena;
    lockTable(from.ints, meters.slot);
    const slot = to.allocateTable();
    to.copyTable(from, meters.slot, slot);
    for (const [pid, fromSlot] of meters.partitions) {
      const toSlot = to.allocatePartition(slot, 0, 0, 0);
      to.copyPartition(from, fromSlot, toSlot);
      from.freePartition(fromSlot, meters.slot);
      meters.partitions.set(pid, toSlot);
    }
    from.freeTable(meters.slot);
    unlockTable(from.ints, meters.slot);
    meters.arena = to;
    meters.slot = slot;
  }

  forget(tableId: string): void {
    const meters = this.tables.get(tableId);
    if (meters === undefined) return;
    const { arena, slot } = meters;
    lockTable(arena.ints, slot);
    for (const partitionSlot of meters.partitions.values()) arena.freePartition(partitionSlot, slot);
    arena.freeTable(slot);
    unlockTable(arena.ints, slot);
    this.tables.delete(tableId);
    if (arena === this.sharedArena) this.directoryChanged(tableId);
  }

  /** The shared buffers another thread attaches to (new AttachedAdmission(state)). */
  sharedState(): AdmissionSharedState {
    const arena = this.sharedArena;
    this.attachable = true;
    for (const meters of this.tables.values()) meters.locking = meters.arena === arena;
    return {
      floats: arena.floats.buffer as SharedArrayBuffer,
      ints: arena.ints.buffer as SharedArrayBuffer,
      tableSlotsMax: arena.tableSlotsMax,
      adaptive: this.adaptive ? 1 : 0,
      throttling: this.throttling ? 1 : 0,
    };
  }

  /** Where the table's meters live in shared memory now, or null: an unknown table, or one the shared pool had no room for. */
  directory(tableId: string): MeterDirectory | null {
    const meters = this.tables.get(tableId);
    if (meters === undefined || meters.arena !== this.sharedArena) return null;
    const arena = meters.arena;
    const partitions = new Map<number, PartitionSlotRef>();
    for (const [pid, slot] of meters.partitions) partitions.set(pid, { slot, generation: arena.partitionGeneration(slot) });
    return { tableId, tableSlot: meters.slot, tableGeneration: arena.tableGeneration(meters.slot), partitions };
  }

  /**
   * Calls `listener(tableId)` after configure() or forget() changed where a table's meters live
   * (directory(tableId) is then the new directory, or null); returns a function that stops it.
   */
  onDirectoryChange(listener: (tableId: string) => void): () => void {
    this.directoryListeners.push(listener);
    return () => {
      const at = this.directoryListeners.indexOf(listener);
      if (at >= 0) this.directoryListeners.splice(at, 1);
    };
  }

  private directoryChanged(tableId: string): void {
    for (const listener of [...this.directoryListeners]) listener(tableId);
  }

  /**
   * Admits a request expected to cost `units` (taking them at once, so concurrent requests
   * cannot all slip past an almost empty bucket), or throws ProvisionedThroughputExceededException.
   * charge() later settles the difference with what the request really consumed.
   */
  admit(tableId: string, pid: number, direction: Direction, units: number, now = Date.now()): void {
    if (!this.throttling) return;
    const meters = this.tables.get(tableId);
    if (meters === undefined) return;
    const slot = meters.partitions.get(pid);
    if (slot === undefined) return;
    const arena = meters.arena;
    const meterAt = arena.partitionAt(slot) + (direction === 'read' ? readMeter : writeMeter);
    const tableBucketAt = arena.tableAt(meters.slot) + (direction === 'read' ? tableReadBucket : tableWriteBucket);
    if (meters.locking) lockTable(arena.ints, meters.slot);
    const ok = admitLocked(arena.floats, meterAt, tableBucketAt, meters.provisioned, this.adaptive, units, now);
    if (meters.locking) unlockTable(arena.ints, meters.slot);
    if (!ok) throw new DynamoError('ProvisionedThroughputExceededException', meters.provisioned ? provisionedMessage : onDemandMessage);
  }

  /** What a point read on the partition is expected to cost: its recent item size in read units (half for eventual consistency). */
  expectedReadUnits(tableId: string, pid: number, consistent: boolean): number {
    const meters = this.tables.get(tableId);
    const slot = meters?.partitions.get(pid);
    let units = 1;
    if (meters !== undefined && slot !== undefined) {
      const arena = meters.arena;
      if (meters.locking) lockTable(arena.ints, meters.slot);
      units = itemReadUnitsLocked(arena.floats, arena.partitionAt(slot));
      if (meters.locking) unlockTable(arena.ints, meters.slot);
    }
    return consistent ? units : units / 2;
  }

  /** Remembers what a strongly consistent read of one of the partition's items costs now (see meter-arena.ts, ITEM_READ_UNITS). */
  noteItemReadUnits(tableId: string, pid: number, units: number): void {
    const meters = this.tables.get(tableId);
    const slot = meters?.partitions.get(pid);
    if (meters === undefined || slot === undefined) return;
    const arena = meters.arena;
    if (meters.locking) lockTable(arena.ints, meters.slot);
    setItemReadUnitsLocked(arena.floats, arena.partitionAt(slot), units);
    if (meters.locking) unlockTable(arena.ints, meters.slot);
  }

  /** Settles an admitted request: `units` consumed in all, of which `admitted` were taken at admission. */
  charge(tableId: string, pid: number, direction: Direction, units: number, admitted: number, now = Date.now()): void {
    this.settle(tableId, pid, direction, units, admitted, -1, now);
  }

  /**
   * charge(), and noteItemReadUnits(itemReadUnits) when it is 0 or more, under one hold of the
   * table's lock: every hold is a window in which a preempted holder stalls the other threads.
   */
  settle(tableId: string, pid: number, direction: Direction, units: number, admitted: number, itemReadUnits: number, now = Date.now()): void {
    const meters = this.tables.get(tableId);
    if (meters === undefined) return;
    const slot = meters.partitions.get(pid);
    if (slot === undefined) return;
    const arena = meters.arena;
    const partitionAt = arena.partitionAt(slot);
    const meterAt = partitionAt + (direction === 'read' ? readMeter : writeMeter);
    if (meters.locking) lockTable(arena.ints, meters.slot);
    if (this.throttling) {
      const tableBucketAt = arena.tableAt(meters.slot) + (direction === 'read' ? tableReadBucket : tableWriteBucket);
      takeLocked(arena.floats, meterAt, tableBucketAt, meters.provisioned, units - admitted, now);
    }
    recordLocked(arena.floats, meterAt, units, now);
    if (itemReadUnits >= 0) setItemReadUnitsLocked(arena.floats, partitionAt, itemReadUnits);
    if (meters.locking) unlockTable(arena.ints, meters.slot);
  }

  /** Read plus write units per second a partition consumed lately (what splits for throughput look at). */
  unitsPerSecond(tableId: string, pid: number, now = Date.now()): number {
    const meters = this.tables.get(tableId);
    const slot = meters?.partitions.get(pid);
    if (meters === undefined || slot === undefined) return 0;
    const arena = meters.arena;
    const at = arena.partitionAt(slot);
    if (meters.locking) lockTable(arena.ints, meters.slot);
    const rate = rateLocked(arena.floats, at + readMeter, now) + rateLocked(arena.floats, at + writeMeter, now);
    if (meters.locking) unlockTable(arena.ints, meters.slot);
    return rate;
  }

  /** Per-partition figures for GET /_monodyne/partitions. */
  stats(tableId: string, pid: number, now = Date.now()): unknown {
    const meters = this.tables.get(tableId);
    const slot = meters?.partitions.get(pid);
    if (meters === undefined || slot === undefined) return null;
    const arena = meters.arena;
    const at = arena.partitionAt(slot);
    const tableAt = arena.tableAt(meters.slot);
    if (meters.locking) lockTable(arena.ints, meters.slot);
    const read = meterStatsLocked(arena.floats, at + readMeter, tableAt + tableReadBucket, meters.provisioned, this.throttling, now);
    const write = meterStatsLocked(arena.floats, at + writeMeter, tableAt + tableWriteBucket, meters.provisioned, this.throttling, now);
    if (meters.locking) unlockTable(arena.ints, meters.slot);
    return { read, write };
  }
}
