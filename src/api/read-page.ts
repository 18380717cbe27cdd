// What Query and Scan share: the Select parameter, their expression parameters (with the legacy
// AttributesToGet, QueryFilter/ScanFilter, ConditionalOperator and KeyConditions rewritten as
// expressions, so the storage node sees only expressions), and the shape of a page of results.
import { validationError } from '../protocol/errors.ts';
import { normalizeItem } from '../validation/attribute-values.ts';
import { checkSubstitutionSize } from '../validation/substitution-size.ts';
import { compileRequestExpressions, type CompiledCondition, type CompiledExpressions, type DocumentPath } from '../expressions/index.ts';
import type { Condition, Operand } from '../expressions/compile.ts';
import {
  attributesToGetText,
  checkConditionalOperator,
  checkKeyConditionsCount,
  checkNoMixing,
  conditionsText,
  hasLegacyParameters,
  PlaceholderBuilder,
  validateConditions,
} from '../expressions/legacy.ts';
import type { RangeExpressions } from '../storage/messages.ts';
import type { Item, KeySchemaElement } from '../values/types.ts';
import { jsonBytes, type ResponseBody } from '../protocol/wire.ts';

export type SelectMode = 'ALL_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT';

const selectionWords: Record<string, string> = {
  ALL_ATTRIBUTES: 'ALL_ATTRIBUTES',
  ALL_PROJECTED_ATTRIBUTES: 'ALL_PROJECTED_ATTRIBUTES',
  COUNT: 'only the Count',
};

/**
 * Select against ProjectionExpression/AttributesToGet, with DynamoDB's messages (captured from
 * DynamoDB by moto's AWS-verified tests: Query reports them as a "1 validation error detected",
 * Scan without that prefix).
 */
export function selectMode(input: Record<string, unknown>, operation: 'Query' | 'Scan'): SelectMode {
  const select = input.Select as string | undefined;
  const projection = input.ProjectionExpression != null ? 'ProjectionExpression' : input.AttributesToGet != null ? 'AttributesToGet' : null;
  if (select === undefined) return projection !== null ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES';
  const fail = (message: string) => validationError(operation === 'Query' ? `1 validation error detected: ${message}` : message);
  if (select === 'SPECIFIC_ATTRIBUTES') {
    if (projection === null) throw fail('Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES');
    return 'SPECIFIC_ATTRIBUTES';
  }
  if (projection !== null) throw fail(`Cannot specify the ${projection} when choosing to get ${selectionWords[select]}`);
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && input.IndexName == null) {
    throw fail('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  }
  return select as SelectMode;
}

export interface PreparedRead {
  /** What the storage node evaluates: the client's expressions and the generated ones. */
  expressions: RangeExpressions;
  compiled: CompiledExpressions;
  /** Query's legacy KeyConditions, validated (checked against the key schema later), else null. */
  keyConditions: ReturnType<typeof validateConditions> | null;
  /** Query's legacy QueryFilter, validated (it may not name key attributes), else null. */
  queryFilter: ReturnType<typeof validateConditions> | null;
}

/**
 * Validates and compiles a Query's or Scan's expression parameters, legacy ones included, in
 * DynamoDB's order: the mixing rule, ConditionalOperator, the client's own expressions (and their
 * names and values), then the legacy filter, AttributesToGet and KeyConditions.
 */
export function prepareReadExpressions(input: Record<string, unknown>, operation: 'Query' | 'Scan'): PreparedRead {
  checkNoMixing(operation, input);
  const filterParameter = operation === 'Query' ? 'QueryFilter' : 'ScanFilter';
  checkConditionalOperator(input, filterParameter);
  if (operation === 'Query' && input.KeyConditions == null && input.KeyConditionExpression == null) {
    throw validationError('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  }
  const values = input.ExpressionAttributeValues == null ? undefined : normalizeItem(input.ExpressionAttributeValues, 'ExpressionAttributeValues');
  const names = (input.ExpressionAttributeNames as Record<string, string> | null | undefined) ?? undefined;
  // They travel to a storage node in the page's request frame, which this bounds.
  checkSubstitutionSize(names, values);
  const expressions: RangeExpressions = {
    KeyConditionExpression: (input.KeyConditionExpression as string | null | undefined) ?? undefined,
    FilterExpression: (input.FilterExpression as string | null | undefined) ?? undefined,
    ProjectionExpression: (input.ProjectionExpression as string | null | undefined) ?? undefined,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  const accepted = operation === 'Query'
    ? (['ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'] as const)
    : (['ProjectionExpression', 'FilterExpression'] as const);
  const compiled = compileRequestExpressions(expressions, { expressionParameters: accepted });
  if (!hasLegacyParameters(operation, input)) return { expressions, compiled, keyConditions: null, queryFilter: null };

  // Only KeyConditions may come with the client's own (Filter/Projection) expressions, so the
  // generated placeholders avoid the client's.
  const b = new PlaceholderBuilder(names, values);
  const filter = validateConditions(input[filterParameter] as Record<string, unknown> | null | undefined);
  const attributesToGet = input.AttributesToGet as string[] | null | undefined;
  const projectionText = attributesToGet == null ? null : attributesToGetText(attributesToGet, b);
  let keyConditions: ReturnType<typeof validateConditions> | null = null;
  let keyConditionText: string | null = null;
  if (operation === 'Query' && input.KeyConditions != null) {
    keyConditions = validateConditions(input.KeyConditions as Record<string, unknown>);
    checkKeyConditionsCount(keyConditions);
    keyConditionText = conditionsText(keyConditions, 'AND', b);
  }
  const filterText = conditionsText(filter, input.ConditionalOperator as string | undefined, b);
  const merged: RangeExpressions = {
    KeyConditionExpression: keyConditionText ?? expressions.KeyConditionExpression,
    FilterExpression: filterText ?? expressions.FilterExpression,
    ProjectionExpression: projectionText ?? expressions.ProjectionExpression,
    ExpressionAttributeNames: b.hasNames ? { ...names, ...b.names } : names,
    ExpressionAttributeValues: b.hasValues ? { ...values, ...b.values } : values,
  };
  checkSubstitutionSize(merged.ExpressionAttributeNames, merged.ExpressionAttributeValues);
  return {
    expressions: merged,
    compiled: compileRequestExpressions(merged),
    keyConditions,
    queryFilter: operation === 'Query' ? filter : null,
  };
}

/**
 * DynamoDB's check that a projection or (Scan) filter does not look inside a key attribute,
 * which is always a scalar.
 */
export function checkKeyPathsScalar(paths: readonly DocumentPath[], keySchema: readonly KeySchemaElement[]): void {
  for (const element of keySchema) {
    for (const path of paths) {
      if (path.length > 1 && path[0] === element.AttributeName) {
        throw validationError(`Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: ${element.AttributeName}`);
      }
    }
  }
}

/** Every document path a compiled condition reads, in tree order. */
export function conditionPaths(compiled: CompiledCondition): DocumentPath[] {
  const paths: DocumentPath[] = [];
  const visitOperand = (operand: Operand | null): void => {
    if (operand === null) return;
    if (operand.path !== null) paths.push(operand.path);
    visitOperand(operand.a);
    visitOperand(operand.b);
  };
  const visit = (node: Condition | null): void => {
    if (node === null) return;
    visitOperand(node.a);
    visitOperand(node.b);
    visitOperand(node.c);
    if (node.list !== null) for (const operand of node.list) visitOperand(operand);
    visit(node.left);
    visit(node.right);
  };
  visit(compiled.root);
  return paths;
}

/** A Query's FilterExpression may not read the key attributes (they are what the key condition is for). */
export function checkFilterExpressionKeys(compiled: CompiledCondition, keySchema: readonly KeySchemaElement[]): void {
  const paths = conditionPaths(compiled);
  for (const element of keySchema) {
    for (const path of paths) {
      if (path[0] === element.AttributeName) {
        throw validationError(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${element.AttributeName}`);
      }
    }
  }
}

/**
 * What an index read returns: Select as given, else the projection's attributes, else (DynamoDB's
 * default for an index) ALL_PROJECTED_ATTRIBUTES.
 */
export function indexSelect(input: Record<string, unknown>, mode: SelectMode): SelectMode | 'ALL_PROJECTED_ATTRIBUTES' {
  if (input.Select !== undefined) return input.Select as SelectMode | 'ALL_PROJECTED_ATTRIBUTES';
  return mode === 'SPECIFIC_ATTRIBUTES' ? mode : 'ALL_PROJECTED_ATTRIBUTES';
}

/**
 * Builds the response body with its ConsumedCapacity member (or ''): `items` are the pages' items
 * as the storage nodes sent them (JSON joined by commas, without brackets), copied in as bytes.
 */
export function pageResponse(select: SelectMode, items: readonly Uint8Array[], count: number, scanned: number, last: Item | null, member: string): ResponseBody {
  let tail = `,"Count":${count},"ScannedCount":${scanned}`;
  if (last !== null) tail += `,"LastEvaluatedKey":${JSON.stringify(last)}`;
  tail += member === '' ? '}' : `,${member}}`;
  if (select === 'COUNT') return '{' + tail.slice(1);
  const parts: Array<string | Uint8Array> = ['{"Items":['];
  let first = true;
  for (const chunk of items) {
    if (chunk.length === 0) continue;
    if (!first) parts.push(',');
    parts.push(chunk);
    first = false;
  }
  parts.push(']' + tail);
  return jsonBytes(parts);
}
