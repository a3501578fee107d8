// Code passed to page.evaluate runs in the browser: it is typed with the DOM.
/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousAxeViolations, type AxeViolation } from './support/browser.js';
import { fact, go, logIn, recordStates, useConsoleInBrowser } from './support/console-pages.js';
import { addUser, createTestApp, newTenant, uniqueName, type TestApp, type TestTenant } from './support/harness.js';

/**
 * The console's identities and usage pages end to end (SPEC §13, §14), as tests/console-browser.test.ts
 * runs the rest: the local gateway over real HTTP on the run's Redis, headless Chromium, every page
 * under its real CSP (uPlot draws the charts: any CSP violation or error fails the test), axe-core in
 * a context of its own. The tenant is this file's alone, so its usage totals are exactly what it did.
 */
const session = useConsoleInBrowser();
let app: TestApp;
/** The same service on the same Redis, its clock `hoursBehind` hours back: usage in past buckets, without waiting. */
let past: TestApp;
let hoursBehind = 0;
let base: string;
let tenant: TestTenant;

beforeAll(async () => {
  ({ app, base } = session);
  tenant = await newTenant(app);
  past = await createTestApp({ env: { LOG_LEVEL: 'warn' }, clock: { now: () => Date.now() - hoursBehind * 3_600_000 } });
});

afterAll(async () => {
  await past?.close();
});


const openConsole = (options: { width?: number } = {}) => session.openConsole(options);

/** Polls until the value matches: the page answers in its own time (vitest's default of 1 s is short on a busy machine). */
function eventually<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: 15_000, interval: 100 });
}

/** The usage table's foot: the totals by column header ("VALID", "Total uses", "Credits spent"); empty while there is no table. */
async function usageTotals(page: Page): Promise<Record<string, string>> {
  const table = page.getByRole('region', { name: /^Uses and credits per/ });
  if ((await table.locator('tfoot').count()) === 0) return {};
  const headers = await table.locator('thead th').allTextContents();
  const totals = await table.locator('tfoot tr > *').allTextContents();
  return Object.fromEntries(headers.map((header, index) => [header.trim(), (totals[index] ?? '').trim()]));
}

/**
 * Where the uses chart drew its bars: the runs of canvas columns holding the VALID colour just above
 * the x axis, as fractions of the plot area's width (0 its left edge, 1 its right). Read from the
 * canvas itself, so it shows where the bars really are, not where the code meant them to be.
 */
async function barRuns(page: Page): Promise<{ first: number; last: number }[]> {
  return page.evaluate(() => {
    const chart = document.querySelector('.chart[role="img"]');
    const canvas = chart?.querySelector('canvas');
    const plot = chart?.querySelector<HTMLElement>('.u-over');
    const drawing = canvas?.getContext('2d');
    if (!chart || !canvas || !plot || !drawing) throw new Error('no chart on the page');
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const left = plot.offsetLeft * ratio;
    const width = plot.offsetWidth * ratio;
    const row = Math.floor((plot.offsetTop + plot.offsetHeight) * ratio) - 3;
    const { data } = drawing.getImageData(0, row, canvas.width, 1);
    const valid = getComputedStyle(chart).getPropertyValue('--code-VALID').trim();
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(valid.slice(at, at + 2), 16));
    const runs: { first: number; last: number }[] = [];
    let open: number | null = null;
    for (let x = 0; x <= canvas.width; x += 1) {
      const isValid = x < canvas.width && data[x * 4] === r && data[x * 4 + 1] === g && data[x * 4 + 2] === b;
      if (isValid && open === null) open = x;
      if (!isValid && open !== null) {
        runs.push({ first: (open - left) / width, last: (x - 1 - left) / width });
        open = null;
      }
    }
    return runs;
  });
}

/**
 * Where each bucket's bar belongs: the table's rows (buckets with uses) placed on the range the page
 * states ("from <first bucket> to <last bucket>"), as fractions of the axis, from its start to its end.
 */
async function expectedBars(page: Page, bucketMs: number): Promise<{ first: number; last: number }[]> {
  const stated = (await page.getByText(/ uses in \d+ (hour|day)s?, from /).textContent()) ?? '';
  const [, firstBucket = '', lastBucket = ''] = / from (.+) to (.+)\.$/.exec(stated) ?? [];
  const parse = (label: string) => Date.parse(label.replace(' UTC', 'Z').replace(' ', 'T'));
  const from = parse(firstBucket);
  const span = parse(lastBucket) + bucketMs - from;
  const rows = await page.getByRole('region', { name: /^Uses and credits per/ }).locator('tbody th').allTextContents();
  return rows.map((label) => parse(label)).map((start) => ({ first: (start + bucketMs * 0.1 - from) / span, last: (start + bucketMs * 0.9 - from) / span }));
}

/** The bars drawn where their buckets belong, within a pixel or two (uPlot rounds to whole pixels). */
async function expectBarsInPlace(page: Page, bucketMs: number): Promise<void> {
  const drawn = await barRuns(page);
  const expected = await expectedBars(page, bucketMs);
  expect(drawn.length, JSON.stringify({ drawn, expected })).toBe(expected.length);
  const plotWidth = await page.locator('.chart .u-over').first().evaluate((plot) => plot.getBoundingClientRect().width);
  const slack = 2.5 / plotWidth;
  drawn.forEach((bar, index) => {
    expect(Math.abs(bar.first - (expected[index]?.first ?? NaN)), `bar ${index} start`).toBeLessThan(slack);
    expect(Math.abs(bar.last - (expected[index]?.last ?? NaN)), `bar ${index} end`).toBeLessThan(slack);
  });
}

/** One verification: when the service counted it (to the millisecond or so), its code and the credits it spent. */
interface Use {
  at: number;
  code: string;
  credits: number;
}

/** Every verification this file made, in order: the usage pages' numbers are worked out from it, so they hold at any hour. */
const uses: Use[] = [];

/** A verification through the API, now or (through the app whose clock runs behind) some hours ago; recorded in `uses`. */
async function verify(key: string, body: Record<string, unknown> = {}, hoursAgo = 0): Promise<string> {
  hoursBehind = hoursAgo;
  const answer = await (hoursAgo > 0 ? past : app).request('POST', '/api-keys/verify', { token: tenant.admin.token, json: { key, ...body } });
  expect(answer.status).toBe(200);
  const code = answer.body.code as string;
  uses.push({ at: Date.now() - hoursAgo * 3_600_000, code, credits: code === 'VALID' ? Number(body.cost ?? 1) : 0 });
  return code;
}

const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/** What usageTotals() should read for these uses ({} for none: the page shows no table). */
function totalsOf(unit: 'Hour' | 'Day', some: Use[]): Record<string, string> {
  if (some.length === 0) return {};
  const codes = [...new Set(some.map((use) => use.code))];
  const byCode = codes.map((code) => [code, String(some.filter((use) => use.code === code).length)]);
  return { [unit]: 'Total', ...Object.fromEntries(byCode), 'Total uses': String(some.length), 'Credits spent': String(some.reduce((sum, use) => sum + use.credits, 0)) };
}

/** The uses grouped by their bucket (hour or UTC day), oldest first. */
function bucketsOf(some: Use[], bucketMs: number): Use[][] {
  const byStart = new Map<number, Use[]>();
  for (const use of some) {
    const start = use.at - (use.at % bucketMs);
    byStart.set(start, [...(byStart.get(start) ?? []), use]);
  }
  return [...byStart.entries()].sort(([a], [b]) => a - b).map(([, bucket]) => bucket);
}

/** Creates a key from the identity's page ("Create a key for this identity"); returns its id and secret. */
async function keyForIdentity(page: Page, externalId: string, name: string, limit?: { name: string; max: string; window: string }): Promise<{ id: string; secret: string }> {
  await page.getByRole('link', { name: 'Create a key for this identity' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create an API key' }).waitFor();
  // The identity comes filled in, by its external id.
  await eventually(() => page.getByLabel('Identity (its external id, optional)').inputValue()).toBe(externalId);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('keys:verify').check();
  if (limit) {
    await page.getByRole('button', { name: 'Add a rate limit' }).click();
    await page.getByLabel('Limit name').fill(limit.name);
    await page.getByLabel('Max uses').fill(limit.max);
    await page.getByLabel('Window (s)').fill(limit.window);
    await page.getByLabel('Algorithm').selectOption('counter');
    await page.getByLabel('Apply to every use').uncheck();
  }
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = page.getByLabel('API key', { exact: true });
  await secret.waitFor();
  return { id: /#\/keys\/(key_[0-9A-Z]+)$/.exec(page.url())?.[1] ?? '', secret: await secret.inputValue() };
}

describe('console in Chromium: identities and usage', () => {
  it('creates an identity and two keys for it, verifies, shows its usage by code and credits (hour, day, bars at their real time, a 422 range), edits it, and deletes it once it has no keys', async () => {
    const externalId = uniqueName('customer');
    const page = await openConsole();
    await logIn(page, tenant.admin);

    // An identity with a shared limit (every use) and credits.
    await go(page, '#/identities', 'Identities');
    await page.getByRole('link', { name: 'New identity' }).click();
    await page.getByLabel(/^External id/).fill(externalId);
    await page.getByLabel(/^Meta/).fill('{"plan": "pro"}');
    await page.getByRole('button', { name: 'Add a rate limit' }).click();
    await page.getByLabel('Limit name').fill('calls');
    await page.getByLabel('Max uses').fill('1000');
    await page.getByLabel('Window (s)').fill('60');
    await page.getByLabel('Credits remaining (blank: none)').fill('500');
    await page.getByLabel('Refill', { exact: true }).selectOption('monthly');
    await page.getByLabel('Refill to').fill('500');
    await screenshot(page, 'identity-create');
    await page.getByRole('button', { name: 'Create identity' }).click();
    await page.getByRole('heading', { level: 1, name: `Identity ${externalId}` }).waitFor();
    const identityId = /#\/identities\/(idt_[0-9A-Z]+)$/.exec(page.url())?.[1] ?? '';
    expect(await fact(page, 'Credits')).toBe('500 left, refilled monthly to 500');
    expect(await fact(page, 'Meta')).toBe('{"plan":"pro"}');
    expect(await page.getByRole('region', { name: 'Rate limits of this identity' }).getByRole('row', { name: /calls/ }).textContent()).toMatch(/calls1,0001 minevery uselog/);
    const created = (await app.request('GET', `/identities/${identityId}`, { token: tenant.admin.token })).body as { ratelimits: unknown; credits: unknown };
    expect(created.ratelimits).toEqual([{ name: 'calls', limit: 1000, window_s: 60, auto_apply: true, algorithm: 'log' }]);

    // Two keys for it, the second with a limit of its own (a counter, applied only when named).
    const backend = await keyForIdentity(page, externalId, 'backend');
    await page.getByRole('link', { name: externalId }).waitFor();
    await go(page, `#/identities/${identityId}`, `Identity ${externalId}`);
    const batch = await keyForIdentity(page, externalId, 'batch', { name: 'tokens', max: '2', window: '3600' });
    await page.getByRole('region', { name: 'Rate limits of this key' }).getByRole('row', { name: /tokens/ }).waitFor();
    await eventually(() => fact(page, 'Identity')).toBe(externalId);
    const batchRecord = (await app.request('GET', `/api-keys/${batch.id}`, { token: tenant.admin.token })).body as { identity_id: string; ratelimits: unknown };
    expect(batchRecord.identity_id).toBe(identityId);
    expect(batchRecord.ratelimits).toEqual([{ name: 'tokens', limit: 2, window_s: 3600, auto_apply: false, algorithm: 'counter' }]);
    await go(page, `#/identities/${identityId}`, `Identity ${externalId}`);
    const keys = page.getByRole('region', { name: 'Keys of this identity' });
    await keys.getByRole('link', { name: 'batch' }).waitFor();
    expect(await keys.getByRole('link').allTextContents()).toEqual(['backend', 'batch']);
    await screenshot(page, 'identity');

    // Uses through the API: five and three hours ago (2 valid, then 1 valid and 1 refused for a scope it lacks,
    // leaving empty hours between), and now 3 valid at cost 5 on one key, 2 valid naming "tokens" on the other...
    uses.length = 0;
    for (let i = 0; i < 2; i += 1) expect(await verify(backend.secret, { cost: 5 }, 5)).toBe('VALID');
    expect(await verify(backend.secret, { cost: 5 }, 3)).toBe('VALID');
    expect(await verify(backend.secret, { cost: 5, scope: 'orders:write' }, 3)).toBe('FORBIDDEN');
    for (let i = 0; i < 3; i += 1) expect(await verify(backend.secret, { cost: 5 })).toBe('VALID');
    for (let i = 0; i < 2; i += 1) expect(await verify(batch.secret, { ratelimits: [{ name: 'tokens' }] })).toBe('VALID');
    // ... and a third naming it in the console's Verify page: refused by the key's limit, charged to none.
    await go(page, '#/verify', 'Verify a key');
    await page.getByLabel('API key').fill(batch.secret);
    await page.getByLabel('Cost in credits (optional; default 1)').fill('3');
    await page.getByRole('button', { name: 'Name a rate limit' }).click();
    await page.getByLabel('Limit name').fill('tokens');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Not valid: RATE_LIMITED' }).waitFor();
    uses.push({ at: Date.now(), code: 'RATE_LIMITED', credits: 0 });
    expect(await fact(page, 'Identity')).toBe(externalId);
    expect(await fact(page, 'Identity meta')).toBe('{"plan":"pro"}');
    expect(await fact(page, 'Credits remaining')).toBe(String(500 - 15 - 15 - 2));
    const applied = page.getByRole('region', { name: 'Rate limits applied' });
    expect(await applied.getByRole('row', { name: /^tokens/ }).locator('td').allTextContents()).toEqual(['2', '0', expect.stringMatching(/UTC$/), 'yes']);
    expect(await applied.getByRole('row', { name: /^calls/ }).locator('td').last().textContent()).toBe('no');
    await screenshot(page, 'verify-identity');

    // The identity's usage: by hour (the default, last 24 hours), then by day. Every use of the test is
    // in the last 24 hours and the last 30 days, however the hours fall; by day over the last 24 hours,
    // the page shows the current UTC day alone (a preset's buckets end with the one in progress), which
    // before 05:00 UTC leaves out the uses of five hours ago: its numbers are worked out from the uses.
    const totals = { VALID: '8', RATE_LIMITED: '1', FORBIDDEN: '1', 'Total uses': '10', 'Credits spent': '32' };
    expect(totalsOf('Hour', uses)).toEqual({ Hour: 'Total', ...totals });
    const hours = bucketsOf(uses, 3_600_000);
    await go(page, `#/identities/${identityId}`, `Identity ${externalId}`);
    let states = await recordStates(page);
    await page.getByRole('main').getByRole('link', { name: 'Usage', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Usage of identity ${externalId}` }).waitFor();
    expect(await states.until(/ uses in /)).toEqual(['Loading…', expect.stringMatching(new RegExp(`^10 uses in ${hours.length} hours, from `))]);
    expect(await usageTotals(page)).toEqual({ Hour: 'Total', ...totals });
    const chart = page.getByRole('img', { name: /^Uses per hour, stacked by code/ });
    const busiest = Math.max(...hours.map((bucket) => bucket.length));
    expect(await chart.getAttribute('aria-label')).toMatch(new RegExp(`: 10 in ${hours.length} hours with uses \\(VALID 8, RATE_LIMITED 1, FORBIDDEN 1\\)\\. The busiest hour was .* with ${busiest}\\.`));
    await page.getByRole('img', { name: /^Credits spent per hour, .*: 32 in total/ }).waitFor();
    const creditsPerHour = hours.map((bucket) => String(bucket.reduce((sum, use) => sum + use.credits, 0)));
    expect(await page.getByRole('region', { name: 'Uses and credits per hour' }).locator('tbody td:last-child').allTextContents()).toEqual(creditsPerHour);
    // Three bars (unless a group of uses straddled an hour), each at its hour's place on the 24-hour axis.
    await expectBarsInPlace(page, 3_600_000);
    await screenshot(page, 'usage');

    states = await recordStates(page);
    await page.getByLabel('Per', { exact: true }).selectOption('day');
    const today = await states.until(/^(\d+ uses in 1 day,|No uses) from /);
    expect(today).toEqual(['Loading…', expect.stringMatching(/ from (\d{4}-\d\d-\d\d) to \1\.$/)]);
    const shownDay = / to (\d{4}-\d\d-\d\d)\.$/.exec(today[1] ?? '')?.[1] ?? '';
    const ofShownDay = uses.filter((use) => dayOf(use.at) === shownDay);
    expect(await usageTotals(page)).toEqual(totalsOf('Day', ofShownDay));
    if (ofShownDay.length > 0) expect(await page.getByRole('region', { name: 'Uses and credits per day' }).locator('tbody th').allTextContents()).toEqual([shownDay]);

    // The last 30 days: every use, on its UTC day (yesterday too, for the uses of five hours ago, before 05:00 UTC).
    const days = [...new Set(uses.map((use) => dayOf(use.at)))];
    states = await recordStates(page);
    await page.getByLabel('Range').selectOption('30d');
    expect(await states.until(/ uses in /)).toEqual(['Loading…', expect.stringMatching(new RegExp(`^10 uses in ${days.length} days?, from `))]);
    await page.getByRole('img', { name: /^Uses per day, stacked by code/ }).waitFor();
    expect(await usageTotals(page)).toEqual({ Day: 'Total', ...totals });
    expect(await page.getByRole('region', { name: 'Uses and credits per day' }).locator('tbody th').allTextContents()).toEqual(days);
    await expectBarsInPlace(page, 86_400_000);
    await screenshot(page, 'usage-identity-days');

    // More than 31 days of hours: the service's 422, its detail shown, nothing drawn.
    await page.getByLabel('Range').selectOption('custom');
    await page.getByLabel('Per', { exact: true }).selectOption('hour');
    const fortyDaysAgo = new Date(Date.now() - 40 * 86_400_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByLabel('From', { exact: true }).fill(fortyDaysAgo);
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toBe('since: A range of hours covers at most 31 days (422 validation_error)');
    expect(await page.getByRole('img').count()).toBe(0);

    // One key's usage, and the tenant's total, from the selector.
    await page.getByLabel('Usage of').selectOption({ label: 'Key backend' });
    await page.getByRole('heading', { level: 1, name: 'Usage of key backend' }).waitFor();
    await page.getByLabel('Range').selectOption('24h');
    await eventually(() => usageTotals(page)).toEqual({ Hour: 'Total', VALID: '6', FORBIDDEN: '1', 'Total uses': '7', 'Credits spent': '30' });
    await page.getByLabel('Usage of').selectOption({ label: 'The whole tenant' });
    await page.getByRole('heading', { level: 1, name: 'Usage of the whole tenant' }).waitFor();
    await eventually(() => usageTotals(page)).toEqual({ Hour: 'Total', ...totals });
    // By keyboard: an arrow key on the selector shows the next owner's usage, and the focus stays on the selector.
    await page.getByLabel('Usage of').focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('heading', { level: 1, name: /^Usage of identity / }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('usage-owner');

    // Edit: meta, the shared limit's size, credits removed.
    await go(page, `#/identities/${identityId}/edit`, `Edit identity ${externalId}`);
    await page.getByLabel(/^Meta/).fill('{"plan": "enterprise"}');
    await page.getByLabel('Max uses').fill('5000');
    await page.getByLabel('Credits remaining (blank: none)').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: `Identity ${externalId}` }).waitFor();
    await eventually(() => fact(page, 'Meta')).toBe('{"plan":"enterprise"}');
    expect(await fact(page, 'Credits')).toBe('none');
    const edited = (await app.request('GET', `/identities/${identityId}`, { token: tenant.admin.token })).body as { ratelimits: { limit: number }[]; credits: unknown };
    expect(edited.ratelimits.map((limit) => limit.limit)).toEqual([5000]);
    expect(edited.credits).toBeNull();

    // Deleting it while keys belong to it: the service's 409, shown in the dialog; nothing deleted.
    await page.getByRole('button', { name: 'Delete identity' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await eventually(() => dialog.getByRole('alert').textContent()).toBe('Identity still has keys; delete them or move them to another identity first (409 identity_has_keys)');
    await screenshot(page, 'identity-delete-409');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await app.request('GET', `/identities/${identityId}`, { token: tenant.admin.token })).status).toBe(200);

    // Without keys, it goes.
    for (const key of [backend, batch]) expect((await app.request('DELETE', `/api-keys/${key.id}`, { token: tenant.admin.token })).status).toBe(204);
    await page.reload();
    await page.getByText('No key belongs to this identity.').waitFor();
    await page.getByRole('button', { name: 'Delete identity' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Identities', exact: true }).waitFor();
    expect((await app.request('GET', `/identities/${identityId}`, { token: tenant.admin.token })).status).toBe(404);
  }, 90_000);

  it('finds an identity by its external id, and says so when none has it', async () => {
    const wanted = uniqueName('findme');
    for (const externalId of [wanted, uniqueName('other')]) expect((await app.request('POST', '/identities', { token: tenant.admin.token, json: { external_id: externalId } })).status).toBe(201);
    const page = await openConsole();
    await logIn(page, tenant.admin);
    await go(page, '#/identities', 'Identities');
    await page.getByText(/identities loaded/).waitFor();
    await page.getByLabel('Find by external id (exact)').fill(wanted);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText(`The identity with the external id "${wanted}".`).waitFor();
    expect(await page.getByRole('region', { name: 'Identities' }).getByRole('link').allTextContents()).toEqual([wanted]);
    await page.getByLabel('Find by external id (exact)').fill('nobody-has-this');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('No identity has the external id "nobody-has-this".').waitFor();
    await screenshot(page, 'identities');
  });

  it('a member edits an identity, but is not offered to change or delete one whose keys hold scopes they lack (nor would the service let them)', async () => {
    const member = await addUser(app, tenant, 'member');
    const identities = [];
    for (const scopes of [['audit:read'], ['data:read']]) {
      const identity = (await app.request('POST', '/identities', { token: tenant.admin.token, json: { external_id: uniqueName(scopes[0]?.replace(':', '-') ?? 'none') } })).body as { identity_id: string; external_id: string };
      expect((await app.request('POST', '/api-keys', { token: tenant.admin.token, json: { name: uniqueName('k'), scopes, identity_id: identity.identity_id } })).status).toBe(201);
      identities.push(identity);
    }
    const [strong, weak] = identities;
    const page = await openConsole();
    await logIn(page, member);
    await go(page, `#/identities/${strong?.identity_id}`, `Identity ${strong?.external_id}`);
    await page.getByText('Its keys hold scopes you do not hold').waitFor();
    for (const name of ['Edit', 'Delete identity']) expect(await page.getByRole('main').getByRole(name === 'Edit' ? 'link' : 'button', { name, exact: true }).count(), name).toBe(0);
    expect((await app.request('PATCH', `/identities/${strong?.identity_id}`, { token: member.token, json: { meta: { by: 'member' } } })).status).toBe(403);

    await go(page, `#/identities/${weak?.identity_id}`, `Identity ${weak?.external_id}`);
    expect(await page.getByRole('button', { name: 'Delete identity' }).count()).toBe(1);
    await page.getByRole('main').getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Edit identity ${weak?.external_id}` }).waitFor();
    await page.getByLabel(/^Meta/).fill('{"by": "member"}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: `Identity ${weak?.external_id}` }).waitFor();
    await eventually(() => fact(page, 'Meta')).toBe('{"by":"member"}');
  });

  it('fits a 375 px wide screen, and axe-core finds no serious or critical violation on the identities and usage pages', async () => {
    const identity = (await app.request('POST', '/identities', { token: tenant.admin.token, json: { external_id: uniqueName('axe'), ratelimits: [{ name: 'calls', limit: 10, window_s: 60 }], credits: { remaining: 100 } } })).body as { identity_id: string; external_id: string };
    const key = (await app.request('POST', '/api-keys', { token: tenant.admin.token, json: { name: 'axe-identity-key', identity_id: identity.identity_id, scopes: ['keys:verify'] } })).body as { key_id: string; key_value: string };
    expect(await verify(key.key_value, { cost: 2 })).toBe('VALID');
    const pages: [string, string][] = [
      ['#/identities', 'Identities'],
      ['#/identities/new', 'New identity'],
      [`#/identities/${identity.identity_id}`, `Identity ${identity.external_id}`],
      [`#/identities/${identity.identity_id}/edit`, `Edit identity ${identity.external_id}`],
      [`#/usage/identity/${identity.identity_id}`, `Usage of identity ${identity.external_id}`],
      [`#/usage/key/${key.key_id}`, 'Usage of key axe-identity-key'],
      ['#/usage', 'Usage of the whole tenant'],
    ];

    const narrow = await openConsole({ width: 375 });
    await logIn(narrow, tenant.admin);
    for (const [hash, heading] of pages) {
      await go(narrow, hash, heading);
      await narrow.waitForLoadState('networkidle');
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth), hash).toBeLessThanOrEqual(375);
    }
    await screenshot(narrow, 'usage-375px');

    // Only this context bypasses the CSP, so that axe's script can be injected.
    const context = await session.openAxeContext();
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    await logIn(page, tenant.admin);
    const found: Record<string, AxeViolation[]> = {};
    for (const [hash, heading] of pages) {
      await go(page, hash, heading);
      await page.waitForLoadState('networkidle');
      found[hash] = await seriousAxeViolations(page);
    }
    // The key form with a named limit row, and the verify page with its answer (limits, credits, identity).
    await go(page, `#/keys/new/${identity.identity_id}`, 'Create an API key');
    await page.getByRole('button', { name: 'Add a rate limit' }).click();
    found['key form with a limit'] = await seriousAxeViolations(page);
    await go(page, '#/verify', 'Verify a key');
    await page.getByLabel('API key').fill(key.key_value);
    await page.getByRole('button', { name: 'Name a rate limit' }).click();
    await page.getByLabel('Limit name').fill('calls');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Valid: VALID' }).waitFor();
    found['verify answer'] = await seriousAxeViolations(page);
    expect(Object.entries(found).filter(([, violations]) => violations.length > 0)).toEqual([]);
  }, 60_000);
});
