// TransactWriteItems: up to 100 Put, Update, Delete and ConditionCheck actions over any tables,
// each validated as its single-item operation is, then run by the transaction coordinator
// (transactions/coordinator.ts): all are applied, or none. ClientRequestToken makes a repeated
// request answer as the first did, without applying it again, for 10 minutes.
import { createHash } from 'node:crypto';
import { checkRequestShape, tableNameShape, type Shape } from '../validation/request-shape.ts';
import { normalizeItem, isKeySchemaMismatch, itemSizeBytes, validateItemKeyAttributes, validateKey } from '../validation/attribute-values.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { WriteKind } from '../storage/messages.ts';
import { clientRequestTokenLengthMax, itemSizeBytesMax, transactionActionsMax, transactionRequestBytesMax } from '../limits.ts';
import { keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { assertKeyNotUpdated } from '../expressions/index.ts';
import { indexSpecOf } from '../indexes/index-spec.ts';
import { tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { prepareWriteExpressions, type PreparedWriteExpressions } from './write-expressions.ts';
import { checkItemIndexKeys, itemCollectionMetrics } from './index-writes.ts';
import { expressionNamesShape, expressionValuesShape, keyShape, returnConsumedCapacityShape, returnItemCollectionMetricsShape } from './common-shapes.ts';
import { writeUnits } from '../admission/capacity-units.ts';
import type { TxWriteAction, CancellationReason } from '../transactions/coordinator.ts';
import type { Item } from '../values/types.ts';

const conditionShapes: Record<string, Shape> = {
  TableName: tableNameShape,
  ConditionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
  ExpressionAttributeValues: expressionValuesShape,
  ReturnValuesOnConditionCheckFailure: { type: 'String', enum: ['ALL_OLD', 'NONE'] },
};

const transactWriteItemsShape: Record<string, Shape> = {
  TransactItems: {
    type: 'List',
    notNull: true,
    minLength: 1,
    maxLength: transactionActionsMax,
    member: {
      type: 'Structure',
      members: {
        ConditionCheck: { type: 'Structure', members: { ...conditionShapes, Key: keyShape, ConditionExpression: { type: 'String', notNull: true } } },
        Put: { type: 'Structure', members: { ...conditionShapes, Item: { type: 'Map', notNull: true, value: { type: 'AttributeValue' } } } },
        Delete: { type: 'Structure', members: { ...conditionShapes, Key: keyShape } },
        Update: { type: 'Structure', members: { ...conditionShapes, Key: keyShape, UpdateExpression: { type: 'String', notNull: true } } },
      },
    },
  },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  ReturnItemCollectionMetrics: returnItemCollectionMetricsShape,
  ClientRequestToken: { type: 'String', minLength: 1, maxLength: clientRequestTokenLengthMax },
};

type RawAction = Record<string, Record<string, unknown> | undefined>;

export async function transactWriteItems(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, transactWriteItemsShape);
  const coordinator = ctx.control.transactions;
  if (coordinator === null) throw new DynamoError('ServiceUnavailable', 'The service is currently unavailable or busy.');
  const raw = input.TransactItems as RawAction[];
  if (Buffer.byteLength(JSON.stringify(raw), 'utf8') > transactionRequestBytesMax) throw validationError('Transaction size has exceeded the maximum allowed size');
  // As DynamoDB orders its refusals: every action's item and expressions are read before any
  // table is looked up, so a malformed expression anywhere wins over a missing table anywhere.
  const read = raw.map(readAction);
  const planned = planEach(read, (action) => planAction(ctx, action));
  const seen = new Set<string>();
  for (const p of planned) {
    const id = p.table.tableId + '\u0000' + Buffer.from(p.action.item.k).toString('latin1');
    if (seen.has(id)) throw validationError('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }
  const run = async (): Promise<string> => {
    const result = await coordinator.write(planned.map((p) => p.action));
    if (!result.committed) throw cancelled(result.reasons);
    const capacity = withCapacity(input.ReturnConsumedCapacity, planned, result.bytes);
    return input.ReturnItemCollectionMetrics === 'SIZE' ? withCollections(capacity, planned, result.collectionBytes) : capacity;
  };
  const token = input.ClientRequestToken as string | undefined;
  if (token === undefined) return run();
  return coordinator.once(token, digestOf(input), run);
}

interface Planned {
  table: TableRecord;
  action: TxWriteAction;
  /** The item's key attributes. */
  key: Item;
}

type ActionKind = 'ConditionCheck' | 'Put' | 'Delete' | 'Update';

/** What an action says without its table: its kind, its item (a Put's) and its expressions. */
interface ReadAction {
  kind: ActionKind;
  body: Record<string, unknown>;
  put: Item | null;
  prepared: PreparedWriteExpressions;
}

function readAction(action: RawAction): ReadAction {
  const kinds = (['ConditionCheck', 'Put', 'Delete', 'Update'] as const).filter((k) => action[k] != null);
  if (kinds.length !== 1) throw validationError('TransactItems can only contain one of Check, Put, Update or Delete');
  const kind = kinds[0];
  const body = action[kind]!;
  switch (kind) {
    case 'Put': {
      const put = normalizeItem(body.Item, 'Item');
      return { kind, body, put, prepared: prepareWriteExpressions(body, 'PutItem', ['ConditionExpression']) };
    }
    case 'Update':
      return { kind, body, put: null, prepared: prepareWriteExpressions(body, 'UpdateItem', ['UpdateExpression', 'ConditionExpression']) };
    case 'Delete':
    case 'ConditionCheck':
      return { kind, body, put: null, prepared: prepareWriteExpressions(body, 'DeleteItem', ['ConditionExpression']) };
  }
}

/** One action, validated against its table as its single-item operation is (key, item size, index keys), and routed. */
function planAction(ctx: ApiContext, { kind, body, put, prepared }: ReadAction): Planned {
  const table = tableFor(ctx, body.TableName as string);
  const info = keyInfoOf(table);
  let key: Item;
  let sz = 0;
  let code: number;
  switch (kind) {
    case 'Put': {
      key = validateItemKeyAttributes(put!, table.keySchema, table.attributeDefinitions);
      sz = itemSizeBytes(put!);
      if (sz > itemSizeBytesMax) throw validationError('Item size has exceeded the maximum allowed size');
      checkItemIndexKeys(table, put!);
      code = WriteKind.Put;
      break;
    }
    case 'Update': {
      key = validateKey(body.Key, table.keySchema, table.attributeDefinitions);
      if (prepared.compiled.update !== null) assertKeyNotUpdated(prepared.compiled.update, info.names);
      code = WriteKind.Update;
      break;
    }
    case 'Delete':
      key = validateKey(body.Key, table.keySchema, table.attributeDefinitions);
      code = WriteKind.Delete;
      break;
    case 'ConditionCheck':
      key = validateKey(body.Key, table.keySchema, table.attributeDefinitions);
      code = 0;
      break;
  }
  const { hash32, storageKey } = routeKey(info, key);
  const spec = indexSpecOf(table);
  return {
    table,
    key,
    action: {
      item: { tableId: table.tableId, table: table.name, k: storageKey, hash32, ...(spec !== null ? { ix: spec.bytes } : {}) },
      kind: code,
      put,
      sz,
      key: kind === 'Update' ? key : null,
      x: prepared.x,
      rvf: body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
    },
  };
}

/**
 * Plans each action. A key that does not match its table's schema cancels the transaction with a
 * ValidationError in that action's place, as DynamoDB answers it (captured by the
 * paritysuite/dynamodb-conformance suite: a wrong-typed or non-scalar key of a Put, Update, Delete
 * or ConditionCheck, an empty Key of a Get); any other fault refuses the whole request.
 */
export function planEach<A, P>(actions: readonly A[], plan: (action: A) => P): P[] {
  const planned: P[] = [];
  let reasons: CancellationReason[] | null = null;
  for (let i = 0; i < actions.length; i++) {
    try {
      planned.push(plan(actions[i]!));
    } catch (e) {
      if (!(e instanceof DynamoError) || e.kind.name !== 'ValidationException' || !isKeySchemaMismatch(e.message)) throw e;
      reasons ??= actions.map((): CancellationReason => ({ Code: 'None' }));
      reasons[i] = { Code: 'ValidationError', Message: e.message };
    }
  }
  if (reasons !== null) throw cancelled(reasons);
  return planned;
}

/** TransactionCanceledException as DynamoDB words it: the reasons' codes in action order, and the reasons themselves. */
export function cancelled(reasons: CancellationReason[]): DynamoError {
  return new DynamoError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, {
    CancellationReasons: reasons.map((r) => (r.Code === 'None' ? { Code: 'None' } : r)),
  });
}

/** A transaction's writes cost twice a write's units (DynamoDB: one for prepare, one for commit), per table. */
function withCapacity(mode: unknown, planned: readonly Planned[], bytes: readonly number[]): string {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return '{}';
  const byTable = new Map<string, number>();
  planned.forEach((p, i) => byTable.set(p.table.name, (byTable.get(p.table.name) ?? 0) + 2 * writeUnits(Math.max(bytes[i], p.action.sz))));
  const consumed = [...byTable].map(([TableName, units]) => {
    const c: Record<string, unknown> = { TableName, CapacityUnits: units, WriteCapacityUnits: units };
    if (mode === 'INDEXES') c.Table = { CapacityUnits: units, WriteCapacityUnits: units };
    return c;
  });
  return JSON.stringify({ ConsumedCapacity: consumed });
}

/** ItemCollectionMetrics per table, for the actions on tables with local indexes (a ConditionCheck writes nothing). */
function withCollections(body: string, planned: readonly Planned[], sizes: ReadonlyArray<number | undefined>): string {
  const byTable: Record<string, unknown[]> = {};
  planned.forEach((p, i) => {
    if (p.action.kind === 0) return;
    const metrics = itemCollectionMetrics(p.table, p.key, sizes[i]);
    if (metrics !== null) (byTable[p.table.name] ??= []).push(metrics);
  });
  if (Object.keys(byTable).length === 0) return body;
  const member = `"ItemCollectionMetrics":${JSON.stringify(byTable)}`;
  return body === '{}' ? `{${member}}` : `${body.slice(0, -1)},${member}}`;
}

/** What makes two requests with one ClientRequestToken the same request. */
export function digestOf(input: Record<string, unknown>): string {
  const { ReturnConsumedCapacity: _c, ReturnItemCollectionMetrics: _m, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}
