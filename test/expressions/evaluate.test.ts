import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRequestExpressions, evaluateCondition } from '../../src/expressions/index.ts';
import { compareBinary, compareStrings } from '../../src/expressions/attribute-ops.ts';
import type { AttributeValue, Item } from '../../src/values/types.ts';
import { B, BOOL, BS, L, M, N, NS, NULL, S, SS } from './helpers.ts';

const item: Item = {
  n: N(5),
  s: S('hello'),
  u: S('é𝄞'),
  b: B([1, 2, 3]),
  t: BOOL(true),
  z: NULL,
  ss: SS('dog', 'cat'),
  ns: NS(1, 2.5, -3),
  bs: BS([1], [2, 3]),
  l: L(S('a'), N(2), M({ k: S('v') })),
  m: M({ x: N(1), y: M({ deep: L(N(7), N(8)) }), 'with.dot': S('d') }),
  blank: S(''),
  big: N('99999999999999999999999999999999999999'),
};

function check(expression: string, values: Record<string, AttributeValue> = {}, names?: Record<string, string>, on: Item | undefined = item): boolean {
  const compiled = compileRequestExpressions({
    FilterExpression: expression,
    ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
    ExpressionAttributeNames: names,
  });
  return evaluateCondition(compiled.filter!, on);
}

type Case = [expression: string, values: Record<string, AttributeValue>, expected: boolean];

function runCases(cases: Case[]): void {
  for (const [expression, values, expected] of cases) {
    assert.equal(check(expression, values), expected, `${expression} ${JSON.stringify(values)}`);
  }
}

test('= and <> compare type and value; sets ignore order; lists and maps compare deeply', () => {
  runCases([
    ['n = :v', { ':v': N(5) }, true],
    ['n = :v', { ':v': N('5.000') }, true],
    ['n = :v', { ':v': N('5e0') }, true],
    ['n = :v', { ':v': S('5') }, false],
    ['s = :v', { ':v': S('hello') }, true],
    ['b = :v', { ':v': B([1, 2, 3]) }, true],
    ['t = :v', { ':v': BOOL(true) }, true],
    ['t = :v', { ':v': BOOL(false) }, false],
    ['z = :v', { ':v': NULL }, true],
    ['ss = :v', { ':v': SS('cat', 'dog') }, true],
    ['ss = :v', { ':v': SS('cat', 'dog', 'pig') }, false],
    ['ns = :v', { ':v': NS('-3', '2.50', '1') }, true],
    ['l = :v', { ':v': L(S('a'), N('2.0'), M({ k: S('v') })) }, true],
    ['l = :v', { ':v': L(N(2), S('a'), M({ k: S('v') })) }, false],
    ['m.y = :v', { ':v': M({ deep: L(N(7), N(8)) }) }, true],
    ['m.y = :v', { ':v': M({ deep: L(N(7), N(8)), more: NULL }) }, false],
    ['n <> :v', { ':v': N(4) }, true],
    ['n <> :v', { ':v': N(5) }, false],
    ['ss <> :v', { ':v': SS('cat', 'dog') }, false],
    ['absent = :v', { ':v': N(5) }, false],
    // An absent attribute is "not equal" to anything, even another absent attribute.
    ['absent <> :v', { ':v': N(5) }, true],
    ['absent <> gone', {}, true],
    ['n = n2', {}, false],
  ]);
});

test('ordering: numbers exactly, strings by UTF-8 bytes, binary by bytes; gone types compare false', () => {
  runCases([
    ['n < :v', { ':v': N(6) }, true],
    ['n < :v', { ':v': N(5) }, false],
    ['n <= :v', { ':v': N(5) }, true],
    ['n > :v', { ':v': N('-100') }, true],
    ['n >= :v', { ':v': N('5.0000000000000000000000000000000000001') }, false],
    ['big > :v', { ':v': N('99999999999999999999999999999999999998') }, true],
    ['big < :v', { ':v': N('1e38') }, true],
    ['s < :v', { ':v': S('help') }, true],
    ['s > :v', { ':v': S('Hello') }, true],
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1D11E (4 bytes, F0 9D 84 9E), although
    // its UTF-16 code unit is larger than the surrogate D834.
    [':a < :b', { ':a': S('\uff5e'), ':b': S('\u{1d11e}') }, true],
    ['b < :v', { ':v': B([1, 2, 4]) }, true],
    ['b > :v', { ':v': B([1, 2]) }, true],
    ['b < :v', { ':v': B([0xff]) }, true],
    ['n < :v', { ':v': S('6') }, false],
    ['s > :v', { ':v': N(1) }, false],
    ['t > :v', { ':v': N(1) }, false],
    ['l < :v', { ':v': N(1) }, false],
    ['absent < :v', { ':v': N(1) }, false],
    [':v < absent', { ':v': N(1) }, false],
    ['absent < gone', {}, false],
    ['absent >= gone', {}, false],
  ]);
});

test('BETWEEN and IN', () => {
  runCases([
    ['n BETWEEN :a AND :b', { ':a': N(5), ':b': N(6) }, true],
    ['n BETWEEN :a AND :b', { ':a': N(1), ':b': N(5) }, true],
    ['n BETWEEN :a AND :b', { ':a': N('5.1'), ':b': N(6) }, false],
    ['s BETWEEN :a AND :b', { ':a': S('h'), ':b': S('i') }, true],
    ['s BETWEEN :a AND :b', { ':a': N(1), ':b': N(9) }, false],
    ['absent BETWEEN :a AND :b', { ':a': N(1), ':b': N(9) }, false],
    ['absent BETWEEN gone AND more', {}, false],
    ['n IN (:a, :b)', { ':a': N(4), ':b': N('5.0') }, true],
    ['n IN (:a)', { ':a': S('5') }, false],
    ['ss IN (:a, :b)', { ':a': SS('x'), ':b': SS('cat', 'dog') }, true],
    ['absent IN (:a)', { ':a': N(1) }, false],
    ['n IN (m.x, :a)', { ':a': N(5) }, true],
    ['m.x IN (:a, n)', { ':a': N(5) }, false],
  ]);
});

test('functions: attribute_exists, attribute_not_exists, attribute_type', () => {
  runCases([
    ['attribute_exists(n)', {}, true],
    ['attribute_exists(absent)', {}, false],
    ['attribute_exists(m.y.deep[1])', {}, true],
    ['attribute_exists(m.y.deep[2])', {}, false],
    ['attribute_exists(m.x.y)', {}, false],
    ['attribute_exists(l.k)', {}, false],
    ['attribute_exists(m[0])', {}, false],
    ['attribute_exists(z)', {}, true],
    ['attribute_not_exists(absent)', {}, true],
    ['attribute_not_exists(n)', {}, false],
    ['attribute_type(n, :t)', { ':t': S('N') }, true],
    ['attribute_type(n, :t)', { ':t': S('S') }, false],
    ['attribute_type(ss, :t)', { ':t': S('SS') }, true],
    ['attribute_type(z, :t)', { ':t': S('NULL') }, true],
    ['attribute_type(l[2], :t)', { ':t': S('M') }, true],
    ['attribute_type(absent, :t)', { ':t': S('S') }, false],
  ]);
  // The names "constructor" and "__proto__" are ordinary attribute names.
  assert.equal(check('attribute_exists(#c)', {}, { '#c': 'constructor' }), false);
  assert.equal(check('attribute_exists(#p)', {}, { '#p': '__proto__' }), false);
  assert.equal(check('attribute_exists(m.#p)', {}, { '#p': 'toString' }), false);
  assert.equal(check('#p = :v', { ':v': S('x') }, { '#p': '__proto__' }, JSON.parse('{"__proto__": {"S": "x"}}') as Item), true);
  assert.equal(check('attribute_exists(#d)', {}, { '#d': 'with.dot' }), false);
  assert.equal(check('attribute_exists(m.#d)', {}, { '#d': 'with.dot' }), true);
});

test('functions: begins_with and contains', () => {
  runCases([
    ['begins_with(s, :p)', { ':p': S('he') }, true],
    ['begins_with(s, :p)', { ':p': S('hello') }, true],
    ['begins_with(s, :p)', { ':p': S('hello!') }, false],
    ['begins_with(s, :p)', { ':p': S('') }, true],
    ['begins_with(s, :p)', { ':p': B('he') }, false],
    ['begins_with(b, :p)', { ':p': B([1, 2]) }, true],
    ['begins_with(b, :p)', { ':p': B([2]) }, false],
    ['begins_with(b, :p)', { ':p': B([1, 2, 3, 4]) }, false],
    ['begins_with(n, :p)', { ':p': S('5') }, false],
    ['begins_with(absent, :p)', { ':p': S('5') }, false],
    ['begins_with(u, :p)', { ':p': S('é') }, true],
    ['contains(s, :v)', { ':v': S('ell') }, true],
    ['contains(s, :v)', { ':v': S('xyz') }, false],
    ['contains(ss, :v)', { ':v': S('cat') }, true],
    ['contains(ss, :v)', { ':v': S('ca') }, false],
    ['contains(ss, :v)', { ':v': SS('cat') }, false],
    ['contains(ns, :v)', { ':v': N('2.50') }, true],
    ['contains(ns, :v)', { ':v': S('1') }, false],
    ['contains(bs, :v)', { ':v': B([2, 3]) }, true],
    ['contains(bs, :v)', { ':v': B([2]) }, false],
    ['contains(b, :v)', { ':v': B([2, 3]) }, true],
    ['contains(l, :v)', { ':v': N('2') }, true],
    ['contains(l, :v)', { ':v': M({ k: S('v') }) }, true],
    ['contains(l, :v)', { ':v': S('b') }, false],
    ['contains(m, :v)', { ':v': S('x') }, false],
    ['contains(n, :v)', { ':v': N(5) }, false],
    ['contains(absent, :v)', { ':v': N(5) }, false],
    ['contains(ss, s)', {}, false],
  ]);
});

test('size() of strings (UTF-16 code units), binary, sets, lists and maps; none for N, BOOL, NULL', () => {
  runCases([
    ['size(s) = :v', { ':v': N(5) }, true],
    // Verified against DynamoDB: size("é𝄞") is 3.
    ['size(u) = :v', { ':v': N(3) }, true],
    ['size(b) = :v', { ':v': N(3) }, true],
    ['size(ss) = :v', { ':v': N(2) }, true],
    ['size(ns) = :v', { ':v': N(3) }, true],
    ['size(bs) = :v', { ':v': N(2) }, true],
    ['size(l) = :v', { ':v': N(3) }, true],
    ['size(m) = :v', { ':v': N(3) }, true],
    ['size(blank) = :v', { ':v': N(0) }, true],
    ['size(n) = :v', { ':v': N(1) }, false],
    ['size(t) = :v', { ':v': N(1) }, false],
    ['size(z) = :v', { ':v': N(1) }, false],
    ['size(n) <> :v', { ':v': N(1) }, true],
    ['size(absent) = :v', { ':v': N(0) }, false],
    ['size(s) = :v', { ':v': S('5') }, false],
    ['size(s) > :v', { ':v': N(4) }, true],
    ['size(s) BETWEEN :a AND :b', { ':a': N(1), ':b': N(5) }, true],
    ['size(s) = n', {}, true],
    ['size(m.y.deep) < size(s)', {}, true],
    ['size(:v) = :n', { ':v': S('abc'), ':n': N(3) }, true],
  ]);
});

test('AND, OR, NOT and parentheses evaluate with DynamoDB precedence', () => {
  const values = { ':t': BOOL(true), ':f': BOOL(false) };
  runCases([
    ['t = :t OR t = :f AND t = :f', values, true],
    ['(t = :t OR t = :f) AND t = :f', values, false],
    ['NOT t = :f AND t = :t', values, true],
    ['NOT (t = :t AND t = :f)', values, true],
    ['NOT t = :t OR t = :t OR t = :f', values, true],
    ['NOT (t = :t OR t = :f)', values, false],
    ['NOT NOT NOT NOT t = :t OR t = :f', values, true],
    ['t = :f OR t = :f OR t = :t', values, true],
    ['t = :t AND t = :t AND t = :f', values, false],
  ]);
});

test('an absent item behaves as an empty item', () => {
  const compiled = compileRequestExpressions({
    ConditionExpression: 'attribute_not_exists(pk) AND NOT contains(tags, :t) AND (absent <> :t)',
    ExpressionAttributeValues: { ':t': S('x') },
  });
  assert.equal(evaluateCondition(compiled.condition!, undefined), true);
  assert.equal(evaluateCondition(compiled.condition!, { pk: S('1') }), false);
});

function utf8Order(a: string, b: string): number {
  return Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

test('string order is UTF-8 byte order for random strings across planes', () => {
  const pool = ['a', 'z', 'é', '\u0800', '\ud7ff', '\ue000', '\uff5e', '\uffff', '\u{10000}', '\u{1d11e}', '\u{10ffff}', ''];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const make = (): string => {
    let s = '';
    for (let i = random(5); i > 0; i--) s += pool[random(pool.length)];
    return s;
  };
  for (let i = 0; i < 5000; i++) {
    const a = make();
    const b = make();
    assert.equal(compareStrings(a, b), utf8Order(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test('binary order compares base64 texts as the bytes they encode', () => {
  let seed = 11;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const make = (): Buffer => {
    const length = random(7);
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = random(4) === 0 ? 0 : random(4) === 0 ? 255 : random(256);
    return bytes;
  };
  for (let i = 0; i < 5000; i++) {
    const a = make();
    const b = make();
    assert.equal(compareBinary(a.toString('base64'), b.toString('base64')), Math.sign(Buffer.compare(a, b)), `${a.toString('hex')} vs ${b.toString('hex')}`);
  }
});
