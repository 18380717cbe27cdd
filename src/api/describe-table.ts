// DescribeTable.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { tableDescription } from './table-description.ts';

export async function describeTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const name = input.TableName as string;
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  return JSON.stringify({ Table: tableDescription(table, 'ACTIVE', await ctx.control.tableStats(table)) });
}
