// The admin console in a real browser: headless Debian Chromium driven by playwright-core.
// Run by run_console_test.sh, which starts `tenantry serve` on a database of its own.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS;
const port = new URL(base).port;
mkdirSync(shots, { recursive: true });

/** Status of GET /api/ on a tenant's host (the tenant API, not the console). */
function tenantStatus(slug) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/', headers: { Host: `${slug}.localhost` } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
}

async function eventually(check, what) {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
let passed = 0;
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
try {
  page.on('dialog', (dialog) => dialog.accept());  // the confirmations of suspend/resume
  // Whatever the console's Content-Security-Policy blocks is a console that does not fully work.
  const blocked = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) blocked.push(message.text());
  });
  const step = async (name, body) => {
    await body();
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    passed++;
    console.log(`ok ${passed} - ${name}`);
  };

  await step('01-login', async () => {
    await page.goto(base + '/admin/');
    await page.waitForSelector('form.login');
    await page.fill('#f-email', process.env.ADMIN_EMAIL);
    await page.fill('#f-password', 'wrong password!');
    await page.click('button[type=submit]');
    await page.waitForSelector('.form-error:not(:empty)');
    await page.fill('#f-password', process.env.ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#tenants tbody tr[data-slug="seeded"]');
  });

  await step('02-create-with-bad-slug', async () => {
    await page.click('text=New tenant');
    await page.fill('#f-slug', 'Bad Slug!');
    await page.fill('#f-name', 'Browser Shop');
    await page.click('text=Create tenant');
    const error = await page.waitForSelector('[data-field="slug"].invalid .error');
    assert.match(await error.textContent(), /Invalid slug/);
  });

  await step('03-created-and-listed', async () => {
    await page.fill('#f-slug', 'browser_shop');
    await page.fill('#f-owner', 'owner@console.test');
    await page.click('text=Create tenant');
    // Nobody has that address yet: the owner is invited by mail (run_console_test.sh checks the mail).
    await page.waitForSelector('text=owner@console.test invited as owner');
    await page.waitForSelector('#tenants tbody tr[data-slug="browser_shop"]');
    assert.equal(await tenantStatus('browser-shop'), 200);
  });

  await step('04-search', async () => {
    await page.goto(base + '/admin/#/tenants');
    // The full list (with "seeded") shows that this navigation's render is done; type only then.
    await page.waitForSelector('#tenants tbody tr[data-slug="seeded"]');
    await page.fill('input[type=search]', 'browser');
    await page.press('input[type=search]', 'Enter');
    // The search re-renders the table: wait until the non-matching store is gone.
    await page.waitForSelector('#tenants tbody tr[data-slug="seeded"]', { state: 'detached' });
    await page.waitForSelector('#tenants tbody tr[data-slug="browser_shop"]');
    assert.equal(await page.locator('#tenants tbody tr').count(), 1);
  });

  await step('05-tenant-detail', async () => {
    await page.click('a[href="#/tenants/browser_shop"]');
    await page.waitForSelector('h1 >> text=Browser Shop');
    await page.waitForSelector('svg.chart');
  });

  await step('06-suspended', async () => {
    await page.click('[data-action="suspend"]');
    await page.waitForSelector('h1 .badge.suspended');
    await eventually(async () => (await tenantStatus('browser-shop')) === 403, 'the tenant API to answer 403');
  });

  await step('07-resumed', async () => {
    await page.click('[data-action="resume"]');
    await page.waitForSelector('h1 .badge.active');
    await eventually(async () => (await tenantStatus('browser-shop')) === 200, 'the tenant API to answer 200');
  });

  await step('07-maintenance', async () => {
    await page.click('[data-action="maintenance"]');
    await page.waitForSelector('h1 .badge.maintenance');
    await eventually(async () => (await tenantStatus('browser-shop')) === 503, 'the tenant API to answer 503');
    await page.click('[data-action="end-maintenance"]');
    await page.waitForSelector('[data-action="maintenance"]');
    await eventually(async () => (await tenantStatus('browser-shop')) === 200, 'the tenant API to answer 200');
  });

  await step('08-migrations-run', async () => {
    await page.click('a[data-nav="migrations"]');
    await page.click('#run-migrations');
    await page.waitForSelector('#run-summary >> text=finished');
  });

  await step('09-audit', async () => {
    await page.click('a[data-nav="audit"]');
    await page.waitForSelector('td >> text=tenant.suspend');
  });

  await step('10-phone-width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/admin/#/tenants');
    await page.waitForSelector('#tenants tbody tr[data-slug="browser_shop"]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(overflow, false, 'the tenants page scrolls sideways at phone width');
  });

  await step('11-nothing-blocked-by-csp', async () => {
    assert.deepEqual(blocked, [], 'the Content-Security-Policy blocked part of the console');
  });
  console.log(`${passed} passed, 0 failed`);
} catch (error) {
  console.error(error);
  await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
