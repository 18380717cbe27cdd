// DynamoDB Streams' read limits, answered with LimitExceededException as DynamoDB does: more
// readers on a shard than it serves at once (GetRecords), and DescribeStream called faster than
// its rate per stream. Both are off with capacity.throttling off, as every other throttle is.
import type { Clock } from '../control/clock.ts';
import { TokenBucket } from '../admission/token-bucket.ts';
import { DynamoError } from '../protocol/errors.ts';
import { ShardReaders } from './shard-readers.ts';

export interface StreamReadLimitSettings {
  /** capacity.throttling: false serves every call. */
  enabled: boolean;
  /** streams.readersPerShard */
  readersPerShard: number;
  /** streams.readerWindowMs */
  readerWindowMs: number;
  /** streams.describeStreamCallsPerSecond */
  describeStreamCallsPerSecond: number;
}

/** DynamoDB Streams' message when it throttles a call, as its clients report it (HTTP 400). */
export const rateExceededMessage = 'Rate exceeded';

export class StreamReadLimits {
  private readonly clock: Clock;
  private readonly settings: StreamReadLimitSettings;
  private readonly readers: ShardReaders;
  /** DescribeStream's token bucket per stream ARN; full ones are dropped (a new one is full too). */
  private readonly describeBuckets = new Map<string, TokenBucket>();
  private describeSweptAtMs = -Infinity;

  constructor(clock: Clock, settings: StreamReadLimitSettings) {
    this.clock = clock;
    this.settings = settings;
    this.readers = new ShardReaders({ readersPerShard: settings.readersPerShard, windowMs: settings.readerWindowMs });
  }

  /** A GetRecords by `reader` on a shard: LimitExceededException while the shard has its readers already. */
  readShard(streamArn: string, shardId: string, reader: number): void {
    if (!this.settings.enabled) return;
    if (!this.readers.admit(shardKey(streamArn, shardId), reader, this.clock.now())) throw new DynamoError('LimitExceededException', rateExceededMessage);
  }

  /** `reader` read a closed shard to its end: it no longer counts there. */
  shardEnded(streamArn: string, shardId: string, reader: number): void {
    this.readers.finished(shardKey(streamArn, shardId), reader);
  }

  /** A DescribeStream of the stream: LimitExceededException past its calls a second (one second's worth may come at once). */
  describeStream(streamArn: string): void {
    if (!this.settings.enabled) return;
    const now = this.clock.now();
    this.sweepDescribeBuckets(now);
    let bucket = this.describeBuckets.get(streamArn);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.settings.describeStreamCallsPerSecond, 1, now);
      this.describeBuckets.set(streamArn, bucket);
    }
    if (!bucket.canTake(1, now)) throw new DynamoError('LimitExceededException', rateExceededMessage);
    bucket.take(1, now);
  }

  /** Once a second, drops the buckets that refilled: streams not described lately cost nothing. */
  private sweepDescribeBuckets(nowMs: number): void {
    if (nowMs - this.describeSweptAtMs < 1000) return;
    this.describeSweptAtMs = nowMs;
    for (const [arn, bucket] of this.describeBuckets) if (bucket.available(nowMs) >= bucket.capacity()) this.describeBuckets.delete(arn);
  }
}

function shardKey(streamArn: string, shardId: string): string {
  return `${streamArn} ${shardId}`;
}
