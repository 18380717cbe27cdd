// A consumer thread's doorbell: producers ring it after writing to any ring that thread reads,
// and it costs them a syscall only when the consumer is actually asleep.
//
// SAB layout (Int32 slots, each on its own 64-byte cache line):
//   slot 0  = sleeping flag: 1 while the consumer is between prepareSleep() and waking up
//   slot 16 = wake sequence: bumped by the producer that wakes the consumer; the futex word
//
// No-lost-wake-up protocol. Every Atomics operation is sequentially consistent, so all of
// them fall into one total order.
//   consumer: prepareSleep()  S1: store sleeping=1, then L1: seen = load sequence
//             re-check every ring it reads (Atomics.load of each tail); if any has data,
//             cancelSleep() and go back to work
//             waitSync/waitAsync: sleep on `sequence` only while it still equals `seen`
//   producer: W: publish the frame (Atomics.store of the ring's tail), then ring():
//             R: if load(sleeping) is 1 and exchange(sleeping, 0) returned 1:
//                   add(sequence, 1) and notify(sequence)
// Case R reads 0: R precedes S1 of the next sleep (S1 would have set it to 1; the flag is
//   only set by S1), so W < R < S1 < the re-check, which therefore sees the frame.
// Case R reads 1 and wins the exchange: the increment I comes after S1. If I < L1, then
//   W < I < L1 < re-check sees the frame. Otherwise `seen` predates I, so the wait either
//   returns at once (value differs) or is already queued when notify runs (Atomics.wait
//   compares and enqueues atomically with respect to notify) and is woken.
// Case R reads 1 but loses the exchange to another producer: that producer's I/notify
//   wakes the consumer, and this producer's W < R precedes the flag clear it lost to, which
//   precedes the next S1 and re-check. So one sleep is woken by one notify however many
//   producers ring, and a busy consumer (flag 0) costs producers a plain load.
//
// Not safe to keep a waitAsync pending as the only thing keeping a thread alive: in Node 20 a
// pending Atomics.waitAsync does not hold the event loop open (nodejs/node#61941); the main
// thread has its listening socket, a worker using waitAsync needs a ref'd handle of its own.

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

export class Doorbell {
  readonly sab: SharedArrayBuffer;
  private readonly control: Int32Array;
  // Consumer-side state: the sequence observed by prepareSleep, and whether a wait may follow.
  private seenSequence = 0;
  private sleepPrepared = false;

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
    Atomics.store(this.control, SLOT_SLEEPING, 1);
    this.seenSequence = Atomics.load(this.control, SLOT_SEQUENCE);
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
  }
}
