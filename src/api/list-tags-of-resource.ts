// ListTagsOfResource: a table's tags by key, a page at a time (tables.tagsPageSize a page; the
// default holds all 50 a table may have, so clients that never page see every tag, as with DynamoDB).
import { checkRequestShape, type Shape } from '../validation/request-shape.ts';
import { validationError } from '../protocol/errors.ts';
import type { ApiContext } from './context.ts';
import { tableNameOfArn, tableOfArn } from './resource-arn.ts';

const listTagsShape: Record<string, Shape> = {
  ResourceArn: { type: 'String' },
  NextToken: { type: 'String' },
};

export async function listTagsOfResource(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  checkRequestShape(input, listTagsShape);
  tableNameOfArn(input.ResourceArn);
  const after = input.NextToken != null ? keyOfToken(input.NextToken as string) : undefined;
  const tags = tableOfArn(ctx, input.ResourceArn).tags ?? [];
  // Tags are kept sorted by key, so a page starts after the key its token names, whatever changed since.
  const start = after === undefined ? 0 : tags.findIndex((t) => t.Key > after);
  const rest = start === -1 ? [] : tags.slice(start);
  const page = rest.slice(0, ctx.control.tagsPageSize);
  const answer: Record<string, unknown> = { Tags: page };
  if (rest.length > page.length) answer.NextToken = tokenOfKey(page[page.length - 1].Key);
  return JSON.stringify(answer);
}

/** A page's NextToken: the last key it holds, base64url-encoded (opaque to clients). */
function tokenOfKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function keyOfToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (key.length === 0 || tokenOfKey(key) !== token) throw validationError(`Invalid NextToken: ${token}`);
  return key;
}
