// PartiQL through the AWS SDK: ExecuteStatement (SELECT as GetItem, Query and Scan, INSERT,
// UPDATE, DELETE, parameters, paging with NextToken, ConsistentRead, ReturnConsumedCapacity,
// ReturnValuesOnConditionCheckFailure, index reads, errors), BatchExecuteStatement and
// ExecuteTransaction (through TransactWriteItems and TransactGetItems).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchExecuteStatementCommand,
  CreateTableCommand,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  type ExecuteTransactionCommandInput,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type ExecuteStatementCommandInput,
} from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Item = Record<string, AttributeValue>;

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.client.send(
    new CreateTableCommand({
      TableName: 'sorted',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(
    new CreateTableCommand({
      TableName: 'hashed',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await s.client.send(
    new CreateTableCommand({
      TableName: 'indexed',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'alt', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
      ],
      LocalSecondaryIndexes: [
        { IndexName: 'byAlt', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'alt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let n = 1; n <= 5; n++) {
    await s.client.send(
      new PutItemCommand({
        TableName: 'sorted',
        Item: { pk: { S: 'q' }, sk: { N: String(n) }, kind: { S: n % 2 === 0 ? 'even' : 'odd' }, tag: { S: `t${n}` } },
      }),
    );
  }
  for (let n = 0; n < 12; n++) {
    await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: `scan-${n}` }, group: { S: n < 7 ? 'a' : 'b' }, n: { N: String(n) } } }));
  }
  await s.client.send(
    new PutItemCommand({
      TableName: 'hashed',
      Item: {
        pk: { S: 'doc' },
        name: { S: 'alpha' },
        m: { M: { sub: { S: 'deep' }, other: { N: '1' } } },
        l: { L: [{ S: 'a' }, { S: 'b' }] },
        ss: { SS: ['x', 'y'] },
        flag: { BOOL: true },
        nul: { NULL: true },
      },
    }),
  );
});
after(async () => {
  await s.stop();
});

function run(input: ExecuteStatementCommandInput) {
  return s.client.send(new ExecuteStatementCommand(input));
}

async function items(Statement: string, Parameters?: AttributeValue[]): Promise<Item[]> {
  return (await run({ Statement, Parameters, ConsistentRead: true })).Items ?? [];
}

async function stored(TableName: string, Key: Item): Promise<Item | undefined> {
  return (await s.client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item;
}

async function rejects(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<Error & Record<string, unknown>> {
  let caught: (Error & Record<string, unknown>) | undefined;
  await assert.rejects(promise, (err: Error & Record<string, unknown>) => {
    caught = err;
    assert.equal(err.name, name, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message !== undefined) assert.match(err.message, message);
    return true;
  });
  return caught!;
}

const malformed = "Statement wasn't well formed, can't be processed: ";

test('SELECT by the whole primary key reads one item (GetItem), or none', async () => {
  assert.deepEqual(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 3`), [{ pk: { S: 'q' }, sk: { N: '3' }, kind: { S: 'odd' }, tag: { S: 't3' } }]);
  assert.deepEqual(await items(`SELECT * FROM sorted WHERE sk = 3 AND pk = 'q'`), [{ pk: { S: 'q' }, sk: { N: '3' }, kind: { S: 'odd' }, tag: { S: 't3' } }]);
  assert.deepEqual(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 99`), []);
  assert.deepEqual(await items(`SELECT tag FROM "sorted" WHERE pk = 'q' AND sk = 2`), [{ tag: { S: 't2' } }]);
});

test('SELECT with equality on the partition key is a Query: sort key conditions, filters, ORDER BY', async () => {
  const sks = (list: Item[]) => list.map((i) => i.sk!.N);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q'`)), ['1', '2', '3', '4', '5']);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND sk > 3`)), ['4', '5']);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND 3 >= sk`)), ['1', '2', '3']);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND sk BETWEEN 2 AND 4`)), ['2', '3', '4']);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND kind = 'even'`)), ['2', '4']);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND sk < 5 AND NOT kind = 'even'`)), ['1', '3']);
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' ORDER BY sk DESC`)), ['5', '4', '3', '2', '1']);
  // Two conditions on the sort key: the statement still answers (as a Scan with a filter).
  assert.deepEqual(sks(await items(`SELECT * FROM "sorted" WHERE pk = 'q' AND sk > 1 AND sk < 4`)), ['2', '3']);
  assert.deepEqual(await items(`SELECT * FROM "sorted" WHERE pk = 'nobody'`), []);
});

test('SELECT without the partition key scans with the WHERE clause as a filter', async () => {
  const pks = (list: Item[]) => list.map((i) => i.pk!.S).sort();
  assert.deepEqual(pks(await items(`SELECT pk FROM "hashed" WHERE "group" = 'b'`)), ['scan-10', 'scan-11', 'scan-7', 'scan-8', 'scan-9']);
  assert.deepEqual(pks(await items(`SELECT pk FROM "hashed" WHERE pk IN ['scan-1', 'scan-2', 'nope']`)), ['scan-1', 'scan-2']);
  assert.deepEqual(pks(await items(`SELECT pk FROM "hashed" WHERE n BETWEEN 3 AND 5 OR pk = 'doc'`)), ['doc', 'scan-3', 'scan-4', 'scan-5']);
  assert.deepEqual(pks(await items(`SELECT pk FROM "hashed" WHERE begins_with(pk, 'scan-1')`)), ['scan-1', 'scan-10', 'scan-11']);
  assert.equal((await items(`SELECT * FROM "hashed"`)).length, 13);
});

test('WHERE functions, IS and comparisons of non-scalar values', async () => {
  const where = async (condition: string, parameters?: AttributeValue[]) => (await items(`SELECT pk FROM "hashed" WHERE pk = 'doc' AND ${condition}`, parameters)).length === 1;
  assert.equal(await where('attribute_exists(m.sub)'), true);
  assert.equal(await where('attribute_not_exists(m.nope)'), true);
  assert.equal(await where('ATTRIBUTE_EXISTS(nope)'), false);
  assert.equal(await where('attribute_exists(ss) = true'), true);
  assert.equal(await where("contains(ss, 'x')"), true);
  assert.equal(await where("attribute_type(ss, 'SS')"), true);
  assert.equal(await where('size(l) = 2'), true);
  assert.equal(await where('size("name") > 5'), false);
  assert.equal(await where('nope IS MISSING'), true);
  assert.equal(await where('"name" IS NOT MISSING'), true);
  assert.equal(await where('nul IS NULL'), true);
  assert.equal(await where('"name" IS NULL'), false);
  assert.equal(await where('flag IS BOOLEAN'), true);
  assert.equal(await where('"name" IS STRING'), true);
  assert.equal(await where('m IS STRUCT AND l IS LIST'), true);
  assert.equal(await where("l[1] = 'b'"), true);
  assert.equal(await where("m['sub'] = 'deep'"), true);
  // INNER is a keyword: after a dot it must be quoted.
  await rejects(run({ Statement: `SELECT * FROM "hashed" WHERE pk = 'doc' AND m.inner = 'x'` }), 'ValidationException', `${malformed}Invalid path dot component`);
  assert.equal(await where('m."sub" = \'deep\''), true);
  assert.equal(await where("ss = <<'y', 'x'>>"), true);
  assert.equal(await where("l = ['b', 'a']"), false);
  assert.equal(await where("m = {'other': 1, 'sub': 'deep'}"), true);
  assert.equal(await where('ss = ?', [{ SS: ['y', 'x'] }]), true);
  assert.equal(await where("NOT begins_with(\"name\", 'al')"), false);
  assert.equal(await where("(\"name\" = 'x' OR flag = TRUE) AND nul = NULL"), true);
});

test('a SELECT list names each column after the last name of its path', async () => {
  assert.deepEqual(await items(`SELECT m.sub, l[0], "name" FROM "hashed" WHERE pk = 'doc'`), [{ sub: { S: 'deep' }, l: { S: 'a' }, name: { S: 'alpha' } }]);
  await rejects(run({ Statement: `SELECT * , pk FROM "hashed" WHERE pk = 'doc'` }), 'ValidationException', "Other attributes should not be present in the projection when '*' is used.");
  const statement = `SELECT attribute_exists(ss) FROM "hashed" WHERE pk = 'doc'`;
  await rejects(run({ Statement: statement }), 'ValidationException', 'Unexpected path component at 1:8:16');
});

test('Limit and NextToken page through a Query and a Scan; a token only continues its own statement', async () => {
  const collect = async (Statement: string, Limit: number) => {
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const res = await run({ Statement, Limit, NextToken, ConsistentRead: true });
      assert.ok((res.Items ?? []).length <= Limit);
      for (const item of res.Items ?? []) seen.push(item.pk!.S! + (item.sk ? `/${item.sk.N}` : ''));
      NextToken = res.NextToken;
      if (NextToken !== undefined) assert.ok(res.LastEvaluatedKey);
      pages++;
    } while (NextToken !== undefined && pages < 50);
    return { seen, pages };
  };
  const query = await collect(`SELECT * FROM "sorted" WHERE pk = 'q'`, 2);
  assert.deepEqual(query.seen, ['q/1', 'q/2', 'q/3', 'q/4', 'q/5']);
  assert.ok(query.pages >= 3);
  const scan = await collect(`SELECT * FROM "hashed" WHERE begins_with(pk, 'scan-')`, 4);
  assert.equal(scan.seen.length, 12);
  assert.equal(new Set(scan.seen).size, 12);
  assert.ok(scan.pages >= 3);

  const first = await run({ Statement: `SELECT * FROM "sorted" WHERE pk = ?`, Parameters: [{ S: 'q' }], Limit: 1 });
  assert.ok(first.NextToken);
  await rejects(run({ Statement: `SELECT * FROM "sorted" WHERE pk = 'q'`, Limit: 1, NextToken: first.NextToken }), 'ValidationException', 'NextToken does not match request');
  await rejects(run({ Statement: `SELECT * FROM "sorted" WHERE pk = ?`, Parameters: [{ S: 'other' }], NextToken: first.NextToken }), 'ValidationException', 'NextToken does not match request');
  await rejects(run({ Statement: `SELECT * FROM "sorted" WHERE pk = ?`, Parameters: [{ S: 'q' }], NextToken: 'garbage' }), 'ValidationException', 'Invalid NextToken');
  // A different Limit continues the same statement.
  const second = await run({ Statement: `SELECT * FROM "sorted" WHERE pk = ?`, Parameters: [{ S: 'q' }], Limit: 10, NextToken: first.NextToken });
  assert.deepEqual(second.Items!.map((i) => i.sk!.N), ['2', '3', '4', '5']);
});

test('INSERT puts a new item and refuses an existing one with DuplicateItemException', async () => {
  const res = await run({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'ins', 'sk': 1, 'm': {'a': [1, 'two', TRUE, NULL]}, 's': <<'x', 'y'>>, 'n': <<1, 2.50>>, 'e': 7.31e2}` });
  assert.deepEqual(res.Items, []);
  assert.deepEqual(await stored('sorted', { pk: { S: 'ins' }, sk: { N: '1' } }), {
    pk: { S: 'ins' },
    sk: { N: '1' },
    m: { M: { a: { L: [{ N: '1' }, { S: 'two' }, { BOOL: true }, { NULL: true }] } } },
    s: { SS: ['x', 'y'] },
    n: { NS: ['1', '2.5'] },
    e: { N: '731' },
  });
  await rejects(run({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'ins', 'sk': 1}` }), 'DuplicateItemException', 'Duplicate primary key exists in table');
  await run({ Statement: `INSERT INTO sorted VALUE {'pk': ?, 'sk': ?, 'v': ?}`, Parameters: [{ S: 'ins' }, { N: '2' }, { M: { deep: { S: 'yes' } } }] });
  assert.deepEqual((await stored('sorted', { pk: { S: 'ins' }, sk: { N: '2' } }))?.v, { M: { deep: { S: 'yes' } } });
  await rejects(run({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'ins'}` }), 'ValidationException', 'Key attribute should be present in the item: Key sk');
  await rejects(run({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'ins', 'sk': 'one'}` }), 'ValidationException', "Key attribute's data type should match its data type in table's schema: Key sk");
  await rejects(run({ Statement: `INSERT INTO "sorted" VALUE ['pk', 'ins']` }), 'ValidationException', 'Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.');
  await rejects(run({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'ins', 'sk': 3, 'big': 1e126}` }), 'ValidationException', 'Number overflow. Attempting to store a number with magnitude larger than supported range under root');
  await rejects(run({ Statement: `INSERT INTO "sorted" VALUE {'pk': 'ins', 'sk': 3, 'l': [1, 1e126]}` }), 'ValidationException', 'Number overflow. Attempting to store a number with magnitude larger than supported range under root[1]');
});

test('UPDATE with SET and REMOVE; the rest of the WHERE clause is its condition; RETURNING', async () => {
  const key = { pk: { S: 'upd' }, sk: { N: '1' } };
  await s.client.send(new PutItemCommand({ TableName: 'sorted', Item: { ...key, n: { N: '5' }, old: { S: 'x' }, l: { L: [{ S: 'a' }] }, ss: { SS: ['a', 'b'] } } }));
  const res = await run({
    Statement: `UPDATE "sorted" SET n = n + 2, l = list_append(l, ['b']) SET ss = set_add(ss, <<'c'>>) REMOVE old WHERE pk = 'upd' AND sk = 1 AND n = 5`,
  });
  assert.deepEqual(res.Items, []);
  assert.deepEqual(await stored('sorted', key), { ...key, n: { N: '7' }, l: { L: [{ S: 'a' }, { S: 'b' }] }, ss: { SS: ['a', 'b', 'c'] } });

  await run({ Statement: `UPDATE "sorted" SET ss = set_delete(ss, <<'a', 'b', 'c'>>) WHERE pk = 'upd' AND sk = 1` });
  assert.equal((await stored('sorted', key))?.ss, undefined);

  const modified = await run({ Statement: `UPDATE "sorted" SET n = 8 WHERE pk = 'upd' AND sk = 1 RETURNING MODIFIED OLD *` });
  assert.deepEqual(modified.Items, [{ n: { N: '7' } }]);
  const allNew = await run({ Statement: `UPDATE "sorted" SET t = ? WHERE pk = ? AND sk = ? RETURNING ALL NEW *`, Parameters: [{ S: 'new' }, { S: 'upd' }, { N: '1' }] });
  assert.deepEqual(allNew.Items, [{ ...key, n: { N: '8' }, l: { L: [{ S: 'a' }, { S: 'b' }] }, t: { S: 'new' } }]);
  const none = await run({ Statement: `UPDATE "sorted" SET brand = 'new' WHERE pk = 'upd' AND sk = 1 RETURNING MODIFIED OLD *` });
  assert.deepEqual(none.Items, []);

  // A condition that does not hold; with ALL_OLD the item comes back with the error.
  const failed = await rejects(
    run({ Statement: `UPDATE "sorted" SET n = 0 WHERE pk = 'upd' AND sk = 1 AND n = 100`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    'ConditionalCheckFailedException',
    'The conditional request failed',
  );
  assert.deepEqual((failed.Item as Item).n, { N: '8' });
  // UPDATE never creates an item.
  await rejects(run({ Statement: `UPDATE "sorted" SET n = 1 WHERE pk = 'upd' AND sk = 99` }), 'ConditionalCheckFailedException');
  assert.equal(await stored('sorted', { pk: { S: 'upd' }, sk: { N: '99' } }), undefined);
  // FROM-first form.
  await run({ Statement: `FROM "sorted" WHERE pk = 'upd' AND sk = 1 SET ff = 1 REMOVE t` });
  const after = await stored('sorted', key);
  assert.deepEqual([after?.ff, after?.t], [{ N: '1' }, undefined]);

  await rejects(run({ Statement: `UPDATE "sorted" SET n = 1 WHERE pk = 'upd'` }), 'ValidationException', 'Where clause does not contain a mandatory equality on all key attributes');
  await rejects(run({ Statement: `UPDATE "sorted" SET n = 1 WHERE pk = 'upd' OR sk = 1` }), 'ValidationException', 'Where clause does not contain a mandatory equality on all key attributes');
  await rejects(run({ Statement: `UPDATE "sorted" SET sk = 2 WHERE pk = 'upd' AND sk = 1` }), 'ValidationException', /This attribute is part of the key/);
  const misassigned = `UPDATE "sorted" SET t = set_add(ss, <<'x'>>) WHERE pk = 'upd' AND sk = 1`;
  await rejects(run({ Statement: misassigned }), 'ValidationException', `The first argument to SET_ADD must equal the assignment value at 1:${misassigned.indexOf('set_add') + 1}:7`);
  await rejects(run({ Statement: `UPDATE "sorted" SET n = 'a' WHERE pk = 'upd' AND sk = 1 AND n < TRUE` }), 'ValidationException', 'Incorrect operand type for operator or function; operator or function: <, operand type: BOOL');
});

test('DELETE: by key, with a condition, RETURNING ALL OLD *', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'del-1' }, name: { S: 'alpha' } } }));
  await rejects(run({ Statement: `DELETE FROM "hashed" WHERE pk = 'del-1' AND "name" = 'beta'` }), 'ConditionalCheckFailedException');
  assert.ok(await stored('hashed', { pk: { S: 'del-1' } }));
  await rejects(
    run({ Statement: `DELETE FROM "hashed" WHERE pk = 'del-1' RETURNING MODIFIED OLD *` }),
    'ValidationException',
    'Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements.',
  );
  const res = await run({ Statement: `DELETE FROM "hashed" WHERE pk = 'del-1' AND "name" = 'alpha' RETURNING ALL OLD *` });
  assert.deepEqual(res.Items, [{ pk: { S: 'del-1' }, name: { S: 'alpha' } }]);
  assert.equal(await stored('hashed', { pk: { S: 'del-1' } }), undefined);
  // An item that is not there: nothing to check, nothing to delete.
  assert.deepEqual((await run({ Statement: `DELETE FROM "hashed" WHERE pk = 'del-1' AND "name" = 'x'` })).Items, []);
  assert.deepEqual((await run({ Statement: `DELETE FROM "hashed" WHERE pk = 'del-1' RETURNING ALL OLD *` })).Items, []);
  await rejects(run({ Statement: `DELETE FROM "hashed" WHERE "name" = 'alpha'` }), 'ValidationException', 'Where clause does not contain a mandatory equality on all key attributes');
  await rejects(run({ Statement: `DELETE FROM "hashed"` }), 'ValidationException', 'Where clause does not contain a mandatory equality on all key attributes');
});

test('ConsistentRead and ReturnConsumedCapacity', async () => {
  const read = await run({ Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1`, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' });
  assert.equal(read.ConsumedCapacity?.TableName, 'sorted');
  assert.equal(read.ConsumedCapacity?.CapacityUnits, 1);
  const eventual = await run({ Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1`, ReturnConsumedCapacity: 'TOTAL' });
  assert.equal(eventual.ConsumedCapacity?.CapacityUnits, 0.5);
  const write = await run({ Statement: `INSERT INTO "hashed" VALUE {'pk': 'cc'}`, ReturnConsumedCapacity: 'TOTAL' });
  assert.equal(write.ConsumedCapacity?.CapacityUnits, 1);
  const none = await run({ Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1` });
  assert.equal(none.ConsumedCapacity, undefined);
});

test('SELECT from an index: Query by the index key, Scan otherwise; no strongly consistent GSI reads', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'indexed', Item: { pk: { S: 'a' }, sk: { S: '1' }, status: { S: 'open' }, alt: { S: 'z' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'indexed', Item: { pk: { S: 'a' }, sk: { S: '2' }, status: { S: 'closed' }, alt: { S: 'y' } } }));
  await s.server.propagator.drained('indexed');
  const open = await run({ Statement: `SELECT * FROM "indexed"."byStatus" WHERE status = 'open'` });
  assert.deepEqual(open.Items?.map((i) => i.sk!.S), ['1']);
  const scanned = await run({ Statement: `SELECT * FROM "indexed"."byStatus" WHERE pk = 'a'` });
  assert.deepEqual(scanned.Items?.map((i) => i.sk!.S).sort(), ['1', '2']);
  const lsi = await run({ Statement: `SELECT * FROM "indexed"."byAlt" WHERE pk = 'a' ORDER BY alt`, ConsistentRead: true });
  assert.deepEqual(lsi.Items?.map((i) => i.alt!.S), ['y', 'z']);
  await rejects(run({ Statement: `SELECT * FROM "indexed"."byStatus" WHERE status = 'open'`, ConsistentRead: true }), 'ValidationException', 'Strongly consistent read is not supported on Global Secondary Indexes');
  await rejects(run({ Statement: `SELECT * FROM "indexed"."nope" WHERE status = 'open'` }), 'ValidationException', 'The table does not have the specified index: nope');
  await rejects(run({ Statement: `DELETE FROM "indexed"."byStatus" WHERE pk = 'a' AND sk = '1'` }), 'ValidationException', 'This operation is not supported on an index');
});

test('parameters: bound in statement order, counted, and checked as DynamoDB reads them', async () => {
  assert.equal((await items(`SELECT * FROM "sorted" WHERE pk = ? AND sk = ?`, [{ S: 'q' }, { N: '2' }])).length, 1);
  await rejects(run({ Statement: `SELECT * FROM "sorted" WHERE pk = ?`, Parameters: [{ S: 'q' }, { N: '2' }] }), 'ValidationException', "Number of parameters in request and statement don't match.");
  await rejects(run({ Statement: `SELECT * FROM "sorted" WHERE pk = ? AND sk = ?` }), 'ValidationException', "Number of parameters in request and statement don't match.");
  await rejects(run({ Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = ?`, Parameters: [{ N: '1e99999999999' }] }), 'ValidationException', 'The parameter cannot be converted to a numeric value: 1e99999999999');
});

test('malformed statements and refused forms answer with DynamoDB messages', async () => {
  const cases: [string, string][] = [
    [`SELECT * FROM "sorted" WHERE`, `${malformed}Unexpected term`],
    [`SELECT * FROM "sorted" WHERE pk = 'q' AND`, `${malformed}Missing right-hand side expression of infix operator`],
    [`SELECT * FROM "sorted" WHERE pk = 'q' foo`, `${malformed}Unexpected token after expression`],
    [`SELECT * FROM "sorted" WHERE ORDER BY pk`, `${malformed}Unexpected keyword`],
    [`SELECT * FROM "sorted" WHERE IS NULL`, `${malformed}Unexpected operator`],
    [`SELECT * FROM "sorted" WHERE pk = 'q' AND x IS FOO`, `${malformed}Expected type name`],
    [`DELETE FROM WHERE pk = 'a'`, `${malformed}Expected identifier for simple path`],
    [`SELECT * FROM "sorted" WHERE pk = 1 # note`, malformed],
    [`SELECT * FROM "sorted" WHERE pk = 1e2147483648`, malformed],
    [`SELECT * FROM "sorted" t WHERE pk = 'x'`, 'Aliasing is not supported'],
    [`SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1e-131`, 'Number underflow. Attempting to store a number with magnitude smaller than supported range under root'],
    [`SELECT * FROM "sorted" WHERE pk = 'q' AND x = MISSING`, 'MISSING must be compared using IS operator'],
    [`EXISTS(SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1 AND x IS MISSING)`, 'EXISTS can only be used in ExecuteTransaction write requests.'],
    [`x IS INT4`, 'Unsupported operation: IsType'],
    [`INSERT INTO "sorted" VALUE {'pk': 'a', 'sk': 1} RETURNING ALL OLD *`, 'RETURNING is not supported in INSERT'],
  ];
  for (const [statement, message] of cases) {
    await rejects(run({ Statement: statement }), 'ValidationException', message);
  }
  const where = `SELECT * FROM "sorted" WHERE pk = 'q' AND EXISTS(x)`;
  await rejects(run({ Statement: where }), 'ValidationException', `Unrecognized function: exists at 1:${where.indexOf('EXISTS') + 1}:6`);
  await rejects(run({ Statement: `SELECT * FROM "missing-table" WHERE pk = 'q'` }), 'ResourceNotFoundException', 'Requested resource not found');
  // The statement is read before the table is looked up.
  await rejects(run({ Statement: `SELECT * FROM "missing-table" WHERE` }), 'ValidationException', `${malformed}Unexpected term`);
  await rejects(run({ Statement: '' }), 'ValidationException', /Member must have length greater than or equal to 1/);
});

test('BatchExecuteStatement: reads by whole key, per-statement errors, all reads or all writes', async () => {
  const reads = await s.client.send(
    new BatchExecuteStatementCommand({
      Statements: [
        { Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1`, ConsistentRead: true },
        { Statement: `SELECT tag FROM "sorted" WHERE pk = ? AND sk = ?`, Parameters: [{ S: 'q' }, { N: '2' }] },
        { Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 42` },
        { Statement: `SELECT * FROM "sorted" WHERE pk = 'q'` },
        { Statement: `SELECT * FROM "sorted" WHERE` },
        { Statement: `SELECT * FROM "nope" WHERE pk = 'q' AND sk = 1` },
      ],
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  const r = reads.Responses!;
  assert.equal(r.length, 6);
  assert.deepEqual(r[0], { TableName: 'sorted', Item: { pk: { S: 'q' }, sk: { N: '1' }, kind: { S: 'odd' }, tag: { S: 't1' } } });
  assert.deepEqual(r[1], { TableName: 'sorted', Item: { tag: { S: 't2' } } });
  assert.deepEqual(r[2], { TableName: 'sorted' });
  assert.deepEqual(r[3], { TableName: 'sorted', Error: { Code: 'ValidationError', Message: 'Select statements within BatchExecuteStatement must specify the primary key in the where clause.' } });
  assert.deepEqual(r[4], { Error: { Code: 'ValidationError', Message: `${malformed}Unexpected term` } });
  assert.deepEqual(r[5], { TableName: 'nope', Error: { Code: 'ResourceNotFound', Message: 'Requested resource not found' } });
  assert.equal(reads.ConsumedCapacity?.length, 1);
  assert.equal(reads.ConsumedCapacity?.[0]?.TableName, 'sorted');
  assert.equal(reads.ConsumedCapacity?.[0]?.CapacityUnits, 2);

  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'b-exists' }, v: { N: '1' } } }));
  const writes = await s.client.send(
    new BatchExecuteStatementCommand({
      Statements: [
        { Statement: `INSERT INTO "hashed" VALUE {'pk': 'b-new'}` },
        { Statement: `INSERT INTO "hashed" VALUE {'pk': 'b-exists'}` },
        { Statement: `UPDATE "hashed" SET v = 2 WHERE pk = 'b-exists' AND v = 5`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        { Statement: `UPDATE "hashed" SET w = 3 WHERE pk = ?`, Parameters: [{ S: 'b-exists' }] },
        { Statement: `DELETE FROM "hashed" WHERE pk = 'cc'` },
      ],
    }),
  );
  const w = writes.Responses!;
  assert.deepEqual(w[0], { TableName: 'hashed' });
  assert.deepEqual(w[1], { TableName: 'hashed', Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } });
  assert.deepEqual(w[2], { TableName: 'hashed', Error: { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'b-exists' }, v: { N: '1' } } } });
  assert.deepEqual(w[3], { TableName: 'hashed' });
  assert.deepEqual(w[4], { TableName: 'hashed' });
  assert.ok(await stored('hashed', { pk: { S: 'b-new' } }));
  assert.deepEqual((await stored('hashed', { pk: { S: 'b-exists' } }))?.w, { N: '3' });
  assert.equal(await stored('hashed', { pk: { S: 'cc' } }), undefined);

  await rejects(
    s.client.send(new BatchExecuteStatementCommand({ Statements: [{ Statement: `SELECT * FROM "hashed" WHERE pk = 'b-new'` }, { Statement: `DELETE FROM "hashed" WHERE pk = 'b-new'` }] })),
    'ValidationException',
  );
  await rejects(
    s.client.send(new BatchExecuteStatementCommand({ Statements: Array.from({ length: 26 }, (_, i) => ({ Statement: `SELECT * FROM "hashed" WHERE pk = 'p${i}'` })) })),
    'ValidationException',
    /Member must have length less than or equal to 25/,
  );
});

function transact(input: ExecuteTransactionCommandInput) {
  return s.client.send(new ExecuteTransactionCommand(input));
}

test('ExecuteTransaction of writes: INSERT, UPDATE, DELETE and EXISTS all apply, or none does', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'tx-a' }, balance: { N: '100' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'tx-b' }, balance: { N: '0' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'tx-gone' } } }));
  await s.client.send(new PutItemCommand({ TableName: 'sorted', Item: { pk: { S: 'tx-guard' }, sk: { N: '1' }, open: { BOOL: true } } }));
  const res = await transact({
    TransactStatements: [
      { Statement: `UPDATE "hashed" SET balance = balance - ? WHERE pk = 'tx-a' AND balance >= ?`, Parameters: [{ N: '30' }, { N: '30' }] },
      { Statement: `UPDATE "hashed" SET balance = balance + 30 WHERE pk = 'tx-b'` },
      { Statement: `INSERT INTO "hashed" VALUE {'pk': 'tx-new', 'from': 'tx-a'}` },
      { Statement: `DELETE FROM "hashed" WHERE pk = 'tx-gone'` },
      { Statement: `EXISTS(SELECT * FROM "sorted" WHERE pk = 'tx-guard' AND sk = 1 AND "open" = TRUE)` },
      { Statement: `NOT EXISTS(SELECT * FROM "sorted" WHERE pk = 'tx-guard' AND sk = 2 AND "open" = TRUE)` },
    ],
    ReturnConsumedCapacity: 'TOTAL',
  });
  assert.deepEqual(res.Responses, []);
  assert.ok((res.ConsumedCapacity ?? []).length > 0);
  assert.deepEqual((await stored('hashed', { pk: { S: 'tx-a' } }))?.balance, { N: '70' });
  assert.deepEqual((await stored('hashed', { pk: { S: 'tx-b' } }))?.balance, { N: '30' });
  assert.deepEqual(await stored('hashed', { pk: { S: 'tx-new' } }), { pk: { S: 'tx-new' }, from: { S: 'tx-a' } });
  assert.equal(await stored('hashed', { pk: { S: 'tx-gone' } }), undefined);

  // One failed condition cancels everything, reasons in statement order.
  const failed = await rejects(
    transact({
      TransactStatements: [
        { Statement: `UPDATE "hashed" SET balance = balance + 1 WHERE pk = 'tx-b'` },
        { Statement: `UPDATE "hashed" SET balance = balance - 1000 WHERE pk = 'tx-a' AND balance >= 1000`, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        { Statement: `INSERT INTO "hashed" VALUE {'pk': 'tx-new'}` },
        { Statement: `EXISTS(SELECT * FROM "sorted" WHERE pk = 'tx-guard' AND sk = 1 AND "open" = FALSE)` },
      ],
    }),
    'TransactionCanceledException',
    'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, DuplicateItem, ConditionalCheckFailed]',
  );
  const reasons = failed.CancellationReasons as { Code: string; Message?: string; Item?: Item }[];
  assert.deepEqual(reasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed', 'DuplicateItem', 'ConditionalCheckFailed']);
  assert.deepEqual(reasons[1]!.Item, { pk: { S: 'tx-a' }, balance: { N: '70' } });
  assert.equal(reasons[2]!.Message, 'Duplicate primary key exists in table');
  assert.deepEqual((await stored('hashed', { pk: { S: 'tx-b' } }))?.balance, { N: '30' });
});

test('ExecuteTransaction of reads: each SELECT names one item by its key', async () => {
  const res = await transact({
    TransactStatements: [
      { Statement: `SELECT * FROM "sorted" WHERE pk = 'q' AND sk = 1` },
      { Statement: `SELECT m.sub, "name" FROM "hashed" WHERE pk = ?`, Parameters: [{ S: 'doc' }] },
      { Statement: `SELECT * FROM "hashed" WHERE pk = 'nobody'` },
    ],
    ReturnConsumedCapacity: 'TOTAL',
  });
  assert.deepEqual(res.Responses, [
    { Item: { pk: { S: 'q' }, sk: { N: '1' }, kind: { S: 'odd' }, tag: { S: 't1' } } },
    { Item: { sub: { S: 'deep' }, name: { S: 'alpha' } } },
    {},
  ]);
  assert.ok((res.ConsumedCapacity ?? []).length > 0);
});

test('ExecuteTransaction refuses, before running anything, what can never run', async () => {
  const refused = async (statements: string[], message: string | RegExp, name = 'ValidationException') =>
    rejects(transact({ TransactStatements: statements.map((Statement) => ({ Statement })) }), name, message);
  await refused([`SELECT * FROM "sorted" WHERE pk = 'q'`], 'Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause.');
  await refused(
    [`UPDATE "hashed" SET a = 1 WHERE pk = 'x'`, `UPDATE "hashed" SET a = 1 WHERE pk = 'y' RETURNING ALL NEW *`],
    'Validation failed in TransactStatements[1]: RETURNING clause is not supported in ExecuteTransaction.',
  );
  await refused([`EXISTS(SELECT * FROM "hashed" WHERE pk = 'doc')`, `UPDATE "hashed" SET a = 1 WHERE pk = 'y'`], 'Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with additional condition');
  await refused([`SELECT * FROM "hashed" WHERE`], `Validation failed in TransactStatements[0]: ${malformed}Unexpected term`);
  await refused([`SELECT * FROM "indexed"."byStatus" WHERE status = 'open'`], 'Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions.');
  await refused([`SELECT * FROM "hashed" WHERE pk = 'doc'`, `DELETE FROM "hashed" WHERE pk = 'doc'`], /either read statements or write statements/);
  await refused([`SELECT * FROM "missing-table" WHERE pk = 'doc'`], 'Requested resource not found', 'ResourceNotFoundException');
  // As DynamoDB Local answers them: a write naming no single item, and an INSERT without its key, cancel.
  await refused([`UPDATE "sorted" SET a = 1 WHERE pk = 'q'`], 'ValidationError Where clause does not contain a mandatory equality on all key attributes', 'TransactionCanceledException');
  const missingKey = await refused(
    [`DELETE FROM "hashed" WHERE pk = 'x'`, `INSERT INTO "sorted" VALUE {'pk': 'x'}`],
    'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]',
    'TransactionCanceledException',
  );
  assert.deepEqual(missingKey.CancellationReasons, [{ Code: 'None' }, { Code: 'ValidationError', Message: 'Key attribute should be present in the item: Key sk' }]);
  await rejects(
    transact({ TransactStatements: Array.from({ length: 101 }, (_, i) => ({ Statement: `DELETE FROM "hashed" WHERE pk = 'n${i}'` })) }),
    'ValidationException',
    /Member must have length less than or equal to 100/,
  );
  assert.ok(await stored('hashed', { pk: { S: 'doc' } }));
});

test('ExecuteTransaction with a ClientRequestToken applies once', async () => {
  await s.client.send(new PutItemCommand({ TableName: 'hashed', Item: { pk: { S: 'tx-count' }, n: { N: '0' } } }));
  const request = { TransactStatements: [{ Statement: `UPDATE "hashed" SET n = n + 1 WHERE pk = 'tx-count'` }], ClientRequestToken: 'partiql-token-1' };
  await transact(request);
  await transact(request);
  assert.deepEqual((await stored('hashed', { pk: { S: 'tx-count' } }))?.n, { N: '1' });
  await rejects(
    transact({ TransactStatements: [{ Statement: `UPDATE "hashed" SET n = n + 2 WHERE pk = 'tx-count'` }], ClientRequestToken: 'partiql-token-1' }),
    'IdempotentParameterMismatchException',
  );
});
