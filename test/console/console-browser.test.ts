// The console at /_monodyne/ in a real browser: Debian's Chromium, headless, driven through
// playwright-core. It signs in, creates a table and items through the page (every request
// signed in the browser with WebCrypto), edits, queries and deletes an item, checks that the
// Internals view shows each partition's leader as the server reports it, and that a killed
// storage node appears as a failover; that editing names its item and never turns a key change
// into a silent new item, that items page both ways, that forms have room for their fields and
// that the page asks for nothing that answers 404; screenshots go to test-artifacts/console/ (or to
// CONSOLE_SCREENSHOT_DIR, e.g. docs/console for the README's pictures).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BatchWriteItemCommand, CreateTableCommand, GetItemCommand, PutItemCommand, UpdateContributorInsightsCommand } from '@aws-sdk/client-dynamodb';
import { clientFor, devCredentials, sdkSigner, startTestServer, type TestServer } from '../helpers/server.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const noChromium = existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) to run the console's browser test`;
const screenshotDir = resolve(process.env.CONSOLE_SCREENSHOT_DIR ?? 'test-artifacts/console');
const stepTimeoutMs = 20_000;

let s: TestServer;
let context: BrowserContext;
let page: Page;
let profileDir = '';
/** Every URL the browser was answered 404 for, or could not load, during the whole run. */
const notFound: string[] = [];

before(async () => {
  if (noChromium) return;
  s = await startTestServer((c) => {
    c.auth.enabled = true; // the default: the console must sign every request
    c.faults.enabled = true;
    c.capacity.burstSeconds = 0; // no saved-up capacity: a load over the provisioned rate is throttled at once
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
  context.on('response', (response) => {
    if (response.status() === 404) notFound.push(response.url());
  });
  context.on('requestfailed', (request) => notFound.push(`${request.url()} (${request.failure()?.errorText})`));
  mkdirSync(screenshotDir, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await s?.stop();
});

async function screenshot(name: string): Promise<void> {
  // Notifications are transient; they would hide parts of the picture.
  await page.evaluate(() => document.getElementById('messages')?.replaceChildren());
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

  // Edit: the row's Edit button loads the item into the editor, which names it; saving it puts the new version.
  assert.equal(await page.textContent('#editor-title'), 'New item (DynamoDB JSON)');
  assert.equal(await page.isVisible('#save-as-new-item'), false, 'a new item has no key to change');
  await page.click('#items tr[data-key="No One You Know/Call Me Today"] button:text-is("Edit")');
  assert.equal(await page.isVisible('#save-as-new-item'), true);
  assert.equal(await page.textContent('#editor-title'), 'Editing the item Artist = No One You Know, SongTitle = Call Me Today (DynamoDB JSON)');
  assert.equal(await page.textContent('#put-item'), 'Save item');
  const loaded = JSON.parse(await page.inputValue('#item-editor')) as Record<string, unknown>;
  assert.deepEqual(loaded, stored.Item);
  await put({ ...loaded, Year: { N: '2016' }, Genre: { S: 'Country' } });
  await page.waitForSelector('#items tr[data-key="No One You Know/Call Me Today"] td:text-is("Country")');
  const edited = await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Today' } }, ConsistentRead: true }));
  assert.equal(edited.Item?.Year.N, '2016');
  assert.equal(edited.Item?.Genre.S, 'Country');

  // A changed key is refused, saying why, unless "save as a new item" is ticked.
  const renamed = { ...loaded, SongTitle: { S: 'Call Me Tomorrow' } };
  const renamedKey = { Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Tomorrow' } };
  await put(renamed);
  await page.waitForSelector('#messages .error:text-matches("^Not saved: the key changed from Artist = No One You Know, SongTitle = Call Me Today to Artist = No One You Know, SongTitle = Call Me Tomorrow")');
  assert.equal((await s.client.send(new GetItemCommand({ TableName: 'Music', Key: renamedKey, ConsistentRead: true }))).Item, undefined, 'no new item');
  assert.match((await page.textContent('#editor-title'))!, /^Editing the item Artist = No One You Know, SongTitle = Call Me Today /);
  await page.check('#save-as-new-item');
  await page.click('#put-item');
  await page.waitForSelector('#items tr[data-key="No One You Know/Call Me Tomorrow"]');
  assert.equal((await s.client.send(new GetItemCommand({ TableName: 'Music', Key: renamedKey, ConsistentRead: true }))).Item?.SongTitle.S, 'Call Me Tomorrow');
  assert.equal((await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: 'No One You Know' }, SongTitle: { S: 'Call Me Today' } }, ConsistentRead: true }))).Item?.Year.N, '2016', 'the edited item stays');
  assert.match((await page.textContent('#editor-title'))!, /^Editing the item Artist = No One You Know, SongTitle = Call Me Tomorrow /);
  // The new copy goes again, from its row: the editor goes back to a new item.
  await page.click('#items tr[data-key="No One You Know/Call Me Tomorrow"] button:text-is("Delete")');
  await page.waitForSelector('#items tr[data-key="No One You Know/Call Me Tomorrow"]', { state: 'detached' });
  assert.equal(await page.textContent('#editor-title'), 'New item (DynamoDB JSON)');

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

test('a scan pages forward and back', { skip: noChromium }, async () => {
  await s.client.send(new CreateTableCommand({ TableName: 'Paged', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }], BillingMode: 'PAY_PER_REQUEST' }));
  for (let first = 0; first < 60; first += 25) {
    const puts = Array.from({ length: Math.min(25, 60 - first) }, (_, i) => ({ PutRequest: { Item: { id: { N: String(first + i) } } } }));
    const answer = await s.client.send(new BatchWriteItemCommand({ RequestItems: { Paged: puts } }));
    assert.deepEqual(answer.UnprocessedItems ?? {}, {});
  }
  await page.click('header button[data-view="tables"]');
  await page.click('#table-list button[data-table="Paged"]');
  await page.waitForSelector('#table-detail h2:text-is("Paged")');
  const shown = async (pageNumber: number) => {
    await page.waitForSelector(`#page-number:text-is("page ${pageNumber}")`);
    return page.locator('#items tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.key));
  };
  const pages = [await shown(1)];
  assert.equal(await page.isDisabled('#previous-page'), true, 'no page before the first');
  for (const n of [2, 3]) {
    await page.click('#next-page');
    pages.push(await shown(n));
  }
  assert.deepEqual(pages.map((keys) => keys.length), [25, 25, 10]);
  assert.equal(new Set(pages.flat()).size, 60, 'every item once');
  assert.equal(await page.isDisabled('#next-page'), true, 'no page after the last');
  for (const n of [2, 1]) {
    await page.click('#previous-page');
    assert.deepEqual(await shown(n), pages[n - 1]);
  }
  assert.equal(await page.isDisabled('#previous-page'), true);
});

test('forms have room for their fields: each inside its form, wide enough for its placeholder', { skip: noChromium }, async () => {
  const crowded = await page.evaluate(() => {
    const problems: string[] = [];
    const measure = document.createElement('canvas').getContext('2d')!;
    for (const form of document.querySelectorAll('form')) {
      const box = form.getBoundingClientRect();
      for (const field of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input:not([type=checkbox]), select')) {
        const name = `${form.id || form.className} ${field.name || field.id}`;
        const rect = field.getBoundingClientRect();
        if (rect.left < box.left - 0.5 || rect.right > box.right + 0.5) problems.push(`${name} sticks out of its form`);
        const style = getComputedStyle(field);
        measure.font = style.font;
        const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const placeholder = field instanceof HTMLInputElement ? field.placeholder : '';
        if (placeholder && measure.measureText(placeholder).width > room) problems.push(`${name}: placeholder "${placeholder}" is cut (${room.toFixed(0)} px of room)`);
        if (room < 40) problems.push(`${name}: ${room.toFixed(0)} px of room`);
      }
    }
    return problems;
  });
  assert.deepEqual(crowded, []);
});

/**
 * Writes to a provisioned table, 8 in flight, for `durationMs`: some are throttled, so the
 * charts show consumed capacity against the provisioned line, and throttles. Bounded in time.
 */
async function loadOrders(durationMs: number): Promise<{ ok: number; throttled: number }> {
  const client = clientFor(s.endpoint, 1);
  const until = Date.now() + durationMs;
  const counts = { ok: 0, throttled: 0 };
  let n = 0;
  try {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          const customer = n++ % 4 === 0 ? 'customer-42' : `customer-${n % 50}`;
          try {
            await client.send(new PutItemCommand({ TableName: 'Orders', Item: { customer: { S: customer }, order: { N: String(n) } } }));
            counts.ok++;
          } catch (err) {
            if ((err as Error).name !== 'ProvisionedThroughputExceededException') throw err;
            counts.throttled++;
          }
        }
      }),
    );
  } finally {
    client.destroy();
  }
  return counts;
}

test('the Internals view shows every partition with its leader as the server reports it, and live charts', { skip: noChromium }, async () => {
  await s.client.send(
    new CreateTableCommand({
      TableName: 'Orders',
      KeySchema: [{ AttributeName: 'customer', KeyType: 'HASH' }, { AttributeName: 'order', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'customer', AttributeType: 'S' }, { AttributeName: 'order', AttributeType: 'N' }],
      ProvisionedThroughput: { ReadCapacityUnits: 30, WriteCapacityUnits: 30 },
    }),
  );
  await s.client.send(new UpdateContributorInsightsCommand({ TableName: 'Orders', ContributorInsightsAction: 'ENABLE' }));
  await page.click('header button[data-view="internals"]');
  await page.waitForSelector('section[data-table-name="Music"] table.partitions tbody tr');
  for (const tableName of ['Music', 'Orders']) {
    const reported = (await partitions()).tables.find((t) => t.tableName === tableName)!;
    const rows = page.locator(`section[data-table-name="${tableName}"] table.partitions tbody tr`);
    await page.waitForFunction(([name, n]) => document.querySelectorAll(`section[data-table-name="${name}"] table.partitions tbody tr`).length >= n, [tableName, reported.partitions.length] as const);
    assert.equal(await rows.count(), reported.partitions.length);
    for (const p of reported.partitions) {
      const leaderCells = page.locator(`section[data-table-name="${tableName}"] tr[data-partition="${p.partition}"] td.leader`);
      assert.equal(await leaderCells.count(), 1, `${tableName} partition ${p.partition} has one leader`);
      assert.equal(await leaderCells.getAttribute('data-leader'), String(p.leader), `${tableName} partition ${p.partition}'s leader`);
    }
  }
  assert.equal(await page.locator('.node-card').count(), 3);
  assert.ok((await page.locator('section[data-table-name="Orders"] .charts canvas').count()) >= 4, 'capacity, throttle and lag charts');
  // The picture is taken while the load runs, so the charts show it live.
  const loading = loadOrders(8000);
  // The throttled requests reach the page's partition rows within a poll or two.
  await page.waitForFunction(() => Array.from(document.querySelectorAll('section[data-table-name="Orders"] tr[data-partition] td:nth-last-child(2)')).some((td) => Number(td.textContent) > 0));
  await page.waitForTimeout(4000);
  await screenshot('internals');
  const load = await loading;
  assert.ok(load.throttled > 0, 'the load went over the provisioned rate');
});

test('the fault buttons: killing a storage node shows a failover on the timeline', { skip: noChromium }, async () => {
  await page.click('.faults .fault-row:has(strong:text-is("node 1")) button:text-is("kill")');
  await page.waitForSelector('svg.timeline circle.failover-dot', { timeout: 30_000 });
  assert.ok((await partitions()).failovers.length >= 1);
  // A replacement node 1 starts (leadership moves off it and, once it is rebuilt, back).
  await page.waitForSelector('.node-card[data-node="1"]:not(.dead)', { timeout: 30_000 });
  // The replacement's replicas are rebuilt: the failover's last column gets its time.
  const repaired = await page
    .waitForFunction(() => /^\+\d+ ms$/.test(document.querySelector('#failovers tbody tr td:last-child')?.textContent ?? ''), undefined, { timeout: 30_000 })
    .then(() => true, () => false);
  await screenshot('failover');
  assert.ok(repaired, `the page shows the repair; the server says ${JSON.stringify((await partitions()).failovers)}; the page says ${await page.textContent('#failovers')}`);
  // Every partition still shows exactly one leader.
  const rows = page.locator('table.partitions tbody tr');
  for (let i = 0; i < (await rows.count()); i++) assert.equal(await rows.nth(i).locator('td.leader').count(), 1);
});

test('the Hot keys view (Contributor Insights): enable it, then the most accessed and throttled partition keys', { skip: noChromium }, async () => {
  await page.click('header button[data-view="hotkeys"]');
  await page.click('section[data-table-name="Music"] h3 button:text-is("Enable")');
  await page.waitForSelector('section[data-table-name="Music"] h3:text-matches("ENABLED")');
  for (let i = 0; i < 30; i++) await s.client.send(new GetItemCommand({ TableName: 'Music', Key: { Artist: { S: i < 20 ? 'artist 3' : `artist ${i % 7}` }, SongTitle: { S: 'x' } } }));
  await page.waitForSelector('section[data-table-name="Music"] li[data-key="artist 3"]');
  const first = await page.locator('section[data-table-name="Music"] .hot-list').first().locator('li').first().getAttribute('data-key');
  assert.equal(first, 'artist 3', 'the most read key is listed first');
  // Orders was loaded over its provisioned rate with a quarter of the writes on customer-42.
  const throttledFirst = await page.locator('section[data-table-name="Orders"] .hot-list').nth(1).locator('li').first().getAttribute('data-key');
  assert.equal(throttledFirst, 'customer-42', 'the most written key is the most throttled');
  await screenshot('hot-keys');
});

test('the page asked for nothing that answers 404, in the whole run', { skip: noChromium }, () => {
  assert.deepEqual(notFound, []);
});
