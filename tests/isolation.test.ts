import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingKeyOf } from '../shared/audit/pending-tenants.js';
import { hashApiKey } from '../shared/api-keys/key-hash.js';
import { scopesOfRole } from '../shared/auth/scopes.js';
import { globalKeys, tenantKeyPattern, tenantKeys } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import { addApiKey, addUser, createTestApp, login, newTenant, offloadToken, testPassword, uniqueName, type TestApp, type TestTenant, type TestUser } from './support/harness.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

/** The harness's secrets (tests/support/harness.ts testEnv). */
const jwtSecret = '0123456789abcdef0123456789abcdef';
const pepper = 'pepper-0123456789abcdef0123456789';
const allDataScopes = ['data:read', 'data:write'];
const keyScopes = ['data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify'];

/** One side of a pair of tenants: the same data key names on both sides, users and an API key each. */
interface Side {
  label: 'A' | 'B';
  tenant: TestTenant;
  member: TestUser;
  /** An API key holding every data scope (and the keys scopes). */
  key: string;
  keyId: string;
  /** The values stored under the names both tenants use. */
  values: Record<string, unknown>;
  /** A name only this tenant uses. */
  privateName: string;
}

const sharedNames = ['shared', 'config/app', 'ключ ✓'];

const path = (name: string) => `/data/${encodeURIComponent(name)}`;

async function makeSide(app: TestApp, label: 'A' | 'B'): Promise<Side> {
  const tenant = await newTenant(app);
  const member = await addUser(app, tenant, 'member');
  const token = tenant.admin.token;
  const values: Record<string, unknown> = {};
  for (const name of sharedNames) {
    values[name] = { owner: label, name };
    const created = await app.request('POST', '/data', { token, json: { key: name, value: values[name], metadata: { side: label } } });
    if (created.status !== 201) throw new Error(`item not created: ${created.status} ${created.text}`);
  }
  const privateName = `${label.toLowerCase()}-private`;
  await app.request('POST', '/data', { token, json: { key: privateName, value: `${label} only` } });
  const { key, id } = await addApiKey(app, token, { name: `${label} key`, scopes: keyScopes });
  return { label, tenant, member, key, keyId: id, values, privateName };
}

/** Every value A holds is still what A stored. */
async function expectUnchanged(app: TestApp, side: Side): Promise<void> {
  for (const name of sharedNames) {
    const read = await app.request('GET', path(name), { token: side.tenant.admin.token });
    expect(read.status, name).toBe(200);
    expect(read.body.value).toEqual(side.values[name]);
    expect(read.body.metadata).toEqual({ side: side.label });
    expect(read.body.version).toBe(1);
  }
  const own = await app.request('GET', path(side.privateName), { token: side.tenant.admin.token });
  expect(own.status).toBe(200);
  expect(own.body.value).toBe(`${side.label} only`);
}

/** An HS256 token signed with the test secret, claims as given. */
/** A token signed with the service's key; it carries the named user's current token generation when that user exists. */
async function signToken(claims: { sub: string; tenant_id: string; role: 'admin' | 'member' }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const gen = (await app.services.redis.hget(tenantKeys(claims.tenant_id).user(claims.sub), 'token_gen')) ?? undefined;
  return new SignJWT({ tenant_id: claims.tenant_id, role: claims.role, scope: scopesOfRole(claims.role).join(' '), gen })
    .setProtectedHeader({ alg: 'HS256', kid: 'test-1', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setIssuer('keyward')
    .setAudience('keyward')
    .setJti(randomUUID())
    .sign(new TextEncoder().encode(jwtSecret));
}

/** The Redis Cluster hash tag of a key: between its first `{` and the next `}`, if not empty. */
function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

describe('isolation: data', () => {
  let a: Side;
  let b: Side;

  beforeAll(async () => {
    a = await makeSide(app, 'A');
    b = await makeSide(app, 'B');
  });

  it("B's admin and B's key read their own items under the same names, and never A's", async () => {
    for (const credential of [{ token: b.tenant.admin.token }, { apiKey: b.key }]) {
      for (const name of sharedNames) {
        const read = await app.request('GET', path(name), credential);
        expect(read.status).toBe(200);
        expect(read.body.value).toEqual(b.values[name]);
        expect(read.body.metadata).toEqual({ side: 'B' });
      }
      const theirs = await app.request('GET', path(a.privateName), credential);
      expect(theirs.status).toBe(404);
      expect(theirs.body.code).toBe('not_found');
    }
  });

  it("B cannot update or delete A's items", async () => {
    for (const credential of [{ token: b.tenant.admin.token }, { apiKey: b.key }]) {
      const put = await app.request('PUT', path(a.privateName), { ...credential, json: { value: 'overwritten by B' } });
      expect(put.status).toBe(404);
      // In B the key is absent, so If-Match cannot match (RFC 9110): 412, as for any key B does not have.
      const conditional = await app.request('PUT', path(a.privateName), { ...credential, json: { value: 'x' }, headers: { 'If-Match': '"1"' } });
      expect(conditional.status).toBe(412);
      const absentInB = await app.request('PUT', path(uniqueName('nowhere')), { ...credential, json: { value: 'x' }, headers: { 'If-Match': '"1"' } });
      expect(absentInB.status).toBe(conditional.status);
      const deleted = await app.request('DELETE', path(a.privateName), credential);
      expect(deleted.status).toBe(404);
    }
    // Writing the names both use changes B's items only.
    const put = await app.request('PUT', path('shared'), { token: b.tenant.admin.token, json: { value: 'B changed', metadata: { side: 'B' } } });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(2);
    b.values.shared = 'B changed';
    expect((await app.request('DELETE', path('config/app'), { apiKey: b.key })).status).toBe(204);
    expect((await app.request('POST', '/data', { apiKey: b.key, json: { key: 'config/app', value: b.values['config/app'], metadata: { side: 'B' } } })).status).toBe(201);
    await expectUnchanged(app, a);
  });

  it("B's listing shows only B's keys", async () => {
    for (const credential of [{ token: b.tenant.admin.token }, { apiKey: b.key }]) {
      const listed = await app.request('GET', '/data?limit=1000', credential);
      expect(listed.status).toBe(200);
      expect([...listed.body.keys].sort()).toEqual([...sharedNames, b.privateName].sort());
      const prefixed = await app.request('GET', '/data?prefix=a-', credential);
      expect(prefixed.body.keys).toEqual([]);
    }
    const listedA = await app.request('GET', '/data?limit=1000', { token: a.tenant.admin.token });
    expect([...listedA.body.keys].sort()).toEqual([...sharedNames, a.privateName].sort());

    // B may use A's private name for an item of its own; it is B's, and A's stays A's.
    expect((await app.request('POST', '/data', { token: b.tenant.admin.token, json: { key: a.privateName, value: 'B took the name' } })).status).toBe(201);
    expect((await app.request('GET', path(a.privateName), { apiKey: b.key })).body.value).toBe('B took the name');
    expect((await app.request('GET', '/data?prefix=a-', { apiKey: b.key })).body.keys).toEqual([a.privateName]);
    await expectUnchanged(app, a);
    expect((await app.request('DELETE', path(a.privateName), { apiKey: b.key })).status).toBe(204);
    await expectUnchanged(app, a);
  });

  it('nothing in a request can name another tenant', async () => {
    const token = b.tenant.admin.token;
    const withField = await app.request('POST', '/data', { token, json: { key: 'named', value: 1, tenant_id: a.tenant.tenantId } });
    expect(withField.status).toBe(422);
    expect(withField.body.detail).toContainEqual({ loc: ['body', 'tenant_id'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    const putField = await app.request('PUT', path('shared'), { token, json: { value: 1, tenant_id: a.tenant.tenantId } });
    expect(putField.status).toBe(422);
    expect(putField.body.detail).toContainEqual({ loc: ['body', 'tenant_id'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    const keyField = await app.request('POST', '/api-keys', { token, json: { name: 'x', tenant_id: a.tenant.tenantId } });
    expect(keyField.status).toBe(422);
    expect(keyField.body.detail[0]).toMatchObject({ loc: ['body', 'tenant_id'], type: 'extra_forbidden' });

    // A ?tenant_id= query (or header) is ignored: still the caller's tenant.
    const other = `tenant_id=${a.tenant.tenantId}`;
    const read = await app.request('GET', `${path('shared')}?${other}`, { token, headers: { 'X-Tenant-Id': a.tenant.tenantId } });
    expect(read.status).toBe(200);
    expect(read.body.value).toEqual(b.values.shared);
    expect((await app.request('GET', `${path(a.privateName)}?${other}`, { token: a.tenant.admin.token })).body.value).toBe('A only');
    const listed = await app.request('GET', `/data?limit=1000&${other}`, { apiKey: b.key });
    expect(listed.status).toBe(200);
    expect(listed.body.keys).toContain(b.privateName);
    const created = await app.request('POST', `/data?${other}`, { token, json: { key: 'made-with-query', value: 'b' } });
    expect(created.status).toBe(201);
    expect((await app.request('GET', path('made-with-query'), { token: a.tenant.admin.token })).status).toBe(404);
    expect((await app.request('GET', path('made-with-query'), { token })).status).toBe(200);
    expect(await app.services.redis.exists(tenantKeys(a.tenant.tenantId).dataItem('made-with-query'))).toBe(0);
    await expectUnchanged(app, a);
  });
});

describe('isolation: users', () => {
  let a: Side;
  let b: Side;

  beforeAll(async () => {
    a = await makeSide(app, 'A');
    b = await makeSide(app, 'B');
  });

  it("B cannot see, change or delete A's users, and they still log in", async () => {
    const token = b.tenant.admin.token;
    for (const user of [a.member.username, a.tenant.admin.username]) {
      const read = await app.request('GET', `/users/${user}`, { token });
      expect(read.status, user).toBe(404);
      expect(read.text).not.toContain(a.tenant.tenantId);
      const patched = await app.request('PATCH', `/users/${user}`, { token, json: { disabled: true, password: 'b took over this account', role: 'member' } });
      expect(patched.status, user).toBe(404);
      const deleted = await app.request('DELETE', `/users/${user}`, { token });
      expect(deleted.status, user).toBe(404);
    }
    const listed = await app.request('GET', '/users?limit=1000', { token });
    expect(listed.status).toBe(200);
    const names = listed.body.map((user: { username: string }) => user.username);
    expect(names.sort()).toEqual([b.tenant.admin.username, b.member.username].sort());
    for (const user of listed.body) expect(user.tenant_id).toBe(b.tenant.tenantId);

    // A's users are intact: they log in with their own password and hold their own role.
    const memberToken = await login(app, a.member.username, testPassword);
    const me = await app.request('GET', '/users/me', { token: memberToken });
    expect(me.body).toMatchObject({ username: a.member.username, tenant_id: a.tenant.tenantId, role: 'member', disabled: false });
    expect(await login(app, a.tenant.admin.username, testPassword)).toBeTruthy();
    const refused = await app.request('POST', '/token', { form: { username: a.member.username, password: 'b took over this account' } });
    expect(refused.status).toBe(401);
    // The old tokens of A's users still work too.
    expect((await app.request('GET', '/users/me', { token: a.member.token })).status).toBe(200);
    const read = await app.request('GET', `/users/${a.member.username}`, { token: a.tenant.admin.token });
    expect(read.status).toBe(200);
  });

  it("B's key with users scopes cannot reach A's users either", async () => {
    const { key } = await addApiKey(app, b.tenant.admin.token, { scopes: ['users:admin'] });
    expect((await app.request('GET', `/users/${a.member.username}`, { apiKey: key })).status).toBe(404);
    expect((await app.request('DELETE', `/users/${a.member.username}`, { apiKey: key })).status).toBe(404);
    expect((await app.request('GET', '/users/me', { token: a.member.token })).status).toBe(200);
  });
});

describe('isolation: API keys', () => {
  let a: Side;
  let b: Side;

  beforeAll(async () => {
    a = await makeSide(app, 'A');
    b = await makeSide(app, 'B');
  });

  it("B cannot get, change or delete A's key by id, and A's key keeps working", async () => {
    for (const credential of [{ token: b.tenant.admin.token }, { apiKey: b.key }]) {
      expect((await app.request('GET', `/api-keys/${a.keyId}`, credential)).status).toBe(404);
      const patched = await app.request('PATCH', `/api-keys/${a.keyId}`, { ...credential, json: { enabled: false, scopes: [] } });
      expect(patched.status).toBe(404);
      expect((await app.request('DELETE', `/api-keys/${a.keyId}`, credential)).status).toBe(404);
      const listed = await app.request('GET', '/api-keys?limit=100', credential);
      expect(listed.status).toBe(200);
      const ids = listed.body.map((key: { key_id: string }) => key.key_id);
      expect(ids).toContain(b.keyId);
      expect(ids).not.toContain(a.keyId);
    }
    const own = await app.request('GET', `/api-keys/${a.keyId}`, { token: a.tenant.admin.token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ key_id: a.keyId, enabled: true, scopes: keyScopes });
    expect((await app.request('GET', path('shared'), { apiKey: a.key })).status).toBe(200);
    // Nothing was written into A's record or a stray record under B.
    expect(await app.services.redis.exists(tenantKeys(b.tenant.tenantId).apiKey(a.keyId))).toBe(0);
  });

  it("A's key verified by B is NOT_FOUND, by A VALID", async () => {
    for (const credential of [{ token: b.tenant.admin.token }, { apiKey: b.key }]) {
      const verified = await app.request('POST', '/api-keys/verify', { ...credential, json: { key: a.key } });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ valid: false, code: 'NOT_FOUND', key_id: null, name: null, tenant_id: b.tenant.tenantId });
      expect(verified.text).not.toContain(a.keyId);
      const scoped = await app.request('POST', '/api-keys/verify', { ...credential, json: { key: a.key, scope: 'data:read' } });
      expect(scoped.body.code).toBe('NOT_FOUND');
    }
    const ownTenant = await app.request('POST', '/api-keys/verify', { apiKey: a.key, json: { key: a.key } });
    expect(ownTenant.body).toMatchObject({ valid: true, code: 'VALID', key_id: a.keyId, tenant_id: a.tenant.tenantId });
  });

  it("A's key authenticates as A wherever it is sent: it sees A's data only", async () => {
    for (const name of sharedNames) {
      const read = await app.request('GET', path(name), { apiKey: a.key });
      expect(read.status).toBe(200);
      expect(read.body.value).toEqual(a.values[name]);
    }
    expect((await app.request('GET', path(b.privateName), { apiKey: a.key })).status).toBe(404);
    const listed = await app.request('GET', '/data?limit=1000', { apiKey: a.key });
    expect([...listed.body.keys].sort()).toEqual([...sharedNames, a.privateName].sort());
    // Sent together with B's admin token in X-API-Key form it still is A's key: the key wins, never a mix.
    const mixed = await app.request('GET', path('shared'), { apiKey: a.key, token: b.tenant.admin.token });
    expect(mixed.status).toBe(200);
    expect(mixed.body.value).toEqual(a.values.shared);
    // Keys it creates belong to A.
    const child = await app.request('POST', '/api-keys', { apiKey: a.key, json: { name: 'child of A', scopes: allDataScopes } });
    expect(child.status).toBe(201);
    expect((await app.request('GET', `/api-keys/${child.body.key_id}`, { token: a.tenant.admin.token })).status).toBe(200);
    expect((await app.request('GET', `/api-keys/${child.body.key_id}`, { token: b.tenant.admin.token })).status).toBe(404);
  });
});

describe('isolation: audit logs', () => {
  // The offload ships every tenant's pending events: on the run's shared Redis it would take the
  // events other suites (running in parallel) read with pendingEvents. So this block has a Redis of its own.
  let redis: RedisProcess;
  let auditApp: TestApp;
  let a: Side;
  let b: Side;

  beforeAll(async () => {
    redis = await startRedisServer();
    auditApp = await createTestApp({ env: { REDIS_URL: redis.url } });
    a = await makeSide(auditApp, 'A');
    b = await makeSide(auditApp, 'B');
    // Some failures and cross-tenant attempts on both sides.
    await auditApp.request('GET', path(a.privateName), { token: b.tenant.admin.token });
    await auditApp.request('GET', `/users/${a.member.username}`, { token: b.tenant.admin.token });
    await auditApp.request('POST', '/api-keys/verify', { apiKey: b.key, json: { key: a.key } });
    await auditApp.request('GET', path('missing'), { apiKey: a.key });
  });
  afterAll(async () => {
    await auditApp?.close();
    await redis?.stop();
  });

  it("B's admin reads B's events only, before and after the offload", async () => {
    const pendingOnly = await auditApp.request('GET', '/audit-logs?limit=1000', { token: b.tenant.admin.token });
    expect(pendingOnly.status).toBe(200);
    expect(pendingOnly.body.length).toBeGreaterThan(0);
    for (const event of pendingOnly.body) expect(event.tenant_id).toBe(b.tenant.tenantId);

    const offload = await auditApp.request('POST', '/function/audit-offload/', { token: offloadToken });
    expect(offload.status).toBe(200);
    expect(offload.body.shipped).toBeGreaterThan(0);
    expect(offload.body.tenants[a.tenant.tenantId].shipped).toBeGreaterThan(0);
    expect(offload.body.tenants[b.tenant.tenantId].shipped).toBeGreaterThan(0);

    for (const credential of [{ token: b.tenant.admin.token }, { token: b.tenant.admin.token, query: `&tenant_id=${a.tenant.tenantId}` }]) {
      const read = await auditApp.request('GET', `/audit-logs?limit=1000${credential.query ?? ''}`, { token: credential.token });
      expect(read.status).toBe(200);
      expect(read.body.length).toBeGreaterThan(5);
      for (const event of read.body) expect(event.tenant_id).toBe(b.tenant.tenantId);
      const text = read.text;
      expect(text).not.toContain(a.tenant.tenantId);
      expect(text).not.toContain(a.keyId);
      expect(text).not.toContain(a.tenant.admin.username);
      // B's own events are there, shipped ones included.
      expect(read.body.some((event: { action: string }) => event.action === 'create_api_key')).toBe(true);
      expect(read.body.some((event: { action: string; code?: string }) => event.action === 'verify_api_key' && event.code === 'NOT_FOUND')).toBe(true);
    }
    const readA = await auditApp.request('GET', '/audit-logs?limit=1000', { token: a.tenant.admin.token });
    expect(readA.status).toBe(200);
    expect(readA.body.length).toBeGreaterThan(5);
    for (const event of readA.body) expect(event.tenant_id).toBe(a.tenant.tenantId);
    expect(readA.text).not.toContain(b.tenant.tenantId);
  });

  it('a member of A gets 403 on /audit-logs, and so does a key without audit:read', async () => {
    const member = await auditApp.request('GET', '/audit-logs', { token: a.member.token });
    expect(member.status).toBe(403);
    expect(member.body.code).toBe('insufficient_scope');
    expect((await auditApp.request('GET', '/audit-logs', { apiKey: a.key })).status).toBe(403);
  });
});

describe('isolation: a JWT whose tenant claim is changed', () => {
  let a: Side;
  let b: Side;

  beforeAll(async () => {
    a = await makeSide(app, 'A');
    b = await makeSide(app, 'B');
  });

  it('is refused (401): the claim alone cannot cross tenants, because the user does not exist in B', async () => {
    // Control: the same construction with A's true tenant is accepted, so the signature and claims are right.
    const genuine = await signToken({ sub: a.tenant.admin.username, tenant_id: a.tenant.tenantId, role: 'admin' });
    const control = await app.request('GET', path('shared'), { token: genuine });
    expect(control.status).toBe(200);
    expect(control.body.value).toEqual(a.values.shared);

    // A validly signed token (whoever holds the signing key could make one) naming A's admin in tenant B:
    // the live check runs against B's user records, where A's admin does not exist, so it is refused.
    // The tenant a request acts in comes from the credential, and the credential is checked in that tenant.
    const forged = await signToken({ sub: a.tenant.admin.username, tenant_id: b.tenant.tenantId, role: 'admin' });
    for (const [method, route] of [
      ['GET', path('shared')],
      ['GET', path(b.privateName)],
      ['GET', '/data'],
      ['GET', '/users/me'],
      ['GET', '/api-keys'],
      ['GET', `/users/${b.member.username}`],
    ] as const) {
      const refused = await app.request(method, route, { token: forged });
      expect(refused.status, `${method} ${route}`).toBe(401);
      expect(refused.body.code).toBe('invalid_token');
      expect(refused.text).not.toContain(JSON.stringify(b.values.shared));
    }
    const write = await app.request('PUT', path('shared'), { token: forged, json: { value: 'forged' } });
    expect(write.status).toBe(401);
    const keyMade = await app.request('POST', '/api-keys', { token: forged, json: { name: 'forged', scopes: keyScopes } });
    expect(keyMade.status).toBe(401);
    expect((await app.request('GET', path('shared'), { token: b.tenant.admin.token })).body.value).toEqual(b.values.shared);
    await expectUnchanged(app, a);
  });

  it("a member's token with its role claim raised to admin is refused", async () => {
    const raised = await signToken({ sub: a.member.username, tenant_id: a.tenant.tenantId, role: 'admin' });
    const refused = await app.request('GET', `/users/${a.tenant.admin.username}`, { token: raised });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    const honest = await signToken({ sub: a.member.username, tenant_id: a.tenant.tenantId, role: 'member' });
    expect((await app.request('GET', '/users/me', { token: honest })).status).toBe(200);
  });

  it("a token naming B's member in tenant A is refused too", async () => {
    const forged = await signToken({ sub: b.member.username, tenant_id: a.tenant.tenantId, role: 'member' });
    const refused = await app.request('GET', path('shared'), { token: forged });
    expect(refused.status).toBe(401);
  });
});

describe('isolation: Redis layout', () => {
  let a: Side;
  let b: Side;

  beforeAll(async () => {
    a = await makeSide(app, 'A');
    b = await makeSide(app, 'B');
    // A little of everything in A: an expiring item, a deleted key, a revoked token, an audit trail.
    await app.request('POST', '/data', { token: a.tenant.admin.token, json: { key: 'ttl', value: 1, ttl: 600 } });
    const gone = await addApiKey(app, a.tenant.admin.token);
    await app.request('DELETE', `/api-keys/${gone.id}`, { token: a.tenant.admin.token });
    const revoked = await login(app, a.member.username, testPassword);
    await app.request('POST', '/token/revoke', { token: revoked });
    await app.request('POST', '/api-keys/verify', { apiKey: a.key, json: { key: a.key } });
  });

  it("every key of A carries the hash tag {t:<A>}", async () => {
    const { redis } = app.services;
    const keys = await scanKeys(redis, tenantKeyPattern(a.tenant.tenantId));
    const expected = tenantKeys(a.tenant.tenantId);
    for (const key of [
      expected.tenant,
      expected.users,
      expected.user(a.tenant.admin.username),
      expected.user(a.member.username),
      expected.dataIndex,
      expected.dataItem('shared'),
      expected.dataItem('ttl'),
      expected.apiKeyIndex,
      expected.apiKeyHashes,
      expected.apiKey(a.keyId),
      expected.audit,
    ]) {
      expect(keys, key).toContain(key);
    }
    for (const key of keys) {
      expect(key.startsWith(`kw:{t:${a.tenant.tenantId}}:`), key).toBe(true);
      expect(key).toContain(`{t:${a.tenant.tenantId}}`);
      expect(hashTag(key), key).toBe(`t:${a.tenant.tenantId}`);
    }
    // Items whose names hold braces keep the tenant's tag first.
    await app.request('POST', '/data', { token: a.tenant.admin.token, json: { key: '{evil}', value: 1 } });
    const evil = tenantKeys(a.tenant.tenantId).dataItem('{evil}');
    expect(await redis.exists(evil)).toBe(1);
    expect(hashTag(evil)).toBe(`t:${a.tenant.tenantId}`);
  });

  it('no key of A lives outside that pattern except the global ones', async () => {
    const { redis } = app.services;
    const aPrefix = `kw:{t:${a.tenant.tenantId}}:`;
    const aHashes = [hashApiKey(a.key, pepper)];
    const markers = [a.tenant.tenantId, a.tenant.admin.username, a.member.username, a.keyId, ...aHashes];
    const allowed = new Set([
      globalKeys.tenants,
      globalKeys.username(a.tenant.admin.username),
      globalKeys.username(a.member.username),
      ...aHashes.map((hash) => globalKeys.apiKeyTenant(hash)),
      // The offload's pending-tenants set (shared by the tenants of a Redis, or of a slot on Cluster): ids only.
      pendingKeyOf(redis, a.tenant.tenantId),
    ]);
    const outside: string[] = [];
    for (const key of await scanKeys(redis, 'kw:*')) {
      if (key.startsWith(aPrefix)) continue;
      let content = key;
      const type = await redis.type(key);
      if (type === 'string') content += `\n${(await redis.get(key)) ?? ''}`;
      if (type === 'hash') content += `\n${Object.entries(await redis.hgetall(key)).flat().join('\n')}`;
      if (type === 'set') content += `\n${(await redis.smembers(key)).join('\n')}`;
      if (type === 'zset') content += `\n${(await redis.zrange(key, '0', '-1')).join('\n')}`;
      if (type === 'stream') content += `\n${JSON.stringify(await redis.xrange(key, '-', '+'))}`;
      if (markers.some((marker) => content.includes(marker)) && !allowed.has(key)) outside.push(key);
    }
    expect(outside).toEqual([]);
    // The global entries are what they should be, and B's keys hold nothing of A.
    expect(await redis.sismember(globalKeys.tenants, a.tenant.tenantId)).toBe(1);
    expect(await redis.get(globalKeys.username(a.member.username))).toBe(a.tenant.tenantId);
    expect(await redis.get(globalKeys.apiKeyTenant(hashApiKey(a.key, pepper)))).toBe(a.tenant.tenantId);
    for (const key of await scanKeys(redis, tenantKeyPattern(b.tenant.tenantId))) expect(hashTag(key)).toBe(`t:${b.tenant.tenantId}`);
  });
});
