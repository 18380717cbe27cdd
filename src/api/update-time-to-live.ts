// UpdateTimeToLive: enables or disables Time to Live on a table (ttl/sweeper.ts deletes expired
// items). As DynamoDB: not idempotent (enabling an enabled table, whatever the attribute, or
// disabling a disabled one is refused), the attribute changes only through a disable, and a
// change within the cool-down of the last one is refused (DynamoDB's is an hour; monodyne's is
// the setting ttl.changeCooldownMs, 0 by default so test suites may toggle it). The setting is
// kept in the table's catalog record, so it survives restarts.
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { DynamoError } from '../protocol/errors.ts';
import { defaultTtlSettings } from '../ttl/sweeper.ts';
import { timeToLiveAttributeNameLengthMax } from '../limits.ts';
import type { ApiContext } from './context.ts';

const updateTimeToLiveShape = {
  TableName: tableNameShape,
  TimeToLiveSpecification: {
    type: 'Structure',
    notNull: true,
    members: {
      AttributeName: { type: 'String', notNull: true, minLength: 1, maxLength: timeToLiveAttributeNameLengthMax },
      Enabled: { type: 'Boolean', notNull: true },
    },
  },
} as const;

export const timeToLiveAlreadyEnabledMessage = 'TimeToLive is already enabled';
export const timeToLiveAlreadyDisabledMessage = 'TimeToLive is already disabled';
export const timeToLiveCoolingDownMessage = 'Time to live has been modified multiple times within a fixed interval';

export async function updateTimeToLive(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, updateTimeToLiveShape);
  const name = input.TableName as string;
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  const spec = input.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean };
  const settings = ctx.control.ttl?.settings ?? defaultTtlSettings;
  const current = table.timeToLive;
  const now = Date.now();
  if (current !== undefined && settings.changeCooldownMs > 0 && now - current.changedAtMs < settings.changeCooldownMs) throw new DynamoError('ValidationException', timeToLiveCoolingDownMessage);
  if (spec.Enabled && current?.enabled === true) throw new DynamoError('ValidationException', timeToLiveAlreadyEnabledMessage);
  if (!spec.Enabled && current?.enabled !== true) throw new DynamoError('ValidationException', timeToLiveAlreadyDisabledMessage);
  table.timeToLive = { attributeName: spec.AttributeName, enabled: spec.Enabled, changedAtMs: now };
  await ctx.control.catalog.put(table);
  return JSON.stringify({ TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } });
}
