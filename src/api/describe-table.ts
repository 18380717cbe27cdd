// DescribeTable.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import type { TableRecord } from '../control/table-record.ts';
import { tableDescription } from './table-description.ts';
import { indexStatsOf } from './index-stats.ts';

export async function describeTable(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const name = input.TableName as string;
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  return JSON.stringify({ Table: await describedWithStats(ctx, table) });
}

/** The table's description with what its storage holds now (DescribeTable, and UpdateTable's answer alike). */
export async function describedWithStats(ctx: ApiContext, table: TableRecord): Promise<Record<string, unknown>> {
  const [stats, indexStats] = await Promise.all([ctx.control.tableStats(table), indexStatsOf(ctx, table)]);
  return tableDescription(table, 'ACTIVE', stats, indexStats);
}
