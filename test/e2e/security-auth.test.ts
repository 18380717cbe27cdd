// Authentication and authorization end to end: the AWS SDK's real SigV4 signing against a
// server that verifies it, DynamoDB's errors for every way in that is refused, and per-user
// policies (read-only, per-table, deny over allow) on data and admin endpoints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { clientFor, devCredentials, sdkSigner, signedFetch, startTestServer, type TestServer } from '../helpers/server.ts';

const reader = { accessKeyId: 'AKIAREADER', secretAccessKey: 'reader-secret' };
const ordersApp = { accessKeyId: 'AKIAORDERS', secretAccessKey: 'orders-secret' };
const ops = { accessKeyId: 'AKIAOPS', secretAccessKey: 'ops-secret' };

let s: TestServer;
const clients: DynamoDBClient[] = [];
function client(credentials: { accessKeyId: string; secretAccessKey: string }): DynamoDBClient {
  const c = clientFor(s.endpoint, 1, credentials);
  clients.push(c);
  return c;
}

before(async () => {
  s = await startTestServer((c) => {
    c.auth.enabled = true;
    c.auth.credentials = [
      { ...devCredentials },
      {
        ...reader,
        user: 'reader',
        policy: [{ Effect: 'Allow', Action: ['dynamodb:Get*', 'dynamodb:BatchGet*', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:Describe*', 'dynamodb:List*'], Resource: '*' }],
      },
      { ...ordersApp, user: 'orders-app', policy: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: ['Orders', 'Orders/index/*'] }] },
      {
        ...ops,
        user: 'ops',
        policy: [
          { Effect: 'Allow', Action: '*' },
          { Effect: 'Deny', Action: ['dynamodb:DeleteItem', 'dynamodb:DeleteTable'], Resource: 'arn:aws:dynamodb:*:*:table/Orders' },
        ],
      },
    ];
  });
  for (const name of ['Orders', 'Users']) {
    await s.client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await s.client.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'seed' }, v: { N: '1' } } }));
  }
});
after(async () => {
  for (const c of clients) c.destroy();
  await s.stop();
});

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  assert.fail('the request was accepted');
}

test('the AWS SDK signs every operation and the server verifies it (dev credentials, the default)', async () => {
  const c = s.client;
  await c.send(new PutItemCommand({ TableName: 'Users', Item: { id: { S: 'u1' }, name: { S: 'Ada ✓' }, blob: { B: new Uint8Array([0, 255, 7]) } } }));
  assert.equal((await c.send(new GetItemCommand({ TableName: 'Users', Key: { id: { S: 'u1' } }, ConsistentRead: true }))).Item?.name.S, 'Ada ✓');
  await c.send(new BatchWriteItemCommand({ RequestItems: { Users: [{ PutRequest: { Item: { id: { S: 'u2' }, pad: { S: 'x'.repeat(300_000) } } } }] } }));
  const got = await c.send(new BatchGetItemCommand({ RequestItems: { Users: { Keys: [{ id: { S: 'u1' } }, { id: { S: 'u2' } }] }, Orders: { Keys: [{ id: { S: 'seed' } }] } } }));
  assert.equal(got.Responses!.Users.length, 2);
  assert.equal((await c.send(new QueryCommand({ TableName: 'Users', KeyConditionExpression: 'id = :i', ExpressionAttributeValues: { ':i': { S: 'u1' } } }))).Count, 1);
  assert.deepEqual((await c.send(new ListTablesCommand({}))).TableNames, ['Orders', 'Users']);
  // The document client signs the same way.
  assert.equal((await s.doc.send(new ScanCommand({ TableName: 'Orders' }))).Count, 1);
});

test('an unknown access key is UnrecognizedClientException; a wrong secret is InvalidSignatureException', async () => {
  const stranger = await rejection(client({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' }).send(new ListTablesCommand({})));
  assert.deepEqual(stranger, { name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 400 });
  const wrongSecret = await rejection(client({ accessKeyId: 'local', secretAccessKey: 'guess' }).send(new ListTablesCommand({})));
  assert.deepEqual(wrongSecret, {
    name: 'InvalidSignatureException',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    status: 400,
  });
});

test('unsigned, malformed and stale requests get DynamoDB error bodies', async () => {
  const post = async (headers: Record<string, string>, body = '{}') => {
    const res = await fetch(s.endpoint + '/', { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', ...headers }, body });
    return { status: res.status, body: JSON.parse(await res.text()) as Record<string, string> };
  };
  assert.deepEqual(await post({ 'x-amz-target': 'DynamoDB_20120810.ListTables' }), {
    status: 400,
    body: { __type: 'com.amazon.coral.service#MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' },
  });
  // As in DynamoDB, an unknown operation is named before the missing signature.
  assert.deepEqual(await post({ 'x-amz-target': 'DynamoDB_20120810.NoSuchThing' }), { status: 400, body: { __type: 'com.amazon.coral.service#UnknownOperationException' } });
  assert.deepEqual(await post({ 'x-amz-target': 'DynamoDB_20120810.__proto__' }), { status: 400, body: { __type: 'com.amazon.coral.service#UnknownOperationException' } });
  const incomplete = await post({ 'x-amz-target': 'DynamoDB_20120810.ListTables', authorization: 'AWS4-' });
  assert.equal(incomplete.body.__type, 'com.amazon.coral.service#IncompleteSignatureException');

  const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000);
  const stale = await signedFetch(s.endpoint, 'DynamoDB_20120810.ListTables', '{}', { signingDate: twentyMinutesAgo });
  assert.equal(stale.status, 400);
  const staleBody = JSON.parse(await stale.text()) as Record<string, string>;
  assert.equal(staleBody.__type, 'com.amazon.coral.service#InvalidSignatureException');
  assert.match(staleBody.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  // Responses carry a Date header, from which the SDKs correct their clock skew.
  assert.ok(stale.headers.get('date'));

  const fresh = await signedFetch(s.endpoint, 'DynamoDB_20120810.ListTables', '{}');
  assert.equal(fresh.status, 200);
});

test('a presigned (query-string) request signed by the SDK is accepted', async () => {
  const url = new URL(s.endpoint);
  const body = JSON.stringify({ TableName: 'Orders', Key: { id: { S: 'seed' } } });
  const presigned = await sdkSigner().presign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body,
    },
    { expiresIn: 60 },
  );
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const res = await fetch(`${s.endpoint}/?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    body,
  });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(await res.text()), { Item: { id: { S: 'seed' }, v: { N: '1' } } });
});

test('a read-only user reads everything and writes nothing', async () => {
  const c = client(reader);
  assert.equal((await c.send(new GetItemCommand({ TableName: 'Orders', Key: { id: { S: 'seed' } } }))).Item?.v.N, '1');
  assert.equal((await c.send(new ScanCommand({ TableName: 'Users' }))).$metadata.httpStatusCode, 200);
  assert.equal((await c.send(new DescribeTableCommand({ TableName: 'Users' }))).Table?.TableName, 'Users');
  assert.equal((await c.send(new ListTablesCommand({}))).TableNames?.length, 2);
  const put = await rejection(c.send(new PutItemCommand({ TableName: 'Orders', Item: { id: { S: 'x' } } })));
  assert.deepEqual(put, {
    name: 'AccessDeniedException',
    message:
      'User: arn:aws:iam::000000000000:user/reader is not authorized to perform: dynamodb:PutItem on resource: ' +
      'arn:aws:dynamodb:us-east-1:000000000000:table/Orders because no identity-based policy allows the dynamodb:PutItem action',
    status: 400,
  });
  const batch = await rejection(c.send(new BatchWriteItemCommand({ RequestItems: { Users: [{ DeleteRequest: { Key: { id: { S: 'seed' } } } }] } })));
  assert.equal(batch.name, 'AccessDeniedException');
  assert.match(batch.message, /dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/Users because/);
  assert.equal((await rejection(c.send(new DeleteTableCommand({ TableName: 'Users' })))).name, 'AccessDeniedException');
});

test('a per-table user reaches its table only, also inside a batch', async () => {
  const c = client(ordersApp);
  await c.send(new PutItemCommand({ TableName: 'Orders', Item: { id: { S: 'o1' } } }));
  assert.ok((await c.send(new GetItemCommand({ TableName: 'Orders', Key: { id: { S: 'o1' } }, ConsistentRead: true }))).Item);
  const other = await rejection(c.send(new GetItemCommand({ TableName: 'Users', Key: { id: { S: 'seed' } } })));
  assert.equal(
    other.message,
    'User: arn:aws:iam::000000000000:user/orders-app is not authorized to perform: dynamodb:GetItem on resource: ' +
      'arn:aws:dynamodb:us-east-1:000000000000:table/Users because no identity-based policy allows the dynamodb:GetItem action',
  );
  const mixed = await rejection(c.send(new BatchGetItemCommand({ RequestItems: { Orders: { Keys: [{ id: { S: 'o1' } }] }, Users: { Keys: [{ id: { S: 'seed' } }] } } })));
  assert.match(mixed.message, /dynamodb:BatchGetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/Users because/);
  const list = await rejection(c.send(new ListTablesCommand({})));
  assert.match(list.message, /dynamodb:ListTables on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/\* because/);
  // The region of the signature is the region in the ARN.
  const euClient = new DynamoDBClient({ endpoint: s.endpoint, region: 'eu-west-1', credentials: ordersApp, maxAttempts: 1 });
  clients.push(euClient);
  const eu = await rejection(euClient.send(new DescribeTableCommand({ TableName: 'Users' })));
  assert.match(eu.message, /on resource: arn:aws:dynamodb:eu-west-1:000000000000:table\/Users because/);
});

test('an explicit Deny overrides an Allow', async () => {
  const c = client(ops);
  await c.send(new PutItemCommand({ TableName: 'Orders', Item: { id: { S: 'keep' } } }));
  const denied = await rejection(c.send(new DeleteItemCommand({ TableName: 'Orders', Key: { id: { S: 'keep' } } })));
  assert.deepEqual(denied, {
    name: 'AccessDeniedException',
    message:
      'User: arn:aws:iam::000000000000:user/ops is not authorized to perform: dynamodb:DeleteItem on resource: ' +
      'arn:aws:dynamodb:us-east-1:000000000000:table/Orders with an explicit deny in an identity-based policy',
    status: 400,
  });
  assert.ok((await s.client.send(new GetItemCommand({ TableName: 'Orders', Key: { id: { S: 'keep' } }, ConsistentRead: true }))).Item, 'the item is still there');
  await c.send(new PutItemCommand({ TableName: 'Users', Item: { id: { S: 'gone' } } }));
  await c.send(new DeleteItemCommand({ TableName: 'Users', Key: { id: { S: 'gone' } } }));
  assert.equal((await rejection(c.send(new DeleteTableCommand({ TableName: 'Orders' })))).name, 'AccessDeniedException');
});

test('admin endpoints under /_monodyne/ need the same credentials and policies', async () => {
  const unsigned = await fetch(`${s.endpoint}/_monodyne/partitions`);
  assert.equal(unsigned.status, 400);
  assert.equal((JSON.parse(await unsigned.text()) as Record<string, string>).__type, 'com.amazon.coral.service#MissingAuthenticationTokenException');
  const signedGet = async (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const url = new URL('/_monodyne/partitions', s.endpoint);
    const signed = await sdkSigner(credentials).sign({
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host },
    });
    return fetch(url, { headers: signed.headers as Record<string, string> });
  };
  const ok = await signedGet(devCredentials);
  assert.equal(ok.status, 200);
  assert.ok(Array.isArray((JSON.parse(await ok.text()) as { tables: unknown[] }).tables));
  const denied = await signedGet(reader);
  assert.equal(denied.status, 400);
  assert.equal(
    (JSON.parse(await denied.text()) as Record<string, string>).Message,
    'User: arn:aws:iam::000000000000:user/reader is not authorized to perform: monodyne:GetPartitions on resource: ' +
      'arn:aws:monodyne:us-east-1:000000000000:admin/partitions because no identity-based policy allows the monodyne:GetPartitions action',
  );
});
