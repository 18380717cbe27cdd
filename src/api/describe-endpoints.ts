// DescribeEndpoints: where to send requests, which for monodyne is the server itself (the address
// it listens on, host:port, as DynamoDB answers a host name without a scheme).
import { endpointCachePeriodMinutes } from '../limits.ts';
import type { ApiContext } from './context.ts';

export async function describeEndpoints(ctx: ApiContext): Promise<string> {
  return JSON.stringify({ Endpoints: [{ Address: ctx.address, CachePeriodInMinutes: endpointCachePeriodMinutes }] });
}
