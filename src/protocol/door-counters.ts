// The front door's bounds on what all clients together may hold (open connections, request body
// bytes in memory) are the server's, not a thread's: every front-door thread counts in the same
// shared memory.
const connectionsAt = 0;
/** Int32 slots: connections, then (from byte 8) the body bytes as one BigInt64 (they can pass 2^31). */
const int32Slots = 1;
const bodyBytesByte = 8;

export class DoorCounters {
  readonly sab: SharedArrayBuffer;
  private readonly ints: Int32Array;
  private readonly bodyBytes: BigInt64Array;
  /** The last bound asked for, as a BigInt (it is the same on every call). */
  private bound = 0n;
  private boundOf = 0;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.sab = sab;
    this.ints = new Int32Array(sab, 0, int32Slots);
    this.bodyBytes = new BigInt64Array(sab, bodyBytesByte, 1);
  }

  /** Adds `change` (negative when connections close) and returns the open connections of every thread. */
  addConnections(change: number): number {
    return Atomics.add(this.ints, connectionsAt, change) + change;
  }

  get connections(): number {
    return Atomics.load(this.ints, connectionsAt);
  }

  /**
   * Counts `bytes` of request bodies in memory if they fit under `max` across every thread; false
   * when they do not. A compare-and-swap, not a lock: a thread preempted or paused by its garbage
   * collector while holding a lock left every other front door spinning for as long.
   */
  tryAddBodyBytes(bytes: number, max: number): boolean {
    const add = BigInt(bytes);
    if (max !== this.boundOf) {
      this.bound = BigInt(max);
      this.boundOf = max;
    }
    const bound = this.bound;
    for (;;) {
      const held = Atomics.load(this.bodyBytes, 0);
      const after = held + add;
      if (after > bound) return false;
      if (Atomics.compareExchange(this.bodyBytes, 0, held, after) === held) return true;
    }
  }

  subtractBodyBytes(bytes: number): void {
    if (bytes === 0) return;
    const take = BigInt(bytes);
    const left = Atomics.sub(this.bodyBytes, 0, take) - take;
    if (left < 0n) throw new Error(`front door: body bytes in memory went below zero (${left})`);
  }
}
