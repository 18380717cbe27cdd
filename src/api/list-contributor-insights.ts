// ListContributorInsights: the Contributor Insights status of one table, or of every table,
// paged by MaxResults and an opaque NextToken (the last table name listed).
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validationError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { insightsTarget, statusOf } from './contributor-insights-common.ts';
import { listContributorInsightsResultsMax } from '../limits.ts';
import type { TableRecord } from '../control/table-record.ts';

const listContributorInsightsShape = {
  TableName: { ...tableNameShape, notNull: false },
  NextToken: { type: 'String' },
  MaxResults: { type: 'Integer', max: listContributorInsightsResultsMax },
} as const;

export async function listContributorInsights(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, listContributorInsightsShape);
  const tables: TableRecord[] = input.TableName != null ? [insightsTarget(ctx, input)] : ctx.control.tableNames().map((n) => ctx.control.getTable(n)!);
  const after = input.NextToken != null ? tokenTableName(input.NextToken as string) : undefined;
  const maxResults = input.MaxResults as number | undefined;
  // The model sets no minimum; a page of nothing would never end a paginator, so 0 means the default.
  const limit = maxResults === undefined || maxResults < 1 ? listContributorInsightsResultsMax : maxResults;
  const remaining = after === undefined ? tables : tables.filter((t) => t.name > after);
  const page = remaining.slice(0, limit);
  const out: Record<string, unknown> = {
    ContributorInsightsSummaries: page.map((t) => {
      const summary: Record<string, unknown> = { TableName: t.name, ContributorInsightsStatus: statusOf(t.contributorInsights) };
      if (t.contributorInsights?.enabled === true) summary.ContributorInsightsMode = t.contributorInsights.mode;
      return summary;
    }),
  };
  if (remaining.length > limit) out.NextToken = Buffer.from(page[page.length - 1].name, 'utf8').toString('base64url');
  return JSON.stringify(out);
}

function tokenTableName(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) throw validationError('Invalid NextToken');
  return name;
}
