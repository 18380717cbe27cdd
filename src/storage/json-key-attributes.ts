// The key attributes of an item from its DynamoDB JSON text (a page's last item, for its
// LastEvaluatedKey), without parsing the whole item: the top-level members are skipped over until
// every name asked for is found, and only their values are parsed.
import type { AttributeValue, Item } from '../values/types.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * `names`' members of the JSON object text json[start, end), as JSON.parse would give them (a
 * name the object lacks is left out). The text must be a JSON object, as stored items' are.
 */
export function keyAttributesFromJson(json: Buffer, start: number, end: number, names: readonly string[]): Item {
  // Found values by the position of their name in `names`: no object keyed by a name that may be
  // "constructor" or "__proto__" until the key is built.
  const values: Array<AttributeValue | undefined> = new Array<AttributeValue | undefined>(names.length);
  // A member whose name has no escape is read only when its length in bytes is one of these.
  for (let n = 0; n < names.length; n++) nameLengths[n] = Buffer.byteLength(names[n], 'utf8');
  let found = 0;
  let i = skipSpace(json, start, end);
  if (json[i] !== OPEN_BRACE) throw new SyntaxError('an item\'s JSON must be an object');
  i++;
  while (found < names.length) {
    i = skipSpace(json, i, end);
    if (json[i] === CLOSE_BRACE || i >= end) break;
    if (json[i] === COMMA) i = skipSpace(json, i + 1, end);
    const nameEnd = stringEnd(json, i, end);
    const escaped = stringEscaped;
    const wanted = escaped || lengthWanted(nameEnd - i - 2, names.length) ? names.indexOf(nameOf(json, i, nameEnd, escaped)) : -1;
    i = skipSpace(json, nameEnd, end);
    if (json[i] !== COLON) throw new SyntaxError('a member of an item\'s JSON lacks its colon');
    const valueStart = skipSpace(json, i + 1, end);
    const valueEnd = valueEndOf(json, valueStart, end);
    if (wanted !== -1 && values[wanted] === undefined) {
      values[wanted] = keyValueOf(json, valueStart, valueEnd);
      found++;
    }
    i = valueEnd;
  }
  // In the order of `names`, as a key built from the parsed item is.
  const key: Item = {};
  for (let n = 0; n < names.length; n++) {
    const value = values[n];
    if (value === undefined) continue;
    // As JSON.parse makes it: an own property, even one named "__proto__".
    if (names[n] === '__proto__') Object.defineProperty(key, '__proto__', { value, enumerable: true, writable: true, configurable: true });
    else key[names[n]] = value;
  }
  return key;
}

/** The byte lengths of the names asked for (reused: one call at a time on a thread). */
const nameLengths: number[] = [];

function lengthWanted(length: number, count: number): boolean {
  for (let n = 0; n < count; n++) if (nameLengths[n] === length) return true;
  return false;
}

/**
 * A key attribute's value, json[start, end). A key is a string, number or binary: {"S":"…"},
 * {"N":"…"} or {"B":"…"}, read here when written compactly and without escapes (as stored
 * items are); anything else is left to JSON.parse.
 */
function keyValueOf(json: Buffer, start: number, end: number): AttributeValue {
  // {"T":"…"}: 6 bytes before the text, 2 after it.
  if (end - start >= 8 && json[start] === OPEN_BRACE && json[start + 1] === QUOTE && json[start + 3] === QUOTE && json[start + 4] === COLON && json[start + 5] === QUOTE && json[end - 2] === QUOTE && json[end - 1] === CLOSE_BRACE) {
    const textEnd = end - 2;
    let plain = true;
    for (let k = start + 6; k < textEnd; k++) {
      const c = json[k];
      if (c === BACKSLASH || c === QUOTE) {
        plain = false;
        break;
      }
    }
    if (plain) {
      const text = json.toString('utf8', start + 6, textEnd);
      switch (json[start + 2]) {
        case 0x53:
          return { S: text };
        case 0x4e:
          return { N: text };
        case 0x42:
          return { B: text };
      }
    }
  }
  return JSON.parse(json.toString('utf8', start, end)) as AttributeValue;
}

function skipSpace(json: Buffer, i: number, end: number): number {
  while (i < end && (json[i] === 0x20 || json[i] === 0x0a || json[i] === 0x0d || json[i] === 0x09)) i++;
  return i;
}

/** Whether the string stringEnd last walked over holds an escape. */
let stringEscaped = false;

/** Where the string starting at json[i] (its opening quote) ends: after its closing quote. */
function stringEnd(json: Buffer, i: number, end: number): number {
  if (json[i] !== QUOTE) throw new SyntaxError('expected a string in an item\'s JSON');
  stringEscaped = false;
  for (i++; i < end; i++) {
    const c = json[i];
    if (c === BACKSLASH) {
      stringEscaped = true;
      i++;
    } else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('an unterminated string in an item\'s JSON');
}

/** A member name, quotes included in [start, end). */
function nameOf(json: Buffer, start: number, end: number, escaped: boolean): string {
  return escaped ? (JSON.parse(json.toString('utf8', start, end)) as string) : json.toString('utf8', start + 1, end - 1);
}

/** Where the value starting at json[i] ends. */
function valueEndOf(json: Buffer, i: number, end: number): number {
  const first = json[i];
  if (first === QUOTE) return stringEnd(json, i, end);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next delimiter.
    while (i < end && json[i] !== COMMA && json[i] !== CLOSE_BRACE && json[i] !== CLOSE_BRACKET) i++;
    return i;
  }
  let depth = 0;
  for (; i < end; i++) {
    const c = json[i];
    if (c === QUOTE) {
      i = stringEnd(json, i, end) - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new SyntaxError('an unterminated value in an item\'s JSON');
}
