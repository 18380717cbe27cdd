// The expressions component: one parser and evaluator for every DynamoDB expression parameter.
// An operation handler compiles all of a request's expressions together (names and values are
// checked across all of them), then evaluates conditions, applies updates, projects items and
// derives Query key ranges from the compiled forms.

import type { AttributeValue } from '../values/types.ts';
import { validationError } from '../protocol/errors.ts';
import { expressionBytesMax } from '../limits.ts';
import { checkAttributeNameSize } from '../validation/attribute-values.ts';
import type { ExpressionKind, ParsedCondition, ParsedExpression, ParsedProjection, ParsedUpdate } from './ast.ts';
import { cachedCondition, cachedProjection, cachedUpdate } from './cache.ts';
import {
  bindCondition,
  bindProjection,
  bindUpdate,
  BindError,
  type BindContext,
  type CompiledCondition,
  type CompiledProjection,
  type CompiledUpdate,
  type ConditionExpressionKind,
} from './compile.ts';
import { ExpressionSyntaxError } from './parser.ts';

export type { DocumentPath, ExpressionKind } from './ast.ts';
export { formatPath } from './ast.ts';
export type { CompiledCondition, CompiledProjection, CompiledUpdate } from './compile.ts';
export { evaluateCondition, getPath } from './evaluate.ts';
export {
  applyUpdate,
  assertKeyNotUpdated,
  updatedAttributeNames,
  onlyTakesAway,
  incorrectOperandTypeMessage,
  invalidDocumentPathMessage,
  missingAttributeMessage,
  type UpdateResult,
} from './update.ts';
export { project, projectPaths } from './projection.ts';
export { keyConditionToRange, type KeyRange, type SortKeyOperator } from './key-condition.ts';
export { isReservedWord } from './reserved-words.ts';
export { clearExpressionCache, expressionCacheStats, setExpressionCacheEntriesMax } from './cache.ts';
export { compareStrings, compareBinary, valuesEqual, sizeOf } from './attribute-ops.ts';

/** The expression parameters of a request, under their DynamoDB names (a request body fits). */
export interface ExpressionParameters {
  ConditionExpression?: string | null;
  FilterExpression?: string | null;
  KeyConditionExpression?: string | null;
  ProjectionExpression?: string | null;
  UpdateExpression?: string | null;
  ExpressionAttributeNames?: Readonly<Record<string, string>> | null;
  ExpressionAttributeValues?: Readonly<Record<string, AttributeValue>> | null;
}

export interface CompileOptions {
  /**
   * The expression parameters the operation accepts (e.g. Query: KeyConditionExpression,
   * FilterExpression, ProjectionExpression). When given, names or values sent without any
   * expression that could use them are rejected as DynamoDB does.
   */
  readonly expressionParameters?: readonly ExpressionKind[];
}

/** A request's expressions, compiled: null where the request did not send that parameter. */
export interface CompiledExpressions {
  readonly condition: CompiledCondition | null;
  readonly filter: CompiledCondition | null;
  readonly keyCondition: CompiledCondition | null;
  readonly projection: CompiledProjection | null;
  readonly update: CompiledUpdate | null;
}

/** '#' or ':' followed by at least one letter, digit or '_'. */
function isPlaceholder(key: string, sigil: number): boolean {
  if (key.length < 2 || key.charCodeAt(0) !== sigil) return false;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/** '#' (35) or ':' (58). Each entry's key is checked, and for ExpressionAttributeNames the name it stands for, in one pass. */
function checkPlaceholders(map: Readonly<Record<string, unknown>>, parameter: string, sigil: number): void {
  let count = 0;
  for (const key in map) {
    count++;
    if (!isPlaceholder(key, sigil)) throw validationError(`${parameter} contains invalid key: Syntax error; key: "${key}"`);
    if (sigil === 35) checkNameValue(key, map[key]);
  }
  if (count === 0) throw validationError(`${parameter} must not be empty`);
}

/** An attribute name ExpressionAttributeNames stands for: not empty, and within DynamoDB's size. */
function checkNameValue(key: string, name: unknown): void {
  if (typeof name !== 'string') return; // the request shape has refused other types already
  if (name.length === 0) throw validationError(`ExpressionAttributeNames contains invalid value: Empty attribute name for key ${key}`);
  checkAttributeNameSize(name);
}

function utf8Length(text: string): number {
  // Every UTF-16 code unit is at most 3 UTF-8 bytes: only count when the limit could be reached.
  return text.length * 3 <= expressionBytesMax ? text.length : Buffer.byteLength(text, 'utf8');
}

function checkText(kind: ExpressionKind, text: string): void {
  if (text.length === 0) throw validationError(`Invalid ${kind}: The expression can not be empty;`);
  const bytes = utf8Length(text);
  if (bytes > expressionBytesMax) {
    throw validationError(`Invalid ${kind}: Expression size has exceeded the maximum allowed size; expression size: ${bytes}`);
  }
}

function parseCondition(kind: ConditionExpressionKind, text: string): ParsedCondition {
  checkText(kind, text);
  try {
    return cachedCondition(text);
  } catch (e) {
    throw wrap(kind, e);
  }
}

function compileCondition(kind: ConditionExpressionKind, parsed: ParsedCondition, ctx: BindContext): CompiledCondition {
  try {
    return bindCondition(parsed, ctx, kind);
  } catch (e) {
    throw wrap(kind, e);
  }
}

function wrap(kind: ExpressionKind, e: unknown): unknown {
  if (e instanceof ExpressionSyntaxError || e instanceof BindError) return validationError(`Invalid ${kind}: ${e.message}`);
  return e;
}

const valueExpressionKinds: readonly ExpressionKind[] = [
  'ConditionExpression',
  'FilterExpression',
  'KeyConditionExpression',
  'UpdateExpression',
];

/**
 * Parses (through the cache), substitutes and validates every expression of a request, in
 * DynamoDB's order: names and values maps, UpdateExpression, ConditionExpression,
 * KeyConditionExpression, FilterExpression, ProjectionExpression, then names and values no
 * expression used. Throws DynamoError ValidationException with DynamoDB's messages.
 */
export function compileRequestExpressions(params: ExpressionParameters, options: CompileOptions = {}): CompiledExpressions {
  const names = params.ExpressionAttributeNames ?? undefined;
  const values = params.ExpressionAttributeValues ?? undefined;
  const conditionText = params.ConditionExpression ?? null;
  const filterText = params.FilterExpression ?? null;
  const keyConditionText = params.KeyConditionExpression ?? null;
  const projectionText = params.ProjectionExpression ?? null;
  const updateText = params.UpdateExpression ?? null;

  // No expression and no maps (most GetItem and PutItem requests): nothing to compile.
  if (
    names === undefined &&
    values === undefined &&
    conditionText === null &&
    filterText === null &&
    keyConditionText === null &&
    projectionText === null &&
    updateText === null
  ) {
    return noExpressions;
  }
  const accepted = options.expressionParameters;
  if (accepted !== undefined) {
    if (names !== undefined && !anyPresent(params, accepted)) {
      throw validationError('ExpressionAttributeNames can only be specified when using expressions');
    }
    if (values !== undefined) {
      const valueKinds = accepted.filter(takesValues);
      if (valueKinds.length > 0 && !anyPresent(params, valueKinds)) {
        throw validationError(
          `ExpressionAttributeValues can only be specified when using expressions: ${valueKinds.join(' and ')} ${valueKinds.length > 1 ? 'are' : 'is'} null`,
        );
      }
    }
  }
  if (names !== undefined) checkPlaceholders(names, 'ExpressionAttributeNames', 35);
  if (values !== undefined) checkPlaceholders(values, 'ExpressionAttributeValues', 58);

  const ctx: BindContext = { names, values };
  let update: CompiledUpdate | null = null;
  let parsedUpdate: ParsedUpdate | null = null;
  if (updateText !== null) {
    checkText('UpdateExpression', updateText);
    try {
      parsedUpdate = cachedUpdate(updateText);
      update = bindUpdate(parsedUpdate, ctx);
    } catch (e) {
      throw wrap('UpdateExpression', e);
    }
  }
  const parsedCondition = conditionText !== null ? parseCondition('ConditionExpression', conditionText) : null;
  const condition = parsedCondition !== null ? compileCondition('ConditionExpression', parsedCondition, ctx) : null;
  const parsedKeyCondition = keyConditionText !== null ? parseCondition('KeyConditionExpression', keyConditionText) : null;
  const keyCondition = parsedKeyCondition !== null ? compileCondition('KeyConditionExpression', parsedKeyCondition, ctx) : null;
  const parsedFilter = filterText !== null ? parseCondition('FilterExpression', filterText) : null;
  const filter = parsedFilter !== null ? compileCondition('FilterExpression', parsedFilter, ctx) : null;
  let projection: CompiledProjection | null = null;
  let parsedProjection: ParsedProjection | null = null;
  if (projectionText !== null) {
    checkText('ProjectionExpression', projectionText);
    try {
      parsedProjection = cachedProjection(projectionText);
      projection = bindProjection(parsedProjection, ctx);
    } catch (e) {
      throw wrap('ProjectionExpression', e);
    }
  }

  // Every placeholder an expression contains is used (an undefined one has failed above).
  const parsed = [parsedUpdate, parsedCondition, parsedKeyCondition, parsedFilter, parsedProjection];
  if (names !== undefined) {
    let unused: string[] | null = null;
    for (const key in names) {
      if (!usedBy(parsed, key, true)) (unused ??= []).push(key);
    }
    if (unused !== null) throw validationError(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unused.join(', ')}}`);
  }
  if (values !== undefined) {
    let unused: string[] | null = null;
    for (const key in values) {
      if (!usedBy(parsed, key, false)) (unused ??= []).push(key);
    }
    if (unused !== null) throw validationError(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unused.join(', ')}}`);
  }
  return { condition, filter, keyCondition, projection, update };
}

const noExpressions: CompiledExpressions = Object.freeze({ condition: null, filter: null, keyCondition: null, projection: null, update: null });

function anyPresent(params: ExpressionParameters, kinds: readonly ExpressionKind[]): boolean {
  for (let i = 0; i < kinds.length; i++) if (params[kinds[i]] != null) return true;
  return false;
}

function takesValues(kind: ExpressionKind): boolean {
  return valueExpressionKinds.includes(kind);
}

function usedBy(parsed: ReadonlyArray<ParsedExpression | null>, key: string, isName: boolean): boolean {
  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i];
    if (p != null && (isName ? p.aliases : p.valueRefs).has(key)) return true;
  }
  return false;
}
