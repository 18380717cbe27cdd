// ListStreams (DynamoDB Streams): the streams kept (enabled, or disabled with records not yet
// expired), of one table or all, a page of Limit (at most 100) after ExclusiveStartStreamArn.
import { checkRequestShape } from '../validation/request-shape.ts';
import { streamsPageLimitMax } from '../limits.ts';
import type { ApiContext } from './context.ts';
import { streamStoreOf } from './streams-common.ts';

const listStreamsShape = {
  TableName: { type: 'String', minLength: 3, maxLength: 255 },
  Limit: { type: 'Integer', min: 1, max: streamsPageLimitMax },
  ExclusiveStartStreamArn: { type: 'String', minLength: 37, maxLength: 1024 },
} as const;

export async function listStreams(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, listStreamsShape);
  const limit = (input.Limit as number | undefined) ?? streamsPageLimitMax;
  const after = input.ExclusiveStartStreamArn as string | undefined;
  const streams = streamStoreOf(ctx)
    .streams()
    .filter((s) => input.TableName === undefined || s.tableName === input.TableName)
    .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0))
    .filter((s) => after === undefined || s.arn > after);
  const page = streams.slice(0, limit);
  const out: Record<string, unknown> = { Streams: page.map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.label })) };
  if (streams.length > limit) out.LastEvaluatedStreamArn = page[page.length - 1].arn;
  return JSON.stringify(out);
}
