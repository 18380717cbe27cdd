// One change of an item as a stream's follower records it in its partition (followers' data),
// waiting for the stream collector on the main thread to take it into the stream: the item's
// key and its old and new stored images (null: none). Its followers'-data key carries the
// change's log position (indexes/index-entries.ts outboxKey, kind S).
import { decodeFrame, encodeFrame } from '../rings/frame-codec.ts';

export interface StreamChange {
  /** The item's storage key. */
  k: Uint8Array;
  o: Uint8Array | null;
  b: Uint8Array | null;
  /** A delete by Time to Live. */
  t?: true;
}

export function encodeStreamChange(change: StreamChange): Uint8Array {
  return encodeFrame(change);
}

export function decodeStreamChange(bytes: Uint8Array): StreamChange {
  return decodeFrame(bytes) as StreamChange;
}
