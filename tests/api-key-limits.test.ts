import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/clock.js';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { globalKeys } from '../shared/redis/keys.js';
import { hashApiKey } from '../shared/api-keys/key-hash.js';
import { addApiKey, createTestApp, login, newTenant, pendingEvents, testEnv, type TestApp, type TestTenant } from './support/harness.js';

const buildModule = new URL('../build.mjs', import.meta.url).href;
const day = 86_400_000;

/** A clock the test moves forward: refills and grace periods without sleeping. */
function movableClock(start = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms), set: (ms) => (now = ms) };
}

let clock: ReturnType<typeof movableClock>;
let app: TestApp;
let tenant: TestTenant;
let token: string;
let tokenIssuedAt = 0;

beforeAll(async () => {
  clock = movableClock();
  app = await createTestApp({ clock, env: { LOG_LEVEL: 'warn' } });
  tenant = await newTenant(app);
});
afterAll(() => app.close());

/** The admin's token, logged in again whenever the test clock has moved (tokens expire by that clock too). */
beforeEach(async () => {
  await freshToken();
});

async function freshToken(): Promise<string> {
  if (tokenIssuedAt !== clock.now()) {
    token = await login(app, tenant.admin.username, tenant.admin.password);
    tokenIssuedAt = clock.now();
  }
  return token;
}

const verify = async (key: string, scope?: string) => app.request('POST', '/api-keys/verify', { token: await freshToken(), json: { key, ...(scope ? { scope } : {}) } });

describe('rotation', () => {
  it('returns a new secret once; the old one works until the grace period ends, then is NOT_FOUND and 401', async () => {
    const { key: old, id } = await addApiKey(app, token, { scopes: ['data:read'], rate_limit: { limit: 1000, window_s: 60 }, meta: { team: 'a' } });
    const rotated = await app.request('POST', `/api-keys/${id}/rotate`, { token: await freshToken(), json: { grace_period_s: 60 } });
    expect(rotated.status).toBe(201);
    expect(rotated.headers['cache-control']).toBe('no-store');
    const fresh = rotated.body.key_value as string;
    expect(fresh).not.toBe(old);
    expect(rotated.body).toMatchObject({ key_id: id, scopes: ['data:read'], rate_limit: { limit: 1000, window_s: 60 }, meta: { team: 'a' } });
    expect(rotated.body.start).toBe(fresh.slice(0, 7));

    for (const secret of [old, fresh]) {
      expect((await verify(secret)).body).toMatchObject({ valid: true, code: 'VALID', key_id: id });
      expect((await app.request('GET', '/data/none', { apiKey: secret })).status).toBe(404);
    }
    clock.advance(61_000);
    expect((await verify(old)).body).toMatchObject({ valid: false, code: 'NOT_FOUND', key_id: null });
    expect((await app.request('GET', '/data/none', { apiKey: old })).status).toBe(401);
    expect((await verify(fresh)).body.code).toBe('VALID');
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'rotate_api_key');
    expect(events.at(-1)).toMatchObject({ outcome: 'success', key_id: id, grace_period_s: 60 });
  });

  it('ends the old secret at once without a grace period, and keeps each older secret to its own grace end', async () => {
    const { key: first, id } = await addApiKey(app, token);
    const second = (await app.request('POST', `/api-keys/${id}/rotate`, { token, json: {} })).body.key_value as string;
    expect((await verify(first)).body.code).toBe('NOT_FOUND');
    expect(await app.services.redis.exists(globalKeys.apiKeyTenant(hashApiKey(first, app.services.config.apiKeys.pepper)))).toBe(0);
    const third = (await app.request('POST', `/api-keys/${id}/rotate`, { token, json: { grace_period_s: 100 } })).body.key_value as string;
    clock.advance(50_000);
    const fourth = (await app.request('POST', `/api-keys/${id}/rotate`, { token: await freshToken(), json: { grace_period_s: 10 } })).body.key_value as string;
    expect((await verify(second)).body.code).toBe('VALID');
    expect((await verify(third)).body.code).toBe('VALID');
    clock.advance(11_000);
    expect((await verify(second)).body.code).toBe('VALID');
    expect((await verify(third)).body.code).toBe('NOT_FOUND');
    clock.advance(40_000);
    expect((await verify(second)).body.code).toBe('NOT_FOUND');
    expect((await verify(fourth)).body.code).toBe('VALID');
  });

  // Finding: rotating with grace_period_s 0 left older secrets that were still in their grace period working.
  it('rotating with grace_period_s 0 ends every older secret at once, those still in their grace period included', async () => {
    const { key: first, id } = await addApiKey(app, token);
    const second = (await app.request('POST', `/api-keys/${id}/rotate`, { token, json: { grace_period_s: 3600 } })).body.key_value as string;
    const third = (await app.request('POST', `/api-keys/${id}/rotate`, { token, json: { grace_period_s: 3600 } })).body.key_value as string;
    for (const secret of [first, second, third]) expect((await verify(secret)).body.code).toBe('VALID');
    const fourth = (await app.request('POST', `/api-keys/${id}/rotate`, { token, json: { grace_period_s: 0 } })).body.key_value as string;
    for (const secret of [first, second, third]) {
      expect((await verify(secret)).body.code).toBe('NOT_FOUND');
      expect((await app.request('GET', '/data/none', { apiKey: secret })).status).toBe(401);
      expect(await app.services.redis.exists(globalKeys.apiKeyTenant(hashApiKey(secret, app.services.config.apiKeys.pepper)))).toBe(0);
    }
    expect((await verify(fourth)).body.code).toBe('VALID');
    expect((await app.request('GET', `/api-keys/${id}`, { token })).status).toBe(200);
  });

  it('stops every secret of a deleted key, those in their grace period included', async () => {
    const { key: old, id } = await addApiKey(app, token);
    const fresh = (await app.request('POST', `/api-keys/${id}/rotate`, { token, json: { grace_period_s: 3600 } })).body.key_value as string;
    expect((await app.request('DELETE', `/api-keys/${id}`, { token })).status).toBe(204);
    for (const secret of [old, fresh]) {
      expect((await verify(secret)).body.code).toBe('NOT_FOUND');
      expect(await app.services.redis.exists(globalKeys.apiKeyTenant(hashApiKey(secret, app.services.config.apiKeys.pepper)))).toBe(0);
    }
  });

  it('refuses an unknown key, a grace over 30 days and a caller without keys:write', async () => {
    expect((await app.request('POST', '/api-keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV/rotate', { token, json: {} })).status).toBe(404);
    const { id } = await addApiKey(app, token);
    expect((await app.request('POST', `/api-keys/${id}/rotate`, { token, json: { grace_period_s: 2_592_001 } })).status).toBe(422);
    const reader = await addApiKey(app, token, { scopes: ['keys:read'] });
    expect((await app.request('POST', `/api-keys/${id}/rotate`, { apiKey: reader.key, json: {} })).status).toBe(403);
  });
});

describe('rate limits', () => {
  it('lets exactly `limit` of 200 concurrent verifications through, the rest RATE_LIMITED', async () => {
    const { key } = await addApiKey(app, token, { rate_limit: { limit: 25, window_s: 60 } });
    const results = await Promise.all(Array.from({ length: 200 }, () => verify(key)));
    const codes = results.map((result) => result.body.code as string);
    const allowed = codes.filter((code) => code === 'VALID').length;
    console.log(`rate limiter: ${allowed} of 200 concurrent verifications allowed against a limit of 25`);
    expect(allowed).toBe(25);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(175);
    const limited = results.find((result) => result.body.code === 'RATE_LIMITED')?.body;
    expect(limited).toMatchObject({ valid: false, ratelimit: { limit: 25, remaining: 0 } });
    expect(limited.ratelimit.reset).toBeGreaterThan(clock.now());
    const valid = results.find((result) => result.body.code === 'VALID')?.body;
    expect(valid.ratelimit.limit).toBe(25);
  });

  it('answers 429 with RateLimit headers on any route, and counts a sliding window', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read'], rate_limit: { limit: 3, window_s: 10 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await app.request('GET', '/data/x', { apiKey: key })).status);
      clock.advance(2000);
    }
    const limited = await app.request('GET', '/data/x', { apiKey: key });
    expect(statuses).toEqual([404, 404, 404]);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    // The first use was 6 s ago: it leaves the 10 s window in 4 s.
    expect(limited.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '0', 'ratelimit-reset': '4', 'retry-after': '4' });
    clock.advance(4000);
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(404);
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(429);
    const denied = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'access_denied' && event.reason === 'rate_limited');
    expect(denied.length).toBeGreaterThanOrEqual(2);
  });

  it('is set, changed and removed with PATCH', async () => {
    const { key, id } = await addApiKey(app, token);
    const patched = await app.request('PATCH', `/api-keys/${id}`, { token, json: { rate_limit: { limit: 1, window_s: 60 } } });
    expect(patched.body.rate_limit).toEqual({ limit: 1, window_s: 60 });
    expect((await verify(key)).body.code).toBe('VALID');
    expect((await verify(key)).body.code).toBe('RATE_LIMITED');
    const removed = await app.request('PATCH', `/api-keys/${id}`, { token, json: { rate_limit: null } });
    expect(removed.body.rate_limit).toBeNull();
    expect((await verify(key)).body).toMatchObject({ code: 'VALID', ratelimit: null });
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { rate_limit: { limit: 0, window_s: 60 } } })).status).toBe(422);
  });
});

describe('quotas', () => {
  it('reaches zero exactly under 200 concurrent uses', async () => {
    const { key, id } = await addApiKey(app, token, { quota: { remaining: 40 } });
    const results = await Promise.all(Array.from({ length: 200 }, () => verify(key)));
    const codes = results.map((result) => result.body.code as string);
    expect(codes.filter((code) => code === 'VALID')).toHaveLength(40);
    expect(codes.filter((code) => code === 'USAGE_EXCEEDED')).toHaveLength(160);
    const remainders = results.filter((result) => result.body.code === 'VALID').map((result) => result.body.quota.remaining as number);
    expect(new Set(remainders).size).toBe(40);
    expect(Math.min(...remainders)).toBe(0);
    expect((await app.request('GET', `/api-keys/${id}`, { token })).body.quota).toEqual({ remaining: 0, refill: null });
  });

  it('answers 429 usage_exceeded on a route once spent, and never refills a key created without refill', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read'], quota: { remaining: 2 } });
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(404);
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(404);
    const spent = await app.request('GET', '/data/x', { apiKey: key });
    expect(spent.status).toBe(429);
    expect(spent.body.code).toBe('usage_exceeded');
    clock.advance(400 * day);
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(429);
  });

  it('refills daily from the last refill, lazily, without a scheduler', async () => {
    const { key, id } = await addApiKey(app, token, { quota: { remaining: 2, refill: { amount: 5, interval: 'daily' } } });
    expect((await verify(key)).body.quota).toEqual({ remaining: 1 });
    expect((await verify(key)).body.quota).toEqual({ remaining: 0 });
    expect((await verify(key)).body.code).toBe('USAGE_EXCEEDED');
    clock.advance(day - 1000);
    expect((await verify(key)).body.code).toBe('USAGE_EXCEEDED');
    clock.advance(1000);
    expect((await app.request('GET', `/api-keys/${id}`, { token: await freshToken() })).body.quota).toEqual({ remaining: 5, refill: { amount: 5, interval: 'daily' } });
    expect((await verify(key)).body.quota).toEqual({ remaining: 4 });
    // Three idle days later: one refill to the amount, not three.
    clock.advance(3 * day);
    expect((await verify(key)).body.quota).toEqual({ remaining: 4 });
  });

  it('refills monthly on the same day of the next calendar month (clamped to its last day)', async () => {
    clock.set(Date.parse('2028-01-31T10:00:00Z'));
    const { key } = await addApiKey(app, await freshToken(), { quota: { remaining: 0, refill: { amount: 3, interval: 'monthly' } } });
    clock.set(Date.parse('2028-02-29T09:59:59Z'));
    expect((await verify(key)).body.code).toBe('USAGE_EXCEEDED');
    clock.set(Date.parse('2028-02-29T10:00:00Z'));
    expect((await verify(key)).body.quota).toEqual({ remaining: 2 });
    clock.set(Date.parse('2028-03-29T09:00:00Z'));
    expect((await verify(key)).body.quota).toEqual({ remaining: 1 });
    clock.set(Date.parse('2028-03-29T10:00:00Z'));
    expect((await verify(key)).body.quota).toEqual({ remaining: 2 });
    clock.set(Date.now());
  });

  it('spends no quota on a rate-limited or forbidden verification', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['a:b'], quota: { remaining: 10 }, rate_limit: { limit: 2, window_s: 60 } });
    expect((await verify(key, 'c:d')).body.code).toBe('FORBIDDEN');
    await verify(key);
    await verify(key);
    // Refused by the rate limit, charged to nothing: the credits left are shown, untouched.
    expect((await verify(key)).body).toMatchObject({ code: 'RATE_LIMITED', quota: { remaining: 8 }, credits: { remaining: 8 } });
    expect((await app.request('GET', `/api-keys/${id}`, { token })).body.quota.remaining).toBe(8);
  });
});

describe('revocation seen by another process', () => {
  let gateway: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const { buildBundles } = (await import(buildModule)) as { buildBundles(names: string[], options: { quiet: boolean }): Promise<unknown> };
    await buildBundles(['gateway'], { quiet: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = testEnv({ PORT: String(port), LOG_LEVEL: 'warn', AUDIT_OFFLOAD_SCHEDULE: '0 0 1 1 *' });
    gateway = spawn(process.execPath, ['dist/gateway/index.js'], { env: { PATH: process.env.PATH, ...env, KEYWARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'kw-revoke-')) }, stdio: 'ignore' });
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (await fetch(`${base}/healthz`).then((response) => response.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('gateway did not start');
  }, 120_000);
  afterAll(() => {
    gateway?.kill('SIGTERM');
  });

  const useIn = (key: string) => fetch(`${base}/data/x`, { headers: { 'x-api-key': key } }).then((response) => response.status);

  async function secondsUntilRefused(key: string, revoke: () => Promise<unknown>): Promise<number> {
    expect(await useIn(key)).toBe(404);
    const started = performance.now();
    await revoke();
    for (;;) {
      const status = await useIn(key);
      if (status === 401) return (performance.now() - started) / 1000;
      if (performance.now() - started > 5000) throw new Error(`still ${status} after 5 s`);
    }
  }

  it('refuses a deleted, disabled or expired key in the other process within one second, every time', async () => {
    const delays: number[] = [];
    const realApp = await createTestApp({ env: { LOG_LEVEL: 'warn' } });
    const owner = await newTenant(realApp);
    try {
      for (let trial = 0; trial < 20; trial += 1) {
        const deleted = await addApiKey(realApp, owner.admin.token, { scopes: ['data:read'] });
        delays.push(await secondsUntilRefused(deleted.key, () => realApp.request('DELETE', `/api-keys/${deleted.id}`, { token: owner.admin.token })));
        const disabled = await addApiKey(realApp, owner.admin.token, { scopes: ['data:read'] });
        delays.push(await secondsUntilRefused(disabled.key, () => realApp.request('PATCH', `/api-keys/${disabled.id}`, { token: owner.admin.token, json: { enabled: false } })));
        const expiring = await addApiKey(realApp, owner.admin.token, { scopes: ['data:read'] });
        delays.push(await secondsUntilRefused(expiring.key, () => realApp.request('PATCH', `/api-keys/${expiring.id}`, { token: owner.admin.token, json: { expires_in: 1 } }).then(() => new Promise((resolve) => setTimeout(resolve, 1000)))) - 1);
      }
    } finally {
      await realApp.close();
    }
    const worst = Math.max(...delays);
    console.log(`revocation across processes: ${delays.length} trials, worst ${(worst * 1000).toFixed(1)} ms, median ${((delays.sort((a, b) => a - b)[delays.length >> 1] ?? 0) * 1000).toFixed(1)} ms`);
    expect(worst).toBeLessThan(1);
  }, 120_000);
});
