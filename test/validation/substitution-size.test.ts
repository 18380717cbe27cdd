// The substitution variables' size is the bytes they take in a storage frame, exactly; 2 MB
// of them pass and one byte more is DynamoDB's ValidationException.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame } from '../../src/rings/frame-codec.ts';
import { attributeValueFrameBytes, checkSubstitutionSize, substitutionBytes } from '../../src/validation/substitution-size.ts';
import { normalizeItem } from '../../src/validation/attribute-values.ts';
import { substitutionBytesMax } from '../../src/limits.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import type { AttributeValue, Item } from '../../src/values/types.ts';

const values: Record<string, unknown> = {
  ':empty': { S: '' },
  ':short': { S: 'abc' },
  ':23': { S: 'x'.repeat(23) },
  ':24': { S: 'x'.repeat(24) },
  ':255': { S: 'x'.repeat(255) },
  ':256': { S: 'x'.repeat(256) },
  ':65535': { S: 'x'.repeat(65535) },
  ':65536': { S: 'x'.repeat(65536) },
  ':utf8': { S: 'é€😀\u0001\ud800'.repeat(3000) },
  ':number': { N: '1E-130' },
  ':negative': { N: '-12.50e3' },
  ':binary': { B: Buffer.alloc(1000, 7).toString('base64') },
  ':bool': { BOOL: false },
  ':null': { NULL: true },
  ':ss': { SS: ['a', 'b'.repeat(300), ''] },
  ':ns': { NS: Array.from({ length: 30 }, (_, i) => `${i + 1}E-130`) },
  ':bs': { BS: ['AAAA', 'AQID'] },
  ':list': { L: Array.from({ length: 300 }, (_, i) => (i % 2 ? { NULL: true } : { L: [{ S: 'in' }, { M: {} }] })) },
  ':map': { M: Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, { N: String(i) }])) },
  ':nested': { M: { '\u0001': { L: [{ M: { a: { SS: ['x'] } } }] }, 'é': { BOOL: true } } },
};

test('each value counts exactly the bytes of its CBOR frame encoding', () => {
  const normalized = normalizeItem(values, 'ExpressionAttributeValues');
  for (const [key, av] of Object.entries(normalized)) {
    assert.equal(attributeValueFrameBytes(av), encodeFrame(av).length, key);
  }
  // The whole map: every placeholder and value, plus the map's own header in a frame.
  const names = { '#a': 'a', '#long': 'n'.repeat(300), '#ctrl': '\u0001\u0002' };
  assert.equal(substitutionBytes(names, undefined) + 1, encodeFrame(names).length);
  assert.equal(substitutionBytes(undefined, normalized) + 1, encodeFrame(normalized).length);
});

test('2 MB of substitution variables pass; one byte more is refused with DynamoDB\'s error type', () => {
  // ":v" (3 bytes), the value's map and type name (3), the string's 5-byte header, then its bytes.
  const overhead = 3 + 3 + 5;
  const at = (n: number): Item => ({ ':v': { S: 'v'.repeat(n) } });
  assert.equal(substitutionBytes(undefined, at(substitutionBytesMax - overhead)), substitutionBytesMax);
  assert.doesNotThrow(() => checkSubstitutionSize(undefined, at(substitutionBytesMax - overhead)));
  assert.throws(
    () => checkSubstitutionSize(undefined, at(substitutionBytesMax - overhead + 1)),
    (e: unknown) =>
      e instanceof DynamoError &&
      e.kind.name === 'ValidationException' &&
      e.message === `Expression attribute names and values size has exceeded the maximum allowed size; size: ${substitutionBytesMax + 1}`,
  );
  // Names count too.
  assert.throws(() => checkSubstitutionSize({ '#n': 'n'.repeat(substitutionBytesMax) }, undefined), /size: 2097160/);
  assert.doesNotThrow(() => checkSubstitutionSize(undefined, undefined));
});

test('a 400 KB item as a value passes unless it is one that expands (lists of NULLs past ~300,000, numbers like 1E-130)', () => {
  const nulls = (n: number): Item => normalizeItem({ ':v': { L: Array.from({ length: n }, () => ({ NULL: true })) } }, 'ExpressionAttributeValues');
  assert.doesNotThrow(() => checkSubstitutionSize(undefined, nulls(204_790)));
  assert.throws(() => checkSubstitutionSize(undefined, nulls(700_000)), /has exceeded the maximum allowed size/);
  const text: Item = { ':v': { S: '\u0001'.repeat(409_000) } };
  assert.doesNotThrow(() => checkSubstitutionSize(undefined, text));
  const numbers = normalizeItem({ ':v': { L: Array.from({ length: 100_000 }, (): AttributeValue => ({ N: '1E-130' })) } }, 'ExpressionAttributeValues');
  assert.throws(() => checkSubstitutionSize(undefined, numbers), /has exceeded the maximum allowed size/);
});
