import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clearExpressionCache,
  compileRequestExpressions,
  evaluateCondition,
  expressionCacheStats,
  setExpressionCacheEntriesMax,
} from '../../src/expressions/index.ts';
import { cachedCondition, cachedUpdate } from '../../src/expressions/cache.ts';
import { N, S } from './helpers.ts';

test('a repeated expression string is parsed once; each request binds its own names and values', () => {
  clearExpressionCache();
  const expression = '#a = :v';
  const first = compileRequestExpressions({ ConditionExpression: expression, ExpressionAttributeNames: { '#a': 'x' }, ExpressionAttributeValues: { ':v': S('1') } });
  const second = compileRequestExpressions({ ConditionExpression: expression, ExpressionAttributeNames: { '#a': 'y' }, ExpressionAttributeValues: { ':v': N(2) } });
  assert.deepEqual(expressionCacheStats(), { entries: 1, hits: 1, misses: 1, entriesMax: 4096 });
  assert.equal(evaluateCondition(first.condition!, { x: S('1') }), true);
  assert.equal(evaluateCondition(first.condition!, { y: N(2) }), false);
  assert.equal(evaluateCondition(second.condition!, { y: N(2) }), true);
  assert.equal(cachedCondition(expression), cachedCondition(expression));
});

test('the same text is cached separately per grammar, and filters share conditions\' entries', () => {
  clearExpressionCache();
  compileRequestExpressions({ ConditionExpression: 'attribute_exists(a)' });
  compileRequestExpressions({ FilterExpression: 'attribute_exists(a)' });
  compileRequestExpressions({ ProjectionExpression: 'a' });
  compileRequestExpressions({ UpdateExpression: 'REMOVE a' });
  assert.deepEqual(expressionCacheStats(), { entries: 3, hits: 1, misses: 3, entriesMax: 4096 });
});

test('per-request errors are not cached away: a cached expression still checks each request', () => {
  clearExpressionCache();
  const expression = 'a = :v';
  assert.doesNotThrow(() => compileRequestExpressions({ ConditionExpression: expression, ExpressionAttributeValues: { ':v': S('x') } }));
  assert.throws(() => compileRequestExpressions({ ConditionExpression: expression }), /attribute value: :v/);
  assert.throws(() => compileRequestExpressions({ ConditionExpression: 'a = ' }), /Syntax error/);
  assert.throws(() => compileRequestExpressions({ ConditionExpression: 'a = ' }), /Syntax error/);
  assert.equal(expressionCacheStats().entries, 1);
});

test('the cache is bounded and evicts the least recently used expression', () => {
  clearExpressionCache();
  setExpressionCacheEntriesMax(2);
  try {
    const a = cachedUpdate('REMOVE a');
    cachedUpdate('REMOVE b');
    cachedUpdate('REMOVE a'); // a is now the most recently used
    cachedUpdate('REMOVE c'); // evicts b
    assert.equal(expressionCacheStats().entries, 2);
    assert.equal(cachedUpdate('REMOVE a'), a);
    const misses = expressionCacheStats().misses;
    cachedUpdate('REMOVE b');
    assert.equal(expressionCacheStats().misses, misses + 1);
    setExpressionCacheEntriesMax(0);
    assert.equal(expressionCacheStats().entries, 0);
    cachedUpdate('REMOVE a');
    assert.equal(expressionCacheStats().entries, 0);
  } finally {
    setExpressionCacheEntriesMax(4096);
    clearExpressionCache();
  }
});
