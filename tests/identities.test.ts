import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/clock.js';
import { tenantKeys } from '../shared/redis/keys.js';
import { addApiKey, createTestApp, login, newTenant, pendingEvents, uniqueName, type TestApp, type TestTenant } from './support/harness.js';

/** A clock the test moves: windows, refills and usage buckets without sleeping. */
function movableClock(start: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms), set: (ms) => (now = ms) };
}

const hour = 3_600_000;
const day = 24 * hour;
// A fixed hour boundary, so bucket starts are known (2030-01-01T00:00:00Z).
const start = Date.UTC(2030, 0, 1);

let clock: ReturnType<typeof movableClock>;
let app: TestApp;
let tenant: TestTenant;
let token: string;
let tokenAt = -1;

beforeAll(async () => {
  clock = movableClock(start);
  app = await createTestApp({ clock, env: { LOG_LEVEL: 'warn' } });
  tenant = await newTenant(app);
});
afterAll(() => app.close());

beforeEach(async () => {
  await freshToken();
});

/** The admin's token, logged in again when the test clock has moved past its expiry. */
async function freshToken(): Promise<string> {
  if (clock.now() - tokenAt > 10 * 60_000) {
    token = await login(app, tenant.admin.username, tenant.admin.password);
    tokenAt = clock.now();
  }
  return token;
}

async function createIdentity(body: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const created = await app.request('POST', '/identities', { token: await freshToken(), json: { external_id: uniqueName('cust'), ...body } });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

const verify = async (body: Record<string, unknown>) => app.request('POST', '/api-keys/verify', { token: await freshToken(), json: body });

describe('identities: create, read, list, change, delete', () => {
  it('creates one with meta, limits and credits; external_id is unique in the tenant (409)', async () => {
    const externalId = uniqueName('acme');
    const created = await app.request('POST', '/identities', {
      token,
      json: { external_id: externalId, meta: { plan: 'pro' }, ratelimits: [{ name: 'requests', limit: 10, window_s: 60, auto_apply: true }], credits: { remaining: 500 } },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      external_id: externalId,
      meta: { plan: 'pro' },
      ratelimits: [{ name: 'requests', limit: 10, window_s: 60, auto_apply: true, algorithm: 'log' }],
      credits: { remaining: 500, refill: null },
      keys: 0,
    });
    expect(created.body.identity_id).toMatch(/^idt_[0-9A-Z]{26}$/);
    expect((await app.request('POST', '/identities', { token, json: { external_id: externalId } })).status).toBe(409);
    const other = await newTenant(app);
    expect((await app.request('POST', '/identities', { token: other.admin.token, json: { external_id: externalId } })).status).toBe(201);
    const read = await app.request('GET', `/identities/${created.body.identity_id}`, { token });
    expect(read.body).toEqual(created.body);
    expect((await app.request('GET', `/identities/${created.body.identity_id}`, { token: other.admin.token })).status).toBe(404);
  });

  it('lists in creation order with paging, and finds one by external_id', async () => {
    const own = await newTenant(app);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await app.request('POST', '/identities', { token: own.admin.token, json: { external_id: `c-${i}` } });
      ids.push(created.body.identity_id);
    }
    const first = await app.request('GET', '/identities?limit=3', { token: own.admin.token });
    expect(first.body.map((identity: { identity_id: string }) => identity.identity_id)).toEqual(ids.slice(0, 3));
    const next = await app.request('GET', `/identities?limit=3&cursor=${first.headers['x-next-cursor']}`, { token: own.admin.token });
    expect(next.body.map((identity: { identity_id: string }) => identity.identity_id)).toEqual(ids.slice(3));
    expect(next.headers['x-next-cursor']).toBeUndefined();
    const found = await app.request('GET', '/identities?external_id=c-2', { token: own.admin.token });
    expect(found.body.map((identity: { identity_id: string }) => identity.identity_id)).toEqual([ids[2]]);
    expect((await app.request('GET', '/identities?external_id=nobody', { token: own.admin.token })).body).toEqual([]);
  });

  it('changes external_id (the index follows; a taken one is 409), meta, limits and credits', async () => {
    const identity = await createIdentity();
    const taken = await createIdentity();
    const newExternal = uniqueName('renamed');
    const changed = await app.request('PATCH', `/identities/${identity.identity_id}`, {
      token,
      json: { external_id: newExternal, meta: { tier: 2 }, ratelimits: [{ name: 'big', limit: 1_000_000, window_s: 3600, algorithm: 'counter' }], credits: { remaining: 7 } },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ external_id: newExternal, meta: { tier: 2 }, credits: { remaining: 7 }, ratelimits: [{ name: 'big', algorithm: 'counter' }] });
    expect((await app.request('GET', `/identities?external_id=${newExternal}`, { token })).body).toHaveLength(1);
    expect((await app.request('GET', `/identities?external_id=${identity.external_id}`, { token })).body).toHaveLength(0);
    expect((await app.request('PATCH', `/identities/${identity.identity_id}`, { token, json: { external_id: taken.external_id } })).status).toBe(409);
    const cleared = await app.request('PATCH', `/identities/${identity.identity_id}`, { token, json: { ratelimits: null, credits: null } });
    expect(cleared.body).toMatchObject({ ratelimits: [], credits: null });
  });

  it('refuses bad input with 422 and meta over 4 KiB with 413, writing nothing', async () => {
    const before = (await app.request('GET', '/identities?limit=100', { token })).body.length;
    for (const body of [
      {},
      { external_id: '' },
      { external_id: 'a\u0001b' },
      { external_id: 'x', ratelimits: [{ name: 'a', limit: 200_000, window_s: 60 }] },
      { external_id: 'x', ratelimits: [{ name: 'a', limit: 5, window_s: 2 * 86_400 }] },
      { external_id: 'x', ratelimits: [{ name: 'a', limit: 5, window_s: 60 }, { name: 'a', limit: 6, window_s: 60 }] },
      { external_id: 'x', ratelimits: [{ name: 'Bad Name', limit: 5, window_s: 60 }] },
      { external_id: 'x', credits: { remaining: -1 } },
      { external_id: 'x', unknown: 1 },
    ]) {
      const refused = await app.request('POST', '/identities', { token, json: body });
      expect(refused.status, JSON.stringify(body)).toBe(422);
    }
    expect((await app.request('POST', '/identities', { token, json: { external_id: 'big', meta: { blob: 'x'.repeat(4096) } } })).status).toBe(413);
    expect((await app.request('GET', '/identities?limit=100', { token })).body.length).toBe(before);
    expect((await app.request('GET', '/identities/idt_nope', { token })).status).toBe(422);
    expect((await app.request('GET', `/identities/idt_${'0'.repeat(26)}`, { token })).status).toBe(404);
  });

  it('deletes one without keys (204); one with keys is 409 until they are gone', async () => {
    const identity = await createIdentity();
    const { id } = await addApiKey(app, token, { identity_id: identity.identity_id });
    const refused = await app.request('DELETE', `/identities/${identity.identity_id}`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('identity_has_keys');
    expect((await app.request('DELETE', `/api-keys/${id}`, { token })).status).toBe(204);
    expect((await app.request('DELETE', `/identities/${identity.identity_id}`, { token })).status).toBe(204);
    expect((await app.request('GET', `/identities/${identity.identity_id}`, { token })).status).toBe(404);
    expect((await app.request('GET', `/identities?external_id=${identity.external_id}`, { token })).body).toEqual([]);
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.identity_id === identity.identity_id);
    expect(events.map((event) => [event.action, event.outcome])).toEqual(
      expect.arrayContaining([['create_identity', 'success'], ['delete_identity', 'failure'], ['delete_identity', 'success']]),
    );
  });
});

describe('identities: keys belong to one', () => {
  it('links a key at creation or by PATCH, lists an identity\'s keys, moves and unlinks them', async () => {
    const a = await createIdentity();
    const b = await createIdentity();
    const first = await addApiKey(app, token, { identity_id: a.identity_id });
    const second = await addApiKey(app, token);
    expect((await app.request('GET', `/api-keys/${first.id}`, { token })).body.identity_id).toBe(a.identity_id);
    expect((await app.request('PATCH', `/api-keys/${second.id}`, { token, json: { identity_id: a.identity_id } })).body.identity_id).toBe(a.identity_id);
    const listed = await app.request('GET', `/api-keys?identity_id=${a.identity_id}`, { token });
    expect(listed.body.map((key: { key_id: string }) => key.key_id)).toEqual([first.id, second.id]);
    expect((await app.request('GET', `/identities/${a.identity_id}`, { token })).body.keys).toBe(2);
    expect((await app.request('PATCH', `/api-keys/${second.id}`, { token, json: { identity_id: b.identity_id } })).status).toBe(200);
    expect((await app.request('PATCH', `/api-keys/${first.id}`, { token, json: { identity_id: null } })).body.identity_id).toBeNull();
    expect((await app.request('GET', `/api-keys?identity_id=${a.identity_id}`, { token })).body).toEqual([]);
    expect((await app.request('GET', `/identities/${b.identity_id}`, { token })).body.keys).toBe(1);
    const unknown = await app.request('POST', '/api-keys', { token, json: { name: 'x', identity_id: `idt_${'0'.repeat(26)}` } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('unknown_identity');
  });

  it('verification answers the identity, its shared credits and every limit applied', async () => {
    const identity = await createIdentity({ meta: { plan: 'team' }, credits: { remaining: 100 }, ratelimits: [{ name: 'burst', limit: 5, window_s: 10, auto_apply: true }] });
    const { key, id } = await addApiKey(app, token, { identity_id: identity.identity_id, rate_limit: { limit: 50, window_s: 60 }, credits: { remaining: 30 } });
    const verified = await verify({ key, cost: 3 });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({
      valid: true,
      code: 'VALID',
      key_id: id,
      identity: { identity_id: identity.identity_id, external_id: identity.external_id, meta: { plan: 'team' } },
      credits: { remaining: 27 },
      quota: { remaining: 27 },
      ratelimit: { limit: 50, remaining: 49 },
    });
    expect(verified.body.ratelimits.map((limit: { name: string; remaining: number; exceeded: boolean }) => [limit.name, limit.remaining, limit.exceeded])).toEqual([
      ['default', 49, false],
      ['burst', 4, false],
    ]);
    expect((await app.request('GET', `/identities/${identity.identity_id}`, { token })).body.credits.remaining).toBe(97);
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'verify_api_key' && event.key_id === id);
    expect(events.at(-1)).toMatchObject({ identity_id: identity.identity_id, code: 'VALID' });
  });
});

describe('identities: limits and credits, shared and all or nothing', () => {
  it('200 parallel verifications against an identity limit of 50 shared by 3 keys admit exactly 50, and charge nothing else for the 150 refused', async () => {
    const identity = await createIdentity({ ratelimits: [{ name: 'shared', limit: 50, window_s: 3600, auto_apply: true }], credits: { remaining: 10_000 } });
    const keys = await Promise.all(
      [0, 1, 2].map(() => addApiKey(app, token, { identity_id: identity.identity_id, rate_limit: { limit: 1000, window_s: 3600 }, credits: { remaining: 1000 } })),
    );
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => verify({ key: keys[i % 3]?.key, cost: 2 })));
    const codes = results.map((response) => response.body.code);
    expect(codes.filter((code) => code === 'VALID')).toHaveLength(50);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(150);
    const validPerKey = keys.map((_, k) => results.filter((response, i) => i % 3 === k && response.body.code === 'VALID').length);
    // Credits: 2 per valid verification, from each key's pool and from the identity's; the refused spent none.
    for (const [k, { id }] of keys.entries()) {
      const record = (await app.request('GET', `/api-keys/${id}`, { token })).body;
      expect(record.credits.remaining).toBe(1000 - 2 * (validPerKey[k] ?? 0));
    }
    expect((await app.request('GET', `/identities/${identity.identity_id}`, { token })).body.credits.remaining).toBe(10_000 - 100);
    // Each key's own limit was charged once per valid verification only: 1000 - its valid count remain.
    const { redis } = app.services;
    for (const [k, { id }] of keys.entries()) expect(await redis.zcard(`${tenantKeys(tenant.tenantId).apiKey(id)}:rl`)).toBe(validPerKey[k]);
    // And the identity's usage counts them all, by code.
    const usage = (await app.request('GET', `/identities/${identity.identity_id}/usage?granularity=hour`, { token })).body;
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ counts: { VALID: 50, RATE_LIMITED: 150 }, credits_spent: 100 });
  });

  it('a refusal by one limit charges none of the others, and a refusal by credits charges no limit', async () => {
    const identity = await createIdentity({ ratelimits: [{ name: 'tight', limit: 3, window_s: 600, auto_apply: true }], credits: { remaining: 100 } });
    const { key } = await addApiKey(app, token, { identity_id: identity.identity_id, ratelimits: [{ name: 'loose', limit: 10, window_s: 600, auto_apply: true }] });
    for (let i = 0; i < 3; i += 1) expect((await verify({ key })).body.code).toBe('VALID');
    const refused = await verify({ key });
    expect(refused.body.code).toBe('RATE_LIMITED');
    const limits = Object.fromEntries(refused.body.ratelimits.map((limit: { name: string }) => [limit.name, limit]));
    expect(limits.tight).toMatchObject({ remaining: 0, exceeded: true });
    expect(limits.loose).toMatchObject({ remaining: 7, exceeded: false });
    expect(refused.body.credits.remaining).toBe(97);

    const poor = await createIdentity({ credits: { remaining: 2 } });
    const { key: spender } = await addApiKey(app, token, { identity_id: poor.identity_id, ratelimits: [{ name: 'loose', limit: 10, window_s: 600, auto_apply: true }] });
    expect((await verify({ key: spender })).body.code).toBe('VALID');
    const short = await verify({ key: spender, cost: 5 });
    expect(short.body).toMatchObject({ code: 'USAGE_EXCEEDED', credits: { remaining: 1 } });
    expect(short.body.ratelimits[0]).toMatchObject({ name: 'loose', remaining: 9, exceeded: false });
    expect((await verify({ key: spender })).body.ratelimits[0]).toMatchObject({ remaining: 8 });
  });

  it('applies named limits a verification asks for, each at its cost; an unknown name is 422', async () => {
    const { key } = await addApiKey(app, token, { ratelimits: [{ name: 'tokens', limit: 25, window_s: 60 }] });
    // Not auto-applied: a plain verification leaves it alone.
    expect((await verify({ key })).body.ratelimits).toEqual([]);
    const ask = { key, ratelimits: [{ name: 'tokens', cost: 10 }] };
    expect((await verify(ask)).body).toMatchObject({ code: 'VALID', ratelimits: [{ name: 'tokens', limit: 25, remaining: 15, exceeded: false }] });
    expect((await verify(ask)).body).toMatchObject({ code: 'VALID', ratelimits: [{ remaining: 5 }] });
    expect((await verify(ask)).body).toMatchObject({ code: 'RATE_LIMITED', ratelimits: [{ remaining: 5, exceeded: true }] });
    const unknown = await verify({ key, ratelimits: [{ name: 'nope' }] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('unknown_ratelimit');
  });

  it('a sliding-window counter weighs the last window by its overlap', async () => {
    clock.set(start + 2 * day);
    const { key } = await addApiKey(app, await freshToken(), { ratelimits: [{ name: 'bulk', limit: 100, window_s: 60, auto_apply: true, algorithm: 'counter' }] });
    const burst = await Promise.all(Array.from({ length: 110 }, () => verify({ key })));
    expect(burst.filter((response) => response.body.code === 'VALID')).toHaveLength(100);
    // Half-way into the next window, half of the last one still counts: 50 more fit.
    clock.advance(60_000 + 30_000);
    const next = await Promise.all(Array.from({ length: 60 }, () => verify({ key })));
    expect(next.filter((response) => response.body.code === 'VALID')).toHaveLength(50);
    // A window later still, nothing of the first is left.
    clock.advance(60_000 + 30_000);
    const later = await Promise.all(Array.from({ length: 110 }, () => verify({ key })));
    expect(later.filter((response) => response.body.code === 'VALID')).toHaveLength(100);
  });

  it('a request made with a key applies its identity\'s auto-applied limits and credits (cost 1)', async () => {
    const identity = await createIdentity({ ratelimits: [{ name: 'calls', limit: 2, window_s: 600, auto_apply: true }], credits: { remaining: 100 } });
    const { key } = await addApiKey(app, token, { identity_id: identity.identity_id, scopes: ['data:read'] });
    expect((await app.request('GET', '/data/none', { apiKey: key })).status).toBe(404);
    expect((await app.request('GET', '/data/none', { apiKey: key })).status).toBe(404);
    const limited = await app.request('GET', '/data/none', { apiKey: key });
    expect(limited.status).toBe(429);
    expect(limited.headers['ratelimit-limit']).toBe('2');
    expect((await app.request('GET', `/identities/${identity.identity_id}`, { token })).body.credits.remaining).toBe(98);
  });
});

describe('usage', () => {
  it('counts uses by code and credits spent per hour and per day, per key, identity and tenant; empty buckets are left out', async () => {
    const own = await newTenant(app);
    clock.set(start + 10 * day);
    let fresh = await login(app, own.admin.username, own.admin.password);
    const identity = (await app.request('POST', '/identities', { token: fresh, json: { external_id: 'metered' } })).body;
    const a = await addApiKey(app, fresh, { identity_id: identity.identity_id, scopes: ['x:y'] });
    const b = await addApiKey(app, fresh, { identity_id: identity.identity_id });
    const v = (key: string, extra: Record<string, unknown> = {}) => app.request('POST', '/api-keys/verify', { token: fresh, json: { key, ...extra } });
    await v(a.key, { cost: 4 });
    await v(a.key, { scope: 'other:scope' });
    await v(b.key);
    clock.advance(3 * hour);
    fresh = await login(app, own.admin.username, own.admin.password);
    await v(a.key, { cost: 2 });
    const hourly = (await app.request('GET', `/api-keys/${a.id}/usage?granularity=hour&since=${new Date(start + 10 * day).toISOString()}`, { token: fresh })).body;
    expect(hourly).toEqual([
      { start: new Date(start + 10 * day).toISOString(), counts: { VALID: 1, FORBIDDEN: 1 }, credits_spent: 4 },
      { start: new Date(start + 10 * day + 3 * hour).toISOString(), counts: { VALID: 1 }, credits_spent: 2 },
    ]);
    const daily = (await app.request('GET', `/identities/${identity.identity_id}/usage?granularity=day`, { token: fresh })).body;
    expect(daily).toEqual([{ start: new Date(start + 10 * day).toISOString(), counts: { VALID: 3, FORBIDDEN: 1 }, credits_spent: 7 }]);
    const tenantDaily = (await app.request('GET', '/usage', { token: fresh })).body;
    expect(tenantDaily).toEqual([{ start: new Date(start + 10 * day).toISOString(), counts: { VALID: 3, FORBIDDEN: 1 }, credits_spent: 7 }]);
    // Redis expires the buckets once their retention has passed: hours (a day's in one hash) after 90
    // days, days (30 to a hash) after 400.
    const prefix = tenantKeys(own.tenantId).usagePrefix;
    const dayStart = start + 10 * day;
    const block = dayStart - (dayStart % (30 * day));
    expect(await app.services.redis.pexpiretime(`${prefix}k:${a.id}:h:${dayStart}`)).toBe(dayStart + day + 90 * day);
    expect(await app.services.redis.pexpiretime(`${prefix}k:${a.id}:d:${block}`)).toBe(block + 30 * day + 400 * day);
  });

  it('refuses since after until, more than 31 days of hours or 400 days of days, and an unknown granularity (422)', async () => {
    const at = (ms: number) => new Date(ms).toISOString();
    for (const query of [
      `since=${at(start + day)}&until=${at(start)}`,
      `granularity=hour&since=${at(start)}&until=${at(start + 32 * day)}`,
      `granularity=day&since=${at(start)}&until=${at(start + 401 * day)}`,
      'granularity=minute',
      'since=yesterday',
    ]) {
      const refused = await app.request('GET', `/usage?${query}`, { token: await freshToken() });
      expect(refused.status, query).toBe(422);
    }
    expect((await app.request('GET', `/usage?granularity=hour&since=${at(start)}&until=${at(start + 31 * day)}`, { token })).status).toBe(200);
  });
});
