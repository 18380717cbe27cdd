// The control protocol between the control plane (main thread) and the storage nodes: each
// request type with the reply it gets, defined once. Control messages are rare (never per
// request) and travel by postMessage in the server, by the simulated network in the simulator.
import type { PartitionAssignment } from '../storage/messages.ts';
import type { FenceReport } from '../replication/replica-machine.ts';
import type { NodeEvent, NodeStats } from '../storage/storage-node.ts';
import type { SplitEntry } from '../replication/log-entry.ts';

export interface ControlRequests {
  assign: { assignments: PartitionAssignment[] };
  /** `parent`: the partition's split parent, if it is a split child (a node may hold only that). */
  fence: { table: string; pid: number; epoch: number; parent?: number };
  install: { assignment: PartitionAssignment };
  peer: { peer: number; inRing: SharedArrayBuffer; outRing: SharedArrayBuffer; peerDoorbell: SharedArrayBuffer };
  dropTable: { table: string };
  dropReplica: { table: string; pid: number };
  handoff: { table: string; pid: number; target: number };
  split: { table: string; pid: number; split: SplitEntry };
  describe: Record<never, never>;
  digest: { table: string };
  stats: Record<never, never>;
  stop: Record<never, never>;
}

export interface ControlReplies {
  assign: void;
  fence: FenceReply;
  install: void;
  peer: void;
  dropTable: void;
  dropReplica: void;
  handoff: boolean;
  /** Whether the split was started (its leader appended the split entry). */
  split: boolean;
  describe: ReplicaReport[];
  digest: ReplicaDigest[];
  stats: NodeStats;
  stop: void;
}

/** What a node answers when fenced for a partition: its replica's report, or why it has none. */
export type FenceReply =
  | { kind: 'replica'; report: FenceReport }
  /** It holds none, but holds one of its split children: the split happened (an election adopts the children). */
  | { kind: 'splitChildren' }
  /** It holds none of this split child, but its parent unsplit: it lags behind the split (it cannot lead the child). */
  | { kind: 'parentOnly' }
  /** It holds nothing of the partition. */
  | { kind: 'none' };

/** The report `describe` gives of each replica. */
export interface ReplicaReport {
  table: string;
  pid: number;
  state: string;
  assignment: PartitionAssignment;
  leader: boolean;
  epoch: number;
  last: number;
  committed: number;
  applied: number;
  items: number;
  bytes: number;
  followers: Record<number, { match: number; applied: number }>;
}

/** What a replica's items add up to, to compare replicas of one partition. */
export interface ReplicaDigest {
  table: string;
  pid: number;
  state: string;
  applied: number;
  /** The replica's last log index: applied equal to it on every replica means none has more to apply. */
  last: number;
  items: number;
  /** SHA-256 over every (key, value) of the replica's range, in key order. */
  sha256: string;
}

export type ControlType = keyof ControlRequests;
export type ControlRequest = { [K in ControlType]: { type: K } & ControlRequests[K] }[ControlType];
export type ControlRequestOf<K extends ControlType> = { type: K } & ControlRequests[K];

/** A numbered control message as it travels to a node. */
export type ControlMessage = ControlRequest & { seq: number };

/** What a node sends back: the reply to message `seq`, or (seq 0) news it volunteers. */
export type ControlReply =
  | { kind: 'reply'; seq: number; ok: true; result: unknown }
  | { kind: 'reply'; seq: number; ok: false; error: string }
  | { kind: 'event'; event: NodeEvent }
  | { kind: 'ready' };
