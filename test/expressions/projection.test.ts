import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRequestExpressions, project } from '../../src/expressions/index.ts';
import type { Item } from '../../src/values/types.ts';
import { L, M, N, S } from './helpers.ts';

const item: Item = {
  a: S('x'),
  b: N(1),
  m: M({ x: N(1), y: M({ z: S('deep'), w: S('other') }), l: L(S('l0'), S('l1'), S('l2')) }),
  l: L(M({ q: N(0), r: N(1) }), M({ q: N(10), r: N(11) }), S('two'), L(S('n0'), S('n1'))),
  'a.b': S('dotted'),
};

function run(expression: string, names?: Record<string, string>): Item {
  return project(compileRequestExpressions({ ProjectionExpression: expression, ExpressionAttributeNames: names }).projection!, item);
}

test('top-level attributes', () => {
  assert.deepEqual(run('a'), { a: S('x') });
  assert.deepEqual(run('a, b, nothere'), { a: S('x'), b: N(1) });
  assert.deepEqual(run('nothere'), {});
  assert.deepEqual(run('#n', { '#n': 'a.b' }), { 'a.b': S('dotted') });
});

test('nested paths keep their nesting and only the projected members', () => {
  const cases: Array<[string, Item]> = [
    ['m.x', { m: M({ x: N(1) }) }],
    ['m.y.z', { m: M({ y: M({ z: S('deep') }) }) }],
    ['m.y.z, m.x', { m: M({ y: M({ z: S('deep') }), x: N(1) }) }],
    ['m.y', { m: M({ y: M({ z: S('deep'), w: S('other') }) }) }],
    ['m.nothere', {}],
    ['m.x.nothere', {}],
    ['a.nothere', {}],
    ['m.l[1]', { m: M({ l: L(S('l1')) }) }],
    // List elements come back compacted, in index order, whatever the projection order.
    ['m.l[2], m.l[0]', { m: M({ l: L(S('l0'), S('l2')) }) }],
    ['m.l[7]', {}],
    ['m.l[7], m.l[1]', { m: M({ l: L(S('l1')) }) }],
    ['l[1].q, l[0].r', { l: L(M({ r: N(1) }), M({ q: N(10) })) }],
    ['l[3][1]', { l: L(L(S('n1'))) }],
    ['l[2].q', {}],
    ['b[0]', {}],
    ['a, m.y.w, l[2]', { a: S('x'), m: M({ y: M({ w: S('other') }) }), l: L(S('two')) }],
  ];
  for (const [expression, expected] of cases) assert.deepEqual(run(expression), expected, expression);
});
