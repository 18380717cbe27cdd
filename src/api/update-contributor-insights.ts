// UpdateContributorInsights: starts or stops counting a table's most accessed and most
// throttled partition keys. The setting is kept in the table's catalog record, so it survives
// restarts; the counts themselves live in memory (DynamoDB keeps them in CloudWatch).
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import type { ApiContext } from './context.ts';
import { contributorInsightsModes, indexNameShape, insightsTarget } from './contributor-insights-common.ts';
import type { ContributorInsightsMode } from '../control/table-record.ts';

const updateContributorInsightsShape = {
  TableName: tableNameShape,
  IndexName: indexNameShape,
  ContributorInsightsAction: { type: 'String', notNull: true, enum: ['ENABLE', 'DISABLE'] },
  ContributorInsightsMode: { type: 'String', enum: contributorInsightsModes },
} as const;

export async function updateContributorInsights(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, updateContributorInsightsShape);
  const table = insightsTarget(ctx, input);
  const enable = input.ContributorInsightsAction === 'ENABLE';
  const now = Date.now();
  const previous = table.contributorInsights;
  const mode = (input.ContributorInsightsMode as ContributorInsightsMode | undefined) ?? (enable ? 'ACCESSED_AND_THROTTLED_KEYS' : previous?.mode ?? 'ACCESSED_AND_THROTTLED_KEYS');
  table.contributorInsights = {
    enabled: enable,
    mode,
    updatedAtMs: now,
    rulesCreatedAtMs: enable ? now : previous?.rulesCreatedAtMs ?? now,
  };
  ctx.contributors.applied(table);
  await ctx.control.catalog.put(table);
  // Counting starts (or stops) at once; the answer names the transition, as DynamoDB's does.
  const out: Record<string, unknown> = { TableName: table.name, ContributorInsightsStatus: enable ? 'ENABLING' : 'DISABLING' };
  if (enable) out.ContributorInsightsMode = mode;
  return JSON.stringify(out);
}
