// awsJson 1.0 wire details shared by every response: the target prefix, the content type,
// DynamoDB's error envelope, request ids and the x-amz-crc32 checksum.
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { DynamoError } from './errors.ts';
import { decimalBytes, headerBytes } from './header-bytes.ts';

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
export const contentType = headerBytes('application/x-amz-json-1.0');
/** DynamoDB's Server header says just that: "Server: Server". (uWebSockets.js adds the Date header itself, formatted once a second.) */
export const serverHeaderValue = headerBytes('Server');

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const requestIdPrefixDigits = 36;
const requestIdCounterDigits = 16;
/**
 * Where request ids are written: 36 random base32 digits, one set per front-door thread (each
 * loads this module), then a 16-digit counter, so ids are unique and cheap. Answers carry the id
 * as these bytes (header-bytes.ts): it is never made a string.
 */
const requestId = new Uint8Array(requestIdPrefixDigits + requestIdCounterDigits);
const base32Codes = Uint8Array.from(base32, (digit) => digit.charCodeAt(0));
for (const [i, b] of randomBytes(requestIdPrefixDigits).entries()) requestId[i] = base32Codes[b & 31];
let requestCounter = 0;

/** Numbers a request; its id is written only when an answer carries it (requestIdBytes). */
export function nextRequestNumber(): number {
  requestCounter = (requestCounter + 1) % 2 ** 48;
  return requestCounter;
}

/** Request `number`'s id in DynamoDB's style (52 upper-case base32 digits) as bytes, valid until the next call. */
export function requestIdBytes(number: number): Uint8Array {
  // The counter is below 2^48: its low 30 bits make the last 6 digits, the rest the 10 before them.
  let low = number % 2 ** 30;
  let high = (number - low) / 2 ** 30;
  for (let at = requestId.length - 1; at >= requestIdPrefixDigits; at--) {
    if (at >= requestId.length - 6) {
      requestId[at] = base32Codes[low & 31];
      low >>>= 5;
    } else {
      requestId[at] = base32Codes[high & 31];
      high >>>= 5;
    }
  }
  return requestId;
}

/** The x-amz-crc32 header of a body as bytes (valid until the next call); a string is checksummed as its UTF-8 bytes, with no copy made here. */
export function crc32Of(body: Uint8Array | string): Uint8Array {
  return decimalBytes(crc32(body));
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
