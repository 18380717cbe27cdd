// A request's JSON body as an operation reads it, and the facts beyond the body it may need:
// shared by the dispatcher and a second front-door thread (protocol/door-thread.ts).
import { DynamoError } from '../protocol/errors.ts';
import type { RequestFacts } from './context.ts';

/** What the dispatcher reads of a request: an HTTP exchange, or one a front-door thread forwarded. */
export interface DispatchedRequest {
  readonly target: string;
  readonly body: Buffer | null;
  readonly authorization: string;
}

const defaultRegion = 'us-east-1';
const credentialScopeRegion = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//;

export function parseBody(body: Buffer): Record<string, unknown> {
  // A body that is no JSON at all (or none) is refused as DynamoDB does: the type alone, no message.
  if (body.length === 0) throw new DynamoError('SerializationException', '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new DynamoError('SerializationException', '');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DynamoError('SerializationException', 'Start of structure or map found where not expected.');
  }
  return parsed as Record<string, unknown>;
}

export function requestFacts(request: DispatchedRequest): RequestFacts {
  const match = credentialScopeRegion.exec(request.authorization);
  return { region: match ? match[1] : defaultRegion };
}
