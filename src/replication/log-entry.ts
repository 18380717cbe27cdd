// One entry of a partition's replication log, as the leader writes it and every replica stores
// it: encoded once by the leader (cbor-x) and carried and stored as those same bytes. The log is
// the spine later features follow (index propagation, streams, TTL deletes, transactions,
// point-in-time restore): each keeps its position as a log index of a partition (log-follower.ts).
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';

/**
 * One physical change: the key, the new stored item bytes (null: deleted) and the old ones (null:
 * there was none), so that a follower of the log that sees changes (a stream, an index) needs
 * nothing but the entry.
 */
export interface LogMutation {
  k: Uint8Array;
  b: Uint8Array | null;
  o: Uint8Array | null;
  /** Change in the partition's item count (+1 new item, -1 deleted, 0 overwritten). */
  d: number;
  /** Change in the partition's stored item bytes (DynamoDB item sizes). */
  z: number;
}

/** A split: from this entry on, the partition is two partitions, cut at hash `at`. */
export interface SplitEntry {
  at: number;
  lowPid: number;
  highPid: number;
  /** Map version of the two children. */
  version: number;
}

export interface LogEntry {
  /** Epoch of the leader that wrote it. */
  e: number;
  /** Position in the partition's log: 1-based, contiguous. */
  i: number;
  m: LogMutation[];
  /** The client write's id and the Attributes it answered, to answer a retry without re-applying it. */
  w: string | null;
  a: string | null;
  split?: SplitEntry;
}

export function encodeLogEntry(entry: LogEntry): Uint8Array {
  return encodeFrame(entry);
}

export function decodeLogEntry(bytes: Uint8Array): LogEntry {
  return decodeFrame(bytes) as LogEntry;
}

/** The entry a new leader appends first: it commits everything before it in its own epoch. */
export function noopEntry(epoch: number, index: number): LogEntry {
  return { e: epoch, i: index, m: [], w: null, a: null };
}
