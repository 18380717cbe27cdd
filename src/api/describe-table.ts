// DescribeTable.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { tableDescription } from './table-description.ts';
import { indexStatsOf } from './index-stats.ts';

export async function describeTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const name = input.TableName as string;
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  const [stats, indexStats] = await Promise.all([ctx.control.tableStats(table), indexStatsOf(ctx, table)]);
  return JSON.stringify({ Table: tableDescription(table, 'ACTIVE', stats, indexStats) });
}
