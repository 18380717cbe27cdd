// GetShardIterator (DynamoDB Streams): where a reader starts in a shard: at its oldest record kept
// (TRIM_HORIZON), after its newest (LATEST), at or after a sequence number. A sequence number
// outside the shard's range is a ValidationException; one whose records were trimmed,
// TrimmedDataAccessException. Each iterator it gives starts a new reader of the shard (read-limits.ts).
import { checkRequestShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import { encodeShardIterator, newReader } from '../streams/shard-iterator.ts';
import { normalSequence, previousSequence } from '../streams/stream-store.ts';
import type { ApiContext } from './context.ts';
import { shardIdShape, streamArnShape, streamFor, streamStoreOf } from './streams-common.ts';

const getShardIteratorShape = {
  StreamArn: streamArnShape,
  ShardId: shardIdShape,
  ShardIteratorType: { type: 'String', notNull: true, enum: ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'] },
  SequenceNumber: { type: 'String', minLength: 21, maxLength: 40 },
} as const;

export async function getShardIterator(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, getShardIteratorShape);
  const store = streamStoreOf(ctx);
  const meta = streamFor(store, input.StreamArn as string);
  const shardId = input.ShardId as string;
  const shard = store.shard(meta.arn, shardId);
  if (shard === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Shard does not exist`);
  const type = input.ShardIteratorType as string;
  const given = input.SequenceNumber as string | undefined;
  let after: string | null;
  if (type === 'TRIM_HORIZON' || type === 'LATEST') {
    if (given !== undefined) throw new DynamoError('ValidationException', `Invalid SequenceNumber for ShardIteratorType: ${type}`);
    const newest = type === 'LATEST' ? store.newestRecord(meta.arn, shardId) : undefined;
    after = newest ?? (type === 'LATEST' && shard.endSeq !== undefined ? shard.endSeq : null);
  } else {
    const seq = given === undefined ? null : normalSequence(given);
    if (seq === null) throw new DynamoError('ValidationException', `Invalid SequenceNumber for ShardIteratorType: ${type}`);
    if (seq < shard.startSeq || (shard.endSeq !== undefined && seq > shard.endSeq)) {
      throw new DynamoError('ValidationException', `Invalid SequenceNumber: ${given} is not in the sequence number range of shard ${shardId}`);
    }
    const trimmed = shard.trimmedThrough;
    if (trimmed !== undefined && seq <= trimmed) throw new DynamoError('TrimmedDataAccessException', `The sequence number ${given} is beyond the trim horizon of shard ${shardId}`);
    // AT: from the record itself, that is after the one before it.
    after = type === 'AFTER_SEQUENCE_NUMBER' ? seq : previousSequence(seq);
  }
  return JSON.stringify({ ShardIterator: encodeShardIterator({ arn: meta.arn, shardId, after, reader: newReader() }, Date.now()) });
}
