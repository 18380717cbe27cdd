// A token bucket measured in capacity units: refills at `ratePerSecond` up to `ratePerSecond ×
// burstSeconds` (DynamoDB keeps up to 300 s of unused capacity as burst). A request is admitted
// while the bucket is not in debt and then charged what it actually consumed, which may take
// the bucket below zero: later requests wait for the debt to refill, as DynamoDB's do.
export class TokenBucket {
  ratePerSecond: number;
  burstSeconds: number;
  private tokens: number;
  private refilledAt: number;

  constructor(ratePerSecond: number, burstSeconds: number, now: number) {
    this.ratePerSecond = ratePerSecond;
    this.burstSeconds = burstSeconds;
    this.tokens = ratePerSecond * Math.max(1, burstSeconds);
    this.refilledAt = now;
  }

  private refill(now: number): void {
    const elapsedMs = now - this.refilledAt;
    if (elapsedMs <= 0) return;
    this.refilledAt = now;
    this.tokens = Math.min(this.capacity(), this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
  }

  capacity(): number {
    // At least one second's worth, so a bucket always admits a full second of its rate.
    return this.ratePerSecond * Math.max(1, this.burstSeconds);
  }

  /** Units available now (negative while in debt). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Whether a request needing `units` may start now. */
  canTake(units: number, now: number): boolean {
    this.refill(now);
    return this.tokens >= Math.min(units, this.capacity());
  }

  take(units: number, now: number): void {
    this.refill(now);
    this.tokens -= units;
  }

  /** New rate (UpdateTable): what is in the bucket stays, within the new capacity. */
  setRate(ratePerSecond: number, now: number): void {
    this.refill(now);
    this.ratePerSecond = ratePerSecond;
    this.tokens = Math.min(this.tokens, this.capacity());
  }
}
