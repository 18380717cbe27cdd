// TransactGetItems: up to 100 Get actions over any tables, answered together from one moment:
// an item a transaction holds cancels the request with TransactionConflict, as in DynamoDB
// (transactions/coordinator.ts reads them all twice and answers a round in which none changed).
import { checkRequestShape, tableNameShape, type Shape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { DynamoError, validationError } from '../protocol/errors.ts';
import { transactionActionsMax } from '../limits.ts';
import { keyInfoOf, type TableRecord } from '../control/table-record.ts';
import { compileRequestExpressions, project, type CompiledProjection } from '../expressions/index.ts';
import { readUnits } from '../admission/capacity-units.ts';
import { tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { expressionNamesShape, keyShape, returnConsumedCapacityShape } from './common-shapes.ts';
import { checkKeyPathsScalar } from './read-page.ts';
import { cancelled, planEach } from './transact-write-items.ts';
import type { TxGet } from '../transactions/coordinator.ts';
import type { Item } from '../values/types.ts';

const transactGetItemsShape: Record<string, Shape> = {
  TransactItems: {
    type: 'List',
    notNull: true,
    minLength: 1,
    maxLength: transactionActionsMax,
    member: {
      type: 'Structure',
      members: {
        Get: {
          type: 'Structure',
          notNull: true,
          members: { TableName: tableNameShape, Key: keyShape, ProjectionExpression: { type: 'String' }, ExpressionAttributeNames: expressionNamesShape },
        },
      },
    },
  },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
};

interface PlannedGet {
  table: TableRecord;
  get: TxGet;
  projection: CompiledProjection | null;
}

export async function transactGetItems(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, transactGetItemsShape);
  const coordinator = ctx.control.transactions;
  if (coordinator === null) throw new DynamoError('ServiceUnavailable', 'The service is currently unavailable or busy.');
  const planned = planEach(input.TransactItems as Array<{ Get: Record<string, unknown> }>, (action) => planGet(ctx, action.Get));
  const seen = new Set<string>();
  for (const p of planned) {
    const id = p.table.tableId + '\u0000' + Buffer.from(p.get.k).toString('latin1');
    if (seen.has(id)) throw validationError('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }
  const result = await coordinator.read(planned.map((p) => p.get));
  if (!result.ok) throw cancelled(result.reasons);
  const responses = result.items.map((text, i) => {
    if (text === null) return '{}';
    const projection = planned[i].projection;
    return projection === null ? `{"Item":${text}}` : `{"Item":${JSON.stringify(project(projection, JSON.parse(text) as Item))}}`;
  });
  let body = `{"Responses":[${responses.join(',')}]`;
  const mode = input.ReturnConsumedCapacity;
  if (mode === 'TOTAL' || mode === 'INDEXES') {
    // Transactional reads cost twice a consistent read's units, per table.
    const byTable = new Map<string, number>();
    planned.forEach((p, i) => byTable.set(p.table.name, (byTable.get(p.table.name) ?? 0) + 2 * readUnits(result.bytes[i], true)));
    const consumed = [...byTable].map(([TableName, units]) => {
      const c: Record<string, unknown> = { TableName, CapacityUnits: units, ReadCapacityUnits: units };
      if (mode === 'INDEXES') c.Table = { CapacityUnits: units, ReadCapacityUnits: units };
      return c;
    });
    body += `,"ConsumedCapacity":${JSON.stringify(consumed)}`;
  }
  return body + '}';
}

function planGet(ctx: ApiContext, get: Record<string, unknown>): PlannedGet {
  const table = tableFor(ctx, get.TableName as string);
  const key = validateKey(get.Key, table.keySchema, table.attributeDefinitions);
  let projection: CompiledProjection | null = null;
  if (get.ProjectionExpression != null || get.ExpressionAttributeNames != null) {
    projection = compileRequestExpressions(
      { ProjectionExpression: get.ProjectionExpression as string | undefined, ExpressionAttributeNames: get.ExpressionAttributeNames as Record<string, string> | undefined },
      { expressionParameters: ['ProjectionExpression'] },
    ).projection;
    if (projection !== null) checkKeyPathsScalar(projection.paths, table.keySchema);
  }
  const { hash32, storageKey } = routeKey(keyInfoOf(table), key);
  return { table, get: { tableId: table.tableId, k: storageKey, hash32 }, projection };
}
