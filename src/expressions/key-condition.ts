// Turns a compiled KeyConditionExpression into the key range a Query scans: the partition key
// value and at most one sort key condition, with DynamoDB's KeyConditionExpression checks.

import type { AttributeDefinition, AttributeValue, KeySchemaElement } from '../values/types.ts';
import { validationError, type DynamoError } from '../protocol/errors.ts';
import { typeOf } from './attribute-ops.ts';
import { ConditionKind, OperandKind, type CompiledCondition, type Condition, type Operand } from './compile.ts';

export type SortKeyOperator = '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'BEGINS_WITH';

export interface KeyRange {
  readonly partitionKeyValue: AttributeValue;
  readonly sortKey?: { readonly op: SortKeyOperator; readonly values: AttributeValue[] };
}

interface KeyTerm {
  readonly attribute: string;
  readonly op: SortKeyOperator;
  readonly values: AttributeValue[];
}

function invalid(message: string): DynamoError {
  return validationError(`Invalid KeyConditionExpression: ${message}`);
}

const functionNames: Partial<Record<ConditionKind, string>> = {
  [ConditionKind.Exists]: 'attribute_exists',
  [ConditionKind.NotExists]: 'attribute_not_exists',
  [ConditionKind.Type]: 'attribute_type',
  [ConditionKind.Contains]: 'contains',
};

const flipped: Record<string, SortKeyOperator> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function collect(node: Condition, terms: KeyTerm[]): void {
  switch (node.kind) {
    case ConditionKind.And:
      collect(node.left!, terms);
      collect(node.right!, terms);
      return;
    case ConditionKind.Or:
      throw invalid('Invalid operator used in KeyConditionExpression: OR');
    case ConditionKind.Not:
      throw invalid('Invalid operator used in KeyConditionExpression: NOT');
    case ConditionKind.In:
      throw invalid('Invalid operator used in KeyConditionExpression: IN');
    case ConditionKind.Exists:
    case ConditionKind.NotExists:
    case ConditionKind.Type:
    case ConditionKind.Contains:
      throw invalid(`Invalid operator used in KeyConditionExpression: ${functionNames[node.kind]}`);
    default:
      break;
  }
  if (node.kind === ConditionKind.Compare && node.op === '<>') {
    throw invalid('Invalid operator used in KeyConditionExpression: <>');
  }
  const operands: Operand[] = node.kind === ConditionKind.Between ? [node.a!, node.b!, node.c!] : [node.a!, node.b!];
  for (const operand of operands) {
    if (operand.kind === OperandKind.Size) throw invalid('KeyConditionExpressions cannot contain nested operations');
  }
  if (node.kind === ConditionKind.Between && operands[0]!.kind !== OperandKind.Path) {
    throw invalid('Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand');
  }
  if (node.kind === ConditionKind.BeginsWith && operands[0]!.kind !== OperandKind.Path) {
    throw invalid('Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand');
  }
  let attribute: string | null = null;
  let attributeIndex = 0;
  const values: AttributeValue[] = [];
  for (let i = 0; i < operands.length; i++) {
    const operand = operands[i]!;
    if (operand.kind === OperandKind.Path) {
      if (attribute !== null) throw invalid('Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
      if (operand.path!.length > 1) throw invalid('KeyConditionExpressions cannot have conditions on nested attributes');
      attribute = operand.path![0] as string;
      attributeIndex = i;
    } else {
      values.push(operand.value!);
    }
  }
  if (attribute === null) throw invalid('Invalid condition in KeyConditionExpression: No key attribute specified');
  for (const term of terms) {
    if (term.attribute === attribute) throw invalid('KeyConditionExpressions must only contain one condition per key');
  }
  let op: SortKeyOperator;
  if (node.kind === ConditionKind.Between) op = 'BETWEEN';
  else if (node.kind === ConditionKind.BeginsWith) op = 'BEGINS_WITH';
  else op = attributeIndex === 0 ? (node.op as SortKeyOperator) : flipped[node.op!]!;
  terms.push({ attribute, op, values });
}

/**
 * Validates a compiled KeyConditionExpression against a table's (or index's) key schema and
 * returns the key range to scan. Throws DynamoDB's ValidationExceptions.
 */
export function keyConditionToRange(
  compiled: CompiledCondition,
  keySchema: readonly KeySchemaElement[],
  attributeDefinitions: readonly AttributeDefinition[],
): KeyRange {
  const terms: KeyTerm[] = [];
  collect(compiled.root, terms);
  if (terms.length > keySchema.length) {
    throw validationError(
      `The number of query conditions (${terms.length}) exceeds the number of key attributes defined in the schema (${keySchema.length})`,
    );
  }
  const hashName = keySchema.find((element) => element.KeyType === 'HASH')!.AttributeName;
  const rangeName = keySchema.find((element) => element.KeyType === 'RANGE')?.AttributeName;
  const hashTerm = terms.find((term) => term.attribute === hashName);
  if (hashTerm === undefined) throw validationError(`Query condition missed key schema element: ${hashName}`);
  let rangeTerm: KeyTerm | undefined;
  for (const term of terms) {
    if (term === hashTerm) continue;
    if (term.attribute !== rangeName) {
      throw validationError(`Query condition missed key schema element: ${rangeName ?? term.attribute}`);
    }
    rangeTerm = term;
  }
  for (const term of terms) {
    const definition = attributeDefinitions.find((d) => d.AttributeName === term.attribute);
    for (const value of term.values) {
      if (definition !== undefined && typeOf(value) !== definition.AttributeType) {
        throw validationError('One or more parameter values were invalid: Condition parameter type does not match schema type');
      }
    }
  }
  if (hashTerm.op !== '=') throw validationError('Query key condition not supported');
  const range: KeyRange = { partitionKeyValue: hashTerm.values[0]! };
  if (rangeTerm === undefined) return range;
  return { partitionKeyValue: range.partitionKeyValue, sortKey: { op: rangeTerm.op, values: rangeTerm.values } };
}

/** A Query's key range over an index whose keys may be made of several attributes (a GSI's up to 4 + 4). */
export interface IndexKeyRange {
  /** One value per partition key attribute, in key schema order. */
  readonly hashValues: AttributeValue[];
  /** Equality on the first sort key attributes, in order. */
  readonly rangeEquals: AttributeValue[];
  /** A condition on the next sort key attribute, if any. */
  readonly rangeLast?: { readonly op: SortKeyOperator; readonly values: AttributeValue[] };
}

/**
 * Validates a compiled KeyConditionExpression against an index's key attributes (several per
 * key allowed): every partition key attribute with =, then sort key attributes from the first
 * on with =, the last one named possibly with any sort key condition, none skipped.
 */
export function keyConditionToIndexRange(
  compiled: CompiledCondition,
  hashNames: readonly string[],
  rangeNames: readonly string[],
  attributeDefinitions: readonly AttributeDefinition[],
): IndexKeyRange {
  const terms: KeyTerm[] = [];
  collect(compiled.root, terms);
  const keyCount = hashNames.length + rangeNames.length;
  if (terms.length > keyCount) {
    throw validationError(`The number of query conditions (${terms.length}) exceeds the number of key attributes defined in the schema (${keyCount})`);
  }
  for (const term of terms) {
    if (!hashNames.includes(term.attribute) && !rangeNames.includes(term.attribute)) {
      throw validationError(`Query condition missed key schema element: ${rangeNames.find((n) => !terms.some((t) => t.attribute === n)) ?? term.attribute}`);
    }
    const definition = attributeDefinitions.find((d) => d.AttributeName === term.attribute);
    for (const value of term.values) {
      if (definition !== undefined && typeOf(value) !== definition.AttributeType) {
        throw validationError('One or more parameter values were invalid: Condition parameter type does not match schema type');
      }
    }
  }
  const hashValues: AttributeValue[] = [];
  for (const name of hashNames) {
    const term = terms.find((t) => t.attribute === name);
    if (term === undefined) throw validationError(`Query condition missed key schema element: ${name}`);
    if (term.op !== '=') throw validationError('Query key condition not supported');
    hashValues.push(term.values[0]!);
  }
  const rangeTerms = rangeNames.map((name) => terms.find((t) => t.attribute === name));
  const named = rangeTerms.filter((t) => t !== undefined).length;
  // The sort key attributes named must be the first ones, with = on all but the last named.
  for (let i = 0; i < named; i++) {
    if (rangeTerms[i] === undefined) throw validationError(`Query condition missed key schema element: ${rangeNames[i]}`);
    if (i < named - 1 && rangeTerms[i]!.op !== '=') throw validationError('Query key condition not supported');
  }
  const rangeEquals: AttributeValue[] = [];
  for (let i = 0; i < named - 1; i++) rangeEquals.push(rangeTerms[i]!.values[0]!);
  if (named === 0) return { hashValues, rangeEquals };
  const last = rangeTerms[named - 1]!;
  return { hashValues, rangeEquals, rangeLast: { op: last.op, values: last.values } };
}
