// keyAttributesFromJson against JSON.parse: random items with nested maps and lists, strings
// holding quotes, backslashes, braces and non-ASCII text, key attributes anywhere among the
// members (or missing), read from within a larger buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyAttributesFromJson } from '../../src/storage/json-key-attributes.ts';
import type { AttributeValue, Item } from '../../src/values/types.ts';
import { seededRandom } from '../helpers/prng.ts';

const alphabet = ['a', 'Z', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '€', '😀', '\n', '\u0001'];

function text(next: () => number): string {
  let s = '';
  const length = Math.floor(next() * 12);
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

function value(next: () => number, depth: number): AttributeValue {
  const kind = Math.floor(next() * (depth > 2 ? 4 : 7));
  switch (kind) {
    case 0: return { S: text(next) };
    case 1: return { N: String(Math.floor(next() * 1e6) - 5e5) };
    case 2: return { BOOL: next() < 0.5 };
    case 3: return { NULL: true };
    case 4: return { L: Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1)) };
    case 5: return { SS: Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => text(next) + i) };
    default: {
      const map: Record<string, AttributeValue> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) map[text(next) + i] = value(next, depth + 1);
      return { M: map };
    }
  }
}

test('the key attributes read from an item\'s JSON are those of the parsed item, in the order asked', () => {
  const next = seededRandom(7);
  for (let n = 0; n < 3000; n++) {
    const pick = next();
    // Names of Object.prototype's members among them: read as own attributes, as JSON.parse does.
    const names = pick < 0.25 ? ['pk'] : pick < 0.5 ? ['pk', 'sk'] : pick < 0.75 ? ['s"k\\', 'p€k'] : ['constructor', next() < 0.5 ? '__proto__' : 'toString'];
    const item: Item = {};
    const set = (target: Record<string, AttributeValue>, name: string, value: AttributeValue) => Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
    const members = Math.floor(next() * 6);
    const at = [Math.floor(next() * (members + 1)), Math.floor(next() * (members + 1))];
    for (let i = 0; i <= members; i++) {
      for (let k = 0; k < names.length; k++) if (at[k] === i && next() < 0.95) set(item, names[k], value(next, 1));
      if (i < members) set(item, text(next) + '#' + i, value(next, 0));
    }
    const json = JSON.stringify(item);
    const padding = Math.floor(next() * 5);
    const buffer = Buffer.from('}],"x'.slice(0, padding) + json + '{"'.slice(0, padding % 3), 'utf8');
    const start = Buffer.byteLength('}],"x'.slice(0, padding), 'utf8');
    const expected: Item = {};
    for (const name of names) if (Object.hasOwn(item, name)) set(expected, name, item[name]);
    const got = keyAttributesFromJson(buffer, start, start + Buffer.byteLength(json, 'utf8'), names);
    assert.deepEqual(got, expected, json);
    assert.deepEqual(Object.keys(got), Object.keys(expected), 'in the order of the names');
  }
});
