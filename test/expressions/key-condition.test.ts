import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRequestExpressions, keyConditionToRange } from '../../src/expressions/index.ts';
import type { AttributeDefinition, AttributeValue, KeySchemaElement } from '../../src/values/types.ts';
import { B, BOOL, N, S, validationMessage } from './helpers.ts';

const composite: KeySchemaElement[] = [
  { AttributeName: 'pk', KeyType: 'HASH' },
  { AttributeName: 'sk', KeyType: 'RANGE' },
];
const hashOnly: KeySchemaElement[] = [{ AttributeName: 'pk', KeyType: 'HASH' }];
const stringKeys: AttributeDefinition[] = [
  { AttributeName: 'pk', AttributeType: 'S' },
  { AttributeName: 'sk', AttributeType: 'S' },
];
const numberSortKey: AttributeDefinition[] = [
  { AttributeName: 'pk', AttributeType: 'S' },
  { AttributeName: 'sk', AttributeType: 'N' },
];

function range(expression: string, values: Record<string, AttributeValue>, schema = composite, definitions = stringKeys, names?: Record<string, string>) {
  const compiled = compileRequestExpressions({
    KeyConditionExpression: expression,
    ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
    ExpressionAttributeNames: names,
  });
  return keyConditionToRange(compiled.keyCondition!, schema, definitions);
}

test('partition key alone, and every sort key operator', () => {
  assert.deepEqual(range('pk = :p', { ':p': S('a') }), { partitionKeyValue: S('a') });
  assert.deepEqual(range('#k = :p', { ':p': S('a') }, hashOnly, stringKeys, { '#k': 'pk' }), { partitionKeyValue: S('a') });
  const cases: Array<[string, Record<string, AttributeValue>, string, AttributeValue[]]> = [
    ['pk = :p AND sk = :s', { ':p': S('a'), ':s': S('b') }, '=', [S('b')]],
    ['pk = :p AND sk < :s', { ':p': S('a'), ':s': S('b') }, '<', [S('b')]],
    ['pk = :p AND sk <= :s', { ':p': S('a'), ':s': S('b') }, '<=', [S('b')]],
    ['pk = :p AND sk > :s', { ':p': S('a'), ':s': S('b') }, '>', [S('b')]],
    ['pk = :p AND sk >= :s', { ':p': S('a'), ':s': S('b') }, '>=', [S('b')]],
    ['pk = :p AND sk BETWEEN :x AND :y', { ':p': S('a'), ':x': S('b'), ':y': S('c') }, 'BETWEEN', [S('b'), S('c')]],
    ['pk = :p AND begins_with(sk, :s)', { ':p': S('a'), ':s': S('b') }, 'BEGINS_WITH', [S('b')]],
    // Written value-first, the operator is mirrored.
    ['pk = :p AND :s < sk', { ':p': S('a'), ':s': S('b') }, '>', [S('b')]],
    ['pk = :p AND :s >= sk', { ':p': S('a'), ':s': S('b') }, '<=', [S('b')]],
    ['sk >= :s AND pk = :p', { ':p': S('a'), ':s': S('b') }, '>=', [S('b')]],
    [':p = pk AND (sk = :s)', { ':p': S('a'), ':s': S('b') }, '=', [S('b')]],
    ['pk = :p and sk > :s', { ':p': S('a'), ':s': S('b') }, '>', [S('b')]],
  ];
  for (const [expression, values, op, sortValues] of cases) {
    assert.deepEqual(range(expression, values), { partitionKeyValue: S('a'), sortKey: { op, values: sortValues } }, expression);
  }
  assert.deepEqual(range('pk = :p AND sk BETWEEN :x AND :y', { ':p': S('a'), ':x': N(1), ':y': N(5) }, composite, numberSortKey), {
    partitionKeyValue: S('a'),
    sortKey: { op: 'BETWEEN', values: [N(1), N(5)] },
  });
  assert.deepEqual(range('pk = :p AND begins_with(sk, :b)', { ':p': S('a'), ':b': B([1]) }, composite, [stringKeys[0]!, { AttributeName: 'sk', AttributeType: 'B' }]), {
    partitionKeyValue: S('a'),
    sortKey: { op: 'BEGINS_WITH', values: [B([1])] },
  });
});

test('KeyConditionExpression validation messages', () => {
  const schema = 'One or more parameter values were invalid: Condition parameter type does not match schema type';
  const cases: Array<[string, Record<string, AttributeValue>, string, KeySchemaElement[]?, AttributeDefinition[]?]> = [
    ['pk = :p OR sk = :s', { ':p': S('a'), ':s': S('b') }, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR'],
    ['NOT pk = :p', { ':p': S('a') }, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: NOT'],
    ['pk IN (:p)', { ':p': S('a') }, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: IN'],
    ['pk <> :p', { ':p': S('a') }, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>'],
    ['pk = :p AND attribute_exists(sk)', { ':p': S('a') }, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists'],
    ['pk = :p AND contains(sk, :s)', { ':p': S('a'), ':s': S('b') }, 'Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: contains'],
    ['pk = :p AND size(sk) > :n', { ':p': S('a'), ':n': N(1) }, 'Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations'],
    ['pk = :p AND :s BETWEEN sk AND :t', { ':p': S('a'), ':s': S('b'), ':t': S('c') }, 'Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand'],
    ['pk = :p AND begins_with(:s, sk)', { ':p': S('a'), ':s': S('b') }, 'Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand'],
    ['pk = sk', {}, 'Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition'],
    ['pk = :p AND sk.x = :s', { ':p': S('a'), ':s': S('b') }, 'Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes'],
    [':p = :s', { ':p': S('a'), ':s': S('b') }, 'Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: No key attribute specified'],
    ['pk = :p AND sk > :a AND sk < :b', { ':p': S('q'), ':a': N(1), ':b': N(5) }, 'Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key', composite, numberSortKey],
    ['pk = :p AND pk = :q', { ':p': S('a'), ':q': S('b') }, 'Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key'],
    ['pk = :p AND sk > :a AND extra = :b', { ':p': S('q'), ':a': N(1), ':b': N(5) }, 'The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)', composite, numberSortKey],
    ['pk = :p AND sk = :s', { ':p': S('a'), ':s': S('b') }, 'The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)', hashOnly],
    ['sk = :s', { ':s': S('b') }, 'Query condition missed key schema element: pk'],
    ['extra = :s', { ':s': S('b') }, 'Query condition missed key schema element: pk', hashOnly],
    ['pk = :p AND extra = :s', { ':p': S('a'), ':s': S('b') }, 'Query condition missed key schema element: sk'],
    ['pk = :p', { ':p': N(1) }, schema],
    ['pk = :p AND sk = :s', { ':p': S('a'), ':s': N(1) }, schema],
    ['pk = :p AND begins_with(sk, :v)', { ':p': S('q'), ':v': S('a') }, schema, composite, numberSortKey],
    ['pk = :p AND sk = :v', { ':p': S('q'), ':v': BOOL(true) }, schema, composite, numberSortKey],
    ['pk > :p', { ':p': S('a') }, 'Query key condition not supported'],
    ['begins_with(pk, :p)', { ':p': S('a') }, 'Query key condition not supported'],
    ['pk BETWEEN :a AND :b', { ':a': S('a'), ':b': S('b') }, 'Query key condition not supported'],
    // Operand types no key could have fail first, in the expression's own wording.
    ['pk = :p AND begins_with(sk, :v)', { ':p': S('q'), ':v': N(1) }, 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N'],
    ['pk = :p AND begins_with(sk, :v)', { ':p': S('q'), ':v': BOOL(true) }, 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL'],
    ['pk = :p AND begins_with(sk, :v)', { ':p': S('q'), ':v': N(1) }, 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N', composite, numberSortKey],
    ['pk = :p AND sk < :v', { ':p': S('q'), ':v': BOOL(true) }, 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL', composite, numberSortKey],
    ['pk = :p AND :v >= sk', { ':p': S('q'), ':v': BOOL(true) }, 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL', composite, numberSortKey],
    ['pk = :p AND sk BETWEEN :a AND :b', { ':p': S('q'), ':a': BOOL(false), ':b': BOOL(true) }, 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL', composite, numberSortKey],
    ['pk = :p AND sk BETWEEN :a AND :b', { ':p': S('q'), ':a': N(5), ':b': N(1) }, 'Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}', composite, numberSortKey],
  ];
  for (const [expression, values, message, keySchema, definitions] of cases) {
    assert.equal(validationMessage(() => range(expression, values, keySchema ?? composite, definitions ?? stringKeys)), message, expression);
  }
});
