// A bounded top-k counter (Space-Saving, Metwally et al. 2005) over a binary min-heap: the
// `capacity` most frequent keys of a stream in fixed memory, O(log capacity) per add and no
// allocation once full. A key whose true count exceeds total/capacity is always present; each
// count may overestimate by at most its `error` (the count of the key it displaced).
// Counts decay exponentially with a half-life, so the top keys are those of recent traffic.

export interface TopKEntry {
  key: string;
  count: number;
  /** Upper bound of the overestimate in `count`. */
  error: number;
}

export class TopKSketch {
  readonly capacity: number;
  private readonly halfLifeMs: number;
  /** Per slot (a slot keeps its key until the key is displaced): key, count, error, heap position. */
  private readonly slotKeys: string[];
  private readonly counts: Float64Array;
  private readonly errors: Float64Array;
  private readonly heapPositions: Int32Array;
  /** Slots in min-heap order of their counts: counts[heap[i]] <= counts[heap[2i+1]], counts[heap[2i+2]]. */
  private readonly heap: Int32Array;
  /** key → its slot; only a displacement changes it, so moving within the heap touches no Map. */
  private readonly slots = new Map<string, number>();
  private size = 0;
  private decayedAtMs: number;
  /** Adds since the clock was last read: decay is checked every `addsPerClockRead` adds. */
  private addsSinceClockRead = 0;

  /** `nowMs` and every later time are Date.now() readings (adds read that clock themselves). */
  constructor(capacity: number, halfLifeMs: number, nowMs: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.halfLifeMs = halfLifeMs;
    this.slotKeys = new Array<string>(capacity).fill('');
    this.counts = new Float64Array(capacity);
    this.errors = new Float64Array(capacity);
    this.heapPositions = new Int32Array(capacity);
    this.heap = new Int32Array(capacity);
    this.decayedAtMs = nowMs;
  }

  /** Counts one occurrence of `key` (or `weight` of them). */
  add(key: string, weight = 1): void {
    if (++this.addsSinceClockRead >= addsPerClockRead) {
      this.addsSinceClockRead = 0;
      this.decay(Date.now());
    }
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      this.counts[slot] += weight;
      this.siftDown(this.heapPositions[slot]);
      return;
    }
    if (this.size < this.capacity) {
      const fresh = this.size++;
      this.slotKeys[fresh] = key;
      this.counts[fresh] = weight;
      this.errors[fresh] = 0;
      this.slots.set(key, fresh);
      this.heap[fresh] = fresh;
      this.heapPositions[fresh] = fresh;
      this.siftUp(fresh);
      return;
    }
    // Full: the new key takes the slot of the least counted one, inheriting its count as error.
    const least = this.heap[0];
    const min = this.counts[least];
    this.slots.delete(this.slotKeys[least]);
    this.slotKeys[least] = key;
    this.counts[least] = min + weight;
    this.errors[least] = min;
    this.slots.set(key, least);
    this.siftDown(0);
  }

  /** The `n` most counted keys, most first (decayed to `nowMs`). */
  top(n: number, nowMs: number): TopKEntry[] {
    this.decay(nowMs);
    const out: TopKEntry[] = [];
    for (let slot = 0; slot < this.size; slot++) out.push({ key: this.slotKeys[slot], count: this.counts[slot], error: this.errors[slot] });
    out.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.slice(0, n);
  }

  get entries(): number {
    return this.size;
  }

  /** Multiplies every count by 2^(-elapsed/halfLife); a monotone change, so the heap stays ordered. */
  private decay(nowMs: number): void {
    const elapsed = nowMs - this.decayedAtMs;
    if (elapsed <= 0 || this.halfLifeMs <= 0) return;
    const factor = Math.pow(0.5, elapsed / this.halfLifeMs);
    this.decayedAtMs = nowMs;
    for (let slot = 0; slot < this.size; slot++) {
      this.counts[slot] *= factor;
      this.errors[slot] *= factor;
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const counts = this.counts;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (counts[heap[parent]] <= counts[heap[i]]) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const counts = this.counts;
    const size = this.size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) return;
      const right = left + 1;
      const child = right < size && counts[heap[right]] < counts[heap[left]] ? right : left;
      if (counts[heap[i]] <= counts[heap[child]]) return;
      this.swap(i, child);
      i = child;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const slotA = heap[a];
    const slotB = heap[b];
    heap[a] = slotB;
    heap[b] = slotA;
    this.heapPositions[slotB] = a;
    this.heapPositions[slotA] = b;
  }
}

/** Reading the clock costs more than an add: once per this many adds is often enough for decay. */
const addsPerClockRead = 256;
