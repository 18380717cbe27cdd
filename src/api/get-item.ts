// GetItem: a consistent read goes to the partition's leader; an eventually consistent one
// to the least loaded replica. A projection (ProjectionExpression, or the legacy
// AttributesToGet) is applied here, to the item JSON the storage node returns.
import { consumedCapacityMember, withMember } from '../admission/consumed-capacity.ts';
import { checkRequestShape, tableNameShape } from '../validation/request-shape.ts';
import { validateKey } from '../validation/attribute-values.ts';
import { Op, type GetRequest } from '../storage/messages.ts';
import { keyInfoOf } from '../control/table-record.ts';
import { compileRequestExpressions, project, type CompileOptions, type CompiledProjection } from '../expressions/index.ts';
import { attributesToGetText, checkNoMixing, PlaceholderBuilder } from '../expressions/legacy.ts';
import { sendByKey, tableFor, type ReadApiContext } from './context.ts';
import { routeKey } from './item-key.ts';
import { attributesToGetShape, expressionNamesShape, keyShape, returnConsumedCapacityShape } from './common-shapes.ts';
import { checkKeyPathsScalar } from './read-page.ts';
import type { Item } from '../values/types.ts';
import { jsonBytes, type ResponseBody } from '../protocol/wire.ts';
import { bufferView } from '../storage/buffer-view.ts';

export const getItemShape = {
  TableName: tableNameShape,
  Key: keyShape,
  AttributesToGet: attributesToGetShape,
  ConsistentRead: { type: 'Boolean' },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  ProjectionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
} as const;

export async function getItem(ctx: ReadApiContext, input: Record<string, unknown>): Promise<ResponseBody> {
  checkRequestShape(input, getItemShape);
  const projection = getItemProjection(input);
  const table = tableFor(ctx, input.TableName as string);
  const key = validateKey(input.Key, table.keySchema, table.attributeDefinitions);
  if (projection !== null) checkKeyPathsScalar(projection.paths, table.keySchema);
  const consistent = input.ConsistentRead === true;
  const info = keyInfoOf(table);
  const { hash32, storageKey } = routeKey(info, key);
  const req: GetRequest = { id: 0, op: Op.Get, t: table.tableId, p: 0, v: 0, k: storageKey, c: consistent };
  const res = await sendByKey(ctx, table, key[info.partitionKey], hash32, req, consistent);
  const cc = consumedCapacityMember(input.ReturnConsumedCapacity, table.name, res.cu ?? 0, 'read');
  const json = res.json;
  if (json == null) return withMember('{}', cc);
  // Without a projection the item's JSON bytes, as stored, go to the client untouched.
  if (projection === null) return jsonBytes(['{"Item":', json, cc === '' ? '}' : `,${cc}}`]);
  return withMember(`{"Item":${JSON.stringify(project(projection, JSON.parse(bufferView(json).toString('utf8')) as Item))}}`, cc);
}

const projectionOnly: CompileOptions = { expressionParameters: ['ProjectionExpression'] };

/** The request's projection, validated, or null when it asks for the whole item. */
function getItemProjection(input: Record<string, unknown>): CompiledProjection | null {
  checkNoMixing('GetItem', input);
  const attributesToGet = input.AttributesToGet as string[] | null | undefined;
  // The common GetItem asks for the whole item: nothing to compile.
  if (input.ProjectionExpression == null && input.ExpressionAttributeNames == null && attributesToGet == null) return null;
  const compiled = compileRequestExpressions(
    {
      ProjectionExpression: input.ProjectionExpression as string | undefined,
      ExpressionAttributeNames: input.ExpressionAttributeNames as Record<string, string> | undefined,
    },
    projectionOnly,
  );
  if (compiled.projection !== null) return compiled.projection;
  if (attributesToGet == null) return null;
  const b = new PlaceholderBuilder();
  const text = attributesToGetText(attributesToGet, b);
  return compileRequestExpressions({ ProjectionExpression: text, ExpressionAttributeNames: b.names }).projection;
}
