// One outbox record: a change of one item's entry in one global secondary index, waiting to be
// delivered to the index's partitions. Written by every replica's index follower, read by the
// propagator on the main thread.
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';

export interface OutboxRecord {
  /** The table item's storage key. */
  k: Uint8Array;
  /** The index entry to delete (the item's key in the index changed, or the item left it), or null. */
  d: Uint8Array | null;
  /** The index entry to write, and the item as the index holds it, as stored bytes (stored-item.ts; null: none). */
  p: Uint8Array | null;
  b: Uint8Array | null;
}

export function encodeOutboxRecord(record: OutboxRecord): Uint8Array {
  return encodeFrame(record);
}

export function decodeOutboxRecord(bytes: Uint8Array): OutboxRecord {
  return decodeFrame(bytes) as OutboxRecord;
}
