import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkApiKey, generateApiKey } from '../shared/api-keys/key-format.js';
import { hashApiKey } from '../shared/api-keys/key-hash.js';
import { globalKeys, tenantKeys } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import {
  addApiKey,
  addUser,
  createTestApp,
  newTenant,
  pendingEvents,
  type TestApp,
  type TestResponse,
  type TestTenant,
  type TestUser,
} from './support/harness.js';

/** The pepper the harness configures (tests/support/harness.ts testEnv). */
const pepper = 'pepper-0123456789abcdef0123456789';
const recordFields = ['key_id', 'name', 'start', 'scopes', 'created_at', 'created_by', 'expires_at', 'last_used', 'enabled', 'rate_limit', 'quota', 'meta', 'identity_id', 'ratelimits', 'credits'];
const verificationFields = ['valid', 'code', 'key_id', 'tenant_id', 'name', 'scopes', 'meta', 'expires_at', 'enabled', 'ratelimit', 'quota', 'ratelimits', 'credits', 'identity'];
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const keyIdPattern = /^key_[0-9A-Z]{26}$/;
/** A well-formed key id that no key has. */
const absentKeyId = `key_${'0'.repeat(26)}`;

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same key with one character of its random part changed: the right shape, a wrong checksum. */
function mistype(key: string): string {
  const at = key.lastIndexOf('_') + 3;
  const replacement = key[at] === 'A' ? 'B' : 'A';
  const mistyped = key.slice(0, at) + replacement + key.slice(at + 1);
  expect(checkApiKey(mistyped)).toBeNull();
  return mistyped;
}

/** POST /api-keys that must succeed; returns the whole response. */
async function createKey(token: string, body: Record<string, unknown> = {}): Promise<TestResponse> {
  const created = await app.request('POST', '/api-keys', { token, json: { name: 'test key', ...body } });
  expect(created.status, created.text).toBe(201);
  return created;
}

/** Every key of the Redis database under `kw:` with every value in it, type-aware, as one text. */
async function dumpRedis(target: TestApp): Promise<string> {
  const { redis } = target.services;
  const parts: string[] = [];
  for (const key of await scanKeys(redis, 'kw:*')) {
    parts.push(key);
    const type = await redis.type(key);
    switch (type) {
      case 'hash':
        parts.push(...Object.entries(await redis.hgetall(key)).flat());
        break;
      case 'string':
        parts.push((await redis.get(key)) ?? '');
        break;
      case 'zset':
        parts.push(...(await redis.zrange(key, '0', '-1', 'WITHSCORES')));
        break;
      case 'stream':
        for (const [id, fields] of await redis.xrange(key, '-', '+')) parts.push(id, ...fields);
        break;
      case 'set':
        parts.push(...(await redis.smembers(key)));
        break;
      case 'list':
        parts.push(...(await redis.lrange(key, 0, -1)));
        break;
      case 'none':
        break; // gone between SCAN and TYPE (other suites share the server)
      default:
        throw new Error(`unexpected type ${type} of ${key}`);
    }
  }
  return parts.join('\n');
}

/** The newest pending audit event of the tenant with this action. */
async function lastEvent(tenantId: string, action: string): Promise<Record<string, any>> {
  const events = (await pendingEvents(app, tenantId)).filter((event) => event.action === action);
  const last = events.at(-1);
  if (!last) throw new Error(`no ${action} event`);
  return last;
}

async function listAllKeyIds(token: string): Promise<string[]> {
  const listed = await app.request('GET', '/api-keys?limit=100', { token });
  expect(listed.status).toBe(200);
  return (listed.body as { key_id: string }[]).map((key) => key.key_id);
}

describe('api keys: creating and reading', () => {
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    tenant = await newTenant(app);
    token = tenant.admin.token;
  });

  it('answers 201 with the record and key_value, and GET returns the record without the secret or its hash', async () => {
    const created = await app.request('POST', '/api-keys', {
      token,
      json: { name: 'ci deploy', scopes: ['data:read', 'orders:read'], meta: { team: 'platform', n: 3, tags: ['a'] } },
    });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(Object.keys(created.body).sort()).toEqual([...recordFields, 'key_value'].sort());
    const key: string = created.body.key_value;
    expect(key).toMatch(/^kw_[0-9A-Za-z]{28}$/);
    expect(checkApiKey(key)).toEqual({ start: created.body.start });
    expect(created.body).toMatchObject({
      name: 'ci deploy',
      start: key.slice(0, 7),
      scopes: ['data:read', 'orders:read'],
      created_by: `user:${tenant.admin.username}`,
      expires_at: null,
      last_used: null,
      enabled: true,
      rate_limit: null,
      quota: null,
      meta: { team: 'platform', n: 3, tags: ['a'] },
    });
    expect(created.body.key_id).toMatch(keyIdPattern);
    expect(created.body.created_at).toMatch(isoPattern);
    expect(Math.abs(Date.parse(created.body.created_at) - Date.now())).toBeLessThan(10_000);

    const read = await app.request('GET', `/api-keys/${created.body.key_id}`, { token });
    expect(read.status).toBe(200);
    const { key_value: _secret, ...record } = created.body;
    expect(read.body).toEqual(record);
    expect(read.body).not.toHaveProperty('key_value');
    expect(read.body).not.toHaveProperty('hash');
    expect(read.text).not.toContain(key);
    expect(read.text).not.toContain(hashApiKey(key, pepper));
  });

  it('defaults to no scopes and an empty meta, and takes a custom prefix', async () => {
    const plain = await createKey(token, { name: 'plain' });
    expect(plain.body.scopes).toEqual([]);
    expect(plain.body.meta).toEqual({});

    const live = await createKey(token, { name: 'live', prefix: 'sk_live' });
    expect(live.body.key_value).toMatch(/^sk_live_[0-9A-Za-z]{28}$/);
    expect(live.body.start).toBe(live.body.key_value.slice(0, 'sk_live_'.length + 4));
    expect(checkApiKey(live.body.key_value)).toEqual({ start: live.body.start });

    const abc = await createKey(token, { name: 'abc', prefix: 'ABC' });
    expect(abc.body.key_value).toMatch(/^ABC_[0-9A-Za-z]{28}$/);
  });

  it('an expiry given as expires_in or expires_at is in the record', async () => {
    const before = Date.now();
    const inAnHour = await createKey(token, { expires_in: 3600 });
    const expiresAt = Date.parse(inAnHour.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);

    const at = new Date(Date.now() + 86_400_000).toISOString();
    const atDay = await createKey(token, { expires_at: at });
    expect(atDay.body.expires_at).toBe(at);

    const past = await app.request('POST', '/api-keys', { token, json: { name: 'x', expires_at: new Date(Date.now() - 1000).toISOString() } });
    expect(past.status).toBe(422);
    const both = await app.request('POST', '/api-keys', { token, json: { name: 'x', expires_at: at, expires_in: 60 } });
    expect(both.status).toBe(422);
  });

  it('refuses a missing name, unknown fields and a bad prefix with 422', async () => {
    const before = await listAllKeyIds(token);
    const noName = await app.request('POST', '/api-keys', { token, json: { scopes: [] } });
    expect(noName.status).toBe(422);
    expect(noName.body.detail).toContainEqual({ loc: ['body', 'name'], msg: 'Field required', type: 'missing' });
    const extra = await app.request('POST', '/api-keys', { token, json: { name: 'x', owner: 'me' } });
    expect(extra.status).toBe(422);
    expect(extra.body.detail).toContainEqual({ loc: ['body', 'owner'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    for (const prefix of ['', 'a-b', 'a_b_c_d', 'x'.repeat(17), 'kw_']) {
      expect((await app.request('POST', '/api-keys', { token, json: { name: 'x', prefix } })).status).toBe(422);
    }
    expect(await listAllKeyIds(token)).toEqual(before);
  });

  it('stores no plaintext key anywhere in Redis, only its HMAC', async () => {
    const created = await createKey(token, { name: 'secret keeper', scopes: ['data:read'] });
    const key: string = created.body.key_value;
    // Use and verify it too, so every path it takes has had a chance to write it somewhere.
    await app.request('GET', '/data/x', { apiKey: key });
    await app.request('POST', '/api-keys/verify', { token, json: { key } });
    const dump = await dumpRedis(app);
    expect(dump).not.toContain(key);
    // Nor the random part without its prefix, nor its random part without the checksum.
    expect(dump).not.toContain(key.slice(3));
    expect(dump).not.toContain(key.slice(0, -6));
    const hash = hashApiKey(key, pepper);
    expect(dump).toContain(hash);
    expect(await app.services.redis.get(globalKeys.apiKeyTenant(hash))).toBe(tenant.tenantId);
    expect(await app.services.redis.hget(tenantKeys(tenant.tenantId).apiKeyHashes, hash)).toBe(created.body.key_id);
    expect(await app.services.redis.hget(tenantKeys(tenant.tenantId).apiKey(created.body.key_id), 'hash')).toBe(hash);
  });
});

describe('api keys: listing', () => {
  let token: string;
  const ids: string[] = [];

  beforeAll(async () => {
    const tenant = await newTenant(app);
    token = tenant.admin.token;
    for (let i = 0; i < 5; i += 1) {
      ids.push((await createKey(token, { name: `key ${i}` })).body.key_id);
      await sleep(3); // ids order by their millisecond; keep creations in distinct ones
    }
  });

  it('returns a JSON array of records in creation order, never secrets', async () => {
    const listed = await app.request('GET', '/api-keys', { token });
    expect(listed.status).toBe(200);
    expect(Array.isArray(listed.body)).toBe(true);
    expect(listed.body.map((key: { key_id: string }) => key.key_id)).toEqual(ids);
    expect(listed.body.map((key: { name: string }) => key.name)).toEqual(['key 0', 'key 1', 'key 2', 'key 3', 'key 4']);
    for (const key of listed.body) {
      expect(Object.keys(key).sort()).toEqual([...recordFields].sort());
    }
    expect(listed.headers['x-next-cursor']).toBeUndefined();
    expect(listed.headers.link).toBeUndefined();
  });

  it('pages with limit, the next cursor in X-Next-Cursor and a Link rel="next", until there is none', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let path: string | null = '/api-keys?limit=2';
    while (path) {
      const page: TestResponse = await app.request('GET', path, { token });
      expect(page.status).toBe(200);
      seen.push(...page.body.map((key: { key_id: string }) => key.key_id));
      sizes.push(page.body.length);
      const cursor = page.headers['x-next-cursor'];
      if (cursor === undefined) {
        expect(page.headers.link).toBeUndefined();
        path = null;
      } else {
        const link = page.headers.link ?? '';
        const match = /^<([^>]+)>;\s*rel="next"$/.exec(link);
        expect(match, link).not.toBeNull();
        const next = match?.[1] ?? '';
        expect(new URL(next, 'http://x').searchParams.get('cursor')).toBe(cursor);
        expect(new URL(next, 'http://x').pathname).toBe('/api-keys');
        // Alternate between following the Link and building the URL from X-Next-Cursor.
        path = sizes.length % 2 === 1 ? next : `/api-keys?limit=2&cursor=${cursor}`;
      }
      expect(sizes.length).toBeLessThan(10);
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(ids);
  });

  it('keeps creation order for keys created within one millisecond', async () => {
    // A client creating keys back to back often lands several creations in the same millisecond
    // (about one in five on loopback); a frozen clock makes that certain. Creation order must hold anyway.
    const frozenAt = Date.now();
    const frozen = await createTestApp({ clock: { now: () => frozenAt } });
    try {
      const tenant = await newTenant(frozen);
      const names = Array.from({ length: 10 }, (_, i) => `same ms ${i}`);
      for (const name of names) {
        const created = await frozen.request('POST', '/api-keys', { token: tenant.admin.token, json: { name } });
        expect(created.status).toBe(201);
      }
      const listed = await frozen.request('GET', '/api-keys', { token: tenant.admin.token });
      expect(listed.body.map((key: { name: string }) => key.name)).toEqual(names);
      const paged: string[] = [];
      let next: string | undefined;
      do {
        const page: TestResponse = await frozen.request('GET', `/api-keys?limit=3${next ? `&cursor=${next}` : ''}`, { token: tenant.admin.token });
        paged.push(...page.body.map((key: { name: string }) => key.name));
        next = page.headers['x-next-cursor'];
      } while (next);
      expect(paged).toEqual(names);
    } finally {
      await frozen.close();
    }
  });

  it('refuses limit 0, 101 and a malformed cursor with 422, and takes 1 and 100', async () => {
    expect((await app.request('GET', '/api-keys?limit=0', { token })).status).toBe(422);
    expect((await app.request('GET', '/api-keys?limit=101', { token })).status).toBe(422);
    expect((await app.request('GET', '/api-keys?limit=abc', { token })).status).toBe(422);
    expect((await app.request('GET', '/api-keys?cursor=%25%25', { token })).status).toBe(422);
    const one = await app.request('GET', '/api-keys?limit=1', { token });
    expect(one.status).toBe(200);
    expect(one.body).toHaveLength(1);
    expect((await app.request('GET', '/api-keys?limit=100', { token })).body).toHaveLength(5);
  });
});

describe('api keys: updating', () => {
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    tenant = await newTenant(app);
    token = tenant.admin.token;
  });

  it('changes name, meta, scopes and enabled, and GET shows the change', async () => {
    const { id } = await addApiKey(app, token, { name: 'before', scopes: ['data:read'], meta: { a: 1 } });
    const renamed = await app.request('PATCH', `/api-keys/${id}`, { token, json: { name: 'after' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ key_id: id, name: 'after', scopes: ['data:read'], meta: { a: 1 }, enabled: true });
    expect(Object.keys(renamed.body).sort()).toEqual([...recordFields].sort());

    const meta = await app.request('PATCH', `/api-keys/${id}`, { token, json: { meta: { b: 'two', nested: { ok: true } } } });
    expect(meta.body.meta).toEqual({ b: 'two', nested: { ok: true } });

    const scoped = await app.request('PATCH', `/api-keys/${id}`, { token, json: { scopes: ['data:read', 'data:write', 'orders:read'] } });
    expect(scoped.body.scopes).toEqual(['data:read', 'data:write', 'orders:read']);
    const emptied = await app.request('PATCH', `/api-keys/${id}`, { token, json: { scopes: [] } });
    expect(emptied.body.scopes).toEqual([]);

    const disabled = await app.request('PATCH', `/api-keys/${id}`, { token, json: { enabled: false, name: 'off' } });
    expect(disabled.body).toMatchObject({ enabled: false, name: 'off' });

    const read = await app.request('GET', `/api-keys/${id}`, { token });
    expect(read.body).toEqual(disabled.body);
  });

  it('sets, moves and clears the expiry with expires_at and expires_in', async () => {
    const { id } = await addApiKey(app, token);
    const at = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const set = await app.request('PATCH', `/api-keys/${id}`, { token, json: { expires_at: at } });
    expect(set.status).toBe(200);
    expect(set.body.expires_at).toBe(at);

    const before = Date.now();
    const moved = await app.request('PATCH', `/api-keys/${id}`, { token, json: { expires_in: 120 } });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.expires_at)).toBeGreaterThanOrEqual(before + 120_000);
    expect(Date.parse(moved.body.expires_at)).toBeLessThanOrEqual(Date.now() + 120_000);

    const cleared = await app.request('PATCH', `/api-keys/${id}`, { token, json: { expires_at: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.expires_at).toBeNull();
  });

  it('refuses a past expiry, both expiry fields, an empty body and unknown fields with 422, changing nothing', async () => {
    const { id } = await addApiKey(app, token, { name: 'steady' });
    const original = (await app.request('GET', `/api-keys/${id}`, { token })).body;
    const past = await app.request('PATCH', `/api-keys/${id}`, { token, json: { expires_at: new Date(Date.now() - 60_000).toISOString(), name: 'changed' } });
    expect(past.status).toBe(422);
    expect(past.body.code).toBe('validation_error');
    const both = await app.request('PATCH', `/api-keys/${id}`, { token, json: { expires_at: new Date(Date.now() + 60_000).toISOString(), expires_in: 60 } });
    expect(both.status).toBe(422);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: {} })).status).toBe(422);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { key_id: absentKeyId } })).status).toBe(422);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { created_by: 'user:someone' } })).status).toBe(422);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { enabled: 'no' } })).status).toBe(422);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { name: '' } })).status).toBe(422);
    expect((await app.request('GET', `/api-keys/${id}`, { token })).body).toEqual(original);
  });

  it('404 for an unknown key id, 422 for a malformed one (GET, PATCH and DELETE)', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const json = method === 'PATCH' ? { name: 'x' } : undefined;
      const unknown = await app.request(method, `/api-keys/${absentKeyId}`, { token, json });
      expect(unknown.status, method).toBe(404);
      expect(unknown.body.code).toBe('not_found');
      for (const bad of ['nope', 'key_123', `key_${'a'.repeat(26)}`, `${absentKeyId}0`]) {
        const malformed = await app.request(method, `/api-keys/${bad}`, { token, json });
        expect(malformed.status, `${method} ${bad}`).toBe(422);
        expect(malformed.body.detail[0].loc).toEqual(['path', 'key_id']);
      }
    }
    // Nothing was created by a PATCH of an absent key.
    expect(await app.services.redis.exists(tenantKeys(tenant.tenantId).apiKey(absentKeyId))).toBe(0);
  });
});

describe('api keys: deleting', () => {
  let tenant: TestTenant;
  let token: string;
  let replica: TestApp;

  beforeAll(async () => {
    tenant = await newTenant(app);
    token = tenant.admin.token;
    await app.request('POST', '/data', { token, json: { key: 'x', value: 'hello' } });
    // A second process on the same Redis, as another replica of the function would be.
    replica = await createTestApp();
  });
  afterAll(() => replica.close());

  it('204, then 404 on GET and DELETE, gone from the list and from Redis', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['data:read'] });
    const hash = hashApiKey(key, pepper);
    const deleted = await app.request('DELETE', `/api-keys/${id}`, { token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await app.request('GET', `/api-keys/${id}`, { token })).status).toBe(404);
    expect((await app.request('DELETE', `/api-keys/${id}`, { token })).status).toBe(404);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { enabled: true } })).status).toBe(404);
    expect(await listAllKeyIds(token)).not.toContain(id);
    const keys = tenantKeys(tenant.tenantId);
    expect(await app.services.redis.exists(keys.apiKey(id))).toBe(0);
    expect(await app.services.redis.hexists(keys.apiKeyHashes, hash)).toBe(0);
    expect(await app.services.redis.exists(globalKeys.apiKeyTenant(hash))).toBe(0);
  });

  it('stops the key working at once, in this process and in another that cached its tenant', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['data:read'] });
    // Both processes have used the key, so both have cached its hash → tenant entry.
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(200);
    expect((await replica.request('GET', '/data/x', { apiKey: key })).status).toBe(200);
    expect(replica.services.keyTenants.get(hashApiKey(key, pepper))).toBe(tenant.tenantId);

    expect((await app.request('DELETE', `/api-keys/${id}`, { token })).status).toBe(204);

    for (const target of [app, replica]) {
      const refused = await target.request('GET', '/data/x', { apiKey: key });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('invalid_api_key');
      expect(refused.headers['www-authenticate']).toBe('Bearer');
      const bearer = await target.request('GET', '/data/x', { headers: { authorization: `Bearer ${key}` } });
      expect(bearer.status).toBe(401);
      expect(bearer.body.code).toBe('invalid_api_key');
    }
  });
});

describe('api keys: using a key', () => {
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    tenant = await newTenant(app);
    token = tenant.admin.token;
    await app.request('POST', '/data', { token, json: { key: 'x', value: { hello: 'world' } } });
  });

  it('works as X-API-Key and as Authorization: Bearer', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read'] });
    const byHeader = await app.request('GET', '/data/x', { apiKey: key });
    expect(byHeader.status).toBe(200);
    expect(byHeader.body.value).toEqual({ hello: 'world' });
    const byBearer = await app.request('GET', '/data/x', { headers: { authorization: `Bearer ${key}` } });
    expect(byBearer.status).toBe(200);
    expect(byBearer.body.value).toEqual({ hello: 'world' });
    const lowerBearer = await app.request('GET', '/data/x', { headers: { authorization: `bearer ${key}` } });
    expect(lowerBearer.status).toBe(200);
  });

  it('has last_used null until the first use, then the time of use', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['data:read'] });
    expect((await app.request('GET', `/api-keys/${id}`, { token })).body.last_used).toBeNull();
    const before = Date.now();
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(200);
    const after = Date.now();
    const lastUsed = (await app.request('GET', `/api-keys/${id}`, { token })).body.last_used;
    expect(lastUsed).toMatch(isoPattern);
    expect(Date.parse(lastUsed)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(lastUsed)).toBeLessThanOrEqual(after);
  });

  it('a disabled key is 401 api_key_disabled, and works again once re-enabled', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['data:read'] });
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(200);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { enabled: false } })).status).toBe(200);
    const refused = await app.request('GET', '/data/x', { apiKey: key });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('api_key_disabled');
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { enabled: true } })).status).toBe(200);
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(200);
  });

  it('an expired key is 401 api_key_expired', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read'], expires_in: 1 });
    expect((await app.request('GET', '/data/x', { apiKey: key })).status).toBe(200);
    await sleep(1100);
    const refused = await app.request('GET', '/data/x', { apiKey: key });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('api_key_expired');
  });

  it('a mistyped or made-up key is 401 invalid_api_key', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read'] });
    for (const bad of [mistype(key), generateApiKey('kw').key, 'not-a-key', `${key}x`]) {
      const refused = await app.request('GET', '/data/x', { apiKey: bad });
      expect(refused.status, bad).toBe(401);
      expect(refused.body.code).toBe('invalid_api_key');
      const bearer = await app.request('GET', '/data/x', { headers: { authorization: `Bearer ${bad}` } });
      expect(bearer.status, bad).toBe(401);
    }
  });

  it('a key created without scopes can be verified but cannot call keyward', async () => {
    const { key } = await addApiKey(app, token);
    const refused = await app.request('GET', '/data/x', { apiKey: key });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    const verified = await app.request('POST', '/api-keys/verify', { token, json: { key } });
    expect(verified.body.code).toBe('VALID');
  });
});

describe('api keys: a bad checksum never reaches Redis', () => {
  let down: TestApp;

  beforeAll(async () => {
    down = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_COMMAND_TIMEOUT_MS: '200' } });
  });
  afterAll(async () => {
    await down.close();
  });

  it('refuses a mistyped key with 401 while Redis is down, and a well-formed one needs Redis (503)', async () => {
    const wellFormed = generateApiKey('kw').key;
    const mistyped = await down.request('GET', '/data/x', { apiKey: mistype(wellFormed) });
    expect(mistyped.status).toBe(401);
    expect(mistyped.body.code).toBe('invalid_api_key');
    const garbage = await down.request('GET', '/data/x', { headers: { authorization: 'Bearer kw_short' } });
    expect(garbage.status).toBe(401);
    expect(garbage.body.code).toBe('invalid_api_key');

    const needsRedis = await down.request('GET', '/data/x', { apiKey: wellFormed });
    expect(needsRedis.status).toBe(503);
    expect(needsRedis.body.code).toBe('redis_unavailable');
    // The failure is logged without the key.
    expect(down.logLines.join('\n')).not.toContain(wellFormed);
  });
});

describe('api keys: scopes', () => {
  let tenant: TestTenant;
  let token: string;
  let member: TestUser;

  beforeAll(async () => {
    tenant = await newTenant(app);
    token = tenant.admin.token;
    member = await addUser(app, tenant, 'member');
  });

  it('a member cannot give a key users:admin or audit:read, and nothing is created', async () => {
    const before = await listAllKeyIds(token);
    for (const scopes of [['users:admin'], ['audit:read'], ['data:read', 'users:admin'], ['orders:read', 'audit:read']]) {
      const refused = await app.request('POST', '/api-keys', { token: member.token, json: { name: 'too much', scopes } });
      expect(refused.status, scopes.join(' ')).toBe(403);
      expect(refused.body.code).toBe('insufficient_scope');
    }
    expect(await listAllKeyIds(token)).toEqual(before);
    const names = (await app.request('GET', '/api-keys', { token })).body.map((key: { name: string }) => key.name);
    expect(names).not.toContain('too much');
  });

  it('a member can give a key the scopes it holds, and anyone with keys:write custom scopes', async () => {
    const read = await createKey(member.token, { scopes: ['data:read'] });
    expect(read.body).toMatchObject({ scopes: ['data:read'], created_by: `user:${member.username}` });
    const all = await createKey(member.token, { scopes: ['data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify'] });
    expect(all.body.scopes).toHaveLength(5);
    const custom = await createKey(member.token, { scopes: ['orders:read', 'billing.admin', 'reports:*'] });
    expect(custom.body.scopes).toEqual(['orders:read', 'billing.admin', 'reports:*']);
    const byAdmin = await createKey(token, { scopes: ['users:admin', 'audit:read', 'orders:write'] });
    expect(byAdmin.body.scopes).toEqual(['users:admin', 'audit:read', 'orders:write']);
  });

  it('a key without keys:write cannot create keys', async () => {
    const { key } = await addApiKey(app, token, { scopes: ['data:read', 'keys:read', 'keys:verify'] });
    const before = await listAllKeyIds(token);
    const refused = await app.request('POST', '/api-keys', { apiKey: key, json: { name: 'from key', scopes: [] } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    expect(await listAllKeyIds(token)).toEqual(before);
  });

  it('a key with keys:write can create keys with a subset of its built-in scopes, not a superset', async () => {
    const parent = await addApiKey(app, token, { scopes: ['keys:write', 'keys:read', 'data:read'] });
    const child = await app.request('POST', '/api-keys', { apiKey: parent.key, json: { name: 'child', scopes: ['data:read', 'orders:read'] } });
    expect(child.status).toBe(201);
    expect(child.body.created_by).toBe(`api_key:${parent.id}`);
    expect(child.body.scopes).toEqual(['data:read', 'orders:read']);
    const before = await listAllKeyIds(token);
    for (const scopes of [['data:read', 'data:write'], ['users:admin'], ['keys:verify'], ['keys:write', 'audit:read']]) {
      const refused = await app.request('POST', '/api-keys', { apiKey: parent.key, json: { name: 'wider', scopes } });
      expect(refused.status, scopes.join(' ')).toBe(403);
      expect(refused.body.code).toBe('insufficient_scope');
    }
    expect(await listAllKeyIds(token)).toEqual(before);
  });

  it('a member cannot widen a key to users:admin with PATCH', async () => {
    const { id } = await addApiKey(app, member.token, { scopes: ['data:read'] });
    for (const scopes of [['data:read', 'users:admin'], ['audit:read']]) {
      const refused = await app.request('PATCH', `/api-keys/${id}`, { token: member.token, json: { scopes } });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('insufficient_scope');
    }
    expect((await app.request('GET', `/api-keys/${id}`, { token })).body.scopes).toEqual(['data:read']);
    const widened = await app.request('PATCH', `/api-keys/${id}`, { token: member.token, json: { scopes: ['data:read', 'data:write', 'orders:read'] } });
    expect(widened.status).toBe(200);
  });

  // Finding: a member rotated an admin's key (users:admin, audit:read), took the new secret, made
  // an admin user with it, logged in as them and read the audit log. PATCH and DELETE were as open.
  it("a member cannot rotate, change or delete a key holding scopes the member lacks, and nothing changes", async () => {
    const admins = await addApiKey(app, token, { scopes: ['users:admin', 'audit:read', 'data:read'] });
    const record = async () => (await app.request('GET', `/api-keys/${admins.id}`, { token })).body;
    const before = await record();
    const attempts = [
      app.request('POST', `/api-keys/${admins.id}/rotate`, { token: member.token, json: { grace_period_s: 0 } }),
      app.request('PATCH', `/api-keys/${admins.id}`, { token: member.token, json: { name: 'renamed' } }),
      app.request('PATCH', `/api-keys/${admins.id}`, { token: member.token, json: { enabled: false } }),
      app.request('DELETE', `/api-keys/${admins.id}`, { token: member.token }),
    ];
    for (const refused of await Promise.all(attempts)) {
      expect(refused.status, refused.text).toBe(403);
      expect(refused.body.code).toBe('insufficient_scope');
      expect(refused.body.key_value).toBeUndefined();
    }
    expect(await record()).toEqual(before);
    // The old secret still works: no rotation happened.
    expect((await app.request('GET', '/users', { apiKey: admins.key })).status).toBe(200);
    // A key with keys:write is held to the same rule: it may not rotate a key with more than it holds.
    const writer = await addApiKey(app, token, { scopes: ['keys:write', 'keys:read', 'data:read'] });
    expect((await app.request('POST', `/api-keys/${admins.id}/rotate`, { apiKey: writer.key, json: {} })).status).toBe(403);
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.key_id === admins.id && event.outcome === 'denied');
    expect(events.map((event) => event.action).sort()).toEqual(['delete_api_key', 'rotate_api_key', 'rotate_api_key', 'update_api_key', 'update_api_key']);
    // What the member holds, it may rotate, change and delete.
    const own = await addApiKey(app, member.token, { scopes: ['data:read', 'keys:write', 'orders:read'] });
    expect((await app.request('POST', `/api-keys/${own.id}/rotate`, { token: member.token, json: {} })).status).toBe(201);
    expect((await app.request('PATCH', `/api-keys/${own.id}`, { token: member.token, json: { name: 'mine' } })).status).toBe(200);
    expect((await app.request('DELETE', `/api-keys/${own.id}`, { token: member.token })).status).toBe(204);
  });

  it('refuses a custom scope in keyward\'s own namespaces (data:everything) with 422', async () => {
    for (const scope of ['data:everything', 'keys:admin', 'audit:write', 'users:read', 'Data:Read']) {
      const refused = await app.request('POST', '/api-keys', { token, json: { name: 'reserved', scopes: [scope] } });
      expect(refused.status, scope).toBe(422);
    }
    const { id } = await addApiKey(app, token, { scopes: ['data:read'] });
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { scopes: ['data:everything'] } })).status).toBe(422);
    expect((await app.request('POST', '/api-keys', { token, json: { name: 'fine', scopes: ['database:read', 'orders:read'] } })).status).toBe(201);
  });

  it('refuses repeated scopes and malformed scopes with 422', async () => {
    const before = await listAllKeyIds(token);
    for (const scopes of [['data:read', 'data:read'], ['orders:read', 'orders:read'], ['data read'], [''], ['x'.repeat(65)], ['-lead']]) {
      const refused = await app.request('POST', '/api-keys', { token, json: { name: 'bad', scopes } });
      expect(refused.status, JSON.stringify(scopes)).toBe(422);
    }
    expect((await app.request('POST', '/api-keys', { token, json: { name: 'bad', scopes: 'data:read' } })).status).toBe(422);
    expect(await listAllKeyIds(token)).toEqual(before);
    const { id } = await addApiKey(app, token, { scopes: ['data:read'] });
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { scopes: ['a:b', 'a:b'] } })).status).toBe(422);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { scopes: ['a b'] } })).status).toBe(422);
  });
});

describe('api keys: verify', () => {
  let tenant: TestTenant;
  let other: TestTenant;
  let token: string;
  let verifier: string;

  beforeAll(async () => {
    tenant = await newTenant(app);
    other = await newTenant(app);
    token = tenant.admin.token;
    verifier = (await addApiKey(app, token, { name: 'verifier', scopes: ['keys:verify'] })).key;
  });

  async function verify(body: Record<string, unknown>, credential: { token?: string; apiKey?: string } = { apiKey: verifier }): Promise<TestResponse> {
    const response = await app.request('POST', '/api-keys/verify', { ...credential, json: body });
    expect(response.status, response.text).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual([...verificationFields].sort());
    expect(response.body.tenant_id).toBe(tenant.tenantId);
    return response;
  }

  it('VALID with the whole response, for a key caller and a user caller', async () => {
    const created = await createKey(token, { name: 'checked', scopes: ['data:read', 'orders:read'], meta: { plan: 'pro' }, expires_in: 3600 });
    const key: string = created.body.key_value;
    const verified = await verify({ key });
    expect(verified.body).toEqual({
      valid: true,
      code: 'VALID',
      key_id: created.body.key_id,
      tenant_id: tenant.tenantId,
      name: 'checked',
      scopes: ['data:read', 'orders:read'],
      meta: { plan: 'pro' },
      expires_at: created.body.expires_at,
      enabled: true,
      ratelimit: null,
      quota: null,
      ratelimits: [],
      credits: null,
      identity: null,
    });
    expect(verified.text).not.toContain(hashApiKey(key, pepper));
    const byUser = await verify({ key }, { token });
    expect(byUser.body).toMatchObject({ valid: true, code: 'VALID', key_id: created.body.key_id });
  });

  it('FORBIDDEN when the key lacks the scope asked for, VALID when it holds it (built-in or custom)', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['data:read', 'orders:read'] });
    for (const scope of ['data:read', 'orders:read']) {
      const held = await verify({ key, scope });
      expect(held.body).toMatchObject({ valid: true, code: 'VALID', key_id: id });
    }
    for (const scope of ['data:write', 'orders:write', 'orders', 'users:admin']) {
      const lacking = await verify({ key, scope });
      expect(lacking.body, scope).toMatchObject({ valid: false, code: 'FORBIDDEN', key_id: id, scopes: ['data:read', 'orders:read'] });
    }
    expect((await app.request('POST', '/api-keys/verify', { apiKey: verifier, json: { key, scope: 'two words' } })).status).toBe(422);
  });

  it('DISABLED for a disabled key, EXPIRED for an expired one', async () => {
    const disabled = await addApiKey(app, token, { scopes: ['data:read'] });
    await app.request('PATCH', `/api-keys/${disabled.id}`, { token, json: { enabled: false } });
    expect((await verify({ key: disabled.key })).body).toMatchObject({ valid: false, code: 'DISABLED', key_id: disabled.id, enabled: false });

    const expiring = await addApiKey(app, token, { scopes: ['data:read'], expires_in: 1 });
    expect((await verify({ key: expiring.key })).body.code).toBe('VALID');
    await sleep(1100);
    expect((await verify({ key: expiring.key })).body).toMatchObject({ valid: false, code: 'EXPIRED', key_id: expiring.id });
  });

  it('NOT_FOUND for a deleted key, a made-up key, a mistyped key and another tenant\'s key, leaking nothing', async () => {
    const deleted = await addApiKey(app, token);
    expect((await app.request('DELETE', `/api-keys/${deleted.id}`, { token })).status).toBe(204);
    const theirs = await createKey(other.admin.token, { name: 'their secret name', scopes: ['data:read'], meta: { theirs: true } });
    const mine = await addApiKey(app, token);
    const notFound = {
      valid: false,
      code: 'NOT_FOUND',
      key_id: null,
      tenant_id: tenant.tenantId,
      name: null,
      scopes: [],
      meta: null,
      expires_at: null,
      enabled: null,
      ratelimit: null,
      quota: null,
      ratelimits: [],
      credits: null,
      identity: null,
    };
    for (const key of [deleted.key, generateApiKey('kw').key, mistype(mine.key), theirs.body.key_value, 'not even a key']) {
      const verified = await verify({ key });
      expect(verified.body, key).toEqual(notFound);
      expect(verified.text).not.toContain(theirs.body.key_id);
      expect(verified.text).not.toContain('their secret name');
    }
    // Verified by its own tenant, the other tenant's key is fine.
    const ownTenant = await app.request('POST', '/api-keys/verify', { token: other.admin.token, json: { key: theirs.body.key_value } });
    expect(ownTenant.body).toMatchObject({ valid: true, code: 'VALID', tenant_id: other.tenantId, key_id: theirs.body.key_id });
    // Nothing about it was written into this tenant's audit trail.
    expect(JSON.stringify(await pendingEvents(app, tenant.tenantId))).not.toContain(theirs.body.key_id);
  });

  it('sets last_used', async () => {
    const { key, id } = await addApiKey(app, token);
    expect((await app.request('GET', `/api-keys/${id}`, { token })).body.last_used).toBeNull();
    const before = Date.now();
    await verify({ key });
    const lastUsed = (await app.request('GET', `/api-keys/${id}`, { token })).body.last_used;
    expect(lastUsed).toMatch(isoPattern);
    expect(Date.parse(lastUsed)).toBeGreaterThanOrEqual(before);
  });

  it('appends one verify_api_key event per verification, with its code and key id', async () => {
    const { key, id } = await addApiKey(app, token, { scopes: ['data:read'] });
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ key }, 'VALID', id],
      [{ key, scope: 'data:write' }, 'FORBIDDEN', id],
      [{ key: generateApiKey('kw').key }, 'NOT_FOUND', undefined],
      [{ key: mistype(key) }, 'NOT_FOUND', undefined],
    ];
    for (const [body, code, keyId] of cases) {
      const before = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'verify_api_key').length;
      await verify(body);
      const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'verify_api_key');
      expect(events).toHaveLength(before + 1);
      const event = events.at(-1);
      expect(event).toMatchObject({ action: 'verify_api_key', code, tenant_id: tenant.tenantId, outcome: code === 'VALID' ? 'success' : 'failure' });
      expect(event?.key_id).toBe(keyId);
      expect(JSON.stringify(event)).not.toContain(String(body.key));
    }
  });

  it('403 for a caller without keys:verify', async () => {
    const { key: reader } = await addApiKey(app, token, { scopes: ['data:read'] });
    const refused = await app.request('POST', '/api-keys/verify', { apiKey: reader, json: { key: verifier } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    const unauthenticated = await app.request('POST', '/api-keys/verify', { json: { key: verifier } });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.detail).toBe('Not authenticated');
  });
});

describe('api keys: audit', () => {
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    tenant = await newTenant(app);
    token = tenant.admin.token;
  });

  it('create, get, list, update and delete each append their event, and no event or log line holds a secret', async () => {
    const created = await createKey(token, { name: 'audited', scopes: ['data:read', 'keys:verify'] });
    const key: string = created.body.key_value;
    const id: string = created.body.key_id;
    expect((await app.request('GET', `/api-keys/${id}`, { token })).status).toBe(200);
    expect((await app.request('GET', '/api-keys', { token })).status).toBe(200);
    expect((await app.request('PATCH', `/api-keys/${id}`, { token, json: { name: 'renamed' } })).status).toBe(200);
    // The key's own use and a verification pass the secret through more code paths.
    await app.request('GET', '/data/x', { apiKey: key });
    await app.request('POST', '/api-keys/verify', { apiKey: key, json: { key } });
    expect((await app.request('DELETE', `/api-keys/${id}`, { token })).status).toBe(204);

    const actions = ['create_api_key', 'get_api_key', 'list_api_keys', 'update_api_key', 'delete_api_key'];
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => actions.includes(event.action));
    expect(events.map((event) => event.action)).toEqual(actions);
    for (const event of events) {
      expect(event).toMatchObject({ tenant_id: tenant.tenantId, actor: { type: 'user', id: tenant.admin.username }, outcome: 'success' });
      expect(event.timestamp).toMatch(isoPattern);
      expect(typeof event.request_id).toBe('string');
      if (event.action !== 'list_api_keys') expect(event.key_id).toBe(id);
    }
    const byKey = await lastEvent(tenant.tenantId, 'verify_api_key');
    expect(byKey).toMatchObject({ actor: { type: 'api_key', id }, code: 'VALID', key_id: id });

    const all = await pendingEvents(app, tenant.tenantId);
    const trail = JSON.stringify(all);
    expect(trail).not.toContain(key);
    expect(trail).not.toContain(key.slice(3));
    expect(trail).not.toContain(hashApiKey(key, pepper));
    expect(app.logLines.length).toBeGreaterThan(0);
    const logs = app.logLines.join('\n');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(key.slice(3));
  });

  it('records refusals too: a denied create and a missing key', async () => {
    const member = await addUser(app, tenant, 'member');
    await app.request('POST', '/api-keys', { token: member.token, json: { name: 'x', scopes: ['users:admin'] } });
    await app.request('GET', `/api-keys/${absentKeyId}`, { token: member.token });
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.actor.id === member.username && event.action !== 'login_success');
    expect(events.map((event) => [event.action, event.outcome, event.reason])).toEqual([
      ['create_api_key', 'denied', 'insufficient_scope'],
      ['get_api_key', 'failure', 'not_found'],
    ]);
  });
});

// Finding: a key's meta took 1 MB (2.3 MB in Redis) and a tenant could hold any number of keys, in the one Redis all tenants share.
describe('api keys: sizes a client controls are bounded', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await createTestApp({ env: { API_KEYS_MAX_PER_TENANT: '3' } });
  });
  afterAll(() => limited.close());

  it('refuses meta over 4 KiB with 413 on create and on PATCH, writing nothing', async () => {
    const tenant = await newTenant(app);
    const big = { blob: 'x'.repeat(4096) };
    const before = await listAllKeyIds(tenant.admin.token);
    const created = await app.request('POST', '/api-keys', { token: tenant.admin.token, json: { name: 'big', meta: big } });
    expect(created.status, created.text).toBe(413);
    expect(created.body.code).toBe('value_too_large');
    expect(await listAllKeyIds(tenant.admin.token)).toEqual(before);
    const { id } = await addApiKey(app, tenant.admin.token, { meta: { small: true } });
    const patched = await app.request('PATCH', `/api-keys/${id}`, { token: tenant.admin.token, json: { meta: big } });
    expect(patched.status).toBe(413);
    expect((await app.request('GET', `/api-keys/${id}`, { token: tenant.admin.token })).body.meta).toEqual({ small: true });
    // Just under the limit is fine.
    const fits = { blob: 'x'.repeat(4096 - JSON.stringify({ blob: '' }).length) };
    expect((await app.request('PATCH', `/api-keys/${id}`, { token: tenant.admin.token, json: { meta: fits } })).status).toBe(200);
  });

  it('refuses a key past API_KEYS_MAX_PER_TENANT with 422, per tenant, until one is deleted', async () => {
    const tenant = await newTenant(limited);
    const other = await newTenant(limited);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await addApiKey(limited, tenant.admin.token)).id);
    const refused = await limited.request('POST', '/api-keys', { token: tenant.admin.token, json: { name: 'one too many' } });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.code).toBe('tenant_api_key_limit');
    expect((await limited.request('GET', '/api-keys', { token: tenant.admin.token })).body).toHaveLength(3);
    // Another tenant has its own count.
    expect((await limited.request('POST', '/api-keys', { token: other.admin.token, json: { name: 'fine' } })).status).toBe(201);
    expect((await limited.request('DELETE', `/api-keys/${ids[0] ?? ''}`, { token: tenant.admin.token })).status).toBe(204);
    expect((await limited.request('POST', '/api-keys', { token: tenant.admin.token, json: { name: 'room again' } })).status).toBe(201);
  });
});
