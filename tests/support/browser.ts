// Code passed to page.evaluate runs in the browser: it is typed with the DOM.
/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Chromium for the console's end-to-end tests: Debian's `chromium` (CHROMIUM_PATH to use
 * another), driven by playwright-core, which never downloads a browser of its own.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium's own background traffic (updates, sync, QUIC probes) is refused on a closed network: turned off. */
const quietFlags = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-gpu'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  // Chromium's sandbox needs user namespaces it cannot have as root.
  const sandbox = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: [...sandbox, ...quietFlags] });
}

/** Where each page's screenshot is kept (git-ignored: .data/); a few are copied to docs/ for the README. */
export const screenshotDir = join(process.cwd(), '.data', 'console-screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/**
 * What the page reported that it should not: CSP violations (the real page runs under its CSP; only
 * the accessibility context bypasses it), uncaught errors and console errors. A failed request's own
 * console line ("Failed to load resource: ... 412") is the API answering, not a fault of the page.
 */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
    problems.push(`console error: ${message.text()}`);
  });
  page.on('console', (message) => {
    if (message.text().startsWith('csp-violation ')) problems.push(message.text());
  });
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.warn(`csp-violation ${event.violatedDirective} ${event.blockedURI}`));
  });
  return { problems };
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core's WCAG 2 A/AA rules and best practices on the page as it is now; returns the serious and
 * critical violations. Injected as a script: the context must bypass the page's CSP to allow it.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map((node) => ({ target: node.target })) }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export async function newContext(browser: Browser, options: { bypassCSP?: boolean; width?: number } = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, bypassCSP: options.bypassCSP ?? false, permissions: ['clipboard-read', 'clipboard-write'] });
}
