// Hot-path cost of authentication: verifying the SigV4 signature of a signed GetItem request
// (headers parsed and checked, body and canonical request hashed, signature HMAC compared),
// and the HMAC step alone, by createHmac and by the precomputed-pad key the verifier keeps.
import type { Bench } from 'tinybench';
import { createHash, createHmac } from 'node:crypto';
import { SigV4Verifier, deriveSigningKey, type HeaderSource } from '../src/auth/sigv4.ts';
import { HmacSha256Key } from '../src/auth/hmac-sha256.ts';
import { devSigning, getItemBody, httpRequest } from '../test/load/requests.ts';

/** Header lines of a request text, looked up by lower-case name as uWebSockets.js does. */
class ParsedHeaders implements HeaderSource {
  private readonly map = new Map<string, string>();
  constructor(text: string) {
    for (const line of text.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) this.map.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  getHeader(name: string): string {
    return this.map.get(name) ?? '';
  }
}

/**
 * The headers the AWS SDK for JavaScript v3 sends with a GetItem, signed as it signs them (eight
 * signed headers, Signature last): the shape most requests have, where the load test's has three.
 */
function sdkShapedHeaders(body: Uint8Array, nowMs: number): ParsedHeaders {
  const amzDate = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const scope = `${amzDate.slice(0, 8)}/${devSigning.region}/dynamodb/aws4_request`;
  const signed: Array<[string, string]> = [
    ['amz-sdk-invocation-id', '3f1e0c52-8a0b-4c5e-9d41-6b7a2e9c1d08'],
    ['amz-sdk-request', 'attempt=1; max=3'],
    ['content-length', String(body.length)],
    ['content-type', 'application/x-amz-json-1.0'],
    ['host', '127.0.0.1:8000'],
    ['x-amz-date', amzDate],
    ['x-amz-target', 'DynamoDB_20120810.GetItem'],
    ['x-amz-user-agent', 'aws-sdk-js/3.1164.0'],
  ];
  const names = signed.map(([name]) => name).join(';');
  const canonical = `POST\n/\n\n${signed.map(([n, v]) => `${n}:${v}\n`).join('')}\n${names}\n${createHash('sha256').update(body).digest('hex')}`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const key = deriveSigningKey(devSigning.secretAccessKey, amzDate.slice(0, 8), devSigning.region, 'dynamodb');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const lines = signed.map(([n, v]) => `${n}: ${v}`);
  lines.push(`authorization: AWS4-HMAC-SHA256 Credential=${devSigning.accessKeyId}/${scope}, SignedHeaders=${names}, Signature=${signature}`);
  lines.push('user-agent: aws-sdk-js/3.1164.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0');
  return new ParsedHeaders(`POST / HTTP/1.1\r\n${lines.join('\r\n')}`);
}

export function register(bench: Bench): void {
  const now = Date.now();
  const body = getItemBody(100_000)(() => 0.5).body;
  const request = httpRequest('127.0.0.1:8000', 'GetItem', body, devSigning, now).toString('latin1');
  const split = request.indexOf('\r\n\r\n');
  const headers = new ParsedHeaders(request.slice(0, split));
  const bodyBytes = Buffer.from(request.slice(split + 4), 'latin1');
  const sdkHeaders = sdkShapedHeaders(bodyBytes, now);
  const verifier = new SigV4Verifier({ lookup: (id) => (id === devSigning.accessKeyId ? devSigning : undefined), clockSkewSeconds: 900 });
  // Both requests must verify, or the bench would time the refusal.
  verifier.finish(verifier.begin(headers, 'POST', '/', ''), bodyBytes);
  verifier.finish(verifier.begin(sdkHeaders, 'POST', '/', ''), bodyBytes);
  const dateStamp = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  const key = deriveSigningKey(devSigning.secretAccessKey, dateStamp, devSigning.region, 'dynamodb');
  const padded = new HmacSha256Key(key);
  const stringToSign = `AWS4-HMAC-SHA256\n${dateStamp}T000000Z\n${dateStamp}/us-east-1/dynamodb/aws4_request\n${'ab'.repeat(32)}`;
  let sink: unknown = null;

  bench
    .add(`SigV4 verify a signed GetItem (begin + finish, ${bodyBytes.length} B body)`, () => {
      verifier.finish(verifier.begin(headers, 'POST', '/', ''), bodyBytes);
    })
    .add('SigV4 verify the same GetItem with the SDK v3 headers (8 signed)', () => {
      verifier.finish(verifier.begin(sdkHeaders, 'POST', '/', ''), bodyBytes);
    })
    .add('HMAC-SHA256 of a string to sign: createHmac', () => {
      sink = createHmac('sha256', key).update(stringToSign).digest('hex');
    })
    .add('HMAC-SHA256 of a string to sign: HmacSha256Key (precomputed pads)', () => {
      sink = padded.hex(stringToSign);
    });
  if (sink === undefined) throw new Error('unreachable');
}
