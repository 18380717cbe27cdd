// DynamoDB Streams' read limits, answered with LimitExceededException as DynamoDB does: more
// readers on a shard than it serves at once (GetRecords). Off with capacity.throttling off, as
// every other throttle is.
import type { Clock } from '../control/clock.ts';
import { DynamoError } from '../protocol/errors.ts';
import { ShardReaders } from './shard-readers.ts';

export interface StreamReadLimitSettings {
  /** capacity.throttling: false serves every call. */
  enabled: boolean;
  /** streams.readersPerShard */
  readersPerShard: number;
  /** streams.readerWindowMs */
  readerWindowMs: number;
}

/** DynamoDB Streams' message when it throttles a call, as its clients report it (HTTP 400). */
export const rateExceededMessage = 'Rate exceeded';

export class StreamReadLimits {
  private readonly clock: Clock;
  private readonly settings: StreamReadLimitSettings;
  private readonly readers: ShardReaders;

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
}

function shardKey(streamArn: string, shardId: string): string {
  return `${streamArn} ${shardId}`;
}
