// Fault injection for tests and demos (POST /_monodyne/faults), as wrappers around a storage
// node's transport and store and a hook in its loop. They are installed only when
// faults.enabled is on: the production paths carry no fault checks.
import type { HealthBoard } from '../control/health-board.ts';
import { ReplFrameType } from '../replication/frames.ts';
import type { NodeStore } from './node-store.ts';
import type { NodeTransport } from './node-transport.ts';

/** Replication faults (drop, delay) on what a node sends toward one peer; acks pass untouched. */
export class FaultyTransport implements NodeTransport {
  private readonly inner: NodeTransport;
  private readonly board: HealthBoard;
  private readonly self: number;

  constructor(inner: NodeTransport, board: HealthBoard, self: number) {
    this.inner = inner;
    this.board = board;
    this.self = self;
  }

  get peers(): readonly number[] {
    return this.inner.peers;
  }

  readRequest(): Uint8Array | null {
    return this.inner.readRequest();
  }

  readPeer(peer: number): Uint8Array | null {
    return this.inner.readPeer(peer);
  }

  respond(bytes: Uint8Array): void {
    this.inner.respond(bytes);
  }

  sendPeer(to: number, bytes: Uint8Array, kind?: number): void {
    // A leader's traffic to a replica (entries, snapshots) is what the faults cut or slow.
    const fault = kind === ReplFrameType.Entries || kind === ReplFrameType.SnapshotChunk ? this.board.replFault(this.self, to) : 0;
    if (fault === 0) this.inner.sendPeer(to, bytes, kind);
    else if (fault > 0) {
      // Late, still in order; flushed here, since no pump may follow soon to ring the peer.
      setTimeout(() => {
        this.inner.sendPeer(to, bytes, kind);
        this.inner.flush();
      }, fault);
    }
    // fault < 0: dropped.
  }

  peerBacklog(to: number): number {
    return this.inner.peerBacklog(to);
  }

  flush(): boolean {
    return this.inner.flush();
  }

  hasInput(): boolean {
    return this.inner.hasInput();
  }

  hasBacklog(): boolean {
    return this.inner.hasBacklog();
  }
}

/**
 * A disk that stops answering ("hang-in-commit"): batches committed meanwhile are written but
 * not reported durable until the fault is lifted, and then in the order they were committed.
 * A report is held by the hang it was committed under: a new hang asked right after a resume
 * does not hold what the resume released.
 */
export function faultyStore(inner: NodeStore, board: HealthBoard, self: number): NodeStore {
  const commit = inner.commit.bind(inner);
  const held: Array<{ hang: number; onDurable: () => void }> = [];
  const release = (): void => {
    const resumes = board.resumes(self);
    const hanging = board.commitHangRequested(self);
    while (held.length > 0 && (!hanging || held[0].hang < resumes)) held.shift()!.onDurable();
    if (held.length > 0) setTimeout(release, 10);
  };
  inner.commit = (onDurable) => {
    // -1: not committed under a hang (it waits only behind reports already held).
    const hang = board.commitHangRequested(self) ? board.resumes(self) : -1;
    commit(() => {
      if (hang < 0 && held.length === 0) return onDurable();
      if (held.push({ hang, onDurable }) === 1) release();
    });
  };
  return inner;
}

/** Before each pump: a hung node blocks its whole thread (it makes no progress at all); a crash throws out of its loop. */
export function loopFaults(board: HealthBoard, self: number): () => void {
  return () => {
    if (board.hangRequested(self)) board.hangWhileRequested(self);
    if (board.crashRequested(self)) throw new Error(`storage node ${self} crashed (fault injection)`);
  };
}

/**
 * A kill during recovery, made certain (the process-kill test; MONODYNE_RECOVERY_PAUSE with
 * faults on): the node stops its thread for good once it has replayed `records` log records, or
 * at the end of its replay if it has fewer, after saying so. Recovery takes milliseconds, so a
 * kill timed from outside mostly lands before or after it.
 */
export class RecoveryPause {
  private readonly records: number;
  private readonly say: (line: string) => void;
  private replayed = 0;
  private paused = false;

  constructor(records: number, say: (line: string) => void) {
    this.records = records;
    this.say = say;
  }

  afterRecord(replayed: number): void {
    this.replayed = replayed;
    if (replayed >= this.records) this.pause();
  }

  /** The replay is over: a node that had fewer records than asked pauses here, before it reports recovery done. */
  atEnd(): void {
    if (!this.paused) this.pause();
  }

  private pause(): void {
    this.paused = true;
    this.say(`recovery paused after ${this.replayed} records (fault injection), until the process is killed`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
}
