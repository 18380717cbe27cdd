import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyUpdate,
  assertKeyNotUpdated,
  compileRequestExpressions,
  projectPaths,
  updatedAttributeNames,
} from '../../src/expressions/index.ts';
import type { AttributeValue, Item } from '../../src/values/types.ts';
import { B, BOOL, BS, L, M, N, NS, S, SS, throwsValidation } from './helpers.ts';

const badPath = 'The document path provided in the update expression is invalid for update';
const badType = 'An operand in the update expression has an incorrect data type';
const missing = 'The provided expression refers to an attribute that does not exist in the item';

function update(
  item: Item | undefined,
  expression: string,
  values?: Record<string, AttributeValue>,
  names?: Record<string, string>,
) {
  const compiled = compileRequestExpressions({ UpdateExpression: expression, ExpressionAttributeValues: values, ExpressionAttributeNames: names });
  return applyUpdate(compiled.update!, item);
}

type Case = [label: string, item: Item | undefined, expression: string, values: Record<string, AttributeValue> | undefined, expected: Item | string];

function runCases(cases: Case[]): void {
  for (const [label, item, expression, values, expected] of cases) {
    const before = JSON.stringify(item);
    if (typeof expected === 'string') {
      throwsValidation(() => update(item, expression, values), expected);
    } else {
      assert.deepEqual(update(item, expression, values).item, expected, label);
    }
    assert.equal(JSON.stringify(item), before, `${label}: the input item is not modified`);
  }
}

test('SET values, copies, arithmetic, if_not_exists and list_append', () => {
  runCases([
    ['set new attribute', { p: S('k') }, 'SET b = :v', { ':v': N(4) }, { p: S('k'), b: N(4) }],
    ['creates the item', undefined, 'SET a = :v, b = :w', { ':v': N(4), ':w': S('x') }, { a: N(4), b: S('x') }],
    ['replace keeps other attributes', { a: S('hi'), b: S('x') }, 'SET a = :v', { ':v': S('hey') }, { a: S('hey'), b: S('x') }],
    ['copy an attribute', { a: S('hello') }, 'SET b = a', undefined, { a: S('hello'), b: S('hello') }],
    ['copy a missing attribute', { a: S('hello') }, 'SET c = z', undefined, missing],
    ['copies read the old item', { p: S('k') }, 'SET x = :v, y = x', { ':v': N(4) }, missing],
    ['SET a = a', { a: S('hello') }, 'SET a = a', undefined, { a: S('hello') }],
    ['REMOVE a SET b = a', { a: S('hello') }, 'REMOVE a SET b = a', undefined, { b: S('hello') }],
    ['plus', { a: N(2) }, 'SET a = a + :v', { ':v': N(3) }, { a: N(5) }],
    ['value first', { a: N(5) }, 'SET a = :v + a', { ':v': N(4) }, { a: N(9) }],
    ['minus', { n: N(2) }, 'SET nn = :seven - n', { ':seven': N(7) }, { n: N(2), nn: N(5) }],
    ['exact decimals', { a: N('0.1') }, 'SET a = a + :v', { ':v': N('0.2') }, { a: N('0.3') }],
    ['38 digits', { a: N('99999999999999999999999999999999999998') }, 'SET a = a + :v', { ':v': N(1) }, { a: N('99999999999999999999999999999999999999') }],
    ['negative result', { a: N(1) }, 'SET a = a - :v', { ':v': N('1.5') }, { a: N('-0.5') }],
    ['plus on a string attribute', { a: S('x') }, 'SET a = a + :v', { ':v': N(1) }, badType],
    ['plus on a missing attribute', {}, 'SET a = a + :v', { ':v': N(1) }, missing],
    ['if_not_exists missing', {}, 'SET a = if_not_exists(a, :v)', { ':v': N(2) }, { a: N(2) }],
    ['if_not_exists present', { a: N(2) }, 'SET a = if_not_exists(a, :v)', { ':v': N(3) }, { a: N(2) }],
    ['if_not_exists copies', { a: N(2) }, 'SET b = if_not_exists(a, :v)', { ':v': N(6) }, { a: N(2), b: N(2) }],
    ['counter', {}, 'SET c = if_not_exists(c, :zero) + :one', { ':zero': N(0), ':one': N(1) }, { c: N(1) }],
    ['list_append', { a: L(S('hi'), N(2)) }, 'SET a = list_append(a, :v)', { ':v': L(N(4)) }, { a: L(S('hi'), N(2), N(4)) }],
    ['list_append prepend', { a: L(S('hi')) }, 'SET a = list_append(:v, a)', { ':v': L(S('dog')) }, { a: L(S('dog'), S('hi')) }],
    ['list_append values', {}, 'SET a = list_append(:v, :w)', { ':v': L(N(4), S('hello')), ':w': L(S('hi'), N(7)) }, { a: L(N(4), S('hello'), S('hi'), N(7)) }],
    ['list_append to empty', { b: L() }, 'SET a = list_append(b, :v)', { ':v': L(N(1)) }, { b: L(), a: L(N(1)) }],
    ['list_append if_not_exists', {}, 'SET t = list_append(if_not_exists(t, :e), :v)', { ':e': L(), ':v': L(S('x')) }, { t: L(S('x')) }],
    ['list_append non-list attribute', { b: N(7) }, 'SET a = list_append(b, :v)', { ':v': L() }, badType],
    ['list_append on a set', { b: SS('x') }, 'SET a = list_append(:v, b)', { ':v': L() }, badType],
    ['list_append missing attribute', {}, 'SET a = list_append(b, :v)', { ':v': L() }, missing],
    ['number overflow', { a: N('9.9999999999999999999999999999999999999E+125') }, 'SET a = a + :v', { ':v': N('1E+125') },
      'Number overflow. Attempting to store a number with magnitude larger than supported range'],
  ]);
});

test('SET on nested paths and list elements', () => {
  runCases([
    ['map member', { a: M({ b: N(3), c: N(4) }) }, 'SET a.c = :v', { ':v': N(7) }, { a: M({ b: N(3), c: N(7) }) }],
    ['new map member', { a: M({ b: N(3) }) }, 'SET a.d = :v', { ':v': N(1) }, { a: M({ b: N(3), d: N(1) }) }],
    ['replace with another type', { a: M({ c: M({ x: N(1) }) }) }, 'SET a.c = :v', { ':v': N(7) }, { a: M({ c: N(7) }) }],
    ['list element', { a: L(S('one'), S('two'), S('three')) }, 'SET a[1] = :v', { ':v': S('hello') }, { a: L(S('one'), S('hello'), S('three')) }],
    ['past the end appends', { a: L(S('a'), S('b'), S('c')) }, 'SET a[7] = :v', { ':v': S('x') }, { a: L(S('a'), S('b'), S('c'), S('x')) }],
    ['appends in index order', { a: L(S('one')) }, 'SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4',
      { ':v1': S('a1'), ':v2': S('a2'), ':v3': S('a3'), ':v4': S('a4') }, { a: L(S('one'), S('a3'), S('a2'), S('a4'), S('a1')) }],
    ['index 0 of an empty list', { a: L() }, 'SET a[0] = :v', { ':v': S('first') }, { a: L(S('first')) }],
    ['deep', { a: M({ b: N(3), c: L(S('hi'), M({ x: M({ y: L(N(3), N(5), N(7)) }) })) }) }, 'SET a.c[1].x.y[1] = :v', { ':v': N(9) },
      { a: M({ b: N(3), c: L(S('hi'), M({ x: M({ y: L(N(3), N(9), N(7)) }) })) }) }],
    ['deep right-hand side', { a: M({ c: L(N(0), M({ x: N(9) })) }) }, 'SET a.z = a.c[1].x', undefined, { a: M({ c: L(N(0), M({ x: N(9) })), z: N(9) }) }],
    ['nested counter', { m: M({ cnt: N(10) }) }, 'SET m.cnt = m.cnt + :inc', { ':inc': N(5) }, { m: M({ cnt: N(15) }) }],
    ['several members of one map', { a: M({ e: S('e') }) }, 'SET a.b = :x, a.c = :y', { ':x': S('x'), ':y': S('y') }, { a: M({ e: S('e'), b: S('x'), c: S('y') }) }],
    ['missing parent', { p: S('1') }, 'SET c.c = :v', { ':v': N(7) }, badPath],
    ['missing grandparent', {}, 'SET a.b.c = :v', { ':v': N(7) }, badPath],
    ['parent is a string', { a: S('hello') }, 'SET a.c = :v', { ':v': N(7) }, badPath],
    ['parent is a list', { b: L(S('hi')) }, 'SET b.c = :v', { ':v': N(7) }, badPath],
    ['index on a string', { a: S('hello') }, 'SET a[0] = :v', { ':v': N(7) }, badPath],
    ['index on a missing attribute', {}, 'SET b[0] = :v', { ':v': N(7) }, badPath],
    ['index on a map', { a: M({}) }, 'SET a[0] = :v', { ':v': N(7) }, badPath],
  ]);
});

test('REMOVE attributes, map members and list elements', () => {
  runCases([
    ['attribute', { a: S('hello'), b: S('hi') }, 'REMOVE a', undefined, { b: S('hi') }],
    ['several', { a: N(1), b: N(2), c: N(3) }, 'REMOVE a, c', undefined, { b: N(2) }],
    ['missing attribute is a no-op', { a: N(1) }, 'REMOVE c', undefined, { a: N(1) }],
    ['nested', { a: M({ b: N(3), c: L(S('hi'), M({ x: M({ y: L(N(3), N(5), N(7)) }), q: N(2) })) }) }, 'REMOVE a.c[1].x.y[1], a.c[1].q', undefined,
      { a: M({ b: N(3), c: L(S('hi'), M({ x: M({ y: L(N(3), N(7)) }) })) }) }],
    ['only member leaves an empty map', { a: M({ b: N(1) }) }, 'REMOVE a.b', undefined, { a: M({}) }],
    ['only element leaves an empty list', { a: L(N(1)) }, 'REMOVE a[0]', undefined, { a: L() }],
    ['element shifts the rest', { l: L(S('a'), S('b'), S('c'), S('d')) }, 'REMOVE l[1]', undefined, { l: L(S('a'), S('c'), S('d')) }],
    ['indexes refer to the list before the update', { l: L(S('a'), S('b'), S('c'), S('d')) }, 'REMOVE l[1], l[2]', undefined, { l: L(S('a'), S('d')) }],
    ['in any order', { l: L(S('a'), S('b'), S('c'), S('d')) }, 'REMOVE l[2], l[1]', undefined, { l: L(S('a'), S('d')) }],
    ['REMOVE and SET by original index', { a: L(N(2), N(3), N(4), N(5), N(6), N(7)) }, 'REMOVE a[1] SET a[3] = :v', { ':v': N(17) }, { a: L(N(2), N(4), N(17), N(6), N(7)) }],
    ['SET and REMOVE by original index', { a: L(N(2), N(3), N(4), N(5), N(6), N(7)) }, 'SET a[3] = :v REMOVE a[1]', { ':v': N(17) }, { a: L(N(2), N(4), N(17), N(6), N(7)) }],
    ['index past the end is a no-op', { a: L(N(4), N(5), N(6)) }, 'REMOVE a[17]', undefined, { a: L(N(4), N(5), N(6)) }],
    ['missing member is a no-op', { a: M({ x: N(3) }), b: L(S('hi')) }, 'REMOVE a.y, b[7], c', undefined, { a: M({ x: N(3) }), b: L(S('hi')) }],
    ['member of a string', { a: S('hello') }, 'REMOVE a.c', undefined, badPath],
    ['member of a list', { b: L(S('hi')) }, 'REMOVE b.c', undefined, badPath],
    ['member of a missing attribute', { a: S('x') }, 'REMOVE c.c', undefined, badPath],
    ['element of a string', { a: S('hello') }, 'REMOVE a[0]', undefined, badPath],
    ['element of a missing attribute', { a: S('hello') }, 'REMOVE b[0]', undefined, badPath],
    // When the item does not exist at all, DynamoDB ignores REMOVE of a nested path.
    ['nested path of an absent item', undefined, 'REMOVE x.y', undefined, {}],
    ['list element of an absent item', undefined, 'REMOVE x[0]', undefined, {}],
  ]);
});

test('ADD numbers and sets', () => {
  runCases([
    ['add to a number', { a: N(3), b: S('hi') }, 'ADD a :v', { ':v': N(4) }, { a: N(7), b: S('hi') }],
    ['creates a number', { a: S('hello') }, 'ADD b :v', { ':v': N(7) }, { a: S('hello'), b: N(7) }],
    ['creates the item', undefined, 'ADD n_i :a, n_f :b', { ':a': N('1.2'), ':b': N('-0.5') }, { n_i: N('1.2'), n_f: N('-0.5') }],
    ['number to a string', { b: S('hi') }, 'ADD b :v', { ':v': N(1) }, badType],
    ['union', { a: SS('dog', 'cat', 'mouse') }, 'ADD a :v', { ':v': SS('pig') }, { a: SS('dog', 'cat', 'mouse', 'pig') }],
    ['union without duplicates', { a: SS('beaver', 'lynx', 'coati') }, 'ADD a :v', { ':v': SS('coati', 'beaver', 'badger') }, { a: SS('beaver', 'lynx', 'coati', 'badger') }],
    ['number set union compares numbers', { a: NS(1, 2) }, 'ADD a :v', { ':v': NS('2.0', 3) }, { a: NS(1, 2, 3) }],
    ['binary set', { a: BS([1]) }, 'ADD a :v', { ':v': BS([1], [2]) }, { a: BS([1], [2]) }],
    ['creates a set', {}, 'ADD b :v', { ':v': SS('dog') }, { b: SS('dog') }],
    ['set to a list', { a: L(N(1), N(2)) }, 'ADD a :v', { ':v': NS(3, 4) }, badType],
    ['set of another type', { a: SS('x') }, 'ADD a :v', { ':v': NS(1) }, badType],
    ['number to a set', { a: NS(1) }, 'ADD a :v', { ':v': N(1) }, badType],
    ['nested', { m: M({ c: N(1) }) }, 'ADD m.c :v', { ':v': N(2) }, { m: M({ c: N(3) }) }],
    ['nested, missing parent', {}, 'ADD m.c :v', { ':v': N(2) }, badPath],
  ]);
});

test('DELETE from sets; an emptied set is removed', () => {
  runCases([
    ['delete elements', { a: SS('dog', 'cat', 'mouse'), b: S('hi') }, 'DELETE a :v', { ':v': SS('cat', 'mouse') }, { a: SS('dog'), b: S('hi') }],
    ['absent element is a no-op', { a: SS('dog') }, 'DELETE a :v', { ':v': SS('pig') }, { a: SS('dog') }],
    ['emptying removes the attribute', { a: SS('dog'), b: S('hi') }, 'DELETE a :v', { ':v': SS('dog') }, { b: S('hi') }],
    ['missing attribute is a no-op', { b: S('hi') }, 'DELETE a :v', { ':v': SS('dog') }, { b: S('hi') }],
    ['number set', { a: NS(1, 2, 3) }, 'DELETE a :v', { ':v': NS('2.00') }, { a: NS(1, 3) }],
    ['wrong set type', { a: SS('1') }, 'DELETE a :v', { ':v': NS(1) }, badType],
    ['from a string', { a: S('x') }, 'DELETE a :v', { ':v': SS('x') }, badType],
    ['nested', { m: M({ s: SS('a', 'b') }) }, 'DELETE m.s :v', { ':v': SS('a') }, { m: M({ s: SS('b') }) }],
    ['nested emptied', { m: M({ s: SS('a'), t: BOOL(true) }) }, 'DELETE m.s :v', { ':v': SS('a') }, { m: M({ t: BOOL(true) }) }],
  ]);
});

test('all four sections in one expression', () => {
  const result = update(
    { c: N(41), tags: L(S('a')), old: S('x'), set: SS('p', 'q'), n: N(1) },
    'SET #c = #c + :one, #u = :now, #tags = list_append(if_not_exists(#tags, :empty), :t) REMOVE #old ADD n :one DELETE #s :q',
    { ':one': N(1), ':now': S('2024'), ':empty': L(), ':t': L(S('b')), ':q': SS('q') },
    { '#c': 'c', '#u': 'u', '#tags': 'tags', '#old': 'old', '#s': 'set' },
  );
  assert.deepEqual(result.item, { c: N(42), tags: L(S('a'), S('b')), set: SS('p'), n: N(2), u: S('2024') });
  assert.deepEqual(result.updatedPaths, [['c'], ['u'], ['tags'], ['old'], ['n'], ['set']]);
});

test('updated paths give DynamoDB\'s UPDATED_OLD and UPDATED_NEW values', () => {
  const old: Item = { a: M({ existing: S('e'), x: S('old') }), l: L(S('a'), S('b')), gone: N(1), keep: N(2) };
  const result = update(old, 'SET a.b = :x, a.x = :y, l[5] = :z REMOVE gone', { ':x': S('x'), ':y': S('y'), ':z': S('z') });
  // The value appended past the end is reported at the index it landed at.
  assert.deepEqual(result.updatedPaths, [['a', 'b'], ['a', 'x'], ['l', 2], ['gone']]);
  assert.deepEqual(projectPaths(result.item, result.updatedPaths), { a: M({ b: S('x'), x: S('y') }), l: L(S('z')) });
  assert.deepEqual(projectPaths(old, result.updatedPaths), { a: M({ x: S('old') }), gone: N(1) });
});

test('key attributes cannot be updated', () => {
  const compiled = compileRequestExpressions({ UpdateExpression: 'SET a = :v, pk = :v', ExpressionAttributeValues: { ':v': S('x') } }).update!;
  assert.deepEqual(updatedAttributeNames(compiled), ['a', 'pk']);
  throwsValidation(() => assertKeyNotUpdated(compiled, ['pk', 'sk']), 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key');
  const nested = compileRequestExpressions({ UpdateExpression: 'REMOVE sk.x' }).update!;
  throwsValidation(() => assertKeyNotUpdated(nested, ['pk', 'sk']), 'One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key');
  assert.doesNotThrow(() => assertKeyNotUpdated(compiled, ['id']));
});

test('attribute names that are Object.prototype members are ordinary names', () => {
  const result = update({}, 'SET #p = :v, #c = :v', { ':v': N(1) }, { '#p': '__proto__', '#c': 'constructor' });
  assert.deepEqual(Object.keys(result.item).sort(), ['__proto__', 'constructor']);
  assert.equal(Object.getPrototypeOf(result.item), Object.prototype);
  const removed = update(result.item, 'REMOVE #p', undefined, { '#p': '__proto__' });
  assert.deepEqual(Object.keys(removed.item), ['constructor']);
});
