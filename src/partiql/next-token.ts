// ExecuteStatement's NextToken: an opaque text carrying the page's LastEvaluatedKey, bound to
// the statement and parameters that made it, so that a token handed to another request is
// refused ("NextToken does not match request") rather than read as a start key it never was.
import { createHash } from 'node:crypto';
import { validationError } from '../protocol/errors.ts';
import type { AttributeValue, Item } from '../values/types.ts';
import * as m from './messages.ts';

/** What a token is bound to: the statement text and its parameters. */
export function requestBinding(statement: string, parameters: readonly AttributeValue[]): string {
  return createHash('sha256').update(statement).update('\u0000').update(JSON.stringify(parameters)).digest('base64url').slice(0, 22);
}

export function encodeNextToken(binding: string, lastEvaluatedKey: Item): string {
  return Buffer.from(JSON.stringify({ b: binding, k: lastEvaluatedKey }), 'utf8').toString('base64url');
}

/** The start key a token carries; throws DynamoDB's ValidationException for a foreign or broken token. */
export function decodeNextToken(token: string, binding: string): Item {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw validationError(m.invalidNextToken);
  }
  if (parsed === null || typeof parsed !== 'object') throw validationError(m.invalidNextToken);
  const { b, k } = parsed as { b?: unknown; k?: unknown };
  if (typeof b !== 'string' || k === null || typeof k !== 'object' || Array.isArray(k)) throw validationError(m.invalidNextToken);
  if (b !== binding) throw validationError(m.nextTokenMismatch);
  return k as Item;
}
