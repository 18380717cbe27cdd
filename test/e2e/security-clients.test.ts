// The other signers DynamoDB users bring: boto3, the AWS CLI and curl --aws-sigv4 sign their
// own canonical requests; each must verify (and a wrong secret must not). Each case is skipped
// where that client is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer((c) => {
    c.auth.enabled = true;
  });
});
after(async () => {
  await s.stop();
});

/** Runs a client asynchronously: the server under test lives in this process's event loop. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0, stdout, stderr });
    });
  });
}

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const hasBoto3 = has('python3', ['-c', 'import boto3']);
const hasAwsCli = has('aws', ['--version']);
const hasCurlSigV4 = has('curl', ['--help', 'all']) && spawnSync('curl', ['--help', 'all'], { encoding: 'utf8' }).stdout.includes('--aws-sigv4');

const boto3Script = `
import sys, boto3, botocore
endpoint = sys.argv[1]
def client(secret):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-central-1", aws_access_key_id="local", aws_secret_access_key=secret)
c = client("local")
c.create_table(TableName="Books", KeySchema=[{"AttributeName": "isbn", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "isbn", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="eu-central-1", aws_access_key_id="local", aws_secret_access_key="local").Table("Books")
table.put_item(Item={"isbn": "978-0", "title": "Dune \\u2713", "pages": 412})
print("item", table.get_item(Key={"isbn": "978-0"}, ConsistentRead=True)["Item"]["title"])
try:
    client("wrong").list_tables()
except botocore.exceptions.ClientError as e:
    print("error", e.response["Error"]["Code"])
`;

test('boto3 signs, the server verifies (and refuses a wrong secret)', { skip: !hasBoto3 && 'boto3 is not installed' }, async () => {
  const result = await run('python3', ['-c', boto3Script, s.endpoint]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^item Dune ✓$/m);
  assert.match(result.stdout, /^error InvalidSignatureException$/m);
});

test('the AWS CLI signs, the server verifies (and refuses an unknown key)', { skip: !hasAwsCli && 'the AWS CLI is not installed' }, async () => {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: 'us-west-2', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  const aws = (args: string[], extraEnv: Record<string, string> = {}) => run('aws', ['dynamodb', ...args, '--endpoint-url', s.endpoint, '--output', 'json'], { ...env, ...extraEnv });
  const created = await aws(['create-table', '--table-name', 'Cli', '--attribute-definitions', 'AttributeName=k,AttributeType=S', '--key-schema', 'AttributeName=k,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST']);
  assert.equal(created.status, 0, created.stderr);
  assert.equal((await aws(['put-item', '--table-name', 'Cli', '--item', '{"k": {"S": "a b/c?d=e&f"}}'])).status, 0);
  const scanned = await aws(['scan', '--table-name', 'Cli']);
  assert.equal((JSON.parse(scanned.stdout) as { Count: number }).Count, 1);
  const stranger = await aws(['list-tables'], { AWS_ACCESS_KEY_ID: 'stranger' });
  assert.notEqual(stranger.status, 0);
  assert.match(stranger.stderr, /UnrecognizedClientException/);
});

test('curl --aws-sigv4 signs, the server verifies, for the API and the admin endpoints', { skip: !hasCurlSigV4 && 'curl has no --aws-sigv4' }, async () => {
  const curl = (args: string[]) => run('curl', ['-s', '--aws-sigv4', 'aws:amz:us-east-1:dynamodb', ...args]);
  const list = await curl(['--user', 'local:local', '-H', 'X-Amz-Target: DynamoDB_20120810.ListTables', '-H', 'Content-Type: application/x-amz-json-1.0', '-d', '{}', `${s.endpoint}/`]);
  assert.ok(Array.isArray((JSON.parse(list.stdout) as { TableNames: string[] }).TableNames), list.stdout);
  const admin = await curl(['--user', 'local:local', `${s.endpoint}/_monodyne/partitions`]);
  assert.ok('tables' in (JSON.parse(admin.stdout) as object), admin.stdout);
  const wrong = await curl(['--user', 'local:nope', `${s.endpoint}/_monodyne/partitions`]);
  assert.equal((JSON.parse(wrong.stdout) as { __type: string }).__type, 'com.amazon.coral.service#InvalidSignatureException');
});
