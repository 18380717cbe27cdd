// Contributor Insights' counters: for each table with Contributor Insights enabled, the
// partition keys most accessed and most throttled, each in a bounded top-k sketch. The api
// layer records what it routes by key; GET /_monodyne/contributors and the console read them.
// A table without Contributor Insights costs one property check per request.
import type { ControlPlane } from './control-plane.ts';
import type { ContributorInsightsSetting, TableRecord } from './table-record.ts';
import { keyInfoOf } from './table-record.ts';
import { DynamoError } from '../protocol/errors.ts';
import { TopKSketch, type TopKEntry } from './top-k-sketch.ts';
import type { AttributeValue } from '../values/types.ts';

/** Keys each sketch tracks: heavy hitters above 1/64 of a table's traffic are never missed. */
export const contributorKeysTrackedMax = 64;
/** Keys reported per table and kind. */
export const contributorKeysReported = 10;
/** Counts halve every minute, so the top keys are those of the last few minutes. */
export const contributorCountHalfLifeMs = 60_000;

interface TableSketches {
  readonly accessed: TopKSketch;
  readonly throttled: TopKSketch;
}

export interface ContributorsReport {
  halfLifeSeconds: number;
  tables: {
    tableName: string;
    /** Always null until secondary indexes exist; each index will have its own entry. */
    indexName: string | null;
    partitionKey: { name: string; type: string };
    contributorInsightsStatus: 'ENABLED' | 'DISABLED';
    contributorInsightsMode: string | null;
    /** Most accessed partition keys (null in THROTTLED_KEYS mode and while disabled). */
    accessed: TopKEntry[] | null;
    /** Most throttled partition keys (null while disabled). */
    throttled: TopKEntry[] | null;
  }[];
}

export class Contributors {
  /** By tableId: a re-created table starts afresh. */
  private readonly sketches = new Map<string, TableSketches>();

  /** A request routed to `pk`'s partition. */
  accessed(table: TableRecord, pk: AttributeValue): void {
    const setting = table.contributorInsights;
    if (setting === undefined || !setting.enabled || setting.mode === 'THROTTLED_KEYS') return;
    this.sketchesOf(table.tableId).accessed.add(keyText(pk));
  }

  /** Counts `error` against `pk` when it is a throttle; returns it, for the caller to rethrow. */
  throttled(table: TableRecord, pk: AttributeValue, error: unknown): unknown {
    const setting = table.contributorInsights;
    if (setting === undefined || !setting.enabled) return error;
    if (error instanceof DynamoError && error.kind.name === 'ProvisionedThroughputExceededException') {
      this.sketchesOf(table.tableId).throttled.add(keyText(pk));
    }
    return error;
  }

  /** Enabling starts counting afresh; disabling drops the counts, as DynamoDB deletes its rules. */
  applied(table: TableRecord): void {
    this.sketches.delete(table.tableId);
  }

  report(tables: readonly TableRecord[], nowMs = Date.now()): ContributorsReport {
    // Counters of deleted (or re-created) tables go.
    const live = new Set(tables.map((t) => t.tableId));
    for (const tableId of [...this.sketches.keys()]) if (!live.has(tableId)) this.sketches.delete(tableId);
    return {
      halfLifeSeconds: contributorCountHalfLifeMs / 1000,
      tables: tables.map((table) => {
        const setting: ContributorInsightsSetting | undefined = table.contributorInsights;
        const enabled = setting?.enabled === true;
        const sketches = enabled ? this.sketches.get(table.tableId) : undefined;
        const top = (sketch: TopKSketch | undefined) => (sketch === undefined ? [] : sketch.top(contributorKeysReported, nowMs).map(rounded));
        const info = keyInfoOf(table);
        return {
          tableName: table.name,
          indexName: null,
          partitionKey: { name: info.partitionKey, type: info.partitionKeyType },
          contributorInsightsStatus: enabled ? 'ENABLED' : 'DISABLED',
          contributorInsightsMode: enabled ? setting!.mode : null,
          accessed: enabled && setting!.mode !== 'THROTTLED_KEYS' ? top(sketches?.accessed) : null,
          throttled: enabled ? top(sketches?.throttled) : null,
        };
      }),
    };
  }

  private sketchesOf(tableId: string): TableSketches {
    let s = this.sketches.get(tableId);
    if (s === undefined) {
      const now = Date.now();
      s = {
        accessed: new TopKSketch(contributorKeysTrackedMax, contributorCountHalfLifeMs, now),
        throttled: new TopKSketch(contributorKeysTrackedMax, contributorCountHalfLifeMs, now),
      };
      this.sketches.set(tableId, s);
    }
    return s;
  }
}

/** A partition key's value as text: S and N as they are, B in base64 (a table has one key type). */
function keyText(pk: AttributeValue): string {
  const v = pk as { S?: string; N?: string; B?: string };
  return v.S ?? v.N ?? v.B ?? '';
}

function rounded(e: TopKEntry): TopKEntry {
  return { key: e.key, count: Math.round(e.count * 100) / 100, error: Math.round(e.error * 100) / 100 };
}

/** One set of counters per server (its control plane), shared by the api layer and the admin endpoints. */
const byControlPlane = new WeakMap<ControlPlane, Contributors>();

export function contributorsOf(control: ControlPlane): Contributors {
  let c = byControlPlane.get(control);
  if (c === undefined) {
    c = new Contributors();
    byControlPlane.set(control, c);
  }
  return c;
}
