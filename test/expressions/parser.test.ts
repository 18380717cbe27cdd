import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize, TokenKind } from '../../src/expressions/tokenizer.ts';
import {
  ExpressionSyntaxError,
  parseConditionExpression,
  parseProjectionExpression,
  parseUpdateExpression,
} from '../../src/expressions/parser.ts';
import type { ConditionNode } from '../../src/expressions/ast.ts';
import { isReservedWord, reservedWordCount } from '../../src/expressions/reserved-words.ts';

test('tokenizer splits names, placeholders, numbers and operators', () => {
  const tokens = tokenize(' a_1.#b[12] <> :v<=>=<>(,)+- _$');
  assert.deepEqual(
    tokens.map((t) => [t.kind, t.text]),
    [
      [TokenKind.Name, 'a_1'],
      [TokenKind.Dot, '.'],
      [TokenKind.Alias, '#b'],
      [TokenKind.LBracket, '['],
      [TokenKind.Number, '12'],
      [TokenKind.RBracket, ']'],
      [TokenKind.Ne, '<>'],
      [TokenKind.ValueRef, ':v'],
      [TokenKind.Le, '<='],
      [TokenKind.Ge, '>='],
      [TokenKind.Ne, '<>'],
      [TokenKind.LParen, '('],
      [TokenKind.Comma, ','],
      [TokenKind.RParen, ')'],
      [TokenKind.Plus, '+'],
      [TokenKind.Minus, '-'],
      [TokenKind.Unknown, '_'],
      [TokenKind.Unknown, '$'],
      [TokenKind.Eof, '<EOF>'],
    ],
  );
  assert.equal(tokenize('#')[0]!.kind, TokenKind.Unknown);
  assert.equal(tokenize(':')[0]!.kind, TokenKind.Unknown);
  assert.equal(tokenize('#1a')[0]!.kind, TokenKind.Alias);
  assert.equal(tokenize('😀')[0]!.text, '😀');
});

test('syntax errors name the offending token and the text near it, as DynamoDB does', () => {
  // Texts confirmed against DynamoDB (moto's and DynamoDB client tests, the conformance suite).
  const cases: Array<['condition' | 'update' | 'projection', string, string]> = [
    ['condition', 'foo', 'Syntax error; token: "<EOF>", near: "foo"'],
    ['condition', ':hashId a', 'Syntax error; token: "a", near: ":hashId a"'],
    ['update', 'SET MyStr = myNum + 1', 'Syntax error; token: "1", near: "+ 1"'],
    ['update', 'SET MyStr = myNum Mystr2 myNum2', 'Syntax error; token: "Mystr2", near: "myNum Mystr2 myNum2"'],
    ['update', 'SET MyStr = my Num', 'Syntax error; token: "Num", near: "my Num"'],
    ['update', 'SET _123 = :val1', 'Syntax error; token: "_", near: "SET _123"'],
    ['update', 'INVALID SYNTAX HERE', 'Syntax error; token: "INVALID", near: "INVALID SYNTAX"'],
    ['update', 'SET path = VALUE 1', 'Syntax error; token: "1", near: "VALUE 1"'],
    // Derived from the same rule.
    ['condition', 'a = ', 'Syntax error; token: "<EOF>", near: "="'],
    ['condition', 's == :v', 'Syntax error; token: "=", near: "== :v"'],
    ['condition', 'a = :v )', 'Syntax error; token: ")", near: ":v )"'],
    ['condition', 'a < b + c', 'Syntax error; token: "+", near: "b + c"'],
    ['condition', 'a IN ()', 'Syntax error; token: ")", near: "()"'],
    ['condition', 'and = :v', 'Syntax error; token: "and", near: "and ="'],
    ['condition', 'a.in = :v', 'Syntax error; token: "in", near: ".in ="'],
    ['condition', 'a BETWEEN :x OR :y', 'Syntax error; token: "OR", near: ":x OR :y"'],
    ['condition', 'f()', 'Syntax error; token: ")", near: "()"'],
    ['update', 'SET a = :v1 + :v2 + :v3', 'Syntax error; token: "+", near: ":v2 + :v3"'],
    ['update', 'SET c = if_not_exists(c, :a+:b)', 'Syntax error; token: "+", near: ":a+:b"'],
    ['update', 'SET a[:x] = :v', 'Syntax error; token: ":x", near: "[:x]"'],
    ['update', 'SET a[#x] = :v', 'Syntax error; token: "#x", near: "[#x]"'],
    ['update', 'SET :a = :b', 'Syntax error; token: ":a", near: "SET :a ="'],
    ['update', 'SET a = :', 'Syntax error; token: ":", near: "= :"'],
    ['update', 'SET # = :v', 'Syntax error; token: "#", near: "SET # ="'],
    ['update', 'ADD a b', 'Syntax error; token: "b", near: "a b"'],
    ['update', 'REMOVE a = :v', 'Syntax error; token: "=", near: "a = :v"'],
    ['update', 'SET a = remove', 'Syntax error; token: "remove", near: "= remove"'],
    ['update', 'SET a = _f(b)', 'Syntax error; token: "_", near: "= _f"'],
    ['update', '   ', 'Syntax error; token: "<EOF>", near: ""'],
    ['projection', '(a1)', 'Syntax error; token: "(", near: "(a1"'],
    ['projection', 'a,', 'Syntax error; token: "<EOF>", near: ","'],
    ['projection', 'a b', 'Syntax error; token: "b", near: "a b"'],
  ];
  for (const [grammar, text, message] of cases) {
    const parse = grammar === 'condition' ? parseConditionExpression : grammar === 'update' ? parseUpdateExpression : parseProjectionExpression;
    assert.throws(() => parse(text), (e: unknown) => {
      assert.ok(e instanceof ExpressionSyntaxError, text);
      assert.equal(e.message, message, text);
      return true;
    });
  }
});

/** A compact rendering of a condition tree, to check precedence and grouping. */
function shape(node: ConditionNode): string {
  switch (node.type) {
    case 'and':
    case 'or':
      return `(${shape(node.left)} ${node.type.toUpperCase()} ${shape(node.right)})`;
    case 'not':
      return `NOT ${shape(node.operand)}`;
    case 'compare':
      return `${node.left.type === 'path' ? node.left.parts[0]!.text : '?'}${node.op}`;
    case 'between':
      return 'BETWEEN';
    case 'in':
      return `IN${node.list.length}`;
    case 'function':
      return node.name;
  }
}

test('conditions parse with DynamoDB precedence: comparisons, NOT, AND, OR; parentheses group', () => {
  const cases: Array<[string, string]> = [
    ['a = :v OR b = :v AND c = :v', '(a= OR (b= AND c=))'],
    ['a = :v AND b = :v OR c = :v', '((a= AND b=) OR c=)'],
    ['NOT a = :v AND b = :v', '(NOT a= AND b=)'],
    ['NOT (a = :v AND b = :v)', 'NOT (a= AND b=)'],
    ['a = :v AND (b = :v OR c = :v)', '(a= AND (b= OR c=))'],
    ['NOT NOT NOT NOT a < b', 'NOT NOT NOT NOT a<'],
    ['a BETWEEN :x AND :y AND b = :v', '(BETWEEN AND b=)'],
    ['a IN (:x, :y, :z) or attribute_exists(b)', '(IN3 OR attribute_exists)'],
    ['(a) = :v', 'a='],
    ['(size(a)) > :v', '?>'],
    ['a aNd b = :v', ''],
  ];
  for (const [text, expected] of cases) {
    if (expected === '') {
      assert.throws(() => parseConditionExpression(text), ExpressionSyntaxError);
      continue;
    }
    assert.equal(shape(parseConditionExpression(text).root), expected, text);
  }
});

test('keywords and function names: keywords are case-insensitive, function names are not', () => {
  assert.equal(parseConditionExpression('a < b aNd b < c oR NoT c < d').staticError, null);
  assert.equal(parseUpdateExpression('sEt a = :v rEmOvE b').staticError, null);
  assert.equal(parseUpdateExpression('SET a = LIST_APPEND(:a, :b)').staticError, 'Invalid function name; function: LIST_APPEND');
  assert.equal(parseConditionExpression('attribute_exists (b.x)').staticError, null);
});

test('text-only checks are found at parse time, in DynamoDB order', () => {
  const cases: Array<['condition' | 'update' | 'projection', string, string | null]> = [
    ['condition', '((a = :v))', 'The expression has redundant parentheses;'],
    ['condition', '((a)) = :v', 'The expression has redundant parentheses;'],
    ['condition', '(a = :v) AND ((b = :v))', 'The expression has redundant parentheses;'],
    ['condition', '(a = :v)', null],
    ['condition', 'dog(a) = :v', 'Invalid function name; function: dog'],
    ['condition', 'if_not_exists(a, a) = :v', 'The function is not allowed in a condition expression; function: if_not_exists'],
    ['condition', 'list_append(a, a) = :v', 'The function is not allowed in a condition expression; function: list_append'],
    ['condition', 'size(a)', 'The function is not allowed to be used this way in an expression; function: size'],
    ['condition', 'attribute_exists(a) < :v', 'The function is not allowed to be used this way in an expression; function: attribute_exists'],
    ['condition', 'contains(attribute_type(a, :t), :v)', 'The function is not allowed to be used this way in an expression; function: attribute_type'],
    ['condition', 'status = :v', 'Attribute name is a reserved keyword; reserved keyword: status'],
    ['condition', 'a.Name.c = :v', 'Attribute name is a reserved keyword; reserved keyword: Name'],
    ['condition', '#status = :v', null],
    ['condition', '((status = :v))', 'The expression has redundant parentheses;'],
    ['condition', 'dog(status) = :v', 'Invalid function name; function: dog'],
    ['update', 'SET a = :v1 SET b = :v2', 'The "SET" section can only be used once in an update expression;'],
    ['update', 'SET a = :v1 REMOVE a SET b = :v2', 'The "SET" section can only be used once in an update expression;'],
    ['update', 'remove a, b REMOVE c', 'The "REMOVE" section can only be used once in an update expression;'],
    ['update', 'SET a = f(b, c, d)', 'Invalid function name; function: f'],
    ['update', 'SET a = size(b)', 'The function is not allowed in an update expression; function: size'],
    ['update', 'SET a = list_append(list_append(:a, :b), :c)', 'The function is not allowed to be used this way in an expression; function: list_append'],
    ['update', 'SET a = list_append(if_not_exists(a, :e), :c)', null],
    ['update', 'SET value = :v', 'Attribute name is a reserved keyword; reserved keyword: value'],
    ['update', 'SET a = f(b) SET c = :v', 'Invalid function name; function: f'],
    ['update', 'SET year = f(b)', 'Attribute name is a reserved keyword; reserved keyword: year'],
    ['projection', 'a, b.size', 'Attribute name is a reserved keyword; reserved keyword: size'],
    ['projection', 'a, #size', null],
  ];
  for (const [grammar, text, error] of cases) {
    const parsed = grammar === 'condition' ? parseConditionExpression(text) : grammar === 'update' ? parseUpdateExpression(text) : parseProjectionExpression(text);
    assert.equal(parsed.staticError, error, text);
  }
});

test('the reserved word list is DynamoDB\'s full documented list, matched case-insensitively', () => {
  assert.equal(reservedWordCount, 573);
  for (const word of ['ABORT', 'status', 'Name', 'zone', 'ttl', 'flattern', 'INNTER', 'loged', 'data', 'size', 'key', 'value'])
    assert.ok(isReservedWord(word), word);
  for (const word of ['abc', 'pk', 'sk', 'user_id', 'statuses', 'ZONES'])
    assert.ok(!isReservedWord(word), word);
});

test('update actions keep source order and sections; paths keep indexes', () => {
  const parsed = parseUpdateExpression('SET a.b[2].#c = :v, d = e + :one REMOVE f[1] ADD g :n DELETE h :s');
  assert.deepEqual(
    parsed.actions.map((a) => [a.section, a.path.parts.map((p) => (p.kind === 'index' ? p.index : p.text))]),
    [
      ['SET', ['a', 'b', 2, '#c']],
      ['SET', ['d']],
      ['REMOVE', ['f', 1]],
      ['ADD', ['g']],
      ['DELETE', ['h']],
    ],
  );
  assert.equal(parsed.actions[0]!.path.literal, null);
  assert.deepEqual(parsed.actions[2]!.path.literal, ['f', 1]);
});

test('random text never crashes the parsers: it parses or raises a syntax error', () => {
  const alphabet = ['a', 'b', '#n', ':v', '(', ')', '[', ']', '0', '.', ',', '=', '<', '>', '<>', '+', '-', ' ', 'AND', 'OR', 'NOT',
    'BETWEEN', 'IN', 'SET', 'REMOVE', 'ADD', 'DELETE', 'size', 'contains', 'if_not_exists', 'list_append', '$', '_'];
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let text = '';
    const length = 1 + random(12);
    for (let j = 0; j < length; j++) text += alphabet[random(alphabet.length)] + (random(2) ? ' ' : '');
    for (const parse of [parseConditionExpression, parseUpdateExpression, parseProjectionExpression]) {
      try {
        parse(text);
      } catch (e) {
        assert.ok(e instanceof ExpressionSyntaxError, `${text}: ${String(e)}`);
        assert.match(e.message, /^Syntax error; token: ".*", near: ".*"$/s);
      }
    }
  }
});
