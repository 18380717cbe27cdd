// PartiQL's refusals end to end through the AWS SDK, each by error type and message (issue 19):
// every statement error of src/partiql/messages.ts that test/e2e/partiql.test.ts does not reach,
// the request members of ExecuteStatement, BatchExecuteStatement and ExecuteTransaction, and the
// options not covered there (ReturnValuesOnConditionCheckFailure, ReturnConsumedCapacity INDEXES).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchExecuteStatementCommand,
  CreateTableCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type BatchExecuteStatementCommandInput,
  type ExecuteStatementCommandInput,
  type ExecuteTransactionCommandInput,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { oneValidationError, refused } from '../helpers/refused.ts';

type Item = Record<string, AttributeValue>;

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'sorted',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'gk', AttributeType: 'S' },
        { AttributeName: 'lk', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: 'byg', KeySchema: [{ AttributeName: 'gk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'multi', KeySchema: [{ AttributeName: 'gk', KeyType: 'HASH' }, { AttributeName: 'lk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'inc', KeySchema: [{ AttributeName: 'gk', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x'] } },
      ],
      LocalSecondaryIndexes: [
        { IndexName: 'byl', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'lk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'lkeys', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'lk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(new CreateTableCommand({ TableName: 'hashed', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
});
after(() => s.stop());

function statement(input: ExecuteStatementCommandInput) {
  return s.client.send(new ExecuteStatementCommand(input));
}
function batch(input: BatchExecuteStatementCommandInput) {
  return s.client.send(new BatchExecuteStatementCommand(input));
}
function transact(input: ExecuteTransactionCommandInput) {
  return s.client.send(new ExecuteTransactionCommand(input));
}
async function stored(TableName: string, Key: Item): Promise<Item | undefined> {
  return (await s.client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
}

const malformed = "Statement wasn't well formed, can't be processed: ";

test('ExecuteStatement refuses each malformed or unsupported statement with its message', async (ctx) => {
  const insertCall = `INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1, 's': set_add(a, b)}`;
  const setAddScalar = `UPDATE "sorted" SET s = set_add(s, 'x') WHERE pk = 'a' AND sk = 1`;
  const cases: [string, string][] = [
    [`UPDATE "sorted" WHERE pk = 'a'`, `${malformed}Expected data manipulation`],
    [`DELETE "sorted" WHERE pk = 'a'`, `${malformed}Expected FROM after DELETE`],
    [`SELECT * FROM "sorted" WHERE sk BETWEEN 1 AND`, `${malformed}Expected expression after AND`],
    [`SELECT * FROM "sorted" WHERE sk = ()`, `${malformed}Expression group cannot be empty`],
    [`SELECT FROM "sorted"`, `${malformed}Cannot have empty SELECT list`],
    [`SELECT * "sorted"`, `${malformed}Expected FROM after SELECT list`],
    [`SELECT * FROM 5`, 'Unexpected from source'],
    [`SELECT * FROM "sorted"."g"."h"`, 'A path may contain at most 2 components in the FROM clause'],
    [`SELECT * FROM "sorted", "hashed"`, 'Only select from a single table or index is supported.'],
    [`SELECT * FROM "sorted" WHERE pk = 'a' AND l[*].b = 1`, 'Wildcard path component like a[*].b are not supported'],
    [`SELECT VALUE pk FROM "sorted"`, "Select projection doesn't support value or pivot keywords"],
    [`INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1} AT 2`, 'AT is not supported in insert statements.'],
    [`INSERT INTO "sorted" <<{'pk': 'a', 'sk': 1}>>`, 'Unsupported operation: Inserting multiple items in a single statement is not supported, use "INSERT INTO tableName VALUE item" instead'],
    [`UPDATE "sorted" SET a = 1 WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW a`, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"],
    [`UPDATE "sorted" SET a = 1 WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *, MODIFIED OLD *`, 'Invalid syntax with multiple returning elements in RETURNING clause'],
    [`INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1, 's': <<>>}`, 'Empty bags are not supported'],
    [`INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1, 's': <<1, 'x'>>}`, 'Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags'],
    [`INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1, 'pk': 'b'}`, 'Duplicate keys in tuple. Key: pk under root'],
    [`INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1, 'm': {1: 'x'}}`, 'Tuple keys must be of type String. Actual type: N under root'],
    [insertCall, `Unsupported data type: set_add under key root at 1:${insertCall.indexOf('set_add') + 1}:7`],
    [`SELECT * FROM "sorted" WHERE pk = 'a' AND 1 IS NULL`, 'The left hand side argument to IS must be a Variable Reference, Literal, or Path'],
    [`SELECT * FROM "sorted" WHERE x IS INT`, 'Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]'],
    [`SELECT * FROM "sorted" WHERE size(x)`, 'WHERE clause must contain an expression that resolves to a boolean'],
    [`SELECT * FROM "sorted" WHERE x LIKE 'a%'`, 'Unsupported operator in Condition Expression. Operator: like'],
    [`SELECT * FROM "sorted" WHERE x + 1 = 2`, 'Unsupported operator in Condition Expression. Operator: +'],
    [`SELECT * FROM "sorted" WHERE x IN []`, 'IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member'],
    [`SELECT * FROM "sorted" ORDER BY sk`, 'Must have WHERE clause in the statement when using ORDER BY clause.'],
    [`SELECT * FROM "sorted" WHERE x = 1 ORDER BY sk`, 'Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.'],
    [`SELECT * FROM "sorted" WHERE pk = 'a' ORDER BY x`, 'Variable reference x in ORDER BY clause must be part of the primary key'],
    [`SELECT * FROM "sorted"."multi" WHERE gk = 'a'`, 'PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.'],
    // The position is the first argument's, as DynamoDB gives it.
    [setAddScalar, `The second argument to SET_ADD must be a value with type SET at 1:${setAddScalar.indexOf('(s,') + 2}:1`],
    [`UPDATE "sorted" SET s = a * 2 WHERE pk = 'a' AND sk = 1`, 'Unsupported operator in Update Expression. Operator: *'],
    [`UPDATE "sorted" SET s = a IS NULL WHERE pk = 'a' AND sk = 1`, 'IS operator is not supported in update expressions'],
    [`DELETE FROM "hashed" WHERE pk = 'a' AND pk = 'b'`, 'Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported'],
    // Captured from DynamoDB (paritysuite/dynamodb-conformance tests/tier3/error-messages/partiqlFunctions.test.ts).
    [`SELECT * FROM "hashed" WHERE pk = 'a' AND attribute_exists()`, 'Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 0'],
    [`SELECT * FROM "hashed" WHERE pk = 'a' AND attribute_exists(ss, ns)`, 'Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2'],
    [`SELECT * FROM "hashed" WHERE pk = 'a' AND attribute_exists('ss')`, 'Operator or function requires a document path; operator or function: attribute_exists'],
    [`UPDATE "hashed" SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'a'`, 'One or more parameter values were invalid: Input collection [x, x] contains duplicates.'],
    // A number set is worded as the string set is (not on record from DynamoDB).
    [`UPDATE "hashed" SET ns = set_add(ns, <<1, 2, 1>>) WHERE pk = 'a'`, 'One or more parameter values were invalid: Input collection [1, 2, 1] contains duplicates.'],
    // A GSI answers only what it projects (captured in paritysuite/dynamodb-conformance tests/tier2/partiql/executeStatementIndex.test.ts).
    [`SELECT alternate, mymap FROM "sorted"."inc" WHERE gk = 'a'`, 'One or more parameter values were invalid: Global secondary index inc does not project [alternate, mymap]'],
    [`SELECT alternate FROM "sorted"."inc"`, 'One or more parameter values were invalid: Global secondary index inc does not project [alternate]'],
    [`SELECT x, m.y FROM "sorted"."inc" WHERE gk = 'a'`, 'One or more parameter values were invalid: Global secondary index inc does not project [m]'],
    [`SELECT * FROM "ab" WHERE pk = 'a'`, "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."],
  ];
  for (const [text, message] of cases) {
    await ctx.test(text, async () => void (await refused(statement({ Statement: text }), 'ValidationException', message)));
  }
});

test('ExecuteStatement refuses malformed request members', async (ctx) => {
  const select = `SELECT * FROM "sorted" WHERE pk = 'a'`;
  const cases: [string, ExecuteStatementCommandInput, string][] = [
    ['an empty Parameters list', { Statement: select, Parameters: [] }, oneValidationError("Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1")],
    ['Limit 0', { Statement: select, Limit: 0 }, oneValidationError("Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")],
    [
      'a NextToken over 32768 characters',
      { Statement: select, NextToken: 'n'.repeat(32769) },
      oneValidationError(`Value '${'n'.repeat(32769)}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 32768`),
    ],
    [
      'a statement over 8192 characters',
      { Statement: `${select} AND x = '${'y'.repeat(8192)}'` },
      oneValidationError(`Value '${select} AND x = '${'y'.repeat(8192)}'' at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192`),
    ],
    [
      'an unknown ReturnConsumedCapacity',
      { Statement: select, ReturnConsumedCapacity: 'ALL' as never },
      oneValidationError("Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
    ],
    [
      'an unknown ReturnValuesOnConditionCheckFailure',
      { Statement: `DELETE FROM "hashed" WHERE pk = 'a'`, ReturnValuesOnConditionCheckFailure: 'ALL_NEW' as never },
      oneValidationError("Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"),
    ],
  ];
  for (const [what, input, message] of cases) {
    await ctx.test(what, async () => void (await refused(statement(input), 'ValidationException', message)));
  }
});

test('ExecuteStatement: ReturnValuesOnConditionCheckFailure on DELETE, ReturnConsumedCapacity INDEXES, Limit on a filtered Scan', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'rv' }, n: { N: '1' } } }));
  const withItem = await refused(
    statement({ Statement: `DELETE FROM "hashed" WHERE pk = 'rv' AND n = 2`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    'ConditionalCheckFailedException',
    'The conditional request failed',
  );
  assert.deepEqual(withItem.Item, { pk: { S: 'rv' }, n: { N: '1' } });
  const without = await refused(statement({ Statement: `DELETE FROM "hashed" WHERE pk = 'rv' AND n = 2`, ReturnValuesOnConditionCheckFailure: 'NONE' }), 'ConditionalCheckFailedException', 'The conditional request failed');
  assert.equal(without.Item, undefined);
  assert.ok(await stored('hashed', { pk: { S: 'rv' } }));

  const write = await statement({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'cap', 'sk': 1, 'gk': 'g', 'lk': 'l'}`, ReturnConsumedCapacity: 'INDEXES' });
  assert.equal(write.ConsumedCapacity?.TableName, 'sorted');
  assert.deepEqual(write.ConsumedCapacity?.Table, { CapacityUnits: 1, WriteCapacityUnits: 1 });
  assert.ok(write.ConsumedCapacity?.GlobalSecondaryIndexes?.byg, JSON.stringify(write.ConsumedCapacity));
  assert.ok(write.ConsumedCapacity?.LocalSecondaryIndexes?.byl, JSON.stringify(write.ConsumedCapacity));
  const none = await statement({ Statement: `SELECT * FROM "sorted" WHERE pk = 'cap' AND sk = 1`, ReturnConsumedCapacity: 'NONE' });
  assert.equal(none.ConsumedCapacity, undefined);

  for (let i = 0; i < 6; i++) await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: `lim-${i}` }, odd: { BOOL: i % 2 === 1 } } }));
  // Limit counts the items read, before the filter: pages may be empty, and every odd item comes back once.
  const seen: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await statement({ Statement: `SELECT pk FROM "hashed" WHERE begins_with(pk, 'lim-') AND odd = TRUE`, Limit: 2, NextToken, ConsistentRead: true });
    for (const item of page.Items ?? []) seen.push(item.pk!.S!);
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  assert.deepEqual(seen.sort(), ['lim-1', 'lim-3', 'lim-5']);
});

test('BatchExecuteStatement: request members, the all-reads-or-all-writes rule, and each statement error in its place', async () => {
  await refused(batch({ Statements: [] }), 'ValidationException', oneValidationError("Value '[]' at 'statements' failed to satisfy constraint: Member must have length greater than or equal to 1"));
  await refused(
    batch({ Statements: [{ Statement: `SELECT * FROM "hashed" WHERE pk = 'a'` }], ReturnConsumedCapacity: 'ALL' as never }),
    'ValidationException',
    oneValidationError("Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
  );
  const mixed = 'Unsupported operation: A batch must consist of either read statements or write statements, not both';
  await refused(batch({ Statements: [{ Statement: `DELETE FROM "hashed" WHERE pk = 'a'` }, { Statement: `SELECT * FROM "hashed" WHERE pk = 'a'` }] }), 'ValidationException', mixed);
  // A statement that cannot even be read does not count as a read or a write.
  const readsAndBroken = await batch({ Statements: [{ Statement: `SELECT * FROM "hashed" WHERE pk = 'a'` }, { Statement: `INSERT INTO` }] });
  assert.deepEqual(readsAndBroken.Responses?.[1], { Error: { Code: 'ValidationError', Message: `${malformed}Expected identifier for simple path` } });

  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'b-old' }, n: { N: '1' } } }));
  const writes = await batch({
    Statements: [
      { Statement: `DELETE FROM "hashed" WHERE pk = 'b-old' AND n = 2`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
      { Statement: `DELETE FROM "hashed" WHERE pk = 'b-old' AND n = 2` },
      { Statement: `UPDATE "hashed" SET n = 2 WHERE pk = ?`, Parameters: [{ S: 'b-old' }, { S: 'extra' }] },
      { Statement: `UPDATE "sorted" SET n = 2 WHERE pk = 'b'` },
      { Statement: `INSERT INTO "sorted" VALUE {'pk': 'b', 'sk': 'one'}` },
      { Statement: `EXISTS(SELECT * FROM "hashed" WHERE pk = 'b-old' AND n = 1)` },
      { Statement: `INSERT INTO "missing" VALUE {'pk': 'b'}` },
      { Statement: `INSERT INTO "hashed" VALUE {'pk': 'b-new'}` },
    ],
    ReturnConsumedCapacity: 'INDEXES',
  });
  assert.deepEqual(writes.Responses, [
    { TableName: 'hashed', Error: { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'b-old' }, n: { N: '1' } } } },
    { TableName: 'hashed', Error: { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } },
    { TableName: 'hashed', Error: { Code: 'ValidationError', Message: "Number of parameters in request and statement don't match." } },
    { TableName: 'sorted', Error: { Code: 'ValidationError', Message: 'Where clause does not contain a mandatory equality on all key attributes' } },
    { TableName: 'sorted', Error: { Code: 'ValidationError', Message: "Key attribute's data type should match its data type in table's schema: Key sk" } },
    { TableName: 'hashed', Error: { Code: 'ValidationError', Message: 'EXISTS can only be used in ExecuteTransaction write requests.' } },
    { TableName: 'missing', Error: { Code: 'ResourceNotFound', Message: 'Requested resource not found' } },
    { TableName: 'hashed' },
  ]);
  // Only the INSERT that ran consumed anything.
  assert.deepEqual(writes.ConsumedCapacity, [{ TableName: 'hashed', CapacityUnits: 1, WriteCapacityUnits: 1, Table: { CapacityUnits: 1, WriteCapacityUnits: 1 } }]);
  assert.deepEqual(await stored('hashed', { pk: { S: 'b-old' } }), { pk: { S: 'b-old' }, n: { N: '1' } });
});

test('ExecuteTransaction: request members, all reads or all writes, each refusal named by its statement', async (ctx) => {
  const refusals: [string, ExecuteTransactionCommandInput, string, string][] = [
    ['no statements', { TransactStatements: [] }, 'ValidationException', oneValidationError("Value '[]' at 'transactStatements' failed to satisfy constraint: Member must have length greater than or equal to 1")],
    [
      'a ClientRequestToken over 36 characters',
      { TransactStatements: [{ Statement: `DELETE FROM "hashed" WHERE pk = 'a'` }], ClientRequestToken: 't'.repeat(37) },
      'ValidationException',
      oneValidationError(`Value '${'t'.repeat(37)}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`),
    ],
    [
      'a write, then a read',
      { TransactStatements: [{ Statement: `DELETE FROM "hashed" WHERE pk = 'a'` }, { Statement: `SELECT * FROM "hashed" WHERE pk = 'b'` }] },
      'ValidationException',
      'Unsupported operation: A transaction must consist of either read statements or write statements, not both',
    ],
    [
      'an EXISTS (a write) with a read',
      { TransactStatements: [{ Statement: `SELECT * FROM "hashed" WHERE pk = 'b'` }, { Statement: `EXISTS(SELECT * FROM "hashed" WHERE pk = 'a' AND n = 1)` }] },
      'ValidationException',
      'Unsupported operation: A transaction must consist of either read statements or write statements, not both',
    ],
    [
      'two statements on one item',
      { TransactStatements: [{ Statement: `UPDATE "hashed" SET n = 1 WHERE pk = 'same'` }, { Statement: `EXISTS(SELECT * FROM "hashed" WHERE pk = 'same' AND n = 1)` }] },
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    ],
    [
      'two reads of one item',
      { TransactStatements: [{ Statement: `SELECT * FROM "hashed" WHERE pk = 'same'` }, { Statement: `SELECT n FROM "hashed" WHERE pk = 'same'` }] },
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    ],
    [
      'an EXISTS on an index',
      { TransactStatements: [{ Statement: `EXISTS(SELECT * FROM "sorted"."byg" WHERE gk = 'a' AND n = 1)` }] },
      'ValidationException',
      'Validation failed in TransactStatements[0]: Operations on indices are not supported in transactions',
    ],
    [
      'a parameter too many',
      { TransactStatements: [{ Statement: `DELETE FROM "hashed" WHERE pk = 'a'` }, { Statement: `DELETE FROM "hashed" WHERE pk = ?`, Parameters: [{ S: 'b' }, { S: 'c' }] }] },
      'ValidationException',
      "Validation failed in TransactStatements[1]: Number of parameters in request and statement don't match.",
    ],
    [
      'an unknown table',
      { TransactStatements: [{ Statement: `DELETE FROM "missing" WHERE pk = 'a'` }] },
      'ResourceNotFoundException',
      'Requested resource not found',
    ],
    [
      'two conditions on the key (as DynamoDB Local answers it)',
      { TransactStatements: [{ Statement: `DELETE FROM "hashed" WHERE pk = 'a' AND pk = 'b'` }] },
      'TransactionCanceledException',
      'ValidationError Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported',
    ],
  ];
  for (const [what, input, name, message] of refusals) {
    await ctx.test(what, async () => void (await refused(transact(input), name, message)));
  }
});

test('ExecuteTransaction: ReturnValuesOnConditionCheckFailure per statement, EXISTS and NOT EXISTS checks, twice the units, token reuse', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'tx-rv' }, n: { N: '1' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'tx-guard' }, open: { BOOL: false } } }));
  const failed = await refused(
    transact({
      TransactStatements: [
        { Statement: `DELETE FROM "hashed" WHERE pk = 'tx-rv' AND n = 2`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        { Statement: `EXISTS(SELECT * FROM "hashed" WHERE pk = 'tx-guard' AND "open" = TRUE)`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        { Statement: `NOT EXISTS(SELECT * FROM "hashed" WHERE pk = 'tx-absent' AND n = 1)` },
        { Statement: `INSERT INTO "hashed" VALUE {'pk': 'tx-new'}` },
      ],
    }),
    'TransactionCanceledException',
    'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, ConditionalCheckFailed, None, None]',
  );
  assert.deepEqual(failed.CancellationReasons, [
    { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'tx-rv' }, n: { N: '1' } } },
    { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'tx-guard' }, open: { BOOL: false } } },
    { Code: 'None' },
    { Code: 'None' },
  ]);
  assert.equal(await stored('hashed', { pk: { S: 'tx-new' } }), undefined);
  // NOT EXISTS fails when its item is there and meets the condition.
  await refused(
    transact({ TransactStatements: [{ Statement: `NOT EXISTS(SELECT * FROM "hashed" WHERE pk = 'tx-rv' AND n = 1)` }, { Statement: `INSERT INTO "hashed" VALUE {'pk': 'tx-new'}` }] }),
    'TransactionCanceledException',
    'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
  );

  const written = await transact({
    TransactStatements: [{ Statement: `EXISTS(SELECT * FROM "hashed" WHERE pk = 'tx-guard' AND "open" = FALSE)` }, { Statement: `INSERT INTO "hashed" VALUE {'pk': 'tx-new'}` }],
    ReturnConsumedCapacity: 'TOTAL',
    ClientRequestToken: 'partiql-validation-1',
  });
  assert.deepEqual(written.ConsumedCapacity, [{ TableName: 'hashed', CapacityUnits: 4, WriteCapacityUnits: 4 }]);
  assert.ok(await stored('hashed', { pk: { S: 'tx-new' } }));
  await refused(
    transact({ TransactStatements: [{ Statement: `DELETE FROM "hashed" WHERE pk = 'tx-new'` }], ClientRequestToken: 'partiql-validation-1' }),
    'IdempotentParameterMismatchException',
    'The request uses the same client token as a previous, but non-identical request.',
  );
  const reads = await transact({ TransactStatements: [{ Statement: `SELECT * FROM "hashed" WHERE pk = 'tx-new'` }, { Statement: `SELECT n FROM "hashed" WHERE pk = 'tx-rv'` }], ReturnConsumedCapacity: 'TOTAL' });
  assert.deepEqual(reads.Responses, [{ Item: { pk: { S: 'tx-new' } } }, { Item: { n: { N: '1' } } }]);
  assert.deepEqual(reads.ConsumedCapacity, [{ TableName: 'hashed', CapacityUnits: 4, ReadCapacityUnits: 4 }]);
});

test('a key value of the wrong type: ExecuteStatement refuses it, ExecuteTransaction cancels with it in its place', async () => {
  const mismatch = 'The provided key element does not match the schema';
  for (const text of [`SELECT * FROM "hashed" WHERE pk = 1`, `UPDATE "hashed" SET a = 1 WHERE pk = 1`, `DELETE FROM "hashed" WHERE pk = 1`]) {
    await refused(statement({ Statement: text }), 'ValidationException', mismatch);
    // As TransactWriteItems and TransactGetItems answer a key that does not match the schema.
    const err = await refused(transact({ TransactStatements: [{ Statement: text }] }), 'TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]');
    assert.deepEqual(err.CancellationReasons, [{ Code: 'ValidationError', Message: mismatch }], text);
  }
});

test('Parameters are read as DynamoDB reads them, in every operation and position', async (ctx) => {
  const unconvertible = 'The parameter cannot be converted to a numeric value';
  const nesting = 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
  const deep = (depth: number, leaf: AttributeValue = { S: 'leaf' }): AttributeValue => {
    let v = leaf;
    for (let i = 0; i < depth; i++) v = { M: { n: v } };
    return v;
  };
  const positions = [
    `SELECT * FROM "sorted" WHERE pk = 'pn' AND n = ?`,
    `INSERT INTO "sorted" VALUE {'pk': 'pn-insert', 'sk': 1, 'n': ?}`,
    `UPDATE "sorted" SET n = ? WHERE pk = 'pn' AND sk = 1`,
    `SELECT * FROM "hashed" WHERE pk = ?`,
  ];
  const values: [AttributeValue, string][] = [
    [{ N: '1e99999999999' }, `${unconvertible}: 1e99999999999`],
    [{ N: '-1e2147483648' }, `${unconvertible}: -1e2147483648`],
    [{ N: '1e2147483647' }, 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    [{ N: '' }, unconvertible],
    [{ N: 'abc' }, `${unconvertible}: abc`],
    [{ L: [{ N: '1' }, { N: '1e99999999999' }] }, `${unconvertible}: 1e99999999999`],
    [{ M: { x: { N: '1e99999999999' } } }, `${unconvertible}: 1e99999999999`],
    [{ NS: ['1', '1e99999999999'] }, `${unconvertible}: 1e99999999999`],
    // The first fault in document order.
    [{ M: { d: deep(40), bad: { N: 'abc' } } }, nesting],
    [{ M: { bad: { N: 'abc' }, d: deep(40) } }, `${unconvertible}: abc`],
  ];
  for (const [value, message] of values) {
    await ctx.test(JSON.stringify(value).slice(0, 60), async () => {
      for (const text of positions) {
        await refused(statement({ Statement: text, Parameters: [value] }), 'ValidationException', message);
      }
      // Not named by its statement in a transaction; in a batch, its statement's error.
      await refused(transact({ TransactStatements: [{ Statement: positions[2]!, Parameters: [value] }] }), 'ValidationException', message);
      const out = await batch({ Statements: [{ Statement: positions[0]!, Parameters: [value] }] });
      assert.deepEqual(out.Responses, [{ Error: { Code: 'ValidationError', Message: message } }]);
    });
  }
});

test('a GSI answers its projected columns; an LSI reaches the item for the others', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'sorted', Item: { pk: { S: 'proj' }, sk: { N: '1' }, gk: { S: 'proj-g' }, lk: { S: 'proj-l' }, x: { S: 'in' }, data: { S: 'out' } } }));
  await s.server.propagator.drained('sorted');
  const gsi = await statement({ Statement: `SELECT pk, sk, gk, x FROM "sorted"."inc" WHERE gk = 'proj-g'` });
  assert.deepEqual(gsi.Items, [{ pk: { S: 'proj' }, sk: { N: '1' }, gk: { S: 'proj-g' }, x: { S: 'in' } }]);
  const lsi = await statement({ Statement: `SELECT data FROM "sorted"."lkeys" WHERE pk = 'proj' AND lk = 'proj-l'` });
  assert.deepEqual(lsi.Items, [{ data: { S: 'out' } }]);
});
