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

/** Whether the history of one register, starting from `initial`, is linearizable. */
export function checkRegister(history: HistoryEntry[], initial: string | null, exploredMax = 5_000_000): CheckResult {
  const processes = byProcess(history);
  const n = processes.length;
  const next = new Array<number>(n).fill(0);
  const seen = new Set<string>();
  let explored = 0;

  const search = (state: string | null): boolean => {
    let done = true;
    // The earliest completion among every process's next operation bounds what may go first.
    let horizon = Infinity;
    for (let p = 0; p < n; p++) {
      if (next[p] < processes[p].length) {
        done = false;
        horizon = Math.min(horizon, processes[p][next[p]].completedAt);
      }
    }
    if (done) return true;
    const key = next.join(',') + '|' + (state ?? '\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    if (++explored > exploredMax) throw new Error('linearizability search too large');
    for (let p = 0; p < n; p++) {
      if (next[p] >= processes[p].length) continue;
      const entry = processes[p][next[p]];
      if (entry.completedAt === Infinity) {
        // An unknown outcome may never have happened at all.
        next[p]++;
        if (search(state)) return true;
        next[p]--;
      }
      if (entry.invokedAt > horizon) continue;
      const after = step(state, entry.op);
      if (after === undefined) continue;
      next[p]++;
      if (search(after)) return true;
      next[p]--;
    }
    return false;
  };
  return { linearizable: search(initial), explored };
}
