// What PutItem, UpdateItem and DeleteItem share: their expression parameters, validated and
// compiled on the router (so bad input fails fast), then sent to the leader, which evaluates
// them against the item's current version (re-using the parse cache).
import { normalizeItem } from '../validation/attribute-values.ts';
import { validationError } from '../protocol/errors.ts';
import { compileRequestExpressions, type CompiledExpressions, type ExpressionKind } from '../expressions/index.ts';
import { ReturnValues, type ReturnValuesCode, type WriteExpressions } from '../storage/messages.ts';
import type { Shape } from '../validation/request-shape.ts';
import { expressionNamesShape, expressionValuesShape } from './common-shapes.ts';

export const writeExpressionShapes: Record<string, Shape> = {
  ConditionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
  ExpressionAttributeValues: expressionValuesShape,
  ReturnValuesOnConditionCheckFailure: { type: 'String', enum: ['ALL_OLD', 'NONE'] },
};

export interface PreparedWriteExpressions {
  /** What the leader needs, or null when the write has no expressions. */
  x: WriteExpressions | null;
  compiled: CompiledExpressions;
}

export function prepareWriteExpressions(input: Record<string, unknown>, accepted: readonly ExpressionKind[]): PreparedWriteExpressions {
  for (const legacy of ['Expected', 'ConditionalOperator', 'AttributeUpdates'] as const) {
    if (input[legacy] !== undefined) throw validationError(`The ${legacy} parameter is not supported by this server yet; use expressions`);
  }
  const x: WriteExpressions = {};
  let any = false;
  if (input.ConditionExpression !== undefined) {
    x.ConditionExpression = input.ConditionExpression as string;
    any = true;
  }
  if (input.UpdateExpression !== undefined) {
    x.UpdateExpression = input.UpdateExpression as string;
    any = true;
  }
  if (input.ExpressionAttributeNames !== undefined) x.ExpressionAttributeNames = input.ExpressionAttributeNames as Record<string, string>;
  if (input.ExpressionAttributeValues !== undefined) x.ExpressionAttributeValues = normalizeItem(input.ExpressionAttributeValues, 'ExpressionAttributeValues');
  const compiled = compileRequestExpressions(x, { expressionParameters: accepted });
  return { x: any ? x : null, compiled };
}

const returnValueCodes: Record<string, ReturnValuesCode> = ReturnValues;

export function returnValuesCode(input: Record<string, unknown>, allowed: readonly string[], message: string): ReturnValuesCode {
  const name = (input.ReturnValues as string | undefined) ?? 'NONE';
  if (!allowed.includes(name)) throw validationError(message);
  return returnValueCodes[name];
}
