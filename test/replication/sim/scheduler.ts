// The simulation's one clock and event queue: events run in (time, sequence) order, so a run is
// replayed exactly from its seed. Between events, pending promise callbacks run (the code under
// test is async), and nothing else may: the simulated code uses this clock, never real timers.

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  now = 0;
  private seq = 0;
  private readonly heap: Event[] = [];
  /** Events run so far (a bound on runaway simulations). */
  steps = 0;

  at(time: number, run: () => void): void {
    this.push({ at: Math.max(time, this.now), seq: this.seq++, run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.now + delayMs, run);
  }

  /** A timer the code under test can cancel. */
  timeout(delayMs: number, run: () => void): { cancelled: boolean } {
    const handle = { cancelled: false };
    this.after(delayMs, () => {
      if (!handle.cancelled) run();
    });
    return handle;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs events until `until` (virtual ms) or the queue is empty, or `stop()` says so. */
  async run(until: number, stop: () => boolean = () => false): Promise<void> {
    while (this.heap.length > 0 && this.heap[0].at <= until && !stop()) {
      const event = this.pop();
      this.now = event.at;
      this.steps++;
      event.run();
      await settle();
    }
    if (this.now < until && !stop()) this.now = until;
  }

  private push(e: Event): void {
    const heap = this.heap;
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Event {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every promise callback that is ready run (one macrotask turn; no timers are involved). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
