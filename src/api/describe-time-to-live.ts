// DescribeTimeToLive: monodyne has no TTL yet (UpdateTimeToLive is not served), so every
// table's TTL is DISABLED, which is what DynamoDB answers for a table that never enabled it.
// GUIs such as dynamodb-admin read it on their table pages.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';

export async function describeTimeToLive(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, { TableName: tableNameShape });
  const name = input.TableName as string;
  if (ctx.control.getTable(name) === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  return JSON.stringify({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
}
