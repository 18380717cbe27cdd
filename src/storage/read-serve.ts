// Reads on a replica: eventually consistent reads on a follower are answered at once from its
// data (a committed prefix of the partition, durable here); reads on the leader (every
// consistent read, and the eventually consistent ones sent to it) wait until every write
// committed before they arrived is applied (a read barrier, as Raft's ReadIndex), so they never
// miss an acknowledged write and never see one that is not on two durable copies.
import { Op, Status, type GetRequest, type OutboxRequest, type RangeRequest, type StorageResponse } from './messages.ts';
import { bufferView } from './buffer-view.ts';
import { isJsonStoredItem, storedItemJson, storedItemSize } from './stored-item.ts';
import { readRange } from './range-read.ts';
import { keyHash, wrongReplica } from './leader-write.ts';
import { encodeHashPrefix } from './key-encoding.ts';
import { isOutboxKey, isStreamRecordKey } from '../indexes/index-entries.ts';
import { txLockKey } from '../transactions/tx-record.ts';
import { keyText } from './unapplied-writes.ts';
import { transactionConflictMessage } from './leader-write.ts';
import type { ItemTree } from './node-store.ts';
import type { ReplicaSlot, ReadToken } from './replica-slot.ts';

/** What serving a read needs of its node. */
export interface ReadPort {
  readonly knownVersion: number;
  readonly pageJsonBudgetBytes: number;
  items(table: string): ItemTree;
  /** The table's followers' data: LSI entries and the GSIs' outbox. */
  followerData(table: string): ItemTree;
  respond(res: StorageResponse): void;
  /** Before one long step (an item of tens of megabytes): see StorageNode.beforeStep. */
  beforeStep(bytes: number): void;
}

export type ReadDecision = 'serve' | 'wait' | 'wrongReplica';

/** Whether this replica answers the read now, once its read barrier holds, or not at all. */
export function decideRead(slot: ReplicaSlot, req: GetRequest | RangeRequest | OutboxRequest): ReadDecision {
  const m = slot.machine;
  if (!m.ownsHash(keyHash(req.op === Op.Get ? req.k : req.op === Op.Query ? (req.pre ?? req.lo) : req.lo))) return 'wrongReplica';
  if (req.c || m.isLeader()) {
    if (!m.isLeader()) return 'wrongReplica';
    return m.readBarrier(req) ? 'serve' : 'wait';
  }
  return m.servesEventualReads() ? 'serve' : 'wrongReplica';
}

export function refuseRead(port: ReadPort, slot: ReplicaSlot, req: ReadToken): void {
  port.respond(wrongReplica(req.id, slot.machine.membership.version, port.knownVersion));
}

export function serveRead(port: ReadPort, slot: ReplicaSlot, req: ReadToken): void {
  const items = port.items(slot.machine.table);
  if (req.op === Op.Get) {
    // TransactGetItems: an item a transaction holds (prepared, not yet committed or cancelled), or
    // with a write appended and not yet applied (in flight), is a conflict, as in DynamoDB.
    if (req.tl === true && (port.followerData(slot.machine.table).get(bufferView(txLockKey(req.k))) !== undefined || inFlight(slot, req.k))) {
      port.respond({ id: req.id, s: Status.ClientError, err: 'TransactionConflictException', msg: transactionConflictMessage, n: 0 });
      return;
    }
    const value = items.get(bufferView(req.k));
    if (value === undefined) {
      port.respond({ id: req.id, s: Status.Ok, json: null, n: 0 });
      return;
    }
    // The stored JSON goes out as it is. An item stored in the old form is decoded and written
    // out instead, which for one item of tens of megabytes takes a few hundred milliseconds: the
    // node announces that step before it starts.
    if (!isJsonStoredItem(value)) port.beforeStep(value.length);
    port.respond({ id: req.id, s: Status.Ok, json: storedItemJson(value), n: storedItemSize(value) });
    return;
  }
  if (req.op === Op.Outbox) {
    serveOutbox(port, slot, req);
    return;
  }
  // The page's JSON must fit this node's answer frame.
  if (req.jm > port.pageJsonBudgetBytes) req.jm = port.pageJsonBudgetBytes;
  const progress = (bytesAhead: number) => port.beforeStep(bytesAhead);
  if (req.op === Op.Scan) {
    // A scan stops at the end of this replica's range, and says where that is.
    const hashEnd = slot.machine.membership.hashEnd;
    const endKey = hashEnd < 2 ** 32 ? encodeHashPrefix(hashEnd) : null;
    const requestedEnd = req.hi === null ? 2 ** 32 : keyHash(req.hi);
    if (endKey !== null && requestedEnd > hashEnd) req.hi = endKey;
    const page = req.fd === true ? readRange(port.followerData(slot.machine.table), req, progress, req.tk === undefined ? undefined : items) : readRange(items, req, progress);
    port.respond({ id: req.id, s: Status.Ok, items: page.items, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead, he: Math.min(requestedEnd, hashEnd) });
    return;
  }
  // A local secondary index's entries are the followers' data beside the items (fetched from them when asked).
  const page = req.fd === true ? readRange(port.followerData(slot.machine.table), req, progress, req.tk === undefined ? undefined : items) : readRange(items, req, progress);
  port.respond({ id: req.id, s: Status.Ok, items: page.items, count: page.count, scanned: page.scanned, last: page.last, n: page.bytesRead });
}

/** Whether the leader has a write to this item appended and not yet applied (or a lock change). */
function inFlight(slot: ReplicaSlot, k: Uint8Array): boolean {
  const overlay = slot.unapplied;
  if (overlay === null) return false;
  const key = keyText(k);
  return overlay.get(key) !== undefined || overlay.lockChange(key) !== undefined;
}

/** The partition's outbox records (or its stream's change records) from `lo` on, in key order (the propagator, or the stream collector, takes them). */
function serveOutbox(port: ReadPort, slot: ReplicaSlot, req: OutboxRequest): void {
  const m = slot.machine;
  const start = bufferView(req.lo);
  const hashEnd = m.membership.hashEnd;
  const end = hashEnd < 2 ** 32 ? bufferView(encodeHashPrefix(hashEnd)) : undefined;
  const out: Uint8Array[] = [];
  let bytes = 0;
  let next: Uint8Array | null = null;
  for (const { key, value } of port.followerData(m.table).getRange({ start, end })) {
    if (!req.loInc && key.equals(start)) continue;
    if (!(req.sk === true ? isStreamRecordKey(key) : isOutboxKey(key))) continue;
    if (out.length / 2 >= req.lim || bytes >= req.max) {
      next = key;
      break;
    }
    out.push(key, value);
    bytes += key.length + value.length;
  }
  port.respond({ id: req.id, s: Status.Ok, ob: out, next });
}
