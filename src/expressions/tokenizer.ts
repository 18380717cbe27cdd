// Splits an expression string into tokens with one pass over its character codes.
// DynamoDB's lexer rules: a name starts with a letter and continues with letters, digits
// and '_'; '#alias' and ':value' continue with letters, digits and '_'; any other character
// is a token of its own (which the parser then rejects as a syntax error).

export enum TokenKind {
  Name,
  Alias,
  ValueRef,
  Number,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Dot,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Plus,
  Minus,
  Unknown,
  Eof,
}

export interface Token {
  readonly kind: TokenKind;
  /** Offset of the first character in the expression. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  readonly text: string;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isNamePart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Tokenizes `text`; the result always ends with one Eof token. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (isLetter(c)) {
      i++;
      while (i < length && isNamePart(text.charCodeAt(i))) i++;
      kind = TokenKind.Name;
    } else if (c === 35 /* # */ || c === 58 /* : */) {
      i++;
      while (i < length && isNamePart(text.charCodeAt(i))) i++;
      kind = i === start + 1 ? TokenKind.Unknown : c === 35 ? TokenKind.Alias : TokenKind.ValueRef;
    } else if (isDigit(c)) {
      i++;
      while (i < length && isDigit(text.charCodeAt(i))) i++;
      kind = TokenKind.Number;
    } else {
      i++;
      switch (c) {
        case 40: kind = TokenKind.LParen; break;
        case 41: kind = TokenKind.RParen; break;
        case 91: kind = TokenKind.LBracket; break;
        case 93: kind = TokenKind.RBracket; break;
        case 44: kind = TokenKind.Comma; break;
        case 46: kind = TokenKind.Dot; break;
        case 61: kind = TokenKind.Eq; break;
        case 43: kind = TokenKind.Plus; break;
        case 45: kind = TokenKind.Minus; break;
        case 60: { // <
          const next = text.charCodeAt(i);
          if (next === 61) { i++; kind = TokenKind.Le; }
          else if (next === 62) { i++; kind = TokenKind.Ne; }
          else kind = TokenKind.Lt;
          break;
        }
        case 62: { // >
          if (text.charCodeAt(i) === 61) { i++; kind = TokenKind.Ge; }
          else kind = TokenKind.Gt;
          break;
        }
        default:
          // Keep a surrogate pair together so the error message shows the whole character.
          if (c >= 0xd800 && c <= 0xdbff && i < length) {
            const low = text.charCodeAt(i);
            if (low >= 0xdc00 && low <= 0xdfff) i++;
          }
          kind = TokenKind.Unknown;
      }
    }
    tokens.push({ kind, start, end: i, text: text.slice(start, i) });
  }
  tokens.push({ kind: TokenKind.Eof, start: length, end: length, text: '<EOF>' });
  return tokens;
}

/**
 * DynamoDB's syntax error text: the offending token, and the expression from the token
 * before it to the token after it ("near").
 */
export function syntaxErrorMessage(text: string, tokens: readonly Token[], index: number): string {
  const token = tokens[index]!;
  const from = index > 0 ? tokens[index - 1]!.start : token.start;
  let to: number;
  if (token.kind === TokenKind.Eof) to = index > 0 ? tokens[index - 1]!.end : 0;
  else {
    const next = tokens[index + 1]!;
    to = next.kind === TokenKind.Eof ? token.end : next.end;
  }
  return `Syntax error; token: "${token.text}", near: "${text.slice(from, to)}"`;
}
