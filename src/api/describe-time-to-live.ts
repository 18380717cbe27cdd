// DescribeTimeToLive: the table's Time to Live status (ENABLING, ENABLED, DISABLING, DISABLED, see
// ttl/ttl-status.ts) and its attribute; a table that never enabled it is DISABLED with no
// attribute, as in DynamoDB.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import { timeToLiveStatus } from '../ttl/ttl-status.ts';
import { defaultTtlSettings } from '../ttl/sweeper.ts';
import type { ApiContext } from './context.ts';

export async function describeTimeToLive(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const name = input.TableName as string;
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  const setting = table.timeToLive;
  const status = timeToLiveStatus(setting, Date.now(), (ctx.control.ttl?.settings ?? defaultTtlSettings).settleMs);
  const description: Record<string, string> = { TimeToLiveStatus: status };
  // A disabled table still names the attribute it had while disabling; once DISABLED, DynamoDB names none.
  if (setting !== undefined && status !== 'DISABLED') description.AttributeName = setting.attributeName;
  return JSON.stringify({ TimeToLiveDescription: description });
}
