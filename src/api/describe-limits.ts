// DescribeLimits: the provisioned capacity a table may be given, which is what CreateTable and
// UpdateTable accept (limits.ts provisionedUnitsMax). monodyne keeps no account-wide total, so
// the account's figures are the same bound: no one request can exceed it.
import { provisionedUnitsMax } from '../limits.ts';

export async function describeLimits(): Promise<string> {
  return JSON.stringify({
    AccountMaxReadCapacityUnits: provisionedUnitsMax,
    AccountMaxWriteCapacityUnits: provisionedUnitsMax,
    TableMaxReadCapacityUnits: provisionedUnitsMax,
    TableMaxWriteCapacityUnits: provisionedUnitsMax,
  });
}
