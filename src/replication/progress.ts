// A leader's view of one follower (or learner): how far its log is known to match the leader's
// (durably, on the follower), what to send it next, and how it is being brought up to date.
// Probe: one frame at a time until the follower says where its log matches. Replicate: entries
// stream as they are appended. Snapshot: the follower is rebuilt from a snapshot.

export const ProgressState = { Probe: 0, Replicate: 1, Snapshot: 2 } as const;
export type ProgressStateCode = (typeof ProgressState)[keyof typeof ProgressState];

export class Progress {
  readonly node: number;
  state: ProgressStateCode = ProgressState.Probe;
  /** Highest index durably on the follower and known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** The follower's applied index, as it last reported it. */
  applied = 0;
  /** Highest committed index the follower has been told. */
  commitSent = -1;
  /** Ticks since the follower last answered: a probe or a stream that went silent is resent. */
  silentTicks = 0;
  /** Probe: a frame is out and not yet answered. */
  probeOut = false;
  /** Snapshot: the log index the snapshot being sent reflects (entries after it must be kept), and its stream id. */
  snapshotIndex = -1;
  snapshotSid = -1;

  constructor(node: number, next: number) {
    this.node = node;
    this.next = next;
  }

  becomeProbe(next: number): void {
    this.state = ProgressState.Probe;
    this.next = Math.max(next, this.match + 1);
    this.probeOut = false;
    this.snapshotIndex = -1;
    this.snapshotSid = -1;
  }

  becomeReplicate(): void {
    this.state = ProgressState.Replicate;
    this.next = Math.max(this.next, this.match + 1);
    this.probeOut = false;
    this.snapshotIndex = -1;
    this.snapshotSid = -1;
  }

  becomeSnapshot(index: number, sid: number): void {
    this.state = ProgressState.Snapshot;
    // The follower wipes its copy: nothing it held counts any more.
    this.match = 0;
    this.snapshotIndex = index;
    this.snapshotSid = sid;
    this.probeOut = false;
  }
}
