// What PutItem, UpdateItem and DeleteItem share: their expression parameters, validated and
// compiled on the router (so bad input fails fast), then sent to the leader, which evaluates
// them against the item's current version (re-using the parse cache). The legacy Expected,
// ConditionalOperator and AttributeUpdates parameters are rewritten here as the equivalent
// ConditionExpression and UpdateExpression, so the leader sees only expressions.
import { normalizeItem } from '../validation/attribute-values.ts';
import { checkSubstitutionSize } from '../validation/substitution-size.ts';
import { validationError } from '../protocol/errors.ts';
import { compileRequestExpressions, type CompiledExpressions, type ExpressionKind } from '../expressions/index.ts';
import {
  attributeUpdatesText,
  checkConditionalOperator,
  checkNoMixing,
  conditionsText,
  hasLegacyParameters,
  PlaceholderBuilder,
  validateExpected,
} from '../expressions/legacy.ts';
import { ReturnValues, type ReturnValuesCode, type WriteExpressions } from '../storage/messages.ts';
import type { Shape } from '../validation/request-shape.ts';
import { conditionalOperatorShape, expectedShape, expressionNamesShape, expressionValuesShape } from './common-shapes.ts';

export const writeExpressionShapes: Record<string, Shape> = {
  ConditionExpression: { type: 'String' },
  ExpressionAttributeNames: expressionNamesShape,
  ExpressionAttributeValues: expressionValuesShape,
  ReturnValuesOnConditionCheckFailure: { type: 'String', enum: ['ALL_OLD', 'NONE'] },
  Expected: expectedShape,
  ConditionalOperator: conditionalOperatorShape,
};

export interface PreparedWriteExpressions {
  /** What the leader needs, or null when the write has no expressions. */
  x: WriteExpressions | null;
  compiled: CompiledExpressions;
  /** The request used the legacy AttributeUpdates (its type errors have their own message). */
  legacyUpdate: boolean;
}

export type WriteOperation = 'PutItem' | 'DeleteItem' | 'UpdateItem';

export function prepareWriteExpressions(
  input: Record<string, unknown>,
  operation: WriteOperation,
  accepted: readonly ExpressionKind[],
): PreparedWriteExpressions {
  checkNoMixing(operation, input);
  checkConditionalOperator(input, 'Expected');
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
  // They travel to the leader in the write's frame, which this bounds (an item's size is checked there).
  checkSubstitutionSize(x.ExpressionAttributeNames, x.ExpressionAttributeValues);
  const compiled = compileRequestExpressions(x, { expressionParameters: accepted });
  if (!hasLegacyParameters(operation, input)) return { x: any ? x : null, compiled, legacyUpdate: false };

  // Legacy parameters: no expression parameter came with them (checked above), so the
  // generated expressions are the request's only ones.
  const b = new PlaceholderBuilder();
  const legacy: WriteExpressions = {};
  const updates = input.AttributeUpdates as Record<string, unknown> | null | undefined;
  const updateText = updates == null ? null : attributeUpdatesText(updates, b);
  if (updateText !== null) legacy.UpdateExpression = updateText;
  const conditionText = conditionsText(validateExpected(input.Expected as Record<string, unknown> | null | undefined), input.ConditionalOperator as string | undefined, b);
  if (conditionText !== null) legacy.ConditionExpression = conditionText;
  if (updateText === null && conditionText === null) return { x: null, compiled, legacyUpdate: false };
  if (b.hasNames) legacy.ExpressionAttributeNames = b.names;
  if (b.hasValues) legacy.ExpressionAttributeValues = b.values;
  checkSubstitutionSize(legacy.ExpressionAttributeNames, legacy.ExpressionAttributeValues);
  return { x: legacy, compiled: compileRequestExpressions(legacy), legacyUpdate: updateText !== null };
}

const returnValueCodes: Record<string, ReturnValuesCode> = ReturnValues;

export function returnValuesCode(input: Record<string, unknown>, allowed: readonly string[], message: string): ReturnValuesCode {
  const name = (input.ReturnValues as string | undefined) ?? 'NONE';
  if (!allowed.includes(name)) throw validationError(message);
  return returnValueCodes[name];
}
