// ExecuteTransaction: up to 100 statements run as one transaction, through the same
// TransactWriteItems (INSERT as a Put that must not find its item, UPDATE, DELETE, and
// EXISTS(SELECT ...) as a ConditionCheck) or TransactGetItems (SELECTs of one item each) that the
// JSON API serves. A transaction is all reads or all writes. A statement that can never run fails
// the request before anything runs, named by its place ("Validation failed in TransactStatements[i]").
import { DynamoError, validationError } from '../protocol/errors.ts';
import { checkRequestShape } from '../validation/request-shape.ts';
import { clientRequestTokenLengthMax, transactStatementsMax } from '../limits.ts';
import { validateParameters } from '../partiql/values.ts';
import { isReadPlan, shapeItem } from '../partiql/translate.ts';
import * as m from '../partiql/messages.ts';
import type { Item } from '../values/types.ts';
import type { ApiContext, Operation, RequestFacts } from './context.ts';
import { returnConsumedCapacityShape } from './common-shapes.ts';
import { parametersShape, returnValuesOnConditionCheckFailureShape, statementShape } from './execute-statement.ts';
import { partiqlError, prepareStatement, type PreparedStatement } from './partiql-execution.ts';
import { operations } from './dispatcher.ts';
import { cancelled } from './transact-write-items.ts';
import type { CancellationReason } from '../transactions/coordinator.ts';
import { bodyText } from '../protocol/wire.ts';

const executeTransactionShape = {
  TransactStatements: {
    type: 'List',
    notNull: true,
    minLength: 1,
    maxLength: transactStatementsMax,
    member: {
      type: 'Structure',
      members: {
        Statement: statementShape,
        Parameters: parametersShape,
        ReturnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailureShape,
      },
    },
  },
  ClientRequestToken: { type: 'String', minLength: 1, maxLength: clientRequestTokenLengthMax },
  ReturnConsumedCapacity: returnConsumedCapacityShape,
} as const;

interface ParameterizedStatement {
  Statement: string;
  Parameters?: unknown[];
  ReturnValuesOnConditionCheckFailure?: string;
}

/** The TransactWriteItems action each write plan is. */
const writeActions = { PutItem: 'Put', UpdateItem: 'Update', DeleteItem: 'Delete', ConditionCheck: 'ConditionCheck' } as const;

export async function executeTransaction(ctx: ApiContext, input: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  checkRequestShape(input, executeTransactionShape);
  const requests = input.TransactStatements as ParameterizedStatement[];
  const prepared: PreparedStatement[] = [];
  for (let i = 0; i < requests.length; i++) {
    const parameters = validateParameters(requests[i]!.Parameters);
    prepared.push(prepareMember(ctx, requests, i, parameters));
  }
  const reads = prepared.filter((p) => isReadPlan(p.plan)).length;
  if (reads > 0 && reads < prepared.length) throw validationError(m.transactionMixesReadsAndWrites);
  return reads > 0 ? transactGet(ctx, input, prepared, facts) : transactWrite(ctx, input, requests, prepared, facts);
}

function prepareMember(ctx: ApiContext, requests: ParameterizedStatement[], index: number, parameters: ReturnType<typeof validateParameters>): PreparedStatement {
  try {
    return prepareStatement(ctx, requests[index]!.Statement, parameters, 'transaction');
  } catch (e) {
    if (!(e instanceof DynamoError) || e.kind.name !== 'ValidationException') throw e;
    // As DynamoDB Local answers these two: a write that names no single item cancels the
    // transaction, and so does an INSERT whose item lacks its key (in that statement's place).
    if (e.message === m.incompleteKeyInWhere || e.message.startsWith('Multiple conditions on same key')) {
      throw new DynamoError('TransactionCanceledException', `ValidationError ${e.message}`);
    }
    if (e.message.startsWith('Key attribute should be present in the item:') || e.message.startsWith("Key attribute's data type should match")) {
      const reasons: CancellationReason[] = requests.map(() => ({ Code: 'None' }));
      reasons[index] = { Code: 'ValidationError', Message: e.message };
      throw cancelled(reasons);
    }
    throw validationError(m.transactionStatementFailed(index, e.message));
  }
}

/** The JSON API's transaction operation, found when the request runs (it is served by the dispatcher's map). */
function transactionOperation(name: 'TransactWriteItems' | 'TransactGetItems'): Operation {
  const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
  // Without it monodyne has no transactions: answer as for any operation it does not serve.
  if (operation === undefined) throw new DynamoError('UnknownOperationException', '');
  return operation;
}

async function transactGet(ctx: ApiContext, input: Record<string, unknown>, prepared: PreparedStatement[], facts: RequestFacts): Promise<string> {
  const request: Record<string, unknown> = { TransactItems: prepared.map((p) => ({ Get: p.plan.input })) };
  if (input.ReturnConsumedCapacity !== undefined) request.ReturnConsumedCapacity = input.ReturnConsumedCapacity;
  const out = JSON.parse(await call(transactionOperation('TransactGetItems'), ctx, request, facts)) as { Responses?: { Item?: Item }[]; ConsumedCapacity?: unknown };
  const responses = (out.Responses ?? []).map((response, i) => {
    const plan = prepared[i]!.plan;
    if (response.Item === undefined) return {};
    const columns = isReadPlan(plan) ? plan.columns : null;
    return { Item: columns === null ? response.Item : shapeItem(response.Item, columns) };
  });
  const body: Record<string, unknown> = { Responses: responses };
  if (out.ConsumedCapacity !== undefined) body.ConsumedCapacity = out.ConsumedCapacity;
  return JSON.stringify(body);
}

async function transactWrite(
  ctx: ApiContext,
  input: Record<string, unknown>,
  requests: ParameterizedStatement[],
  prepared: PreparedStatement[],
  facts: RequestFacts,
): Promise<string> {
  const items = prepared.map((p, i) => {
    const plan = p.plan;
    if (isReadPlan(plan)) throw new Error('a read among a transaction of writes');
    const action: Record<string, unknown> = { ...plan.input };
    const onFailure = requests[i]!.ReturnValuesOnConditionCheckFailure;
    if (onFailure !== undefined && plan.op !== 'PutItem') action.ReturnValuesOnConditionCheckFailure = onFailure;
    return { [writeActions[plan.op]]: action };
  });
  const request: Record<string, unknown> = { TransactItems: items };
  if (input.ClientRequestToken !== undefined) request.ClientRequestToken = input.ClientRequestToken;
  if (input.ReturnConsumedCapacity !== undefined) request.ReturnConsumedCapacity = input.ReturnConsumedCapacity;
  let text: string;
  try {
    text = await call(transactionOperation('TransactWriteItems'), ctx, request, facts);
  } catch (e) {
    throw partiqlReasons(e, prepared);
  }
  const out = JSON.parse(text) as { ConsumedCapacity?: unknown };
  const body: Record<string, unknown> = { Responses: [] };
  if (out.ConsumedCapacity !== undefined) body.ConsumedCapacity = out.ConsumedCapacity;
  return JSON.stringify(body);
}

async function call(operation: Operation, ctx: ApiContext, request: Record<string, unknown>, facts: RequestFacts): Promise<string> {
  try {
    return bodyText(await operation(ctx, request, facts));
  } catch (e) {
    throw partiqlError(e);
  }
}

/**
 * The reasons of a cancelled transaction in PartiQL's words: an INSERT whose condition failed found
 * its item already there (DuplicateItem), and expression errors are about the statement.
 */
function partiqlReasons(e: unknown, prepared: PreparedStatement[]): unknown {
  if (!(e instanceof DynamoError) || e.kind.name !== 'TransactionCanceledException') return e;
  const reasons = e.extra?.CancellationReasons;
  if (!Array.isArray(reasons)) return e;
  let changed = false;
  const rewritten = (reasons as CancellationReason[]).map((reason, i) => {
    if (prepared[i]?.plan.op === 'PutItem' && reason.Code === 'ConditionalCheckFailed') {
      changed = true;
      return { Code: 'DuplicateItem', Message: m.duplicateItem };
    }
    if (reason.Code === 'ValidationError' && reason.Message !== undefined) {
      const message = (partiqlError(validationError(reason.Message)) as Error).message;
      if (message !== reason.Message) {
        changed = true;
        return { ...reason, Message: message };
      }
    }
    return reason;
  });
  return changed ? cancelled(rewritten) : e;
}
