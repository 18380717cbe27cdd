// DeleteTable: the table disappears from the map at once and its replicas are dropped.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import type { ApiContext } from './context.ts';
import { tableDescription } from './table-description.ts';

export async function deleteTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const table = await ctx.control.deleteTable(input.TableName as string);
  return JSON.stringify({ TableDescription: tableDescription(table, 'DELETING') });
}
