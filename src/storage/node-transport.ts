// How a storage node meets its peers and its router: rings in a worker thread, simulated
// queues in the simulator, either one wrapped by fault injection when faults are enabled.
/** Where the node's frames go and come from: the rings in a worker, queues in the simulator. */
export interface NodeTransport {
  readRequest(): Uint8Array | null;
  readonly peers: readonly number[];
  readPeer(peer: number): Uint8Array | null;
  respond(bytes: Uint8Array): void;
  /** `kind` is the replication frame's type (fault injection acts on entries and snapshots only). */
  sendPeer(to: number, bytes: Uint8Array, kind?: number): void;
  /** Frames waiting for room toward `to` (snapshot chunks wait for an empty queue). */
  peerBacklog(to: number): number;
  /** Moves queued frames into the rings; returns whether any moved. */
  flush(): boolean;
  hasInput(): boolean;
  hasBacklog(): boolean;
}
