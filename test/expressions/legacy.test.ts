// Legacy parameters rewritten as expressions: DynamoDB's validation messages, the generated
// expressions, and that evaluating them gives the legacy semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdate, compileRequestExpressions, evaluateCondition } from '../../src/expressions/index.ts';
import {
  attributesToGetText,
  attributeUpdatesText,
  checkConditionalOperator,
  checkKeyConditionsCount,
  checkKeyConditionsSchema,
  checkNoMixing,
  checkQueryFilterKeys,
  conditionsText,
  PlaceholderBuilder,
  validateConditions,
  validateExpected,
  type LegacyOperation,
} from '../../src/expressions/legacy.ts';
import type { Item, KeySchemaElement, AttributeDefinition } from '../../src/values/types.ts';
import { B, BOOL, L, M, N, NS, NULL, S, SS, throwsValidation, validationMessage } from './helpers.ts';

const invalid = 'One or more parameter values were invalid: ';
const mixing = (legacy: string, expression: string) =>
  `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacy}} Expression parameters: {${expression}}`;

test('mixing legacy and expression parameters lists both sides in DynamoDB order', () => {
  const cases: Array<[LegacyOperation, Record<string, unknown>, string | null]> = [
    ['GetItem', { AttributesToGet: ['a'], ProjectionExpression: 'a' }, mixing('AttributesToGet', 'ProjectionExpression')],
    ['GetItem', { AttributesToGet: ['a'] }, null],
    ['PutItem', { Expected: {}, ConditionExpression: 'a = :v' }, mixing('Expected', 'ConditionExpression')],
    ['PutItem', { Expected: {}, ConditionalOperator: 'AND', ConditionExpression: 'x' }, mixing('Expected, ConditionalOperator', 'ConditionExpression')],
    ['DeleteItem', { ConditionalOperator: 'OR', ConditionExpression: 'x' }, mixing('ConditionalOperator', 'ConditionExpression')],
    [
      'UpdateItem',
      { AttributeUpdates: {}, Expected: {}, ConditionalOperator: 'AND', UpdateExpression: 'x', ConditionExpression: 'y' },
      mixing('AttributeUpdates, Expected, ConditionalOperator', 'UpdateExpression, ConditionExpression'),
    ],
    ['UpdateItem', { Expected: {}, UpdateExpression: 'SET a = :v' }, mixing('Expected', 'UpdateExpression')],
    [
      'Query',
      { KeyConditions: {}, QueryFilter: {}, ConditionalOperator: 'AND', KeyConditionExpression: 'x', FilterExpression: 'y', ProjectionExpression: 'z' },
      mixing('QueryFilter, ConditionalOperator, KeyConditions', 'ProjectionExpression, FilterExpression, KeyConditionExpression'),
    ],
    ['Query', { QueryFilter: {}, KeyConditionExpression: 'x' }, mixing('QueryFilter', 'KeyConditionExpression')],
    ['Query', { AttributesToGet: ['a'], KeyConditionExpression: 'x' }, mixing('AttributesToGet', 'KeyConditionExpression')],
    // KeyConditions may be combined with FilterExpression and ProjectionExpression.
    ['Query', { KeyConditions: {}, FilterExpression: 'y', ProjectionExpression: 'z' }, null],
    ['Query', { KeyConditions: {}, AttributesToGet: ['a'], FilterExpression: 'y' }, mixing('AttributesToGet', 'FilterExpression')],
    [
      'Scan',
      { AttributesToGet: ['a'], ScanFilter: {}, ConditionalOperator: 'AND', FilterExpression: 'x', ProjectionExpression: 'y' },
      mixing('AttributesToGet, ScanFilter, ConditionalOperator', 'ProjectionExpression, FilterExpression'),
    ],
    ['Scan', { ScanFilter: {}, ProjectionExpression: 'b' }, mixing('ScanFilter', 'ProjectionExpression')],
    ['Scan', { ScanFilter: null, ProjectionExpression: 'b' }, null],
  ];
  for (const [operation, input, message] of cases) {
    assert.equal(validationMessage(() => checkNoMixing(operation, input)), message, `${operation} ${JSON.stringify(input)}`);
  }
});

test('ConditionalOperator needs a filter or Expected with two or more conditions', () => {
  const without = 'ConditionalOperator cannot be used without Filter or Expected';
  const one = 'ConditionalOperator can only be used when Filter or Expected has two or more elements';
  const cond = { ComparisonOperator: 'EQ', AttributeValueList: [S('x')] };
  assert.equal(validationMessage(() => checkConditionalOperator({ ConditionalOperator: 'AND' }, 'ScanFilter')), without);
  assert.equal(validationMessage(() => checkConditionalOperator({ ConditionalOperator: 'OR', ScanFilter: {} }, 'ScanFilter')), without);
  assert.equal(validationMessage(() => checkConditionalOperator({ ConditionalOperator: 'AND', ScanFilter: { a: cond } }, 'ScanFilter')), one);
  assert.equal(validationMessage(() => checkConditionalOperator({ ConditionalOperator: 'AND', Expected: { a: cond } }, 'Expected')), one);
  assert.equal(validationMessage(() => checkConditionalOperator({ ConditionalOperator: 'AND', Expected: { a: cond, b: cond } }, 'Expected')), null);
  assert.equal(validationMessage(() => checkConditionalOperator({ ScanFilter: { a: cond } }, 'ScanFilter')), null);
});

test('Expected: the Exists/Value and ComparisonOperator forms, with DynamoDB messages', () => {
  const cases: Array<[Record<string, unknown>, string | null]> = [
    [{ Value: S('x'), AttributeValueList: [S('x')], ComparisonOperator: 'EQ' }, `${invalid}Value and AttributeValueList cannot be used together for Attribute: a`],
    [{ ComparisonOperator: 'EQ', Exists: true, Value: S('x') }, `${invalid}Exists and ComparisonOperator cannot be used together for Attribute: a`],
    [{ ComparisonOperator: 'EQ' }, `${invalid}Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a`],
    [{ ComparisonOperator: 'NULL' }, null],
    [{ ComparisonOperator: 'NOT_NULL', AttributeValueList: [S('x')] }, `${invalid}Invalid number of argument(s) for the NOT_NULL ComparisonOperator`],
    [{ ComparisonOperator: 'EQ', AttributeValueList: [] }, `${invalid}Invalid number of argument(s) for the EQ ComparisonOperator`],
    [{ ComparisonOperator: 'EQ', AttributeValueList: [S('x'), S('y')] }, `${invalid}Invalid number of argument(s) for the EQ ComparisonOperator`],
    [{ ComparisonOperator: 'EQ', Value: S('x') }, null],
    [{ AttributeValueList: [S('x')] }, `${invalid}AttributeValueList can only be used with a ComparisonOperator for Attribute: a`],
    [{}, `${invalid}Value must be provided when Exists is null for Attribute: a`],
    [{ Exists: true }, `${invalid}Value must be provided when Exists is true for Attribute: a`],
    [{ Exists: false, Value: S('x') }, `${invalid}Value cannot be used when Exists is false for Attribute: a`],
    [{ Exists: false }, null],
    [{ Exists: true, Value: S('x') }, null],
    [{ Value: { SS: [] } }, `${invalid}An string set  may not be empty`],
    [{ ComparisonOperator: 'LT', Value: SS('x') }, `${invalid}ComparisonOperator LT is not valid for SS AttributeValue type`],
  ];
  for (const [condition, message] of cases) {
    assert.equal(validationMessage(() => validateExpected({ a: condition })), message, JSON.stringify(condition));
  }
});

test('QueryFilter/ScanFilter/KeyConditions: argument counts, one type, the types each operator takes, BETWEEN bounds', () => {
  const count = (op: string) => `${invalid}Invalid number of argument(s) for the ${op} ComparisonOperator`;
  const notValid = (op: string, type: string) => `${invalid}ComparisonOperator ${op} is not valid for ${type} AttributeValue type`;
  const cases: Array<[string, unknown[], string | null]> = [
    ['NULL', [], null],
    ['NULL', [S('a')], count('NULL')],
    ['NOT_NULL', [S('a')], count('NOT_NULL')],
    ['EQ', [], count('EQ')],
    ['NE', [S('a'), S('b')], count('NE')],
    ['IN', [], count('IN')],
    ['IN', [S('a'), S('b'), S('c')], null],
    ['IN', [S('a'), N(1)], `${invalid}AttributeValues inside AttributeValueList must be of same type`],
    ['BETWEEN', [N(1)], count('BETWEEN')],
    ['BETWEEN', [N(1), N(2), N(3)], count('BETWEEN')],
    ['BETWEEN', [N(1), S('2')], `${invalid}AttributeValues inside AttributeValueList must be of same type`],
    ['BETWEEN', [N(2), N(1)], 'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound'],
    ['BETWEEN', [S('b'), S('a')], 'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound'],
    ['BETWEEN', [N(1), N(1)], null],
    ['EQ', [L(S('a'))], null],
    ['EQ', [M({ a: S('b') })], null],
    ['NE', [BOOL(true)], null],
    ['EQ', [SS('a')], null],
    ['CONTAINS', [BOOL(true)], null],
    ['CONTAINS', [NULL], null],
    ['BEGINS_WITH', [B('ab')], null],
    ['BEGINS_WITH', [N(1)], notValid('BEGINS_WITH', 'N')],
    ['GT', [SS('a')], notValid('GT', 'SS')],
    ['LE', [NS(1)], notValid('LE', 'NS')],
    ['IN', [BOOL(true)], notValid('IN', 'BOOL')],
    ['LT', [NULL], notValid('LT', 'NULL')],
    ['GE', [M({})], notValid('GE', 'M')],
    ['BETWEEN', [L(), L()], notValid('BETWEEN', 'L')],
    ['CONTAINS', [SS('a')], notValid('CONTAINS', 'SS')],
    ['NOT_CONTAINS', [L()], notValid('NOT_CONTAINS', 'L')],
    ['EQ', [{}], 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    ['EQ', [{ N: '1e200' }], 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
  ];
  for (const [op, list, message] of cases) {
    assert.equal(validationMessage(() => validateConditions({ a: { ComparisonOperator: op, AttributeValueList: list } })), message, `${op} ${JSON.stringify(list)}`);
  }
  assert.equal(validationMessage(() => checkKeyConditionsCount(validateConditions({}))), 'Conditions can be of length 1 or 2 only');
  const three = validateConditions({ a: { ComparisonOperator: 'NULL' }, b: { ComparisonOperator: 'NULL' }, c: { ComparisonOperator: 'NULL' } });
  assert.equal(validationMessage(() => checkKeyConditionsCount(three)), 'Conditions can be of length 1 or 2 only');
});

/** Builds the expression for a legacy condition map, compiles it, and evaluates it on `item`. */
function evaluateLegacy(kind: 'Expected' | 'Filter', conditions: Record<string, unknown>, item: Item | undefined, conditionalOperator?: string): boolean {
  const b = new PlaceholderBuilder();
  const comparisons = kind === 'Expected' ? validateExpected(conditions) : validateConditions(conditions);
  const text = conditionsText(comparisons, conditionalOperator, b)!;
  const compiled = compileRequestExpressions({
    ConditionExpression: text,
    ExpressionAttributeNames: b.hasNames ? b.names : undefined,
    ExpressionAttributeValues: b.hasValues ? b.values : undefined,
  });
  return evaluateCondition(compiled.condition!, item);
}

test('legacy comparisons evaluate with legacy semantics', () => {
  const item: Item = { s: S('hello'), n: N('10'), ss: SS('a', 'b'), ns: NS(1, 2), l: L(S('x'), N(1)), b: B('abc'), m: M({ k: S('v') }), t: BOOL(true) };
  const f = (op: string, ...values: unknown[]) => ({ ComparisonOperator: op, AttributeValueList: values });
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['EQ string', { s: f('EQ', S('hello')) }, true],
    ['EQ number 1.0 = 10 exactly', { n: f('EQ', N('10.0')) }, true],
    ['EQ wrong type', { n: f('EQ', S('10')) }, false],
    ['EQ set, any order', { ss: f('EQ', SS('b', 'a')) }, true],
    ['EQ list', { l: f('EQ', L(S('x'), N(1))) }, true],
    ['EQ map', { m: f('EQ', M({ k: S('v') })) }, true],
    ['EQ missing', { zz: f('EQ', S('x')) }, false],
    ['NE different', { s: f('NE', S('bye')) }, true],
    ['NE missing attribute is true', { zz: f('NE', S('x')) }, true],
    ['LT', { n: f('LT', N(11)) }, true],
    ['LE equal', { n: f('LE', N(10)) }, true],
    ['GT', { n: f('GT', N(10)) }, false],
    ['GE', { s: f('GE', S('hello')) }, true],
    ['LT other type is false', { s: f('LT', N(1)) }, false],
    ['NOT_NULL', { s: f('NOT_NULL') }, true],
    ['NOT_NULL missing', { zz: f('NOT_NULL') }, false],
    ['NULL missing', { zz: f('NULL') }, true],
    ['NULL present', { s: f('NULL') }, false],
    ['CONTAINS substring', { s: f('CONTAINS', S('ell')) }, true],
    ['CONTAINS set member', { ss: f('CONTAINS', S('b')) }, true],
    ['CONTAINS number set member', { ns: f('CONTAINS', N('2.0')) }, true],
    ['CONTAINS list element', { l: f('CONTAINS', N(1)) }, true],
    ['CONTAINS missing', { zz: f('CONTAINS', S('a')) }, false],
    ['NOT_CONTAINS', { s: f('NOT_CONTAINS', S('xyz')) }, true],
    ['NOT_CONTAINS present member', { ss: f('NOT_CONTAINS', S('a')) }, false],
    ['NOT_CONTAINS missing attribute is false', { zz: f('NOT_CONTAINS', S('a')) }, false],
    ['BEGINS_WITH string', { s: f('BEGINS_WITH', S('he')) }, true],
    ['BEGINS_WITH binary', { b: f('BEGINS_WITH', B('ab')) }, true],
    ['BEGINS_WITH other', { s: f('BEGINS_WITH', S('x')) }, false],
    ['IN', { n: f('IN', N(1), N(10)) }, true],
    ['IN none', { s: f('IN', S('a'), S('b')) }, false],
    ['BETWEEN', { n: f('BETWEEN', N(5), N(10)) }, true],
    ['BETWEEN outside', { n: f('BETWEEN', N(11), N(20)) }, false],
    ['two conditions AND', { s: f('EQ', S('hello')), n: f('EQ', N(11)) }, false],
  ];
  for (const [label, conditions, expected] of cases) {
    assert.equal(evaluateLegacy('Filter', conditions, item), expected, label);
  }
  assert.equal(evaluateLegacy('Filter', { s: f('EQ', S('nope')), n: f('EQ', N(10)) }, item, 'OR'), true, 'OR: one is enough');
  assert.equal(evaluateLegacy('Filter', { s: f('EQ', S('nope')), n: f('EQ', N(11)) }, item, 'OR'), false, 'OR: none');
  assert.equal(evaluateLegacy('Filter', { zz: f('NOT_CONTAINS', S('a')), s: f('EQ', S('hello')) }, item, 'OR'), true, 'OR with a compound term');
  // Expected's Exists/Value forms.
  assert.equal(evaluateLegacy('Expected', { s: { Value: S('hello') } }, item), true);
  assert.equal(evaluateLegacy('Expected', { s: { Exists: true, Value: S('bye') } }, item), false);
  assert.equal(evaluateLegacy('Expected', { zz: { Exists: false } }, item), true);
  assert.equal(evaluateLegacy('Expected', { s: { Exists: false } }, item), false);
  assert.equal(evaluateLegacy('Expected', { zz: { Exists: false } }, undefined), true, 'absent item');
  assert.equal(evaluateLegacy('Expected', { n: { ComparisonOperator: 'GT', Value: N(3) } }, item), true);
});

test('generated placeholders avoid the names and values a request already uses', () => {
  const b = new PlaceholderBuilder({ '#l0': 'x', '#l1': 'y' }, { ':l0': S('v') });
  assert.equal(b.name('a'), '#l2');
  assert.equal(b.name('a'), '#l2', 'one placeholder per attribute');
  assert.equal(b.name('b'), '#l3');
  assert.equal(b.value(S('x')), ':l1');
  assert.deepEqual(b.names, { '#l2': 'a', '#l3': 'b' });
  // Attribute names that are reserved words, contain dots or look like placeholders are substituted literally.
  const c = new PlaceholderBuilder();
  const text = attributesToGetText(['name', 'a.b', '#x', 'c[1]'], c);
  assert.equal(text, '#l0, #l1, #l2, #l3');
  const compiled = compileRequestExpressions({ ProjectionExpression: text, ExpressionAttributeNames: c.names });
  assert.deepEqual(compiled.projection!.paths, [['name'], ['a.b'], ['#x'], ['c[1]']]);
  assert.equal(compiled.projection!.topLevelOnly, true);
});

test('AttributesToGet rejects duplicates', () => {
  throwsValidation(() => attributesToGetText(['a', 'b', 'a'], new PlaceholderBuilder()), `${invalid}Duplicate value in attribute name: a`);
});

const table: { keySchema: KeySchemaElement[]; attributeDefinitions: AttributeDefinition[] } = {
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'N' },
  ],
};
const hashOnly: typeof table = { keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] };

test('KeyConditions against the key schema, with the legacy messages', () => {
  const eq = (v: unknown) => ({ ComparisonOperator: 'EQ', AttributeValueList: [v] });
  const cases: Array<[typeof table, Record<string, unknown>, string | null]> = [
    [table, { pk: eq(S('a')) }, null],
    [table, { pk: eq(S('a')), sk: { ComparisonOperator: 'BETWEEN', AttributeValueList: [N(1), N(2)] } }, null],
    [table, { sk: eq(N(1)) }, 'Query condition missed key schema element: pk'],
    [table, { pk: eq(S('a')), x: eq(S('b')) }, 'Query condition missed key schema element: sk'],
    [table, { pk: { ComparisonOperator: 'NOT_NULL' } }, 'Attempted conditional constraint is not an indexable operation'],
    [table, { pk: eq(S('a')), sk: { ComparisonOperator: 'IN', AttributeValueList: [N(1)] } }, 'Attempted conditional constraint is not an indexable operation'],
    [table, { pk: eq(S('a')), sk: { ComparisonOperator: 'NE', AttributeValueList: [N(1)] } }, 'Attempted conditional constraint is not an indexable operation'],
    [table, { pk: eq(N(1)) }, `${invalid}Condition parameter type does not match schema type`],
    [table, { pk: eq(S('a')), sk: eq(S('1')) }, `${invalid}Condition parameter type does not match schema type`],
    [table, { pk: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [S('a')] } }, 'Query key condition not supported'],
    [hashOnly, { pk: eq(S('a')), x: eq(S('b')) }, 'Query key condition not supported'],
  ];
  for (const [schema, conditions, message] of cases) {
    const comparisons = validateConditions(conditions);
    assert.equal(validationMessage(() => checkKeyConditionsSchema(comparisons, schema.keySchema, schema.attributeDefinitions)), message, JSON.stringify(conditions));
  }
  const filter = validateConditions({ a: { ComparisonOperator: 'NULL' }, sk: { ComparisonOperator: 'NULL' } });
  throwsValidation(() => checkQueryFilterKeys(filter, table.keySchema), 'QueryFilter can only contain non-primary key attributes: Primary key attribute: sk');
});

test('the KeyConditions expression is a valid KeyConditionExpression', () => {
  const b = new PlaceholderBuilder();
  const comparisons = validateConditions({
    sk: { ComparisonOperator: 'BETWEEN', AttributeValueList: [N(1), N(5)] },
    pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('a')] },
  });
  const text = conditionsText(comparisons, 'AND', b)!;
  assert.equal(text, '(#l0 BETWEEN :l0 AND :l1) AND #l1 = :l2');
  const compiled = compileRequestExpressions({ KeyConditionExpression: text, ExpressionAttributeNames: b.names, ExpressionAttributeValues: b.values });
  assert.equal(evaluateCondition(compiled.keyCondition!, { pk: S('a'), sk: N(3) }), true);
  assert.equal(evaluateCondition(compiled.keyCondition!, { pk: S('a'), sk: N(6) }), false);
});

/** Applies a legacy AttributeUpdates map to `item` through the generated UpdateExpression. */
function applyLegacy(updates: Record<string, unknown>, item: Item | undefined): Item {
  const b = new PlaceholderBuilder();
  const text = attributeUpdatesText(updates, b);
  if (text === null) return item ?? {};
  const compiled = compileRequestExpressions({
    UpdateExpression: text,
    ExpressionAttributeNames: b.names,
    ExpressionAttributeValues: b.hasValues ? b.values : undefined,
  });
  return applyUpdate(compiled.update!, item).item;
}

test('AttributeUpdates: PUT, ADD (numbers, sets, lists), DELETE (sets, whole attributes)', () => {
  const item: Item = { pk: S('k'), n: N(5), ss: SS('a', 'b'), l: L(S('x')), gone: S('bye') };
  assert.deepEqual(
    applyLegacy(
      {
        put: { Action: 'PUT', Value: S('new') },
        dflt: { Value: N('1.50') },
        n: { Action: 'ADD', Value: N(-2) },
        fresh: { Action: 'ADD', Value: N(3) },
        ss: { Action: 'ADD', Value: SS('b', 'c') },
        l: { Action: 'ADD', Value: L(S('y')) },
        newList: { Action: 'ADD', Value: L(N(1)) },
        gone: { Action: 'DELETE' },
      },
      item,
    ),
    { pk: S('k'), n: N(3), ss: SS('a', 'b', 'c'), l: L(S('x'), S('y')), put: S('new'), dflt: N('1.5'), fresh: N(3), newList: L(N(1)) },
  );
  assert.deepEqual(applyLegacy({ ss: { Action: 'DELETE', Value: SS('a', 'b') } }, item), { pk: S('k'), n: N(5), l: L(S('x')), gone: S('bye') }, 'deleting every member removes the set');
  assert.deepEqual(applyLegacy({ ss: { Action: 'DELETE', Value: SS('a') }, missing: { Action: 'DELETE', Value: SS('z') } }, item).ss, SS('b'));
  assert.deepEqual(applyLegacy({}, undefined), {});
  assert.equal(attributeUpdatesText({ a: null }, new PlaceholderBuilder()), null, 'a null entry is skipped');
  // Types the legacy actions refuse.
  const refuse = (update: unknown) => validationMessage(() => attributeUpdatesText({ a: update }, new PlaceholderBuilder()));
  assert.equal(refuse({ Action: 'PUT' }), `${invalid}Only DELETE action is allowed when no attribute value is specified`);
  assert.equal(refuse({}), `${invalid}Only DELETE action is allowed when no attribute value is specified`);
  assert.equal(refuse({ Action: 'ADD' }), `${invalid}Only DELETE action is allowed when no attribute value is specified`);
  assert.equal(refuse({ Action: 'DELETE', Value: S('x') }), `${invalid}DELETE action with value is not supported for the type S`);
  assert.equal(refuse({ Action: 'DELETE', Value: L() }), `${invalid}DELETE action with value is not supported for the type L`);
  assert.equal(refuse({ Action: 'ADD', Value: S('x') }), `${invalid}ADD action is not supported for the type S`);
  assert.equal(refuse({ Action: 'ADD', Value: M({}) }), `${invalid}ADD action is not supported for the type M`);
  assert.equal(refuse({ Action: 'ADD', Value: BOOL(true) }), `${invalid}ADD action is not supported for the type BOOL`);
  assert.equal(refuse({ Action: 'PUT', Value: { SS: ['a', 'a'] } }), `${invalid}Input collection ["a", "a"] contains duplicates.`);
  // An ADD of another type fails as the expression does; the router rewords it.
  throwsValidation(() => applyLegacy({ ss: { Action: 'ADD', Value: N(1) } }, item), 'An operand in the update expression has an incorrect data type');
  throwsValidation(() => applyLegacy({ n: { Action: 'ADD', Value: L(N(1)) } }, item), 'An operand in the update expression has an incorrect data type');
});
