// Shared memory between the control plane and the storage nodes: each node's liveness (its
// progress counter, whether it is in a disk call, its batches on the disk), the fence the control
// plane raises when it declares a node dead, and the node's incarnation (a replacement gets a new
// one, so an old thread that outlives its replacement's start is fenced too, finding M4). It also
// carries the fault switches, which only the fault-injection wrappers read (they are installed
// only when faults are enabled). Pure: no native addon, no postMessage; every field is read and
// written with Atomics.

const slotsPerNode = 10;
/** Moves every turn of the node's loop, inside its long steps and after each disk call. */
const PROGRESS = 0;
/** 1 once the control plane has declared the node dead: it must not answer anything more. */
const FENCED = 1;
/** Fault injection asked of the node: one of the FAULT_* values, 0 for none. */
const FAULT = 2;
/** How many times the node's faults were lifted (a hang-in-commit holds reports until this moves). */
const RESUMES = 3;
/** Incremented for every new thread started for the node. */
const INCARNATION = 4;
/** Check intervals the node may stay still on top of the usual bound: it is about to take a step it knows is long. */
const QUIET_BEATS = 5;
/** 1 while the node's thread is inside a call that may block on the disk. */
const IN_DISK_CALL = 6;
/** Batches the node handed to its disk, and those reported durable (both count from 0 per incarnation). */
const COMMITS = 7;
const DURABLE = 8;
/**
 * Control messages posted to the node and not yet taken: a busy node, which yields to its event
 * loop (where they arrive) only every few pumps, yields at once when one waits. A hint only: an
 * old incarnation that outlived its replacement's start may take one more; never trusted below 0.
 */
const CONTROLS_WAITING = 9;

// Values of the FAULT slot. The hangs block the node in Atomics.wait until set back to 0.
const FAULT_HANG = 1;
const FAULT_HANG_IN_COMMIT = 2;
const FAULT_CRASH = 3;

/** What the failure detector reads of a node (see failure-detector.ts NodeLiveness). */
export interface BoardLiveness {
  progress: number;
  quietBeats: number;
  inDiskCall: boolean;
  batchesOnDisk: number;
  durable: number;
}

export class HealthBoard {
  readonly sab: SharedArrayBuffer;
  readonly nodes: number;
  private readonly cells: Int32Array;
  /** Replication faults by (from, to): 0 none, -1 drop, > 0 delay in ms. */
  private readonly replFaults: Int32Array;

  static create(nodes: number): HealthBoard {
    return new HealthBoard(new SharedArrayBuffer(4 * (1 + nodes * slotsPerNode + nodes * nodes)));
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    const all = new Int32Array(sab);
    this.nodes = solveNodes(all.length);
    this.cells = all.subarray(1, 1 + this.nodes * slotsPerNode);
    this.replFaults = all.subarray(1 + this.nodes * slotsPerNode);
  }

  /** Called by a node as it goes on; `quietBeats`: check intervals it may stay still now, for a long step it is about to take (0: none). */
  progress(node: number, quietBeats = 0): void {
    Atomics.store(this.cells, node * slotsPerNode + QUIET_BEATS, quietBeats);
    Atomics.add(this.cells, node * slotsPerNode + PROGRESS, 1);
  }

  /** Called by a node before a call that may block on its disk. */
  enterDiskCall(node: number): void {
    Atomics.store(this.cells, node * slotsPerNode + IN_DISK_CALL, 1);
  }

  /** Called by a node once such a call returned (it went on: that is progress too). */
  leaveDiskCall(node: number): void {
    Atomics.store(this.cells, node * slotsPerNode + IN_DISK_CALL, 0);
    Atomics.add(this.cells, node * slotsPerNode + PROGRESS, 1);
  }

  /** Called by a node when it hands a batch to its disk, and when the disk reports one durable. */
  committed(node: number): void {
    Atomics.add(this.cells, node * slotsPerNode + COMMITS, 1);
  }

  durable(node: number): void {
    Atomics.add(this.cells, node * slotsPerNode + DURABLE, 1);
  }

  liveness(node: number): BoardLiveness {
    const base = node * slotsPerNode;
    // Durable first: a batch counted durable was counted committed before. (An old incarnation's
    // thread that outlived its replacement's start may still count one: never below 0.)
    const durable = Atomics.load(this.cells, base + DURABLE);
    return {
      progress: Atomics.load(this.cells, base + PROGRESS),
      quietBeats: Atomics.load(this.cells, base + QUIET_BEATS),
      inDiskCall: Atomics.load(this.cells, base + IN_DISK_CALL) === 1,
      batchesOnDisk: Math.max(0, Atomics.load(this.cells, base + COMMITS) - durable),
      durable,
    };
  }

  /** The control plane posted a control message to the node... */
  controlPosted(node: number): void {
    Atomics.add(this.cells, node * slotsPerNode + CONTROLS_WAITING, 1);
  }

  /** ...and the node took it. */
  controlTaken(node: number): void {
    Atomics.sub(this.cells, node * slotsPerNode + CONTROLS_WAITING, 1);
  }

  /** Whether a control message waits for the node to turn to its event loop. */
  controlWaiting(node: number): boolean {
    return Atomics.load(this.cells, node * slotsPerNode + CONTROLS_WAITING) > 0;
  }

  fence(node: number): void {
    Atomics.store(this.cells, node * slotsPerNode + FENCED, 1);
  }

  incarnation(node: number): number {
    return Atomics.load(this.cells, node * slotsPerNode + INCARNATION);
  }

  /** A replacement node starts unfenced, in a new incarnation, with its liveness counting from zero. Returns the incarnation. */
  startIncarnation(node: number): number {
    const incarnation = Atomics.add(this.cells, node * slotsPerNode + INCARNATION, 1) + 1;
    Atomics.store(this.cells, node * slotsPerNode + FENCED, 0);
    for (const slot of [PROGRESS, QUIET_BEATS, IN_DISK_CALL, COMMITS, DURABLE, CONTROLS_WAITING]) Atomics.store(this.cells, node * slotsPerNode + slot, 0);
    this.resume(node);
    for (let peer = 0; peer < this.nodes; peer++) {
      Atomics.store(this.replFaults, node * this.nodes + peer, 0);
      Atomics.store(this.replFaults, peer * this.nodes + node, 0);
    }
    return incarnation;
  }

  /** Whether incarnation `incarnation` of the node must stop: declared dead, or replaced. */
  isFenced(node: number, incarnation: number): boolean {
    return Atomics.load(this.cells, node * slotsPerNode + FENCED) === 1 || Atomics.load(this.cells, node * slotsPerNode + INCARNATION) !== incarnation;
  }

  /** Whether the current incarnation of the node is fenced (what others ask about a peer). */
  isDeclaredDead(node: number): boolean {
    return Atomics.load(this.cells, node * slotsPerNode + FENCED) === 1;
  }

  // ---- fault switches (read only by the fault-injection wrappers) ------------------------

  /** `inCommit`: the node hangs inside its next synced commit (a disk that stops answering) rather than in its loop. */
  requestHang(node: number, inCommit = false): void {
    Atomics.store(this.cells, node * slotsPerNode + FAULT, inCommit ? FAULT_HANG_IN_COMMIT : FAULT_HANG);
  }

  resume(node: number): void {
    Atomics.store(this.cells, node * slotsPerNode + FAULT, 0);
    Atomics.add(this.cells, node * slotsPerNode + RESUMES, 1);
    Atomics.notify(this.cells, node * slotsPerNode + FAULT);
  }

  /** Fault injection: the node throws out of its loop at its next turn (a crash). */
  requestCrash(node: number): void {
    Atomics.store(this.cells, node * slotsPerNode + FAULT, FAULT_CRASH);
  }

  crashRequested(node: number): boolean {
    return Atomics.load(this.cells, node * slotsPerNode + FAULT) === FAULT_CRASH;
  }

  hangRequested(node: number): boolean {
    return Atomics.load(this.cells, node * slotsPerNode + FAULT) === FAULT_HANG;
  }

  resumes(node: number): number {
    return Atomics.load(this.cells, node * slotsPerNode + RESUMES);
  }

  commitHangRequested(node: number): boolean {
    return Atomics.load(this.cells, node * slotsPerNode + FAULT) === FAULT_HANG_IN_COMMIT;
  }

  /** Called by a node: blocks the whole thread (no progress, no event loop) while a hang is asked. */
  hangWhileRequested(node: number): void {
    for (;;) {
      const fault = Atomics.load(this.cells, node * slotsPerNode + FAULT);
      if (fault !== FAULT_HANG && fault !== FAULT_HANG_IN_COMMIT) return;
      Atomics.wait(this.cells, node * slotsPerNode + FAULT, fault, 1000);
    }
  }

  setReplFault(from: number, to: number, fault: number): void {
    Atomics.store(this.replFaults, from * this.nodes + to, fault);
  }

  replFault(from: number, to: number): number {
    return Atomics.load(this.replFaults, from * this.nodes + to);
  }
}

function solveNodes(length: number): number {
  // length = 1 + n*slotsPerNode + n*n
  for (let n = 1; n < 1024; n++) if (1 + n * slotsPerNode + n * n === length) return n;
  throw new Error(`health board of ${length} cells does not match any node count`);
}
