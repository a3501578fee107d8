// Code passed to page.evaluate runs in the browser: it is typed with the DOM.
/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newContext, watchPage } from './browser.js';
import type { TestUser } from './harness.js';

/** Steps through the console as a user takes them, shared by the console's browser test files. */

/** A fresh browser profile on the real page (its CSP enforced), watched for violations and errors. */
export async function openWatchedConsole(browser: Browser, base: string, options: { width?: number } = {}): Promise<{ context: BrowserContext; page: Page; watched: { problems: string[] } }> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  const watched = watchPage(page);
  await page.goto(`${base}/console/`);
  // The app renders after its script runs: wait for the first page to be there (the login form, or the app's navigation).
  await page.locator('#login-username, nav').first().waitFor();
  return { context, page, watched };
}

export async function logIn(page: Page, user: TestUser): Promise<void> {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Goes to a page by its hash and waits for its heading. */
export async function go(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.evaluate((to) => (location.hash = to), hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** The value of a fact (a <dt>/<dd> pair of the page's facts) by its term. */
export async function fact(page: Page, term: string): Promise<string> {
  return (await page.locator('.facts div', { has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) }).locator('dd').textContent()) ?? '';
}
