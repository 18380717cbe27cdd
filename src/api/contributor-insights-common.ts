// What UpdateContributorInsights, DescribeContributorInsights and ListContributorInsights share:
// the IndexName member, the table (and index) a request addresses, and DynamoDB's rule names.
import { DynamoError, validationError } from '../protocol/errors.ts';
import type { Shape } from '../validation/request-shape.ts';
import type { ContributorInsightsSetting, TableRecord } from '../control/table-record.ts';
import { keyInfoOf } from '../control/table-record.ts';
import type { ApiContext } from './context.ts';

export const indexNameShape: Shape = {
  type: 'String',
  minLength: 3,
  maxLength: 255,
  pattern: /^[a-zA-Z0-9_.-]+$/,
  patternText: '[a-zA-Z0-9_.-]+',
};

export const contributorInsightsModes = ['ACCESSED_AND_THROTTLED_KEYS', 'THROTTLED_KEYS'] as const;

/** The table a request names; an index it names must exist (and is not served yet: its keys are not counted). */
export function insightsTarget(ctx: ApiContext, input: Record<string, unknown>): TableRecord {
  const name = input.TableName as string;
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  if (input.IndexName != null) {
    const index = input.IndexName as string;
    if (!(table.indexes ?? []).some((ix) => ix.name === index)) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Index: ${index} not found`);
    throw validationError('Contributor Insights on a secondary index is not supported by this server yet');
  }
  return table;
}

/**
 * The CloudWatch rules DynamoDB creates for an enabled table, named as it names them:
 * DynamoDBContributorInsights-{PKC,SKC,PKT,SKT}-<resource>-<creation ms>. "C" rules count
 * accesses, "T" rules throttles; "SK" rules exist when the table has a sort key.
 */
export function ruleNames(table: TableRecord, setting: ContributorInsightsSetting): string[] {
  const sortKey = keyInfoOf(table).sortKey !== undefined;
  const kinds = setting.mode === 'THROTTLED_KEYS' ? ['PKT', 'SKT'] : ['PKC', 'SKC', 'PKT', 'SKT'];
  return kinds.filter((k) => sortKey || k.startsWith('PK')).map((k) => `DynamoDBContributorInsights-${k}-${table.name}-${setting.rulesCreatedAtMs}`);
}

export function statusOf(setting: ContributorInsightsSetting | undefined): 'ENABLED' | 'DISABLED' {
  return setting?.enabled === true ? 'ENABLED' : 'DISABLED';
}
