// The leader's side of a client write, as a decision the node carries out: refuse it if this
// replica may not take it, answer a retry of a write it already has from its log position (never
// applying it twice), or decide the write against the item as the last appended entry left it
// and hand back the entry to append. Reads the store and the write-id memory; changes nothing.
import { DynamoError } from '../protocol/errors.ts';
import type { LogEntry, LogMutation } from '../replication/log-entry.ts';
import type { WriteIds } from '../replication/write-ids.ts';
import { bufferView } from './buffer-view.ts';
import { decidePrepare, decideWrite, type WriteOutcome } from './item-write.ts';
import { ReturnValues, Status, WriteKind, type StorageResponse, type WriteRequest } from './messages.ts';
import type { Item } from '../values/types.ts';
import type { ItemTree } from './node-store.ts';
import type { ReplicaSlot, WriteAnswer } from './replica-slot.ts';
import { decodeStoredItem, encodeStoredItem, storedItemSize } from './stored-item.ts';
import { keyText } from './unapplied-writes.ts';
import { encodeHashPrefix } from './key-encoding.ts';
import { writeUnits } from '../admission/capacity-units.ts';
import { checkIndexKeys } from '../indexes/index-entries.ts';
import { decodeIndexSpec, type IndexSpec } from '../indexes/index-spec.ts';
import { collectionChanged, collectionShare, collectionSize, hasLocalIndex } from './item-collections.ts';
import { indexWriteUnits } from '../indexes/index-write-units.ts';
import { TxOp, decodeTxLock, txLockKey, type TxFinish, type TxLock } from '../transactions/tx-record.ts';
import type { UnappliedWrites } from './unapplied-writes.ts';

/** What a write decision reads of its node. */
export interface WritePort {
  readonly writeIds: WriteIds;
  readonly knownVersion: number;
  now(): number;
  items(table: string): ItemTree;
  followerData(table: string): ItemTree;
  readonly itemCollectionBytesMax: number;
  /** Before one long step (deciding on an item of tens of megabytes): see StorageNode.beforeStep. */
  beforeStep(bytes: number): void;
}

export type WriteDecision =
  /** Answer now (a refusal, or a retry of a write committed long ago). */
  | { kind: 'answer'; response: StorageResponse }
  /** Answer once everything through `index` is committed (a retry, a failed condition, a write that changed nothing). */
  | { kind: 'await'; index: number; answer: WriteAnswer }
  /** Append `entry` and answer once it is committed. */
  | { kind: 'append'; entry: LogEntry; answer: WriteAnswer };

export function decideClientWrite(port: WritePort, slot: ReplicaSlot, req: WriteRequest): WriteDecision {
  const m = slot.machine;
  const overlay = slot.overlay();
  if (overlay === null || !m.ownsHash(keyHash(req.k))) return { kind: 'answer', response: wrongReplica(req.id, m.membership.version, port.knownVersion) };
  if (req.dl !== undefined && port.now() > req.dl) {
    // The router already answered this request (its deadline passed): do not apply it late.
    return { kind: 'answer', response: { id: req.id, s: Status.Internal, msg: 'request deadline passed' } };
  }
  const answer: WriteAnswer = { id: req.id, attributes: null, err: null, msg: null, errItem: null, bytes: 0 };
  const wid = req.wid ?? null;
  if (wid !== null) {
    const retried = retryOf(port, slot, wid, answer);
    if (retried !== null) return retried;
  }
  if (!m.hasVotingFollower() || m.overloaded()) {
    // No second voter to reach W = 2, or too much waiting on one: refuse before applying anything.
    return { kind: 'answer', response: { id: req.id, s: Status.Unavailable, msg: 'not enough replicas' } };
  }
  if (req.w === WriteKind.OutboxAck) return outboxAck(m, req, answer);
  if (req.w === WriteKind.Backfill) return backfillPage(port, slot, req, answer);
  if (req.w === WriteKind.IndexBatch) return indexBatch(port, slot, req, wid, answer);
  const key = keyText(req.k);
  if (req.w === WriteKind.TxCommit || req.w === WriteKind.TxCancel) return finishTransaction(port, slot, req, wid, key, answer);
  if (req.w === WriteKind.TxFinishBatch) return finishTransactions(port, slot, req, wid, answer);
  // An item a transaction holds refuses other writes; a prepare its own transaction repeats is answered as it was.
  const lock = lockOf(port, slot, req.k, key);
  if (lock !== null) {
    if (req.w === WriteKind.TxPrepare && lock.id === req.tx) return { kind: 'await', index: m.last, answer };
    answer.err = 'TransactionConflictException';
    answer.msg = transactionConflictMessage;
    return { kind: 'await', index: m.last, answer };
  }
  let old = overlay.get(key);
  if (old === undefined) old = port.items(m.table).get(bufferView(req.k)) ?? null;
  // Deciding on an item of tens of megabytes (decode, update, encode, log entry) is one long step.
  if (old !== null) port.beforeStep(old.length);
  const oldBytes = old === null ? 0 : storedItemSize(old);
  answer.bytes = oldBytes;
  const spec = req.ix === undefined ? null : decodeIndexSpec(req.ix);
  const collections = spec !== null && hasLocalIndex(spec);
  // Index units are counted where local indexes are charged (their old item is read anyway) and where a client asked.
  const counted = spec !== null && (collections || req.rc === true);
  let outcome: WriteOutcome;
  try {
    const oldItem = old === null ? undefined : needsOldItem(req) || counted ? decodeStoredItem(old) : anItem;
    const prepare = req.w === WriteKind.TxPrepare;
    outcome = prepare ? decidePrepare(req, oldItem) : decideWrite(req, oldItem);
    // An update's new item is known only here: its index keys are checked before it is written.
    if (spec !== null && (req.w === WriteKind.Update || (prepare && req.ta === WriteKind.Update)) && outcome.next) checkIndexKeys(spec, outcome.next, 'update');
    // A prepare is refused if its commit would grow the collection past the limit; the commit records the size.
    if (collections && outcome.next !== undefined) answer.collectionBytes = collectionAfter(port, m.table, overlay, spec, req.k, oldItem ?? null, oldBytes, outcome, prepare ? 'prepare' : 'write');
    if (counted && outcome.next !== undefined && !prepare) {
      const units = indexWriteUnits(spec, oldItem ?? null, oldBytes, outcome.next, outcome.nextSizeBytes);
      answer.localUnits = units.local;
      if (req.rc === true) answer.indexUnits = units.byIndex;
    }
  } catch (err) {
    if (!(err instanceof DynamoError)) throw err;
    answer.err = err.kind.name;
    answer.msg = err.message;
    if (err.extra?.Item !== undefined) answer.errItem = JSON.stringify(err.extra.Item);
    // A refusal is an answer about the state it saw: it waits until that state is committed.
    return { kind: 'await', index: m.last, answer };
  }
  answer.attributes = outcome.attributes;
  if (outcome.nextSizeBytes > answer.bytes) answer.bytes = outcome.nextSizeBytes;
  if (req.w === WriteKind.TxPrepare) return prepareTransaction(m, req, wid, outcome, answer);
  if (outcome.next === undefined) return { kind: 'await', index: m.last, answer };
  const stored = outcome.next === null ? null : encodeStoredItem(outcome.next, outcome.nextSizeBytes);
  const entry: LogEntry = {
    e: m.epoch,
    i: m.nextIndex(),
    m: [{ k: req.k, b: stored, o: old, d: (stored === null ? 0 : 1) - (old === null ? 0 : 1), z: (stored === null ? 0 : outcome.nextSizeBytes) - oldBytes }],
    w: wid,
    a: outcome.attributes,
  };
  if (req.ix !== undefined) entry.x = req.ix;
  return { kind: 'append', entry, answer };
}

/**
 * The size of the item's collection once the write is applied; refuses a write that would grow
 * it past the limit (ItemCollectionSizeLimitExceededException), records the new size otherwise.
 */
function collectionAfter(port: WritePort, table: string, overlay: UnappliedWrites, spec: IndexSpec, key: Uint8Array, old: Item | null, oldBytes: number, outcome: WriteOutcome, step: 'write' | 'prepare' | 'commit'): number {
  const pk = (outcome.next ?? old)![spec.tk[0]];
  const hash32 = keyHash(key);
  const before = collectionSize(port.items(table), port.followerData(table), overlay, spec, hash32, pk);
  const after = before - collectionShare(spec, old, oldBytes) + collectionShare(spec, outcome.next ?? null, outcome.nextSizeBytes);
  // A write or a prepare is refused past the limit; a commit (whose prepare was checked) never is.
  if (step !== 'commit' && after > before && after > port.itemCollectionBytesMax) throw new DynamoError('ItemCollectionSizeLimitExceededException', itemCollectionTooLargeMessage);
  if (step !== 'prepare') collectionChanged(overlay, hash32, pk, after);
  return after;
}

export const itemCollectionTooLargeMessage = 'Item collection size limit exceeded';

export const transactionConflictMessage = 'Transaction is ongoing for the item';

/** The lock a transaction holds on an item as this leader has it (its unapplied entries first), or null. */
export function lockOf(port: { followerData(table: string): ItemTree }, slot: ReplicaSlot, k: Uint8Array, key: string): TxLock | null {
  const change = slot.unapplied?.lockChange(key);
  if (change !== undefined) return change;
  const stored = port.followerData(slot.machine.table).get(bufferView(txLockKey(k)));
  return stored === undefined ? null : decodeTxLock(stored);
}

/**
 * A transaction's prepare on this item: its action was decided against the item like a write
 * (condition, update, size, index keys); the image its commit will write is recorded with the
 * lock, and nothing else changes yet.
 */
function prepareTransaction(m: ReplicaSlot['machine'], req: WriteRequest, wid: string | null, outcome: WriteOutcome, answer: WriteAnswer): WriteDecision {
  const check = req.ta === 0;
  const image = check || outcome.next === undefined || outcome.next === null ? null : encodeStoredItem(outcome.next, outcome.nextSizeBytes);
  // A delete of an item that is not there, or a check: the commit writes nothing (the lock still holds the item).
  const writesNothing = check || outcome.next === undefined;
  return { kind: 'append', entry: { e: m.epoch, i: m.nextIndex(), m: [], w: wid, a: null, t: { op: TxOp.Prepare, id: req.tx!, k: req.k, b: image, check: writesNothing } }, answer };
}

/**
 * A transaction's commit (its recorded image written, the lock released, in one entry that the
 * item store and the indexes take as a write) or cancel (the lock released). Repeated, or for a
 * transaction that does not hold the item (already finished), it changes nothing.
 */
function finishTransaction(port: WritePort, slot: ReplicaSlot, req: WriteRequest, wid: string | null, key: string, answer: WriteAnswer): WriteDecision {
  const m = slot.machine;
  const done = finishOnItem(port, slot, req.k, key, req.tx!, req.w === WriteKind.TxCommit, req.ix, answer);
  if (done === null) return { kind: 'await', index: m.last, answer };
  const entry: LogEntry = { e: m.epoch, i: m.nextIndex(), m: done.mutation === null ? [] : [done.mutation], w: wid, a: null, t: { op: done.op, id: req.tx!, k: req.k, b: null, check: done.check } };
  if (done.writes && req.ix !== undefined) entry.x = req.ix;
  return { kind: 'append', entry, answer };
}

/**
 * Several transactions finishing on items of this partition, in one entry (the coordinator
 * gathers the commits and cancels bound for one partition): each item as finishTransaction
 * would have it, those already finished left out. All must be this partition's.
 */
function finishTransactions(port: WritePort, slot: ReplicaSlot, req: WriteRequest, wid: string | null, answer: WriteAnswer): WriteDecision {
  const m = slot.machine;
  const items = req.tf ?? [];
  for (const f of items) if (!m.ownsHash(keyHash(f.k))) return { kind: 'answer', response: { id: req.id, s: Status.KeysOutside, ver: m.membership.version } };
  const finishes: TxFinish[] = [];
  const mutations: LogEntry['m'] = [];
  const seen = new Set<string>();
  let writes = false;
  for (const f of items) {
    const key = keyText(f.k);
    // One finish per item (the same one sent twice would read the item as it was before the
    // entry both times); a finish of another transaction, which holds nothing here, takes no turn.
    if (seen.has(key)) continue;
    const done = finishOnItem(port, slot, f.k, key, f.tx, f.c, req.ix, null);
    if (done === null) continue;
    seen.add(key);
    finishes.push({ op: done.op, id: f.tx, k: f.k, check: done.check });
    if (done.mutation !== null) mutations.push(done.mutation);
    writes ||= done.writes;
  }
  if (finishes.length === 0) return { kind: 'await', index: m.last, answer };
  const entry: LogEntry = { e: m.epoch, i: m.nextIndex(), m: mutations, w: wid, a: null, tf: finishes };
  if (writes && req.ix !== undefined) entry.x = req.ix;
  return { kind: 'append', entry, answer };
}

interface ItemFinish {
  op: TxFinish['op'];
  check: boolean;
  /** The commit's change to the item (null: a cancel, a check, or a delete of nothing). */
  mutation: LogMutation | null;
  /** A commit of a write (not a check): the entry carries the index spec. */
  writes: boolean;
}

/**
 * Transaction `tx` commits (its recorded image becomes the item) or is cancelled on one item;
 * null when `tx` does not hold the item. `answer` (a single finish's) hears the bytes written and
 * the item collection's size.
 */
function finishOnItem(port: WritePort, slot: ReplicaSlot, k: Uint8Array, key: string, tx: string, commit: boolean, ix: Uint8Array | undefined, answer: WriteAnswer | null): ItemFinish | null {
  const m = slot.machine;
  const lock = lockOf(port, slot, k, key);
  if (lock === null || lock.id !== tx) return null;
  const done: ItemFinish = { op: commit ? TxOp.Commit : TxOp.Cancel, check: lock.check, mutation: null, writes: commit && !lock.check };
  if (!done.writes) return done;
  let old = slot.overlay()!.get(key);
  if (old === undefined) old = port.items(m.table).get(bufferView(k)) ?? null;
  const oldBytes = old === null ? 0 : storedItemSize(old);
  const newBytes = lock.b === null ? 0 : storedItemSize(lock.b);
  if (old !== null || lock.b !== null) done.mutation = { k, b: lock.b, o: old, d: (lock.b === null ? 0 : 1) - (old === null ? 0 : 1), z: newBytes - oldBytes };
  if (answer !== null) answer.bytes = Math.max(oldBytes, newBytes);
  if (ix !== undefined) {
    const spec = decodeIndexSpec(ix);
    if (hasLocalIndex(spec) && (old !== null || lock.b !== null)) {
      // The collection's size with this commit, recorded as any write's (its limit was checked at prepare).
      const next = lock.b === null ? null : decodeStoredItem(lock.b);
      const size = collectionAfter(port, m.table, slot.overlay()!, spec, k, old === null ? null : decodeStoredItem(old), oldBytes, { next, nextSizeBytes: newBytes, attributes: null }, 'commit');
      if (answer !== null) answer.collectionBytes = size;
    }
  }
  return done;
}

/** Outbox records the propagator delivered, removed on every replica by one entry; all must be this partition's. */
function outboxAck(m: ReplicaSlot['machine'], req: WriteRequest, answer: WriteAnswer): WriteDecision {
  const acks = req.acks ?? [];
  for (const key of acks) if (!m.ownsHash(keyHash(key))) return { kind: 'answer', response: { id: req.id, s: Status.KeysOutside, ver: m.membership.version } };
  if (acks.length === 0) return { kind: 'await', index: m.last, answer };
  return { kind: 'append', entry: { e: m.epoch, i: m.nextIndex(), m: [], w: null, a: null, oa: acks }, answer };
}

/**
 * The propagator's changes to a global index's table: every entry put (its stored bytes as the
 * table's outbox had them) or deleted, in one log entry. All must be this partition's. The
 * mutations carry no old images (o is null even where an entry existed; d and z count it): an
 * index's table has no follower that reads them, and they would double its log.
 */
function indexBatch(port: WritePort, slot: ReplicaSlot, req: WriteRequest, wid: string | null, answer: WriteAnswer): WriteDecision {
  const m = slot.machine;
  const overlay = slot.overlay()!;
  const flat = req.ib ?? [];
  for (let j = 0; j < flat.length; j += 2) if (!m.ownsHash(keyHash(flat[j]!))) return { kind: 'answer', response: { id: req.id, s: Status.KeysOutside, ver: m.membership.version } };
  const mutations: LogEntry['m'] = [];
  let units = 0;
  for (let j = 0; j < flat.length; j += 2) {
    const k = flat[j]!;
    const b = flat[j + 1];
    let old = overlay.get(keyText(k));
    if (old === undefined) old = port.items(m.table).get(bufferView(k)) ?? null;
    if (old === null && b === null) continue;
    const oldBytes = old === null ? 0 : storedItemSize(old);
    const newBytes = b === null ? 0 : storedItemSize(b);
    units += writeUnits(Math.max(oldBytes, newBytes));
    mutations.push({ k, b, o: null, d: (b === null ? 0 : 1) - (old === null ? 0 : 1), z: newBytes - oldBytes });
  }
  answer.units = units;
  if (mutations.length === 0) return { kind: 'await', index: m.last, answer };
  return { kind: 'append', entry: { e: m.epoch, i: m.nextIndex(), m: mutations, w: wid, a: null }, answer };
}

/** Items a backfill entry brings at most, and about this many bytes of them. */
export const backfillItemsMax = 64;
export const backfillBytesMax = 256 * 1024;

/**
 * One page of a new index's backfill: the items from req.k on as this leader has them now
 * (applied, and written but not yet applied), appended as one entry that only that index takes.
 * Ordered in the log with every write, so no write before it is missed and none after it is
 * overwritten by an older copy.
 */
function backfillPage(port: WritePort, slot: ReplicaSlot, req: WriteRequest, answer: WriteAnswer): WriteDecision {
  const m = slot.machine;
  const overlay = slot.overlay()!;
  const hashEnd = m.membership.hashEnd;
  const end = hashEnd < 2 ** 32 ? bufferView(encodeHashPrefix(hashEnd)) : undefined;
  const start = bufferView(req.k);
  const found = new Map<string, Uint8Array>();
  let last: Buffer | null = null;
  let bytes = 0;
  for (const { key, value } of port.items(m.table).getRange({ start, end })) {
    if (found.size >= backfillItemsMax || bytes >= backfillBytesMax) break;
    found.set(keyText(key), value);
    bytes += value.length;
    last = key;
  }
  const full = found.size >= backfillItemsMax || bytes >= backfillBytesMax;
  // The page covers [start, last] when full, else the rest of the partition: writes not yet applied there count too.
  const upTo = full ? keyText(Buffer.concat([last!, zeroByte])) : end === undefined ? null : keyText(end);
  for (const key of overlay.keysIn(keyText(start), upTo)) {
    const value = overlay.get(key);
    if (value === null) found.delete(key);
    else if (value !== undefined) found.set(key, value);
  }
  answer.next = full ? Buffer.concat([last!, zeroByte]) : null;
  answer.count = found.size;
  answer.hashEnd = hashEnd;
  if (found.size === 0) return { kind: 'await', index: m.last, answer };
  const keys = [...found.keys()].sort();
  const entry: LogEntry = {
    e: m.epoch,
    i: m.nextIndex(),
    m: keys.map((key) => {
      const b = found.get(key)!;
      return { k: Buffer.from(key, 'latin1'), b, o: b, d: 0, z: 0 };
    }),
    w: null,
    a: null,
    rx: req.rx,
  };
  if (req.ix !== undefined) entry.x = req.ix;
  return { kind: 'append', entry, answer };
}

const zeroByte = Buffer.from([0]);

/**
 * A retry of a write this partition already has is answered from its log position, never
 * applied again. A record whose entry is not (or no longer) in this log at that index is stale:
 * the write is decided afresh (finding N1).
 */
function retryOf(port: WritePort, slot: ReplicaSlot, wid: string, answer: WriteAnswer): WriteDecision | null {
  const m = slot.machine;
  const earlier = port.writeIds.find(wid);
  if (earlier === undefined || earlier.table !== m.table) return null;
  answer.attributes = earlier.attributes;
  // Applied in a split parent before its split, or trimmed from this log: committed long ago.
  if (earlier.pid !== m.pid || earlier.index <= m.base) return { kind: 'answer', response: { id: answer.id, s: Status.Ok, item: earlier.attributes, n: 0 } };
  if (earlier.index <= m.last && m.entryAt(earlier.index).w === wid) return { kind: 'await', index: earlier.index, answer };
  port.writeIds.forget(wid, earlier.table, earlier.pid, earlier.index);
  answer.attributes = null;
  return null;
}

/**
 * Whether deciding the write reads the old item's attributes: a condition, an update or returned
 * values do; a plain PutItem or DeleteItem needs only to know whether there was one (its size,
 * for capacity, is in the stored bytes' prefix), so the old item is not decoded.
 */
function needsOldItem(req: WriteRequest): boolean {
  return req.w === WriteKind.Update || req.x !== null || req.rv !== ReturnValues.NONE || (req.w === WriteKind.TxPrepare && req.ta === WriteKind.Update);
}

/** Stands for "an item exists" where its attributes are not read. */
const anItem: Item = Object.freeze({}) as Item;

export function wrongReplica(id: number, replicaVersion: number, knownVersion: number): StorageResponse {
  return { id, s: Status.WrongReplica, ver: Math.max(replicaVersion, knownVersion) };
}

/** The first 4 bytes of every item key are the partition key's hash (big-endian). */
export function keyHash(key: Uint8Array): number {
  return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
}
