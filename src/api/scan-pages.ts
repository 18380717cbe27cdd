// One Scan page over a table's or an index's hash space, from a start position, as the storage
// nodes serve it partition by partition.
import { Op, type RangeExpressions, type RangeRequest } from '../storage/messages.ts';
import { encodeHashPrefix } from '../storage/key-encoding.ts';
import { bufferView } from '../storage/buffer-view.ts';
import { hashSpaceEnd } from '../router/partition-map.ts';
import { pageBytesMax } from '../limits.ts';
import { pageJsonBytesMax } from '../limits-relations.ts';
import type { ReadApiContext } from './context.ts';
import type { Item } from '../values/types.ts';

/** What one Scan page walks: a table's (or an index's) hash space from a start, and what the nodes apply per item. */
export interface ScanWalk {
  tableId: string;
  /** The exclusive start key (null: from startHash's first key). */
  startKey: Uint8Array | null;
  startHash: number;
  hashHi: number;
  limit: number;
  consistent: boolean;
  kn: string[];
  x: RangeExpressions | null;
  cnt: boolean;
  /** A local index: its entries among the followers' data (tag), the table's key names to fetch whole items with. */
  tag?: Uint8Array;
  tk?: string[];
  /** Consumes no capacity (the Time to Live sweeper's reads, as DynamoDB's). */
  unmetered?: boolean;
}

export interface ScanPage {
  /** Each partition's items as its storage node sent them: JSON joined by commas, without brackets. */
  items: Uint8Array[];
  count: number;
  scanned: number;
  bytes: number;
  last: Item | null;
}

/**
 * Walks the hash space by position, not by partition id: a split during the scan (or a stale
 * map) moves partitions, and each storage node says where the range it served ends. One page:
 * bounded by Limit, the 1 MB page size and the page's JSON budget.
 */
export async function scanPages(ctx: Pick<ReadApiContext, 'control' | 'router'>, walk: ScanWalk): Promise<ScanPage> {
  const items: Uint8Array[] = [];
  let count = 0;
  let scanned = 0;
  let bytes = 0;
  // UTF-8 bytes of the partitions' item arrays so far: the next partition gets what is left of the JSON budget.
  let jsonBytes = 0;
  let last: Item | null = null;
  let position = walk.startHash;
  while (position < walk.hashHi) {
    const partition = ctx.control.map.find(walk.tableId, position);
    const lo = walk.startKey !== null && position === walk.startHash ? walk.startKey : encodeHashPrefix(position);
    const end = Math.min(partition.hashEnd, walk.hashHi);
    const req: RangeRequest = {
      id: 0,
      op: Op.Scan,
      t: walk.tableId,
      p: 0,
      v: 0,
      lo,
      loInc: lo !== walk.startKey,
      hi: end < hashSpaceEnd ? encodeHashPrefix(end) : null,
      hiInc: false,
      pre: null,
      rev: false,
      lim: walk.limit > 0 ? walk.limit - scanned : 0,
      max: pageBytesMax - bytes,
      jm: Math.max(0, pageJsonBytesMax - jsonBytes),
      c: walk.consistent,
      kn: walk.kn,
      x: walk.x,
      cnt: walk.cnt,
    };
    if (walk.tag !== undefined) {
      req.fd = true;
      req.tag = walk.tag;
    }
    if (walk.tk !== undefined) req.tk = walk.tk;
    const res = await ctx.router.sendByHash(walk.tableId, position, req, walk.consistent, walk.unmetered === true);
    if (res.count! > 0) {
      if (!walk.cnt) {
        items.push(res.items!);
        // As one JSON array each: its brackets too.
        jsonBytes += res.items!.length + 2;
      }
      count += res.count!;
    }
    scanned += res.scanned!;
    bytes += res.n ?? 0;
    if (res.last) {
      last = res.last;
      break;
    }
    position = res.he ?? end;
  }
  return { items, count, scanned, bytes, last };
}

/** A page's items, decoded (for readers inside the server, such as the Time to Live sweeper). */
export function scanPageItems(page: ScanPage): Item[] {
  return JSON.parse('[' + page.items.map((chunk) => bufferView(chunk).toString('utf8')).join(',') + ']') as Item[];
}
