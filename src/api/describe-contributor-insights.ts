// DescribeContributorInsights: a table's Contributor Insights status, mode and rule names.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import type { ApiContext } from './context.ts';
import { indexNameShape, insightsTarget, ruleNames, statusOf } from './contributor-insights-common.ts';

const describeContributorInsightsShape = { TableName: tableNameShape, IndexName: indexNameShape } as const;

export async function describeContributorInsights(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, describeContributorInsightsShape);
  const table = insightsTarget(ctx, input);
  const setting = table.contributorInsights;
  const out: Record<string, unknown> = { TableName: table.name, ContributorInsightsStatus: statusOf(setting) };
  if (setting !== undefined) {
    if (setting.enabled) {
      out.ContributorInsightsRuleList = ruleNames(table, setting);
      out.ContributorInsightsMode = setting.mode;
    }
    out.LastUpdateDateTime = setting.updatedAtMs / 1000;
  }
  return JSON.stringify(out);
}
