import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoError } from '../../src/protocol/errors.ts';
import {
  addNumbers,
  canonicalNumber,
  compareNumbers,
  formatNumber,
  numberSizeBytes,
  parseNumber,
  subtractNumbers,
} from '../../src/values/number.ts';

const overflow = 'Number overflow. Attempting to store a number with magnitude larger than supported range';
const underflow = 'Number underflow. Attempting to store a number with magnitude smaller than supported range';
const precision = 'Attempting to store more than 38 significant digits in a Number';

function throwsValidation(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DynamoError, 'a DynamoError');
    assert.equal(error.kind.name, 'ValidationException');
    assert.equal(error.message, message);
    return true;
  });
}

test('parseNumber normalizes to sign, digits, exponent', () => {
  const cases: Array<[string, -1 | 0 | 1, string, number]> = [
    ['0', 0, '', 0],
    ['-0', 0, '', 0],
    ['+0', 0, '', 0],
    ['0.000', 0, '', 0],
    ['0e1000', 0, '', 0],
    ['1', 1, '1', 0],
    ['+1', 1, '1', 0],
    ['-1', -1, '1', 0],
    ['1.0', 1, '1', 0],
    ['01.50', 1, '15', 0],
    ['100', 1, '1', 2],
    ['1e2', 1, '1', 2],
    ['1E+2', 1, '1', 2],
    ['.5', 1, '5', -1],
    ['5.', 1, '5', 0],
    ['0.000001', 1, '1', -6],
    ['-17.4E37', -1, '174', 38],
    ['12345.6789', 1, '123456789', 4],
    ['0001.23', 1, '123', 0],
    ['1e-130', 1, '1', -130],
    ['9.9999999999999999999999999999999999999E+125', 1, '99999999999999999999999999999999999999', 125],
    ['0.1e-129', 1, '1', -130],
    ['10e124', 1, '1', 125],
    ['1000000000000000000000000000000000000000000000000000', 1, '1', 51],
  ];
  for (const [text, sign, digits, exponent] of cases) {
    assert.deepEqual(parseNumber(text), { sign, digits, exponent }, text);
  }
});

test('parseNumber rejects what DynamoDB rejects, with its messages', () => {
  for (const text of ['', ' 1', '1 ', 'NaN', 'Infinity', '-Infinity', 'dog', '-', '+', '.', 'e5', '1e', '1e+', '1.2.3', '1+2', '--1', '0x10', '1,5', '1e2.5', '+-1']) {
    throwsValidation(() => parseNumber(text), 'The parameter cannot be converted to a numeric value: ' + text);
  }
  throwsValidation(() => parseNumber('1e126'), overflow);
  throwsValidation(() => parseNumber('-1e126'), overflow);
  throwsValidation(() => parseNumber('11e125'), overflow);
  throwsValidation(() => parseNumber('1e99999999999999999999'), overflow);
  throwsValidation(() => parseNumber('1e-131'), underflow);
  throwsValidation(() => parseNumber('-1e-131'), underflow);
  throwsValidation(() => parseNumber('0.9e-130'), underflow);
  throwsValidation(() => parseNumber('1e-99999999999999999999'), underflow);
  throwsValidation(() => parseNumber('123456789012345678901234567890123456789'), precision);
  throwsValidation(() => parseNumber('-1.23456789012345678901234567890123456789'), precision);
  throwsValidation(() => parseNumber('3.14159265358979323846264338327950288419'), precision);
  // Leading and trailing zeros are not significant.
  assert.equal(parseNumber('1.00000000000000000000000000000000000000000000').digits, '1');
  assert.equal(parseNumber('0000000000000000000000000000000000000000000001').digits, '1');
  assert.equal(parseNumber('31415926535897932384626433832795028841e30').digits.length, 38);
});

test('canonicalNumber returns plain decimal text', () => {
  const cases: Array<[string, string]> = [
    ['1', '1'], ['1.0', '1'], ['01.50', '1.5'], ['1e2', '100'], ['-0', '0'], ['+0', '0'], ['0.0', '0'],
    ['0.000001', '0.000001'], ['1E-6', '0.000001'], ['+5', '5'], ['+1.5', '1.5'], ['1.5E+3', '1500'],
    ['-7', '-7'], ['.5', '0.5'], ['-.5', '-0.5'], ['5.', '5'], ['100', '100'], ['-100.00', '-100'],
    ['12.34e1', '123.4'], ['12.34e-1', '1.234'], ['0.05', '0.05'], ['00.05', '0.05'], ['10.5', '10.5'],
    ['1e-130', '0.' + '0'.repeat(129) + '1'], ['1e125', '1' + '0'.repeat(125)],
    ['-17.4E37', '-174' + '0'.repeat(36)],
  ];
  for (const [text, expected] of cases) assert.equal(canonicalNumber(text), expected, text);
  throwsValidation(() => canonicalNumber('x'), 'The parameter cannot be converted to a numeric value: x');
  for (const canonical of ['0', '7', '-7', '100', '0.5', '-0.05', '123.456']) {
    assert.equal(canonicalNumber(canonical), canonical);
    assert.equal(formatNumber(parseNumber(canonical)), canonical);
  }
});

test('compareNumbers is exact', () => {
  const ordered = [
    '-9.9999999999999999999999999999999999999E+125', '-1e100', '-100', '-99.99', '-1.01', '-1', '-0.5',
    '-1e-130', '0', '1e-130', '0.000001', '0.5', '0.50000000000000000000000000000000000001', '1', '1.01',
    '99.99', '100', '100.00000000000000000000000000000000001', '12345678901234567890123456789012345678',
    '12345678901234567890123456789012345679', '1e100', '9.9999999999999999999999999999999999999E+125',
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(compareNumbers(ordered[i], ordered[j]), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  assert.equal(compareNumbers('1.0', '1'), 0);
  assert.equal(compareNumbers('-0', '0'), 0);
  assert.equal(compareNumbers('1e2', '100.000'), 0);
  assert.equal(compareNumbers('12.5', '1.25e1'), 0);
  assert.equal(compareNumbers('1.25', '1.2'), 1);
  assert.equal(compareNumbers('0.1', '.09'), 1);
});

test('addNumbers and subtractNumbers are exact', () => {
  const cases: Array<[string, string, string, string]> = [
    // a, b, a + b, a - b
    ['1', '2', '3', '-1'],
    ['0', '5', '5', '-5'],
    ['5', '0', '5', '5'],
    ['0', '0', '0', '0'],
    ['0.1', '0.2', '0.3', '-0.1'],
    ['1', '10000000000000000000000', '10000000000000000000001', '-9999999999999999999999'],
    ['10000000000000000000000', '1', '10000000000000000000001', '9999999999999999999999'],
    ['-1.5', '1.5', '0', '-3'],
    ['1e10', '1e-10', '10000000000.0000000001', '9999999999.9999999999'],
    ['99999999999999999999999999999999999999', '-1', '99999999999999999999999999999999999998', '1' + '0'.repeat(38)],
    ['1.0', '1.00', '2', '0'],
    ['-7', '-3', '-10', '-4'],
    ['12.5', '0.25', '12.75', '12.25'],
  ];
  for (const [a, b, sum, difference] of cases) {
    assert.equal(addNumbers(a, b), sum, `${a} + ${b}`);
    assert.equal(subtractNumbers(a, b), difference, `${a} - ${b}`);
  }
  throwsValidation(() => addNumbers('9e125', '9e125'), overflow);
  throwsValidation(() => subtractNumbers('9e125', '-9e125'), overflow);
  throwsValidation(() => addNumbers('9.9999999999999999999999999999999999999E+125', '1E+125'), overflow);
  // DynamoDB reports an inexact result as an overflow.
  throwsValidation(() => addNumbers('1e50', '1'), overflow);
  throwsValidation(() => subtractNumbers('1e50', '1'), overflow);
  throwsValidation(() => addNumbers('x', '1'), 'The parameter cannot be converted to a numeric value: x');
});

test('numberSizeBytes follows the base-100 sizing DynamoDB uses', () => {
  const cases: Array<[string, number]> = [
    ['0', 1], ['1', 2], ['27', 2], ['-27', 3], ['461', 3], ['1.5', 3], ['0.05', 2], ['0.005', 2],
    ['0.0501', 3], ['100', 2], ['1000', 2], ['12345', 4], ['123.45', 4], ['10.01', 3],
    ['1' + '0'.repeat(125), 2], ['1'.repeat(38) + '0'.repeat(88), 20], ['11111' + '0'.repeat(121), 4],
    ['1111111' + '0'.repeat(119), 5], ['1786461547', 6],
  ];
  for (const [text, size] of cases) assert.equal(numberSizeBytes(text), size, text);
});
