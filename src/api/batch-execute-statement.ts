// BatchExecuteStatement: up to 25 statements, all reads (each a SELECT of one item by its whole
// primary key, run as a GetItem) or all writes (each run as its PutItem, UpdateItem or
// DeleteItem), side by side. A statement that fails answers an Error in its own place.
import { DynamoError, validationError } from '../protocol/errors.ts';
import { checkRequestShape } from '../validation/request-shape.ts';
import { batchStatementsMax } from '../limits.ts';
import { validateParameters } from '../partiql/values.ts';
import { isRead, isReadPlan, statementTable } from '../partiql/translate.ts';
import { parseStatement } from '../partiql/parser.ts';
import * as m from '../partiql/messages.ts';
import type { Item } from '../values/types.ts';
import type { ApiContext, RequestFacts } from './context.ts';
import { returnConsumedCapacityShape } from './common-shapes.ts';
import { parametersShape, returnValuesOnConditionCheckFailureShape, statementShape } from './execute-statement.ts';
import { CapacityTotals, prepareStatement, runRead, runWrite, type PreparedStatement } from './partiql-execution.ts';

const batchExecuteStatementShape = {
  Statements: {
    type: 'List',
    notNull: true,
    minLength: 1,
    maxLength: batchStatementsMax,
    member: {
      type: 'Structure',
      members: {
        Statement: statementShape,
        Parameters: parametersShape,
        ConsistentRead: { type: 'Boolean' },
        ReturnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailureShape,
      },
    },
  },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
} as const;

interface BatchStatementRequest {
  Statement: string;
  Parameters?: unknown[];
  ConsistentRead?: boolean;
  ReturnValuesOnConditionCheckFailure?: string;
}

interface StatementResponse {
  TableName?: string;
  Item?: Item;
  Error?: { Code: string; Message: string; Item?: Item };
}

/** BatchStatementError codes: an exception's name without "Exception", with DynamoDB's few exceptions. */
const errorCodes: Record<string, string> = {
  ValidationException: 'ValidationError',
  ThrottlingException: 'ThrottlingError',
  AccessDeniedException: 'AccessDenied',
  ConditionalCheckFailedException: 'ConditionalCheckFailed',
  DuplicateItemException: 'DuplicateItem',
  ResourceNotFoundException: 'ResourceNotFound',
  ProvisionedThroughputExceededException: 'ProvisionedThroughputExceeded',
  TransactionConflictException: 'TransactionConflict',
  ItemCollectionSizeLimitExceededException: 'ItemCollectionSizeLimitExceeded',
  RequestLimitExceeded: 'RequestLimitExceeded',
  InternalServerError: 'InternalServerError',
};

export async function batchExecuteStatement(ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  checkRequestShape(input, batchExecuteStatementShape);
  const requests = input.Statements as BatchStatementRequest[];
  const responses: StatementResponse[] = new Array(requests.length);
  const prepared: (PreparedStatement | null)[] = new Array(requests.length).fill(null);
  let reads = 0;
  let writes = 0;
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i]!;
    const response: StatementResponse = {};
    responses[i] = response;
    try {
      const parameters = validateParameters(request.Parameters);
      const parsed = parseStatement(request.Statement);
      response.TableName = statementTable(parsed.statement);
      if (isRead(parsed.statement)) reads++;
      else writes++;
      prepared[i] = prepareStatement(ctx, parsed, parameters, 'batch');
    } catch (e) {
      response.Error = statementError(e);
    }
  }
  if (reads > 0 && writes > 0) throw validationError(m.batchMixesReadsAndWrites);

  const capacity = new CapacityTotals();
  const returnConsumedCapacity = input.ReturnConsumedCapacity;
  await Promise.all(
    prepared.map(async (statement, i) => {
      if (statement === null) return;
      const request = requests[i]!;
      const response = responses[i]!;
      try {
        const plan = statement.plan;
        if (isReadPlan(plan)) {
          const result = await runRead(ctx, statement, plan, { consistentRead: request.ConsistentRead === true, returnConsumedCapacity }, facts);
          if (result.items.length > 0) response.Item = result.items[0];
          capacity.add(result.consumedCapacity);
        } else {
          const result = await runWrite(ctx, plan, { returnConsumedCapacity, returnValuesOnConditionCheckFailure: request.ReturnValuesOnConditionCheckFailure }, facts);
          capacity.add(result.consumedCapacity);
        }
      } catch (e) {
        response.Error = statementError(e);
      }
    }),
  );
  const body: Record<string, unknown> = { Responses: responses };
  const consumed = capacity.list();
  if (consumed !== undefined) body.ConsumedCapacity = consumed;
  return JSON.stringify(body);
}

/** A statement's failure as its BatchStatementError; anything that is not a DynamoDB error fails the request. */
function statementError(e: unknown): { Code: string; Message: string; Item?: Item } {
  if (!(e instanceof DynamoError)) throw e;
  const error: { Code: string; Message: string; Item?: Item } = { Code: errorCodes[e.kind.name] ?? 'InternalServerError', Message: e.message };
  const item = e.extra?.Item as Item | undefined;
  if (item !== undefined) error.Item = item;
  return error;
}
