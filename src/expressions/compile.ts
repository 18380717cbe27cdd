// Binds a parsed (cached) expression to one request: substitutes ExpressionAttributeNames and
// ExpressionAttributeValues, records which of them were used, and runs the checks that depend
// on them, in DynamoDB's order. The result is a small tree the evaluators walk per item.

import type { AttributeValue } from '../values/types.ts';
import { compareOrdered, formatValue, typeOf, type AttributeType } from './attribute-ops.ts';
import {
  formatPath,
  type Comparator,
  type ConditionNode,
  type DocumentPath,
  type OperandNode,
  type ParsedCondition,
  type ParsedProjection,
  type ParsedUpdate,
  type PathNode,
  type UpdateSection,
} from './ast.ts';
import { conditionFunctionArity, updateFunctionArity } from './parser.ts';

// ---- compiled forms ----

export enum OperandKind {
  Path,
  Value,
  Size,
  IfNotExists,
  ListAppend,
  Add,
  Subtract,
}

/** One operand, with every field present so the evaluators see a single object shape. */
export interface Operand {
  readonly kind: OperandKind;
  /** Path, and the path tested by if_not_exists. */
  readonly path: DocumentPath | null;
  /** Value, and the immediate value of a function argument. */
  readonly value: AttributeValue | null;
  readonly a: Operand | null;
  readonly b: Operand | null;
}

export enum ConditionKind {
  Compare,
  Between,
  In,
  And,
  Or,
  Not,
  Exists,
  NotExists,
  Type,
  BeginsWith,
  Contains,
}

export interface Condition {
  readonly kind: ConditionKind;
  readonly op: Comparator | null;
  readonly a: Operand | null;
  readonly b: Operand | null;
  readonly c: Operand | null;
  readonly list: Operand[] | null;
  readonly left: Condition | null;
  readonly right: Condition | null;
}

export type ConditionExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression';

export interface CompiledCondition {
  readonly kind: ConditionExpressionKind;
  readonly root: Condition;
}

export interface CompiledUpdateAction {
  readonly section: UpdateSection;
  readonly path: DocumentPath;
  /** SET: the value to compute; null otherwise. */
  readonly value: Operand | null;
  /** ADD / DELETE: the :value operand; null otherwise. */
  readonly operand: AttributeValue | null;
}

export interface CompiledUpdate {
  readonly actions: CompiledUpdateAction[];
}

export interface CompiledProjection {
  readonly paths: DocumentPath[];
  /** Every path is a single top-level name: projection is a plain attribute copy. */
  readonly topLevelOnly: boolean;
}

// ---- binding context ----

/** The request's substitutions. */
export interface BindContext {
  readonly names: Readonly<Record<string, string>> | undefined;
  readonly values: Readonly<Record<string, AttributeValue>> | undefined;
}

/** A check failed; the message still needs the "Invalid <Kind>: " prefix. */
export class BindError extends Error {}

function undefinedName(alias: string): BindError {
  return new BindError(`An expression attribute name used in the document path is not defined; attribute name: ${alias}`);
}

function undefinedValue(name: string): BindError {
  return new BindError(`An expression attribute value used in expression is not defined; attribute value: ${name}`);
}

function operandTypeError(fn: string, type: string): BindError {
  return new BindError(`Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${type}`);
}

function lookupName(ctx: BindContext, alias: string): string | undefined {
  const names = ctx.names;
  return names === undefined ? undefined : names[alias];
}

function lookupValue(ctx: BindContext, name: string): AttributeValue | undefined {
  const values = ctx.values;
  return values === undefined ? undefined : values[name];
}

/** Resolves a path's aliases (callers have checked that every alias is defined). */
function resolvePath(node: PathNode, ctx: BindContext): DocumentPath {
  if (node.literal !== null) return node.literal;
  const parts = node.parts;
  const path: DocumentPath = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    path[i] = part.kind === 'alias' ? lookupName(ctx, part.text)! : part.kind === 'index' ? part.index : part.text;
  }
  return path;
}

function pathsEqual(a: DocumentPath, b: DocumentPath): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- checks shared by the grammars ----

const WANT_NAMES = 1;
const WANT_VALUES = 2;

/** The first undefined #alias and/or :value (per `want`) in an operand, in source order. */
function firstUndefined(node: OperandNode, ctx: BindContext, want: number): BindError | null {
  switch (node.type) {
    case 'path':
      if ((want & WANT_NAMES) === 0 || node.literal !== null) return null;
      for (const part of node.parts) {
        if (part.kind === 'alias' && lookupName(ctx, part.text) === undefined) return undefinedName(part.text);
      }
      return null;
    case 'value':
      if ((want & WANT_VALUES) === 0) return null;
      return lookupValue(ctx, node.name) === undefined ? undefinedValue(node.name) : null;
    case 'function': {
      const args = node.args;
      for (let i = 0; i < args.length; i++) {
        const error = firstUndefined(args[i]!, ctx, want);
        if (error !== null) return error;
      }
      return null;
    }
    case 'arithmetic':
      return firstUndefined(node.left, ctx, want) ?? firstUndefined(node.right, ctx, want);
  }
}

/** The type an operand is known to have before any item is read (null for a path). */
function staticType(node: OperandNode, ctx: BindContext): AttributeType | null {
  switch (node.type) {
    case 'value':
      return typeOf(lookupValue(ctx, node.name)!);
    case 'path':
      return null;
    case 'arithmetic':
      return 'N';
    case 'function':
      if (node.name === 'size') return 'N';
      if (node.name === 'list_append') return 'L';
      if (node.name === 'if_not_exists' && node.args.length === 2) return staticType(node.args[1]!, ctx);
      return null;
  }
}

/** The value of an operand that is written as a :value, else null. */
function immediateValue(node: OperandNode, ctx: BindContext): AttributeValue | null {
  return node.type === 'value' ? lookupValue(ctx, node.name)! : null;
}

/** DynamoDB's message for a function called with the wrong number of operands. */
export function incorrectOperandCount(name: string, count: number): string {
  return `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${count}`;
}

/** The first function in an operand tree (innermost first) whose operand count is wrong. */
function firstArityError(node: OperandNode): BindError | null {
  if (node.type === 'arithmetic') return firstArityError(node.left) ?? firstArityError(node.right);
  if (node.type !== 'function') return null;
  const args = node.args;
  for (let i = 0; i < args.length; i++) {
    const error = firstArityError(args[i]!);
    if (error !== null) return error;
  }
  const arity = conditionFunctionArity.get(node.name) ?? updateFunctionArity.get(node.name);
  if (arity !== undefined && arity !== args.length) {
    return new BindError(incorrectOperandCount(node.name, args.length));
  }
  return null;
}

function distinctError(operator: string, left: OperandNode, right: OperandNode, ctx: BindContext): BindError | null {
  if (left.type !== 'path' || right.type !== 'path' || left.parts.length !== right.parts.length) return null;
  const a = resolvePath(left, ctx);
  if (!pathsEqual(a, resolvePath(right, ctx))) return null;
  return new BindError(
    `The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${formatPath(a)}`,
  );
}

/** DynamoDB's overlap / conflict check between the document paths one expression writes or reads. */
function checkPathSet(paths: DocumentPath[]): BindError | null {
  let conflict: BindError | null = null;
  for (let j = 1; j < paths.length; j++) {
    const second = paths[j]!;
    for (let i = 0; i < j; i++) {
      const first = paths[i]!;
      const shared = first.length < second.length ? first.length : second.length;
      let diverged = false;
      for (let k = 0; k < shared; k++) {
        if (typeof first[k] !== typeof second[k]) {
          conflict ??= new BindError(
            `Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${formatPath(first)}, path two: ${formatPath(second)}`,
          );
          diverged = true;
          break;
        }
        if (first[k] !== second[k]) {
          diverged = true;
          break;
        }
      }
      if (!diverged) {
        return new BindError(
          `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(first)}, path two: ${formatPath(second)}`,
        );
      }
    }
  }
  return conflict;
}

// ---- conditions ----

const attributeTypeNames: ReadonlySet<string> = new Set(['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M']);

/** Leaf conditions' operands, addressed by position so no array is built per request. */
function operandCount(node: ConditionNode): number {
  switch (node.type) {
    case 'compare':
      return 2;
    case 'between':
      return 3;
    case 'in':
      return 1 + node.list.length;
    case 'function':
      return 1;
    default:
      return 0;
  }
}

function operandAt(node: ConditionNode, i: number): OperandNode {
  switch (node.type) {
    case 'compare':
      return i === 0 ? node.left : node.right;
    case 'between':
      return i === 0 ? node.operand : i === 1 ? node.low : node.high;
    case 'in':
      return i === 0 ? node.operand : node.list[i - 1]!;
    case 'function':
      return node;
    default:
      throw new Error(`not a leaf: ${node.type}`);
  }
}

function firstFunctionDistinctError(node: OperandNode, ctx: BindContext): BindError | null {
  if (node.type !== 'function') return null;
  for (const arg of node.args) {
    const error = firstFunctionDistinctError(arg, ctx);
    if (error !== null) return error;
  }
  return node.args.length === 2 ? distinctError(node.name, node.args[0]!, node.args[1]!, ctx) : null;
}

function firstFunctionTypeError(node: OperandNode, ctx: BindContext): BindError | null {
  if (node.type !== 'function') return null;
  const args = node.args;
  for (let i = 0; i < args.length; i++) {
    const error = firstFunctionTypeError(args[i]!, ctx);
    if (error !== null) return error;
  }
  switch (node.name) {
    case 'attribute_exists':
    case 'attribute_not_exists':
      return args[0]!.type === 'path'
        ? null
        : new BindError(`Operator or function requires a document path; operator or function: ${node.name}`);
    case 'begins_with':
      for (let i = 0; i < args.length; i++) {
        const type = staticType(args[i]!, ctx);
        if (type !== null && type !== 'S' && type !== 'B') return operandTypeError(node.name, type);
      }
      return null;
    case 'size': {
      const type = staticType(args[0]!, ctx);
      if (type === 'N' || type === 'BOOL' || type === 'NULL') return operandTypeError(node.name, type);
      return null;
    }
    case 'attribute_type': {
      const arg = args[1]!;
      const anyType = '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}';
      const type = arg.type === 'path' ? anyType : staticType(arg, ctx);
      if (type !== 'S') return operandTypeError(node.name, type ?? anyType);
      const name = (immediateValue(arg, ctx) as { S: string } | null)?.S;
      if (name !== undefined && !attributeTypeNames.has(name)) {
        return new BindError(`Invalid attribute type name found; type: ${name}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
      }
      return null;
    }
    default:
      return null;
  }
}

function checkBetweenBounds(low: OperandNode, high: OperandNode, ctx: BindContext): BindError | null {
  const x = immediateValue(low, ctx);
  const y = immediateValue(high, ctx);
  if (x === null || y === null) return null;
  const bounds = `lower bound operand: AttributeValue: ${formatValue(x)}, upper bound operand: AttributeValue: ${formatValue(y)}`;
  if (typeOf(x) !== typeOf(y)) {
    return new BindError(`The BETWEEN operator requires same data type for lower and upper bounds; ${bounds}`);
  }
  if (compareOrdered(x, y) > 0) {
    return new BindError(`The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ${bounds}`);
  }
  return null;
}

/**
 * An ordering comparison with a :value that cannot be ordered (not N, S or B) is a validation
 * error, not a false condition (an item attribute of such a type just compares false).
 */
function checkOrderingOperands(operator: string, node: ConditionNode, ctx: BindContext): BindError | null {
  const count = operandCount(node);
  for (let i = 0; i < count; i++) {
    const value = immediateValue(operandAt(node, i), ctx);
    if (value === null) continue;
    const type = typeOf(value);
    if (type !== 'S' && type !== 'N' && type !== 'B') return operandTypeError(operator, type);
  }
  return null;
}

/** The first error of a leaf condition, by DynamoDB's category order. */
function leafError(node: ConditionNode, ctx: BindContext): BindError | null {
  const count = operandCount(node);
  let error: BindError | null = null;
  for (let i = 0; i < count && error === null; i++) error = firstUndefined(operandAt(node, i), ctx, WANT_NAMES | WANT_VALUES);
  for (let i = 0; i < count && error === null; i++) error = firstArityError(operandAt(node, i));
  if (error === null && node.type === 'compare') error = distinctError(node.op, node.left, node.right, ctx);
  for (let i = 0; i < count && error === null; i++) error = firstFunctionDistinctError(operandAt(node, i), ctx);
  for (let i = 0; i < count && error === null; i++) error = firstFunctionTypeError(operandAt(node, i), ctx);
  if (error !== null) return error;
  if (node.type === 'between') return checkBetweenBounds(node.low, node.high, ctx) ?? checkOrderingOperands('BETWEEN', node, ctx);
  if (node.type === 'compare' && node.op !== '=' && node.op !== '<>') return checkOrderingOperands(node.op, node, ctx);
  return null;
}

function makeOperand(kind: OperandKind, path: DocumentPath | null, value: AttributeValue | null, a: Operand | null, b: Operand | null): Operand {
  return { kind, path, value, a, b };
}

function makeCondition(
  kind: ConditionKind,
  op: Comparator | null,
  a: Operand | null,
  b: Operand | null,
  c: Operand | null,
  list: Operand[] | null,
  left: Condition | null,
  right: Condition | null,
): Condition {
  return { kind, op, a, b, c, list, left, right };
}

/** Builds an operand after its checks passed. */
function buildOperand(node: OperandNode, ctx: BindContext): Operand {
  switch (node.type) {
    case 'path':
      return makeOperand(OperandKind.Path, resolvePath(node, ctx), null, null, null);
    case 'value':
      return makeOperand(OperandKind.Value, null, lookupValue(ctx, node.name)!, null, null);
    case 'arithmetic':
      return makeOperand(
        node.op === '+' ? OperandKind.Add : OperandKind.Subtract,
        null,
        null,
        buildOperand(node.left, ctx),
        buildOperand(node.right, ctx),
      );
    case 'function':
      switch (node.name) {
        case 'size':
          return makeOperand(OperandKind.Size, null, null, buildOperand(node.args[0]!, ctx), null);
        case 'if_not_exists':
          return makeOperand(OperandKind.IfNotExists, resolvePath(node.args[0] as PathNode, ctx), null, buildOperand(node.args[1]!, ctx), null);
        case 'list_append':
          return makeOperand(OperandKind.ListAppend, null, null, buildOperand(node.args[0]!, ctx), buildOperand(node.args[1]!, ctx));
        default:
          throw new Error(`unexpected function operand ${node.name}`);
      }
  }
}

function buildCondition(node: ConditionNode, ctx: BindContext): Condition {
  switch (node.type) {
    case 'and':
    case 'or': {
      const left = buildCondition(node.left, ctx);
      const right = buildCondition(node.right, ctx);
      return makeCondition(node.type === 'and' ? ConditionKind.And : ConditionKind.Or, null, null, null, null, null, left, right);
    }
    case 'not':
      return makeCondition(ConditionKind.Not, null, null, null, null, null, buildCondition(node.operand, ctx), null);
    default: {
      const error = leafError(node, ctx);
      if (error !== null) throw error;
      return buildLeaf(node, ctx);
    }
  }
}

const functionConditionKinds: ReadonlyMap<string, ConditionKind> = new Map([
  ['attribute_exists', ConditionKind.Exists],
  ['attribute_not_exists', ConditionKind.NotExists],
  ['attribute_type', ConditionKind.Type],
  ['begins_with', ConditionKind.BeginsWith],
  ['contains', ConditionKind.Contains],
]);

function buildLeaf(node: ConditionNode, ctx: BindContext): Condition {
  switch (node.type) {
    case 'compare':
      return makeCondition(ConditionKind.Compare, node.op, buildOperand(node.left, ctx), buildOperand(node.right, ctx), null, null, null, null);
    case 'between':
      return makeCondition(
        ConditionKind.Between,
        null,
        buildOperand(node.operand, ctx),
        buildOperand(node.low, ctx),
        buildOperand(node.high, ctx),
        null,
        null,
        null,
      );
    case 'in': {
      const list: Operand[] = new Array(node.list.length);
      for (let i = 0; i < list.length; i++) list[i] = buildOperand(node.list[i]!, ctx);
      return makeCondition(ConditionKind.In, null, buildOperand(node.operand, ctx), null, null, list, null, null);
    }
    case 'function': {
      const kind = functionConditionKinds.get(node.name);
      if (kind === undefined) throw new Error(`unexpected condition function ${node.name}`);
      const a = buildOperand(node.args[0]!, ctx);
      const b = node.args.length > 1 ? buildOperand(node.args[1]!, ctx) : null;
      return makeCondition(kind, null, a, b, null, null, null, null);
    }
    default:
      throw new Error(`unexpected leaf ${node.type}`);
  }
}

/** Binds a ConditionExpression, FilterExpression or KeyConditionExpression. Throws BindError. */
export function bindCondition(parsed: ParsedCondition, ctx: BindContext, kind: ConditionExpressionKind): CompiledCondition {
  if (parsed.staticError !== null) throw new BindError(parsed.staticError);
  return { kind, root: buildCondition(parsed.root, ctx) };
}

// ---- updates ----

const updateOperandTypeNames: Partial<Record<AttributeType, string>> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  NULL: 'NULL',
  BOOL: 'BOOLEAN',
  L: 'LIST',
  M: 'MAP',
};

/** Checks of SET functions, innermost first: operand counts, if_not_exists' path, list_append's operands. */
function firstUpdateFunctionError(node: OperandNode, ctx: BindContext): BindError | null {
  if (node.type !== 'function') return null;
  const args = node.args;
  for (let i = 0; i < args.length; i++) {
    const error = firstUpdateFunctionError(args[i]!, ctx);
    if (error !== null) return error;
  }
  const arity = firstArityError(node);
  if (arity !== null) return arity;
  if (node.name === 'if_not_exists' && args[0]!.type !== 'path') {
    return new BindError('Operator or function requires a document path; operator or function: if_not_exists');
  }
  if (node.name === 'list_append') {
    for (let i = 0; i < args.length; i++) {
      const value = immediateValue(args[i]!, ctx);
      if (value !== null && typeOf(value) !== 'L') return operandTypeError(node.name, typeOf(value));
    }
  }
  return null;
}

function setValueError(node: OperandNode, ctx: BindContext): BindError | null {
  if (node.type !== 'arithmetic') return firstUpdateFunctionError(node, ctx);
  const error = firstUpdateFunctionError(node.left, ctx) ?? firstUpdateFunctionError(node.right, ctx);
  if (error !== null) return error;
  const left = immediateValue(node.left, ctx);
  if (left !== null && typeOf(left) !== 'N') return operandTypeError(node.op, typeOf(left));
  const right = immediateValue(node.right, ctx);
  if (right !== null && typeOf(right) !== 'N') return operandTypeError(node.op, typeOf(right));
  return null;
}

/** Binds an UpdateExpression. Throws BindError. */
export function bindUpdate(parsed: ParsedUpdate, ctx: BindContext): CompiledUpdate {
  if (parsed.staticError !== null) throw new BindError(parsed.staticError);
  const actions = parsed.actions;
  const count = actions.length;
  for (let want = WANT_NAMES; want <= WANT_VALUES; want <<= 1) {
    for (let i = 0; i < count; i++) {
      const action = actions[i]!;
      const error = firstUndefined(action.path, ctx, want) ?? (action.value !== null ? firstUndefined(action.value, ctx, want) : null);
      if (error !== null) throw error;
    }
  }
  const compiled: CompiledUpdateAction[] = new Array(count);
  const paths: DocumentPath[] = new Array(count);
  for (let i = 0; i < count; i++) paths[i] = resolvePath(actions[i]!.path, ctx);
  if (count > 1) {
    const pathError = checkPathSet(paths);
    if (pathError !== null) throw pathError;
  }
  for (let i = 0; i < count; i++) {
    const action = actions[i]!;
    if (action.section !== 'ADD' && action.section !== 'DELETE') continue;
    const type = typeOf(immediateValue(action.value!, ctx)!);
    const name = updateOperandTypeNames[type];
    if (name !== undefined && !(action.section === 'ADD' && type === 'N')) {
      throw new BindError(`Incorrect operand type for operator or function; operator: ${action.section}, operand type: ${name}`);
    }
  }
  for (let i = 0; i < count; i++) {
    const action = actions[i]!;
    if (action.section !== 'SET') continue;
    const error = setValueError(action.value!, ctx);
    if (error !== null) throw error;
  }
  for (let i = 0; i < count; i++) {
    const action = actions[i]!;
    let value: Operand | null = null;
    let operand: AttributeValue | null = null;
    if (action.section === 'SET') value = buildOperand(action.value!, ctx);
    else if (action.value !== null) operand = immediateValue(action.value, ctx);
    compiled[i] = { section: action.section, path: paths[i]!, value, operand };
  }
  return { actions: compiled };
}

// ---- projections ----

/** Binds a ProjectionExpression. Throws BindError. */
export function bindProjection(parsed: ParsedProjection, ctx: BindContext): CompiledProjection {
  if (parsed.staticError !== null) throw new BindError(parsed.staticError);
  const nodes = parsed.paths;
  for (let i = 0; i < nodes.length; i++) {
    const error = firstUndefined(nodes[i]!, ctx, WANT_NAMES);
    if (error !== null) throw error;
  }
  const paths: DocumentPath[] = new Array(nodes.length);
  let topLevelOnly = true;
  for (let i = 0; i < nodes.length; i++) {
    const path = resolvePath(nodes[i]!, ctx);
    if (path.length !== 1) topLevelOnly = false;
    paths[i] = path;
  }
  if (paths.length > 1) {
    const error = checkPathSet(paths);
    if (error !== null) throw error;
  }
  return { paths, topLevelOnly };
}
