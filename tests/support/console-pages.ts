// Code passed to page.evaluate runs in the browser: it is typed with the DOM.
/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { operationsByFunction } from '../../functions/operations.js';
import { createGatewayHandler } from '../../shared/gateway/gateway-handler.js';
import { buildOpenApiDocument } from '../../shared/openapi/document.js';
import { createHttpServer, type HttpServer } from '../../shared/runtime/server.js';
import { launchChromium, newContext, watchPage } from './browser.js';
import { createTestApp, type TestApp, type TestUser } from './harness.js';

/** Steps through the console as a user takes them, shared by the console's browser test files. */

export interface ConsoleInBrowser {
  readonly app: TestApp;
  /** The gateway's address over real HTTP, e.g. `http://127.0.0.1:43567`. */
  readonly base: string;
  readonly browser: Browser;
  /** The real page in a fresh profile (its CSP enforced), watched for violations and errors. */
  openConsole(options?: { width?: number }): Promise<Page>;
  /** A profile that bypasses the CSP, so axe's script can be injected. */
  openAxeContext(): Promise<BrowserContext>;
  /** What the watch has seen on the page opened last (a test may take an expected violation out). */
  problems(): string[];
}

/**
 * For a console browser test file: the whole gateway over real HTTP on the run's Redis, one Chromium,
 * and after each test its profile closed and checked: any CSP violation or page error fails the test.
 */
export function useConsoleInBrowser(): ConsoleInBrowser {
  let app: TestApp | undefined;
  let http: HttpServer | undefined;
  let base = '';
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let watched: { problems: string[] } | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the console is not started yet (use it inside tests or hooks)');
    return value;
  };

  beforeAll(async () => {
    app = await createTestApp({ env: { PORT: '0', LOG_LEVEL: 'warn' } });
    const operations = Object.values(operationsByFunction).flat();
    http = createHttpServer(createGatewayHandler(operationsByFunction, buildOpenApiDocument(operations, { version: 'test' })), app.services);
    await http.listen();
    base = http.url();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await http?.drain();
    await app?.close();
  });
  afterEach(async () => {
    const problems = watched?.problems ?? [];
    await context?.close();
    context = undefined;
    watched = undefined;
    expect(problems, 'CSP violations or errors on the page').toEqual([]);
  });

  return {
    get app() {
      return started(app);
    },
    get base() {
      return base;
    },
    get browser() {
      return started(browser);
    },
    async openConsole(options = {}) {
      const opened = await openWatchedConsole(started(browser), base, options);
      context = opened.context;
      watched = opened.watched;
      return opened.page;
    },
    problems() {
      return watched?.problems ?? [];
    },
    async openAxeContext() {
      await context?.close();
      context = await newContext(started(browser), { bypassCSP: true });
      return context;
    },
  };
}

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
  // exact: a string heading is the whole heading, so 'Data' is not satisfied by the 'Data: theme' page still on screen
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

/** The value of a fact (a <dt>/<dd> pair of the page's facts) by its term. */
export async function fact(page: Page, term: string): Promise<string> {
  return (await page.locator('.facts div', { has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) }).locator('dd').textContent()) ?? '';
}

/** The page's states in order, as recordStates() saw them: each the text of the main area's status and alert lines. */
export interface StateRecord {
  /** Waits for a state matching `last` and returns every state from the first after the recording began to that one. */
  until(last: RegExp, options?: { timeout?: number }): Promise<string[]>;
  /** Every state recorded so far (after the page has settled: nothing came after the one awaited). */
  all(): Promise<string[]>;
}

/**
 * Starts recording the page's states: each time the main area's status and alert lines (role
 * status/alert: "Loading…", "2 keys starting with …", an error) change, their text joined with " | ".
 * A step of a test then asserts on the whole sequence its action caused (e.g. ['Loading…', '10 uses
 * in 2 days, …']), rather than waiting for a text that the page as it was before may already show.
 * A MutationObserver records every change, however briefly it stood. Call it again before each step.
 */
export async function recordStates(page: Page): Promise<StateRecord> {
  await page.evaluate(() => {
    type Recording = { states: string[]; observer: MutationObserver };
    const holder = window as unknown as { consoleStates?: Recording };
    holder.consoleStates?.observer.disconnect();
    const read = () =>
      [...document.querySelectorAll('main [role="status"], main [role="alert"]')]
        .map((element) => (element.textContent ?? '').trim())
        .filter((text) => text !== '')
        .join(' | ');
    let last = read();
    const recording: Recording = {
      states: [],
      observer: new MutationObserver(() => {
        const now = read();
        if (now === last) return;
        last = now;
        recording.states.push(now);
      }),
    };
    recording.observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    holder.consoleStates = recording;
  });
  return {
    async until(last, options = {}) {
      const states = await page.waitForFunction(
        ([source, flags]) => {
          const recorded = (window as unknown as { consoleStates?: { states: string[] } }).consoleStates?.states ?? [];
          const at = recorded.findIndex((state) => new RegExp(source, flags).test(state));
          return at === -1 ? false : recorded.slice(0, at + 1);
        },
        [last.source, last.flags] as const,
        { timeout: options.timeout ?? 15_000, polling: 50 },
      );
      return (await states.jsonValue()) as string[];
    },
    async all() {
      return page.evaluate(() => [...((window as unknown as { consoleStates?: { states: string[] } }).consoleStates?.states ?? [])]);
    },
  };
}
