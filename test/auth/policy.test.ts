// IAM-style policies: wildcards, deny overriding allow, the resources each request needs,
// DynamoDB's AccessDeniedException message, and the validation of auth.credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decision, Policy, accessDenied, type PolicyStatement } from '../../src/auth/policy.ts';
import { resourcesOf } from '../../src/auth/request-resources.ts';
import { credentialsProblem } from '../../src/auth/credentials.ts';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { Credential } from '../../src/auth/credentials.ts';
import { errorBody } from '../../src/protocol/wire.ts';

const arn = (table: string, region = 'us-east-1') => `arn:aws:dynamodb:${region}:000000000000:table/${table}`;

test('actions and resources match with IAM wildcards; actions ignore case, ARNs do not', () => {
  const cases: Array<[PolicyStatement[], string, string, Decision]> = [
    [[{ Effect: 'Allow', Action: '*' }], 'dynamodb:PutItem', arn('T'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }], 'dynamodb:PutItem', arn('T'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:Get*' }], 'dynamodb:GetItem', arn('T'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:Get*' }], 'dynamodb:PutItem', arn('T'), Decision.ImplicitDeny],
    [[{ Effect: 'Allow', Action: 'DynamoDB:getitem' }], 'dynamodb:GetItem', arn('T'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:?etItem' }], 'dynamodb:GetItem', arn('T'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'Orders' }], 'dynamodb:GetItem', arn('Orders'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'Orders' }], 'dynamodb:GetItem', arn('Orders', 'eu-west-1'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'Orders' }], 'dynamodb:GetItem', arn('orders'), Decision.ImplicitDeny],
    [[{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'Orders' }], 'dynamodb:GetItem', arn('OrdersArchive'), Decision.ImplicitDeny],
    [[{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: 'Orders' }], 'dynamodb:Query', `${arn('Orders')}/index/ByDate`, Decision.ImplicitDeny],
    [[{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: 'Orders*' }], 'dynamodb:Query', `${arn('Orders')}/index/ByDate`, Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:us-east-1:*:table/app-*' }], 'dynamodb:PutItem', arn('app-users'), Decision.Allow],
    [[{ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:us-east-1:*:table/app-*' }], 'dynamodb:PutItem', arn('app-users', 'us-west-2'), Decision.ImplicitDeny],
    [[{ Effect: 'Allow', Action: 'dynamodb:*', Resource: ['Orders', 'Users'] }], 'dynamodb:PutItem', arn('Users'), Decision.Allow],
    // Deny overrides allow, whatever the order of the statements.
    [[{ Effect: 'Allow', Action: '*' }, { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: 'Orders' }], 'dynamodb:DeleteItem', arn('Orders'), Decision.ExplicitDeny],
    [[{ Effect: 'Deny', Action: 'dynamodb:Delete*', Resource: 'Orders' }, { Effect: 'Allow', Action: '*' }], 'dynamodb:DeleteItem', arn('Orders'), Decision.ExplicitDeny],
    [[{ Effect: 'Allow', Action: '*' }, { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: 'Orders' }], 'dynamodb:DeleteItem', arn('Users'), Decision.Allow],
    [[{ Effect: 'Deny', Action: 'dynamodb:PutItem' }], 'dynamodb:PutItem', arn('T'), Decision.ExplicitDeny],
    [[], 'dynamodb:GetItem', arn('T'), Decision.ImplicitDeny],
  ];
  for (const [statements, action, resource, expected] of cases) {
    assert.equal(new Policy(statements).evaluate(action, resource), expected, `${JSON.stringify(statements)} ${action} ${resource}`);
  }
});

test('the decision is known without the body when no statement for the action names a resource', () => {
  const readOnly = new Policy([{ Effect: 'Allow', Action: ['dynamodb:Get*', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:Describe*', 'dynamodb:List*'] }]);
  assert.equal(readOnly.decisionWithoutResource('dynamodb:GetItem'), Decision.Allow);
  assert.equal(readOnly.decisionWithoutResource('dynamodb:PutItem'), Decision.ImplicitDeny);
  const perTable = new Policy([{ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'Orders' }]);
  assert.equal(perTable.decisionWithoutResource('dynamodb:GetItem'), null);
  const denyOne = new Policy([{ Effect: 'Allow', Action: '*' }, { Effect: 'Deny', Action: 'dynamodb:DeleteTable', Resource: 'Orders' }]);
  assert.equal(denyOne.decisionWithoutResource('dynamodb:GetItem'), Decision.Allow);
  assert.equal(denyOne.decisionWithoutResource('dynamodb:DeleteTable'), null);
  const denyAll = new Policy([{ Effect: 'Allow', Action: '*' }, { Effect: 'Deny', Action: 'dynamodb:DeleteTable' }]);
  assert.equal(denyAll.decisionWithoutResource('dynamodb:DeleteTable'), Decision.ExplicitDeny);
});

test('the resources a request needs: TableName, indexes, every batch table, every transaction item, account-wide operations', () => {
  assert.deepEqual(resourcesOf('GetItem', { TableName: 'Orders', Key: {} }, 'us-east-1'), [{ action: 'dynamodb:GetItem', resource: arn('Orders') }]);
  assert.deepEqual(resourcesOf('Query', { TableName: 'Orders', IndexName: 'ByDate' }, 'eu-west-1'), [
    { action: 'dynamodb:Query', resource: `${arn('Orders', 'eu-west-1')}/index/ByDate` },
  ]);
  assert.deepEqual(resourcesOf('BatchWriteItem', { RequestItems: { Orders: [], Users: [] } }, 'us-east-1'), [
    { action: 'dynamodb:BatchWriteItem', resource: arn('Orders') },
    { action: 'dynamodb:BatchWriteItem', resource: arn('Users') },
  ]);
  assert.deepEqual(
    resourcesOf(
      'TransactWriteItems',
      { TransactItems: [{ Put: { TableName: 'A' } }, { Update: { TableName: 'B' } }, { Delete: { TableName: 'C' } }, { ConditionCheck: { TableName: 'D' } }] },
      'us-east-1',
    ),
    [
      { action: 'dynamodb:PutItem', resource: arn('A') },
      { action: 'dynamodb:UpdateItem', resource: arn('B') },
      { action: 'dynamodb:DeleteItem', resource: arn('C') },
      { action: 'dynamodb:ConditionCheckItem', resource: arn('D') },
    ],
  );
  assert.deepEqual(resourcesOf('TransactGetItems', { TransactItems: [{ Get: { TableName: 'A' } }] }, 'us-east-1'), [{ action: 'dynamodb:GetItem', resource: arn('A') }]);
  assert.deepEqual(resourcesOf('ListTables', {}, 'us-east-1'), [{ action: 'dynamodb:ListTables', resource: arn('*') }]);
  // PartiQL: each statement's PartiQL action on the table (or index) it names.
  assert.deepEqual(resourcesOf('ExecuteStatement', { Statement: 'SELECT * FROM "Orders"."ByDate" WHERE d = 1' }, 'us-east-1'), [{ action: 'dynamodb:PartiQLSelect', resource: `${arn('Orders')}/index/ByDate` }]);
  assert.deepEqual(
    resourcesOf('BatchExecuteStatement', { Statements: [{ Statement: "INSERT INTO \"A\" VALUE {'pk': 1}" }, { Statement: 'DELETE FROM "B" WHERE pk = 1' }] }, 'us-east-1'),
    [
      { action: 'dynamodb:PartiQLInsert', resource: arn('A') },
      { action: 'dynamodb:PartiQLDelete', resource: arn('B') },
    ],
  );
  assert.deepEqual(resourcesOf('ExecuteTransaction', { TransactStatements: [{ Statement: 'UPDATE "C" SET v = 1 WHERE pk = 1' }] }, 'us-east-1'), [{ action: 'dynamodb:PartiQLUpdate', resource: arn('C') }]);
  assert.deepEqual(resourcesOf('TagResource', { ResourceArn: arn('T') }, 'us-east-1'), [{ action: 'dynamodb:TagResource', resource: arn('T') }]);
  assert.deepEqual(resourcesOf('UntagResource', { ResourceArn: arn('T'), TagKeys: ['k'] }, 'us-east-1'), [{ action: 'dynamodb:UntagResource', resource: arn('T') }]);
  assert.deepEqual(resourcesOf('ListTagsOfResource', { ResourceArn: arn('T') }, 'us-east-1'), [{ action: 'dynamodb:ListTagsOfResource', resource: arn('T') }]);
  // A table created with tags is tagged too, so IAM asks for TagResource on it; without tags, not.
  assert.deepEqual(resourcesOf('CreateTable', { TableName: 'T', Tags: [{ Key: 'k', Value: 'v' }] }, 'us-east-1'), [
    { action: 'dynamodb:CreateTable', resource: arn('T') },
    { action: 'dynamodb:TagResource', resource: arn('T') },
  ]);
  assert.deepEqual(resourcesOf('CreateTable', { TableName: 'T', Tags: [] }, 'us-east-1'), [{ action: 'dynamodb:CreateTable', resource: arn('T') }]);
  // DescribeEndpoints and DescribeLimits name no resource: only a policy on "*" covers them.
  assert.deepEqual(resourcesOf('DescribeEndpoints', {}, 'us-east-1'), [{ action: 'dynamodb:DescribeEndpoints', resource: '*' }]);
  assert.deepEqual(resourcesOf('DescribeLimits', {}, 'us-east-1'), [{ action: 'dynamodb:DescribeLimits', resource: '*' }]);
  // A request naming no table (validation will refuse it) is not covered by a per-table policy.
  assert.deepEqual(resourcesOf('GetItem', { TableName: 7 }, 'us-east-1'), [{ action: 'dynamodb:GetItem', resource: '*' }]);
});

test("AccessDeniedException carries DynamoDB's message, in its Message field", () => {
  const implicit = accessDenied('arn:aws:iam::000000000000:user/reader', 'dynamodb:PutItem', arn('Orders'), Decision.ImplicitDeny);
  assert.deepEqual(JSON.parse(errorBody(implicit)), {
    __type: 'com.amazon.coral.service#AccessDeniedException',
    Message:
      'User: arn:aws:iam::000000000000:user/reader is not authorized to perform: dynamodb:PutItem on resource: ' +
      'arn:aws:dynamodb:us-east-1:000000000000:table/Orders because no identity-based policy allows the dynamodb:PutItem action',
  });
  const explicit = accessDenied('arn:aws:iam::000000000000:user/ops', 'dynamodb:DeleteTable', arn('Orders'), Decision.ExplicitDeny);
  assert.equal(
    explicit.message,
    'User: arn:aws:iam::000000000000:user/ops is not authorized to perform: dynamodb:DeleteTable on resource: ' +
      'arn:aws:dynamodb:us-east-1:000000000000:table/Orders with an explicit deny in an identity-based policy',
  );
  assert.equal(explicit.kind.status, 400);
});

test('authorize reads the body only when it must, and checks every table of a batch', () => {
  const auth = new Authenticator({ credentials: [], clockSkewSeconds: 900 });
  const perTable = new Credential({ accessKeyId: 'o', secretAccessKey: 's', user: 'orders-app', policy: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'Orders' }] });
  const body = (o: unknown) => Buffer.from(JSON.stringify(o));
  auth.authorize(perTable, 'GetItem', body({ TableName: 'Orders' }), 'us-east-1');
  assert.throws(() => auth.authorize(perTable, 'BatchGetItem', body({ RequestItems: { Orders: {}, Users: {} } }), 'us-east-1'), /dynamodb:BatchGetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/Users because/);
  // Not JSON: left to the dispatcher's SerializationException (no table is touched).
  auth.authorize(perTable, 'GetItem', Buffer.from('{nope'), 'us-east-1');
  const everything = new Credential({ accessKeyId: 'a', secretAccessKey: 's' });
  auth.authorize(everything, 'DeleteTable', Buffer.from('not even json'), 'us-east-1');
});

test('auth.credentials is validated entry by entry, naming what is wrong', () => {
  const cases: Array<[unknown, RegExp | null]> = [
    [[{ accessKeyId: 'local', secretAccessKey: 'local' }], null],
    [[{ accessKeyId: 'AKIA1', secretAccessKey: 's', user: 'reader', policy: [{ Sid: 'r', Effect: 'Allow', Action: ['dynamodb:Get*'], Resource: 'T' }] }], null],
    [{}, /must be a list/],
    [[{ accessKeyId: '', secretAccessKey: 's' }], /entry 0: accessKeyId/],
    [[{ accessKeyId: 'a', secretAccessKey: '' }], /entry 0 \(a\): secretAccessKey/],
    [[{ accessKeyId: 'a', secretAccessKey: 's' }, { accessKeyId: 'a', secretAccessKey: 't' }], /accessKeyId "a" appears twice/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', secret: 'x' }], /unknown field "secret"/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', user: 'a b' }], /user must be/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', policy: {} }], /policy must be a list/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', policy: [{ Effect: 'allow', Action: '*' }] }], /statement 0: Effect must be "Allow" or "Deny"/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', policy: [{ Effect: 'Allow', Action: 'GetItem' }] }], /Action "GetItem" must look like "dynamodb:GetItem"/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', policy: [{ Effect: 'Allow', Action: '*', Condition: {} }] }], /unknown statement field "Condition"/],
    [[{ accessKeyId: 'a', secretAccessKey: 's', policy: [{ Effect: 'Allow', Action: '*', Resource: [] }] }], /Resource must be/],
  ];
  for (const [value, expected] of cases) {
    const problem = credentialsProblem(value);
    if (expected === null) assert.equal(problem, null, JSON.stringify(value));
    else assert.match(problem ?? '', expected, JSON.stringify(value));
  }
});

test('an operation that needs other actions is allowed without reading its body only when the policy allows them all everywhere', () => {
  const authenticator = new Authenticator({ credentials: [], clockSkewSeconds: 900 });
  const body = (input: unknown) => Buffer.from(JSON.stringify(input));
  const allowed = (policy: PolicyStatement[], operation: string, input: unknown) => {
    try {
      authenticator.authorize(new Credential({ accessKeyId: 'AKIATEST', secretAccessKey: 's', policy }), operation, body(input), 'us-east-1');
      return true;
    } catch (err) {
      assert.equal((err as Error & { kind?: { name: string } }).kind?.name, 'AccessDeniedException');
      return false;
    }
  };
  const createOnly: PolicyStatement[] = [{ Effect: 'Allow', Action: 'dynamodb:CreateTable', Resource: '*' }];
  assert.equal(allowed(createOnly, 'CreateTable', { TableName: 'T' }), true);
  assert.equal(allowed(createOnly, 'CreateTable', { TableName: 'T', Tags: [{ Key: 'k', Value: 'v' }] }), false);
  assert.equal(allowed([...createOnly, { Effect: 'Allow', Action: 'dynamodb:TagResource', Resource: 'T' }], 'CreateTable', { TableName: 'T', Tags: [{ Key: 'k', Value: 'v' }] }), true);
  // IAM has no TransactWriteItems or ExecuteStatement action that grants the item actions.
  const transactOnly: PolicyStatement[] = [{ Effect: 'Allow', Action: ['dynamodb:TransactWriteItems', 'dynamodb:ExecuteStatement'], Resource: '*' }];
  assert.equal(allowed(transactOnly, 'TransactWriteItems', { TransactItems: [{ Put: { TableName: 'T', Item: {} } }] }), false);
  assert.equal(allowed(transactOnly, 'ExecuteStatement', { Statement: 'SELECT * FROM "T"' }), false);
  assert.equal(allowed([{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: 'T' }], 'TransactWriteItems', { TransactItems: [{ Put: { TableName: 'T', Item: {} } }] }), true);
  assert.equal(allowed([{ Effect: 'Allow', Action: '*', Resource: '*' }], 'ExecuteStatement', { Statement: 'SELECT * FROM "T"' }), true);
});
