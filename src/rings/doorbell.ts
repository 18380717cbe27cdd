// A consumer thread's doorbell: producers ring it after writing to any ring that thread reads,
// and it costs them a syscall only when the consumer is actually asleep.
//
// SAB layout (Int32 slots, each on its own 64-byte cache line):
//   slot 0  = sleeping flag: 1 while the consumer is between prepareSleep() and waking up
//   slot 16 = wake sequence: bumped by the producer that wakes the consumer; the futex word
//
// No-lost-wake-up protocol. Every Atomics operation is sequentially consistent, so all of
// them fall into one total order ("<" below).
//   consumer: prepareSleep()  L: seen = load(sequence), then S: store(sleeping, 1)
//             re-check its condition (a ring has frames / the ring has room) by reading the
//             shared counters with Atomics.load; if satisfied, cancelSleep() and go on
//             waitSync/waitAsync: sleep on `sequence` only while it still equals `seen`
//   producer: W: publish (Atomics.store of a ring counter), then ring():
//             R: if load(sleeping) is 1 and exchange(sleeping, 0) returned 1:
//                I: add(sequence, 1), then notify(sequence)
// Claim: a wait after S is woken by the ring() of every W its re-check missed.
//   If an exchange took S's flag, its I comes after S, hence after L, so `sequence` no longer
//   equals `seen`: the wait returns at once, or (Atomics.wait compares and enqueues atomically
//   with respect to notify) the notify after I wakes it. Otherwise the flag stays 1 from S
//   until the consumer itself clears it on waking. Take a W the re-check missed: the re-check
//   came after S and did not see W, so S < W < R; R therefore reads 1 and its exchange, unless
//   another exchange took the flag first (which wakes the wait, as shown), returns 1 and wakes.
// L must precede S. With S first, a ring between S and L takes the flag and is folded into
// `seen`; a consumer whose re-check still finds too little (a producer waiting for room for a
// large frame) then sleeps with no flag set and no later ring() notifies it. The stress test
// caught exactly that.
// One sleep is woken by one notify however many producers ring; a busy consumer (flag 0)
// costs producers one plain load per ring().
//
// Exactly one thread, the consumer, calls prepareSleep/cancelSleep/wait*; any number of
// producer threads call ring(), each through its own Doorbell over the same SAB.
// A pending waitAsync does not keep Node 20's event loop alive (nodejs/node#61941): the main
// thread has its listening socket; a worker that waits with waitAsync needs a ref'd handle.

const SLOT_SLEEPING = 0;
const SLOT_SEQUENCE = 16;
const DOORBELL_BYTES = 128;

const resolvedWait: Promise<void> = Promise.resolve();

// Atomics.waitAsync is in V8 (so Node 20) but only in TypeScript's ES2024 lib; tsconfig targets ES2022.
interface AtomicsWaitAsync {
  waitAsync(
    typedArray: Int32Array,
    index: number,
    value: number,
    timeoutMs?: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}
const atomicsAsync = Atomics as unknown as AtomicsWaitAsync;
if (typeof atomicsAsync.waitAsync !== 'function') throw new Error('Atomics.waitAsync is missing (needs Node >= 16)');

/**
 * Consumer loop, one doorbell per consumer thread shared by every ring it reads:
 *
 *   for (;;) {
 *     drain every ring (tryRead until null)
 *     bell.prepareSleep();
 *     if (some ring is not empty) { bell.cancelSleep(); continue; }
 *     bell.waitSync(timeoutMs);          // or: await bell.waitAsync(timeoutMs)
 *   }
 *
 * Producers call bell.ring() after each tryWrite (or batch of them) that succeeded. The same
 * pattern works for a producer waiting for room: its own doorbell, rung by the consumer after
 * reads, with "tryWrite succeeds" as the re-check.
 */
export class Doorbell {
  readonly sab: SharedArrayBuffer;
  private readonly control: Int32Array;
  // Consumer-side state: the sequence observed by prepareSleep, whether a wait may follow, and
  // whether a waitAsync has not settled yet (its settling clears the flag, so no new sleep may
  // start before that).
  private seenSequence = 0;
  private sleepPrepared = false;
  private asyncWaitPending = false;

  static create(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(DOORBELL_BYTES));
  }

  constructor(sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== DOORBELL_BYTES) {
      throw new TypeError('Doorbell needs the SharedArrayBuffer of a doorbell made by Doorbell.create');
    }
    this.sab = sab;
    this.control = new Int32Array(sab);
  }

  /** Consumer: announce the intent to sleep. Re-check every ring afterwards, then wait or cancel. */
  prepareSleep(): void {
    if (this.asyncWaitPending) throw new Error('Doorbell prepareSleep() before the previous waitAsync() settled');
    this.seenSequence = Atomics.load(this.control, SLOT_SEQUENCE);
    Atomics.store(this.control, SLOT_SLEEPING, 1);
    this.sleepPrepared = true;
  }

  /** Consumer: the re-check found work; stay awake. */
  cancelSleep(): void {
    this.sleepPrepared = false;
    Atomics.store(this.control, SLOT_SLEEPING, 0);
  }

  /**
   * Consumer: block the thread until a producer rings, timeoutMs passes (Infinity for no limit),
   * or returns at once if a producer rang since prepareSleep(). Spurious returns are possible;
   * the caller re-checks its rings either way.
   */
  waitSync(timeoutMs: number): void {
    this.beginWait();
    Atomics.wait(this.control, SLOT_SEQUENCE, this.seenSequence, timeoutMs);
    Atomics.store(this.control, SLOT_SLEEPING, 0);
  }

  /** Like waitSync but keeps the event loop turning. Resolves (never rejects) on ring or timeout. */
  waitAsync(timeoutMs: number): Promise<void> {
    this.beginWait();
    const result = atomicsAsync.waitAsync(this.control, SLOT_SEQUENCE, this.seenSequence, timeoutMs);
    if (!result.async) {
      // 'not-equal' (rang since prepareSleep) or 'timed-out' (timeout 0): done already.
      Atomics.store(this.control, SLOT_SLEEPING, 0);
      return resolvedWait;
    }
    this.asyncWaitPending = true;
    return this.finishAsyncWait(result.value);
  }

  /** Producer: call after publishing frames to a ring read by this doorbell's consumer. */
  ring(): void {
    const control = this.control;
    if (Atomics.load(control, SLOT_SLEEPING) !== 0 && Atomics.exchange(control, SLOT_SLEEPING, 0) !== 0) {
      Atomics.add(control, SLOT_SEQUENCE, 1);
      Atomics.notify(control, SLOT_SEQUENCE);
    }
  }

  private beginWait(): void {
    if (!this.sleepPrepared) throw new Error('Doorbell wait without prepareSleep() and a re-check of the rings');
    this.sleepPrepared = false;
  }

  private async finishAsyncWait(wait: Promise<'ok' | 'timed-out'>): Promise<void> {
    await wait;
    Atomics.store(this.control, SLOT_SLEEPING, 0);
    this.asyncWaitPending = false;
  }
}
