// What ExecuteStatement, BatchExecuteStatement and ExecuteTransaction share: a statement read,
// checked and translated into a JSON API request (src/partiql/), then run through that API's own
// operation handlers, whose answers and errors are reshaped into PartiQL's.
import { DynamoError, validationError } from '../protocol/errors.ts';
import { tableNameLengthMax, tableNameLengthMin, tableNamePattern } from '../limits.ts';
import type { TableRecord } from '../control/table-record.ts';
import type { AttributeValue, Item } from '../values/types.ts';
import { parseStatement } from '../partiql/parser.ts';
import { checkStatement, shapeItem, statementTable, translate, type Plan, type ReadPlan, type Surface, type WritePlan } from '../partiql/translate.ts';
import type { ParsedStatement, Statement } from '../partiql/ast.ts';
import * as m from '../partiql/messages.ts';
import { tableFor, type ApiContext, type Operation, type RequestFacts } from './context.ts';
import { getItem } from './get-item.ts';
import { query } from './query.ts';
import { scan } from './scan.ts';
import { putItem } from './put-item.ts';
import { updateItem } from './update-item.ts';
import { deleteItem } from './delete-item.ts';
import { bodyText } from '../protocol/wire.ts';

export interface PreparedStatement {
  readonly statement: Statement;
  readonly table: TableRecord;
  readonly plan: Plan;
}

const invalidTableName = "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'.";

/** Reads, checks and translates one statement whose parameters are already validated. */
export function prepareStatement(ctx: ApiContext, text: string | ParsedStatement, parameters: readonly AttributeValue[], surface: Surface): PreparedStatement {
  const parsed = typeof text === 'string' ? parseStatement(text) : text;
  checkStatement(parsed.statement, parsed.parameterCount, parameters, surface);
  const name = statementTable(parsed.statement);
  if (name.length < tableNameLengthMin || name.length > tableNameLengthMax || !tableNamePattern.test(name)) throw validationError(invalidTableName);
  const table = tableFor(ctx, name);
  return { statement: parsed.statement, table, plan: translate(parsed.statement, table, parameters, surface) };
}

export interface ReadOptions {
  readonly consistentRead: boolean;
  readonly limit?: number;
  readonly exclusiveStartKey?: Item;
  readonly returnConsumedCapacity?: unknown;
}

export interface ReadResult {
  readonly items: Item[];
  readonly lastEvaluatedKey: Item | undefined;
  readonly consumedCapacity: unknown;
}

const readHandlers: Record<ReadPlan['op'], Operation> = { GetItem: getItem, Query: query, Scan: scan };

/** Runs a SELECT's GetItem, Query or Scan. */
export async function runRead(ctx: ApiContext, prepared: PreparedStatement, plan: ReadPlan, options: ReadOptions, facts: RequestFacts): Promise<ReadResult> {
  const input: Record<string, unknown> = { ...plan.input };
  if (options.consistentRead) {
    const indexName = plan.input.IndexName;
    if (indexName !== undefined && prepared.table.indexes?.find((i) => i.name === indexName)?.kind === 'GSI') throw validationError(m.consistentReadOnGsi);
    input.ConsistentRead = true;
  }
  if (plan.op !== 'GetItem') {
    if (options.limit !== undefined) input.Limit = options.limit;
    if (options.exclusiveStartKey !== undefined) input.ExclusiveStartKey = options.exclusiveStartKey;
  }
  if (options.returnConsumedCapacity !== undefined) input.ReturnConsumedCapacity = options.returnConsumedCapacity;
  const out = JSON.parse(await run(readHandlers[plan.op], ctx, input, facts)) as { Item?: Item; Items?: Item[]; LastEvaluatedKey?: Item; ConsumedCapacity?: unknown };
  let items = plan.op === 'GetItem' ? (out.Item === undefined ? [] : [out.Item]) : out.Items!;
  const columns = plan.columns;
  if (columns !== null) items = items.map((item) => shapeItem(item, columns));
  return { items, lastEvaluatedKey: out.LastEvaluatedKey, consumedCapacity: out.ConsumedCapacity };
}

export interface WriteOptions {
  readonly returnConsumedCapacity?: unknown;
  readonly returnValuesOnConditionCheckFailure?: unknown;
}

export interface WriteResult {
  /** The item RETURNING asked for, or none. */
  readonly items: Item[];
  readonly consumedCapacity: unknown;
}

const writeHandlers: Record<'PutItem' | 'UpdateItem' | 'DeleteItem', Operation> = { PutItem: putItem, UpdateItem: updateItem, DeleteItem: deleteItem };

/** Runs an INSERT, UPDATE or DELETE as PutItem, UpdateItem or DeleteItem. */
export async function runWrite(ctx: ApiContext, plan: WritePlan, options: WriteOptions, facts: RequestFacts): Promise<WriteResult> {
  if (plan.op === 'ConditionCheck') throw m.statementError(m.existsOutsideTransaction);
  const input: Record<string, unknown> = { ...plan.input };
  if (options.returnConsumedCapacity !== undefined) input.ReturnConsumedCapacity = options.returnConsumedCapacity;
  if (plan.op !== 'PutItem' && options.returnValuesOnConditionCheckFailure !== undefined) {
    input.ReturnValuesOnConditionCheckFailure = options.returnValuesOnConditionCheckFailure;
  }
  let text: string;
  try {
    text = await run(writeHandlers[plan.op], ctx, input, facts);
  } catch (e) {
    // INSERT's only condition is that the item is absent.
    if (plan.op === 'PutItem' && e instanceof DynamoError && e.kind.name === 'ConditionalCheckFailedException') {
      throw new DynamoError('DuplicateItemException', m.duplicateItem);
    }
    throw e;
  }
  const out = JSON.parse(text) as { Attributes?: Item; ConsumedCapacity?: unknown };
  const returned = plan.op !== 'PutItem' && plan.returning && out.Attributes !== undefined && Object.keys(out.Attributes).length > 0;
  return { items: returned ? [out.Attributes!] : [], consumedCapacity: out.ConsumedCapacity };
}

const expressionPrefix = /^Invalid (?:ConditionExpression|FilterExpression|KeyConditionExpression|UpdateExpression|ProjectionExpression): /;

/** Calls an operation; its expression errors are about the statement, so they lose the parameter's name. */
async function run(operation: Operation, ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  try {
    return bodyText(await operation(ctx, input, facts));
  } catch (e) {
    throw partiqlError(e);
  }
}

/** An error of the JSON API worded as PartiQL words it. */
export function partiqlError(e: unknown): unknown {
  if (!(e instanceof DynamoError) || e.kind.name !== 'ValidationException') return e;
  if (expressionPrefix.test(e.message)) return validationError(e.message.replace(expressionPrefix, ''));
  return e;
}

/** The sum of ConsumedCapacity members per table, for operations that run several requests. */
export class CapacityTotals {
  private readonly byTable = new Map<string, Record<string, unknown>>();

  add(capacity: unknown): void {
    if (capacity === null || typeof capacity !== 'object') return;
    const entry = capacity as Record<string, unknown>;
    const name = entry.TableName as string;
    const total = this.byTable.get(name);
    if (total === undefined) this.byTable.set(name, structuredClone(entry));
    else addInto(total, entry);
  }

  /** The ConsumedCapacity list, or undefined when nothing was asked or consumed. */
  list(): Record<string, unknown>[] | undefined {
    return this.byTable.size === 0 ? undefined : [...this.byTable.values()];
  }
}

function addInto(total: Record<string, unknown>, more: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(more)) {
    const current = total[key];
    if (typeof value === 'number') total[key] = (typeof current === 'number' ? current : 0) + value;
    else if (value !== null && typeof value === 'object') {
      if (current === null || typeof current !== 'object') total[key] = structuredClone(value);
      else addInto(current as Record<string, unknown>, value as Record<string, unknown>);
    }
  }
}
