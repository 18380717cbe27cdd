// Statement → the JSON API request that runs it: which operation, with which input; and what
// translation refuses, with DynamoDB's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatement } from '../../src/partiql/parser.ts';
import { checkStatement, shapeItem, translate, type Surface, type TableSchema } from '../../src/partiql/translate.ts';
import { validateParameters } from '../../src/partiql/values.ts';
import { decodeNextToken, encodeNextToken, requestBinding } from '../../src/partiql/next-token.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import type { AttributeValue } from '../../src/values/types.ts';
import { seededRandom } from '../helpers/prng.ts';

const sorted: TableSchema = {
  name: 'sorted',
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'N' },
    { AttributeName: 'gk', AttributeType: 'S' },
    { AttributeName: 'lk', AttributeType: 'S' },
  ],
  indexes: [
    { name: 'g', kind: 'GSI', keySchema: [{ AttributeName: 'gk', KeyType: 'HASH' }] },
    { name: 'l', kind: 'LSI', keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'lk', KeyType: 'RANGE' }] },
    { name: 'multi', kind: 'GSI', keySchema: [{ AttributeName: 'gk', KeyType: 'HASH' }, { AttributeName: 'lk', KeyType: 'HASH' }] },
  ],
};

const hashed: TableSchema = {
  name: 'hashed',
  keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
};

function plan(text: string, parameters: AttributeValue[] = [], surface: Surface = 'statement', table = sorted): { op: string; input: Record<string, unknown> } {
  const parsed = parseStatement(text);
  checkStatement(parsed.statement, parsed.parameterCount, parameters, surface);
  const p = translate(parsed.statement, table, parameters, surface);
  return { op: p.op, input: p.input };
}

const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });

const translations: [string, AttributeValue[], Surface, TableSchema, { op: string; input: Record<string, unknown> }][] = [
  [`SELECT * FROM sorted WHERE pk = 'a' AND sk = 1`, [], 'statement', sorted, { op: 'GetItem', input: { TableName: 'sorted', Key: { pk: S('a'), sk: N('1') } } }],
  [`SELECT * FROM hashed WHERE 'a' = pk`, [], 'statement', hashed, { op: 'GetItem', input: { TableName: 'hashed', Key: { pk: S('a') } } }],
  [
    `SELECT a, b.c FROM sorted WHERE sk = ? AND pk = ?`,
    [N('2'), S('a')],
    'statement',
    sorted,
    { op: 'GetItem', input: { TableName: 'sorted', Key: { pk: S('a'), sk: N('2') }, ProjectionExpression: '#n0, #n1.#n2', ExpressionAttributeNames: { '#n0': 'a', '#n1': 'b', '#n2': 'c' } } },
  ],
  [
    `SELECT * FROM sorted WHERE pk = 'a'`,
    [],
    'statement',
    sorted,
    { op: 'Query', input: { TableName: 'sorted', KeyConditionExpression: '#n0 = :v0', ExpressionAttributeNames: { '#n0': 'pk' }, ExpressionAttributeValues: { ':v0': S('a') } } },
  ],
  [
    `SELECT * FROM sorted WHERE pk = 'a' AND 5 > sk AND (x = 1 OR y <> 'z') ORDER BY sk DESC`,
    [],
    'statement',
    sorted,
    {
      op: 'Query',
      input: {
        TableName: 'sorted',
        KeyConditionExpression: '#n0 = :v0 AND #n1 < :v1',
        FilterExpression: '#n2 = :v2 OR #n3 <> :v3',
        ScanIndexForward: false,
        ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'sk', '#n2': 'x', '#n3': 'y' },
        ExpressionAttributeValues: { ':v0': S('a'), ':v1': N('5'), ':v2': N('1'), ':v3': S('z') },
      },
    },
  ],
  [
    `SELECT * FROM sorted WHERE pk = 'a' AND sk BETWEEN 1 AND 3 AND NOT (x = 1 AND y = 2)`,
    [],
    'statement',
    sorted,
    {
      op: 'Query',
      input: {
        TableName: 'sorted',
        KeyConditionExpression: '#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2',
        FilterExpression: 'NOT (#n2 = :v3 AND #n3 = :v4)',
        ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'sk', '#n2': 'x', '#n3': 'y' },
        ExpressionAttributeValues: { ':v0': S('a'), ':v1': N('1'), ':v2': N('3'), ':v3': N('1'), ':v4': N('2') },
      },
    },
  ],
  [
    `SELECT * FROM sorted WHERE pk = 'a' AND begins_with(sk, '1')`,
    [],
    'statement',
    sorted,
    { op: 'Query', input: { TableName: 'sorted', KeyConditionExpression: '#n0 = :v0 AND begins_with(#n1, :v1)', ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'sk' }, ExpressionAttributeValues: { ':v0': S('a'), ':v1': S('1') } } },
  ],
  // A further condition on a key attribute cannot be a Query's filter: the statement scans.
  [
    `SELECT * FROM sorted WHERE pk = 'a' AND sk > 1 AND sk < 5`,
    [],
    'statement',
    sorted,
    {
      op: 'Scan',
      input: {
        TableName: 'sorted',
        FilterExpression: '#n0 = :v0 AND #n1 > :v1 AND #n1 < :v2',
        ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'sk' },
        ExpressionAttributeValues: { ':v0': S('a'), ':v1': N('1'), ':v2': N('5') },
      },
    },
  ],
  [`SELECT * FROM sorted`, [], 'statement', sorted, { op: 'Scan', input: { TableName: 'sorted' } }],
  [
    `SELECT * FROM sorted WHERE pk IN ['a', 'b'] OR x IS NOT MISSING AND y IS NULL AND z IS NOT STRING`,
    [],
    'statement',
    sorted,
    {
      op: 'Scan',
      input: {
        TableName: 'sorted',
        FilterExpression: '#n0 IN (:v0, :v1) OR attribute_exists(#n1) AND attribute_type(#n2, :v2) AND NOT attribute_type(#n3, :v3)',
        ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'x', '#n2': 'y', '#n3': 'z' },
        ExpressionAttributeValues: { ':v0': S('a'), ':v1': S('b'), ':v2': S('NULL'), ':v3': S('S') },
      },
    },
  ],
  [
    `SELECT * FROM sorted WHERE attribute_exists(a) = false AND size(b[1]) >= 2 AND contains(c, ?) AND d = {'k': <<1, 2>>}`,
    [S('x')],
    'statement',
    sorted,
    {
      op: 'Scan',
      input: {
        TableName: 'sorted',
        FilterExpression: 'NOT attribute_exists(#n0) AND size(#n1[1]) >= :v0 AND contains(#n2, :v1) AND #n3 = :v2',
        ExpressionAttributeNames: { '#n0': 'a', '#n1': 'b', '#n2': 'c', '#n3': 'd' },
        ExpressionAttributeValues: { ':v0': N('2'), ':v1': S('x'), ':v2': { M: { k: { NS: ['1', '2'] } } } },
      },
    },
  ],
  [
    `SELECT * FROM sorted."g" WHERE gk = 'x' AND pk = 'a'`,
    [],
    'statement',
    sorted,
    {
      op: 'Query',
      input: {
        TableName: 'sorted',
        IndexName: 'g',
        KeyConditionExpression: '#n0 = :v0',
        FilterExpression: '#n1 = :v1',
        ExpressionAttributeNames: { '#n0': 'gk', '#n1': 'pk' },
        ExpressionAttributeValues: { ':v0': S('x'), ':v1': S('a') },
      },
    },
  ],
  [
    `SELECT * FROM "sorted"."g" WHERE pk = 'a' AND sk = 1`,
    [],
    'statement',
    sorted,
    { op: 'Scan', input: { TableName: 'sorted', IndexName: 'g', FilterExpression: '#n0 = :v0 AND #n1 = :v1', ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'sk' }, ExpressionAttributeValues: { ':v0': S('a'), ':v1': N('1') } } },
  ],
  [
    `SELECT * FROM "sorted"."l" WHERE pk = 'a' AND lk >= 'm' ORDER BY lk DESC`,
    [],
    'statement',
    sorted,
    { op: 'Query', input: { TableName: 'sorted', IndexName: 'l', KeyConditionExpression: '#n0 = :v0 AND #n1 >= :v1', ScanIndexForward: false, ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'lk' }, ExpressionAttributeValues: { ':v0': S('a'), ':v1': S('m') } } },
  ],
  // Writes.
  [
    `INSERT INTO sorted VALUE {'pk': 'a', 'sk': 1, 'v': [1, 'x', MISSING], 'gone': MISSING}`,
    [],
    'statement',
    sorted,
    { op: 'PutItem', input: { TableName: 'sorted', Item: { pk: S('a'), sk: N('1'), v: { L: [N('1'), S('x')] } }, ConditionExpression: 'attribute_not_exists(#n0)', ExpressionAttributeNames: { '#n0': 'pk' } } },
  ],
  [
    `UPDATE sorted SET a = 1, b = b - ? SET c.d[0] = list_append(c.d[0], [2]) REMOVE e SET s = set_delete(s, <<'x'>>) WHERE pk = 'a' AND sk = 1 AND f <> 'g' RETURNING ALL OLD *`,
    [N('3')],
    'statement',
    sorted,
    {
      op: 'UpdateItem',
      input: {
        TableName: 'sorted',
        Key: { pk: S('a'), sk: N('1') },
        UpdateExpression: 'SET #n0 = :v0, #n1 = #n1 - :v1, #n2.#n3[0] = list_append(#n2.#n3[0], :v2) REMOVE #n4 DELETE #n5 :v3',
        ConditionExpression: 'attribute_exists(#n6) AND #n7 <> :v4',
        ReturnValues: 'ALL_OLD',
        ExpressionAttributeNames: { '#n0': 'a', '#n1': 'b', '#n2': 'c', '#n3': 'd', '#n4': 'e', '#n5': 's', '#n6': 'pk', '#n7': 'f' },
        ExpressionAttributeValues: { ':v0': N('1'), ':v1': N('3'), ':v2': { L: [N('2')] }, ':v3': { SS: ['x'] }, ':v4': S('g') },
      },
    },
  ],
  [
    `DELETE FROM sorted WHERE pk = 'a' AND sk = 1`,
    [],
    'statement',
    sorted,
    { op: 'DeleteItem', input: { TableName: 'sorted', Key: { pk: S('a'), sk: N('1') } } },
  ],
  [
    `DELETE FROM hashed WHERE pk = 'a' AND (x = 1 OR y = 2) RETURNING ALL OLD *`,
    [],
    'statement',
    hashed,
    {
      op: 'DeleteItem',
      input: {
        TableName: 'hashed',
        Key: { pk: S('a') },
        ConditionExpression: 'attribute_not_exists(#n0) OR #n1 = :v0 OR #n2 = :v1',
        ReturnValues: 'ALL_OLD',
        ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'x', '#n2': 'y' },
        ExpressionAttributeValues: { ':v0': N('1'), ':v1': N('2') },
      },
    },
  ],
  // Transactions and batches.
  [
    `EXISTS(SELECT * FROM hashed WHERE pk = 'a' AND n > 1)`,
    [],
    'transaction',
    hashed,
    { op: 'ConditionCheck', input: { TableName: 'hashed', Key: { pk: S('a') }, ConditionExpression: 'attribute_exists(#n0) AND #n1 > :v0', ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'n' }, ExpressionAttributeValues: { ':v0': N('1') } } },
  ],
  [
    `NOT EXISTS(SELECT * FROM hashed WHERE pk = 'a' AND n > 1 AND m = 2)`,
    [],
    'transaction',
    hashed,
    {
      op: 'ConditionCheck',
      input: {
        TableName: 'hashed',
        Key: { pk: S('a') },
        ConditionExpression: 'attribute_not_exists(#n0) OR NOT (#n1 > :v0 AND #n2 = :v1)',
        ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'n', '#n2': 'm' },
        ExpressionAttributeValues: { ':v0': N('1'), ':v1': N('2') },
      },
    },
  ],
  [`SELECT x FROM hashed WHERE pk = 'a'`, [], 'transaction', hashed, { op: 'GetItem', input: { TableName: 'hashed', Key: { pk: S('a') }, ProjectionExpression: '#n0', ExpressionAttributeNames: { '#n0': 'x' } } }],
  [`SELECT * FROM sorted WHERE pk = 'a' AND sk = 1`, [], 'batch', sorted, { op: 'GetItem', input: { TableName: 'sorted', Key: { pk: S('a'), sk: N('1') } } }],
];

test('statements translate into the JSON API request that runs them', () => {
  for (const [text, parameters, surface, table, expected] of translations) {
    assert.deepEqual(plan(text, parameters, surface, table), expected, text);
  }
});

const refusals: [string, AttributeValue[], Surface, TableSchema, string][] = [
  [`SELECT * FROM sorted WHERE pk = ?`, [], 'statement', sorted, "Number of parameters in request and statement don't match."],
  [`SELECT * FROM sorted WHERE pk = 'a'`, [S('x')], 'statement', sorted, "Number of parameters in request and statement don't match."],
  [`UPDATE sorted SET a = 1 WHERE pk = 'a'`, [], 'statement', sorted, 'Where clause does not contain a mandatory equality on all key attributes'],
  [`UPDATE sorted SET a = 1 WHERE pk = 'a' AND sk > 1`, [], 'statement', sorted, 'Where clause does not contain a mandatory equality on all key attributes'],
  [`UPDATE sorted SET a = 1 WHERE pk = 'a' OR sk = 1`, [], 'statement', sorted, 'Where clause does not contain a mandatory equality on all key attributes'],
  [`FROM "sorted" SET c = 1`, [], 'statement', sorted, 'Where clause does not contain a mandatory equality on all key attributes'],
  [`DELETE FROM hashed WHERE pk = 'a' AND pk = 'b'`, [], 'statement', hashed, 'Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported'],
  [`DELETE FROM hashed WHERE pk = 'a' RETURNING ALL NEW *`, [], 'statement', hashed, 'Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements.'],
  [`DELETE FROM sorted."g" WHERE gk = 'a'`, [], 'statement', sorted, 'This operation is not supported on an index'],
  [`INSERT INTO sorted VALUE {'pk': 'a'}`, [], 'statement', sorted, 'Key attribute should be present in the item: Key sk'],
  [`INSERT INTO sorted VALUE {'pk': 1, 'sk': 1}`, [], 'statement', sorted, "Key attribute's data type should match its data type in table's schema: Key pk"],
  [`INSERT INTO sorted VALUE 'x'`, [], 'statement', sorted, 'Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.'],
  [`INSERT INTO sorted VALUE {'pk': 'a', 'sk': 1, 'm': {'x': 1e126}}`, [], 'statement', sorted, 'Number overflow. Attempting to store a number with magnitude larger than supported range under root.x'],
  [`INSERT INTO sorted VALUE {'pk': 'a', 'sk': 1, 's': <<>>}`, [], 'statement', sorted, 'Empty bags are not supported'],
  [`INSERT INTO sorted VALUE {'pk': 'a', 'sk': 1, 's': <<1, 'x'>>}`, [], 'statement', sorted, 'Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags'],
  [`INSERT INTO sorted VALUE {'pk': 'a', 'sk': 1, 'pk': 'b'}`, [], 'statement', sorted, 'Duplicate keys in tuple. Key: pk under root'],
  [`INSERT INTO sorted VALUE {'pk': 'a', 'sk': 1, 's': set_add(a, b)}`, [], 'statement', sorted, 'Unsupported data type: set_add under key root at 1:52:7'],
  [`SELECT * FROM sorted WHERE x = MISSING`, [], 'statement', sorted, 'MISSING must be compared using IS operator'],
  [`SELECT * FROM sorted WHERE x IS INT`, [], 'statement', sorted, 'Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]'],
  [`SELECT * FROM sorted WHERE foo(x)`, [], 'statement', sorted, 'Unrecognized function: foo at 1:28:3'],
  [`SELECT * FROM sorted WHERE size(x)`, [], 'statement', sorted, 'WHERE clause must contain an expression that resolves to a boolean'],
  [`SELECT * FROM sorted WHERE x`, [], 'statement', sorted, 'WHERE clause must contain an expression that resolves to a boolean'],
  [`SELECT * FROM sorted WHERE x LIKE 'a%'`, [], 'statement', sorted, 'Unsupported operator in Condition Expression. Operator: like'],
  [`SELECT * FROM sorted WHERE x + 1 = 2`, [], 'statement', sorted, 'Unsupported operator in Condition Expression. Operator: +'],
  [`SELECT * FROM sorted WHERE x IN y`, [], 'statement', sorted, 'IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member'],
  [`SELECT * FROM sorted WHERE x IN []`, [], 'statement', sorted, 'IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member'],
  [`SELECT count(*) FROM sorted`, [], 'statement', sorted, 'Unexpected path component at 1:8:5'],
  [`SELECT * FROM sorted ORDER BY sk`, [], 'statement', sorted, 'Must have WHERE clause in the statement when using ORDER BY clause.'],
  [`SELECT * FROM sorted WHERE x = 1 ORDER BY sk`, [], 'statement', sorted, 'Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.'],
  [`SELECT * FROM sorted WHERE pk = 'a' ORDER BY x`, [], 'statement', sorted, 'Variable reference x in ORDER BY clause must be part of the primary key'],
  [`SELECT * FROM sorted."nope" WHERE pk = 'a'`, [], 'statement', sorted, 'The table does not have the specified index: nope'],
  [`SELECT * FROM sorted."multi" WHERE gk = 'a'`, [], 'statement', sorted, 'PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.'],
  [`UPDATE sorted SET t = set_add(s, <<'x'>>) WHERE pk = 'a' AND sk = 1`, [], 'statement', sorted, 'The first argument to SET_ADD must equal the assignment value at 1:23:7'],
  [`UPDATE sorted SET s = set_add(s, 'x') WHERE pk = 'a' AND sk = 1`, [], 'statement', sorted, 'The second argument to SET_ADD must be a value with type SET at 1:31:1'],
  [`UPDATE sorted SET s = set_delete(s) WHERE pk = 'a' AND sk = 1`, [], 'statement', sorted, 'SET_DELETE must have exactly two arguments at 1:23:10'],
  [`UPDATE sorted SET s = a * 2 WHERE pk = 'a' AND sk = 1`, [], 'statement', sorted, 'Unsupported operator in Update Expression. Operator: *'],
  [`UPDATE sorted SET s = a IS NULL WHERE pk = 'a' AND sk = 1`, [], 'statement', sorted, 'IS operator is not supported in update expressions'],
  [`EXISTS(SELECT * FROM hashed WHERE pk = 'a' AND x = 1)`, [], 'statement', hashed, 'EXISTS can only be used in ExecuteTransaction write requests.'],
  [`EXISTS(SELECT * FROM hashed WHERE pk = 'a')`, [], 'transaction', hashed, 'EXISTS() must contain a single item read with additional condition'],
  [`EXISTS(SELECT * FROM hashed WHERE x = 1)`, [], 'transaction', hashed, 'EXISTS() must contain a single item read with additional condition'],
  [`UPDATE hashed SET a = 1 WHERE pk = 'a' RETURNING ALL NEW *`, [], 'transaction', hashed, 'RETURNING clause is not supported in ExecuteTransaction.'],
  [`SELECT * FROM sorted WHERE pk = 'a'`, [], 'transaction', sorted, 'Select statements within ExecuteTransaction must specify the primary key in the where clause.'],
  [`SELECT * FROM hashed WHERE pk = 'a' AND x = 1`, [], 'transaction', hashed, 'Select statements within ExecuteTransaction must specify the primary key in the where clause.'],
  [`SELECT * FROM sorted."l" WHERE pk = 'a' AND lk = 'b'`, [], 'transaction', sorted, 'Reads on indices are not supported within transactions.'],
  [`SELECT * FROM hashed WHERE pk = 'a' AND attribute_exists(x)`, [], 'batch', hashed, 'Select statements within BatchExecuteStatement must specify the primary key in the where clause.'],
  [`SELECT * FROM sorted."g" WHERE gk = 'a'`, [], 'batch', sorted, 'Select statements within BatchExecuteStatement must specify the primary key in the where clause.'],
];

test('translation refuses what DynamoDB refuses, with its messages', () => {
  for (const [text, parameters, surface, table, message] of refusals) {
    assert.throws(
      () => plan(text, parameters, surface, table),
      (e: unknown) => {
        assert.ok(e instanceof DynamoError, text);
        assert.equal(e.kind.name, 'ValidationException', text);
        assert.equal(e.message, message, text);
        return true;
      },
      text,
    );
  }
});

test('a SELECT list names each column after the last attribute name of its path', () => {
  const parsed = parseStatement(`SELECT a.b, l[1], "top" FROM sorted WHERE pk = 'x'`);
  const p = translate(parsed.statement, sorted, [], 'statement');
  assert.equal(p.op, 'Query');
  const columns = (p as { columns: { name: string; path: (string | number)[] }[] }).columns;
  assert.deepEqual(columns, [
    { name: 'b', path: ['a', 'b'] },
    { name: 'l', path: ['l', 1] },
    { name: 'top', path: ['top'] },
  ]);
  assert.deepEqual(shapeItem({ a: { M: { b: S('1') } }, l: { L: [S('x'), S('y')] } }, columns), { b: S('1'), l: S('y') });
});

test('parameters are checked as DynamoDB reads them', () => {
  assert.deepEqual(validateParameters([{ N: '01.50' }, { SS: ['a'] }]), [N('1.5'), { SS: ['a'] }]);
  const message = (raw: unknown[]) => {
    try {
      validateParameters(raw);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  };
  assert.equal(message([{ N: '1e99999999999' }]), 'The parameter cannot be converted to a numeric value: 1e99999999999');
  assert.equal(message([{ L: [{ N: '1' }, { N: '1e-2147483648' }] }]), 'The parameter cannot be converted to a numeric value: 1e-2147483648');
  assert.equal(message([{ N: '' }]), 'The parameter cannot be converted to a numeric value');
  assert.equal(message([{ N: 'abc' }]), 'The parameter cannot be converted to a numeric value: abc');
  assert.equal(message([{ N: '1e126' }]), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
  // Precision less scale past the largest int wraps negative: an underflow, as DynamoDB answers.
  assert.equal(message([{ N: '1e2147483647' }]), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
  assert.equal(message([{ N: '1e2147483646' }]), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
  // A scale (digits after the point less the exponent) beyond an int cannot be converted.
  assert.equal(message([{ N: '1.5e-2147483647' }]), 'The parameter cannot be converted to a numeric value: 1.5e-2147483647');
  assert.equal(message([{ N: '1e-2147483647' }]), 'Number underflow. Attempting to store a number with magnitude smaller than supported range');
});

test('a NextToken carries its start key and continues only the request that made it', () => {
  const binding = requestBinding(`SELECT * FROM t WHERE pk = ?`, [S('a')]);
  const token = encodeNextToken(binding, { pk: S('a'), sk: N('2') });
  assert.deepEqual(decodeNextToken(token, binding), { pk: S('a'), sk: N('2') });
  assert.throws(() => decodeNextToken(token, requestBinding(`SELECT * FROM t WHERE pk = ?`, [S('b')])), { message: 'NextToken does not match request' });
  assert.throws(() => decodeNextToken(token, requestBinding(`SELECT * FROM t`, [])), { message: 'NextToken does not match request' });
  assert.throws(() => decodeNextToken('not a token', binding), { message: 'Invalid NextToken' });
  assert.throws(() => decodeNextToken(Buffer.from('[1]').toString('base64url'), binding), { message: 'Invalid NextToken' });
});

test('random statements either run as a request or fail with a ValidationException, never otherwise', () => {
  const random = seededRandom(19);
  const words = [
    'SELECT', 'INSERT', 'INTO', 'VALUE', 'UPDATE', 'DELETE', 'FROM', 'WHERE', 'SET', 'REMOVE', 'RETURNING', 'ALL', 'MODIFIED', 'OLD', 'NEW',
    'AND', 'OR', 'NOT', 'IS', 'IN', 'BETWEEN', 'LIKE', 'MISSING', 'NULL', 'TRUE', 'ORDER', 'BY', 'DESC', 'EXISTS', 'sorted', '"sorted"', '"g"',
    'pk', 'sk', 'a', 'b', "'x'", '1', '2.5e3', '-1', '?', '*', ',', '.', '(', ')', '[', ']', '{', '}', '<<', '>>', ':', '=', '<>', '<', '>=',
    '+', '-', 'begins_with', 'size', 'set_add', 'list_append', 'attribute_exists', ';',
  ];
  // Valid statements, then the same with words inserted, replaced or dropped.
  const valid = [
    `SELECT * FROM sorted WHERE pk = 'x' AND sk > 1 AND a = ?`,
    `SELECT a, b FROM sorted WHERE a IN [1, 2] OR NOT b IS MISSING`,
    `UPDATE sorted SET a = a + 1 REMOVE b WHERE pk = ? AND sk = 1 AND begins_with(a, 'x')`,
    `DELETE FROM sorted WHERE pk = 'x' AND sk = 1 RETURNING ALL OLD *`,
    `INSERT INTO sorted VALUE {'pk': 'x', 'sk': 1, 'a': [1, <<'y'>>]}`,
    `EXISTS(SELECT * FROM sorted WHERE pk = 'x' AND sk = 1 AND a > 1)`,
  ];
  let translated = 0;
  for (let run = 0; run < 3000; run++) {
    const tokens = valid[Math.floor(random() * valid.length)]!.split(' ');
    const edits = Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * tokens.length);
      const word = words[Math.floor(random() * words.length)]!;
      const kind = Math.floor(random() * 3);
      if (kind === 0) tokens.splice(at, 0, word);
      else if (kind === 1) tokens[at] = word;
      else tokens.splice(at, 1);
    }
    const text = tokens.join(' ');
    const parameters = Array.from({ length: Math.floor(random() * 3) }, () => S('p'));
    for (const surface of ['statement', 'batch', 'transaction'] as const) {
      try {
        plan(text, parameters, surface);
        translated++;
      } catch (e) {
        assert.ok(e instanceof DynamoError && e.kind.name === 'ValidationException', `${text}: ${(e as Error).stack}`);
      }
    }
  }
  assert.ok(translated > 0);
});
