// Which IAM actions on which resources a DynamoDB request needs: the table of TableName, every
// table of a batch's RequestItems, each item of a transaction, an index of Query/Scan, and the
// ARNs some operations take directly. Generic over operations, so new ones are covered by shape.
import { accountId, tableArn } from './policy.ts';
import { parseStatement } from '../partiql/parser.ts';
import { streamArnOfIterator } from '../streams/shard-iterator.ts';
import type { Statement } from '../partiql/ast.ts';

export interface ResourceAccess {
  action: string;
  resource: string;
}

/** Transaction item kinds and the IAM action each needs (IAM has no TransactWriteItems action). */
const transactItemActions: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

const partiqlActionNames = ['dynamodb:PartiQLSelect', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];

/**
 * Operations that may need IAM actions other than their own (resourcesOf says which, per
 * request): every action one of them may need, so that a policy is taken to allow the operation
 * without reading its body only when it allows all of them on every resource.
 */
const otherActions: Record<string, readonly string[]> = {
  CreateTable: ['dynamodb:CreateTable', 'dynamodb:TagResource'],
  TransactWriteItems: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  TransactGetItems: ['dynamodb:GetItem'],
  ExecuteStatement: [...partiqlActionNames, 'dynamodb:ExecuteStatement'],
  BatchExecuteStatement: [...partiqlActionNames, 'dynamodb:BatchExecuteStatement'],
  ExecuteTransaction: [...partiqlActionNames, 'dynamodb:ExecuteTransaction'],
};

/** Every IAM action a request for `operation` may need. */
export function actionsOf(operation: string): readonly string[] {
  return Object.hasOwn(otherActions, operation) ? otherActions[operation] : [`dynamodb:${operation}`];
}

/** Operations that name no table; DynamoDB reports them on the account's tables. */
const tablesWide = new Set(['ListTables']);

export function resourcesOf(operation: string, input: Record<string, unknown>, region: string): ResourceAccess[] {
  const action = `dynamodb:${operation}`;
  const out: ResourceAccess[] = [];
  const requestItems = input.RequestItems;
  if (isObject(requestItems)) {
    for (const table of Object.keys(requestItems)) out.push({ action, resource: tableArn(region, table) });
  }
  const transactItems = input.TransactItems;
  if (Array.isArray(transactItems)) {
    for (const entry of transactItems) {
      if (!isObject(entry)) continue;
      for (const kind of Object.keys(entry)) {
        const itemAction = transactItemActions[kind];
        const body = entry[kind];
        if (itemAction !== undefined && isObject(body) && typeof body.TableName === 'string') {
          out.push({ action: itemAction, resource: tableArn(region, body.TableName) });
        }
      }
    }
  }
  for (const text of partiqlStatements(input)) {
    const access = partiqlAccess(text, region);
    if (access !== null) out.push(access);
  }
  if (typeof input.TableName === 'string') {
    const table = tableArn(region, input.TableName);
    out.push({ action, resource: typeof input.IndexName === 'string' ? `${table}/index/${input.IndexName}` : table });
    // A table created with tags is also tagged: IAM asks for TagResource on it, as DynamoDB does.
    if (operation === 'CreateTable' && Array.isArray(input.Tags) && input.Tags.length > 0) out.push({ action: 'dynamodb:TagResource', resource: table });
  }
  for (const field of ['SourceTableName', 'TargetTableName'] as const) {
    const name = input[field];
    if (typeof name === 'string') out.push({ action, resource: tableArn(region, name) });
  }
  for (const field of ['ResourceArn', 'TableArn', 'BackupArn', 'StreamArn'] as const) {
    const arn = input[field];
    if (typeof arn === 'string') out.push({ action, resource: arn });
  }
  // GetRecords names its stream only through the shard iterator.
  if (typeof input.ShardIterator === 'string') {
    const arn = streamArnOfIterator(input.ShardIterator);
    if (arn !== null) out.push({ action, resource: arn });
  }
  if (typeof input.GlobalTableName === 'string') {
    out.push({ action, resource: `arn:aws:dynamodb::${accountId}:global-table/${input.GlobalTableName}` });
  }
  if (out.length === 0) {
    // Nothing names a resource: either an account-wide operation, or a request that validation
    // will refuse. A policy limited to some tables does not cover it.
    out.push({ action, resource: tablesWide.has(operation) ? tableArn(region, '*') : '*' });
  }
  return out;
}

/** The statements of ExecuteStatement, BatchExecuteStatement and ExecuteTransaction. */
function partiqlStatements(input: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof input.Statement === 'string') out.push(input.Statement);
  for (const list of [input.Statements, input.TransactStatements]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) if (isObject(entry) && typeof entry.Statement === 'string') out.push(entry.Statement);
  }
  return out;
}

/** IAM's PartiQL actions, by statement kind. */
const partiqlActions = { select: 'dynamodb:PartiQLSelect', exists: 'dynamodb:PartiQLSelect', insert: 'dynamodb:PartiQLInsert', update: 'dynamodb:PartiQLUpdate', delete: 'dynamodb:PartiQLDelete' } as const;

/**
 * A PartiQL statement needs its PartiQL action on the table (or index) it names, as DynamoDB
 * checks it. A statement that does not parse names nothing: validation refuses it.
 */
function partiqlAccess(text: string, region: string): ResourceAccess | null {
  let statement: Statement;
  try {
    statement = parseStatement(text).statement;
  } catch {
    return null;
  }
  const source = statement.kind === 'exists' ? statement.select.source : statement.source;
  const table = tableArn(region, source.table);
  return { action: partiqlActions[statement.kind], resource: source.index === undefined ? table : `${table}/index/${source.index}` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
