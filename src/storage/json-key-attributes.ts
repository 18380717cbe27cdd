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
  // No prototype: a key attribute may be named "constructor" or "toString".
  const values: Item = Object.create(null) as Item;
  let found = 0;
  let i = skipSpace(json, start, end);
  if (json[i] !== OPEN_BRACE) throw new SyntaxError('an item\'s JSON must be an object');
  i++;
  while (found < names.length) {
    i = skipSpace(json, i, end);
    if (json[i] === CLOSE_BRACE || i >= end) break;
    if (json[i] === COMMA) i = skipSpace(json, i + 1, end);
    const nameEnd = stringEnd(json, i, end);
    const name = nameOf(json, i, nameEnd);
    i = skipSpace(json, nameEnd, end);
    if (json[i] !== COLON) throw new SyntaxError('a member of an item\'s JSON lacks its colon');
    const valueStart = skipSpace(json, i + 1, end);
    const valueEnd = valueEndOf(json, valueStart, end);
    if (names.includes(name) && !Object.hasOwn(values, name)) {
      values[name] = JSON.parse(json.toString('utf8', valueStart, valueEnd)) as AttributeValue;
      found++;
    }
    i = valueEnd;
  }
  // In the order of `names`, as a key built from the parsed item is.
  const key: Item = {};
  for (const name of names) {
    if (!Object.hasOwn(values, name)) continue;
    // As JSON.parse makes it: an own property, even one named "__proto__".
    if (name === '__proto__') Object.defineProperty(key, name, { value: values[name], enumerable: true, writable: true, configurable: true });
    else key[name] = values[name];
  }
  return key;
}

function skipSpace(json: Buffer, i: number, end: number): number {
  while (i < end && (json[i] === 0x20 || json[i] === 0x0a || json[i] === 0x0d || json[i] === 0x09)) i++;
  return i;
}

/** Where the string starting at json[i] (its opening quote) ends: after its closing quote. */
function stringEnd(json: Buffer, i: number, end: number): number {
  if (json[i] !== QUOTE) throw new SyntaxError('expected a string in an item\'s JSON');
  for (i++; i < end; i++) {
    const c = json[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('an unterminated string in an item\'s JSON');
}

/** A member name, quotes included in [start, end). */
function nameOf(json: Buffer, start: number, end: number): string {
  for (let i = start + 1; i < end - 1; i++) {
    if (json[i] === BACKSLASH) return JSON.parse(json.toString('utf8', start, end)) as string;
  }
  return json.toString('utf8', start + 1, end - 1);
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
