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
  const shapes: Array<[string, () => unknown]> = [
    ['grouped conditions', () => parseConditionExpression(deep('(', 'a = :v', ')', depth))],
    ['a parenthesized operand', () => parseConditionExpression(deep('(', 'a', ')', depth) + ' = :v')],
    ['condition functions', () => parseConditionExpression(deep('size(', 'a', ')', depth) + ' = :v')],
    ['unknown functions', () => parseConditionExpression('a < ' + deep('f(', 'b', ')', depth))],
    ['update functions', () => parseUpdateExpression('SET a = ' + deep('list_append(', ':l', ', :l)', depth))],
    ['an unbalanced run of parentheses', () => parseConditionExpression('('.repeat(4000))],
  ];
  for (const [name, parse] of shapes) {
    assert.throws(parse, (e: unknown) => e instanceof ExpressionSyntaxError && /^The expression is nested too deeply; nesting depth: \d+, at most 512$/.test(e.message), name);
  }
});

test('the nesting DynamoDB accepts still parses: 250 nested update functions, 300 nested groups', () => {
  const update = 'SET a = ' + deep('list_append(', ':l', ',:l)', 250);
  assert.ok(Buffer.byteLength(update) <= expressionBytesMax);
  assert.equal(parseUpdateExpression(update).actions.length, 1);
  const condition = 'a = :v' + ' AND (a = :v'.repeat(300) + ')'.repeat(300);
  assert.ok(parseConditionExpression(condition).root !== undefined);
  assert.ok(parseProjectionExpression('a' + '.b'.repeat(2000)).paths.length === 1);
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
