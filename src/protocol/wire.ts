// awsJson 1.0 wire details shared by every response: the target prefix, the content type,
// DynamoDB's error envelope, request ids and the x-amz-crc32 checksum.
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { DynamoError } from './errors.ts';

export const targetPrefix = 'DynamoDB_20120810.';
export const contentType = 'application/x-amz-json-1.0';

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Per-process random part of request ids; the rest is a counter, so ids are unique and cheap. */
const requestIdPrefix = Array.from(randomBytes(36), (b) => base32[b & 31]).join('');
let requestCounter = 0;

/** A 52-character id in DynamoDB's style (upper-case base32). */
export function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % 2 ** 48;
  let n = requestCounter;
  let tail = '';
  for (let i = 0; i < 16; i++) {
    tail = base32[n % 32] + tail;
    n = Math.floor(n / 32);
  }
  return requestIdPrefix + tail;
}

export function crc32Of(body: Buffer): string {
  return String(crc32(body));
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
