// The front door's bounds on what all clients together may hold (open connections, request body
// bytes in memory) are the server's, not a thread's: every front-door thread counts in the same
// shared memory.
const connectionsAt = 0;
const lockAt = 1;
/** Int32 slots: connections, the body-bytes lock; then one Float64 (body bytes can pass 2^31). */
const int32Slots = 2;

export class DoorCounters {
  readonly sab: SharedArrayBuffer;
  private readonly ints: Int32Array;
  private readonly bodyBytes: Float64Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.sab = sab;
    this.ints = new Int32Array(sab, 0, int32Slots);
    this.bodyBytes = new Float64Array(sab, 8, 1);
  }

  /** Adds `change` (negative when connections close) and returns the open connections of every thread. */
  addConnections(change: number): number {
    return Atomics.add(this.ints, connectionsAt, change) + change;
  }

  get connections(): number {
    return Atomics.load(this.ints, connectionsAt);
  }

  /** Counts `bytes` of request bodies in memory if they fit under `max` across every thread; false when they do not. */
  tryAddBodyBytes(bytes: number, max: number): boolean {
    this.lock();
    const fits = this.bodyBytes[0] + bytes <= max;
    if (fits) this.bodyBytes[0] += bytes;
    this.unlock();
    return fits;
  }

  subtractBodyBytes(bytes: number): void {
    if (bytes === 0) return;
    this.lock();
    this.bodyBytes[0] -= bytes;
    const left = this.bodyBytes[0];
    this.unlock();
    if (left < 0) throw new Error(`front door: body bytes in memory went below zero (${left})`);
  }

  private lock(): void {
    // Held for two float operations: spinning is cheaper than sleeping.
    while (Atomics.compareExchange(this.ints, lockAt, 0, 1) !== 0);
  }

  private unlock(): void {
    if (Atomics.exchange(this.ints, lockAt, 0) !== 1) throw new Error('front door: body-bytes lock released while not held');
  }
}
