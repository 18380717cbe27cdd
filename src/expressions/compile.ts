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
  type FunctionNode,
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

/** The request's substitutions and which of them the expressions used. */
export interface BindContext {
  readonly names: Readonly<Record<string, string>> | undefined;
  readonly values: Readonly<Record<string, AttributeValue>> | undefined;
  readonly usedNames: Set<string>;
  readonly usedValues: Set<string>;
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

/** Resolves a path's aliases (no checks: callers ran firstUndefined first). */
function resolvePath(node: PathNode, ctx: BindContext): DocumentPath {
  if (node.literal !== null) return node.literal;
  const parts = node.parts;
  const path: DocumentPath = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.kind === 'alias') {
      ctx.usedNames.add(part.text);
      path[i] = lookupName(ctx, part.text)!;
    } else {
      path[i] = part.kind === 'index' ? part.index : part.text;
    }
  }
  return path;
}

function pathsEqual(a: DocumentPath, b: DocumentPath): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- checks shared by the grammars ----

/** The first undefined alias (kind 'name') or :value (kind 'value') in an operand, in source order. */
function firstUndefined(node: OperandNode, ctx: BindContext, want: 'name' | 'value' | 'both'): BindError | null {
  switch (node.type) {
    case 'path':
      if (want === 'value') return null;
      for (const part of node.parts) {
        if (part.kind === 'alias' && lookupName(ctx, part.text) === undefined) return undefinedName(part.text);
      }
      return null;
    case 'value':
      if (want === 'name') return null;
      return lookupValue(ctx, node.name) === undefined ? undefinedValue(node.name) : null;
    case 'function':
      for (const arg of node.args) {
        const error = firstUndefined(arg, ctx, want);
        if (error !== null) return error;
      }
      return null;
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

// ---- conditions ----

const attributeTypeNames: ReadonlySet<string> = new Set(['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M']);

/** Visits the function nodes of an operand tree, innermost first. */
function forEachFunction(node: OperandNode, visit: (fn: FunctionNode) => BindError | null): BindError | null {
  if (node.type === 'function') {
    for (const arg of node.args) {
      const error = forEachFunction(arg, visit);
      if (error !== null) return error;
    }
    return visit(node);
  }
  if (node.type === 'arithmetic') return forEachFunction(node.left, visit) ?? forEachFunction(node.right, visit);
  return null;
}

function leafOperands(node: ConditionNode): OperandNode[] {
  switch (node.type) {
    case 'compare':
      return [node.left, node.right];
    case 'between':
      return [node.operand, node.low, node.high];
    case 'in':
      return [node.operand, ...node.list];
    case 'function':
      return [node];
    default:
      return [];
  }
}

function checkFunctionArity(fn: FunctionNode): BindError | null {
  const arity = conditionFunctionArity.get(fn.name) ?? updateFunctionArity.get(fn.name);
  if (arity !== undefined && arity !== fn.args.length) {
    return new BindError(
      `Incorrect number of operands for operator or function; operator or function: ${fn.name}, number of operands: ${fn.args.length}`,
    );
  }
  return null;
}

function distinctError(operator: string, left: OperandNode, right: OperandNode, ctx: BindContext): BindError | null {
  if (left.type !== 'path' || right.type !== 'path') return null;
  const a = resolvePath(left, ctx);
  if (!pathsEqual(a, resolvePath(right, ctx))) return null;
  return new BindError(
    `The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${formatPath(a)}`,
  );
}

function checkConditionFunctionTypes(fn: FunctionNode, ctx: BindContext): BindError | null {
  switch (fn.name) {
    case 'attribute_exists':
    case 'attribute_not_exists':
      return fn.args[0]!.type === 'path'
        ? null
        : new BindError(`Operator or function requires a document path; operator or function: ${fn.name}`);
    case 'begins_with':
      for (const arg of fn.args) {
        const type = staticType(arg, ctx);
        if (type !== null && type !== 'S' && type !== 'B') return operandTypeError(fn.name, type);
      }
      return null;
    case 'size': {
      const type = staticType(fn.args[0]!, ctx);
      if (type === 'N' || type === 'BOOL' || type === 'NULL') return operandTypeError(fn.name, type);
      return null;
    }
    case 'attribute_type': {
      const arg = fn.args[1]!;
      const type = arg.type === 'path' ? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}' : staticType(arg, ctx);
      if (type !== 'S') return operandTypeError(fn.name, type ?? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}');
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
function checkOrderingOperands(operator: string, operands: OperandNode[], ctx: BindContext): BindError | null {
  for (const operand of operands) {
    const value = immediateValue(operand, ctx);
    if (value === null) continue;
    const type = typeOf(value);
    if (type !== 'S' && type !== 'N' && type !== 'B') return operandTypeError(operator, type);
  }
  return null;
}

/** The first error of a leaf condition, by DynamoDB's category order. */
function leafError(node: ConditionNode, ctx: BindContext): BindError | null {
  const operands = leafOperands(node);
  for (const operand of operands) {
    const error = firstUndefined(operand, ctx, 'both');
    if (error !== null) return error;
  }
  for (const operand of operands) {
    const error = forEachFunction(operand, checkFunctionArity);
    if (error !== null) return error;
  }
  if (node.type === 'compare') {
    const error = distinctError(node.op, node.left, node.right, ctx);
    if (error !== null) return error;
  }
  for (const operand of operands) {
    const error = forEachFunction(operand, (fn) => (fn.args.length === 2 ? distinctError(fn.name, fn.args[0]!, fn.args[1]!, ctx) : null));
    if (error !== null) return error;
  }
  for (const operand of operands) {
    const error = forEachFunction(operand, (fn) => checkConditionFunctionTypes(fn, ctx));
    if (error !== null) return error;
  }
  if (node.type === 'between') {
    const error = checkBetweenBounds(node.low, node.high, ctx);
    if (error !== null) return error;
  }
  if (node.type === 'compare' && node.op !== '=' && node.op !== '<>') return checkOrderingOperands(node.op, operands, ctx);
  if (node.type === 'between') return checkOrderingOperands('BETWEEN', operands, ctx);
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

/** Builds an operand (after its checks passed), marking names and values used. */
function buildOperand(node: OperandNode, ctx: BindContext): Operand {
  switch (node.type) {
    case 'path':
      return makeOperand(OperandKind.Path, resolvePath(node, ctx), null, null, null);
    case 'value':
      ctx.usedValues.add(node.name);
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
          return makeOperand(
            OperandKind.IfNotExists,
            resolvePath(node.args[0] as PathNode, ctx),
            null,
            buildOperand(node.args[1]!, ctx),
            null,
          );
        case 'list_append':
          return makeOperand(OperandKind.ListAppend, null, null, buildOperand(node.args[0]!, ctx), buildOperand(node.args[1]!, ctx));
        default:
          throw new Error(`unexpected function operand ${node.name}`);
      }
  }
}

function buildCondition(node: ConditionNode, ctx: BindContext, kind: ConditionExpressionKind): Condition {
  switch (node.type) {
    case 'and':
    case 'or': {
      const left = buildCondition(node.left, ctx, kind);
      const right = buildCondition(node.right, ctx, kind);
      return makeCondition(node.type === 'and' ? ConditionKind.And : ConditionKind.Or, null, null, null, null, null, left, right);
    }
    case 'not':
      return makeCondition(ConditionKind.Not, null, null, null, null, null, buildCondition(node.operand, ctx, kind), null);
    default: {
      const error = leafError(node, ctx);
      if (error !== null) throw error;
      return buildLeaf(node, ctx);
    }
  }
}

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
      const list = node.list.map((item) => buildOperand(item, ctx));
      return makeCondition(ConditionKind.In, null, buildOperand(node.operand, ctx), null, null, list, null, null);
    }
    case 'function': {
      const a = buildOperand(node.args[0]!, ctx);
      const b = node.args.length > 1 ? buildOperand(node.args[1]!, ctx) : null;
      switch (node.name) {
        case 'attribute_exists':
          return makeCondition(ConditionKind.Exists, null, a, null, null, null, null, null);
        case 'attribute_not_exists':
          return makeCondition(ConditionKind.NotExists, null, a, null, null, null, null, null);
        case 'attribute_type':
          return makeCondition(ConditionKind.Type, null, a, b, null, null, null, null);
        case 'begins_with':
          return makeCondition(ConditionKind.BeginsWith, null, a, b, null, null, null, null);
        case 'contains':
          return makeCondition(ConditionKind.Contains, null, a, b, null, null, null, null);
        default:
          throw new Error(`unexpected condition function ${node.name}`);
      }
    }
    default:
      throw new Error(`unexpected leaf ${node.type}`);
  }
}

/** Binds a ConditionExpression, FilterExpression or KeyConditionExpression. Throws BindError. */
export function bindCondition(parsed: ParsedCondition, ctx: BindContext, kind: ConditionExpressionKind): CompiledCondition {
  if (parsed.staticError !== null) throw new BindError(parsed.staticError);
  return { kind, root: buildCondition(parsed.root, ctx, kind) };
}

// ---- paths in updates and projections ----

/** DynamoDB's overlap / conflict check between the document paths one expression writes or reads. */
function checkPathSet(paths: DocumentPath[]): BindError | null {
  let overlap: BindError | null = null;
  let conflict: BindError | null = null;
  for (let j = 1; j < paths.length; j++) {
    const second = paths[j]!;
    for (let i = 0; i < j; i++) {
      const first = paths[i]!;
      const shared = first.length < second.length ? first.length : second.length;
      let k = 0;
      let diverged = false;
      for (; k < shared; k++) {
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
        overlap ??= new BindError(
          `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(first)}, path two: ${formatPath(second)}`,
        );
      }
    }
    if (overlap !== null) return overlap;
  }
  return overlap ?? conflict;
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

function checkUpdateFunction(fn: FunctionNode, ctx: BindContext): BindError | null {
  const arity = checkFunctionArity(fn);
  if (arity !== null) return arity;
  if (fn.name === 'if_not_exists' && fn.args[0]!.type !== 'path') {
    return new BindError('Operator or function requires a document path; operator or function: if_not_exists');
  }
  if (fn.name === 'list_append') {
    for (const arg of fn.args) {
      const value = immediateValue(arg, ctx);
      if (value !== null && typeOf(value) !== 'L') return operandTypeError(fn.name, typeOf(value));
    }
  }
  return null;
}

function checkSetValue(node: OperandNode, ctx: BindContext): BindError | null {
  if (node.type === 'arithmetic') {
    const error = forEachFunction(node.left, (fn) => checkUpdateFunction(fn, ctx)) ?? forEachFunction(node.right, (fn) => checkUpdateFunction(fn, ctx));
    if (error !== null) return error;
    for (const operand of [node.left, node.right]) {
      const value = immediateValue(operand, ctx);
      if (value !== null && typeOf(value) !== 'N') return operandTypeError(node.op, typeOf(value));
    }
    return null;
  }
  return forEachFunction(node, (fn) => checkUpdateFunction(fn, ctx));
}

/** Binds an UpdateExpression. Throws BindError. */
export function bindUpdate(parsed: ParsedUpdate, ctx: BindContext): CompiledUpdate {
  if (parsed.staticError !== null) throw new BindError(parsed.staticError);
  const actions = parsed.actions;
  for (const want of ['name', 'value'] as const) {
    for (const action of actions) {
      const error = firstUndefined(action.path, ctx, want) ?? (action.value !== null ? firstUndefined(action.value, ctx, want) : null);
      if (error !== null) throw error;
    }
  }
  const paths = actions.map((action) => resolvePath(action.path, ctx));
  const pathError = checkPathSet(paths);
  if (pathError !== null) throw pathError;
  for (const action of actions) {
    if (action.section !== 'ADD' && action.section !== 'DELETE') continue;
    const type = typeOf(immediateValue(action.value!, ctx)!);
    const name = updateOperandTypeNames[type];
    if (name !== undefined && !(action.section === 'ADD' && type === 'N')) {
      throw new BindError(`Incorrect operand type for operator or function; operator: ${action.section}, operand type: ${name}`);
    }
  }
  for (const action of actions) {
    if (action.section !== 'SET') continue;
    const error = checkSetValue(action.value!, ctx);
    if (error !== null) throw error;
  }
  const compiled: CompiledUpdateAction[] = new Array(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    let value: Operand | null = null;
    let operand: AttributeValue | null = null;
    if (action.section === 'SET') value = buildOperand(action.value!, ctx);
    else if (action.value !== null) {
      const name = (action.value as { name: string }).name;
      ctx.usedValues.add(name);
      operand = lookupValue(ctx, name)!;
    }
    compiled[i] = { section: action.section, path: paths[i]!, value, operand };
  }
  return { actions: compiled };
}

// ---- projections ----

/** Binds a ProjectionExpression. Throws BindError. */
export function bindProjection(parsed: ParsedProjection, ctx: BindContext): CompiledProjection {
  if (parsed.staticError !== null) throw new BindError(parsed.staticError);
  for (const path of parsed.paths) {
    const error = firstUndefined(path, ctx, 'name');
    if (error !== null) throw error;
  }
  const paths = parsed.paths.map((path) => resolvePath(path, ctx));
  const error = checkPathSet(paths);
  if (error !== null) throw error;
  let topLevelOnly = true;
  for (const path of paths) if (path.length !== 1) topLevelOnly = false;
  return { paths, topLevelOnly };
}
