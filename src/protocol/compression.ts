// HTTP content codings of request and response bodies: which a request's Content-Encoding and
// Accept-Encoding headers name, and bounded inflation (a small body that inflates past the bound
// is stopped there, never inflated whole).
import { gunzip, gzip, inflate, inflateRaw, constants, type InputType } from 'node:zlib';

/** How a request body is encoded: as sent, gzip (RFC 1952), or deflate (zlib, RFC 1950, or raw RFC 1951 as some clients send it). */
export const BodyEncoding = { Identity: 0, Gzip: 1, Deflate: 2 } as const;
export type BodyEncodingCode = (typeof BodyEncoding)[keyof typeof BodyEncoding];

/** A request's Content-Encoding as a BodyEncoding, or -1 for a coding monodyne does not take (or a list of several). */
export function bodyEncodingOf(header: string): BodyEncodingCode | -1 {
  const name = header.trim().toLowerCase();
  if (name === '' || name === 'identity') return BodyEncoding.Identity;
  if (name === 'gzip' || name === 'x-gzip') return BodyEncoding.Gzip;
  if (name === 'deflate') return BodyEncoding.Deflate;
  return -1;
}

/** Whether an Accept-Encoding header takes gzip (named, or "*", and not with q=0). */
export function acceptsGzip(header: string): boolean {
  if (header.length === 0) return false;
  for (const part of header.split(',')) {
    const semicolon = part.indexOf(';');
    const name = (semicolon < 0 ? part : part.slice(0, semicolon)).trim().toLowerCase();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    if (semicolon < 0) return true;
    const q = /q\s*=\s*([0-9.]+)/i.exec(part.slice(semicolon + 1));
    return q === null || Number(q[1]) > 0;
  }
  return false;
}

/** Why a body could not be inflated: past `bytesMax`, or not in its declared coding. */
export type InflateFailure = 'tooLarge' | 'corrupt';

/** A zlib stream starts with CMF/FLG: method 8, and the pair a multiple of 31 (RFC 1950 §2.2). */
function hasZlibHeader(body: Uint8Array): boolean {
  return body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
}

/**
 * Inflates `body` on the thread pool, stopping as soon as more than `bytesMax` bytes come out
 * (zlib's maxOutputLength ends the stream there), and calls `done` with the result or the failure.
 */
export function inflateBody(body: Buffer, encoding: BodyEncodingCode, bytesMax: number, done: (failure: InflateFailure | null, inflated: Buffer | null) => void): void {
  const options = { maxOutputLength: bytesMax };
  const callback = (err: Error | null, inflated: Buffer): void => {
    if (err === null) done(null, inflated);
    else done((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'tooLarge' : 'corrupt', null);
  };
  if (encoding === BodyEncoding.Gzip) gunzip(body, options, callback);
  else if (hasZlibHeader(body)) inflate(body, options, callback);
  else inflateRaw(body, options, callback);
}

/** Fast compression for answers: most of gzip's gain on JSON for a fraction of its time. */
const responseGzipOptions = { level: constants.Z_BEST_SPEED };

/** Gzips an answer on the thread pool. */
export function gzipBody(body: InputType, done: (err: Error | null, compressed: Buffer) => void): void {
  gzip(body, responseGzipOptions, done);
}
