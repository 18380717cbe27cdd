// Shard iterators: opaque tokens that say where in which shard of which stream a reader stands,
// signed with this process's key (a forged or altered one is refused) and stamped with when they
// were issued (DynamoDB's expire after 15 minutes: ExpiredIteratorException). Each carries its
// reader: the lineage GetShardIterator started, which the shard's reader limit counts.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DynamoError } from '../protocol/errors.ts';
import { shardIteratorLifetimeMs } from '../limits.ts';

export interface ShardPosition {
  arn: string;
  shardId: string;
  /** Records after this sequence number (null: from the shard's oldest record kept). */
  after: string | null;
  /** The reader (iterator lineage) this position belongs to: newReader() for GetShardIterator, kept by GetRecords. */
  reader: number;
}

const key = randomBytes(32);
/** Readers are numbered in this process; the key is too, so an iterator never outlives its numbering. */
let readersStarted = 0;

/** A new reader's id, for an iterator GetShardIterator issues. */
export function newReader(): number {
  return ++readersStarted;
}

function signature(body: string): Buffer {
  return createHmac('sha256', key).update(body).digest().subarray(0, 16);
}

export function encodeShardIterator(position: ShardPosition, issuedAtMs: number): string {
  const body = Buffer.from(JSON.stringify([position.arn, position.shardId, position.after, issuedAtMs, position.reader]), 'utf8').toString('base64url');
  return `${body}.${signature(body).toString('base64url')}`;
}

/** The position an iterator names; ValidationException for one this server did not issue, ExpiredIteratorException past its lifetime. */
export function decodeShardIterator(iterator: string, nowMs: number): ShardPosition {
  const dot = iterator.indexOf('.');
  const body = dot < 0 ? '' : iterator.slice(0, dot);
  const given = Buffer.from(dot < 0 ? '' : iterator.slice(dot + 1), 'base64url');
  const expected = signature(body);
  if (body === '' || given.length !== expected.length || !timingSafeEqual(given, expected)) throw new DynamoError('ValidationException', 'Invalid ShardIterator');
  const [arn, shardId, after, issuedAtMs, reader] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string, string, string | null, number, number];
  if (nowMs - issuedAtMs > shardIteratorLifetimeMs) {
    throw new DynamoError('ExpiredIteratorException', `Iterator expired. The iterator was created at time ${new Date(issuedAtMs).toUTCString()} while right now it's time ${new Date(nowMs).toUTCString()} which is further in the future than the tolerated delay of ${shardIteratorLifetimeMs} milliseconds.`);
  }
  return { arn, shardId, after, reader };
}

/** The stream an iterator names, unchecked (what IAM authorizes GetRecords on; GetRecords itself checks the signature). */
export function streamArnOfIterator(iterator: string): string | null {
  try {
    const body = iterator.slice(0, Math.max(0, iterator.indexOf('.')));
    const decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(decoded) && typeof decoded[0] === 'string' ? decoded[0] : null;
  } catch {
    return null;
  }
}
