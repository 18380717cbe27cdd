// The control protocol between the control plane (main thread) and the storage nodes: each
// request type with the reply it gets, defined once. Control messages are rare (never per
// request) and travel by postMessage in the server, by the simulated network in the simulator.
import type { PartitionAssignment } from '../storage/messages.ts';
import type { FenceReport } from '../replication/replica-machine.ts';
import type { NodeEvent } from '../storage/storage-node.ts';
import type { ReplicaReport } from '../storage/node-control.ts';
import type { SplitEntry } from '../replication/log-entry.ts';

export interface ControlRequests {
  assign: { assignments: PartitionAssignment[] };
  fence: { table: string; pid: number; epoch: number };
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
  /** null: the node does not hold that replica. */
  fence: FenceReport | null;
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

/** A node's work since it started: how many log entries each commit carried on average. */
export interface NodeStats {
  /** Batches committed to its store. */
  batches: number;
  /** Log entries persisted (appended as leader or follower) in them. */
  entries: number;
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
