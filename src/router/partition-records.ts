// A partition's records that a main-thread consumer takes out of it: the GSI outbox (the
// propagator) or a stream's change records (the stream collector). Both read them from the
// leader a bounded read at a time, from the partition's start to its end, and remove what they
// took through the partition's log (an OutboxAck entry: every replica removes the same records).
import { Op, ReturnValues, WriteKind, type OutboxRequest, type PartitionAssignment, type WriteRequest } from '../storage/messages.ts';
import { encodeHashPrefix } from '../storage/key-encoding.ts';
import { keyHash } from '../storage/leader-write.ts';
import type { Router } from './router.ts';

export interface RecordReads {
  /** Stream change records (true) or the GSI outbox. */
  stream: boolean;
  /** Records a read brings at most, and about this many bytes of them. */
  recordsPerRead: number;
  bytesPerRead: number;
}

/**
 * Reads the partition's records in key order, handing each read's (keys and values alternating)
 * to `take` before the next read goes on from where it stopped. Resolves whether a read was cut
 * short by a split (the rest of the range belongs to another partition now).
 */
export async function readPartitionRecords(router: Router, tableId: string, partition: PartitionAssignment, reads: RecordReads, take: (flat: readonly Uint8Array[]) => Promise<void>): Promise<{ more: boolean }> {
  let lo: Uint8Array = encodeHashPrefix(partition.hashStart);
  for (;;) {
    const read: OutboxRequest = { id: 0, op: Op.Outbox, t: tableId, p: 0, v: 0, lo, loInc: true, lim: reads.recordsPerRead, max: reads.bytesPerRead, c: true };
    if (reads.stream) read.sk = true;
    const res = await router.sendByHash(tableId, keyHash(lo), read, true, true);
    await take(res.ob ?? []);
    if (res.next === null || res.next === undefined) return { more: false };
    // Still this partition's range (a split may have given the rest to another partition).
    if (keyHash(res.next) >= partition.hashEnd) return { more: true };
    lo = res.next;
  }
}

/** Removes records of one partition through its log (all of `keys` must be that partition's). */
export function acknowledgeRecords(router: Router, tableId: string, keys: Uint8Array[]): Promise<unknown> {
  const ack: WriteRequest = { id: 0, op: Op.Write, t: tableId, p: 0, v: 0, k: keys[0], w: WriteKind.OutboxAck, item: null, sz: 0, key: null, x: null, rv: ReturnValues.NONE, rvf: false, acks: keys };
  return router.sendByHash(tableId, keyHash(keys[0]), ack, true, true);
}
