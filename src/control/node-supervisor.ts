// What the control plane needs of the storage nodes' keeper: control messages with typed
// replies, liveness, fencing a node it declared dead, and starting a replacement. The server's
// StorageThreads implements it with worker threads; the simulator with simulated nodes.
import type { ControlReplies, ControlRequestOf, ControlType } from './control-messages.ts';
import type { NodeEvent } from '../storage/storage-node.ts';
import type { NodeLiveness } from './failure-detector.ts';

export interface NodeSupervisor {
  readonly count: number;
  isAlive(node: number): boolean;
  control<K extends ControlType>(node: number, request: ControlRequestOf<K>): Promise<ControlReplies[K]>;
  /** Fences the node (it answers and sends nothing more) and fails whatever waits on it. */
  markDead(node: number): void;
  /** Starts a new incarnation of `node` in the same zone, on an empty store in `nodeDir`, of generation `generation`. */
  replace(node: number, nodeDir: string, generation: number): Promise<void>;
  /** What the failure detector reads of the node: its progress, its disk, whether work waits for it. */
  liveness(node: number): NodeLiveness;
  /** News from a node (an install finished, a hand-off is ready, a split applied). */
  onEvent: (node: number, event: NodeEvent) => void;
  /** A node's thread ended without being declared dead or stopped (a crash). */
  onExit: (node: number) => void;
}

/** Thrown by control() when the node was declared dead (or died) before it answered. */
export class NodeFailedError extends Error {
  readonly node: number;
  constructor(node: number) {
    super(`storage node ${node} failed`);
    this.node = node;
  }
}
