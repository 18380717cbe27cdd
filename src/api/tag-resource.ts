// TagResource: adds tags to a table (a key it has takes the new value); all or nothing.
import { checkRequestShape, type Shape } from '../validation/request-shape.ts';
import { withTags, type TagInput } from '../validation/tags.ts';
import type { ApiContext } from './context.ts';
import { tableNameOfArn, tableOfArn } from './resource-arn.ts';
import { tagsShape } from './table-settings.ts';

const tagResourceShape: Record<string, Shape> = {
  ResourceArn: { type: 'String' },
  Tags: { ...tagsShape, notNull: true },
};

export async function tagResource(ctx: ApiContext, input: Record<string, unknown>): Promise<string> {
  // DynamoDB names a missing ARN before any other member.
  if (input.ResourceArn == null) tableNameOfArn(input.ResourceArn);
  checkRequestShape(input, tagResourceShape);
  tableNameOfArn(input.ResourceArn);
  const tags = input.Tags as TagInput[];
  // The tags themselves are checked before the table is looked up, as DynamoDB does.
  withTags([], tags);
  const table = tableOfArn(ctx, input.ResourceArn);
  await ctx.control.updateSettings(table.name, (current) => ({ tags: withTags(current.tags ?? [], tags) }));
  return '{}';
}
