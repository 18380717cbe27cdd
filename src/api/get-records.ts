// GetRecords (DynamoDB Streams): a shard's records after the iterator's position, at most Limit
// (1,000) and about 1 MB, as DynamoDB shapes them (the images the stream's view type asks for),
// with the iterator to go on from. A closed shard read to its end gives no next iterator. A reader
// beyond the shard's readers at once is LimitExceededException (streams/read-limits.ts).
import { createHash } from 'node:crypto';
import { checkRequestShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import { decodeShardIterator, encodeShardIterator } from '../streams/shard-iterator.ts';
import type { StoredStreamRecord, StreamMeta } from '../streams/stream-store.ts';
import { itemSizeBytes } from '../validation/attribute-values.ts';
import { getRecordsBytesMax, getRecordsLimitMax } from '../limits.ts';
import type { ApiContext } from './context.ts';
import { streamFor, streamReadLimitsOf, streamStoreOf } from './streams-common.ts';

const getRecordsShape = {
  ShardIterator: { type: 'String', notNull: true, minLength: 1, maxLength: 2048 },
  Limit: { type: 'Integer', min: 1, max: getRecordsLimitMax },
} as const;

export async function getRecords(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, getRecordsShape);
  const now = Date.now();
  const position = decodeShardIterator(input.ShardIterator as string, now);
  const store = streamStoreOf(ctx);
  const meta = streamFor(store, position.arn);
  const shard = store.shard(meta.arn, position.shardId);
  if (shard === undefined) throw new DynamoError('ResourceNotFoundException', 'Requested resource not found: Shard does not exist');
  const limits = streamReadLimitsOf(ctx);
  limits.readShard(meta.arn, shard.shardId, position.reader);
  if (position.after !== null && shard.trimmedThrough !== undefined && position.after < shard.trimmedThrough) {
    throw new DynamoError('TrimmedDataAccessException', `The iterator's position in shard ${shard.shardId} is beyond its trim horizon`);
  }
  const limit = (input.Limit as number | undefined) ?? getRecordsLimitMax;
  const records = store.records(meta.arn, shard.shardId, position.after, limit);
  const region = meta.arn.split(':')[3];
  const out: string[] = [];
  let bytes = 0;
  let last = position.after;
  for (const r of records) {
    const record = streamRecord(meta, r, region);
    const json = JSON.stringify(record);
    // The first record always goes; the rest while the answer stays about 1 MB.
    if (out.length > 0 && bytes + json.length > getRecordsBytesMax) break;
    out.push(json);
    bytes += json.length;
    last = r.seq;
  }
  const ended = shard.endSeq !== undefined && (last === null ? records.length === 0 : last >= shard.endSeq) && out.length === records.length;
  if (ended) limits.shardEnded(meta.arn, shard.shardId, position.reader);
  const next = ended ? '' : `,"NextShardIterator":${JSON.stringify(encodeShardIterator({ arn: meta.arn, shardId: shard.shardId, after: last, reader: position.reader }, now))}`;
  return `{"Records":[${out.join(',')}]${next}}`;
}

/** One record as DynamoDB Streams shows it, with the images the view type asks for. */
function streamRecord(meta: StreamMeta, r: StoredStreamRecord, region: string): Record<string, unknown> {
  const dynamodb: Record<string, unknown> = { ApproximateCreationDateTime: Math.floor(r.atMs / 1000), Keys: r.keys };
  let size = itemSizeBytes(r.keys);
  if ((meta.viewType === 'NEW_IMAGE' || meta.viewType === 'NEW_AND_OLD_IMAGES') && r.newImage !== undefined) {
    dynamodb.NewImage = r.newImage;
    size += itemSizeBytes(r.newImage);
  }
  if ((meta.viewType === 'OLD_IMAGE' || meta.viewType === 'NEW_AND_OLD_IMAGES') && r.oldImage !== undefined) {
    dynamodb.OldImage = r.oldImage;
    size += itemSizeBytes(r.oldImage);
  }
  dynamodb.SequenceNumber = r.seq;
  dynamodb.SizeBytes = size;
  dynamodb.StreamViewType = meta.viewType;
  const record: Record<string, unknown> = {
    eventID: createHash('md5').update(`${meta.arn}|${r.seq}`).digest('hex'),
    eventName: r.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb,
  };
  if (r.ttl === true) record.userIdentity = { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' };
  return record;
}
