// The legacy (pre-expression) request parameters: Expected, ConditionalOperator, KeyConditions,
// QueryFilter, ScanFilter, AttributesToGet and AttributeUpdates. Each is validated with
// DynamoDB's own messages and rewritten as the equivalent expression text plus generated
// ExpressionAttributeNames/Values, so a legacy request takes the same compile path, and reaches
// the storage nodes in the same form, as an expression request.
import { validationError } from '../protocol/errors.ts';
import { normalizeAttributeValue } from '../validation/attribute-values.ts';
import type { AttributeDefinition, AttributeValue, KeySchemaElement } from '../values/types.ts';
import { compareOrdered, typeOf } from './attribute-ops.ts';

const invalidPrefix = 'One or more parameter values were invalid: ';

// ---------------------------------------------------------------------------------------------
// Which parameters an operation takes, and the mixing rule

export type LegacyOperation = 'GetItem' | 'PutItem' | 'DeleteItem' | 'UpdateItem' | 'Query' | 'Scan';

/**
 * Per operation: its expression parameters and its legacy parameters, each in the order
 * DynamoDB lists them in the mixing error (captured from DynamoDB in other emulators'
 * conformance suites and dynalite's recordings).
 */
const parametersByOperation: Record<LegacyOperation, { expression: readonly string[]; legacy: readonly string[] }> = {
  GetItem: { expression: ['ProjectionExpression'], legacy: ['AttributesToGet'] },
  PutItem: { expression: ['ConditionExpression'], legacy: ['Expected', 'ConditionalOperator'] },
  DeleteItem: { expression: ['ConditionExpression'], legacy: ['Expected', 'ConditionalOperator'] },
  UpdateItem: { expression: ['UpdateExpression', 'ConditionExpression'], legacy: ['AttributeUpdates', 'Expected', 'ConditionalOperator'] },
  Query: {
    expression: ['ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'],
    legacy: ['AttributesToGet', 'QueryFilter', 'ConditionalOperator', 'KeyConditions'],
  },
  Scan: { expression: ['ProjectionExpression', 'FilterExpression'], legacy: ['AttributesToGet', 'ScanFilter', 'ConditionalOperator'] },
};

function present(input: Record<string, unknown>, name: string): boolean {
  return input[name] !== undefined && input[name] !== null;
}

function anyPresent(input: Record<string, unknown>, names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) if (present(input, names[i])) return true;
  return false;
}

/** Whether a request sends any legacy parameter of its operation. */
export function hasLegacyParameters(operation: LegacyOperation, input: Record<string, unknown>): boolean {
  return anyPresent(input, parametersByOperation[operation].legacy);
}

/**
 * DynamoDB refuses a request that mixes legacy and expression parameters, listing both sides.
 * KeyConditions is the exception: it may be combined with FilterExpression and
 * ProjectionExpression, just not with KeyConditionExpression.
 */
export function checkNoMixing(operation: LegacyOperation, input: Record<string, unknown>): void {
  const { expression, legacy } = parametersByOperation[operation];
  if (!anyPresent(input, expression)) return;
  const expressions = expression.filter((name) => present(input, name));
  const exemptKeyConditions = !present(input, 'KeyConditionExpression');
  const legacies = legacy.filter((name) => present(input, name) && !(name === 'KeyConditions' && exemptKeyConditions));
  if (legacies.length === 0) return;
  throw validationError(
    'Can not use both expression and non-expression parameters in the same request: ' +
      `Non-expression parameters: {${legacies.join(', ')}} Expression parameters: {${expressions.join(', ')}}`,
  );
}

/** ConditionalOperator joins the conditions of a legacy filter or Expected map: it needs two. */
export function checkConditionalOperator(input: Record<string, unknown>, conditionsParameter: 'Expected' | 'QueryFilter' | 'ScanFilter'): void {
  if (!present(input, 'ConditionalOperator')) return;
  const conditions = input[conditionsParameter] as Record<string, unknown> | null | undefined;
  const count = conditions == null ? 0 : Object.keys(conditions).length;
  if (count === 0) throw validationError('ConditionalOperator cannot be used without Filter or Expected');
  if (count === 1) throw validationError('ConditionalOperator can only be used when Filter or Expected has two or more elements');
}

// ---------------------------------------------------------------------------------------------
// Generated names and values

/**
 * Collects the placeholders of generated expressions. Names are '#l<n>' and values ':l<n>';
 * a placeholder the request already uses (a client's own FilterExpression beside legacy
 * KeyConditions) is skipped, so the two never collide. Placeholders are substitutions, so an
 * attribute named like a reserved word needs no special care.
 */
export class PlaceholderBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private nameCount = 0;
  private valueCount = 0;
  private readonly aliasByName = new Map<string, string>();
  private readonly takenNames: Readonly<Record<string, unknown>> | undefined;
  private readonly takenValues: Readonly<Record<string, unknown>> | undefined;

  constructor(takenNames?: Readonly<Record<string, unknown>> | null, takenValues?: Readonly<Record<string, unknown>> | null) {
    this.takenNames = takenNames ?? undefined;
    this.takenValues = takenValues ?? undefined;
  }

  /** The #placeholder for an attribute name (one per distinct name). */
  name(attribute: string): string {
    const known = this.aliasByName.get(attribute);
    if (known !== undefined) return known;
    let alias: string;
    do alias = `#l${this.nameCount++}`;
    while (this.takenNames !== undefined && Object.hasOwn(this.takenNames, alias));
    this.names[alias] = attribute;
    this.aliasByName.set(attribute, alias);
    return alias;
  }

  /** The :placeholder for a (normalized) value. */
  value(value: AttributeValue): string {
    let placeholder: string;
    do placeholder = `:l${this.valueCount++}`;
    while (this.takenValues !== undefined && Object.hasOwn(this.takenValues, placeholder));
    this.values[placeholder] = value;
    return placeholder;
  }

  get hasNames(): boolean {
    return this.nameCount > 0;
  }

  get hasValues(): boolean {
    return this.valueCount > 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Conditions: Expected, QueryFilter, ScanFilter, KeyConditions

export type ComparisonOperator =
  | 'EQ'
  | 'NE'
  | 'LE'
  | 'LT'
  | 'GE'
  | 'GT'
  | 'NOT_NULL'
  | 'NULL'
  | 'CONTAINS'
  | 'NOT_CONTAINS'
  | 'BEGINS_WITH'
  | 'IN'
  | 'BETWEEN';

/** The enum as DynamoDB prints it in a constraint violation (dynalite's recording). */
export const comparisonOperators: readonly ComparisonOperator[] = [
  'IN',
  'NULL',
  'BETWEEN',
  'LT',
  'NOT_CONTAINS',
  'EQ',
  'GT',
  'NOT_NULL',
  'NE',
  'LE',
  'BEGINS_WITH',
  'GE',
  'CONTAINS',
];

/** How many values each operator takes: [min, max]. */
const argumentCounts: Record<ComparisonOperator, readonly [number, number]> = {
  EQ: [1, 1],
  NE: [1, 1],
  LE: [1, 1],
  LT: [1, 1],
  GE: [1, 1],
  GT: [1, 1],
  NOT_NULL: [0, 0],
  NULL: [0, 0],
  CONTAINS: [1, 1],
  NOT_CONTAINS: [1, 1],
  BEGINS_WITH: [1, 1],
  IN: [1, Infinity],
  BETWEEN: [2, 2],
};

const scalarTypes: readonly string[] = ['S', 'N', 'B'];

/**
 * The value types each operator accepts (Developer Guide, "Writing conditions with legacy
 * parameters": EQ and NE take every type, lists and maps included; CONTAINS and NOT_CONTAINS
 * a scalar, boolean or null element; the ordering operators, IN and BETWEEN only S, N and B).
 */
const acceptedTypes: Record<ComparisonOperator, readonly string[] | null> = {
  EQ: null,
  NE: null,
  LE: scalarTypes,
  LT: scalarTypes,
  GE: scalarTypes,
  GT: scalarTypes,
  NOT_NULL: null,
  NULL: null,
  CONTAINS: ['S', 'N', 'B', 'BOOL', 'NULL'],
  NOT_CONTAINS: ['S', 'N', 'B', 'BOOL', 'NULL'],
  BEGINS_WITH: ['S', 'B'],
  IN: scalarTypes,
  BETWEEN: scalarTypes,
};

function normalizeValues(list: readonly unknown[]): AttributeValue[] {
  const out: AttributeValue[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = normalizeAttributeValue(list[i]);
  return out;
}

/** The checks every legacy comparison gets once its values are known, in DynamoDB's order. */
function checkComparison(op: ComparisonOperator, values: readonly AttributeValue[]): void {
  const [min, max] = argumentCounts[op];
  if (values.length < min || values.length > max) {
    throw validationError(`${invalidPrefix}Invalid number of argument(s) for the ${op} ComparisonOperator`);
  }
  if (values.length === 0) return;
  const first = typeOf(values[0]!);
  for (let i = 1; i < values.length; i++) {
    if (typeOf(values[i]!) !== first) throw validationError(`${invalidPrefix}AttributeValues inside AttributeValueList must be of same type`);
  }
  const accepted = acceptedTypes[op];
  if (accepted !== null && !accepted.includes(first)) {
    throw validationError(`${invalidPrefix}ComparisonOperator ${op} is not valid for ${first} AttributeValue type`);
  }
  if (op === 'BETWEEN' && compareOrdered(values[0]!, values[1]!) > 0) {
    throw validationError('The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
  }
}

/** The expression for one comparison; a compound one is parenthesized so it can be joined by AND or OR. */
function comparisonText(attribute: string, op: ComparisonOperator, values: readonly AttributeValue[], b: PlaceholderBuilder): string {
  const n = b.name(attribute);
  switch (op) {
    case 'EQ':
      return `${n} = ${b.value(values[0]!)}`;
    case 'NE':
      return `${n} <> ${b.value(values[0]!)}`;
    case 'LE':
      return `${n} <= ${b.value(values[0]!)}`;
    case 'LT':
      return `${n} < ${b.value(values[0]!)}`;
    case 'GE':
      return `${n} >= ${b.value(values[0]!)}`;
    case 'GT':
      return `${n} > ${b.value(values[0]!)}`;
    case 'NOT_NULL':
      return `attribute_exists(${n})`;
    case 'NULL':
      return `attribute_not_exists(${n})`;
    case 'CONTAINS':
      return `contains(${n}, ${b.value(values[0]!)})`;
    case 'NOT_CONTAINS':
      // A missing attribute does not satisfy NOT_CONTAINS (as Amazon's DAX client rewrites it).
      return `(attribute_exists(${n}) AND NOT contains(${n}, ${b.value(values[0]!)}))`;
    case 'BEGINS_WITH':
      return `begins_with(${n}, ${b.value(values[0]!)})`;
    case 'IN': {
      let list = '';
      for (let i = 0; i < values.length; i++) list += (i === 0 ? '' : ', ') + b.value(values[i]!);
      return `${n} IN (${list})`;
    }
    case 'BETWEEN':
      return `(${n} BETWEEN ${b.value(values[0]!)} AND ${b.value(values[1]!)})`;
  }
}

interface LegacyCondition {
  ComparisonOperator?: string | null;
  AttributeValueList?: unknown[] | null;
  Exists?: boolean | null;
  Value?: unknown;
}

interface ValidatedComparison {
  attribute: string;
  op: ComparisonOperator;
  values: AttributeValue[];
}

/**
 * Validates a QueryFilter, ScanFilter or KeyConditions map (each entry a ComparisonOperator
 * with its AttributeValueList; the request shape has required the operator).
 */
export function validateConditions(conditions: Readonly<Record<string, unknown>> | null | undefined): ValidatedComparison[] {
  const out: ValidatedComparison[] = [];
  if (conditions == null) return out;
  for (const attribute of Object.keys(conditions)) {
    const condition = conditions[attribute] as LegacyCondition | null;
    if (condition == null) continue;
    const values = normalizeValues(condition.AttributeValueList ?? []);
    const op = condition.ComparisonOperator as ComparisonOperator;
    checkComparison(op, values);
    out.push({ attribute, op, values });
  }
  return out;
}

/** Validates an Expected map: each entry an Exists/Value pair or a ComparisonOperator form. */
export function validateExpected(expected: Readonly<Record<string, unknown>> | null | undefined): ValidatedComparison[] {
  const out: ValidatedComparison[] = [];
  if (expected == null) return out;
  for (const attribute of Object.keys(expected)) {
    const condition = expected[attribute] as LegacyCondition | null;
    if (condition == null) continue;
    const hasList = condition.AttributeValueList != null;
    const hasValue = condition.Value != null;
    const hasExists = condition.Exists != null;
    if (hasList && hasValue) {
      throw validationError(`${invalidPrefix}Value and AttributeValueList cannot be used together for Attribute: ${attribute}`);
    }
    if (condition.ComparisonOperator != null) {
      const op = condition.ComparisonOperator as ComparisonOperator;
      if (hasExists) throw validationError(`${invalidPrefix}Exists and ComparisonOperator cannot be used together for Attribute: ${attribute}`);
      if (op !== 'NULL' && op !== 'NOT_NULL' && !hasList && !hasValue) {
        throw validationError(`${invalidPrefix}Value or AttributeValueList must be used with ComparisonOperator: ${op} for Attribute: ${attribute}`);
      }
      const values = hasList ? normalizeValues(condition.AttributeValueList!) : hasValue ? [normalizeAttributeValue(condition.Value)] : [];
      checkComparison(op, values);
      out.push({ attribute, op, values });
      continue;
    }
    if (hasList) {
      throw validationError(`${invalidPrefix}AttributeValueList can only be used with a ComparisonOperator for Attribute: ${attribute}`);
    }
    const exists = !hasExists || condition.Exists === true;
    if (exists && !hasValue) {
      throw validationError(`${invalidPrefix}Value must be provided when Exists is ${hasExists ? 'true' : 'null'} for Attribute: ${attribute}`);
    }
    if (!exists && hasValue) throw validationError(`${invalidPrefix}Value cannot be used when Exists is false for Attribute: ${attribute}`);
    out.push(exists ? { attribute, op: 'EQ', values: [normalizeAttributeValue(condition.Value)] } : { attribute, op: 'NULL', values: [] });
  }
  return out;
}

/** Joins validated comparisons with ConditionalOperator (AND by default); null when there are none. */
export function conditionsText(comparisons: readonly ValidatedComparison[], conditionalOperator: string | null | undefined, b: PlaceholderBuilder): string | null {
  if (comparisons.length === 0) return null;
  const joiner = conditionalOperator === 'OR' ? ' OR ' : ' AND ';
  let text = '';
  for (let i = 0; i < comparisons.length; i++) {
    const c = comparisons[i]!;
    text += (i === 0 ? '' : joiner) + comparisonText(c.attribute, c.op, c.values, b);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// KeyConditions (Query)

/** The request-level check DynamoDB makes on KeyConditions before it looks at the table. */
export function checkKeyConditionsCount(comparisons: readonly ValidatedComparison[]): void {
  if (comparisons.length !== 1 && comparisons.length !== 2) throw validationError('Conditions can be of length 1 or 2 only');
}

const notIndexable: ReadonlySet<ComparisonOperator> = new Set(['NULL', 'NOT_NULL', 'NE', 'CONTAINS', 'NOT_CONTAINS', 'IN']);

/**
 * Checks KeyConditions against the table's key schema with DynamoDB's legacy messages (walking
 * the schema partition key first); afterwards the equivalent KeyConditionExpression is valid.
 */
export function checkKeyConditionsSchema(
  comparisons: readonly ValidatedComparison[],
  keySchema: readonly KeySchemaElement[],
  attributeDefinitions: readonly AttributeDefinition[],
): void {
  const ordered = [...keySchema].sort((a, b) => (a.KeyType === b.KeyType ? 0 : a.KeyType === 'HASH' ? -1 : 1));
  for (const element of ordered) {
    const isHash = element.KeyType === 'HASH';
    const name = element.AttributeName;
    if (isHash && keySchema.length === 1 && comparisons.length > 1) throw validationError('Query key condition not supported');
    const condition = comparisons.find((c) => c.attribute === name);
    if (condition === undefined) {
      if (isHash || comparisons.length > 1) throw validationError(`Query condition missed key schema element: ${name}`);
      continue;
    }
    if (notIndexable.has(condition.op)) throw validationError('Attempted conditional constraint is not an indexable operation');
    const type = attributeDefinitions.find((d) => d.AttributeName === name)?.AttributeType;
    for (const value of condition.values) {
      if (typeOf(value) !== type) throw validationError(`${invalidPrefix}Condition parameter type does not match schema type`);
    }
    if (isHash && condition.op !== 'EQ') throw validationError('Query key condition not supported');
  }
}

/** A Query's QueryFilter may not name a key attribute. */
export function checkQueryFilterKeys(comparisons: readonly ValidatedComparison[], keySchema: readonly KeySchemaElement[]): void {
  for (const element of keySchema) {
    if (comparisons.some((c) => c.attribute === element.AttributeName)) {
      throw validationError(`QueryFilter can only contain non-primary key attributes: Primary key attribute: ${element.AttributeName}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AttributesToGet

/** AttributesToGet as a ProjectionExpression of top-level names, taken literally. */
export function attributesToGetText(attributes: readonly string[], b: PlaceholderBuilder): string {
  const seen = new Set<string>();
  for (const attribute of attributes) {
    if (seen.has(attribute)) throw validationError(`${invalidPrefix}Duplicate value in attribute name: ${attribute}`);
    seen.add(attribute);
  }
  let text = '';
  for (let i = 0; i < attributes.length; i++) text += (i === 0 ? '' : ', ') + b.name(attributes[i]!);
  return text;
}

// ---------------------------------------------------------------------------------------------
// AttributeUpdates (UpdateItem)

interface LegacyUpdate {
  Action?: string | null;
  Value?: unknown;
}

const setTypes: readonly string[] = ['SS', 'NS', 'BS'];
const addTypes: readonly string[] = ['N', 'SS', 'NS', 'BS', 'L'];

/** What a legacy ADD/DELETE type mismatch is called (the expression form says "incorrect data type"). */
export const attributeUpdateTypeMismatchMessage = 'Type mismatch for attribute to update';

/**
 * AttributeUpdates as an UpdateExpression: PUT → SET, DELETE without a value → REMOVE, DELETE
 * with a set → DELETE, ADD of a number or set → ADD, ADD of a list → appending SET (legacy ADD
 * appends to a list, which the expression ADD does not do). Null when there is nothing to do.
 */
export function attributeUpdatesText(updates: Readonly<Record<string, unknown>>, b: PlaceholderBuilder): string | null {
  const sets: string[] = [];
  const adds: string[] = [];
  const deletes: string[] = [];
  const removes: string[] = [];
  let emptyList: string | null = null;
  for (const attribute of Object.keys(updates)) {
    const update = updates[attribute] as LegacyUpdate | null;
    if (update == null) continue;
    const value = update.Value == null ? null : normalizeAttributeValue(update.Value);
    const action = update.Action ?? 'PUT';
    if (value === null) {
      if (action !== 'DELETE') throw validationError(`${invalidPrefix}Only DELETE action is allowed when no attribute value is specified`);
      removes.push(b.name(attribute));
      continue;
    }
    const type = typeOf(value);
    if (action === 'DELETE') {
      if (!setTypes.includes(type)) throw validationError(`${invalidPrefix}DELETE action with value is not supported for the type ${type}`);
      deletes.push(`${b.name(attribute)} ${b.value(value)}`);
    } else if (action === 'ADD') {
      if (!addTypes.includes(type)) throw validationError(`${invalidPrefix}ADD action is not supported for the type ${type}`);
      const n = b.name(attribute);
      if (type === 'L') {
        emptyList ??= b.value({ L: [] });
        sets.push(`${n} = list_append(if_not_exists(${n}, ${emptyList}), ${b.value(value)})`);
      } else {
        adds.push(`${n} ${b.value(value)}`);
      }
    } else {
      sets.push(`${b.name(attribute)} = ${b.value(value)}`);
    }
  }
  const sections: string[] = [];
  if (sets.length > 0) sections.push('SET ' + sets.join(', '));
  if (adds.length > 0) sections.push('ADD ' + adds.join(', '));
  if (deletes.length > 0) sections.push('DELETE ' + deletes.join(', '));
  if (removes.length > 0) sections.push('REMOVE ' + removes.join(', '));
  return sections.length === 0 ? null : sections.join(' ');
}
