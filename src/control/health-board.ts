// Shared memory between the control plane and the storage nodes: each node's heartbeat counter,
// the fence the control plane raises when it declares a
// node dead, and the node's incarnation (a replacement gets a new one, so an old thread that
// outlives its replacement's start is fenced too, finding M4). It also carries the fault
// switches, which only the fault-injection wrappers read (they are installed only when faults
// are enabled). Pure: no native addon, no postMessage; every field is read and written with Atomics.

const slotsPerNode = 6;
const HEARTBEAT = 0;
/** 1 once the control plane has declared the node dead: it must not answer anything more. */
const FENCED = 1;
/** Fault injection asked of the node: one of the FAULT_* values, 0 for none. */
const FAULT = 2;
/** How many times the node's faults were lifted (a hang-in-commit holds reports until this moves). */
const RESUMES = 3;
/** Incremented for every new thread started for the node. */
const INCARNATION = 4;
/** Beats the node may miss on top of the usual bound: it beat just before a step it knows is long. */
const QUIET_BEATS = 5;

// Values of the FAULT slot. The hangs block the node in Atomics.wait until set back to 0.
const FAULT_HANG = 1;
const FAULT_HANG_IN_COMMIT = 2;
const FAULT_CRASH = 3;

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

  /** `quietBeats`: beats the node may miss now, for a long step it is about to take (0: none). */
  beat(node: number, quietBeats = 0): void {
    Atomics.store(this.cells, node * slotsPerNode + QUIET_BEATS, quietBeats);
    Atomics.add(this.cells, node * slotsPerNode + HEARTBEAT, 1);
  }

  quietBeats(node: number): number {
    return Atomics.load(this.cells, node * slotsPerNode + QUIET_BEATS);
  }

  heartbeat(node: number): number {
    return Atomics.load(this.cells, node * slotsPerNode + HEARTBEAT);
  }

  fence(node: number): void {
    Atomics.store(this.cells, node * slotsPerNode + FENCED, 1);
  }

  incarnation(node: number): number {
    return Atomics.load(this.cells, node * slotsPerNode + INCARNATION);
  }

  /** A replacement node starts unfenced, in a new incarnation, with its heartbeat counting from zero. Returns the incarnation. */
  startIncarnation(node: number): number {
    const incarnation = Atomics.add(this.cells, node * slotsPerNode + INCARNATION, 1) + 1;
    Atomics.store(this.cells, node * slotsPerNode + FENCED, 0);
    Atomics.store(this.cells, node * slotsPerNode + HEARTBEAT, 0);
    Atomics.store(this.cells, node * slotsPerNode + QUIET_BEATS, 0);
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

  /** Called by a node: blocks the whole thread (no heartbeats, no event loop) while a hang is asked. */
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
