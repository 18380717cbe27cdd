// GetItem: a consistent read goes to the partition's leader; an eventually consistent one
// to the least loaded replica.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { Op, type GetRequest } from '../storage/messages.ts';
import { keyInfoOf } from '../control/table-record.ts';
import { tableFor, type ApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { keyShape, returnConsumedCapacityShape } from './common-shapes.ts';

const getItemShape = {
  TableName: tableNameShape,
  Key: keyShape,
  ConsistentRead: { type: 'Boolean' },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
} as const;

export async function getItem(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, getItemShape);
  const table = tableFor(ctx, input.TableName as string);
  const key = validateKey(input.Key, table.keySchema, table.attributeDefinitions);
  const consistent = input.ConsistentRead === true;
  const { hash32, storageKey } = routeKey(keyInfoOf(table), key);
  const req: GetRequest = { id: 0, op: Op.Get, t: table.tableId, p: 0, v: 0, k: storageKey, c: consistent };
  const res = await ctx.router.sendByHash(table.tableId, hash32, req, consistent);
  return res.item ? `{"Item":${res.item}}` : '{}';
}
