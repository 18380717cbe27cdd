// Expressions nested thousands deep within the 4 KB limit: refused with a ValidationException
// instead of overflowing the parser's stack (which answered 500), while the deepest nesting
// DynamoDB accepts and 4 KB holds still parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpressionSyntaxError, expressionNestingDepthMax, parseConditionExpression, parseProjectionExpression, parseUpdateExpression } from '../../src/expressions/parser.ts';
import { compileRequestExpressions } from '../../src/expressions/index.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import { expressionBytesMax } from '../../src/limits.ts';

const deep = (open: string, inner: string, close: string, depth: number) => open.repeat(depth) + inner + close.repeat(depth);

test('nesting past the bound is a syntax error, for every grammar and shape', () => {
  const depth = expressionNestingDepthMax + 1;
  const tooDeep = /^The expression is nested too deeply; nesting depth: \d+, at most 512$/;
  const shapes: Array<[string, () => unknown, RegExp]> = [
    // Where the tokens show DynamoDB's own error, that is the answer.
    ['grouped conditions', () => parseConditionExpression(deep('(', 'a = :v', ')', depth)), /^The expression has redundant parentheses;$/],
    ['a parenthesized operand', () => parseConditionExpression(deep('(', 'a', ')', depth) + ' = :v'), /^The expression has redundant parentheses;$/],
    ['unknown functions', () => parseConditionExpression('a < ' + deep('f(', 'b', ')', depth)), /^Invalid function name; function: f$/],
    ['update functions in a condition', () => parseConditionExpression('a < ' + deep('list_append(', 'b', ')', depth)), /^The function is not allowed in a condition expression; function: list_append$/],
    ['condition functions', () => parseConditionExpression(deep('size(', 'a', ')', depth) + ' = :v'), tooDeep],
    ['update functions', () => parseUpdateExpression('SET a = ' + deep('list_append(', ':l', ', :l)', depth)), tooDeep],
    ['an unbalanced run of parentheses', () => parseConditionExpression('('.repeat(4000)), tooDeep],
  ];
  for (const [name, parse, message] of shapes) {
    assert.throws(parse, (e: unknown) => e instanceof ExpressionSyntaxError && message.test(e.message), name);
  }
});

test('a condition has at most 300 operators; BETWEEN\'s AND and function calls are not counted', () => {
  const operators = (text: string) => {
    try {
      parseConditionExpression(text);
      return 'parsed';
    } catch (e) {
      return (e as Error).message;
    }
  };
  // a<b OR (a<b OR (...)): 2 operators a level.
  assert.equal(operators('a<b' + ' OR (a<b'.repeat(149) + ')'.repeat(149)), 'parsed');
  assert.equal(operators('a<b' + ' OR (a<b'.repeat(150) + ')'.repeat(150)), 'The expression contains too many operators; operator count: 301');
  assert.equal(operators('NOT '.repeat(1000) + 'a < b'), 'The expression contains too many operators; operator count: 1001');
  assert.equal(operators('a BETWEEN :x AND :y' + ' AND a BETWEEN :x AND :y'.repeat(149)), 'parsed');
  assert.equal(operators('size(a) < b' + ' AND size(a) < b'.repeat(149)), 'parsed');
  assert.equal(operators('a IN (:x, :y)' + ' or a in (:x, :y)'.repeat(150)), 'The expression contains too many operators; operator count: 301');
});

test('a document path has at most 32 levels, its top-level attribute included', () => {
  assert.equal(parseProjectionExpression('a' + '.b'.repeat(31)).paths.length, 1);
  assert.equal(parseConditionExpression('attribute_exists(a' + '[0]'.repeat(31) + ')').grammar, 'condition');
  const refused: Array<[string, () => unknown, number]> = [
    ['projection', () => parseProjectionExpression('a' + '.b'.repeat(32)), 33],
    ['list indexes', () => parseConditionExpression('a' + '[0]'.repeat(1500) + ' = :v'), 1501],
    ['aliases', () => parseUpdateExpression('SET #a' + '.#a'.repeat(1000) + ' = :v'), 1001],
    ['paths thousands deep', () => parseProjectionExpression('a' + '.b'.repeat(2000)), 2001],
  ];
  for (const [name, parse, levels] of refused) {
    assert.throws(parse, (e: unknown) => e instanceof ExpressionSyntaxError && e.message === `The document path has too many nesting levels; nesting levels: ${levels}`, name);
  }
});

test('the nesting DynamoDB accepts still parses: 250 nested update functions, 149 nested groups', () => {
  const update = 'SET a = ' + deep('list_append(', ':l', ',:l)', 250);
  assert.ok(Buffer.byteLength(update) <= expressionBytesMax);
  assert.equal(parseUpdateExpression(update).actions.length, 1);
  const condition = 'a = :v' + ' AND (a = :v'.repeat(149) + ')'.repeat(149);
  assert.ok(parseConditionExpression(condition).root !== undefined);
});

test('through compileRequestExpressions: DynamoDB\'s ValidationException', () => {
  const shapes = [
    deep('(', 'a = :v', ')', 2040),
    deep('(', 'a', ')', 2040) + ' = :v',
    '(' + deep('(', 'a', ')', 1000) + ' = :v)',
    'NOT '.repeat(1020) + 'a = :v',
  ];
  for (const text of shapes) {
    try {
      compileRequestExpressions({ ConditionExpression: text, ExpressionAttributeValues: { ':v': { S: 'v' } } });
    } catch (e) {
      assert.ok(e instanceof DynamoError && e.kind.name === 'ValidationException', `${text.slice(0, 20)}: ${(e as Error).message}`);
    }
  }
});
