// README's *Supported operations* against the server and the SDK: every operation of the AWS
// SDK's DynamoDB client is either in the table (and served) or in the "Not yet supported" list
// (and answers UnknownOperationException), never both and never neither.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sdk from '@aws-sdk/client-dynamodb';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
/** Every operation of DynamoDB's API, as the SDK has a command for each. */
const sdkOperations = new Set(Object.keys(sdk).filter((name) => /^[A-Z]\w+Command$/.test(name)).map((name) => name.slice(0, -'Command'.length)));

/** The table's rows: each operation named, and whether its row says it is served (anything but "not yet ..."). */
function tableRows(): Array<{ name: string; served: boolean }> {
  const section = readme.slice(readme.indexOf('## Supported operations'), readme.indexOf('<!-- not-supported -->'));
  const out: Array<{ name: string; served: boolean }> = [];
  for (const row of section.matchAll(/^\| ([A-Z][\w, ]+) \| (.*) \|$/gm)) for (const name of row[1].split(', ')) out.push({ name, served: !row[2].startsWith('not yet') });
  return out;
}

function supportedInReadme(): Set<string> {
  return new Set(tableRows().filter((r) => r.served).map((r) => r.name));
}

/** Operations of the SDK's client the README says are missing: its table's "not yet" rows and its list. */
function missingInReadme(): Set<string> {
  const block = /<!-- not-supported -->([\s\S]*?)<!-- \/not-supported -->/.exec(readme);
  assert.ok(block, 'README has a <!-- not-supported --> block');
  const listed = [...block[1].matchAll(/\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b/g)].map((m) => m[0]);
  const notYet = tableRows().filter((r) => !r.served).map((r) => r.name);
  return new Set([...listed, ...notYet].filter((name) => sdkOperations.has(name)));
}

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

const streamsOperations = new Set(['ListStreams', 'DescribeStream', 'GetShardIterator', 'GetRecords']);

async function errorTypeOf(operation: string): Promise<string | null> {
  // DynamoDB Streams' operations come under their own target prefix.
  const target = streamsOperations.has(operation) ? `DynamoDBStreams_20120810.${operation}` : `DynamoDB_20120810.${operation}`;
  const res = await fetch(`${s.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target }, body: '{}' });
  const body = (await res.json()) as { __type?: string };
  return body.__type?.split('#')[1] ?? null;
}

test("every operation of the SDK's DynamoDB client is either in README's table or in its list of what is missing", () => {
  assert.ok(sdkOperations.size > 50, `${sdkOperations.size} operations found in the SDK`);
  const supported = supportedInReadme();
  const missing = missingInReadme();
  assert.deepEqual([...supported].filter((name) => missing.has(name)), [], 'listed as both supported and missing');
  assert.deepEqual([...sdkOperations].filter((name) => !supported.has(name) && !missing.has(name)).sort(), [], 'neither supported nor listed as missing');
  // DynamoDB Streams' operations are served on the same endpoint (their own SDK client).
  assert.deepEqual([...supported].filter((name) => !sdkOperations.has(name) && !streamsOperations.has(name)), [], "in README's table but not an operation of DynamoDB");
});

test('the operations README lists as missing answer UnknownOperationException, and those in its table are served', async () => {
  for (const operation of missingInReadme()) assert.equal(await errorTypeOf(operation), 'UnknownOperationException', operation);
  for (const operation of supportedInReadme()) assert.notEqual(await errorTypeOf(operation), 'UnknownOperationException', operation);
});
