// awsJson 1.0 wire details shared by every response: the target prefix, the content type,
// DynamoDB's error envelope, request ids and the x-amz-crc32 checksum.
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { DynamoError } from './errors.ts';

export const targetPrefix = 'DynamoDB_20120810.';
/** DynamoDB Streams' operations come on the same endpoint and credentials, under their own prefix. */
export const streamsTargetPrefix = 'DynamoDBStreams_20120810.';
export const streamsOperations: ReadonlySet<string> = new Set(['ListStreams', 'DescribeStream', 'GetShardIterator', 'GetRecords']);

/**
 * The operation an X-Amz-Target names: one of DynamoDB's, or one of DynamoDB Streams' under its
 * prefix (their names do not overlap); '' for anything else.
 */
export function operationOf(target: string): string {
  if (target.startsWith(targetPrefix)) {
    const name = target.slice(targetPrefix.length);
    return streamsOperations.has(name) ? '' : name;
  }
  if (target.startsWith(streamsTargetPrefix)) {
    const name = target.slice(streamsTargetPrefix.length);
    return streamsOperations.has(name) ? name : '';
  }
  return '';
}
export const contentType = 'application/x-amz-json-1.0';
/** DynamoDB's Server header says just that: "Server: Server". (uWebSockets.js adds the Date header itself, formatted once a second.) */
export const serverHeaderValue = 'Server';

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Random part of request ids, one per front-door thread (each loads this module); the rest is a counter, so ids are unique and cheap. */
const requestIdPrefix = Array.from(randomBytes(36), (b) => base32[b & 31]).join('');
/** Every pair of base32 digits, so a 10-bit group is one lookup. */
const base32Pairs: string[] = [];
for (let i = 0; i < 1024; i++) base32Pairs.push(base32[i >> 5] + base32[i & 31]);
const lowCounterSpan = 2 ** 30; // the last 6 digits
let requestCounter = 0;
/** The first 10 of the 16 counter digits (they change once every 2^30 ids), with the prefix. */
let requestIdHead = requestIdPrefix + 'A'.repeat(10);

/** A 52-character id in DynamoDB's style (upper-case base32): 36 random digits, then a 16-digit counter. */
export function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % 2 ** 48;
  const low = requestCounter % lowCounterSpan;
  if (low === 0) {
    let high = (requestCounter - low) / lowCounterSpan;
    let digits = '';
    for (let i = 0; i < 10; i++) {
      digits = base32[high % 32] + digits;
      high = Math.floor(high / 32);
    }
    requestIdHead = requestIdPrefix + digits;
  }
  return requestIdHead + base32Pairs[low >>> 20] + base32Pairs[(low >>> 10) & 1023] + base32Pairs[low & 1023];
}

/** The x-amz-crc32 header of a body; a string is checksummed as its UTF-8 bytes, with no copy made here. */
export function crc32Of(body: Uint8Array | string): string {
  return String(crc32(body));
}

/**
 * An operation's answer: JSON text, or the same JSON as UTF-8 bytes when it carries items' JSON
 * as the storage nodes stored it (checksummed and sent as they are, never decoded to a string).
 */
export type ResponseBody = string | Buffer;

/** An answer as text, for the server's own callers of an operation (PartiQL, the simulator). */
export function bodyText(body: ResponseBody): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** One JSON body from text and byte parts, in order (the parts' concatenation must be JSON). */
export function jsonBytes(parts: ReadonlyArray<string | Uint8Array>): Buffer {
  let size = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    size += typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (typeof part === 'string') {
      at += out.write(part, at, 'utf8');
    } else {
      out.set(part, at);
      at += part.length;
    }
  }
  return out;
}

/** DynamoDB's error body. Some coral service errors spell the message field "Message". */
export function errorBody(err: DynamoError): string {
  const kind = err.kind;
  const body: Record<string, unknown> = { __type: kind.wireType };
  if (kind.name === 'SerializationException' || kind.name === 'UnknownOperationException' || kind.name === 'AccessDeniedException') {
    if (err.message) body.Message = err.message;
  } else {
    body.message = err.message;
  }
  if (err.extra) Object.assign(body, err.extra);
  return JSON.stringify(body);
}
