// The Authorization header of a SigV4 request, split into its components. A client sends the
// same header again and again but for the signature (same key, scope, region and signed
// headers), so what was parsed is kept by the header's text without its Signature value: a
// repeat costs one scan for the signature and one map lookup. Only well-formed headers are kept;
// a malformed one is parsed in full each time, so every error keeps its exact message.
import { DynamoError } from '../protocol/errors.ts';

/** The components of a well-formed header (the signature aside). */
export class AuthorizationComponents {
  constructor(
    readonly algorithm: string,
    readonly credentialText: string,
    readonly signedHeaders: string,
    /** signedHeaders split on ';' (canonical headers are built from these names, in this order). */
    readonly signedHeaderNames: readonly string[],
    readonly hostSigned: boolean,
  ) {}
}

export interface ParsedAuthorization {
  components: AuthorizationComponents;
  signature: string;
}

/** What a header without some component is missing (DynamoDB lists each, then the header). */
export interface IncompleteAuthorization {
  algorithm: string;
  credentialText: string | undefined;
  signedHeaders: string | undefined;
  signature: string | undefined;
}

const signatureName = 'Signature=';

export class AuthorizationHeaderCache {
  private readonly parsed = new Map<string, AuthorizationComponents>();
  private readonly entriesMax: number;

  constructor(entriesMax = 256) {
    this.entriesMax = entriesMax;
  }

  /**
   * `text` is the trimmed header. Returns the components and signature when all three are there
   * (checked further by the caller), or what is there when one is missing. Throws DynamoError for
   * a component that is not name=value.
   */
  parse(text: string): ParsedAuthorization | IncompleteAuthorization {
    const cut = signatureValue(text);
    if (cut !== null) {
      const key = text.slice(0, cut.start) + text.slice(cut.end);
      // An empty signature is missing: parsed in full for its error.
      const components = cut.end > cut.start ? this.parsed.get(key) : undefined;
      if (components !== undefined) return { components, signature: text.slice(cut.start, cut.end) };
      const full = parseInFull(text);
      if ('components' in full && full.signature === text.slice(cut.start, cut.end)) {
        if (this.parsed.size >= this.entriesMax) this.parsed.clear();
        this.parsed.set(key, full.components);
      }
      return full;
    }
    return parseInFull(text);
  }

  /** Headers kept (for tests). */
  get size(): number {
    return this.parsed.size;
  }
}

/**
 * Where the value of the one `Signature=` component lies, when there is exactly one and it
 * starts a component (after a separator); null otherwise (then nothing is cached).
 */
function signatureValue(text: string): { start: number; end: number } | null {
  const at = text.indexOf(signatureName);
  if (at <= 0 || !isSeparator(text.charCodeAt(at - 1)) || text.indexOf(signatureName, at + 1) !== -1) return null;
  const start = at + signatureName.length;
  let end = start;
  while (end < text.length && !isSeparator(text.charCodeAt(end))) end++;
  return { start, end };
}

/** The separators between components: commas and whitespace (boto3 writes ", "), what /[\s,]/ matches. */
function isSeparator(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return c === 44;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function parseInFull(text: string): ParsedAuthorization | IncompleteAuthorization {
  const space = text.indexOf(' ');
  const algorithm = space === -1 ? text : text.slice(0, space);
  let credentialText: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let from = space === -1 ? text.length : space + 1;
  while (from < text.length) {
    while (from < text.length && isSeparator(text.charCodeAt(from))) from++;
    if (from === text.length) break;
    let to = from;
    while (to < text.length && !isSeparator(text.charCodeAt(to))) to++;
    const part = text.slice(from, to);
    from = to;
    const eq = part.indexOf('=');
    if (eq === -1) {
      throw new DynamoError('IncompleteSignatureException', `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${text}'.`);
    }
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (name === 'Credential') credentialText = value;
    else if (name === 'SignedHeaders') signedHeaders = value;
    else if (name === 'Signature') signature = value;
  }
  if (!credentialText || !signature || signedHeaders === undefined) return { algorithm, credentialText, signedHeaders, signature };
  const names = signedHeaders.split(';');
  return { components: new AuthorizationComponents(algorithm, credentialText, signedHeaders, names, names.includes('host')), signature };
}
