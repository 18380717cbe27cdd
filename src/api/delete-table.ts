// DeleteTable: the table disappears from the map at once and its replicas are dropped. A table
// with deletion protection is refused (by the control plane, so no UpdateTable can race it).
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { deletedTableDescription } from './table-description.ts';

export async function deleteTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const name = input.TableName as string;
  const found = ctx.control.getTable(name);
  if (found === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  // Counted before the replicas go: DynamoDB reports the count the table had.
  const stats = await ctx.control.tableStats(found);
  const table = await ctx.control.deleteTable(name);
  return JSON.stringify({ TableDescription: deletedTableDescription(table, stats) });
}
