// Hot-path cost of authentication: verifying the SigV4 signature of a signed GetItem request
// (headers parsed and checked, body and canonical request hashed, signature HMAC compared),
// and the HMAC step alone, by createHmac and by the precomputed-pad key the verifier keeps.
import type { Bench } from 'tinybench';
import { createHmac } from 'node:crypto';
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

export function register(bench: Bench): void {
  const now = Date.now();
  const body = getItemBody(100_000)(() => 0.5).body;
  const request = httpRequest('127.0.0.1:8000', 'GetItem', body, devSigning, now).toString('latin1');
  const split = request.indexOf('\r\n\r\n');
  const headers = new ParsedHeaders(request.slice(0, split));
  const bodyBytes = Buffer.from(request.slice(split + 4), 'latin1');
  const verifier = new SigV4Verifier({ lookup: (id) => (id === devSigning.accessKeyId ? devSigning : undefined), clockSkewSeconds: 900 });
  const dateStamp = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  const key = deriveSigningKey(devSigning.secretAccessKey, dateStamp, devSigning.region, 'dynamodb');
  const padded = new HmacSha256Key(key);
  const stringToSign = `AWS4-HMAC-SHA256\n${dateStamp}T000000Z\n${dateStamp}/us-east-1/dynamodb/aws4_request\n${'ab'.repeat(32)}`;
  let sink: unknown = null;

  bench
    .add(`SigV4 verify a signed GetItem (begin + finish, ${bodyBytes.length} B body)`, () => {
      verifier.finish(verifier.begin(headers, 'POST', '/', ''), bodyBytes);
    })
    .add('HMAC-SHA256 of a string to sign: createHmac', () => {
      sink = createHmac('sha256', key).update(stringToSign).digest('hex');
    })
    .add('HMAC-SHA256 of a string to sign: HmacSha256Key (precomputed pads)', () => {
      sink = padded.hex(stringToSign);
    });
  if (sink === undefined) throw new Error('unreachable');
}
