// A transaction's record in a participant partition's log, and the lock it leaves on the item
// until the transaction commits or is cancelled. A prepare checks the action against the item
// and records the image the commit will write; the lock is followers' data keyed by the item's
// hash (so it moves with the partition through splits, snapshots and failovers); the commit
// writes the image and removes the lock in one entry, a cancel only removes the lock.
import { createHash } from 'node:crypto';
import { hashPrefixBytes, storageKeyBytesMax } from '../storage/key-encoding.ts';
import { InvariantError } from '../replication/invariants.ts';
import { bufferView } from '../storage/buffer-view.ts';

export const TxOp = { Prepare: 1, Commit: 2, Cancel: 3 } as const;
export type TxOpCode = (typeof TxOp)[keyof typeof TxOp];

export interface TxRecord {
  op: TxOpCode;
  /** The transaction's id. */
  id: string;
  /** The item's storage key. */
  k: Uint8Array;
  /** Prepare: the image the commit writes (null: the item is deleted, or a check only). */
  b: Uint8Array | null;
  /** Prepare: a ConditionCheck, which writes nothing at commit. */
  check: boolean;
}

/** A transaction's commit or cancel on one item, one of several in a log entry (LogEntry.tf). */
export interface TxFinish {
  op: typeof TxOp.Commit | typeof TxOp.Cancel;
  id: string;
  k: Uint8Array;
  /** The lock was a ConditionCheck's (or a delete of nothing): the commit writes nothing. */
  check: boolean;
}

/** What a lock holds: whose it is and what its commit writes. */
export interface TxLock {
  id: string;
  b: Uint8Array | null;
  check: boolean;
}

const lockTag = Buffer.from('X', 'latin1');

/** The followers'-data key of an item's lock: hash ‖ tag length ‖ 'X' ‖ the rest of its key (cut and digested if too long). */
export function txLockKey(k: Uint8Array): Uint8Array {
  const head = hashPrefixBytes + 1 + lockTag.length;
  const rest = k.subarray(hashPrefixBytes);
  const room = storageKeyBytesMax - head;
  const restBytes = rest.length <= room ? rest.length : room;
  const key = Buffer.allocUnsafe(head + restBytes);
  key.set(k.subarray(0, hashPrefixBytes), 0);
  key[hashPrefixBytes] = lockTag.length;
  lockTag.copy(key, hashPrefixBytes + 1);
  if (rest.length <= room) key.set(rest, head);
  else {
    key.set(rest.subarray(0, room - 32), head);
    key.set(createHash('sha256').update(rest).digest(), head + room - 32);
  }
  return key;
}

// Lock value: u8 flags (1: check, 2: image present), u32 id length, id (UTF-8), image.
export function encodeTxLock(lock: TxLock): Uint8Array {
  const id = Buffer.from(lock.id, 'utf8');
  const out = Buffer.allocUnsafe(5 + id.length + (lock.b === null ? 0 : lock.b.length));
  out[0] = (lock.check ? 1 : 0) | (lock.b === null ? 0 : 2);
  out.writeUInt32LE(id.length, 1);
  id.copy(out, 5);
  if (lock.b !== null) out.set(lock.b, 5 + id.length);
  return out;
}

export function decodeTxLock(bytes: Uint8Array): TxLock {
  const view = bufferView(bytes);
  const idLength = view.readUInt32LE(1);
  if (5 + idLength > view.length) throw new InvariantError('transaction lock shorter than its id');
  const id = view.toString('utf8', 5, 5 + idLength);
  return { id, check: (view[0] & 1) === 1, b: (view[0] & 2) === 2 ? view.subarray(5 + idLength) : null };
}
