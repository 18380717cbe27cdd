// A storage answer made on this thread from a node's B-tree (local-reads.ts), in the shape the
// node itself would have answered: shared by the main thread's router and a second front-door
// thread's (door-router.ts).
import { Op, Status, type GetRequest, type RangeRequest, type StorageRequest, type StorageResponse } from '../storage/messages.ts';
import { storedItemJson, storedItemSize } from '../storage/stored-item.ts';
import type { LocalPointReads } from './router.ts';
import type { RangePage, ScanPage } from '../storage/range-read.ts';

/** An eventually consistent read's answer from node `node`'s B-tree, or null: ask the node (promised for a long page, read in steps). */
export function localAnswer(reads: LocalPointReads, tableId: string, node: number, hash32: number, req: StorageRequest): StorageResponse | null | Promise<StorageResponse | null> {
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

/** An eventually consistent Query or Scan page, of the table or of a local secondary index; promised when read in steps. */
function localRange(reads: LocalPointReads, tableId: string, node: number, hash32: number, req: RangeRequest): StorageResponse | null | Promise<StorageResponse | null> {
  if (req.op !== Op.Query && req.op !== Op.Scan) return null;
  if (req.op === Op.Query) {
    const page = reads.query(tableId, node, hash32, req);
    if (page instanceof Promise) return page.then((read) => (read === undefined ? null : queryAnswer(req, read)));
    return page === undefined ? null : queryAnswer(req, page);
  }
  const read = reads.scan(tableId, node, req);
  if (read instanceof Promise) return read.then((scanned) => (scanned === undefined ? null : scanAnswer(req, scanned)));
  return read === undefined ? null : scanAnswer(req, read);
}

function queryAnswer(req: RangeRequest, page: RangePage): StorageResponse {
  return { id: req.id, s: Status.Ok, items: page.items, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead };
}

function scanAnswer(req: RangeRequest, read: ScanPage): StorageResponse {
  const page = read.page;
  return { id: req.id, s: Status.Ok, items: page.items, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead, he: read.end };
}
