// The leader's side of a client write: refuse it if this replica may not take it, answer a
// retry of a write it already has from its log position (never applying it twice), decide the
// write against the item as the last appended entry left it, and append the entry.
import { DynamoError } from '../protocol/errors.ts';
import { encodeLogEntry, type LogEntry } from '../replication/log-entry.ts';
import { bufferView } from './buffer-view.ts';
import { decideWrite, type WriteOutcome } from './item-write.ts';
import { Status, type WriteRequest } from './messages.ts';
import type { ReplicaSlot, WriteAnswer } from './replica-slot.ts';
import type { StorageNode } from './storage-node.ts';
import { decodeStoredItem, encodeStoredItem, storedItemSize } from './stored-item.ts';
import { keyText } from './unapplied-writes.ts';

export function handleWrite(node: StorageNode, slot: ReplicaSlot, req: WriteRequest): void {
  const m = slot.machine;
  // Promoted in this pump (its 'promoted' event is handled after the requests): the overlay now.
  if (slot.unapplied === null && m.acceptsWrites()) slot.becameLeader();
  if (!m.acceptsWrites() || !m.ownsHash(keyHash(req.k)) || slot.unapplied === null) {
    node.respond({ id: req.id, s: Status.WrongReplica, ver: Math.max(m.membership.version, node.knownVersion) });
    return;
  }
  if (req.dl !== undefined && node.now() > req.dl) {
    // The router already answered this request (its deadline passed): do not apply it late.
    node.respond({ id: req.id, s: Status.Internal, msg: 'request deadline passed' });
    return;
  }
  const answer: WriteAnswer = { id: req.id, attributes: null, err: null, msg: null, errItem: null, bytes: 0 };
  const wid = req.wid ?? null;
  if (wid !== null) {
    const earlier = node.writeIds.find(wid);
    if (earlier !== undefined && earlier.table === m.table) {
      // A retry of a write this partition already has: answer it from its log position.
      answer.attributes = earlier.attributes;
      if (earlier.pid === m.pid && earlier.index > m.base) m.awaitCommit(earlier.index, answer);
      else node.respond({ id: req.id, s: Status.Ok, item: earlier.attributes, n: 0 }); // before a committed split, or trimmed: committed
      node.touch(slot);
      return;
    }
  }
  if (!m.hasVotingFollower() || m.overloaded()) {
    // No second voter to reach W = 2, or too much waiting on one: refuse before applying anything.
    node.respond({ id: req.id, s: Status.Unavailable, msg: 'not enough replicas' });
    return;
  }
  const key = keyText(req.k);
  let old = slot.unapplied.get(key);
  if (old === undefined) old = node.store.items(m.table).get(bufferView(req.k)) ?? null;
  // Deciding on an item of tens of megabytes (decode, update, encode, log entry) is one long step.
  if (old !== null) node.beforeStep(old.length);
  const oldBytes = old === null ? 0 : storedItemSize(old);
  answer.bytes = oldBytes;
  let outcome: WriteOutcome;
  try {
    outcome = decideWrite(req, old === null ? undefined : decodeStoredItem(old));
  } catch (err) {
    if (!(err instanceof DynamoError)) throw err;
    answer.err = err.kind.name;
    answer.msg = err.message;
    if (err.extra?.Item !== undefined) answer.errItem = JSON.stringify(err.extra.Item);
    // A refusal is an answer about the state it saw: it waits until that state is committed.
    m.awaitCommit(m.last, answer);
    node.touch(slot);
    return;
  }
  answer.attributes = outcome.attributes;
  if (outcome.nextSizeBytes > answer.bytes) answer.bytes = outcome.nextSizeBytes;
  if (outcome.next === undefined) {
    m.awaitCommit(m.last, answer);
    node.touch(slot);
    return;
  }
  const stored = outcome.next === null ? null : encodeStoredItem(outcome.next, outcome.nextSizeBytes);
  const entry: LogEntry = {
    e: m.epoch,
    i: m.nextIndex(),
    m: [{ k: req.k, b: stored, d: (stored === null ? 0 : 1) - (old === null ? 0 : 1), z: (stored === null ? 0 : outcome.nextSizeBytes) - oldBytes }],
    w: wid,
    a: outcome.attributes,
  };
  appendEntry(node, slot, entry);
  m.awaitCommit(entry.i, answer);
}

/** Appends an entry this leader made (encoded once: its log and its followers get the same bytes). */
export function appendEntry(node: StorageNode, slot: ReplicaSlot, entry: LogEntry): void {
  const m = slot.machine;
  m.append(encodeLogEntry(entry), entry);
  slot.unapplied?.addEntry(entry);
  if (entry.w !== null) node.writeIds.remember(entry.w, m.table, m.pid, entry.i, entry.a, node.now());
  node.touch(slot);
}

/** The first 4 bytes of every item key are the partition key's hash (big-endian). */
export function keyHash(key: Uint8Array): number {
  return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
}
