// Reads on a replica: eventually consistent reads on a follower are answered at once from its
// data (a committed prefix of the partition); reads on the leader (every consistent read, and
// the eventually consistent ones sent to it) wait until every write committed before they
// arrived is applied (a read barrier, as Raft's ReadIndex), so they never miss an acknowledged
// write and never see one that is not on two durable copies.
import { Op, Status, type GetRequest, type RangeRequest } from './messages.ts';
import { bufferView } from './buffer-view.ts';
import { decodeStoredItem, storedItemSize } from './stored-item.ts';
import { readRange } from './range-read.ts';
import { keyHash } from './leader-write.ts';
import { encodeHashPrefix } from './key-encoding.ts';
import type { ReplicaSlot, ReadToken } from './replica-slot.ts';
import type { StorageNode } from './storage-node.ts';

export function handleRead(node: StorageNode, slot: ReplicaSlot, req: GetRequest | RangeRequest): void {
  const m = slot.machine;
  if (!m.ownsHash(keyHash(req.op === Op.Get ? req.k : req.op === Op.Query ? (req.pre ?? req.lo) : req.lo))) {
    node.respond({ id: req.id, s: Status.WrongReplica, ver: Math.max(m.membership.version, node.knownVersion) });
    return;
  }
  if (req.c || m.isLeader()) {
    if (!m.isLeader()) {
      node.respond({ id: req.id, s: Status.WrongReplica, ver: Math.max(m.membership.version, node.knownVersion) });
      return;
    }
    if (!m.readBarrier(req)) {
      node.touch(slot);
      return;
    }
  } else if (!m.servesEventualReads()) {
    node.respond({ id: req.id, s: Status.WrongReplica, ver: Math.max(m.membership.version, node.knownVersion) });
    return;
  }
  serveRead(node, slot, req);
}

export function serveRead(node: StorageNode, slot: ReplicaSlot, req: ReadToken): void {
  const items = node.store.items(slot.machine.table);
  if (req.op === Op.Get) {
    const value = items.get(bufferView(req.k));
    if (value === undefined) {
      node.respond({ id: req.id, s: Status.Ok, item: null, n: 0 });
      return;
    }
    // One item can take a few hundred milliseconds to decode and write out (27.5 MB of JSON at
    // worst, about its stored size): the node announces each of those steps before it starts.
    node.beforeStep(value.length);
    const item = decodeStoredItem(value);
    node.beforeStep(value.length);
    node.respond({ id: req.id, s: Status.Ok, item: JSON.stringify(item), n: storedItemSize(value) });
    return;
  }
  // The page's JSON must fit this node's answer frame.
  if (req.jm > node.pageJsonBudgetBytes) req.jm = node.pageJsonBudgetBytes;
  const progress = (bytesAhead: number) => node.beforeStep(bytesAhead);
  if (req.op === Op.Scan) {
    // A scan stops at the end of this replica's range, and says where that is.
    const hashEnd = slot.machine.membership.hashEnd;
    const endKey = hashEnd < 2 ** 32 ? encodeHashPrefix(hashEnd) : null;
    const requestedEnd = req.hi === null ? 2 ** 32 : keyHash(req.hi);
    if (endKey !== null && requestedEnd > hashEnd) req.hi = endKey;
    const page = readRange(items, req, progress);
    node.respond({ id: req.id, s: Status.Ok, items: page.json, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead, he: Math.min(requestedEnd, hashEnd) });
    return;
  }
  const page = readRange(items, req, progress);
  node.respond({ id: req.id, s: Status.Ok, items: page.json, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead });
}
