// What every operation handler gets: the control plane (tables, partition map) and the
// router (to reach storage nodes), plus the request's HTTP facts it may need.
import type { ControlPlane } from '../control/control-plane.ts';
import type { Router } from '../router/router.ts';
import type { TableRecord } from '../control/table-record.ts';
import type { Contributors } from '../control/contributors.ts';
import type { StorageRequest, StorageResponse } from '../storage/messages.ts';
import type { AttributeValue } from '../values/types.ts';
import { DynamoError } from '../protocol/errors.ts';
import type { ResponseBody } from '../protocol/wire.ts';

export interface ApiContext {
  control: ControlPlane;
  router: Router;
  /** Contributor Insights' counters (the most accessed and throttled partition keys). */
  contributors: Contributors;
  /** Where the server listens, host:port (DescribeEndpoints); set once it listens. */
  address: string;
}

/**
 * What the read operations (GetItem, Query, Scan) need: a table's record, its index holders, the
 * partition map, the router's reads and Contributor Insights' counts. A second front-door thread
 * (door-thread.ts) gives them its own view of these and runs them as the main thread does.
 */
export interface ReadApiContext {
  control: Pick<ControlPlane, 'getTable' | 'indexHolder' | 'map'>;
  router: Pick<Router, 'sendByHash'>;
  contributors: Pick<Contributors, 'accessed' | 'throttled'>;
}

/** The facts of one request an operation may need beyond its body. */
export interface RequestFacts {
  /** Region from the SigV4 credential scope, for ARNs. */
  region: string;
}

export type Operation = (ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts) => Promise<ResponseBody>;

/** Looks a table up for a data-plane operation; DynamoDB's message for a missing one. */
export function tableFor(ctx: ReadApiContext, name: string): TableRecord {
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', 'Requested resource not found');
  return table;
}

/**
 * Routes a request for partition key `pk` (hashed to `hash32`) to its partition. A table with
 * Contributor Insights enabled has the key counted as accessed, or as throttled when the
 * partition refuses it; any other table's request goes straight to the router.
 */
export function sendByKey(ctx: ReadApiContext, table: TableRecord, pk: AttributeValue, hash32: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
  if (table.contributorInsights?.enabled !== true) return ctx.router.sendByHash(table.tableId, hash32, req, leaderOnly);
  return sendCounted(ctx, table, pk, hash32, req, leaderOnly);
}

async function sendCounted(ctx: ReadApiContext, table: TableRecord, pk: AttributeValue, hash32: number, req: StorageRequest, leaderOnly: boolean): Promise<StorageResponse> {
  ctx.contributors.accessed(table, pk);
  try {
    return await ctx.router.sendByHash(table.tableId, hash32, req, leaderOnly);
  } catch (err) {
    throw ctx.contributors.throttled(table, pk, err);
  }
}
