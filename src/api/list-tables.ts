// ListTables: table names in order, paged by Limit and ExclusiveStartTableName.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import type { ApiContext } from './context.ts';
import { listTablesLimitMax } from '../limits.ts';

export async function listTables(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, {
    ExclusiveStartTableName: { ...tableNameShape, notNull: false },
    Limit: { type: 'Integer', min: 1, max: listTablesLimitMax },
  });
  const start = input.ExclusiveStartTableName as string | undefined;
  const limit = (input.Limit as number | undefined) ?? listTablesLimitMax;
  const names = ctx.control.tableNames().filter((n) => start === undefined || n > start);
  const page = names.slice(0, limit);
  const out: Record<string, unknown> = { TableNames: page };
  if (names.length > limit) out.LastEvaluatedTableName = page[page.length - 1];
  return JSON.stringify(out);
}
