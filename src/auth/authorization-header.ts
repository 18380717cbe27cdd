// The Authorization header of a SigV4 request, split into its components. A client sends the
// same header again and again but for the signature (same key, scope, region and signed
// headers), so what was parsed is kept by the header's text without its Signature value. The
// usual header ends with `Signature=<hex>`: its prefix up to there is compared with the few
// prefixes seen last, with no hashing of the ~200 characters (a Map lookup of a fresh string
// hashes all of them, ~0.3 µs); any other header goes through the Map. Only well-formed
// headers are kept; a malformed one is parsed in full each time, so every error keeps its
// exact message.
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
  ) {
    const labels: string[] = [];
    for (const name of signedHeaderNames) labels.push(`${name}:`);
    this.headerLabels = labels;
    this.signedHeadersLine = `\n${signedHeaders}\n`;
    this.xAmzDateAt = signedHeaderNames.indexOf('x-amz-date');
  }

  /** `name:` for each signed header: the canonical request's lines start with these. */
  readonly headerLabels: readonly string[];
  /** The canonical request's part after the header lines: a blank line, the signed headers, '\n'. */
  readonly signedHeadersLine: string;
  /** Where x-amz-date is among the signed headers (-1: not signed), so its value is read once. */
  readonly xAmzDateAt: number;
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

/** A header that ended with `Signature=<hex>`: its text up to and including `Signature=`. */
class SignatureLastPrefix {
  constructor(
    readonly prefix: string,
    readonly components: AuthorizationComponents,
  ) {}
}

/** Prefixes compared one by one before the Map: a handful of clients (or SDK header sets) at once. */
const recentPrefixesMax = 4;

export class AuthorizationHeaderCache {
  private readonly parsed = new Map<string, AuthorizationComponents>();
  private readonly entriesMax: number;
  private readonly recent: SignatureLastPrefix[] = [];
  private recentNext = 0;

  constructor(entriesMax = 256) {
    this.entriesMax = entriesMax;
  }

  /**
   * `text` is the trimmed header. Returns the components and signature when all three are there
   * (checked further by the caller), or what is there when one is missing. Throws DynamoError for
   * a component that is not name=value.
   */
  parse(text: string): ParsedAuthorization | IncompleteAuthorization {
    // A prefix P was kept from a header P + S where P held the one `Signature=` (at its end) and
    // S ran to the end. For text = P + H with H non-empty lower-case hex (no separator, no 'S'),
    // the full parse finds that same one `Signature=`, the same other components, and H: so the
    // kept components are exactly what it would return.
    const hexFrom = lowerHexTailStart(text);
    if (hexFrom < text.length) {
      const recent = this.recent;
      for (let i = 0; i < recent.length; i++) {
        const entry = recent[i];
        if (entry.prefix.length === hexFrom && text.slice(0, hexFrom) === entry.prefix) {
          return { components: entry.components, signature: text.slice(hexFrom) };
        }
      }
    }
    const cut = signatureValue(text);
    if (cut !== null) {
      const key = text.slice(0, cut.start) + text.slice(cut.end);
      // An empty signature is missing: parsed in full for its error.
      let components = cut.end > cut.start ? this.parsed.get(key) : undefined;
      let parsed: ParsedAuthorization | IncompleteAuthorization;
      if (components !== undefined) parsed = { components, signature: text.slice(cut.start, cut.end) };
      else {
        parsed = parseInFull(text);
        if (!('components' in parsed) || parsed.signature !== text.slice(cut.start, cut.end)) return parsed;
        components = parsed.components;
        if (this.parsed.size >= this.entriesMax) this.parsed.clear();
        this.parsed.set(key, components);
      }
      if (cut.end === text.length && cut.start === hexFrom) this.remember(new SignatureLastPrefix(key, components));
      return parsed;
    }
    return parseInFull(text);
  }

  private remember(entry: SignatureLastPrefix): void {
    if (this.recent.length < recentPrefixesMax) this.recent.push(entry);
    else this.recent[this.recentNext] = entry;
    this.recentNext = (this.recentNext + 1) % recentPrefixesMax;
  }

  /** Headers kept in the Map (for tests). */
  get size(): number {
    return this.parsed.size;
  }

  /** Signature-last prefixes kept for the fast comparison (for tests). */
  get recentSize(): number {
    return this.recent.length;
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

/** Where the run of [0-9a-f] that ends the text starts (text.length when it ends otherwise). */
function lowerHexTailStart(text: string): number {
  let i = text.length;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) break;
    i--;
  }
  return i;
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
