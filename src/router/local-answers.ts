// A storage answer made on this thread from a node's B-tree (local-reads.ts), in the shape the
// node itself would have answered: shared by the main thread's router and a second front-door
// thread's (door-router.ts).
import { Op, Status, type GetRequest, type RangeRequest, type StorageRequest, type StorageResponse } from '../storage/messages.ts';
import { storedItemJson, storedItemSize } from '../storage/stored-item.ts';
import type { LocalPointReads } from './router.ts';

/** An eventually consistent read's answer from node `node`'s B-tree, or null: ask the node. */
export function localAnswer(reads: LocalPointReads, tableId: string, node: number, hash32: number, req: StorageRequest): StorageResponse | null {
  return req.op === Op.Get ? localGet(reads, tableId, node, hash32, req) : localRange(reads, tableId, node, hash32, req as RangeRequest);
}

/** An eventually consistent GetItem. */
function localGet(reads: LocalPointReads, tableId: string, node: number, hash32: number, req: GetRequest): StorageResponse | null {
  // TransactGetItems' reads look at the node's locks: they go to it.
  if (req.tl === true) return null;
  const value = reads.get(tableId, node, hash32, req.k);
  if (value === undefined) return null;
  if (value === null) return { id: req.id, s: Status.Ok, json: null, n: 0 };
  return { id: req.id, s: Status.Ok, json: storedItemJson(value), n: storedItemSize(value) };
}

/** An eventually consistent Query or Scan page, of the table or of a local secondary index. */
function localRange(reads: LocalPointReads, tableId: string, node: number, hash32: number, req: RangeRequest): StorageResponse | null {
  if (req.op !== Op.Query && req.op !== Op.Scan) return null;
  if (req.op === Op.Query) {
    const page = reads.query(tableId, node, hash32, req);
    return page === undefined ? null : { id: req.id, s: Status.Ok, items: page.items, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead };
  }
  const read = reads.scan(tableId, node, req);
  if (read === undefined) return null;
  const page = read.page;
  return { id: req.id, s: Status.Ok, items: page.items, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead, he: read.end };
}
