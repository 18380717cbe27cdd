// Replication frames between the storage nodes holding replicas of one partition. Every frame
// names the partition (table id, partition id), its sender and the sender's epoch: a replica
// refuses what a leader of an older epoch sends (fencing).

export const ReplFrameType = {
  /** Leader → follower: log entries after (prev, prevEpoch), and the leader's committed index. */
  Entries: 1,
  /** Follower → leader: how far its log durably matches the leader's, or where it diverges. */
  Ack: 2,
  /** Follower → leader: send me a snapshot, tagged with this stream id. */
  SnapshotRequest: 3,
  /** Leader → follower: one chunk of a snapshot stream. */
  SnapshotChunk: 4,
} as const;

interface FrameBase {
  t: string;
  p: number;
  from: number;
  /** The sender's epoch. */
  e: number;
}

export interface EntriesFrame extends FrameBase {
  r: typeof ReplFrameType.Entries;
  /** Index and epoch of the entry just before `entries[0]` (log matching). */
  prev: number;
  prevEpoch: number;
  /** The leader's log starts after this index: a follower behind it needs a snapshot. */
  base: number;
  /** Entries prev+1 … in order, each as the bytes the leader's log stores. */
  entries: Uint8Array[];
  /** Epoch of each entry (read without decoding it). */
  epochs: number[];
  /** The leader's committed index: the follower may apply its matching entries up to here. */
  commit: number;
  /**
   * Whether the leader waits for an ack: entries, probes and snapshot hints do; news of a new
   * committed index to a follower known to match does not (an ack would tell it nothing new).
   */
  ack: boolean;
}

export interface AckFrame extends FrameBase {
  r: typeof ReplFrameType.Ack;
  /** true: the follower's log durably matches the leader's through `i`. false: it does not match at `prev`; `i` is a hint (the highest index that may match). */
  ok: boolean;
  i: number;
  /** The follower's applied index (for lag reports and for retiring a split parent). */
  applied: number;
}

export interface SnapshotRequestFrame extends FrameBase {
  r: typeof ReplFrameType.SnapshotRequest;
  /** Stream id chosen by the follower; it accepts chunks of this stream only. */
  sid: number;
}

export interface SnapshotChunkFrame extends FrameBase {
  r: typeof ReplFrameType.SnapshotChunk;
  sid: number;
  /** Chunk number in the stream, from 0; a gap means a lost chunk and restarts the install. */
  seq: number;
  /** Alternating storage keys and stored item bytes. */
  kv: Uint8Array[];
  /** Alternating keys and values of the log followers' data for those items (log-follower.ts). */
  fkv: Uint8Array[];
  /** Write ids the leader remembers for this partition (write id, partition, log index, Attributes JSON or null), so retries stay idempotent after the install. */
  ids: Array<string | number | null>;
  done: boolean;
  /** The log position the snapshot reflects, its epoch, and the partition's item count and bytes there. */
  index: number;
  indexEpoch: number;
  items: number;
  bytes: number;
}

export type ReplFrame = EntriesFrame | AckFrame | SnapshotRequestFrame | SnapshotChunkFrame;
