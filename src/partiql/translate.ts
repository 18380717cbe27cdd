// Turns a parsed statement into the JSON API request that does the same thing, so that PartiQL
// runs through the very operations (and their validation, routing, capacity and indexes) the JSON
// API does. SELECT with equality on the whole primary key is a GetItem, with equality on the
// partition key a Query (a sort key condition becomes part of the key condition, the rest a
// filter), anything else a Scan with the WHERE clause as its filter. INSERT is a PutItem that
// must not find the item, UPDATE an UpdateItem that must find it, DELETE a DeleteItem; the WHERE
// clause of a write names the item by its key, and whatever else it says is the write's condition.
import { validationError } from '../protocol/errors.ts';
import { getPath, type DocumentPath } from '../expressions/index.ts';
import { incorrectOperandCount } from '../expressions/compile.ts';
import type { AttributeDefinition, AttributeValue, Item, KeySchemaElement } from '../values/types.ts';
import type { Expr, Returning, SelectStatement, Statement, UpdateAction } from './ast.ts';
import { astNodeName } from './parser.ts';
import { constantValue, typeName } from './values.ts';
import * as m from './messages.ts';

/** What translation needs to know of a table (a TableRecord is one). */
export interface TableSchema {
  readonly name: string;
  readonly keySchema: readonly KeySchemaElement[];
  readonly attributeDefinitions: readonly AttributeDefinition[];
  readonly indexes?: readonly {
    readonly name: string;
    readonly kind: 'GSI' | 'LSI';
    readonly keySchema: readonly KeySchemaElement[];
    readonly projection?: { readonly ProjectionType: string; readonly NonKeyAttributes?: readonly string[] };
  }[];
}

/** Which operation runs the statement: ExecuteStatement, BatchExecuteStatement or ExecuteTransaction. */
export type Surface = 'statement' | 'batch' | 'transaction';

/** One column of a SELECT list: PartiQL names it after the last attribute name of its path. */
export interface Column {
  readonly name: string;
  readonly path: DocumentPath;
}

export type ReadPlan =
  | { readonly op: 'GetItem'; readonly input: Record<string, unknown>; readonly columns: Column[] | null }
  | { readonly op: 'Query' | 'Scan'; readonly input: Record<string, unknown>; readonly columns: Column[] | null };

export type WritePlan =
  /** INSERT: a PutItem conditioned on the item's absence; a failed condition is DuplicateItemException. */
  | { readonly op: 'PutItem'; readonly input: Record<string, unknown> }
  /** UPDATE and DELETE; `returning` when the statement asked for the item (RETURNING). */
  | { readonly op: 'UpdateItem' | 'DeleteItem'; readonly input: Record<string, unknown>; readonly returning: boolean }
  /** EXISTS(SELECT ...) in ExecuteTransaction: a TransactWriteItems ConditionCheck. */
  | { readonly op: 'ConditionCheck'; readonly input: Record<string, unknown> };

export type Plan = ReadPlan | WritePlan;

export function isReadPlan(plan: Plan): plan is ReadPlan {
  return plan.op === 'GetItem' || plan.op === 'Query' || plan.op === 'Scan';
}

/** The table a statement reads or writes. */
export function statementTable(statement: Statement): string {
  return statement.kind === 'exists' ? statement.select.source.table : statement.source.table;
}

/** Whether a statement reads (SELECT) rather than writes (INSERT, UPDATE, DELETE, EXISTS). */
export function isRead(statement: Statement): boolean {
  return statement.kind === 'select';
}

/** The checks that depend on the operation and the request, before any table is looked up. */
export function checkStatement(statement: Statement, parameterCount: number, parameters: readonly AttributeValue[], surface: Surface): void {
  if (parameterCount !== parameters.length) throw m.statementError(m.parameterCountMismatch);
  if (statement.kind === 'exists' && surface !== 'transaction') throw m.statementError(m.existsOutsideTransaction);
  if (surface === 'transaction' && (statement.kind === 'update' || statement.kind === 'delete') && statement.returning !== null) {
    throw m.statementError(m.returningInTransaction);
  }
}

/** The request that runs `statement` against `table`. Throws DynamoError with DynamoDB's messages. */
export function translate(statement: Statement, table: TableSchema, parameters: readonly AttributeValue[], surface: Surface): Plan {
  const t = new Translation(table, parameters);
  switch (statement.kind) {
    case 'select':
      return t.select(statement, surface);
    case 'insert':
      return t.insert(statement.source.index, statement.value);
    case 'update':
      return t.update(statement.source.index, statement.actions, statement.where, statement.returning);
    case 'delete':
      return t.delete(statement.source.index, statement.where, statement.returning);
    case 'exists':
      return t.exists(statement.select, statement.negated);
  }
}

/** A SELECT list's columns, picked from an item the projection has already trimmed. */
export function shapeItem(item: Item, columns: readonly Column[]): Item {
  const out: Item = {};
  for (const column of columns) {
    const value = getPath(item, column.path);
    if (value !== undefined) out[column.name] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** ExpressionAttributeNames and ExpressionAttributeValues, filled as expressions are written. */
class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private readonly nameIds = new Map<string, string>();
  private nameCount = 0;
  private valueCount = 0;

  name(attribute: string): string {
    let id = this.nameIds.get(attribute);
    if (id === undefined) {
      id = `#n${this.nameCount++}`;
      this.nameIds.set(attribute, id);
      this.names[id] = attribute;
    }
    return id;
  }

  value(v: AttributeValue): string {
    const id = `:v${this.valueCount++}`;
    this.values[id] = v;
    return id;
  }

  /** Adds the maps to a request, when they hold anything. */
  into(input: Record<string, unknown>): Record<string, unknown> {
    if (this.nameCount > 0) input.ExpressionAttributeNames = this.names;
    if (this.valueCount > 0) input.ExpressionAttributeValues = this.values;
    return input;
  }
}

/** A condition written as expression text, with the precedence of its top operator. */
interface Written {
  readonly text: string;
  /** 1: OR, 2: AND, 3: NOT, 4: anything tighter. */
  readonly precedence: number;
}

const leaf = 4;

/** Joins conditions with AND (or OR), parenthesizing only what needs it (DynamoDB refuses redundant parentheses). */
function join(parts: readonly Written[], op: 'AND' | 'OR'): Written {
  const own = op === 'OR' ? 1 : 2;
  if (parts.length === 1) return parts[0]!;
  return { text: parts.map((p) => (p.precedence < own ? `(${p.text})` : p.text)).join(` ${op} `), precedence: own };
}

function negate(part: Written): Written {
  return { text: `NOT ${part.precedence < 3 ? `(${part.text})` : part.text}`, precedence: 3 };
}

const booleanFunctions: ReadonlySet<string> = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);

/** IS types DynamoDB supports, as the attribute_type each tests (MISSING is attribute_not_exists). */
const isTypes: ReadonlyMap<string, string> = new Map([
  ['NULL', 'NULL'], ['BOOLEAN', 'BOOL'], ['BLOB', 'B'], ['STRING', 'S'], ['NUMERIC', 'N'], ['STRUCT', 'M'], ['TUPLE', 'M'], ['LIST', 'L'],
]);

const returnValuesOf: Record<Returning, string> = { ALL_OLD: 'ALL_OLD', MODIFIED_OLD: 'UPDATED_OLD', ALL_NEW: 'ALL_NEW', MODIFIED_NEW: 'UPDATED_NEW' };

type SortKeyCondition = { readonly index: number; readonly write: (p: Placeholders) => string; readonly equality: AttributeValue | null };

class Translation {
  private readonly table: TableSchema;
  private readonly parameters: readonly AttributeValue[];
  private readonly p = new Placeholders();

  constructor(table: TableSchema, parameters: readonly AttributeValue[]) {
    this.table = table;
    this.parameters = parameters;
  }

  // ---- SELECT ----

  select(sel: SelectStatement, surface: Surface): ReadPlan {
    const table = this.table;
    const indexName = sel.source.index;
    const index = indexName === undefined ? undefined : table.indexes?.find((i) => i.name === indexName);
    if (indexName !== undefined) {
      if (surface === 'batch') throw m.statementError(m.selectInBatchNeedsKey);
      if (surface === 'transaction') throw m.statementError(m.indexReadInTransaction);
      if (index === undefined) throw validationError(`The table does not have the specified index: ${indexName}`);
    }
    const keySchema = index?.keySchema ?? table.keySchema;
    const hashNames = keySchema.filter((k) => k.KeyType === 'HASH').map((k) => k.AttributeName);
    const rangeNames = keySchema.filter((k) => k.KeyType === 'RANGE').map((k) => k.AttributeName);
    if (hashNames.length > 1 || rangeNames.length > 1) throw m.statementError(m.multiAttributeKeys);
    const pk = hashNames[0]!;
    const sk = rangeNames[0];
    const keyNames = new Set([pk, ...(sk === undefined ? [] : [sk])]);

    // The projection is written first: a GetItem's names are the projection's only.
    const input: Record<string, unknown> = { TableName: table.name };
    if (indexName !== undefined) input.IndexName = indexName;
    let columns: Column[] | null = null;
    if (sel.projection !== null) {
      const texts: string[] = [];
      const cols: Column[] = [];
      let reshape = false;
      for (const item of sel.projection) {
        if (item.k !== 'id' && item.k !== 'path') throw m.statementError(m.unexpectedPathComponent, item.at);
        const path = this.path(item);
        texts.push(path.text);
        const names = path.doc.filter((s): s is string => typeof s === 'string');
        cols.push({ name: names[names.length - 1]!, path: path.doc });
        if (path.doc.length > 1) reshape = true;
      }
      input.ProjectionExpression = texts.join(', ');
      if (reshape) columns = cols;
      if (index?.kind === 'GSI') checkProjected(index, table.keySchema, cols);
    }

    const conjuncts = flattenAnd(sel.where);
    let pkIndex = -1;
    let pkValue: AttributeValue | null = null;
    for (let i = 0; i < conjuncts.length && pkIndex < 0; i++) {
      const v = this.keyEquality(conjuncts[i]!, pk);
      if (v !== null) {
        pkIndex = i;
        pkValue = v;
      }
    }
    let skCondition: SortKeyCondition | null = null;
    if (pkIndex >= 0 && sk !== undefined) {
      for (let i = 0; i < conjuncts.length && skCondition === null; i++) {
        if (i !== pkIndex) skCondition = this.sortKeyCondition(conjuncts[i]!, sk, i);
      }
    }
    const rest = conjuncts.filter((_, i) => i !== pkIndex && i !== skCondition?.index);
    const fullKey = pkIndex >= 0 && (sk === undefined || skCondition?.equality != null);

    if (surface !== 'statement') {
      if (!fullKey || rest.length > 0) throw m.statementError(surface === 'batch' ? m.selectInBatchNeedsKey : m.selectInTransactionNeedsKey);
    }
    const descending = this.orderBy(sel, keyNames, pkIndex >= 0, sk);

    if (index === undefined && fullKey && rest.length === 0) {
      const key: Item = { [pk]: pkValue! };
      if (sk !== undefined) key[sk] = skCondition!.equality!;
      input.Key = key;
      return { op: 'GetItem', input: this.p.into(input), columns };
    }
    if (pkIndex >= 0 && !rest.some((c) => references(c, keyNames))) {
      let keyCondition = `${this.p.name(pk)} = ${this.p.value(pkValue!)}`;
      if (skCondition !== null) keyCondition += ` AND ${skCondition.write(this.p)}`;
      input.KeyConditionExpression = keyCondition;
      if (rest.length > 0) input.FilterExpression = join(rest.map((c) => this.condition(c)), 'AND').text;
      if (descending) input.ScanIndexForward = false;
      return { op: 'Query', input: this.p.into(input), columns };
    }
    if (sel.where !== null) input.FilterExpression = this.condition(sel.where).text;
    return { op: 'Scan', input: this.p.into(input), columns };
  }

  /** Checks ORDER BY and says whether it asks for descending order. */
  private orderBy(sel: SelectStatement, keyNames: ReadonlySet<string>, hasHashKey: boolean, sk: string | undefined): boolean {
    if (sel.orderBy.length === 0) return false;
    if (sel.where === null) throw m.statementError(m.orderByNeedsWhere);
    if (!hasHashKey) throw m.statementError(m.orderByNeedsHashKey);
    let descending: boolean | null = null;
    for (const item of sel.orderBy) {
      const name = item.expr.k === 'id' ? item.expr.name : astNodeName(item.expr);
      if (item.expr.k !== 'id' || !keyNames.has(name)) throw m.statementError(m.orderByNotKey(name));
      if (name === sk || descending === null) descending = item.descending;
    }
    return descending === true;
  }

  /** `name = constant` (either way round): the constant, else null. */
  private keyEquality(c: Expr, name: string): AttributeValue | null {
    if (c.k !== 'binary' || c.op !== '=') return null;
    const value = isAttribute(c.left, name) ? c.right : isAttribute(c.right, name) ? c.left : null;
    if (value === null || !isConstant(value)) return null;
    return constantValue(value, this.parameters) ?? null;
  }

  /** A condition a Query's key condition can take on the sort key, else null. */
  private sortKeyCondition(c: Expr, sk: string, index: number): SortKeyCondition | null {
    if (c.k === 'binary' && (c.op === '=' || c.op === '<' || c.op === '<=' || c.op === '>' || c.op === '>=')) {
      let op: string = c.op;
      let valueExpr: Expr;
      if (isAttribute(c.left, sk) && isConstant(c.right)) {
        valueExpr = c.right;
      } else if (isAttribute(c.right, sk) && isConstant(c.left)) {
        valueExpr = c.left;
        op = op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : op === '>=' ? '<=' : op;
      } else {
        return null;
      }
      const value = constantValue(valueExpr, this.parameters);
      if (value === undefined) return null;
      return { index, equality: op === '=' ? value : null, write: (p) => `${p.name(sk)} ${op} ${p.value(value)}` };
    }
    if (c.k === 'between' && !c.negated && isAttribute(c.operand, sk) && isConstant(c.low) && isConstant(c.high)) {
      const low = constantValue(c.low, this.parameters);
      const high = constantValue(c.high, this.parameters);
      if (low === undefined || high === undefined) return null;
      return { index, equality: null, write: (p) => `${p.name(sk)} BETWEEN ${p.value(low)} AND ${p.value(high)}` };
    }
    if (c.k === 'call' && c.name === 'begins_with' && c.args.length === 2 && isAttribute(c.args[0]!, sk) && isConstant(c.args[1]!)) {
      const prefix = constantValue(c.args[1]!, this.parameters);
      if (prefix === undefined) return null;
      return { index, equality: null, write: (p) => `begins_with(${p.name(sk)}, ${p.value(prefix)})` };
    }
    return null;
  }

  // ---- writes ----

  insert(indexName: string | undefined, value: Expr): WritePlan {
    if (indexName !== undefined) throw m.statementError(m.dmlOnIndex);
    let item: AttributeValue | undefined;
    if (value.k === 'struct' || (value.k === 'param' && 'M' in (this.parameters[value.index] ?? {}))) {
      item = value.k === 'struct' ? this.item(value) : this.parameters[value.index];
    }
    if (item === undefined || !('M' in item)) throw m.statementError(m.insertNotStruct);
    const fields = item.M;
    for (const key of this.table.keySchema) {
      const name = key.AttributeName;
      const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
      if (v === undefined) throw m.statementError(m.keyAttributeAbsent(name));
      const type = this.table.attributeDefinitions.find((d) => d.AttributeName === name)?.AttributeType;
      if (typeName(v) !== type) throw m.statementError(m.keyAttributeTypeMismatch(name));
    }
    const pk = this.partitionKey();
    const input: Record<string, unknown> = { TableName: this.table.name, Item: fields, ConditionExpression: `attribute_not_exists(${this.p.name(pk)})` };
    return { op: 'PutItem', input: this.p.into(input) };
  }

  /** An INSERT's item: each attribute's value is checked as a value of its own ("root"). */
  private item(struct: Expr & { k: 'struct' }): AttributeValue {
    const fields: Record<string, AttributeValue> = {};
    for (const field of struct.fields) {
      const key = constantValue(field.key, this.parameters);
      if (key === undefined || !('S' in key)) throw m.statementError(m.tupleKeyNotString(key === undefined ? 'MISSING' : typeName(key), 'root'));
      if (Object.hasOwn(fields, key.S)) throw m.statementError(m.duplicateTupleKey(key.S, 'root'));
      const v = constantValue(field.value, this.parameters, 'root');
      if (v === undefined) continue;
      if (key.S === '__proto__') Object.defineProperty(fields, key.S, { value: v, enumerable: true, writable: true, configurable: true });
      else fields[key.S] = v;
    }
    return { M: fields };
  }

  update(indexName: string | undefined, actions: readonly UpdateAction[], where: Expr | null, returning: Returning | null): WritePlan {
    if (indexName !== undefined) throw m.statementError(m.dmlOnIndex);
    const { key, rest } = this.itemKey(where, m.incompleteKeyInWhere);
    const sets: string[] = [];
    const removes: string[] = [];
    const adds: string[] = [];
    const deletes: string[] = [];
    for (const action of actions) {
      const target = this.path(action.target);
      if (action.k === 'remove') {
        removes.push(target.text);
        continue;
      }
      const value = action.value;
      if (value.k === 'call' && (value.name === 'set_add' || value.name === 'set_delete')) {
        const fn = value.name === 'set_add' ? 'ADD' : 'DELETE';
        if (value.args.length !== 2) throw m.statementError(m.setFunctionArity(fn), value.at);
        const first = value.args[0]!;
        if ((first.k !== 'id' && first.k !== 'path') || !samePath(this.path(first).doc, target.doc)) {
          throw m.statementError(m.setFunctionFirstArgument(fn), value.at);
        }
        const second = value.args[1]!;
        const set = isConstant(second) ? constantValue(second, this.parameters) : undefined;
        if (set === undefined || !('SS' in set || 'NS' in set || 'BS' in set)) throw m.statementError(m.setFunctionSecondArgument(fn), first.at);
        (fn === 'ADD' ? adds : deletes).push(`${target.text} ${this.p.value(set)}`);
        continue;
      }
      sets.push(`${target.text} = ${this.updateOperand(value, true)}`);
    }
    const clauses: string[] = [];
    if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
    if (removes.length > 0) clauses.push(`REMOVE ${removes.join(', ')}`);
    if (adds.length > 0) clauses.push(`ADD ${adds.join(', ')}`);
    if (deletes.length > 0) clauses.push(`DELETE ${deletes.join(', ')}`);
    const exists: Written = { text: `attribute_exists(${this.p.name(this.partitionKey())})`, precedence: leaf };
    const input: Record<string, unknown> = {
      TableName: this.table.name,
      Key: key,
      UpdateExpression: clauses.join(' '),
      ConditionExpression: join([exists, ...rest.map((c) => this.condition(c))], 'AND').text,
    };
    if (returning !== null) input.ReturnValues = returnValuesOf[returning];
    return { op: 'UpdateItem', input: this.p.into(input), returning: returning !== null };
  }

  delete(indexName: string | undefined, where: Expr | null, returning: Returning | null): WritePlan {
    if (indexName !== undefined) throw m.statementError(m.dmlOnIndex);
    if (returning !== null && returning !== 'ALL_OLD') throw m.statementError(m.invalidDeleteReturning(returning.replace('_', ' ') + ' *'));
    const { key, rest } = this.itemKey(where, m.incompleteKeyInWhere);
    const input: Record<string, unknown> = { TableName: this.table.name, Key: key };
    if (rest.length > 0) {
      // A condition on an item that is not there is not checked: the DELETE does nothing.
      const absent: Written = { text: `attribute_not_exists(${this.p.name(this.partitionKey())})`, precedence: leaf };
      input.ConditionExpression = join([absent, join(rest.map((c) => this.condition(c)), 'AND')], 'OR').text;
    }
    if (returning !== null) input.ReturnValues = 'ALL_OLD';
    return { op: 'DeleteItem', input: this.p.into(input), returning: returning !== null };
  }

  exists(sel: SelectStatement, negated: boolean): WritePlan {
    if (sel.source.index !== undefined) throw m.statementError(m.indexWriteInTransaction);
    const { key, rest } = this.itemKey(sel.where, m.existsNeedsCondition);
    if (rest.length === 0) throw m.statementError(m.existsNeedsCondition);
    const pk = this.p.name(this.partitionKey());
    const condition = join(rest.map((c) => this.condition(c)), 'AND');
    const text = negated
      ? join([{ text: `attribute_not_exists(${pk})`, precedence: leaf }, negate(condition)], 'OR').text
      : join([{ text: `attribute_exists(${pk})`, precedence: leaf }, condition], 'AND').text;
    return { op: 'ConditionCheck', input: this.p.into({ TableName: this.table.name, Key: key, ConditionExpression: text }) };
  }

  /** The item a write's WHERE clause names by equality on every key attribute, and the rest of the clause. */
  private itemKey(where: Expr | null, missing: string): { key: Item; rest: Expr[] } {
    const conjuncts = flattenAnd(where);
    const used = new Set<number>();
    const key: Item = {};
    for (const element of this.table.keySchema) {
      const name = element.AttributeName;
      for (let i = 0; i < conjuncts.length; i++) {
        if (used.has(i)) continue;
        const value = this.keyEquality(conjuncts[i]!, name);
        if (value === null) continue;
        if (Object.hasOwn(key, name)) throw m.statementError(m.multipleConditionsOnKey(name));
        key[name] = value;
        used.add(i);
      }
      if (!Object.hasOwn(key, name)) throw m.statementError(missing);
    }
    return { key, rest: conjuncts.filter((_, i) => !used.has(i)) };
  }

  private partitionKey(): string {
    return this.table.keySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
  }

  // ---- expressions ----

  /** A document path as expression text (every name a placeholder) and as a resolved path. */
  private path(e: Expr): { text: string; doc: DocumentPath } {
    if (e.k === 'id') return { text: this.p.name(e.name), doc: [e.name] };
    if (e.k !== 'path' || e.root.k !== 'id') throw m.statementError(m.unexpectedPathComponent, e.at);
    let text = this.p.name(e.root.name);
    const doc: DocumentPath = [e.root.name];
    for (const step of e.steps) {
      if (step.k === 'wildcard') throw m.statementError(m.wildcardPathComponent);
      if (step.k === 'name') {
        text += `.${this.p.name(step.name)}`;
        doc.push(step.name);
        continue;
      }
      const at = isConstant(step.expr) ? constantValue(step.expr, this.parameters) : undefined;
      if (at !== undefined && 'S' in at) {
        text += `.${this.p.name(at.S)}`;
        doc.push(at.S);
      } else if (at !== undefined && 'N' in at && /^\d+$/.test(at.N)) {
        text += `[${at.N}]`;
        doc.push(Number(at.N));
      } else {
        throw m.statementError(m.unexpectedPathComponent, step.expr.at);
      }
    }
    return { text, doc };
  }

  /** A WHERE clause (or part of one) as DynamoDB condition expression text. */
  condition(e: Expr): Written {
    switch (e.k) {
      case 'binary':
        switch (e.op) {
          case 'and':
          case 'or':
            return join([this.condition(e.left), this.condition(e.right)], e.op === 'and' ? 'AND' : 'OR');
          case '=':
          case '<>':
          case '<':
          case '<=':
          case '>':
          case '>=': {
            const truth = this.booleanComparison(e.op, e.left, e.right) ?? this.booleanComparison(e.op, e.right, e.left);
            if (truth !== null) return truth;
            return { text: `${this.operand(e.left)} ${e.op} ${this.operand(e.right)}`, precedence: leaf };
          }
          default:
            throw m.statementError(m.unsupportedConditionOperator(e.op));
        }
      case 'not':
        return negate(this.condition(e.operand));
      case 'between': {
        const text = `${this.operand(e.operand)} BETWEEN ${this.operand(e.low)} AND ${this.operand(e.high)}`;
        return e.negated ? negate({ text, precedence: leaf }) : { text, precedence: leaf };
      }
      case 'in': {
        const list = e.list;
        if ((e.operand.k !== 'id' && e.operand.k !== 'path') || (list.k !== 'list' && list.k !== 'bag') || list.items.length === 0) {
          throw m.statementError(m.invalidInOperator);
        }
        const text = `${this.operand(e.operand)} IN (${list.items.map((item) => this.operand(item)).join(', ')})`;
        return e.negated ? negate({ text, precedence: leaf }) : { text, precedence: leaf };
      }
      case 'is':
        return this.isCondition(e);
      case 'call': {
        if (!booleanFunctions.has(e.name)) {
          if (e.name === 'size') throw m.statementError(m.whereNotBoolean);
          throw m.statementError(m.unrecognizedFunction(e.name), e.at);
        }
        // Written as a condition expression, a call with no operands would not parse there.
        if (e.args.length === 0) throw validationError(incorrectOperandCount(e.name, 0));
        return { text: `${e.name}(${e.args.map((a) => this.operand(a)).join(', ')})`, precedence: leaf };
      }
      case 'like':
        throw m.statementError(m.unsupportedConditionOperator('like'));
      default:
        throw m.statementError(m.whereNotBoolean);
    }
  }

  /** `f(...) = TRUE` and the like: a boolean function compared with a boolean literal. */
  private booleanComparison(op: string, call: Expr, other: Expr): Written | null {
    if (call.k !== 'call' || !booleanFunctions.has(call.name) || other.k !== 'lit' || other.v.t !== 'bool') return null;
    if (op !== '=' && op !== '<>') return null;
    const written = this.condition(call);
    return other.v.b === (op === '=') ? written : negate(written);
  }

  private isCondition(e: Expr & { k: 'is' }): Written {
    if (e.operand.k !== 'id' && e.operand.k !== 'path') throw m.statementError(m.isOperandNotPath);
    const path = this.path(e.operand).text;
    if (e.type === 'MISSING') {
      return { text: `${e.negated ? 'attribute_exists' : 'attribute_not_exists'}(${path})`, precedence: leaf };
    }
    const type = isTypes.get(e.type);
    if (type === undefined) throw m.statementError(m.unsupportedIsType(e.type));
    const written: Written = { text: `attribute_type(${path}, ${this.p.value({ S: type })})`, precedence: leaf };
    return e.negated ? negate(written) : written;
  }

  /** A constant (a literal, a parameter, a list, bag or struct of them) as an expression value; MISSING is not one. */
  private constant(e: Expr): string {
    const value = constantValue(e, this.parameters);
    if (value === undefined) throw m.statementError(m.missingComparedWithoutIs);
    return this.p.value(value);
  }

  /** An operand of a comparison or function: a path, a constant or size(...). */
  private operand(e: Expr): string {
    switch (e.k) {
      case 'id':
      case 'path':
        return this.path(e).text;
      case 'lit':
      case 'param':
      case 'list':
      case 'bag':
      case 'struct':
        return this.constant(e);
      case 'call':
        if (e.name === 'size') {
          if (e.args.length === 0) throw validationError(incorrectOperandCount(e.name, 0));
          return `size(${e.args.map((a) => this.operand(a)).join(', ')})`;
        }
        if (booleanFunctions.has(e.name)) throw m.statementError(m.unsupportedConditionOperator(e.name));
        throw m.statementError(m.unrecognizedFunction(e.name), e.at);
      case 'binary':
        throw m.statementError(m.unsupportedConditionOperator(e.op));
      case 'negate':
        throw m.statementError(m.unsupportedConditionOperator('-'));
      default:
        throw m.statementError(m.unsupportedConditionOperator(astNodeName(e)));
    }
  }

  /** The right-hand side of a SET: a constant, a path, a + b, a - b or list_append(a, b). */
  private updateOperand(e: Expr, top: boolean): string {
    switch (e.k) {
      case 'id':
      case 'path':
        return this.path(e).text;
      case 'lit':
      case 'param':
      case 'list':
      case 'bag':
      case 'struct':
        return this.constant(e);
      case 'binary':
        if ((e.op === '+' || e.op === '-') && top) return `${this.updateOperand(e.left, false)} ${e.op} ${this.updateOperand(e.right, false)}`;
        throw m.statementError(m.unsupportedUpdateOperator(e.op));
      case 'call':
        if (e.name === 'list_append') return `list_append(${e.args.map((a) => this.updateOperand(a, false)).join(', ')})`;
        throw m.statementError(m.unrecognizedFunction(e.name), e.at);
      case 'is':
        throw m.statementError(m.isInUpdate);
      default:
        throw m.statementError(m.unsupportedUpdateOperator(astNodeName(e)));
    }
  }
}

/** The top-level AND conjuncts of a WHERE clause. */
function flattenAnd(where: Expr | null): Expr[] {
  const out: Expr[] = [];
  const visit = (e: Expr) => {
    if (e.k === 'binary' && e.op === 'and') {
      visit(e.left);
      visit(e.right);
    } else {
      out.push(e);
    }
  };
  if (where !== null) visit(where);
  return out;
}

function isAttribute(e: Expr, name: string): boolean {
  return e.k === 'id' && e.name === name;
}

/** A value written in the statement or passed as a parameter (not MISSING). */
function isConstant(e: Expr): boolean {
  switch (e.k) {
    case 'lit':
      return e.v.t !== 'missing';
    case 'param':
    case 'list':
    case 'bag':
    case 'struct':
      return true;
    default:
      return false;
  }
}

/** Whether an expression reads any of `names` (as a whole attribute or through a path). */
function references(e: Expr, names: ReadonlySet<string>): boolean {
  switch (e.k) {
    case 'id':
      return names.has(e.name);
    case 'path':
      return references(e.root, names);
    case 'binary':
      return references(e.left, names) || references(e.right, names);
    case 'not':
    case 'negate':
      return references(e.operand, names);
    case 'between':
      return references(e.operand, names) || references(e.low, names) || references(e.high, names);
    case 'in':
      return references(e.operand, names) || references(e.list, names);
    case 'like':
      return references(e.operand, names) || references(e.pattern, names);
    case 'is':
      return references(e.operand, names);
    case 'call':
      return e.args.some((a) => references(a, names));
    case 'list':
    case 'bag':
      return e.items.some((a) => references(a, names));
    default:
      return false;
  }
}

function samePath(a: DocumentPath, b: DocumentPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** A GSI answers only what it projects: columns outside it are refused, named in statement order (as DynamoDB does). */
function checkProjected(index: NonNullable<TableSchema['indexes']>[number], tableKeySchema: readonly KeySchemaElement[], columns: readonly Column[]): void {
  const projection = index.projection;
  if (projection === undefined || projection.ProjectionType === 'ALL') return;
  const projected = new Set([...tableKeySchema, ...index.keySchema].map((k) => k.AttributeName));
  for (const name of projection.NonKeyAttributes ?? []) projected.add(name);
  const missing: string[] = [];
  for (const column of columns) {
    const name = column.path[0];
    if (typeof name === 'string' && !projected.has(name) && !missing.includes(name)) missing.push(name);
  }
  if (missing.length > 0) throw m.statementError(m.gsiDoesNotProject(index.name, missing));
}
