import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleManifestName, type ConsoleManifest } from '../shared/console/console-files.js';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { createTestApp, type TestApp } from './support/harness.js';

/** The console function over the gateway's paths (SPEC §13): what it serves, with which headers, and nothing else. */
let app: TestApp;
let manifest: ConsoleManifest;

beforeAll(async () => {
  app = await createTestApp({ env: { LOG_LEVEL: 'warn' } });
  manifest = JSON.parse(readFileSync(join(app.services.config.console.dir, consoleManifestName), 'utf8')) as ConsoleManifest;
});
afterAll(() => app.close());

const script = () => manifest.assets.find((name) => name.endsWith('.js')) ?? '';

describe('console: the page', () => {
  it('is served at /console/ and /console, not cached, with the security headers', async () => {
    for (const path of ['/console/', '/console', '/function/console/console/']) {
      const page = await app.request('GET', path);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      const csp = page.headers['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('names the content-hashed assets, and carries no inline script or style', async () => {
    const { text } = await app.request('GET', '/console/');
    expect(text).toContain(`src="/console/assets/${script()}"`);
    expect(text).toMatch(/<link rel="stylesheet" href="\/console\/assets\/styles-[A-Z0-9]+\.css">/);
    // Every <script> has a src, no element has a style attribute, no <style> element, no handler attribute.
    expect(text.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    expect(text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });
});

describe('console: the assets', () => {
  it('are served by their hashed name, cached for a year, immutable, with their content type', async () => {
    for (const name of manifest.assets) {
      const asset = await app.request('GET', `/console/assets/${name}`);
      expect(asset.status, name).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.headers['x-content-type-options']).toBe('nosniff');
      expect(asset.text).toBe(readFileSync(join(app.services.config.console.dir, 'assets', name), 'utf8'));
      expect(name).toMatch(/-[A-Za-z0-9]{8,}\.(js|css|svg)$/);
    }
    expect((await app.request('GET', `/console/assets/${script()}`)).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('ship under 150 KB of JavaScript gzipped (the manifest measures what is served)', async () => {
    const gzipped = manifest.assets.filter((name) => name.endsWith('.js')).map((name) => gzipSync(readFileSync(join(app.services.config.console.dir, 'assets', name)), { level: 9 }).length);
    expect(gzipped.reduce((sum, size) => sum + size, 0)).toBe(manifest.javascript.gzipBytes);
    expect(manifest.javascript.gzipBytes).toBeLessThan(150 * 1024);
  });

  it('a name outside the build is 404, never a file beside it or above it', async () => {
    const outside = [
      'manifest.json',
      '..%2Fmanifest.json',
      '..%2Findex.html',
      '..%2F..%2F..%2Fpackage.json',
      '%2E%2E%2F%2E%2E%2Fbundle.cjs',
      '..%5C..%5Cpackage.json',
      `${script()}%00.js`,
      `${script().slice(0, -3)}.JS`,
      '%2Fetc%2Fpasswd',
      'index.html',
    ];
    for (const file of outside) {
      const answer = await app.request('GET', `/console/assets/${file}`);
      expect(answer.status, file).toBe(404);
      expect(answer.body?.code).toBe('not_found');
    }
    // Paths the router would see as more segments are no route at all.
    for (const path of ['/console/assets/../../package.json', '/console/assets/a/b.js', '/console/index.js', '/console/app/manifest.json']) {
      expect((await app.request('GET', path)).status, path).toBe(404);
    }
  });

  it('other methods are 405', async () => {
    const answer = await app.request('POST', '/console/', { json: {} });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET');
  });
});

describe('console: no Redis per request', () => {
  it('serves the page and its assets while Redis is unreachable', async () => {
    const down = await createTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, LOG_LEVEL: 'silent' } });
    try {
      expect((await down.request('GET', '/console/')).status).toBe(200);
      expect((await down.request('GET', `/console/assets/${script()}`)).status).toBe(200);
    } finally {
      down.services.redis.disconnect();
    }
  });
});
