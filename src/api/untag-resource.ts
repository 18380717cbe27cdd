// UntagResource: removes tags from a table by key; a key it does not have is no error.
import { checkRequestShape, type Shape } from '../validation/request-shape.ts';
import { withoutTags } from '../validation/tags.ts';
import type { ApiContext } from './context.ts';
import { tableNameOfArn, tableOfArn } from './resource-arn.ts';

const untagResourceShape: Record<string, Shape> = {
  ResourceArn: { type: 'String' },
  // Each key is checked by validation/tags.ts, with DynamoDB's tag message.
  TagKeys: { type: 'List', notNull: true, member: { type: 'String' } },
};

export async function untagResource(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  // DynamoDB names a missing ARN before any other member.
  if (input.ResourceArn == null) tableNameOfArn(input.ResourceArn);
  checkRequestShape(input, untagResourceShape);
  tableNameOfArn(input.ResourceArn);
  const keys = input.TagKeys as (string | null)[];
  withoutTags([], keys);
  const table = tableOfArn(ctx, input.ResourceArn);
  await ctx.control.updateSettings(table.name, (current) => ({ tags: withoutTags(current.tags ?? [], keys) }));
  return '{}';
}
