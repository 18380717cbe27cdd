// Builds a new global index from the items already in its table (UpdateTable Create). Each
// partition's leader is asked for its items a page at a time, from the start of its hash range
// to its end; it appends each page to the partition's log as a backfill entry (leader-write.ts),
// so the page is ordered with every write: writes before it are in it, writes after it come
// later through the outbox, and an older copy never overwrites a newer one in the index.
import type { ControlPlane } from '../control/control-plane.ts';
import type { Router } from '../router/router.ts';
import { Op, ReturnValues, WriteKind, type WriteRequest } from '../storage/messages.ts';
import { encodeHashPrefix } from '../storage/key-encoding.ts';
import { hashSpaceEnd } from '../router/partition-map.ts';
import { indexSpecOf } from './index-spec.ts';

/** How far a backfill is (the admin endpoint shows it). */
export interface BackfillProgress {
  table: string;
  index: string;
  /** Items brought into the index so far, and the table's item count when it started. */
  itemsDone: number;
  itemsTotal: number;
  /** Where in the hash space it is (0 to 2^32). */
  hashPosition: number;
  state: 'scanning' | 'delivering' | 'done' | 'abandoned';
}

/**
 * Walks the table's hash space, one partition's items after another; returns false when the
 * index or its table went away meanwhile. `progress` is updated as it goes.
 */
export async function backfillIndex(control: ControlPlane, router: Router, progress: BackfillProgress, stopped: () => boolean): Promise<boolean> {
  let position = 0;
  while (position < hashSpaceEnd) {
    let start: Uint8Array = encodeHashPrefix(position);
    for (;;) {
      if (stopped()) return false;
      const table = control.getTable(progress.table);
      const index = table?.indexes?.find((ix) => ix.name === progress.index);
      const spec = table === undefined ? null : indexSpecOf(table);
      if (table === undefined || index === undefined || index.status !== 'CREATING' || spec === null) return false;
      const req: WriteRequest = { id: 0, op: Op.Write, t: table.tableId, p: 0, v: 0, k: start, w: WriteKind.Backfill, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false, rx: progress.index, ix: spec.bytes };
      const res = await router.sendByHash(table.tableId, position, req, true, true);
      progress.itemsDone += res.count ?? 0;
      if (res.next === null || res.next === undefined) {
        position = res.he ?? hashSpaceEnd;
        break;
      }
      start = res.next;
    }
    progress.hashPosition = position;
  }
  return true;
}
