// A token bucket measured in capacity units: refills at `ratePerSecond` up to `ratePerSecond ×
// burstSeconds` (DynamoDB keeps up to 300 s of unused capacity as burst). A request is admitted
// while the bucket is not in debt and then charged what it actually consumed, which may take
// the bucket below zero: later requests wait for the debt to refill, as DynamoDB's do.
//
// The arithmetic works on four numbers at an offset of a Float64Array, so that buckets can live
// in shared memory (meter-arena.ts) as well as in a TokenBucket object: one arithmetic for both.

/** Numbers one bucket takes: its rate, its burst seconds, its tokens and when it last refilled. */
export const bucketFloats = 4;
const RATE = 0;
const BURST_SECONDS = 1;
const TOKENS = 2;
const REFILLED_AT = 3;

/** A full bucket at `at`. */
export function initBucket(f: Float64Array, at: number, ratePerSecond: number, burstSeconds: number, now: number): void {
  f[at + RATE] = ratePerSecond;
  f[at + BURST_SECONDS] = burstSeconds;
  f[at + TOKENS] = ratePerSecond * Math.max(1, burstSeconds);
  f[at + REFILLED_AT] = now;
}

export function bucketRate(f: Float64Array, at: number): number {
  return f[at + RATE];
}

export function bucketCapacity(f: Float64Array, at: number): number {
  // At least one second's worth, so a bucket always admits a full second of its rate.
  return f[at + RATE] * Math.max(1, f[at + BURST_SECONDS]);
}

function refill(f: Float64Array, at: number, now: number): void {
  const elapsedMs = now - f[at + REFILLED_AT];
  if (elapsedMs <= 0) return;
  f[at + REFILLED_AT] = now;
  f[at + TOKENS] = Math.min(bucketCapacity(f, at), f[at + TOKENS] + (elapsedMs / 1000) * f[at + RATE]);
}

/** Units available now (negative while in debt). */
export function bucketAvailable(f: Float64Array, at: number, now: number): number {
  refill(f, at, now);
  return f[at + TOKENS];
}

/** Whether a request needing `units` may start now. */
export function bucketCanTake(f: Float64Array, at: number, units: number, now: number): boolean {
  refill(f, at, now);
  return f[at + TOKENS] >= Math.min(units, bucketCapacity(f, at));
}

export function bucketTake(f: Float64Array, at: number, units: number, now: number): void {
  refill(f, at, now);
  f[at + TOKENS] -= units;
}

/** New rate (UpdateTable): what is in the bucket stays, within the new capacity. */
export function setBucketRate(f: Float64Array, at: number, ratePerSecond: number, now: number): void {
  refill(f, at, now);
  f[at + RATE] = ratePerSecond;
  f[at + TOKENS] = Math.min(f[at + TOKENS], bucketCapacity(f, at));
}

/** One bucket of its own (the streams' DescribeStream limit, tests). */
export class TokenBucket {
  private readonly f = new Float64Array(bucketFloats);

  constructor(ratePerSecond: number, burstSeconds: number, now: number) {
    initBucket(this.f, 0, ratePerSecond, burstSeconds, now);
  }

  get ratePerSecond(): number {
    return this.f[RATE];
  }

  set ratePerSecond(ratePerSecond: number) {
    this.f[RATE] = ratePerSecond;
  }

  get burstSeconds(): number {
    return this.f[BURST_SECONDS];
  }

  set burstSeconds(burstSeconds: number) {
    this.f[BURST_SECONDS] = burstSeconds;
  }

  capacity(): number {
    return bucketCapacity(this.f, 0);
  }

  /** Units available now (negative while in debt). */
  available(now: number): number {
    return bucketAvailable(this.f, 0, now);
  }

  /** Whether a request needing `units` may start now. */
  canTake(units: number, now: number): boolean {
    return bucketCanTake(this.f, 0, units, now);
  }

  take(units: number, now: number): void {
    bucketTake(this.f, 0, units, now);
  }

  /** New rate (UpdateTable): what is in the bucket stays, within the new capacity. */
  setRate(ratePerSecond: number, now: number): void {
    setBucketRate(this.f, 0, ratePerSecond, now);
  }
}
