// Time to Live's sweeper (main thread): every `sweepIntervalMs` it walks each TTL-enabled table
// partition by partition. The storage node holding each range evaluates the expiry filter as it
// reads (only expired items come back), and each expired item is deleted by an ordinary
// replicated DeleteItem whose condition re-checks the expiry at the leader, so an item given a
// new expiry meanwhile stays. As DynamoDB: only Numbers count (epoch seconds), values more than
// five years in the past are ignored, deletes consume no capacity, and an expired item not yet
// deleted is still returned by reads. The pace is bounded (items scanned and deletes per second),
// so a sweep never crowds out the tables' own traffic.
import type { ControlPlane } from '../control/control-plane.ts';
import type { Router } from '../router/router.ts';
import type { Clock, TimerHandle } from '../control/clock.ts';
import { isIndexHolder, keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { Op, ReturnValues, WriteKind, type WriteRequest } from '../storage/messages.ts';
import { hashSpaceEnd } from '../router/partition-map.ts';
import { routeKey } from '../api/item-key.ts';
import { indexSpecOf } from '../indexes/index-spec.ts';
import { DynamoError } from '../protocol/errors.ts';
import { log } from '../server/logger.ts';
import type { Item } from '../values/types.ts';
import { expiresItems } from './ttl-status.ts';
import { randomUUID } from 'node:crypto';
import { scanPageItems, scanPages } from '../api/scan-pages.ts';

export interface TtlSettings {
  sweepIntervalMs: number;
  scanItemsPerSecondMax: number;
  deletesPerSecondMax: number;
  /** How long ENABLING and DISABLING last (DescribeTimeToLive). */
  settleMs: number;
  /** How long after a change UpdateTimeToLive refuses another (DynamoDB: one hour; 0: never). */
  changeCooldownMs: number;
}

export const defaultTtlSettings: TtlSettings = { sweepIntervalMs: 10_000, scanItemsPerSecondMax: 100_000, deletesPerSecondMax: 1000, settleMs: 1000, changeCooldownMs: 0 };

/**
 * Write ids of the sweeper's deletes start with this (the router's never do): the log entry keeps
 * the write id, so a stream tells a delete by Time to Live from a client's (its record names the
 * DynamoDB service as userIdentity, as DynamoDB's do).
 */
export const ttlWriteIdPrefix = 'ttl/';

/** DynamoDB leaves alone expiry values more than five years in the past (most likely not epoch seconds). */
const expiryAgeMaxSeconds = 5 * 365 * 24 * 3600;

/** Items one scan request reads at most: small pages keep each step of a storage node short. */
const scanPageItemsMax = 1000;

export interface SweepCounts {
  scanned: number;
  deleted: number;
}

export class TtlSweeper {
  readonly settings: TtlSettings;
  private readonly control: ControlPlane;
  private readonly router: Router;
  private readonly clock: Clock;
  private timer: TimerHandle | null = null;
  private running: Promise<SweepCounts> | null = null;
  private stopped = false;
  /** The sweeper's write ids: unique to this process start, then counted. */
  private readonly deleteIds = randomUUID().slice(0, 8);
  private deletes = 0;
  /** Since the server started (GET /_monodyne/ttl, tests). */
  readonly totals: SweepCounts = { scanned: 0, deleted: 0 };

  constructor(control: ControlPlane, router: Router, clock: Clock, settings: TtlSettings) {
    this.control = control;
    this.router = router;
    this.clock = clock;
    this.settings = settings;
  }

  start(): void {
    this.timer = this.clock.every(this.settings.sweepIntervalMs, () => void this.sweepNow().catch((err) => log.error('time to live sweep failed:', err)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running?.catch(() => {});
  }

  /** One sweep of every TTL-enabled table now (or the one under way): resolves with what it did. */
  sweepNow(): Promise<SweepCounts> {
    this.running ??= this.sweepAll().finally(() => (this.running = null));
    return this.running;
  }

  private async sweepAll(): Promise<SweepCounts> {
    const counts: SweepCounts = { scanned: 0, deleted: 0 };
    for (const table of this.control.catalog.all()) {
      if (this.stopped) break;
      if (isIndexHolder(table.name) || !expiresItems(table.timeToLive)) continue;
      try {
        await this.sweepTable(table, table.timeToLive.attributeName, counts);
      } catch (err) {
        // A table deleted meanwhile, a partition changing hands: the next sweep goes on.
        if (!(err instanceof DynamoError)) throw err;
        log.debug(`time to live sweep of ${table.name} stopped: ${err.kind.name} ${err.message}`);
      }
    }
    this.totals.scanned += counts.scanned;
    this.totals.deleted += counts.deleted;
    return counts;
  }

  /** Walks the table's hash space page by page, deleting what the pages bring back. */
  private async sweepTable(table: TableRecord, attribute: string, counts: SweepCounts): Promise<void> {
    const info = keyInfoOf(table);
    const keyNames = info.sortKey === undefined ? [info.partitionKey] : [info.partitionKey, info.sortKey];
    const names: Record<string, string> = { '#t': attribute };
    keyNames.forEach((name, i) => (names[`#k${i}`] = name));
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const x = {
      FilterExpression: '#t < :now AND #t >= :oldest',
      ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':oldest': { N: String(nowSeconds - expiryAgeMaxSeconds) } },
    };
    let startHash = 0;
    let startKey: Uint8Array | null = null;
    while (!this.stopped) {
      const started = this.clock.now();
      const page = await scanPages(
        { control: this.control, router: this.router },
        { tableId: table.tableId, startKey, startHash, hashHi: hashSpaceEnd, limit: Math.min(scanPageItemsMax, this.settings.scanItemsPerSecondMax), consistent: false, kn: keyNames, x, cnt: false, unmetered: true },
      );
      counts.scanned += page.scanned;
      for (const key of scanPageItems(page)) {
        if (this.stopped) return;
        if (await this.expire(table, key, attribute)) counts.deleted++;
        await this.clock.sleep(1000 / this.settings.deletesPerSecondMax);
      }
      if (page.last === null) return;
      ({ hash32: startHash, storageKey: startKey } = routeKey(info, page.last));
      // Scanned items per second held under the bound.
      const spentMs = this.clock.now() - started;
      const dueMs = (page.scanned / this.settings.scanItemsPerSecondMax) * 1000;
      if (dueMs > spentMs) await this.clock.sleep(dueMs - spentMs);
    }
  }

  /** Deletes one item if it is still expired at its leader; false when it no longer is, or is held by a transaction. */
  private async expire(table: TableRecord, key: Item, attribute: string): Promise<boolean> {
    const { hash32, storageKey } = routeKey(keyInfoOf(table), key);
    const req: WriteRequest = {
      id: 0,
      op: Op.Write,
      t: table.tableId,
      p: 0,
      v: 0,
      k: storageKey,
      w: WriteKind.Delete,
      item: null,
      sz: 0,
      key: null,
      x: { ConditionExpression: '#t < :now', ExpressionAttributeNames: { '#t': attribute }, ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.clock.now() / 1000)) } } },
      rv: ReturnValues.NONE,
      rvf: false,
      wid: `${ttlWriteIdPrefix}${this.deleteIds}-${++this.deletes}`,
    };
    const spec = indexSpecOf(table);
    if (spec !== null) req.ix = spec.bytes;
    try {
      await this.router.sendByHash(table.tableId, hash32, req, true, true);
    } catch (err) {
      if (err instanceof DynamoError && (err.kind.name === 'ConditionalCheckFailedException' || err.kind.name === 'TransactionConflictException')) return false;
      throw err;
    }
    if (table.indexes !== undefined) this.control.propagator?.written(table);
    if (table.stream?.enabled === true) this.control.streams?.collectSoon();
    return true;
  }
}
