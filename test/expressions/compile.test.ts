import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRequestExpressions, type ExpressionParameters } from '../../src/expressions/index.ts';
import { B, BOOL, L, N, NS, NULL, S, SS, throwsValidation, validationMessage } from './helpers.ts';

type Case = [label: string, params: ExpressionParameters, message: string | null];

function runCases(cases: Case[]): void {
  for (const [label, params, message] of cases) {
    const actual = validationMessage(() => compileRequestExpressions(params));
    assert.equal(actual, message, label);
  }
}

test('names and values maps: empty maps and malformed keys', () => {
  runCases([
    ['empty names', { ConditionExpression: 'a = :v', ExpressionAttributeNames: {}, ExpressionAttributeValues: { ':v': S('x') } }, 'ExpressionAttributeNames must not be empty'],
    ['empty values', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeValues: {} }, 'ExpressionAttributeValues must not be empty'],
    ['bad name key', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: { a: 'b' } }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'],
    ['bad name key #', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: { '#': 'b' } }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#"'],
    ['bad name key chars', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: { '#hi-there': 'b' } }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#hi-there"'],
    ['bad value key', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeValues: { b: S('x') } }, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"'],
    ['names are checked before values', { ConditionExpression: 'attribute_exists(a)', ExpressionAttributeNames: { a: 'b' }, ExpressionAttributeValues: {} }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'],
  ]);
});

test('names and values without an expression that could use them', () => {
  const options = { expressionParameters: ['ConditionExpression', 'UpdateExpression'] as const };
  throwsValidation(
    () => compileRequestExpressions({ ExpressionAttributeNames: { '#a': 'a' } }, { expressionParameters: options.expressionParameters }),
    'ExpressionAttributeNames can only be specified when using expressions',
  );
  throwsValidation(
    () => compileRequestExpressions({ ExpressionAttributeValues: { ':a': S('a') } }, { expressionParameters: options.expressionParameters }),
    'ExpressionAttributeValues can only be specified when using expressions: ConditionExpression and UpdateExpression are null',
  );
  throwsValidation(
    () => compileRequestExpressions({ ProjectionExpression: 'a', ExpressionAttributeValues: { ':a': S('a') } }, { expressionParameters: ['ProjectionExpression', 'FilterExpression'] }),
    'ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null',
  );
});

test('empty and oversized expressions', () => {
  const big = 'attribute_exists(' + 'a'.repeat(4096 - 18) + ')';
  assert.equal(Buffer.byteLength(big), 4096);
  runCases([
    ['empty update', { UpdateExpression: '' }, 'Invalid UpdateExpression: The expression can not be empty;'],
    ['empty condition', { ConditionExpression: '' }, 'Invalid ConditionExpression: The expression can not be empty;'],
    ['empty key condition', { KeyConditionExpression: '' }, 'Invalid KeyConditionExpression: The expression can not be empty;'],
    ['empty projection', { ProjectionExpression: '' }, 'Invalid ProjectionExpression: The expression can not be empty;'],
    ['4096 bytes is allowed', { ConditionExpression: big }, null],
    ['4097 bytes is not', { ConditionExpression: big.slice(0, -1) + 'a)' }, 'Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097'],
    ['bytes, not characters', { FilterExpression: 'a = :v AND b = :w ' + 'é'.repeat(2100) }, 'Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4218'],
  ]);
  // Limits count the expression as sent, before alias substitution.
  const names: Record<string, string> = {};
  const aliases: string[] = [];
  for (let i = 0; i < 30; i++) {
    names[`#a${i}`] = 'n'.repeat(246) + i;
    aliases.push(`#a${i}`);
  }
  assert.doesNotThrow(() => compileRequestExpressions({ ProjectionExpression: aliases.join(', '), ExpressionAttributeNames: names }));
});

test('each expression kind labels its errors', () => {
  runCases([
    ['update', { UpdateExpression: 'SET a = ' }, 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "="'],
    ['condition', { ConditionExpression: 'a =' }, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'],
    ['filter', { FilterExpression: 'a =' }, 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "="'],
    ['key condition', { KeyConditionExpression: ':hashId a', ExpressionAttributeValues: { ':hashId': S('x') } }, 'Invalid KeyConditionExpression: Syntax error; token: "a", near: ":hashId a"'],
    ['projection', { ProjectionExpression: 'a,,b' }, 'Invalid ProjectionExpression: Syntax error; token: ",", near: ",,b"'],
    ['reserved in projection', { ProjectionExpression: 'a, status' }, 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status'],
    ['reserved in condition', { ConditionExpression: 'status = :v', ExpressionAttributeValues: { ':v': S('x') } }, 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status'],
  ]);
});

test('undefined names and values', () => {
  runCases([
    ['name in condition', { ConditionExpression: '#x = :v', ExpressionAttributeValues: { ':v': S('x') } }, 'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x'],
    ['value in condition', { ConditionExpression: 's = :v' }, 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v'],
    ['value in update', { UpdateExpression: 'SET attr1 = :v' }, 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v'],
    ['name in update', { UpdateExpression: 'SET #name = :val1', ExpressionAttributeNames: { '#wrongname': 'x' }, ExpressionAttributeValues: { ':val1': N(1) } }, 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #name'],
    ['update names before values', { UpdateExpression: 'SET a = :v, #b = :w', ExpressionAttributeValues: { ':w': N(1) } }, 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #b'],
    ['nested name in projection', { ProjectionExpression: 'a.#b' }, 'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #b'],
    ['value used only as if_not_exists first operand', { UpdateExpression: 'SET b = if_not_exists(:val2, :val1)', ExpressionAttributeValues: { ':val1': N(6) } }, 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :val2'],
    // The UpdateExpression is checked before the ConditionExpression.
    ['condition value beside a defined update value', { UpdateExpression: 'SET b = :w', ConditionExpression: 'a = :v', ExpressionAttributeValues: { ':w': S('x') } }, 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v'],
    ['update first', { UpdateExpression: 'SET b = :x', ConditionExpression: 'a = :y' }, 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :x'],
  ]);
});

test('unused names and values are checked across all of a request\'s expressions', () => {
  runCases([
    ['unused name', { UpdateExpression: 'SET attr1 = :v', ExpressionAttributeValues: { ':v': S('val') }, ExpressionAttributeNames: { '#unused': 'x' } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}'],
    ['unused value', { UpdateExpression: 'SET attr1 = :v', ExpressionAttributeValues: { ':v': S('val'), ':unused': S('extra') } }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}'],
    ['several unused, in order', { ConditionExpression: 'a = :b', ExpressionAttributeValues: { ':a': S('1'), ':b': S('2'), ':c': S('3') } }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}'],
    ['names before values', { ConditionExpression: 'a = :b', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':b': S('2'), ':c': S('3') } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}'],
    ['used in another expression', {
      KeyConditionExpression: '#pk = :pk', FilterExpression: '#f > :min', ProjectionExpression: '#p, #f',
      ExpressionAttributeNames: { '#pk': 'pk', '#f': 'f', '#p': 'p' }, ExpressionAttributeValues: { ':pk': S('x'), ':min': N(3) },
    }, null],
    ['name used on the right-hand side of SET', { UpdateExpression: 'SET #one = #two', ExpressionAttributeNames: { '#one': 'c', '#two': 'a' } }, null],
    ['one unused among right-hand names', { UpdateExpression: 'SET #one = #two', ExpressionAttributeNames: { '#one': 'c', '#two': 'a', '#three': 'z' } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#three}'],
  ]);
});

test('condition operand checks: counts, distinct operands, operand types', () => {
  const v = (values: Record<string, ReturnType<typeof S>>) => values;
  runCases([
    ['arity', { ConditionExpression: 'attribute_exists(a, b)' }, 'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2'],
    ['size arity', { ConditionExpression: 'size(a, a) = :v', ExpressionAttributeValues: v({ ':v': N(5) }) }, 'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: size, number of operands: 2'],
    ['begins_with arity', { ConditionExpression: 'begins_with(a)' }, 'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1'],
    ['distinct comparison', { ConditionExpression: 'a = a' }, 'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]'],
    ['distinct after substitution', { ConditionExpression: '#a.b[1] <> a.b[1]', ExpressionAttributeNames: { '#a': 'a' } }, 'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [a, b, [1]]'],
    ['distinct function', { ConditionExpression: 'contains(a, a)' }, 'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]'],
    ['contains(a, a1) is fine', { ConditionExpression: 'contains(a, a1)' }, null],
    ['exists needs a path', { ConditionExpression: 'attribute_exists(:v)', ExpressionAttributeValues: v({ ':v': S('x') }) }, 'Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists'],
    ['not_exists needs a path', { ConditionExpression: 'attribute_not_exists(:v)', ExpressionAttributeValues: v({ ':v': S('x') }) }, 'Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_not_exists'],
    ['begins_with N', { ConditionExpression: 'begins_with(a, :v)', ExpressionAttributeValues: v({ ':v': N(1) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N'],
    ['begins_with BOOL', { ConditionExpression: 'begins_with(a, :v)', ExpressionAttributeValues: v({ ':v': BOOL(true) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL'],
    ['begins_with size()', { ConditionExpression: 'begins_with(size(a), :v)', ExpressionAttributeValues: v({ ':v': S('1') }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N'],
    ['begins_with B', { ConditionExpression: 'begins_with(a, :v)', ExpressionAttributeValues: v({ ':v': B([1]) }) }, null],
    ['size of N value', { ConditionExpression: 'size(:v) > :w', ExpressionAttributeValues: v({ ':v': N(1), ':w': N(1) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N'],
    ['size of NULL value', { ConditionExpression: 'size(:v) > :w', ExpressionAttributeValues: v({ ':v': NULL, ':w': N(1) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: NULL'],
    ['size of S value', { ConditionExpression: 'size(:v) > :w', ExpressionAttributeValues: v({ ':v': S('abc'), ':w': N(1) }) }, null],
    ['attribute_type N', { ConditionExpression: 'attribute_type(a, :t)', ExpressionAttributeValues: v({ ':t': N(1) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N'],
    ['attribute_type path', { ConditionExpression: 'attribute_type(a, b)' }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}'],
    ['attribute_type name', { ConditionExpression: 'attribute_type(a, :t)', ExpressionAttributeValues: v({ ':t': S('STRING') }) }, 'Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}'],
    ['ordering with a list value', { ConditionExpression: 'a < :v', ExpressionAttributeValues: v({ ':v': L(N(1)) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L'],
    ['ordering with a list value first', { ConditionExpression: ':v >= a', ExpressionAttributeValues: v({ ':v': SS('x') }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: SS'],
    ['equality with a list value is fine', { ConditionExpression: 'a = :v', ExpressionAttributeValues: v({ ':v': L(N(1)) }) }, null],
    ['BETWEEN types', { ConditionExpression: 'a BETWEEN :x AND :y', ExpressionAttributeValues: v({ ':x': N(1), ':y': S('a') }) }, 'Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}'],
    ['BETWEEN order', { ConditionExpression: 'a BETWEEN :x AND :y', ExpressionAttributeValues: v({ ':x': N(10), ':y': N(9) }) }, 'Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:9}'],
    ['BETWEEN order of strings is by bytes', { ConditionExpression: 'a BETWEEN :x AND :y', ExpressionAttributeValues: v({ ':x': S('Z'), ':y': S('a') }) }, null],
    ['BETWEEN BOOL', { ConditionExpression: 'a BETWEEN :x AND :y', ExpressionAttributeValues: v({ ':x': BOOL(false), ':y': BOOL(true) }) }, 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL'],
    ['IN with many values', { ConditionExpression: 'a IN (:a, :b, :c)', ExpressionAttributeValues: v({ ':a': S('1'), ':b': N(2), ':c': NS(3) }) }, null],
  ]);
});

test('a condition reports the first problem in the order its clauses are written', () => {
  const T = (expr: string, values: Record<string, ReturnType<typeof S>>) => validationMessage(() => compileRequestExpressions({ KeyConditionExpression: expr, ExpressionAttributeValues: values }));
  const operand = 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N';
  const undefinedMissing = 'Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing';
  assert.equal(T('pk = :missing AND begins_with(sk, :n)', { ':n': N(1) }), undefinedMissing);
  assert.equal(T('begins_with(sk, :n) AND pk = :missing', { ':n': N(1) }), operand);
  assert.equal(T('pk = :p AND begins_with(sk, :n) AND sk = :missing', { ':p': S('q'), ':n': N(1) }), operand);
  // Within one clause, undefined placeholders come before counts, distinctness and types.
  assert.equal(
    validationMessage(() => compileRequestExpressions({ ConditionExpression: 'begins_with(a, :n, :m)', ExpressionAttributeValues: { ':n': N(1) } })),
    'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :m',
  );
  // Text-only errors come before any placeholder error.
  assert.equal(
    validationMessage(() => compileRequestExpressions({ ConditionExpression: '#a = :v AND status = :w' })),
    'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status',
  );
});

test('update checks: paths overlap or conflict, operand types, function operands', () => {
  const values = { ':val1': N(2), ':val2': S('there') };
  const overlapping = [
    ['SET a = :val1, a.b = :val2', '[a]', '[a, b]'],
    ['SET a.b = :val1, a = :val2', '[a, b]', '[a]'],
    ['SET a.b = :val1, a.b = :val2', '[a, b]', '[a, b]'],
    ['SET a.b.c = :val1, a.b = :val2', '[a, b, c]', '[a, b]'],
    ['SET a = :val1, a[1] = :val2', '[a]', '[a, [1]]'],
    ['SET a[1][1] = :val1, a[1] = :val2', '[a, [1], [1]]', '[a, [1]]'],
    ['SET a = :val1 REMOVE a', '[a]', '[a]'],
    ['REMOVE a SET a = :val1', '[a]', '[a]'],
  ];
  const cases: Case[] = overlapping.map(([expr, one, two]) => [
    expr!,
    { UpdateExpression: expr, ExpressionAttributeValues: expr!.includes(':val2') ? values : { ':val1': N(2) } },
    `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${one}, path two: ${two}`,
  ]);
  cases.push(
    ['aliases resolve before comparing', { UpdateExpression: 'SET #a1 = :val1, #a2 = :val2', ExpressionAttributeNames: { '#a1': 'a', '#a2': 'a' }, ExpressionAttributeValues: values },
      'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]'],
    ['conflict', { UpdateExpression: 'SET a.b = :val1, a[1] = :val2', ExpressionAttributeValues: values },
      'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]'],
    ['conflict deeper', { UpdateExpression: 'SET a.b.c = :val1, a.b[2] = :val2', ExpressionAttributeValues: values },
      'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b, c], path two: [a, b, [2]]'],
    ['disjoint nested paths', { UpdateExpression: 'SET a.b = :val1, a.c.d = :val2, b.x = :val1 REMOVE a.x, b.y', ExpressionAttributeValues: values }, null],
    ['reading a path that is written is fine', { UpdateExpression: 'REMOVE a SET b = a' }, null],
    ['ADD a string', { UpdateExpression: 'ADD a :v', ExpressionAttributeValues: { ':v': S('hello') } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING'],
    ['ADD a list', { UpdateExpression: 'ADD a :v', ExpressionAttributeValues: { ':v': L(N(3)) } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST'],
    ['ADD a map', { UpdateExpression: 'ADD a :v', ExpressionAttributeValues: { ':v': { M: {} } } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: MAP'],
    ['ADD a set', { UpdateExpression: 'ADD a :v', ExpressionAttributeValues: { ':v': SS('x') } }, null],
    ['DELETE a number', { UpdateExpression: 'DELETE a :v', ExpressionAttributeValues: { ':v': N(1) } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER'],
    ['DELETE a string', { UpdateExpression: 'DELETE a :v', ExpressionAttributeValues: { ':v': S('x') } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: STRING'],
    ['DELETE a boolean', { UpdateExpression: 'DELETE a :v', ExpressionAttributeValues: { ':v': BOOL(true) } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: BOOLEAN'],
    ['+ on a string', { UpdateExpression: 'SET b = :val1 + :val2', ExpressionAttributeValues: { ':val1': S('dog'), ':val2': N(3) } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S'],
    ['- on a list', { UpdateExpression: 'SET b = a - :v', ExpressionAttributeValues: { ':v': L() } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: L'],
    ['list_append arity', { UpdateExpression: 'SET a = list_append(:val1)', ExpressionAttributeValues: { ':val1': L() } }, 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1'],
    ['list_append on a string', { UpdateExpression: 'SET a = list_append(:val1, :val2)', ExpressionAttributeValues: { ':val1': L(), ':val2': S('hi') } }, 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S'],
    ['if_not_exists needs a path', { UpdateExpression: 'SET b = if_not_exists(:val2, :val1)', ExpressionAttributeValues: { ':val1': N(6), ':val2': N(3) } }, 'Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists'],
    ['if_not_exists of a function', { UpdateExpression: 'SET b = if_not_exists(if_not_exists(a, :val2), :val1)', ExpressionAttributeValues: { ':val1': N(6), ':val2': N(3) } }, 'Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists'],
    ['if_not_exists arity', { UpdateExpression: 'SET b = if_not_exists(a)' }, 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1'],
    ['overlap before operand types', { UpdateExpression: 'SET a = :s, a = :s ADD b :s', ExpressionAttributeValues: { ':s': S('x') } }, 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]'],
    ['reserved before everything', { UpdateExpression: 'SET #x = :y, name = f(a)' }, 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name'],
  );
  runCases(cases);
});

test('projection paths must not overlap or conflict', () => {
  runCases([
    ['overlap', { ProjectionExpression: 'a.b, a' }, 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]'],
    ['duplicate', { ProjectionExpression: 'a, #a', ExpressionAttributeNames: { '#a': 'a' } }, 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]'],
    ['conflict', { ProjectionExpression: 'a[0], a.b' }, 'Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]'],
    ['siblings', { ProjectionExpression: 'a[0], a[1], b.c, b.d' }, null],
  ]);
});
