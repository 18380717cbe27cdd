// A linearizability checker for one register with reads, writes, deletes and compare-and-set,
// in the style of Wing & Gong with memoization (as Knossos and Porcupine do). Used by the fault
// tests to check that consistent reads and conditional writes stayed linearizable through
// storage node kills.
//
// A client whose operation ended with an unknown outcome (a 500 or a timeout) may have applied
// it at any later time, so it must use a fresh process id afterwards: each process's
// operations are then sequential, and an unknown one is always its process's last.

/** A write or compare-and-set of null deletes the register's value (DeleteItem). */
export type RegisterOp =
  | { kind: 'read'; result: string | null }
  | { kind: 'write'; value: string | null }
  | { kind: 'cas'; expected: string | null; value: string | null; result: 'ok' | 'fail' | 'unknown' };

export interface HistoryEntry {
  process: number;
  invokedAt: number;
  /** Infinity when the outcome is unknown. */
  completedAt: number;
  op: RegisterOp;
}

/** Each process's operations, in invocation order. */
function byProcess(history: HistoryEntry[]): HistoryEntry[][] {
  const map = new Map<number, HistoryEntry[]>();
  for (const entry of history) {
    let list = map.get(entry.process);
    if (list === undefined) map.set(entry.process, (list = []));
    list.push(entry);
  }
  for (const list of map.values()) {
    list.sort((a, b) => a.invokedAt - b.invokedAt);
    for (let i = 0; i + 1 < list.length; i++) {
      if (list[i].completedAt === Infinity) throw new Error(`process ${list[i].process} went on after an operation with an unknown outcome`);
      if (list[i + 1].invokedAt < list[i].completedAt) throw new Error(`process ${list[i].process} has overlapping operations`);
    }
  }
  return [...map.values()];
}

/** Applies `op` to `state`; returns the next state, or undefined when the op's result contradicts it. */
function step(state: string | null, op: RegisterOp): string | null | undefined {
  switch (op.kind) {
    case 'read':
      return op.result === state ? state : undefined;
    case 'write':
      return op.value;
    case 'cas':
      if (op.result === 'ok') return state === op.expected ? op.value : undefined;
      if (op.result === 'fail') return state !== op.expected ? state : undefined;
      return state === op.expected ? op.value : state;
  }
}

export interface CheckResult {
  linearizable: boolean;
  /** Search states explored (a measure of how hard the history was). */
  explored: number;
}

/**
 * Whether the history of one register, starting from `initial`, is linearizable.
 *
 * Operations with a known outcome are linearized in some order that respects real time. An
 * operation whose outcome is unknown took effect at most once, at any moment after it was
 * invoked, or never: it is applied only where it changes the register (applied where it changes
 * nothing it is the same as never applied), and never chosen as a branch of its own to "not
 * happen" (left pending to the end, it did not). Unknown operations that would do the same thing
 * are interchangeable: only the earliest invoked still pending of each kind is tried. An unknown blind write
 * is followed by a known operation or by an unknown compare-and-set that expects its value (two
 * blind writes in a row are the second alone). Fewer unknown operations applied can do all that
 * more can: a state reached with a superset of the applied set of one that failed fails too.
 * Without these, a key with tens of unknown outcomes (a workload through many timeouts) made the
 * search explode.
 */
export function checkRegister(history: HistoryEntry[], initial: string | null, exploredMax = 5_000_000): CheckResult {
  const processes = byProcess(history);
  const known = processes.map((list) => list.filter((e) => e.completedAt !== Infinity));
  // Earliest invoked first: of two alike, the earlier can take effect wherever the later can.
  const unknown = processes.flatMap((list) => list.filter((e) => e.completedAt === Infinity)).sort((a, b) => a.invokedAt - b.invokedAt);
  // Interchangeable unknown operations share a class; each is tried only once its earlier ones are applied.
  const classOf = unknown.map((e) => JSON.stringify(e.op));
  const firstOfClass = unknown.map((e, i) => classOf.indexOf(classOf[i]));
  const n = known.length;
  const next = new Array<number>(n).fill(0);
  const applied = new Array<boolean>(unknown.length).fill(false);
  let appliedBits = 0n;
  /** By known progress and state: the applied sets from which the search failed. */
  const failed = new Map<string, bigint[]>();
  let explored = 0;

  /** A search state being expanded: which next steps it has tried, and the one under way. */
  interface Frame {
    state: string | null;
    afterBlindWrite: boolean;
    horizon: number;
    failures: bigint[];
    /** The next known process and unknown operation to try. */
    p: number;
    u: number;
    /** The step under way (undone when what it led to fails): a process, or an unknown operation. */
    stepKnown: number;
    stepUnknown: number;
  }
  // Depth-first with an explicit stack: histories run to thousands of operations per key.
  const stack: Frame[] = [];

  /** Enters a search state: true when every known operation is linearized, else pushes it (unless a dominating state failed). */
  const enter = (state: string | null, afterBlindWrite: boolean): boolean => {
    let done = true;
    // The earliest completion among every process's next known operation bounds what may go first.
    let horizon = Infinity;
    for (let p = 0; p < n; p++) {
      if (next[p] < known[p].length) {
        done = false;
        horizon = Math.min(horizon, known[p][next[p]].completedAt);
      }
    }
    if (done) return true;
    const key = next.join(',') + '|' + (afterBlindWrite ? 'w' : '') + '|' + (state ?? '\u0000');
    let failures = failed.get(key);
    if (failures === undefined) failed.set(key, (failures = []));
    for (const f of failures) if ((f & appliedBits) === f) return false;
    if (++explored > exploredMax) throw new Error('linearizability search too large');
    stack.push({ state, afterBlindWrite, horizon, failures, p: 0, u: 0, stepKnown: -1, stepUnknown: -1 });
    return false;
  };

  const search = (): boolean => {
    if (enter(initial, false)) return true;
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      // What the last step led to failed: undo it.
      if (f.stepKnown >= 0) next[f.stepKnown]--;
      if (f.stepUnknown >= 0) {
        applied[f.stepUnknown] = false;
        appliedBits &= ~(1n << BigInt(f.stepUnknown));
      }
      f.stepKnown = f.stepUnknown = -1;
      let stepped = false;
      // A known operation that may go first...
      while (!stepped && f.p < n) {
        const p = f.p++;
        if (next[p] >= known[p].length) continue;
        const entry = known[p][next[p]];
        if (entry.invokedAt > f.horizon) continue;
        const after = step(f.state, entry.op);
        if (after === undefined) continue;
        next[p]++;
        f.stepKnown = p;
        stepped = true;
        if (enter(after, false)) return true;
      }
      // ...or an unknown one applied.
      while (!stepped && f.u < unknown.length) {
        const u = f.u++;
        if (applied[u] || unknown[u].invokedAt > f.horizon) continue;
        const op = unknown[u].op;
        const blind = op.kind === 'write';
        if (f.afterBlindWrite && (blind || (op.kind === 'cas' && op.expected !== f.state))) continue;
        // Only the first pending operation of its class (the others would repeat this branch).
        let earlierPending = false;
        for (let v = firstOfClass[u]; v < u; v++) if (classOf[v] === classOf[u] && !applied[v]) earlierPending = true;
        if (earlierPending) continue;
        const after = step(f.state, op);
        if (after === undefined || after === f.state) continue;
        applied[u] = true;
        appliedBits |= 1n << BigInt(u);
        f.stepUnknown = u;
        stepped = true;
        if (enter(after, blind)) return true;
      }
      if (stepped) continue;
      f.failures.push(appliedBits);
      stack.pop();
    }
    return false;
  };
  return { linearizable: search(), explored };
}
