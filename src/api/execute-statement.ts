// ExecuteStatement: one PartiQL statement, run as the GetItem, Query, Scan, PutItem, UpdateItem
// or DeleteItem it translates to. A SELECT's pages continue through NextToken, an opaque
// encoding of the LastEvaluatedKey bound to the statement and parameters.
import { checkRequestShape, type Shape } from '../validation/request-shape.ts';
import { partiqlNextTokenLengthMax, partiqlStatementLengthMax } from '../limits.ts';
import { validateParameters } from '../partiql/values.ts';
import { isReadPlan } from '../partiql/translate.ts';
import { decodeNextToken, encodeNextToken, requestBinding } from '../partiql/next-token.ts';
import type { ApiContext, RequestFacts } from './context.ts';
import { returnConsumedCapacityShape } from './common-shapes.ts';
import { prepareStatement, runRead, runWrite } from './partiql-execution.ts';

export const statementShape: Shape = { type: 'String', notNull: true, minLength: 1, maxLength: partiqlStatementLengthMax };
export const parametersShape: Shape = { type: 'List', minLength: 1, member: { type: 'AttributeValue' } };
export const returnValuesOnConditionCheckFailureShape: Shape = { type: 'String', enum: ['ALL_OLD', 'NONE'] };

const executeStatementShape = {
  Statement: statementShape,
  Parameters: parametersShape,
  ConsistentRead: { type: 'Boolean' },
  NextToken: { type: 'String', minLength: 1, maxLength: partiqlNextTokenLengthMax },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
  Limit: { type: 'Integer', min: 1 },
  ReturnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailureShape,
} as const;

export async function executeStatement(ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  checkRequestShape(input, executeStatementShape);
  const text = input.Statement as string;
  const parameters = validateParameters(input.Parameters as unknown[] | undefined);
  const prepared = prepareStatement(ctx, text, parameters, 'statement');
  const plan = prepared.plan;
  const body: Record<string, unknown> = {};
  if (isReadPlan(plan)) {
    const binding = requestBinding(text, parameters);
    const nextToken = input.NextToken as string | undefined;
    const result = await runRead(
      ctx,
      prepared,
      plan,
      {
        consistentRead: input.ConsistentRead === true,
        limit: input.Limit as number | undefined,
        exclusiveStartKey: nextToken === undefined ? undefined : decodeNextToken(nextToken, binding),
        returnConsumedCapacity: input.ReturnConsumedCapacity,
      },
      facts,
    );
    body.Items = result.items;
    if (result.lastEvaluatedKey !== undefined) {
      body.NextToken = encodeNextToken(binding, result.lastEvaluatedKey);
      body.LastEvaluatedKey = result.lastEvaluatedKey;
    }
    if (result.consumedCapacity !== undefined) body.ConsumedCapacity = result.consumedCapacity;
  } else {
    const result = await runWrite(
      ctx,
      plan,
      { returnConsumedCapacity: input.ReturnConsumedCapacity, returnValuesOnConditionCheckFailure: input.ReturnValuesOnConditionCheckFailure },
      facts,
    );
    body.Items = result.items;
    if (result.consumedCapacity !== undefined) body.ConsumedCapacity = result.consumedCapacity;
  }
  return JSON.stringify(body);
}
