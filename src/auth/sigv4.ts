// AWS Signature Version 4 verification, exactly as the AWS SDKs, the AWS CLI and boto3 sign:
// the Authorization header form and the presigned query-string form. Pure code (node:crypto
// only). Work is split in two so nothing unauthenticated is buffered: `begin` runs while the
// request headers are at hand (parse, date window, key id, canonical headers) and `finish`
// runs once the body has arrived (payload hash, string to sign, signature comparison).
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { DynamoError } from '../protocol/errors.ts';
import { HmacSha256Key } from './hmac-sha256.ts';
import { AuthorizationHeaderCache } from './authorization-header.ts';

export const algorithm = 'AWS4-HMAC-SHA256';
export const serviceName = 'dynamodb';
const terminator = 'aws4_request';

/** DynamoDB's texts (confirmed against responses recorded from the service; see README). */
export const messages = {
  missingToken: 'Request is missing Authentication Token',
  unrecognizedClient: 'The security token included in the request is invalid.',
  signatureMismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  hostNotSigned: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
  bothForms: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
} as const;

/** Where a request's headers come from: uWebSockets.js's HttpRequest fits, and so does a Map. */
export interface HeaderSource {
  /** The value of a header by lower-case name, or '' when absent (uWebSockets.js's contract). */
  getHeader(lowerCaseName: string): string;
}

/** One configured secret, as the verifier needs it. */
export interface SigningSecret {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What begin() hands to finish(): everything but the body. Plain fields, one shape. */
export class PendingSignature<C extends SigningSecret> {
  constructor(
    readonly credential: C,
    readonly amzDate: string,
    readonly scope: string,
    readonly region: string,
    readonly dateStamp: string,
    /** method \n uri \n query \n headers \n signed headers \n: the canonical request without the payload hash. */
    readonly canonicalPrefix: string,
    readonly signature: string,
    /** The Credential value (header or query form), for callers that read the region from it. */
    readonly credentialText: string,
    /** The checked scope, which keeps the signing key and the string to sign's first lines. */
    readonly credentialScope: CredentialScope<C>,
  ) {}
}

export interface VerifierOptions<C extends SigningSecret> {
  lookup(accessKeyId: string): C | undefined;
  /** Allowed difference between the request's date and the server clock (DynamoDB: 15 minutes). */
  clockSkewSeconds: number;
  /** Signing keys kept (each is one HMAC chain saved); the cache is cleared when it is full. */
  signingKeyCacheEntriesMax?: number;
  /** Parsed Authorization headers kept (by their text without the signature); cleared when full. */
  authorizationCacheEntriesMax?: number;
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
}

/** The canonical request's first three lines for the usual request: POST to / with no query. */
const postToRoot = 'POST\n/\n\n';

const presignedExpiresSecondsMax = 604_800; // 7 days, as for every AWS presigned URL

type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string;
/** crypto.hash (Node 20.12+) hashes without building a Hash object: half the cost of createHash. */
const oneShot = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;
function sha256Hex(data: string | Uint8Array): string {
  return oneShot !== undefined ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

export class SigV4Verifier<C extends SigningSecret> {
  private readonly lookup: (accessKeyId: string) => C | undefined;
  private readonly skewMs: number;
  private readonly skewMinutesText: string;
  private readonly cacheMax: number;
  private readonly now: () => number;
  /** accessKeyId \n date \n region → the derived signing key (HMAC chain of four steps). */
  private readonly signingKeys = new Map<string, HmacSha256Key>();
  /** Parsed Authorization headers and Credential scopes, by their text (they repeat from request to request). */
  private readonly authorizations: AuthorizationHeaderCache;
  private readonly scopes = new Map<string, CredentialScope<C>>();
  /**
   * The last two dates read (requests in the same second share one; around a second's turn
   * requests signed in both arrive interleaved): text, ISO basic form, ms. Only the parse is
   * kept: the window is checked against the clock on every request.
   */
  private dateText0 = '';
  private amzDate0 = '';
  private dateMs0 = NaN;
  private dateText1 = '';
  private amzDate1 = '';
  private dateMs1 = NaN;

  constructor(options: VerifierOptions<C>) {
    this.lookup = options.lookup;
    this.skewMs = options.clockSkewSeconds * 1000;
    this.skewMinutesText = formatMinutes(options.clockSkewSeconds);
    this.cacheMax = options.signingKeyCacheEntriesMax ?? 1024;
    this.now = options.now ?? Date.now;
    this.authorizations = new AuthorizationHeaderCache(options.authorizationCacheEntriesMax);
  }

  /**
   * Checks everything that does not need the body, in DynamoDB's order. `rawQuery` is the part
   * of the URL after '?', undecoded. Throws DynamoError for a request that cannot be valid.
   */
  begin(headers: HeaderSource, method: string, rawPath: string, rawQuery: string): PendingSignature<C> {
    const authorization = headers.getHeader('authorization');
    const presigned = rawQuery.length > 0 && rawQuery.includes('X-Amz-Algorithm=');
    if (presigned && authorization !== '') throw new DynamoError('InvalidSignatureException', messages.bothForms);
    if (presigned) return this.beginQuery(headers, method, rawPath, rawQuery);
    if (authorization === '' || !authorization.trimStart().startsWith('AWS4-')) {
      throw new DynamoError('MissingAuthenticationTokenException', messages.missingToken);
    }
    return this.beginHeader(headers, method, rawPath, rawQuery, authorization);
  }

  /**
   * The access key id a request says it is signed with (the Credential's first part, in either
   * form), or null when it names none: for the log of refused requests, not for verifying.
   */
  accessKeyIdOf(headers: HeaderSource, rawQuery: string): string | null {
    let credentialText: string | undefined;
    if (rawQuery.includes('X-Amz-Credential=')) {
      for (const pair of rawQuery.split('&')) {
        if (pair.startsWith('X-Amz-Credential=')) credentialText = decodeComponent(pair.slice('X-Amz-Credential='.length));
      }
    } else {
      const authorization = headers.getHeader('authorization').trim();
      if (authorization === '') return null;
      const parsed = this.authorizations.parse(authorization);
      credentialText = 'components' in parsed ? parsed.components.credentialText : parsed.credentialText;
    }
    if (!credentialText) return null;
    const slash = credentialText.indexOf('/');
    return slash === -1 ? credentialText : credentialText.slice(0, slash);
  }

  private beginHeader(headers: HeaderSource, method: string, rawPath: string, rawQuery: string, authorization: string): PendingSignature<C> {
    const text = authorization.trim();
    const parsed = this.authorizations.parse(text);
    let dateText = headers.getHeader('x-amz-date');
    const amzDateFromHeader = dateText !== '';
    if (!amzDateFromHeader) dateText = headers.getHeader('date');
    if (!('components' in parsed) || !dateText) {
      const incomplete = 'components' in parsed ? null : parsed;
      let missing = '';
      if (incomplete !== null && !incomplete.credentialText) missing += "Authorization header requires 'Credential' parameter. ";
      if (incomplete !== null && !incomplete.signature) missing += "Authorization header requires 'Signature' parameter. ";
      if (incomplete !== null && incomplete.signedHeaders === undefined) missing += "Authorization header requires 'SignedHeaders' parameter. ";
      if (!dateText) missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
      throw new DynamoError('IncompleteSignatureException', `${missing}Authorization=${text}`);
    }
    const { components, signature } = parsed;
    const amzDate = this.checkDate(dateText);
    if (!components.hostSigned) throw new DynamoError('InvalidSignatureException', messages.hostNotSigned);
    if (components.algorithm !== algorithm) {
      throw new DynamoError('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${components.algorithm}' (only ${algorithm} for now). `);
    }
    const scope = this.checkScope(components.credentialText, amzDate);
    const credential = this.credentialOf(scope);
    // The canonical request but for the payload hash, in one pass over the signed headers.
    let canonical = rawPath === '/' && rawQuery === '' ? (method === 'POST' ? postToRoot : `${method}\n/\n\n`) : `${method}\n${canonicalUri(rawPath)}\n${canonicalQueryString(rawQuery, false)}\n`;
    const names = components.signedHeaderNames;
    const labels = components.headerLabels;
    // X-Amz-Date was read above; the date fallback header is read again like any other.
    const dateAt = amzDateFromHeader ? components.xAmzDateAt : -1;
    for (let i = 0; i < names.length; i++) {
      canonical += labels[i] + canonicalHeaderValue(i === dateAt ? dateText : headers.getHeader(names[i])) + '\n';
    }
    canonical += components.signedHeadersLine;
    return new PendingSignature(credential, amzDate, scope.scope, scope.region, scope.dateStamp, canonical, signature, components.credentialText, scope);
  }

  private beginQuery(headers: HeaderSource, method: string, rawPath: string, rawQuery: string): PendingSignature<C> {
    const params = new Map<string, string>();
    for (const pair of rawQuery.split('&')) {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      if (name.startsWith('X-Amz-')) params.set(name, decodeComponent(eq === -1 ? '' : pair.slice(eq + 1)));
    }
    const alg = params.get('X-Amz-Algorithm') ?? '';
    const credentialText = params.get('X-Amz-Credential');
    const dateText = params.get('X-Amz-Date');
    const expiresText = params.get('X-Amz-Expires');
    const signedHeaders = params.get('X-Amz-SignedHeaders');
    const signature = params.get('X-Amz-Signature');
    if (!credentialText || !dateText || !expiresText || signedHeaders === undefined || !signature) {
      throw new DynamoError(
        'IncompleteSignatureException',
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', " +
          "'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.",
      );
    }
    if (!/^\d{1,6}$/.test(expiresText) || Number(expiresText) > presignedExpiresSecondsMax) {
      throw new DynamoError(
        'IncompleteSignatureException',
        `X-Amz-Expires must be non-negative and at most ${presignedExpiresSecondsMax} seconds (7 days); got '${expiresText}'.`,
      );
    }
    const amzDate = this.checkDate(dateText, Number(expiresText));
    if (!signedHeaders.split(';').includes('host')) throw new DynamoError('InvalidSignatureException', messages.hostNotSigned);
    if (alg !== algorithm) {
      throw new DynamoError('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${alg}' (only ${algorithm} for now). `);
    }
    const scope = this.checkScope(credentialText, amzDate);
    const credential = this.credentialOf(scope);
    let canonical = `${method}\n${canonicalUri(rawPath)}\n${canonicalQueryString(rawQuery, true)}\n`;
    for (const name of signedHeaders.split(';')) canonical += `${name}:${canonicalHeaderValue(headers.getHeader(name))}\n`;
    canonical += `\n${signedHeaders}\n`;
    return new PendingSignature(credential, amzDate, scope.scope, scope.region, scope.dateStamp, canonical, signature, credentialText, scope);
  }

  /**
   * The request's date in ISO 8601 basic format, if it is inside the allowed window. A presigned
   * request (expiresSeconds given) is valid from its date until date + X-Amz-Expires.
   */
  private checkDate(text: string, expiresSeconds?: number): string {
    let amzDate: string;
    let dateMs: number;
    if (text === this.dateText0) {
      amzDate = this.amzDate0;
      dateMs = this.dateMs0;
    } else if (text === this.dateText1) {
      amzDate = this.amzDate1;
      dateMs = this.dateMs1;
    } else {
      const read = readDate(text);
      amzDate = read.amzDate;
      dateMs = read.ms;
      this.dateText1 = this.dateText0;
      this.amzDate1 = this.amzDate0;
      this.dateMs1 = this.dateMs0;
      this.dateText0 = text;
      this.amzDate0 = amzDate;
      this.dateMs0 = dateMs;
    }
    const now = this.now();
    if (expiresSeconds !== undefined) {
      const expiresMs = dateMs + expiresSeconds * 1000;
      if (now > expiresMs) {
        throw new DynamoError(
          'InvalidSignatureException',
          `Signature expired: ${formatIsoBasic(expiresMs)} is now earlier than ${formatIsoBasic(now)} (${amzDate} + ${expiresSeconds} sec.)`,
        );
      }
    } else if (dateMs < now - this.skewMs) {
      throw new DynamoError(
        'InvalidSignatureException',
        `Signature expired: ${amzDate} is now earlier than ${formatIsoBasic(now - this.skewMs)} (${formatIsoBasic(now)} - ${this.skewMinutesText}.)`,
      );
    }
    if (dateMs > now + this.skewMs) {
      throw new DynamoError(
        'InvalidSignatureException',
        `Signature not yet current: ${amzDate} is still later than ${formatIsoBasic(now + this.skewMs)} (${formatIsoBasic(now)} + ${this.skewMinutesText}.)`,
      );
    }
    return amzDate;
  }

  /** The Credential's scope, checked against the request's date: throws DynamoError when it is not valid. */
  private checkScope(text: string, amzDate: string): CredentialScope<C> {
    let scope = this.scopes.get(text);
    if (scope === undefined) {
      scope = parseScope<C>(text);
      if (this.scopes.size >= this.cacheMax) this.scopes.clear();
      this.scopes.set(text, scope);
    }
    let problems = scope.problems;
    // amzDate is 16 characters (checked): its first 8 are its day.
    if (scope.dateStamp.length !== 8 || !amzDate.startsWith(scope.dateStamp)) {
      problems +=
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${scope.dateStamp}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`;
    }
    if (problems) throw new DynamoError('InvalidSignatureException', problems);
    return scope;
  }

  /** The configured secret of the scope's access key, looked up on every request. */
  private credentialOf(scope: CredentialScope<C>): C {
    const credential = this.lookup(scope.accessKeyId);
    if (credential === undefined) throw new DynamoError('UnrecognizedClientException', messages.unrecognizedClient);
    return credential;
  }

  /** Verifies the signature over the whole request; throws DynamoError when it does not match. */
  finish(pending: PendingSignature<C>, body: Uint8Array): void {
    const canonicalRequestHash = sha256Hex(pending.canonicalPrefix + sha256Hex(body));
    const scope = pending.credentialScope;
    const expected = this.signingKeyOf(scope, pending.credential).hex(scope.stringToSignHead(pending.amzDate) + canonicalRequestHash);
    const provided = pending.signature;
    if (!sameHex64(expected, provided)) {
      throw new DynamoError('InvalidSignatureException', messages.signatureMismatch);
    }
    // A session token (X-Amz-Security-Token) is ignored: monodyne issues no temporary
    // credentials, and tools such as dynamodb-admin always send one with a long-term key.
    // Where the client signed it (the SDKs always do), a changed token fails the check above.
  }

  /**
   * The scope's signing key for this credential: kept on the scope with the credential it was
   * derived for, so a repeat needs neither the map's string key nor its lookup.
   */
  private signingKeyOf(scope: CredentialScope<C>, credential: C): HmacSha256Key {
    if (scope.keyCredential !== credential) {
      scope.key = this.signingKey(credential, scope.dateStamp, scope.region);
      scope.keyCredential = credential;
    }
    return scope.key!;
  }

  /** The four-step HMAC chain, computed once per (key, date, region) and cached. */
  private signingKey(credential: C, dateStamp: string, region: string): HmacSha256Key {
    const cacheKey = `${credential.accessKeyId}\n${dateStamp}\n${region}`;
    let key = this.signingKeys.get(cacheKey);
    if (key === undefined) {
      key = new HmacSha256Key(deriveSigningKey(credential.secretAccessKey, dateStamp, region, serviceName));
      if (this.signingKeys.size >= this.cacheMax) this.signingKeys.clear();
      this.signingKeys.set(cacheKey, key);
    }
    return key;
  }

  /** Signing keys currently cached (for tests and metrics). */
  get cachedSigningKeys(): number {
    return this.signingKeys.size;
  }

  /** Parsed Authorization headers (Map and signature-last prefixes) and Credential scopes kept (for tests). */
  get cachedParses(): { authorizations: number; recentPrefixes: number; scopes: number } {
    return { authorizations: this.authorizations.size, recentPrefixes: this.authorizations.recentSize, scopes: this.scopes.size };
  }
}

/** A Credential value taken apart: what does not depend on the request's date, kept by its text. */
export class CredentialScope<C extends SigningSecret> {
  /** The signing key derived for keyCredential (null until the first verified request). */
  key: HmacSha256Key | null = null;
  keyCredential: C | null = null;
  /** `AWS4-HMAC-SHA256\n<date>\n<scope>\n` for the last date signed under this scope. */
  private headDate = '';
  private head = '';

  constructor(
    readonly accessKeyId: string,
    readonly dateStamp: string,
    readonly region: string,
    /** DynamoDB's complaints about the region, service and terminator ('' when none), in its order. */
    readonly problems: string,
    readonly scope: string,
  ) {}

  /** The string to sign but for the canonical request's hash. */
  stringToSignHead(amzDate: string): string {
    if (amzDate !== this.headDate) {
      this.head = `${algorithm}\n${amzDate}\n${this.scope}\n`;
      this.headDate = amzDate;
    }
    return this.head;
  }
}

function parseScope<C extends SigningSecret>(text: string): CredentialScope<C> {
  // Trailing slashes are ignored, as DynamoDB does.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 47) end--;
  const parts = text.slice(0, end).split('/');
  if (parts.length !== 5) {
    throw new DynamoError(
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${text}'`,
    );
  }
  const [accessKeyId, dateStamp, region, service, term] = parts;
  let problems = '';
  if (!isRegionName(region)) problems += `Credential should be scoped to a valid region, not '${region}'. `;
  if (service !== serviceName) problems += `Credential should be scoped to correct service: '${serviceName}'. `;
  if (term !== terminator) problems += `Credential should be scoped with a valid terminator: '${terminator}', not '${term}'. `;
  return new CredentialScope<C>(accessKeyId, dateStamp, region, problems, `${dateStamp}/${region}/${serviceName}/${terminator}`);
}

/** 1 to 64 of a-z, 0-9 and '-'. */
function isRegionName(text: string): boolean {
  if (text.length === 0 || text.length > 64) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false;
  }
  return true;
}

/** YYYYMMDDTHHMMSSZ: 8 digits, T, 6 digits, Z. */
function isIsoBasic(text: string): boolean {
  if (text.length !== 16 || text.charCodeAt(8) !== 84 || text.charCodeAt(15) !== 90) return false;
  for (let i = 0; i < 15; i++) {
    if (i === 8) continue;
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Constant-time over the 64 characters (no early exit), so a guess learns nothing from timing. */
function sameHex64(expected: string, provided: string): boolean {
  if (provided.length !== 64 || expected.length !== 64) return false;
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= expected.charCodeAt(i) ^ provided.charCodeAt(i);
  return diff === 0;
}

export function deriveSigningKey(secretAccessKey: string, dateStamp: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(dateStamp).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(terminator).digest();
}

/** RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a malformed escape is kept as sent, so the signature simply does not match
  }
}

/**
 * The path as sent, each segment encoded once more: the SDKs and botocore sign the encoded
 * path of non-S3 services encoded again. DynamoDB's path is "/".
 */
function canonicalUri(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  return rawPath.split('/').map(uriEncode).join('/');
}

/** Parameters decoded, re-encoded, and sorted by name then value; presigned drops X-Amz-Signature. */
function canonicalQueryString(rawQuery: string, presigned: boolean): string {
  if (rawQuery === '') return '';
  const pairs: string[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    if (presigned && name === 'X-Amz-Signature') continue;
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    pairs.push(`${uriEncode(name)}=${uriEncode(value)}`);
  }
  // Sorted on the (name, value) pair, not on "name=value" text: a name that prefixes another
  // must sort first. Everything is ASCII once encoded, so code-unit order is byte order.
  pairs.sort(comparePairs);
  return pairs.join('&');
}

function comparePairs(a: string, b: string): number {
  const ea = a.indexOf('=');
  const eb = b.indexOf('=');
  const na = a.slice(0, ea);
  const nb = b.slice(0, eb);
  if (na !== nb) return na < nb ? -1 : 1;
  const va = a.slice(ea + 1);
  const vb = b.slice(eb + 1);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/** A signed header's value as the canonical request has it: trimmed, inner whitespace runs collapsed. */
function canonicalHeaderValue(value: string): string {
  value = value.trim();
  // The regular expression only runs for a value that needs it, which SDKs never send.
  if (value.includes('  ') || value.includes('\t')) value = value.replace(/\s+/g, ' ');
  return value;
}

/** A request's date (X-Amz-Date, or Date) in ISO 8601 basic format and in ms; throws DynamoError for one that is neither form. */
function readDate(text: string): { amzDate: string; ms: number } {
  let amzDate = text;
  if (!isIsoBasic(text)) {
    // The Date header may be in HTTP's own format (RFC 7231); X-Amz-Date never is.
    const parsed = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(parsed)) throw notIsoBasic(text);
    amzDate = formatIsoBasic(parsed);
  }
  const ms = parseIsoBasic(amzDate);
  if (Number.isNaN(ms)) throw notIsoBasic(text);
  return { amzDate, ms };
}

function notIsoBasic(text: string): DynamoError {
  return new DynamoError('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${text}'. See http://en.wikipedia.org/wiki/ISO_8601`);
}

/** Milliseconds of a YYYYMMDDTHHMMSSZ text already checked by isIsoBasic; NaN for an impossible date. */
function parseIsoBasic(text: string): number {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  const hour = Number(text.slice(9, 11));
  const minute = Number(text.slice(11, 13));
  const second = Number(text.slice(13, 15));
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Reject a day past the month's end, which Date.UTC would roll over into the next month.
  return new Date(ms).getUTCDate() === day ? ms : NaN;
}

export function formatIsoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function formatMinutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} sec`;
}
