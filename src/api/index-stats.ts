// Item counts and sizes of a table's secondary indexes, for DescribeTable. A global index's are
// its own table's (from its partitions' leaders); a local index's are counted by a scan of its
// entries, kept for a while (DynamoDB refreshes these figures only every few hours too, and SDK
// waiters call DescribeTable in loops).
import type { TableRecord } from '../control/table-record.ts';
import type { ApiContext } from './context.ts';
import type { IndexStats, TableStats } from './table-description.ts';
import { followerTag } from '../indexes/index-entries.ts';
import { hashSpaceEnd } from '../router/partition-map.ts';
import { scanPages } from './scan-pages.ts';
import { indexEntryKey, indexTarget } from './index-reads.ts';

const localCountTtlMs = 10_000;
const localCounts = new Map<string, { at: number; stats: TableStats }>();

export async function indexStatsOf(ctx: ApiContext, table: TableRecord): Promise<IndexStats | undefined> {
  if (table.indexes === undefined) return undefined;
  const out: IndexStats = new Map();
  await Promise.all(
    table.indexes.map(async (index) => {
      if (index.kind === 'GSI') {
        const holder = ctx.control.indexHolder(table, index.name);
        if (holder !== undefined) out.set(index.name, await ctx.control.tableStats(holder));
      } else {
        out.set(index.name, await localIndexStats(ctx, table, index.name));
      }
    }),
  );
  return out;
}

async function localIndexStats(ctx: ApiContext, table: TableRecord, index: string): Promise<TableStats> {
  const key = `${table.tableId}/${index}`;
  const now = Date.now();
  const cached = localCounts.get(key);
  if (cached !== undefined && now - cached.at < localCountTtlMs) return cached.stats;
  const stats: TableStats = { itemCount: 0, sizeBytes: 0 };
  const tag = followerTag('L', index);
  const target = indexTarget(ctx, table, index, false, 'COUNT');
  let startKey: Uint8Array | null = null;
  let startHash = 0;
  for (;;) {
    const page = await scanPages(ctx, { tableId: table.tableId, startKey, startHash, hashHi: hashSpaceEnd, limit: 0, consistent: false, kn: target.keyNames, x: null, cnt: true, tag });
    stats.itemCount += page.count;
    stats.sizeBytes += page.bytes;
    if (page.last === null) break;
    startKey = indexEntryKey(table, target, page.last);
    if (startKey === null) break;
    startHash = ((startKey[0] << 24) | (startKey[1] << 16) | (startKey[2] << 8) | startKey[3]) >>> 0;
  }
  if (localCounts.size > 1000) localCounts.clear();
  localCounts.set(key, { at: now, stats });
  return stats;
}
