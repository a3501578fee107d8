// Code passed to page.evaluate runs in the browser: it is typed with the DOM.
/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousAxeViolations, type AxeViolation } from './support/browser.js';
import { fact, go, logIn, recordStates, useConsoleInBrowser } from './support/console-pages.js';
import { addApiKey, addUser, newTenant, testPassword, uniqueName, type TestApp, type TestTenant, type TestUser } from './support/harness.js';

/**
 * The console end to end (SPEC §13): the local gateway over real HTTP on the run's Redis, driven in
 * Debian's headless Chromium as an admin and as a member would. Every page runs under its real CSP
 * and must report no violation and no error; a separate context (bypassing the CSP, to inject axe)
 * checks each page for serious or critical accessibility findings.
 */
const session = useConsoleInBrowser();
let app: TestApp;
let base: string;
let tenant: TestTenant;
let member: TestUser;

beforeAll(async () => {
  ({ app, base } = session);
  tenant = await newTenant(app);
  member = await addUser(app, tenant, 'member');
});

afterAll(async () => {
});


const openConsole = (options: { width?: number } = {}) => session.openConsole(options);

/** Verifies a key on the Verify page; returns the heading ("Valid: VALID", "Not valid: NOT_FOUND"). */
async function verifyInPage(page: Page, key: string): Promise<string> {
  await go(page, '#/verify', 'Verify a key');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  const result = page.getByRole('heading', { level: 2, name: /valid/i });
  await result.waitFor();
  return (await result.textContent()) ?? '';
}

async function sessionToken(page: Page): Promise<string> {
  const stored = await page.evaluate(() => sessionStorage.getItem('keyward.console.session'));
  return (JSON.parse(stored ?? '{}') as { token?: string }).token ?? '';
}

describe('console in Chromium: API keys', () => {
  it('create, the secret shown once (gone after a reload), verify, rotate with a grace, old secret refused after it, disable, delete', async () => {
    const page = await openConsole();
    await screenshot(page, 'login');
    await logIn(page, tenant.admin);
    await page.getByRole('link', { name: 'Create API key' }).click();
    await page.getByLabel('Name').fill('ci-deploy');
    await page.getByLabel('data:read').check();
    await page.getByLabel('keys:verify').check();
    await page.getByLabel('Custom scopes').fill('orders:read');
    await page.getByLabel('Requests').fill('100');
    await page.getByLabel('Per window of (seconds)').fill('60');
    await page.getByLabel('Uses allowed').fill('1000');
    await page.getByLabel(/^Meta/).fill('{"team": "billing"}');
    await screenshot(page, 'key-create');
    await page.getByRole('button', { name: 'Create key' }).click();

    const secretField = page.getByLabel('API key', { exact: true });
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^kw_[A-Za-z0-9]+$/);
    expect(await page.getByText('it will not be shown again').count()).toBe(1);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'key-secret-once');
    const keyId = /#\/keys\/(key_[0-9A-Z]+)$/.exec(page.url())?.[1] ?? '';
    const record = (await app.request('GET', `/api-keys/${keyId}`, { token: tenant.admin.token })).body as { start: string; scopes: string[]; meta: unknown };
    expect(record.scopes).toEqual(['data:read', 'keys:verify', 'orders:read']);
    expect(record.meta).toEqual({ team: 'billing' });

    // Reloaded, the page has the key but not its secret: it lived in memory only, never in storage.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'API key ci-deploy' }).waitFor();
    expect(await page.getByLabel('API key', { exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }))).not.toContain(secret);
    expect(await fact(page, 'Start')).toBe(`${record.start}…`);
    expect(secret.startsWith(record.start)).toBe(true);
    expect(await fact(page, 'Last used')).toBe('never');
    expect(await fact(page, 'Rate limit')).toBe('100 per 1 min');
    expect(await fact(page, 'Quota remaining')).toBe('1000');

    expect(await verifyInPage(page, secret)).toBe('Valid: VALID');
    await screenshot(page, 'verify');
    await go(page, `#/keys/${keyId}`, 'API key ci-deploy');
    await page.locator('.facts').waitFor();
    expect(await fact(page, 'Last used')).not.toBe('never');
    expect(await fact(page, 'Quota remaining')).toBe('999');
    await screenshot(page, 'key-details');

    // Rotate with a grace of 2 s: a new secret shown once; the old one works until the grace ends.
    await page.getByLabel('Grace period for the old secret (seconds)').fill('2');
    await page.getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('heading', { name: 'The new secret of this key' }).waitFor();
    const rotatedAt = Date.now();
    const newSecret = await page.getByLabel('API key', { exact: true }).inputValue();
    expect(newSecret).not.toBe(secret);
    expect(await verifyInPage(page, secret)).toBe('Valid: VALID');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, rotatedAt + 2500 - Date.now())));
    expect(await verifyInPage(page, secret)).toMatch(/^Not valid: /);
    expect(await verifyInPage(page, newSecret)).toBe('Valid: VALID');

    await go(page, `#/keys/${keyId}`, 'API key ci-deploy');
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect(await fact(page, 'Status')).toBe('disabled');
    expect(await verifyInPage(page, newSecret)).toBe('Not valid: DISABLED');

    await go(page, `#/keys/${keyId}`, 'API key ci-deploy');
    await page.getByRole('button', { name: 'Delete key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('This cannot be undone').waitFor();
    await screenshot(page, 'key-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByText(/loaded keys/).waitFor();
    expect(await page.getByRole('link', { name: 'ci-deploy' }).count()).toBe(0);
    expect((await app.request('GET', `/api-keys/${keyId}`, { token: tenant.admin.token })).status).toBe(404);
  }, 60_000);

  it('lists keys a page at a time and filters them by name', async () => {
    const other = await newTenant(app);
    for (let i = 0; i < 55; i += 1) await addApiKey(app, other.admin.token, { name: i % 10 === 0 ? `billing-${i}` : `svc-${i}` });
    const page = await openConsole();
    await logIn(page, other.admin);
    await page.getByText('50 of 50 loaded keys; more keys to load.').waitFor();
    // A double click asks for the next page once: its 5 keys are appended once, not twice.
    const states = await recordStates(page);
    await page.getByRole('button', { name: 'Load more' }).dblclick();
    expect(await states.until(/loaded keys/)).toEqual(['55 of 55 loaded keys.']);
    await page.waitForLoadState('networkidle');
    expect(await states.all()).toEqual(['55 of 55 loaded keys.']);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await page.getByLabel('Filter by name').fill('billing');
    await page.getByText('6 of 55 loaded keys.').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(6);
    await screenshot(page, 'keys');
  }, 60_000);
});

describe('console in Chromium: data', () => {
  it('lists by prefix, edits JSON (checked before sending), reports a concurrent change (412) with the newer value and never overwrites it, sets and clears a TTL, deletes', async () => {
    const key = uniqueName('cfg');
    for (const name of [`${key}-a`, `${key}-b`, uniqueName('other')]) {
      expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key: name, value: 1 } })).status).toBe(201);
    }
    const page = await openConsole();
    await logIn(page, tenant.admin);
    await go(page, '#/data', 'Data');
    await page.getByText(/^\d+ keys\.$/).waitFor();
    const states = await recordStates(page);
    await page.getByLabel('Key prefix').fill(`${key}-`);
    await page.getByRole('button', { name: 'List' }).click();
    expect(await states.until(/ starting with /)).toEqual(['Loading…', `2 keys starting with "${key}-".`]);
    await screenshot(page, 'data');

    await page.getByRole('link', { name: 'New item' }).click();
    await page.getByLabel('Key', { exact: true }).fill(key);
    await page.getByLabel('Value (JSON)').fill('{"theme": "light"}');
    await page.getByRole('button', { name: 'Create item' }).click();
    await page.getByRole('heading', { level: 1, name: `Data: ${key}` }).waitFor();
    const editor = page.getByLabel('Value (JSON)');
    expect(JSON.parse(await editor.inputValue())).toEqual({ theme: 'light' });

    // Someone else changes the item while it is open.
    expect((await app.request('PUT', `/data/${key}`, { token: tenant.admin.token, json: { value: { theme: 'dark' } } })).status).toBe(200);
    await editor.fill('{"theme": "blue"}');
    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.locator('.conflict');
    await conflict.getByRole('heading', { name: 'Someone changed this item (now version 2)' }).waitFor();
    expect(JSON.parse((await conflict.locator('pre').textContent()) ?? '')).toEqual({ theme: 'dark' });
    expect((await app.request('GET', `/data/${key}`, { token: tenant.admin.token })).body.value).toEqual({ theme: 'dark' });
    expect(JSON.parse(await editor.inputValue())).toEqual({ theme: 'blue' });
    await screenshot(page, 'data-conflict');

    await page.getByRole('button', { name: 'Load the newer version into the editor' }).click();
    expect(JSON.parse(await editor.inputValue())).toEqual({ theme: 'dark' });
    await editor.fill('{"theme": "blue", "by": "console"}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const saved = (await app.request('GET', `/data/${key}`, { token: tenant.admin.token })).body as { value: unknown; version: number; ttl: number | null };
    expect(saved.value).toEqual({ theme: 'blue', by: 'console' });
    expect(saved.version).toBe(3);

    await editor.fill('{"theme": ');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^Not valid JSON: .*Nothing was sent\.$/).waitFor();
    expect((await app.request('GET', `/data/${key}`, { token: tenant.admin.token })).body.version).toBe(3);

    await page.getByLabel('Time to live (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Set TTL' }).click();
    await page.getByText('The item expires in 1 h.').waitFor();
    const withTtl = (await app.request('GET', `/data/${key}`, { token: tenant.admin.token })).body as { ttl: number; value: unknown };
    expect(withTtl.ttl).toBeGreaterThan(3500);
    expect(withTtl.value).toEqual({ theme: 'blue', by: 'console' });
    await page.getByRole('button', { name: 'Clear TTL' }).click();
    await page.getByText('The item no longer expires.').waitFor();
    expect((await app.request('GET', `/data/${key}`, { token: tenant.admin.token })).body.ttl).toBeNull();

    await page.getByRole('button', { name: 'Delete item' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    // exact: the item's own heading 'Data: <key>' would match 'Data' before the delete has finished
    await page.getByRole('heading', { level: 1, name: 'Data', exact: true }).waitFor();
    expect((await app.request('GET', `/data/${key}`, { token: tenant.admin.token })).status).toBe(404);
  }, 60_000);
});

describe('console in Chromium: users and roles', () => {
  it('an admin lists, creates, promotes, disables and deletes a user', async () => {
    const page = await openConsole();
    await logIn(page, tenant.admin);
    await go(page, '#/users', 'Users');
    await page.getByRole('cell', { name: member.username, exact: true }).waitFor();
    const username = uniqueName('carol');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByLabel('Full name (optional)').fill('Carol Example');
    await page.getByRole('button', { name: 'Add user' }).click();
    const row = page.getByRole('row', { name: new RegExp(username) });
    await row.waitFor();
    await row.getByRole('button', { name: `Make admin: ${username}` }).click();
    await row.getByRole('button', { name: `Make member: ${username}` }).waitFor();
    expect((await app.request('GET', `/users/${username}`, { token: tenant.admin.token })).body.role).toBe('admin');
    await row.getByRole('button', { name: `Disable ${username}` }).click();
    await row.getByRole('button', { name: `Enable ${username}` }).waitFor();
    expect((await app.request('GET', `/users/${username}`, { token: tenant.admin.token })).body.disabled).toBe(true);
    await screenshot(page, 'users');
    await row.getByRole('button', { name: `Delete ${username}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    expect((await app.request('GET', `/users/${username}`, { token: tenant.admin.token })).status).toBe(404);
  });

  it('a member sees no user management and no audit log, and no action on a key holding scopes they lack', async () => {
    const strong = await addApiKey(app, tenant.admin.token, { name: 'auditor', scopes: ['audit:read'] });
    const weak = await addApiKey(app, tenant.admin.token, { name: 'reader', scopes: ['data:read'] });
    const page = await openConsole();
    await logIn(page, member);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['API keys', 'Identities', 'Verify', 'Data', 'Usage']);
    await page.evaluate(() => (location.hash = '#/users'));
    await page.getByText('This page is not available to your account.').waitFor();
    expect(await page.getByRole('table').count()).toBe(0);

    await go(page, `#/keys/${strong.id}`, 'API key auditor');
    await page.getByText('This key holds scopes you do not hold').waitFor();
    for (const name of ['Disable', 'Delete key', 'Rotate']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    await go(page, `#/keys/${weak.id}`, 'API key reader');
    for (const name of ['Disable', 'Delete key', 'Rotate']) expect(await page.getByRole('button', { name }).count(), name).toBe(1);

    await go(page, '#/keys/new', 'Create an API key');
    const offered = await page.locator('fieldset label.check').allTextContents();
    expect(offered.map((text) => text.trim())).toEqual(['data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify']);
    await screenshot(page, 'member-keys-new');
  });
});

describe('console in Chromium: audit log', () => {
  it('shows the actions just taken, newest first, filtered by action and time', async () => {
    const page = await openConsole();
    await logIn(page, tenant.admin);
    await go(page, '#/audit', 'Audit log');
    await page.getByText(/events, newest first/).waitFor();
    // The newest page: the user management just done, newest first.
    const actions = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    for (const action of ['login_success', 'create_user', 'update_user', 'delete_user']) expect(actions, action).toContain(action);
    const times = await page.locator('tbody tr td:nth-child(1)').allTextContents();
    expect([...times].sort().reverse()).toEqual(times);
    await screenshot(page, 'audit');

    // Each action of the key and data walks, by the action filter.
    for (const action of ['create_api_key', 'verify_api_key', 'rotate_api_key', 'update_api_key', 'delete_api_key', 'create_key', 'update_key', 'delete_key']) {
      await page.getByLabel('Action').selectOption(action);
      await page.getByRole('button', { name: 'Apply' }).click();
      // Until the table shows this action's events only (and at least one).
      await page.waitForFunction((wanted) => {
        const cells = [...document.querySelectorAll('tbody tr td:nth-child(2)')].map((cell) => cell.textContent);
        return cells.length > 0 && cells.every((text) => text === wanted);
      }, action);
    }
    // The answer to this Apply, not the one before it still on the page (delete_key's may count 1 too).
    let states = await recordStates(page);
    await page.getByLabel('Action').selectOption('rotate_api_key');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(await states.until(/events/)).toEqual(['Loading…', '1 events, newest first.']);

    states = await recordStates(page);
    await page.getByLabel('Action').selectOption('');
    await page.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(await states.until(/events/)).toEqual(['Loading…', 'No events.']);
  });
});

describe('console in Chromium: sessions', () => {
  it('logging out revokes the token and forgets it', async () => {
    const page = await openConsole();
    await logIn(page, tenant.admin);
    const token = await sessionToken(page);
    expect((await app.request('GET', '/users/me', { token })).status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    const refused = await app.request('GET', '/users/me', { token });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_revoked');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('a token revoked elsewhere returns the user to the login page with the reason', async () => {
    const page = await openConsole();
    await logIn(page, tenant.admin);
    expect((await app.request('POST', '/token/revoke', { token: await sessionToken(page) })).status).toBe(200);
    await page.getByRole('link', { name: 'Data' }).click();
    await page.getByText('Your session has ended (Token has been revoked). Log in again.').waitFor();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  });

  it('a wrong password shows the API detail', async () => {
    const page = await openConsole();
    await logIn(page, tenant.admin).catch(() => undefined);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').fill(tenant.admin.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('Incorrect username or password').waitFor();
  });
});

describe('console in Chromium: its content security policy', () => {
  it('is enforced on the real page: an injected inline script is refused, and the watch reports the violation', async () => {
    const page = await openConsole();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.inline = "ran"';
      document.head.append(script);
      return document.body.dataset.inline === 'ran';
    });
    expect(ran).toBe(false);
    const problems = session.problems();
    for (let waited = 0; waited < 50 && !problems.some((problem) => problem.startsWith('csp-violation script-src')); waited += 1) await page.waitForTimeout(20);
    expect(problems.some((problem) => problem.startsWith('csp-violation script-src'))).toBe(true);
    // Reported as it should be: this test's violation is not a fault of the page.
    problems.length = 0;
  });
});

describe('console in Chromium: keyboard, phone width, accessibility', () => {
  it('works by keyboard alone, with a visible focus', async () => {
    const page = await openConsole();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-username');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement ?? document.body).outlineStyle)).not.toBe('none');
    await page.keyboard.type(tenant.admin.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(tenant.admin.password);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    // From the page's heading, Tab through to "Create API key" and follow it with Enter.
    for (let presses = 0; presses < 15; presses += 1) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Create API key') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Create an API key' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key-name');
    await page.keyboard.type('typed-by-keyboard');
    await page.keyboard.press('Enter');
    await page.getByText('it will not be shown again').waitFor();
  });

  it('fits a 375 px wide screen: no page scrolls sideways', async () => {
    const page = await openConsole({ width: 375 });
    await logIn(page, tenant.admin);
    for (const [hash, heading] of [['#/keys', 'API keys'], ['#/keys/new', 'Create an API key'], ['#/data', 'Data'], ['#/users', 'Users'], ['#/audit', 'Audit log'], ['#/verify', 'Verify a key']] as const) {
      await go(page, hash, heading);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), hash).toBeLessThanOrEqual(375);
    }
    await go(page, '#/keys', 'API keys');
    await screenshot(page, 'keys-375px');
  });

  it('axe-core finds no serious or critical violation on any page', async () => {
    // Only this context bypasses the CSP, so that axe's script can be injected.
    const context = await session.openAxeContext();
    const page = await context.newPage();
    const item = uniqueName('axe');
    expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key: item, value: { a: 1 } } })).status).toBe(201);
    const key = await addApiKey(app, tenant.admin.token, { name: 'axe-key', scopes: ['data:read'], rate_limit: { limit: 5, window_s: 60 } });
    const found: Record<string, AxeViolation[]> = {};
    await page.goto(`${base}/console/`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    found.login = await seriousAxeViolations(page);
    await logIn(page, tenant.admin);
    const pages: [string, string | RegExp][] = [
      ['#/keys', 'API keys'],
      ['#/keys/new', 'Create an API key'],
      [`#/keys/${key.id}`, 'API key axe-key'],
      ['#/verify', 'Verify a key'],
      ['#/data', 'Data'],
      ['#/data/new', 'New data item'],
      [`#/data/item/${item}`, `Data: ${item}`],
      ['#/users', 'Users'],
      ['#/audit', 'Audit log'],
      ['#/usage', /^Usage of /],
    ];
    for (const [hash, heading] of pages) {
      await go(page, hash, heading);
      await page.waitForLoadState('networkidle');
      found[hash] = await seriousAxeViolations(page);
    }
    // The secret shown once, and a confirmation dialog open.
    await go(page, '#/keys/new', 'Create an API key');
    await page.getByLabel('Name').fill('axe-secret');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('it will not be shown again').waitFor();
    found['secret shown'] = await seriousAxeViolations(page);
    await page.getByRole('button', { name: 'Delete key' }).click();
    await page.getByRole('dialog').waitFor();
    found['delete dialog'] = await seriousAxeViolations(page);
    expect(Object.entries(found).filter(([, violations]) => violations.length > 0)).toEqual([]);
  }, 60_000);
});
