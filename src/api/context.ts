// What every operation handler gets: the control plane (tables, partition map) and the
// router (to reach storage nodes), plus the request's HTTP facts it may need.
import type { ControlPlane } from '../control/control-plane.ts';
import type { Router } from '../router/router.ts';
import type { TableRecord } from '../control/table-record.ts';
import { DynamoError } from '../protocol/errors.ts';

export interface ApiContext {
  control: ControlPlane;
  router: Router;
}

/** The facts of one request an operation may need beyond its body. */
export interface RequestFacts {
  /** Region from the SigV4 credential scope, for ARNs. */
  region: string;
}

export type Operation = (ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts) => Promise<string>;

/** Looks a table up for a data-plane operation; DynamoDB's message for a missing one. */
export function tableFor(ctx: ApiContext, name: string): TableRecord {
  const table = ctx.control.getTable(name);
  if (table === undefined) throw new DynamoError('ResourceNotFoundException', 'Requested resource not found');
  return table;
}
