// What the DynamoDB Streams operations share: the stream store they read and the limits on reading
// it, the stream an ARN names (DynamoDB's message when none), and the request shapes of stream ARNs
// and shard ids.
import { DynamoError } from '../protocol/errors.ts';
import type { Shape } from '../validation/request-shape.ts';
import type { StreamMeta, StreamStore } from '../streams/stream-store.ts';
import type { StreamReadLimits } from '../streams/read-limits.ts';
import type { ApiContext } from './context.ts';

export const streamArnShape: Shape = { type: 'String', notNull: true, minLength: 37, maxLength: 1024 };
export const shardIdShape: Shape = { type: 'String', notNull: true, minLength: 28, maxLength: 65 };

export function streamStoreOf(ctx: ApiContext): StreamStore {
  const store = ctx.control.streams?.store;
  if (store === undefined) throw new DynamoError('ResourceNotFoundException', 'Requested resource not found');
  return store;
}

/** Reached only after streamStoreOf found the streams (every Streams operation asks for the store first). */
export function streamReadLimitsOf(ctx: ApiContext): StreamReadLimits {
  return ctx.control.streams!.readLimits;
}

export function streamFor(store: StreamStore, arn: string): StreamMeta {
  const meta = store.stream(arn);
  if (meta === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Stream: ${arn} not found`);
  return meta;
}
