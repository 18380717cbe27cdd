// What the monodyne bin tells a new user: --version, --help naming the development key, and
// the start-up banner naming the port actually bound and the credentials in force (their
// access key ids, never a secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { signedFetch, spawnServer, type ChildServer } from '../helpers/server.ts';
import { refusalLogIntervalMs } from '../../src/auth/refusal-log.ts';
import { stopCleanly } from './child-server.ts';

const bin = fileURLToPath(new URL('../../src/server/monodyne.js', import.meta.url));
const packageVersion = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

test('--version prints the version of package.json and exits 0', () => {
  const run = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, `monodyne ${packageVersion}\n`);
});

test('--help names the access key id of the built-in development key, and no secret', () => {
  const run = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /--version {9}print the version/);
  assert.match(run.stdout, /built-in development key, access key id\s+"local"/);
  assert.doesNotMatch(run.stdout, /secret access key "local"|secretAccessKey/i);
});

test('the banner shows the port chosen for --port 0 and the development key in force', { timeout: 120_000 }, async () => {
  const server = await spawnServer(['--ephemeral', '--port', '0']);
  try {
    const port = new URL(server.endpoint).port;
    assert.notEqual(port, '0');
    const config = (await waitForLine(server, /^config: .*$/m))[0];
    assert.match(config, new RegExp(` port=${port} `));
    assert.match(config, /auth=on \(credentials: local \(the built-in development key\)\)/);
  } finally {
    await stopCleanly(server);
  }
});

test('the banner names configured credentials by access key id, never by secret', { timeout: 120_000 }, async () => {
  const credentials = [
    { accessKeyId: 'AKIAFIRSTHOUR0001', secretAccessKey: 'first-hour-secret-1' },
    { accessKeyId: 'AKIAFIRSTHOUR0002', secretAccessKey: 'first-hour-secret-2', user: 'reporting' },
  ];
  const server = await spawnServer(['--ephemeral', '--port', '0'], { MONODYNE_AUTH_CREDENTIALS: JSON.stringify(credentials) });
  try {
    const config = (await waitForLine(server, /^config: .*$/m))[0];
    assert.match(config, /auth=on \(credentials: AKIAFIRSTHOUR0001, AKIAFIRSTHOUR0002\)/);
    assert.doesNotMatch(server.output(), /first-hour-secret/);
  } finally {
    await stopCleanly(server);
  }
});

test('a refused signature or unknown access key is logged with the access key id and why, once per key and reason', { timeout: 120_000 }, async () => {
  const server = await spawnServer(['--ephemeral', '--port', '0']);
  try {
    const refusedWith = async (type: string, options: Parameters<typeof signedFetch>[3]) => {
      const res = await signedFetch(server.endpoint, 'DynamoDB_20120810.ListTables', '{}', options);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { __type: string }).__type, `com.amazon.coral.service#${type}`);
    };
    const hourMs = 3_600_000;
    for (let i = 0; i < 2; i++) {
      await refusedWith('UnrecognizedClientException', { credentials: { accessKeyId: 'AKIANOSUCHKEY', secretAccessKey: 'guess' } });
      await refusedWith('InvalidSignatureException', { credentials: { accessKeyId: 'local', secretAccessKey: 'wrong-secret' } });
      // Another date each time: still the same reason.
      await refusedWith('InvalidSignatureException', { signingDate: new Date(Date.now() - (i + 1) * hourMs) });
    }
    // Lines are written in order: once the last is there, all the others are.
    await refusedWith('UnrecognizedClientException', { credentials: { accessKeyId: 'AKIALASTONE', secretAccessKey: 'guess' } });
    await waitForLine(server, /access key id "AKIALASTONE"/);
    const refusals = server.output().split('\n').filter((line) => line.includes('refused a request signed with access key id'));
    const suffix = ` (logged at most once every ${refusalLogIntervalMs / 1000} s per access key id and reason)`;
    for (const line of refusals) assert.ok(line.endsWith(suffix), line);
    assert.deepEqual(
      refusals.map((line) => line.replace(suffix, '').replace(/Signature expired: .*/, 'Signature expired: ...')),
      [
        '[monodyne] refused a request signed with access key id "AKIANOSUCHKEY": unknown access key id (not in auth.credentials)',
        '[monodyne] refused a request signed with access key id "local": InvalidSignatureException: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        '[monodyne] refused a request signed with access key id "local": InvalidSignatureException: Signature expired: ...',
        '[monodyne] refused a request signed with access key id "AKIALASTONE": unknown access key id (not in auth.credentials)',
      ],
    );
    assert.doesNotMatch(server.output(), /wrong-secret|guess/);
  } finally {
    await stopCleanly(server);
  }
});

/** The first match of `pattern` in what the server printed, once it has printed it. */
async function waitForLine(server: ChildServer, pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(server.output());
    if (match !== null) return match;
    await Promise.race([once(server.child.stdout!, 'data'), once(server.child.stderr!, 'data')]);
  }
}
