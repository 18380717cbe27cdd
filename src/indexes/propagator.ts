// The log propagator: delivers each table's outbox (the GSI changes its partitions' index
// follower wrote from the committed log) to the GSIs' own partitions, then acknowledges what it
// delivered through the table's log, which removes those records on every replica.
//
// Why nothing is lost, duplicated for good, or reordered:
//   - a record leaves the outbox only through a committed ack entry, written after every index
//     write it asked for was acknowledged (W = 2 on the index's partition);
//   - the records of one item are read in the order of its changes (their keys end in the log
//     position), and one pass per table at a time delivers them, all of an item's records in a
//     pass folded into one change: the last entry written, every older one deleted;
//   - a pass that fails anywhere acknowledges nothing of that partition: its records come again
//     in a later pass, together with any newer ones of the same items, and delivering an index
//     entry twice writes the same thing twice;
//   - failovers and splits move the outbox with its partition (keyed by item hash), so whoever
//     leads next has the same records.
// Backfills (UpdateTable Create) read each partition's items through its log too (backfill.ts).
import type { ControlPlane } from '../control/control-plane.ts';
import type { Router } from '../router/router.ts';
import type { TableRecord } from '../control/table-record.ts';
import type { Clock } from '../control/clock.ts';
import { Op, ReturnValues, WriteKind, type PartitionAssignment, type WriteRequest } from '../storage/messages.ts';
import { keyHash } from '../storage/leader-write.ts';
import { decodeOutboxRecord } from './outbox-record.ts';
import { acknowledgeRecords, readPartitionRecords } from '../router/partition-records.ts';
import { followerTag } from './index-entries.ts';
import { DynamoError } from '../protocol/errors.ts';
import { backfillIndex, type BackfillProgress } from './backfill.ts';
import { indexSpecOf, outboxName } from './index-spec.ts';
import { log } from '../server/logger.ts';

export interface PropagatorOptions {
  clock: Clock;
  /** Outbox records read from one partition per pass, and about this many bytes of them. */
  recordsPerRead: number;
  bytesPerRead: number;
  /** How often every table with global indexes is looked at, written to or not (records left by a failure, a restart). */
  sweepMs: number;
}

/** Lag samples kept per table: write acknowledged → its index entries delivered. */
const lagSamplesMax = 1000;

/** What the propagator shows of one table (the admin endpoint). */
export interface TablePropagation {
  table: string;
  /** Index entries written or deleted in the global indexes. */
  delivered: number;
  /** Outbox records taken out after delivery. */
  acknowledged: number;
  /** Passes that failed (a partition moving, an index partition throttled) and were retried. */
  failedPasses: number;
  /** Delivery lag of recent writes, ms: median and 99th percentile (null before any). */
  lagMedianMs: number | null;
  lagP99Ms: number | null;
  /** Outbox records read in the last pass that found any (how far behind it was). */
  lastBacklog: number;
}

interface TableState {
  running: Promise<void> | null;
  /** Written to again while a pass ran: another pass follows. */
  again: boolean;
  /** When the oldest write not yet covered by a pass was acknowledged (null: none waiting). */
  oldestWaitingAt: number | null;
  lags: number[];
  delivered: number;
  acknowledged: number;
  failedPasses: number;
  lastBacklog: number;
  /** A pass hit the index's throttling: writes to the table are held back until one succeeds. */
  throttled: boolean;
  /** Passes started so far (each numbered by it). */
  passesStarted: number;
  /** drained() callers: each waits for a whole pass numbered above `after`. */
  waiters: Array<{ after: number; resolve: () => void }>;
}

export class Propagator {
  private readonly control: ControlPlane;
  private readonly router: Router;
  private readonly options: PropagatorOptions;
  private readonly tables = new Map<string, TableState>();
  private sweeper: ReturnType<typeof setInterval> | null = null;
  /** Backfills under way or done, by table and index name. */
  readonly backfills = new Map<string, BackfillProgress>();
  private readonly backfillRuns = new Set<Promise<void>>();
  private stopped = false;

  constructor(control: ControlPlane, router: Router, options: PropagatorOptions) {
    this.control = control;
    this.router = router;
    this.options = options;
  }

  start(): void {
    // Backfills a restart interrupted start again (bringing an item in twice writes it twice).
    for (const name of this.control.tableNames()) {
      for (const index of this.control.getTable(name)?.indexes ?? []) if (index.status === 'CREATING') this.backfill(name, index.name);
    }
    this.sweeper = setInterval(() => this.sweep(), this.options.sweepMs);
    this.sweeper.unref();
    this.sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    await Promise.all([...this.tables.values()].map((s) => s.running));
    // Nothing will be delivered any more: whoever waits for it stops waiting.
    for (const state of this.tables.values()) release(state, Infinity);
    await Promise.all([...this.backfillRuns]);
  }

  /** Builds global index `index` of `table` from the items already there, then makes it ACTIVE. */
  backfill(table: string, index: string): void {
    const progress: BackfillProgress = { table, index, itemsDone: 0, itemsTotal: 0, hashPosition: 0, state: 'scanning' };
    this.backfills.set(`${table}/${index}`, progress);
    const run = (async () => {
      // Every write routed before the index existed (without it in its spec) is applied or refused first.
      for (;;) {
        const current = this.control.getTable(table);
        const spec = current === undefined ? null : indexSpecOf(current);
        if (current === undefined || spec === null || this.stopped || !this.router.writesInFlightWithout(current.tableId, spec.bytes)) break;
        await this.options.clock.sleep(5);
      }
      const record = this.control.getTable(table);
      if (record !== undefined) progress.itemsTotal = (await this.control.tableStats(record)).itemCount;
      for (let failures = 0; ; failures++) {
        try {
          if (!(await backfillIndex(this.control, this.router, progress, () => this.stopped))) {
            progress.state = 'abandoned';
            return;
          }
          break;
        } catch (err) {
          // A partition changing hands: the walk starts over (what it brought in stays right).
          if (!(err instanceof DynamoError)) log.error(`backfill of ${table}/${index} failed:`, err);
          if (this.stopped) return;
          progress.itemsDone = 0;
          progress.hashPosition = 0;
          await this.options.clock.sleep(Math.min(1000, 10 << Math.min(failures, 6)));
        }
      }
      progress.state = 'delivering';
      await this.drained(table);
      if (this.stopped) return;
      await this.control.indexBuilt(table, index);
      progress.state = 'done';
    })()
      .catch((err) => log.error(`backfill of ${table}/${index} failed:`, err))
      .finally(() => this.backfillRuns.delete(run));
    this.backfillRuns.add(run);
  }

  /** A write to `table` was acknowledged: its outbox may hold new records. */
  written(table: TableRecord): void {
    if (!hasGlobalIndex(table)) return;
    const state = this.stateOf(table.name);
    state.oldestWaitingAt ??= this.options.clock.now();
    this.kick(table.name, state);
  }

  /** Whether writes to `table` are held back: one of its global indexes is throttled (DynamoDB does the same). */
  holdsBack(table: TableRecord): boolean {
    return this.tables.get(table.name)?.throttled === true;
  }

  /** Per table with global indexes: what was delivered, and how late. */
  report(): TablePropagation[] {
    const out: TablePropagation[] = [];
    for (const [name, s] of this.tables) {
      const sorted = [...s.lags].sort((a, b) => a - b);
      out.push({
        table: name,
        delivered: s.delivered,
        acknowledged: s.acknowledged,
        failedPasses: s.failedPasses,
        lagMedianMs: sorted.length === 0 ? null : sorted[Math.floor(sorted.length / 2)],
        lagP99Ms: sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))],
        lastBacklog: s.lastBacklog,
      });
    }
    return out;
  }

  /**
   * Resolves once everything the table's outbox held when this was called is delivered and
   * acknowledged: a pass that started after the call read every partition's outbox to its end
   * (no read cut short by its limits, no split meanwhile) and delivered it all (tests, backfills).
   * It does not wait for the outbox to be empty, which under a steady write load it never is.
   */
  drained(tableName: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const state = this.stateOf(tableName);
    const waited = new Promise<void>((resolve) => state.waiters.push({ after: state.passesStarted, resolve }));
    this.kick(tableName, state);
    return waited;
  }

  private sweep(): void {
    for (const name of this.control.tableNames()) {
      const table = this.control.getTable(name);
      if (table !== undefined && hasGlobalIndex(table)) this.kick(name, this.stateOf(name));
    }
  }

  private stateOf(name: string): TableState {
    let state = this.tables.get(name);
    if (state === undefined) {
      state = { running: null, again: false, oldestWaitingAt: null, lags: [], delivered: 0, acknowledged: 0, failedPasses: 0, lastBacklog: 0, throttled: false, passesStarted: 0, waiters: [] };
      this.tables.set(name, state);
    }
    return state;
  }

  private kick(name: string, state: TableState): void {
    if (this.stopped) return;
    if (state.running !== null) {
      state.again = true;
      return;
    }
    state.running = this.run(name, state).finally(() => {
      state.running = null;
      if (state.again) this.kick(name, state);
    });
  }

  /** Passes over the table until one finds nothing to deliver. */
  private async run(name: string, state: TableState): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      state.again = false;
      const table = this.control.getTable(name);
      if (table === undefined || !hasGlobalIndex(table)) {
        this.tables.delete(name);
        // No global index (any more): nothing is waiting to be delivered.
        release(state, Infinity);
        return;
      }
      let found: number;
      try {
        found = await this.pass(table, state);
        failures = 0;
      } catch (err) {
        state.failedPasses++;
        if (!(err instanceof DynamoError)) log.error(`index propagation for ${name} failed:`, err);
        // Backs off while a partition changes hands or an index partition is throttled.
        await this.options.clock.sleep(Math.min(200, 5 << Math.min(failures++, 6)));
        continue;
      }
      // Someone waiting for a whole pass (a split cut the last one short) gets another.
      if (found === 0 && !state.again && state.waiters.length === 0) return;
    }
  }

  /**
   * One pass: every partition's outbox read once, delivered, acknowledged. Returns the records
   * found. A pass that read every outbox to its end releases the drained() callers from before it.
   */
  private async pass(table: TableRecord, state: TableState): Promise<number> {
    const number = ++state.passesStarted;
    const waitingSince = state.oldestWaitingAt;
    state.oldestWaitingAt = null;
    let found = 0;
    let whole = true;
    let failure: unknown = null;
    const partitions = this.control.map.partitions(table.tableId).slice();
    // The partitions of one map version have disjoint items: their outboxes are delivered side by side.
    const results = await Promise.allSettled(partitions.map((partition) => this.partitionPass(table, partition, state)));
    for (const r of results) {
      if (r.status === 'fulfilled') {
        found += r.value.records;
        whole &&= !r.value.more;
      } else failure ??= r.reason;
    }
    if (failure !== null) {
      // Writes not delivered yet are still waiting: their lag keeps counting from when they were acknowledged.
      if (waitingSince !== null) state.oldestWaitingAt = Math.min(state.oldestWaitingAt ?? waitingSince, waitingSince);
      throw failure;
    }
    state.throttled = false;
    // A partition that split meanwhile was read only up to the end of one of its children (a
    // read reaches a child only once the map lists it): the other child waits for the next pass.
    if (whole && sameRanges(partitions, this.control.map.partitions(table.tableId))) release(state, number);
    if (found > 0) state.lastBacklog = found;
    if (waitingSince !== null && found > 0) {
      if (state.lags.length >= lagSamplesMax) state.lags.splice(0, state.lags.length - lagSamplesMax + 1);
      state.lags.push(this.options.clock.now() - waitingSince);
    }
    return found;
  }

  /**
   * Delivers one partition's outbox from its start to its end, a read at a time (each delivered
   * and acknowledged before the next read goes on from where it stopped): every record the
   * outbox held when the pass began is delivered in this pass, wherever it is in the partition.
   * Returns how many records, and whether a read was cut short by a split (the rest waits).
   */
  private async partitionPass(table: TableRecord, partition: PartitionAssignment, state: TableState): Promise<{ records: number; more: boolean }> {
    let records = 0;
    const { more } = await readPartitionRecords(this.router, table.tableId, partition, { stream: false, recordsPerRead: this.options.recordsPerRead, bytesPerRead: this.options.bytesPerRead }, async (flat) => {
      records += await this.deliver(table, flat, state);
    });
    return { records, more };
  }

  /** Delivers a read's records to the indexes' partitions, then acknowledges them; returns how many. */
  private async deliver(table: TableRecord, flat: readonly Uint8Array[], state: TableState): Promise<number> {
    if (flat.length === 0) return 0;
    const holders = this.holdersByTag(table);
    // Per (index, item): the item's records in the order of its changes (their keys' order).
    const changes = new Map<string, { holder: TableRecord | null; deletes: Uint8Array[]; put: Uint8Array | null; stored: Uint8Array | null }>();
    const acks: Uint8Array[] = [];
    for (let j = 0; j < flat.length; j += 2) {
      const key = flat[j];
      const record = decodeOutboxRecord(flat[j + 1]);
      acks.push(key);
      const tag = Buffer.from(key.subarray(5, 5 + key[4])).toString('latin1');
      const id = tag + '\u0000' + Buffer.from(record.k).toString('latin1');
      let change = changes.get(id);
      if (change === undefined) {
        // An index deleted since: its records are only acknowledged.
        change = { holder: holders.get(tag) ?? null, deletes: [], put: null, stored: null };
        changes.set(id, change);
      }
      if (record.d !== null) change.deletes.push(record.d);
      change.put = record.p;
      change.stored = record.b;
    }
    // The index entries to write, one batch per partition of each index's table.
    const batches = new Map<string, IndexBatch>();
    const add = (holder: TableRecord, key: Uint8Array, stored: Uint8Array | null) => {
      const pid = this.control.map.find(holder.tableId, keyHash(key)).pid;
      const id = holder.tableId + ':' + pid;
      let batch = batches.get(id);
      if (batch === undefined) batches.set(id, (batch = { holder, entries: [], bytes: 0 }));
      batch.entries.push(key, stored);
      batch.bytes += key.length + (stored === null ? 0 : stored.length);
    };
    let delivered = 0;
    for (const change of changes.values()) {
      const holder = change.holder;
      if (holder === null) continue;
      for (const d of change.deletes) {
        if (change.put !== null && Buffer.compare(d, change.put) === 0) continue;
        add(holder, d, null);
        delivered++;
      }
      if (change.put !== null) {
        add(holder, change.put, change.stored);
        delivered++;
      }
    }
    const writes: Promise<unknown>[] = [];
    for (const batch of batches.values()) for (const part of splitBatch(batch.entries, indexBatchBytesMax)) writes.push(this.writeBatch(batch.holder, part));
    const settled = await Promise.allSettled(writes);
    for (const s of settled) {
      if (s.status === 'rejected') {
        const err = s.reason;
        if (err instanceof DynamoError && (err.kind.name === 'ProvisionedThroughputExceededException' || err.kind.name === 'ThrottlingException')) state.throttled = true;
        throw err;
      }
    }
    state.delivered += delivered;
    // One acknowledgement per partition the records are in now (a split since the read may have cut them in two).
    await Promise.all(groupByPartition(this.control, table.tableId, acks).map((keys) => acknowledgeRecords(this.router, table.tableId, keys)));
    state.acknowledged += acks.length;
    return acks.length;
  }


  /** Writes a batch of one index partition's entries (key, stored item or null: delete); it consumes the index's capacity. */
  private writeBatch(holder: TableRecord, entries: Array<Uint8Array | null>): Promise<unknown> {
    const first = entries[0]!;
    const req: WriteRequest = { id: 0, op: Op.Write, t: holder.tableId, p: 0, v: 0, k: first, w: WriteKind.IndexBatch, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false, ib: entries };
    return this.router.sendByHash(holder.tableId, keyHash(first), req, true);
  }

  /** The table's global indexes' holders, by their outbox tag. */
  private holdersByTag(table: TableRecord): Map<string, TableRecord> {
    const out = new Map<string, TableRecord>();
    for (const index of table.indexes ?? []) {
      if (index.kind !== 'GSI' || index.status === 'DELETING') continue;
      const holder = this.control.indexHolder(table, index.name);
      if (holder !== undefined) out.set(followerTag('O', outboxName(index)).toString('latin1'), holder);
    }
    return out;
  }
}

interface IndexBatch {
  holder: TableRecord;
  entries: Array<Uint8Array | null>;
  bytes: number;
}

/** An index batch's entries at most this many bytes a request (each request one log entry; one entry always goes). */
const indexBatchBytesMax = 256 * 1024;

function splitBatch(entries: Array<Uint8Array | null>, bytesMax: number): Array<Array<Uint8Array | null>> {
  const parts: Array<Array<Uint8Array | null>> = [];
  let part: Array<Uint8Array | null> = [];
  let bytes = 0;
  for (let j = 0; j < entries.length; j += 2) {
    const size = entries[j]!.length + (entries[j + 1]?.length ?? 0);
    if (part.length > 0 && bytes + size > bytesMax) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(entries[j], entries[j + 1]);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** Keys grouped by the partition of `tableId` each is in, as the map has them now. */
function groupByPartition(control: ControlPlane, tableId: string, keys: readonly Uint8Array[]): Uint8Array[][] {
  const groups = new Map<number, Uint8Array[]>();
  for (const key of keys) {
    const pid = control.map.find(tableId, keyHash(key)).pid;
    let group = groups.get(pid);
    if (group === undefined) groups.set(pid, (group = []));
    group.push(key);
  }
  return [...groups.values()];
}

/** Lets go of the drained() callers from before pass `number` (Infinity: all of them). */
function release(state: TableState, number: number): void {
  if (state.waiters.length === 0) return;
  const done = state.waiters.filter((w) => w.after < number);
  state.waiters = state.waiters.filter((w) => w.after >= number);
  for (const w of done) w.resolve();
}

/** Whether two lists of a table's partitions cut its hash space the same way. */
function sameRanges(a: readonly PartitionAssignment[], b: readonly PartitionAssignment[]): boolean {
  return a.length === b.length && a.every((p) => b.some((q) => q.pid === p.pid && q.hashStart === p.hashStart && q.hashEnd === p.hashEnd));
}

export function hasGlobalIndex(table: TableRecord): boolean {
  return table.indexes !== undefined && table.indexes.some((ix) => ix.kind === 'GSI');
}
