// The console at /_monodyne/ in a real browser: Debian's Chromium, headless, driven through
// playwright-core. It signs in, creates a table and items through the page (every request
// signed in the browser with WebCrypto), edits, queries and deletes an item, checks that the
// Internals view shows each partition's leader as the server reports it, and that a killed
// storage node appears as a failover; screenshots go to test-artifacts/console/ (or to
// CONSOLE_SCREENSHOT_DIR, e.g. docs/console for the README's pictures).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { devCredentials, sdkSigner, startTestServer, type TestServer } from '../helpers/server.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const noChromium = existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) to run the console's browser test`;
const screenshotDir = resolve(process.env.CONSOLE_SCREENSHOT_DIR ?? 'test-artifacts/console');
const stepTimeoutMs = 20_000;

let s: TestServer;
let context: BrowserContext;
let page: Page;
let profileDir = '';

before(async () => {
  if (noChromium) return;
  s = await startTestServer((c) => {
    c.auth.enabled = true; // the default: the console must sign every request
    c.faults.enabled = true;
  });
  profileDir = mkdtempSync(join(tmpdir(), 'monodyne-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(stepTimeoutMs);
  page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(screenshotDir, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await s?.stop();
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** GET /_monodyne/partitions signed by the test itself: what the page must agree with. */
async function partitions(): Promise<{ tables: { tableName: string; partitions: { partition: number; leader: number }[] }[]; failovers: unknown[] }> {
  const url = new URL('/_monodyne/partitions', s.endpoint);
  const signed = await sdkSigner(devCredentials).sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
  return (await (await fetch(url, { headers: signed.headers as Record<string, string> })).json()) as never;
}

test('sign in: a wrong secret is refused by the server, the right one opens the console', { skip: noChromium }, async () => {
  await page.goto(`${s.endpoint}/_monodyne/`);
  await page.fill('#access-key-id', 'local');
  await page.fill('#secret-access-key', 'wrong');
  await page.click('#signin-submit');
  await page.waitForSelector('#signin-error:not(.hidden)');
  assert.match((await page.textContent('#signin-error'))!, /^InvalidSignatureException: The request signature we calculated does not match/);
  await page.fill('#secret-access-key', 'local');
  await screenshot('sign-in');
  await page.click('#signin-submit');
  await page.waitForSelector('#create-table-form');
  assert.match((await page.textContent('header'))!, /local · us-east-1/);
});

test('create a table and put, edit, query and delete items through the page', { skip: noChromium }, async () => {
  await page.fill('#create-table-form input[name=TableName]', 'Music');
  await page.fill('#create-table-form input[name=PartitionKey]', 'Artist');
  await page.fill('#create-table-form input[name=SortKey]', 'SongTitle');
  await page.click('#create-table-submit');
  await page.waitForSelector('#table-detail h2:text-is("Music")');
  await page.waitForSelector('#table-list button[data-table="Music"]');

  const put = async (item: unknown) => {
    await page.fill('#item-editor', JSON.stringify(item));
    await page.click('#put-item');
  };
  await put({ Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Today' }, Year: { N: '2015' } });
  await page.waitForSelector('#items tr[data-key="No One You Know/Call Me Today"]');
  await put({ Artist: { S: 'Acme Band' }, SongTitle: { S: 'Happy Day' }, Year: { N: '2020' } });
  await page.waitForSelector('#items tr[data-key="Acme Band/Happy Day"]');
  const stored = await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Today' } }, ConsistentRead: true }));
  assert.deepEqual(stored.Item, { Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Today' }, Year: { N: '2015' } });

  // Edit: the row's Edit button loads the item into the editor; saving it puts the new version.
  await page.click('#items tr[data-key="No One You Know/Call Me Today"] button:text-is("Edit")');
  const loaded = JSON.parse(await page.inputValue('#item-editor')) as Record<string, unknown>;
  assert.deepEqual(loaded, stored.Item);
  await put({ ...loaded, Year: { N: '2016' }, Genre: { S: 'Country' } });
  await page.waitForSelector('#items tr[data-key="No One You Know/Call Me Today"] td:text-is("Country")');
  const edited = await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Today' } }, ConsistentRead: true }));
  assert.equal(edited.Item?.Year.N, '2016');
  assert.equal(edited.Item?.Genre.S, 'Country');

  // Query one partition key.
  await page.fill('#query-pk', 'Acme Band');
  await page.click('#query-button');
  await page.waitForSelector('#items p:text-matches("^Query: 1 item")');
  assert.equal(await page.locator('#items tbody tr').count(), 1);

  // Delete it from its row.
  await page.click('#items tr[data-key="Acme Band/Happy Day"] button:text-is("Delete")');
  await page.waitForSelector('#items p:text-matches("^Query: 0 items")');
  assert.equal((await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: 'Acme Band' }, SongTitle: { S: 'Happy Day' } }, ConsistentRead: true }))).Item, undefined);

  await page.click('#scan-button');
  await page.waitForSelector('#items p:text-matches("^Scan: 1 item")');
  await screenshot('tables');
});

test('the Internals view shows every partition with its leader as the server reports it, and live charts', { skip: noChromium }, async () => {
  // Some traffic, so the charts have something to draw.
  for (let i = 0; i < 60; i++) await s.client.send(new PutItemCommand({ TableName: 'Music', Item: { Artist: { S: `artist ${i % 7}` }, SongTitle: { S: `song ${i}` } } }));
  await page.click('header button[data-view="internals"]');
  await page.waitForSelector('section[data-table-name="Music"] table.partitions tbody tr');
  const reported = (await partitions()).tables.find((t) => t.tableName === 'Music')!;
  const rows = page.locator('section[data-table-name="Music"] table.partitions tbody tr');
  assert.equal(await rows.count(), reported.partitions.length);
  for (const p of reported.partitions) {
    const leaderCells = page.locator(`section[data-table-name="Music"] tr[data-partition="${p.partition}"] td.leader`);
    assert.equal(await leaderCells.count(), 1, `partition ${p.partition} has one leader`);
    assert.equal(await leaderCells.getAttribute('data-leader'), String(p.leader), `partition ${p.partition}'s leader`);
  }
  assert.equal(await page.locator('.node-card').count(), 3);
  assert.ok((await page.locator('.charts canvas').count()) >= 4, 'capacity, throttle and lag charts');
  // A few polls so the lines have points.
  await page.waitForFunction(() => /updated/.test(document.querySelector('#internals-updated')?.textContent ?? ''));
  await page.waitForTimeout(2500);
  await screenshot('internals');
});

test('the fault buttons: killing a storage node shows a failover on the timeline', { skip: noChromium }, async () => {
  await page.click('.faults .fault-row:has(strong:text-is("node 1")) button:text-is("kill")');
  await page.waitForSelector('svg.timeline circle.failover-dot', { timeout: 30_000 });
  assert.ok((await partitions()).failovers.length >= 1);
  // Leadership moves off the dead node; the page follows the map.
  await page.waitForFunction(() => document.querySelectorAll('td.leader[data-leader="1"]').length === 0, undefined, { timeout: 30_000 });
  await page.waitForSelector('.node-card[data-node="1"]:not(.dead)', { timeout: 30_000 });
  await screenshot('failover');
});

test('the Hot keys view (Contributor Insights): enable it, then the most accessed partition keys', { skip: noChromium }, async () => {
  await page.click('header button[data-view="hotkeys"]');
  await page.click('section[data-table-name="Music"] h3 button:text-is("Enable")');
  await page.waitForSelector('section[data-table-name="Music"] h3:text-matches("ENABLED")');
  for (let i = 0; i < 30; i++) await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: i < 20 ? 'artist 3' : `artist ${i % 7}` }, SongTitle: { S: 'x' } } }));
  await page.waitForSelector('section[data-table-name="Music"] li[data-key="artist 3"]');
  const first = await page.locator('section[data-table-name="Music"] .hot-list').first().locator('li').first().getAttribute('data-key');
  assert.equal(first, 'artist 3', 'the most read key is listed first');
  await screenshot('hot-keys');
});
