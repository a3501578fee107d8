import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantKeys } from '../shared/redis/keys.js';
import { addApiKey, addUser, createTestApp, newTenant, pendingEvents, type TestApp, type TestTenant } from './support/harness.js';

let app: TestApp;
let tenant: TestTenant;
let token: string;

beforeAll(async () => {
  app = await createTestApp({ env: { DATA_MAX_VALUE_BYTES: '1024', DATA_MAX_KEYS_PER_TENANT: '50' } });
  tenant = await newTenant(app);
  token = tenant.admin.token;
});
afterAll(() => app.close());

describe('data: happy paths', () => {
  it('creates, reads, replaces and deletes an item', async () => {
    const created = await app.request('POST', '/data', { token, json: { key: 'a', value: { n: 1 }, metadata: { owner: 'x' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'a', value: { n: 1 }, ttl: null, metadata: { owner: 'x' }, version: 1 });
    expect(created.body.created_at).toMatch(/Z$/);
    expect(created.headers.etag).toBe('"1"');

    const read = await app.request('GET', '/data/a', { token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const replaced = await app.request('PUT', '/data/a', { token, json: { value: [1, 'two', null] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ value: [1, 'two', null], metadata: { owner: 'x' }, version: 2 });

    expect((await app.request('DELETE', '/data/a', { token })).status).toBe(204);
    expect((await app.request('GET', '/data/a', { token })).status).toBe(404);
    expect((await app.request('DELETE', '/data/a', { token })).status).toBe(404);
  });

  it('takes the key from ?key= as the old service did', async () => {
    const created = await app.request('POST', '/data?key=from-query', { token, json: { value: 'v' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toBe('from-query');
  });

  it('stores any JSON value, and keys with slashes and unicode when percent-encoded', async () => {
    for (const [key, value] of [['users/42/profile', { deep: { list: [1, { x: true }] } }], ['ключ ✓', 'text'], ['n', 0], ['nul', null]] as const) {
      expect((await app.request('POST', '/data', { token, json: { key, value } })).status).toBe(201);
      const read = await app.request('GET', `/data/${encodeURIComponent(key)}`, { token });
      expect(read.status).toBe(200);
      expect(read.body.value).toEqual(value);
    }
  });

  it('is readable with an API key holding data:read, and not writable without data:write', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read'] });
    await app.request('POST', '/data', { token, json: { key: 'by-key', value: 1 } });
    expect((await app.request('GET', '/data/by-key', { apiKey: key })).body.value).toBe(1);
    const denied = await app.request('PUT', '/data/by-key', { apiKey: key, json: { value: 2 } });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('insufficient_scope');
    expect((await app.request('GET', '/data/by-key', { token })).body.value).toBe(1);
  });
});

describe('data: TTL', () => {
  it('reports seconds left, keeps the expiry when ttl is omitted and removes it with null', async () => {
    const created = await app.request('POST', '/data', { token, json: { key: 'ttl-1', value: 1, ttl: 100 } });
    expect(created.body.ttl).toBe(100);
    const kept = await app.request('PUT', '/data/ttl-1', { token, json: { value: 2 } });
    expect(kept.body.ttl).toBeGreaterThan(90);
    expect(kept.body.ttl).toBeLessThanOrEqual(100);
    const removed = await app.request('PUT', '/data/ttl-1', { token, json: { value: 3, ttl: null } });
    expect(removed.body.ttl).toBeNull();
    expect(await app.services.redis.pttl(tenantKeys(tenant.tenantId).dataItem('ttl-1'))).toBe(-1);
    const set = await app.request('PUT', '/data/ttl-1', { token, json: { value: 4, ttl: 5 } });
    expect(set.body.ttl).toBe(5);
  });

  it('is gone for reads, updates and listings as soon as its TTL runs out', async () => {
    await app.request('POST', '/data', { token, json: { key: 'short/a', value: 1, ttl: 1 } });
    await app.request('POST', '/data', { token, json: { key: 'short/b', value: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await app.request('GET', `/data/${encodeURIComponent('short/a')}`, { token })).status).toBe(404);
    expect((await app.request('PUT', `/data/${encodeURIComponent('short/a')}`, { token, json: { value: 2 } })).status).toBe(404);
    const listed = await app.request('GET', '/data?prefix=short/', { token });
    expect(listed.body.keys).toEqual(['short/b']);
    // The key is free again; the old incarnation's expiry entry stays for the scheduled run to record.
    expect((await app.request('POST', '/data', { token, json: { key: 'short/a', value: 2 } })).status).toBe(201);
    const expiries = await app.services.redis.zrange(tenantKeys(tenant.tenantId).dataExpiry, 0, '-1');
    expect(expiries.some((member) => member.endsWith(':short/a'))).toBe(true);
  });
});

describe('data: conditional updates', () => {
  it('updates only at the version given in If-Match', async () => {
    await app.request('POST', '/data', { token, json: { key: 'cas', value: 0 } });
    const first = await app.request('PUT', '/data/cas', { token, json: { value: 1 }, headers: { 'If-Match': '"1"' } });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    const stale = await app.request('PUT', '/data/cas', { token, json: { value: 9 }, headers: { 'If-Match': '1' } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect((await app.request('GET', '/data/cas', { token })).body.value).toBe(1);
  });

  // RFC 9110 §13.1.1: only a strong, current tag (or * on an existing item) lets a write through; anything else is 412.
  it('follows RFC 9110 If-Match: weak, stale, unparseable tags and * on an absent item are 412 and change nothing', async () => {
    await app.request('POST', '/data', { token, json: { key: 'rfc', value: 0 } });
    const put = (ifMatch: string, key = 'rfc', value: unknown = 'changed') => app.request('PUT', `/data/${key}`, { token, json: { value }, headers: { 'If-Match': ifMatch } });
    for (const refused of ['W/"1"', '"2"', 'abc', '"1', '1, "x', '"1" "1"', '', 'W/"1", "9"']) {
      const response = await put(refused);
      expect(response.status, `If-Match: ${refused}`).toBe(412);
      expect(response.body.code).toBe('precondition_failed');
    }
    expect((await app.request('GET', '/data/rfc', { token })).body).toMatchObject({ value: 0, version: 1 });
    expect((await put('W/"9", "1"', 'rfc', 1)).status).toBe(200);
    expect((await put('"7", "2" ,"3"', 'rfc', 2)).status).toBe(200);
    const any = await put('*', 'rfc', 3);
    expect(any.status).toBe(200);
    expect(any.headers.etag).toBe('"4"');
    expect((await put('*', 'never-created')).status).toBe(412);
    expect((await app.request('PUT', '/data/never-created', { token, json: { value: 1 } })).status).toBe(404);
    expect((await app.request('GET', '/data/rfc', { token })).body).toMatchObject({ value: 3, version: 4 });
  });
});

describe('data: races', () => {
  it('gives exactly one 201 among racing creates of one key, the rest 409', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => app.request('POST', '/data', { token, json: { key: 'race', value: i } })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    const winner = responses.find((response) => response.status === 201);
    expect((await app.request('GET', '/data/race', { token })).body.value).toBe(winner?.body.value);
  });
});

describe('data: listing', () => {
  it('pages through keys in order with a cursor, filtered by prefix, without SCAN', async () => {
    const lister = await newTenant(app);
    const names = Array.from({ length: 25 }, (_, i) => `p/${String(i).padStart(2, '0')}`);
    for (const key of [...names, 'q/other']) await app.request('POST', '/data', { token: lister.admin.token, json: { key, value: 1 } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path: string = `/data?prefix=p/&limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await app.request('GET', path, { token: lister.admin.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.keys);
      cursor = page.body.next_cursor;
      if (cursor) expect(page.headers['x-next-cursor']).toBe(cursor);
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
    const all = await app.request('GET', '/data?limit=1000', { token: lister.admin.token });
    expect(all.body.keys).toHaveLength(26);
  });

  it('refuses a limit out of range and a malformed cursor', async () => {
    expect((await app.request('GET', '/data?limit=0', { token })).status).toBe(422);
    expect((await app.request('GET', '/data?limit=1001', { token })).status).toBe(422);
    expect((await app.request('GET', '/data?cursor=%25%25', { token })).status).toBe(422);
  });
});

describe('data: errors', () => {
  it('409 for an existing key, 404 for absent ones', async () => {
    await app.request('POST', '/data', { token, json: { key: 'dup', value: 1 } });
    const again = await app.request('POST', '/data', { token, json: { key: 'dup', value: 2 } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'already_exists' });
    expect((await app.request('GET', '/data/dup', { token })).body.value).toBe(1);
    expect((await app.request('PUT', '/data/absent', { token, json: { value: 1 } })).status).toBe(404);
  });

  it('422 in FastAPI shape for missing and wrong fields', async () => {
    const missing = await app.request('POST', '/data', { token, json: { key: 'k' } });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContainEqual({ loc: ['body', 'value'], msg: 'Field required', type: 'missing' });
    const noKey = await app.request('POST', '/data', { token, json: { value: 1 } });
    expect(noKey.body.detail).toContainEqual({ loc: ['body', 'key'], msg: 'Field required', type: 'missing' });
    const extra = await app.request('POST', '/data', { token, json: { key: 'k', value: 1, colour: 'red' } });
    expect(extra.body.detail).toContainEqual({ loc: ['body', 'colour'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    const badTtl = await app.request('POST', '/data', { token, json: { key: 'k', value: 1, ttl: 0 } });
    expect(badTtl.body.detail[0].loc).toEqual(['body', 'ttl']);
    const nested = await app.request('POST', '/data', { token, json: { key: 'k', value: 1, metadata: { a: { b: 1 } } } });
    expect(nested.status).toBe(422);
  });

  it('refuses keys that are too long or hold control characters', async () => {
    const long = await app.request('POST', '/data', { token, json: { key: 'x'.repeat(513), value: 1 } });
    expect(long.status).toBe(422);
    const control = await app.request('POST', '/data', { token, json: { key: 'a\u0001b', value: 1 } });
    expect(control.status).toBe(422);
    expect((await app.request('GET', '/data/a%01b', { token })).status).toBe(422);
  });

  it('413 for a value over the limit, nothing written', async () => {
    const big = await app.request('POST', '/data', { token, json: { key: 'big', value: 'x'.repeat(2000) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('value_too_large');
    expect((await app.request('GET', '/data/big', { token })).status).toBe(404);
  });

  it('422 once the tenant holds its limit of keys', async () => {
    const full = await newTenant(app);
    for (let i = 0; i < 50; i += 1) {
      expect((await app.request('POST', '/data', { token: full.admin.token, json: { key: `k${i}`, value: i } })).status).toBe(201);
    }
    const over = await app.request('POST', '/data', { token: full.admin.token, json: { key: 'one-more', value: 1 } });
    expect(over.status).toBe(422);
    expect(over.body.code).toBe('tenant_key_limit');
    expect((await app.request('PUT', '/data/k1', { token: full.admin.token, json: { value: 'replaced' } })).status).toBe(200);
  });

  it('audits failures as well as successes', async () => {
    const audited = await newTenant(app);
    const member = await addUser(app, audited, 'member');
    await app.request('POST', '/data', { token: member.token, json: { key: 'e', value: 1 } });
    await app.request('POST', '/data', { token: member.token, json: { key: 'e', value: 1 } });
    await app.request('GET', '/data/missing', { token: member.token });
    await app.request('POST', '/data', { token: member.token, json: { key: 'e' } });
    const events = (await pendingEvents(app, audited.tenantId)).filter((event) => event.actor.id === member.username && event.action !== 'login_success');
    expect(events.map((event) => [event.action, event.outcome, event.reason])).toEqual([
      ['create_key', 'success', undefined],
      ['create_key', 'failure', 'already_exists'],
      ['get_key', 'failure', 'not_found'],
      ['create_key', 'failure', 'validation_error'],
    ]);
    expect(events[0]).toMatchObject({ tenant_id: audited.tenantId, actor: { type: 'user', id: member.username }, key: 'e' });
    expect(JSON.stringify(events)).not.toContain('"value"');
  });
});
