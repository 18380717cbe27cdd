import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoError } from '../../src/protocol/errors.ts';
import {
  attributeValueSizeBytes,
  checkItemSize,
  extractKey,
  itemSizeBytes,
  normalizeAttributeValue,
  normalizeItem,
  utf8ByteLength,
  validateItemKeyAttributes,
  validateKey,
  type AttributeDefinition,
  type Item,
  type KeySchemaElement,
} from '../../src/validation/attribute-values.ts';

const invalid = 'One or more parameter values were invalid: ';

function throwsDynamo(fn: () => unknown, kind: string, message: string | RegExp, label = ''): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DynamoError, `a DynamoError ${label}`);
    assert.equal(error.kind.name, kind, `${label}: ${error.message}`);
    if (typeof message === 'string') assert.equal(error.message, message, label);
    else assert.match(error.message, message, label);
    return true;
  }, label);
}
const throwsValidation = (fn: () => unknown, message: string | RegExp, label = '') => throwsDynamo(fn, 'ValidationException', message, label);
const throwsSerialization = (fn: () => unknown, message: string | RegExp, label = '') => throwsDynamo(fn, 'SerializationException', message, label);

function nest(depth: number, leaf: unknown, kind: 'M' | 'L' = 'M'): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'M' ? { M: { n: v } } : { L: [v] };
  return v;
}

test('AttributeValue validation messages', () => {
  const cases: Array<[unknown, string]> = [
    [{}, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ a: '' }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ S: null }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ M: { a: {} } }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ L: [{}] }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ L: [{ a: {} }] }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ L: [null] }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    [{ S: 'a', N: '1' }, 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes'],
    [{ BOOL: true, NULL: true }, 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes'],
    [{ S: '', N: '' }, 'The parameter cannot be converted to a numeric value: '],
    [{ S: 'a', N: 'b' }, 'The parameter cannot be converted to a numeric value: b'],
    [{ NULL: false }, invalid + 'Null attribute value types must have the value of true'],
    [{ SS: [] }, invalid + 'An string set  may not be empty'],
    [{ NS: [] }, invalid + 'An number set  may not be empty'],
    [{ BS: [] }, invalid + 'Binary sets should not be empty'],
    [{ SS: ['a', 'a'] }, invalid + 'Input collection ["a", "a"] contains duplicates.'],
    [{ SS: ['', ''] }, invalid + 'Input collection ["", ""] contains duplicates.'],
    [{ SS: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'a'] }, invalid + 'Input collection ["a", "b", "c", "d", "e", "f", "g", "h", "i", "a"] contains duplicates.'],
    [{ BS: ['Yg==', 'Yg=='] }, invalid + 'Input collection ["Yg==","Yg=="]of type BS contains duplicates.'],
    [{ NS: ['1', '1'] }, invalid + 'Input collection contains duplicates.'],
    [{ NS: ['1', '1.0'] }, invalid + 'Input collection contains duplicates.'],
    [{ NS: ['1', ''] }, 'The parameter cannot be converted to a numeric value: '],
    [{ NS: ['1', 'b'] }, 'The parameter cannot be converted to a numeric value: b'],
    [{ N: '123456789012345678901234567890123456789' }, 'Attempting to store more than 38 significant digits in a Number'],
    [{ N: '-1.23456789012345678901234567890123456789' }, 'Attempting to store more than 38 significant digits in a Number'],
    [{ N: '1e126' }, 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
    [{ N: '-1e126' }, 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
    [{ N: '1e-131' }, 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    [{ N: '-1e-131' }, 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    [{ M: { x: { NS: ['2', '2.00'] } } }, invalid + 'Input collection contains duplicates.'],
    [nest(32, { S: 'leaf' }), 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit'],
    [nest(32, { N: '1' }, 'L'), 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit'],
  ];
  for (const [av, message] of cases) {
    throwsValidation(() => normalizeAttributeValue(av), message, JSON.stringify(av).slice(0, 80));
    throwsValidation(() => normalizeItem({ k: { S: 'x' }, a: av }, 'Item'), message, JSON.stringify(av).slice(0, 80));
  }
  // 31 wraps put the leaf at level 32: the deepest DynamoDB accepts.
  assert.ok(normalizeAttributeValue(nest(31, { S: 'leaf' })));
  assert.ok(normalizeAttributeValue(nest(31, { N: '1' }, 'L')));
  assert.ok(normalizeAttributeValue(nest(31, { M: {} })));
});

test('wire type and base64 errors are SerializationExceptions', () => {
  const cases: Array<[unknown, string]> = [
    [{ S: 5 }, 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String'],
    [{ N: 5 }, 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String'],
    [{ S: true }, 'class java.lang.Boolean can not be converted to an String'],
    [{ S: [] }, 'Start of list found where not expected'],
    [{ S: {} }, 'Start of structure or map found where not expected.'],
    [{ BOOL: 'yes' }, "'YES' can not be converted to an Boolean"],
    [{ BOOL: 1 }, 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an Boolean'],
    [{ NULL: 'no' }, "'NO' can not be converted to an Boolean"],
    [{ L: 'x' }, 'Expected list or null'],
    [{ L: {} }, 'Start of structure or map found where not expected.'],
    [{ SS: 'a' }, 'Expected list or null'],
    [{ SS: [1] }, 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String'],
    [{ M: [] }, 'Start of list found where not expected'],
    [{ M: 'x' }, 'Expected map or null'],
    [{ B: 5 }, 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob'],
    [{ B: 'abc' }, "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"],
    [{ B: 'YQ' }, "'YQ' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 2"],
    [{ B: 'ab$=' }, "'ab$=' can not be converted to a Blob: Invalid Base64 character: '$'"],
    [{ B: 'a=bc' }, "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='"],
    [{ B: 'YR==' }, "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"],
    [{ B: 'YWJ=' }, "'YWJ=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"],
    [{ BS: ['YQ==', 'x'] }, "'x' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 1"],
    ['x', 'Expected null'],
    [[], 'Start of list found where not expected'],
  ];
  for (const [av, message] of cases) {
    throwsSerialization(() => normalizeAttributeValue(av), message, JSON.stringify(av));
    throwsSerialization(() => normalizeItem({ a: av }, 'Item'), message, JSON.stringify(av));
  }
  // A serialization error anywhere in the request wins over a validation error before it.
  throwsSerialization(() => normalizeItem({ a: { SS: [] }, b: { M: { c: { S: 5 } } } }, 'Item'), /TruncatingBigNumber/);
  throwsSerialization(() => normalizeAttributeValue({ L: [{ NS: [] }, { B: 'x' }] }), /Base64 encoded length/);
  throwsSerialization(() => normalizeItem([], 'Item'), 'Start of list found where not expected');
  throwsSerialization(() => normalizeItem('x', 'Item'), 'Expected map or null');
  throwsValidation(() => normalizeItem(null, 'Item'), "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null");
});

test('normalization canonicalizes numbers and drops what is not data', () => {
  const item = normalizeItem({
    n: { N: '01.50' },
    ns: { NS: ['1e2', '-0', '3.0'] },
    deep: { M: { l: { L: [{ N: '+5' }, { M: { x: { N: '1E-3' } } }, { NS: ['7'] }] } } },
    s: { S: '', N: null, extra: 'ignored' },
    b: { B: '' },
    bs: { BS: ['', 'YQ=='] },
    ss: { SS: ['', 'a'] },
    bool: { BOOL: false },
    nul: { NULL: true },
    empty: { M: {} },
    list: { L: [] },
  }, 'Item');
  assert.deepEqual(item, {
    n: { N: '1.5' },
    ns: { NS: ['100', '0', '3'] },
    deep: { M: { l: { L: [{ N: '5' }, { M: { x: { N: '0.001' } } }, { NS: ['7'] }] } } },
    s: { S: '' },
    b: { B: '' },
    bs: { BS: ['', 'YQ=='] },
    ss: { SS: ['', 'a'] },
    bool: { BOOL: false },
    nul: { NULL: true },
    empty: { M: {} },
    list: { L: [] },
  });
  const input = JSON.parse('{"__proto__": {"S": "x"}, "m": {"M": {"__proto__": {"N": "1.0"}}}}');
  const normalized = normalizeItem(input, 'Item');
  assert.deepEqual(Object.keys(normalized), ['__proto__', 'm']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(normalized, '__proto__')?.value, { S: 'x' });
  assert.equal(Object.getPrototypeOf(normalized), Object.prototype);
  const inner = (normalized.m as { M: Record<string, unknown> }).M;
  assert.deepEqual(Object.getOwnPropertyDescriptor(inner, '__proto__')?.value, { N: '1' });
});

test('ExpressionAttributeValues errors name the value', () => {
  throwsValidation(() => normalizeItem({ ':a': { S: 'x' }, ':b': {} }, 'ExpressionAttributeValues'),
    'ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :b');
  throwsValidation(() => normalizeItem({ ':b': { SS: ['a', 'a'] } }, 'ExpressionAttributeValues'),
    'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: Input collection ["a", "a"] contains duplicates. for key :b');
  throwsValidation(() => normalizeItem({ ':n': { N: 'x' } }, 'ExpressionAttributeValues'),
    'ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: x for key :n');
});

test('item size follows the documented rules', () => {
  // Developer Guide example: "shirt-color" = "R", "shirt-size" = "M" is 23 bytes.
  assert.equal(itemSizeBytes({ 'shirt-color': { S: 'R' }, 'shirt-size': { S: 'M' } }), 23);
  const cases: Array<[Item, number]> = [
    [{ id: { S: 'abc' }, n: { N: '12345' }, flag: { BOOL: true }, l: { L: [{ S: 'xy' }] } }, 22],
    [{ a: { NULL: true } }, 2],
    [{ a: { B: 'AAEC' } }, 4], // 3 raw bytes
    [{ a: { B: 'YQ==' } }, 2],
    [{ a: { B: '' } }, 1],
    [{ a: { S: 'é€😀' } }, 1 + 2 + 3 + 4],
    [{ é: { S: '' } }, 2],
    [{ a: { N: '-27' } }, 4],
    [{ a: { SS: ['ab', 'c'] } }, 4],
    [{ a: { NS: ['27', '461'] } }, 1 + 2 + 3],
    [{ a: { BS: ['YQ==', 'AAEC'] } }, 1 + 1 + 3],
    [{ a: { L: [] } }, 4],
    [{ a: { M: {} } }, 4],
    [{ a: { M: { bc: { S: 'd' }, e: { NULL: true } } } }, 1 + 3 + (1 + 2 + 1) + (1 + 1 + 1)],
    [{ a: { L: [{ L: [{ BOOL: false }] }] } }, 1 + 3 + 1 + (3 + 1 + 1)],
  ];
  for (const [item, size] of cases) assert.equal(itemSizeBytes(item), size, JSON.stringify(item));
  assert.equal(attributeValueSizeBytes({ N: '1'.repeat(38) + '0'.repeat(88) }), 20);
  const long = 'x'.repeat(100) + 'é'.repeat(100) + '😀'.repeat(10);
  assert.equal(utf8ByteLength(long), Buffer.byteLength(long));
  for (const s of ['', 'a', '\u07ff', '\u0800', '\uffff', '\ud83d', '\ud83d\ude00', 'a\udc00b']) {
    assert.equal(utf8ByteLength(s), Buffer.byteLength(s), JSON.stringify(s));
  }

  // The 400 KB boundary, as dynalite measured it against DynamoDB.
  const max = 400 * 1024;
  const keyText = 'k1234';
  checkItemSize({ a: { S: keyText }, b: { S: 'a'.repeat(max - keyText.length - 2) } });
  throwsValidation(() => checkItemSize({ a: { S: keyText }, b: { S: 'a'.repeat(max - keyText.length - 1) } }),
    'Item size has exceeded the maximum allowed size');
  const c = '1'.repeat(38) + '0'.repeat(88);
  throwsValidation(() => checkItemSize({ a: { S: keyText }, b: { S: 'a'.repeat(max - keyText.length - 1 - 1 - 20) }, c: { N: c } }),
    'Item size has exceeded the maximum allowed size');
  checkItemSize({ a: { S: keyText }, b: { S: 'a'.repeat(max - keyText.length - 1 - 1 - 21) }, c: { N: c } });
});

const hashSchema: KeySchemaElement[] = [{ AttributeName: 'a', KeyType: 'HASH' }];
const hashDefinitions: AttributeDefinition[] = [{ AttributeName: 'a', AttributeType: 'S' }];
const rangeSchema: KeySchemaElement[] = [{ AttributeName: 'a', KeyType: 'HASH' }, { AttributeName: 'b', KeyType: 'RANGE' }];
const rangeDefinitions: AttributeDefinition[] = [{ AttributeName: 'a', AttributeType: 'S' }, { AttributeName: 'b', AttributeType: 'N' }];
const binarySchema: KeySchemaElement[] = [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }];
const binaryDefinitions: AttributeDefinition[] = [{ AttributeName: 'pk', AttributeType: 'B' }, { AttributeName: 'sk', AttributeType: 'B' }];

test('validateKey', () => {
  const mismatch = 'The provided key element does not match the schema';
  for (const key of [{}, { b: { S: 'a' } }, { a: { B: 'abcd' } }, { a: { N: '1' } }, { a: { BOOL: true } }, { a: { NULL: true } },
    { a: { SS: ['a'] } }, { a: { NS: ['1'] } }, { a: { BS: ['aaaa'] } }, { a: { M: {} } }, { a: { L: [] } }, { a: { S: 'a' }, c: { S: 'x' } }]) {
    throwsValidation(() => validateKey(key, hashSchema, hashDefinitions), mismatch, JSON.stringify(key));
  }
  throwsValidation(() => validateKey({ a: { S: 'a' } }, rangeSchema, rangeDefinitions), mismatch);
  throwsValidation(() => validateKey({ a: { S: 'a' }, b: { S: '1' } }, rangeSchema, rangeDefinitions), mismatch);
  assert.deepEqual(validateKey({ a: { S: 'a' }, b: { N: '1.50' } }, rangeSchema, rangeDefinitions), { a: { S: 'a' }, b: { N: '1.5' } });
  // Attribute values are validated before the schema.
  throwsValidation(() => validateKey({ a: {} }, hashSchema, hashDefinitions), /Supplied AttributeValue is empty/);
  throwsValidation(() => validateKey({ a: { S: 'a' }, b: { N: 'x' } }, rangeSchema, rangeDefinitions), 'The parameter cannot be converted to a numeric value: x');
  throwsValidation(() => validateKey(null, hashSchema, hashDefinitions), "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null");
  throwsValidation(() => validateKey({ a: { S: '' } }, hashSchema, hashDefinitions),
    'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: a');
  throwsValidation(() => validateKey({ pk: { B: 'YQ==' }, sk: { B: '' } }, binarySchema, binaryDefinitions),
    'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: sk');
  throwsValidation(() => validateKey({ a: { S: 'é'.repeat(1024) + 'x' } }, hashSchema, hashDefinitions),
    invalid + 'Size of hashkey has exceeded the maximum size limit of2048 bytes');
  validateKey({ a: { S: 'é'.repeat(1024) } }, hashSchema, hashDefinitions);
  const kilobyte = Buffer.alloc(1024, 7).toString('base64');
  const overKilobyte = Buffer.alloc(1025, 7).toString('base64');
  validateKey({ pk: { B: Buffer.alloc(2048).toString('base64') }, sk: { B: kilobyte } }, binarySchema, binaryDefinitions);
  throwsValidation(() => validateKey({ pk: { B: 'YQ==' }, sk: { B: overKilobyte } }, binarySchema, binaryDefinitions),
    invalid + 'Aggregated size of all range keys has exceeded the size limit of 1024 bytes');
});

test('validateItemKeyAttributes (PutItem) and extractKey', () => {
  throwsValidation(() => validateItemKeyAttributes({ a: { S: 'a' } }, rangeSchema, rangeDefinitions), invalid + 'Missing the key b in the item');
  throwsValidation(() => validateItemKeyAttributes({ b: { N: '1' } }, rangeSchema, rangeDefinitions), invalid + 'Missing the key a in the item');
  throwsValidation(() => validateItemKeyAttributes({ a: { N: '5' } }, hashSchema, hashDefinitions), invalid + 'Type mismatch for key a expected: S actual: N');
  throwsValidation(() => validateItemKeyAttributes({ a: { L: [{ S: 'x' }] } }, hashSchema, hashDefinitions), invalid + 'Type mismatch for key a expected: S actual: L');
  throwsValidation(() => validateItemKeyAttributes({ a: { S: 'x' }, b: { S: '1' } }, rangeSchema, rangeDefinitions), invalid + 'Type mismatch for key b expected: N actual: S');
  throwsValidation(() => validateItemKeyAttributes({ a: { S: '' }, b: { N: '1' } }, rangeSchema, rangeDefinitions),
    'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: a');
  throwsValidation(() => validateItemKeyAttributes({ pk: { B: '' }, sk: { B: 'YQ==' } }, binarySchema, binaryDefinitions),
    'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk');
  throwsValidation(() => validateItemKeyAttributes({ a: { S: 'x'.repeat(2049) } }, hashSchema, hashDefinitions),
    invalid + 'Size of hashkey has exceeded the maximum size limit of2048 bytes');
  assert.deepEqual(validateItemKeyAttributes({ a: { S: 'x' }, b: { N: '2' }, c: { S: 'other' } }, rangeSchema, rangeDefinitions), { a: { S: 'x' }, b: { N: '2' } });

  assert.deepEqual(extractKey({ a: { S: 'x' }, b: { N: '2' }, c: { S: 'other' } }, rangeSchema, rangeDefinitions), { a: { S: 'x' }, b: { N: '2' } });
  throwsValidation(() => extractKey({ a: { S: 'a' } }, rangeSchema, rangeDefinitions), 'The provided key element does not match the schema');
  throwsValidation(() => extractKey({ a: { N: '1' } }, hashSchema, hashDefinitions), 'The provided key element does not match the schema');
});
