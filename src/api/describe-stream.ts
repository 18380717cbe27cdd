// DescribeStream (DynamoDB Streams): a stream's status, view type, key schema and shards, each
// with its parent and its range of sequence numbers (a closed shard has an ending one), a page
// of Limit (at most 100) shards after ExclusiveStartShardId. Called faster than its rate per stream:
// LimitExceededException (streams/read-limits.ts).
import { checkRequestShape } from '../validation/request-shape.ts';
import { streamsPageLimitMax } from '../limits.ts';
import type { ApiContext } from './context.ts';
import { shardIdShape, streamArnShape, streamFor, streamReadLimitsOf, streamStoreOf } from './streams-common.ts';

const describeStreamShape = {
  StreamArn: streamArnShape,
  Limit: { type: 'Integer', min: 1, max: streamsPageLimitMax },
  ExclusiveStartShardId: { ...shardIdShape, notNull: false },
} as const;

export async function describeStream(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, describeStreamShape);
  const store = streamStoreOf(ctx);
  const meta = streamFor(store, input.StreamArn as string);
  streamReadLimitsOf(ctx).describeStream(meta.arn);
  const limit = (input.Limit as number | undefined) ?? streamsPageLimitMax;
  const shards = store.shards(meta.arn);
  const start = input.ExclusiveStartShardId === undefined ? 0 : shards.findIndex((s) => s.shardId === input.ExclusiveStartShardId) + 1;
  const page = shards.slice(start, start + limit);
  const description: Record<string, unknown> = {
    StreamArn: meta.arn,
    StreamLabel: meta.label,
    StreamStatus: meta.enabled ? 'ENABLED' : 'DISABLED',
    StreamViewType: meta.viewType,
    CreationRequestDateTime: meta.createdAtMs / 1000,
    TableName: meta.tableName,
    KeySchema: meta.keySchema,
    Shards: page.map((s) => {
      const range: Record<string, string> = { StartingSequenceNumber: s.startSeq };
      if (s.endSeq !== undefined) range.EndingSequenceNumber = s.endSeq;
      return { ShardId: s.shardId, ...(s.parentShardId !== undefined ? { ParentShardId: s.parentShardId } : {}), SequenceNumberRange: range };
    }),
  };
  if (start + limit < shards.length) description.LastEvaluatedShardId = page[page.length - 1].shardId;
  return JSON.stringify({ StreamDescription: description });
}
