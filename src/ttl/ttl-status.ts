// A table's Time to Live as DescribeTimeToLive reports it: a change is ENABLING or DISABLING for
// `settleMs` after it was made (DynamoDB's take up to an hour; a local server settles at once, a
// moment later, so clients that wait for ENABLED see the transition), then ENABLED or DISABLED.
import type { TimeToLiveSetting } from '../control/table-record.ts';

export type TimeToLiveStatus = 'ENABLING' | 'ENABLED' | 'DISABLING' | 'DISABLED';

export function timeToLiveStatus(setting: TimeToLiveSetting | undefined, now: number, settleMs: number): TimeToLiveStatus {
  if (setting === undefined) return 'DISABLED';
  const settled = now - setting.changedAtMs >= settleMs;
  if (setting.enabled) return settled ? 'ENABLED' : 'ENABLING';
  return settled ? 'DISABLED' : 'DISABLING';
}

/** Whether items of a table expire now: from the moment TTL is enabled (ENABLING included) until it is disabled. */
export function expiresItems(setting: TimeToLiveSetting | undefined): setting is TimeToLiveSetting {
  return setting?.enabled === true;
}
