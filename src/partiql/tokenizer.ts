// Splits a PartiQL statement into tokens: identifiers (keywords are identifiers the parser
// recognizes), "quoted identifiers", 'strings', numbers, ? parameters and punctuation. Comments
// (-- to the end of the line, /* ... */) are skipped. Anything the lexer cannot read fails the
// statement with DynamoDB's "wasn't well formed" envelope and nothing after the colon.
import { malformed, type SourcePosition } from './messages.ts';

export type TokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'param' | 'punct' | 'eof';

export interface Token extends SourcePosition {
  readonly kind: TokenKind;
  /** The identifier, the unescaped string or quoted identifier, the number as written, or the punctuation. */
  readonly text: string;
  /** For 'ident': the text in lower case, to compare with keywords. */
  readonly lower: string;
}

// Longest first, so that '<=' is not read as '<' '='.
const punctuation = ['<<', '>>', '<=', '>=', '<>', '!=', '||', '(', ')', '[', ']', '{', '}', ',', '.', ':', '*', '=', '<', '>', '+', '-', '/', '%', ';', '?'];

const int32Max = 2147483647;
const int32Min = -2147483648;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Tokens of `text`, ending with one 'eof' token. Throws DynamoDB's ValidationException on a lexical error. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const length = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const push = (kind: TokenKind, value: string, start: number, end: number) => {
    tokens.push({ kind, text: value, lower: kind === 'ident' ? value.toLowerCase() : value, line, column: start - lineStart + 1, length: end - start });
  };
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      // -- comment to the end of the line
      while (i < length && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw malformed('');
      for (let j = i; j < end; j++) {
        if (text.charCodeAt(j) === 10) {
          line++;
          lineStart = j + 1;
        }
      }
      i = end + 2;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < length && isIdentPart(text.charCodeAt(i))) i++;
      push('ident', text.slice(start, i), start, i);
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const value = quoted(text, i, c);
      i = value.end;
      push(c === 34 ? 'quoted' : 'string', value.text, start, i);
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i = numberEnd(text, i);
      push('number', text.slice(start, i), start, i);
      continue;
    }
    let matched = '';
    for (const p of punctuation) {
      if (text.startsWith(p, i)) {
        matched = p;
        break;
      }
    }
    if (matched === '') throw malformed('');
    i += matched.length;
    push(matched === '?' ? 'param' : 'punct', matched, start, i);
  }
  tokens.push({ kind: 'eof', text: '', lower: '', line, column: i - lineStart + 1, length: 0 });
  return tokens;
}

/** A quoted string or identifier starting at `start`; a doubled quote stands for one. */
function quoted(text: string, start: number, quote: number): { text: string; end: number } {
  let out = '';
  let i = start + 1;
  let chunk = i;
  for (;;) {
    const at = text.indexOf(String.fromCharCode(quote), i);
    if (at < 0) throw malformed('');
    if (text.charCodeAt(at + 1) === quote) {
      out += text.slice(chunk, at + 1);
      i = at + 2;
      chunk = i;
      continue;
    }
    out += text.slice(chunk, at);
    return { text: out, end: at + 1 };
  }
}

/**
 * The end of a number literal (digits, an optional fraction, an optional exponent). As in the
 * Java BigDecimal DynamoDB reads it with, the exponent and the resulting scale must fit a 32-bit
 * integer, or the statement cannot be read at all.
 */
function numberEnd(text: string, start: number): number {
  let i = start;
  let fractionDigits = 0;
  while (isDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 46 /* . */) {
    i++;
    while (isDigit(text.charCodeAt(i))) {
      i++;
      fractionDigits++;
    }
  }
  const e = text.charCodeAt(i);
  if (e !== 101 && e !== 69) return i;
  let j = i + 1;
  let negative = false;
  const sign = text.charCodeAt(j);
  if (sign === 43 || sign === 45) {
    negative = sign === 45;
    j++;
  }
  if (!isDigit(text.charCodeAt(j))) return i; // "1e" is the number 1 and an identifier
  const digitsStart = j;
  while (isDigit(text.charCodeAt(j))) j++;
  const exponent = Number(text.slice(digitsStart, j)) * (negative ? -1 : 1);
  if (exponent > int32Max || exponent < int32Min) throw malformed('');
  const scale = fractionDigits - exponent;
  if (scale > int32Max || scale < int32Min) throw malformed('');
  return j;
}
