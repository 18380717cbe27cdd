// Which storage nodes are hung: the failure detector's decision, pure (no clock, no threads), so
// the control plane, the simulator and the tests give it the same inputs. Slow is not dead: a
// node is hung when work waits for it and it makes no progress, not when it is late with a
// heartbeat. A thread starved of CPU still turns its loop now and then; one blocked on a slow
// disk says so; a hung one does neither. (A thread that ends is failed over at once, elsewhere:
// NodeSupervisor.onExit.)

/** What a node shows of itself at one check (NodeSupervisor.liveness). */
export interface NodeLiveness {
  /** Moves every turn of the node's loop and inside its long steps: it is running. */
  progress: number;
  /** Check intervals the node may stay still beyond the usual bounds (thread and disk): a long step it announced. */
  quietBeats: number;
  /** Its thread is inside a call that may block on the disk (a read, a batch's writes). */
  inDiskCall: boolean;
  /** Batches handed to the disk and not yet reported durable. */
  batchesOnDisk: number;
  /** Batches reported durable since the node started. */
  durable: number;
  /** Work waits for it: requests or replication frames it has not read, requests or control messages it has not answered. */
  workWaiting: boolean;
}

export interface FailureDetectorOptions {
  /** How often check() runs: a check later than twice this was held up on the main thread. */
  checkIntervalMs: number;
  /** Work waited this long on a node that made no progress and was not in a disk call: it is hung. */
  hungNodeMs: number;
  /**
   * The long bound. A node whose disk made no progress for this long (a call into it that never
   * returns, batches of which none becomes durable) is hung; and a hung node is given this long
   * when failing it over sooner would leave a partition with fewer than two sound replicas.
   */
  diskStallMaxMs: number;
  replicationFactor: number;
}

export interface Verdict {
  node: number;
  reason: string;
}

export interface NodeStillness {
  /** How long work has waited on the node without progress (0 while it progresses). */
  stillMs: number;
  /** How long its disk has made no progress while it waited on it. */
  diskStillMs: number;
  /** The longest of each seen since the detector started (observability: the margin left). */
  stillMsMax: number;
  diskStillMsMax: number;
}

interface Track extends NodeStillness {
  /** Whether progress and durable hold values read from this incarnation (false: start afresh). */
  known: boolean;
  progress: number;
  durable: number;
  /** A hang held back this episode was already reported. */
  heldReported: boolean;
}

export interface CheckResult {
  /** Nodes to fail over now, and why. */
  failed: Verdict[];
  /** Hung nodes held back to keep a partition's replicas (each reported once per episode). */
  held: Verdict[];
}

export class FailureDetector {
  private readonly options: FailureDetectorOptions;
  private readonly tracks: Track[] = [];
  private lastCheckAt: number | null = null;

  constructor(options: FailureDetectorOptions) {
    this.options = options;
  }

  /**
   * One check. `nodes[i]` is node i's liveness, or null when it is not live (declared dead, or
   * being failed over): such a node is not judged and does not count as a sound replica.
   * `partitions` lists every partition's whole copies (its replicas less the followers known to
   * lag behind its commit index: failing over the others could lose what only they hold); it is
   * read only when some node is hung.
   */
  check(now: number, nodes: ReadonlyArray<NodeLiveness | null>, partitions: () => Iterable<readonly number[]>): CheckResult {
    const o = this.options;
    // A check that ran late says the main thread was held up (GC, a busy machine), not that the
    // nodes were: its gap counts as one interval, never more.
    const gap = this.lastCheckAt === null ? 0 : Math.max(0, now - this.lastCheckAt);
    const credit = gap > 2 * o.checkIntervalMs ? o.checkIntervalMs : gap;
    this.lastCheckAt = now;
    const hung: Array<{ node: number; what: string }> = [];
    for (let node = 0; node < nodes.length; node++) {
      const t = (this.tracks[node] ??= { known: false, progress: 0, durable: 0, stillMs: 0, diskStillMs: 0, stillMsMax: 0, diskStillMsMax: 0, heldReported: false });
      const s = nodes[node];
      if (s === null) {
        this.restart(t);
        continue;
      }
      if (!t.known) {
        t.known = true;
        t.progress = s.progress;
        t.durable = s.durable;
        continue;
      }
      const moved = s.progress !== t.progress;
      const diskMoved = s.durable !== t.durable;
      t.progress = s.progress;
      t.durable = s.durable;
      // The thread: work waits, it does not move, and it is not blocked in the disk.
      t.stillMs = s.workWaiting && !moved && !s.inDiskCall ? t.stillMs + credit : 0;
      // The disk: a call into it that does not return, or batches on it of which none became durable.
      t.diskStillMs = (s.inDiskCall && !moved) || (s.batchesOnDisk > 0 && !diskMoved) ? t.diskStillMs + credit : 0;
      t.stillMsMax = Math.max(t.stillMsMax, t.stillMs);
      t.diskStillMsMax = Math.max(t.diskStillMsMax, t.diskStillMs);
      if (t.stillMs === 0 && t.diskStillMs === 0) t.heldReported = false;
      // A long step the node announced (a message or a batch of tens of megabytes) extends both bounds.
      const quietMs = s.quietBeats * o.checkIntervalMs;
      const threadHung = t.stillMs >= o.hungNodeMs + quietMs;
      if (threadHung || t.diskStillMs >= o.diskStallMaxMs + quietMs) hung.push({ node, what: threadHung ? `made no progress for ${Math.round(t.stillMs)} ms with work waiting` : `its disk made no progress for ${Math.round(t.diskStillMs)} ms` });
    }
    const result: CheckResult = { failed: [], held: [] };
    if (hung.length === 0) return result;
    const sound = (node: number): boolean => nodes[node] != null && !result.failed.some((v) => v.node === node);
    for (const { node, what } of hung) {
      const t = this.tracks[node];
      const stillMs = Math.max(t.stillMs, t.diskStillMs);
      const risk = this.failoverRisk(node, partitions(), sound);
      // The last sound copy of a partition is never failed over for silence: that is more likely
      // this process starving its threads than a third failure. Two replicas of one partition are
      // not failed over together for being slow: a partition left short waits the long bound.
      if (risk === 'last' || (risk === 'short' && stillMs < o.diskStallMaxMs)) {
        if (!t.heldReported) {
          t.heldReported = true;
          const why = risk === 'last' ? 'it holds the last sound replica of a partition' : `a partition it holds is short of sound replicas (it is given ${o.diskStallMaxMs} ms)`;
          result.held.push({ node, reason: `${what}; not failed over: ${why}` });
        }
        continue;
      }
      result.failed.push({ node, reason: risk === 'short' ? `${what} (a partition it holds is short of replicas)` : what });
    }
    return result;
  }

  /**
   * What failing `node` over would do to the partitions it holds: leave one without a sound
   * replica ('last'), leave one with fewer than replicationFactor − 1 ('short'), or neither.
   */
  private failoverRisk(node: number, partitions: Iterable<readonly number[]>, sound: (node: number) => boolean): 'last' | 'short' | 'none' {
    let risk: 'short' | 'none' = 'none';
    for (const replicas of partitions) {
      if (!replicas.includes(node)) continue;
      let others = 0;
      let soundOthers = 0;
      for (const r of replicas) {
        if (r === node) continue;
        others++;
        if (sound(r)) soundOthers++;
      }
      if (soundOthers === 0) return 'last';
      if (soundOthers < others || replicas.length < this.options.replicationFactor) risk = 'short';
    }
    return risk;
  }

  /** A node failed over or replaced: its clocks start afresh with its next incarnation. */
  forget(node: number): void {
    const t = this.tracks[node];
    if (t !== undefined) this.restart(t);
  }

  stillness(node: number): NodeStillness {
    const t = this.tracks[node];
    return t === undefined ? { stillMs: 0, diskStillMs: 0, stillMsMax: 0, diskStillMsMax: 0 } : { stillMs: t.stillMs, diskStillMs: t.diskStillMs, stillMsMax: t.stillMsMax, diskStillMsMax: t.diskStillMsMax };
  }

  private restart(t: Track): void {
    t.known = false;
    t.stillMs = 0;
    t.diskStillMs = 0;
    t.heldReported = false;
  }
}
