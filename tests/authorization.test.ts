import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsByFunction } from '../functions/operations.js';
import { policyDocPath, renderPolicyDoc } from '../shared/auth/policy-doc.js';
import { consoleFiles } from '../shared/console/console-files.js';
import { decide, policy, scopesOf, type CallerProfile, type Decision, type RoutePolicy, type TargetState } from '../shared/auth/policy.js';
import { builtInScopes, isBuiltInScope, type Role } from '../shared/auth/scopes.js';
import { globalKeys, tenantKeyPattern } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import { routes, type RouteId } from '../shared/routes.js';
import { addApiKey, addUser, createTestApp, newTenant, testPassword, uniqueName, type RequestOptions, type TestApp, type TestTenant, type TestUser } from './support/harness.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

/**
 * The generated authorization test: every route of shared/routes.ts, called by every kind of caller
 * (an admin's token, a member's, an API key holding each built-in scope alone, a key of another
 * tenant holding them all, no credential) on targets holding fewer, as many and more scopes than
 * the caller, must answer exactly what the policy table decides (shared/auth/policy.ts `decide`),
 * and a refused call must change nothing. A route added without a row in the policy does not
 * compile; one added without a request below does not either.
 */

let server: RedisProcess;
let app: TestApp;

beforeAll(async () => {
  // A Redis of its own, so a snapshot of a tenant (SCAN) stays cheap whatever the other suites hold.
  server = await startRedisServer();
  app = await createTestApp({ env: { REDIS_URL: server.url, LOG_LEVEL: 'warn' } });
});
afterAll(async () => {
  await app.close();
  await server.stop();
});

interface Caller {
  name: string;
  profile: CallerProfile;
  /** A caller of another tenant: whatever it may do, it does in its own tenant. */
  otherTenant: boolean;
  credential: Pick<RequestOptions, 'token' | 'apiKey'>;
}

/** The tenant a route's cases run in, its callers, and what they act on. */
interface World {
  tenant: TestTenant;
  member: TestUser;
  callers: Caller[];
  itemKey: string;
  verifiableKey: string;
}

/** One call to make: its request, and the state of its target the policy's rule looks at. */
interface Call {
  label: string;
  method: string;
  path: string;
  options?: RequestOptions;
  target?: TargetState;
  /** Names a key, user or item of the world's tenant in its path: another tenant's caller finds none (404). */
  byId?: boolean;
  /** Global keys the call would write (a username claim): part of "nothing changed". */
  watch?: string[];
}

async function makeWorld(): Promise<World> {
  const tenant = await newTenant(app);
  const member = await addUser(app, tenant, 'member');
  const other = await newTenant(app);
  const otherKey = await addApiKey(app, other.admin.token, { scopes: [...builtInScopes] });
  const callers: Caller[] = [
    { name: 'admin token', profile: { kind: 'user', role: 'admin' }, otherTenant: false, credential: { token: tenant.admin.token } },
    { name: 'member token', profile: { kind: 'user', role: 'member' }, otherTenant: false, credential: { token: member.token } },
  ];
  for (const scope of builtInScopes) {
    const { key } = await addApiKey(app, tenant.admin.token, { scopes: [scope] });
    callers.push({ name: `key with ${scope}`, profile: { kind: 'api_key', scopes: [scope] }, otherTenant: false, credential: { apiKey: key } });
  }
  callers.push({ name: "another tenant's key", profile: { kind: 'api_key', scopes: [...builtInScopes] }, otherTenant: true, credential: { apiKey: otherKey.key } });
  callers.push({ name: 'no credential', profile: { kind: 'anonymous' }, otherTenant: false, credential: {} });
  const itemKey = uniqueName('item');
  expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key: itemKey, value: { n: 1 } } })).status).toBe(201);
  const verifiable = await addApiKey(app, tenant.admin.token, { scopes: ['orders:read'] });
  return { tenant, member, callers, itemKey, verifiableKey: verifiable.key };
}

/** Scope lists holding fewer, as many and more built-in scopes than the caller (duplicates dropped). */
function scopeVariants(caller: Caller): { label: string; scopes: string[] }[] {
  const held = scopesOf(caller.profile).filter(isBuiltInScope);
  const missing = builtInScopes.find((scope) => !held.includes(scope));
  const variants = [
    { label: 'fewer', scopes: held.slice(0, -1) },
    { label: 'equal', scopes: [...held] },
    ...(missing ? [{ label: 'more', scopes: [...held, missing] }] : []),
  ];
  return variants.filter((variant, i) => variants.findIndex((other) => other.scopes.join(' ') === variant.scopes.join(' ')) === i);
}

const roles: Role[] = ['member', 'admin'];

async function keyWith(world: World, scopes: string[]): Promise<string> {
  return (await addApiKey(app, world.tenant.admin.token, { scopes })).id;
}

/** An identity whose one key holds `scopes` (what the identity rule looks at); none without scopes given. */
async function identityWith(world: World, scopes?: string[]): Promise<string> {
  const created = await app.request('POST', '/identities', { token: world.tenant.admin.token, json: { external_id: uniqueName('customer') } });
  expect(created.status, created.text).toBe(201);
  if (scopes) await addApiKey(app, world.tenant.admin.token, { scopes, identity_id: created.body.identity_id });
  return created.body.identity_id as string;
}

async function userWith(world: World, role: Role): Promise<string> {
  const username = uniqueName(`target-${role}`);
  const created = await app.request('POST', '/users', { token: world.tenant.admin.token, json: { username, password: testPassword, role } });
  expect(created.status, created.text).toBe(201);
  return username;
}

/** The calls each route is tried with: a new route has no entry here, and so does not compile. */
const calls: Record<RouteId, (world: World, caller: Caller) => Promise<Call[]>> = {
  login: async (world) => [{ label: 'right password', method: 'POST', path: '/token', options: { form: { username: world.member.username, password: testPassword } } }],
  revokeToken: async () => [{ label: 'the presented token', method: 'POST', path: '/token/revoke' }],
  getMe: async () => [{ label: 'self', method: 'GET', path: '/users/me' }],
  createUser: async () =>
    roles.map((role) => {
      const username = uniqueName(`new-${role}`);
      return { label: `a new ${role}`, method: 'POST', path: '/users', options: { json: { username, password: testPassword, role } }, target: { after: role }, watch: [globalKeys.username(username)] };
    }),
  listUsers: async () => [{ label: 'all', method: 'GET', path: '/users' }],
  getUser: async (world) => [{ label: 'the member', method: 'GET', path: `/users/${world.member.username}`, byId: true }],
  updateUser: async (world) => [
    ...(await Promise.all(
      roles.map(async (role) => ({ label: `rename a ${role}`, method: 'PATCH', path: `/users/${await userWith(world, role)}`, options: { json: { full_name: 'Renamed' } }, target: { before: role }, byId: true })),
    )),
    { label: 'promote a member', method: 'PATCH', path: `/users/${await userWith(world, 'member')}`, options: { json: { role: 'admin' } }, target: { before: 'member', after: 'admin' }, byId: true },
  ],
  deleteUser: async (world) =>
    Promise.all(roles.map(async (role) => ({ label: `a ${role}`, method: 'DELETE', path: `/users/${await userWith(world, role)}`, target: { before: role }, byId: true }))),

  createItem: async () => [{ label: 'a new item', method: 'POST', path: '/data', options: { json: { key: uniqueName('new'), value: 1 } } }],
  listItems: async () => [{ label: 'all', method: 'GET', path: '/data' }],
  getItem: async (world) => [{ label: 'the item', method: 'GET', path: `/data/${world.itemKey}`, byId: true }],
  updateItem: async (world) => [{ label: 'the item', method: 'PUT', path: `/data/${world.itemKey}`, options: { json: { value: 2 } }, byId: true }],
  deleteItem: async (world) => {
    const key = uniqueName('doomed');
    expect((await app.request('POST', '/data', { token: world.tenant.admin.token, json: { key, value: 0 } })).status).toBe(201);
    return [{ label: 'an item', method: 'DELETE', path: `/data/${key}`, byId: true }];
  },

  createApiKey: async (world, caller) => {
    const variants = scopeVariants(caller);
    const calls: Call[] = variants.map(({ label, scopes }) => ({ label: `${label} scopes`, method: 'POST', path: '/api-keys', options: { json: { name: 'new', scopes } }, target: { after: scopes.join(' ') } }));
    const more = variants.find((variant) => variant.label === 'more')?.scopes;
    if (more) {
      const identity = await identityWith(world, more);
      calls.push({ label: 'no scopes, into an identity holding more', method: 'POST', path: '/api-keys', options: { json: { name: 'joins', scopes: [], identity_id: identity } }, target: { after: '', identityAfter: more.join(' ') } });
    }
    return calls;
  },
  listApiKeys: async () => [{ label: 'all', method: 'GET', path: '/api-keys' }],
  verifyApiKey: async (world) => [{ label: 'a key of the tenant', method: 'POST', path: '/api-keys/verify', options: { json: { key: world.verifiableKey } } }],
  getApiKey: async (world) => [{ label: 'a key', method: 'GET', path: `/api-keys/${await keyWith(world, ['data:read'])}`, byId: true }],
  updateApiKey: async (world, caller) => {
    const variants = scopeVariants(caller);
    const renames = await Promise.all(
      variants.map(async ({ label, scopes }) => ({ label: `rename a key with ${label}`, method: 'PATCH', path: `/api-keys/${await keyWith(world, scopes)}`, options: { json: { name: 'renamed' } }, target: { before: scopes.join(' ') }, byId: true })),
    );
    const equal = variants.find((variant) => variant.label === 'equal')?.scopes ?? [];
    const more = variants.find((variant) => variant.label === 'more')?.scopes;
    const raise = more
      ? [{ label: 'raise a key from equal to more', method: 'PATCH', path: `/api-keys/${await keyWith(world, equal)}`, options: { json: { scopes: more } }, target: { before: equal.join(' '), after: more.join(' ') }, byId: true }]
      : [];
    const join = more
      ? [{ label: 'move a key with equal into an identity holding more', method: 'PATCH', path: `/api-keys/${await keyWith(world, equal)}`, options: { json: { identity_id: await identityWith(world, more) } }, target: { before: equal.join(' '), identityAfter: more.join(' ') }, byId: true }]
      : [];
    return [...renames, ...raise, ...join];
  },
  rotateApiKey: async (world, caller) =>
    Promise.all(scopeVariants(caller).map(async ({ label, scopes }) => ({ label: `a key with ${label}`, method: 'POST', path: `/api-keys/${await keyWith(world, scopes)}/rotate`, options: { json: {} }, target: { before: scopes.join(' ') }, byId: true }))),
  deleteApiKey: async (world, caller) =>
    Promise.all(scopeVariants(caller).map(async ({ label, scopes }) => ({ label: `a key with ${label}`, method: 'DELETE', path: `/api-keys/${await keyWith(world, scopes)}`, target: { before: scopes.join(' ') }, byId: true }))),

  getApiKeyUsage: async (world) => [{ label: 'a key', method: 'GET', path: `/api-keys/${await keyWith(world, [])}/usage` }],
  createIdentity: async () => [{ label: 'a new identity', method: 'POST', path: '/identities', options: { json: { external_id: uniqueName('new-customer') } } }],
  listIdentities: async () => [{ label: 'all', method: 'GET', path: '/identities' }],
  getIdentity: async (world) => [{ label: 'an identity', method: 'GET', path: `/identities/${await identityWith(world)}`, byId: true }],
  updateIdentity: async (world, caller) =>
    Promise.all(
      scopeVariants(caller).map(async ({ label, scopes }) => ({
        label: `an identity whose keys hold ${label}`,
        method: 'PATCH',
        path: `/identities/${await identityWith(world, scopes)}`,
        options: { json: { meta: { plan: 'changed' } } },
        target: { before: scopes.join(' ') },
        byId: true,
      })),
    ),
  // An identity with keys cannot be deleted (409): the rule is proven on update; here, one without keys.
  deleteIdentity: async (world) => [{ label: 'an identity without keys', method: 'DELETE', path: `/identities/${await identityWith(world)}`, target: { before: '' }, byId: true }],
  getIdentityUsage: async (world) => [{ label: 'an identity', method: 'GET', path: `/identities/${await identityWith(world)}/usage` }],
  getUsage: async () => [{ label: "the tenant's", method: 'GET', path: '/usage' }],

  listAuditLogs: async () => [{ label: 'all', method: 'GET', path: '/audit-logs' }],

  runAuditOffload: async () => [{ label: 'a run', method: 'POST', path: '/function/audit-offload/' }],
  getAuditBacklog: async () => [{ label: 'the backlog', method: 'GET', path: '/function/audit-offload/backlog' }],

  getConsolePage: async () => [{ label: 'the page', method: 'GET', path: '/console/' }],
  getConsoleAsset: async () => [...consoleFiles(app.services.config.console.dir).assets.keys()].map((file) => ({ label: file, method: 'GET', path: `/console/assets/${file}` })),
};

/** Everything the tenant holds but its audit trail and what using a key records (last_used, rate log, usage, operation markers). */
async function snapshot(tenantId: string, watch: string[] = []): Promise<Record<string, unknown>> {
  const { redis } = app.services;
  const state: Record<string, unknown> = {};
  for (const key of (await scanKeys(redis, tenantKeyPattern(tenantId))).sort()) {
    if (/:(audit|audit-dead|audit-lease)$|:op:|:rl$|:usage:/.test(key)) continue;
    const type = await redis.type(key);
    if (type === 'hash') {
      const { last_used: _used, rl_seq: _seq, ...fields } = await redis.hgetall(key);
      state[key] = fields;
    } else if (type === 'zset') state[key] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'string') state[key] = await redis.get(key);
    else state[key] = type;
  }
  for (const key of watch) state[key] = await redis.get(key);
  return state;
}

const successStatus = new Map(Object.values(operationsByFunction).flat().map((operation) => [operation.route.id, operation.spec.status ?? 200]));
const statusOf: Record<Exclude<Decision, 'allowed'> | 'not_found', number> = { unauthenticated: 401, forbidden: 403, not_found: 404 };

describe('authorization: the policy, written down', () => {
  it(`${policyDocPath} is what the policy table says (npm run docs:policy writes it)`, () => {
    expect(readFileSync(policyDocPath, 'utf8')).toBe(renderPolicyDoc());
  });

  it('has a row for every route and no other', () => {
    expect(Object.keys(policy).sort()).toEqual(routes.map((route) => route.id).sort());
  });
});

describe('authorization: every route against every caller and target, as the policy decides', () => {
  it.each(routes.map((route) => [route.id, route] as const))('%s', async (routeId) => {
    const route = routes.find((candidate) => candidate.id === routeId);
    if (!route) throw new Error(routeId);
    const row: RoutePolicy = policy[routeId];
    const world = await makeWorld();
    const mismatches: string[] = [];
    for (const caller of world.callers) {
      for (const call of await calls[routeId](world, caller)) {
        const decision = decide(routeId, caller.profile, call.target);
        const expected = decision === 'allowed' && caller.otherTenant && call.byId ? 'not_found' : decision;
        const checkUnchanged = expected !== 'allowed' || caller.otherTenant;
        // Global keys a refused call must not write (another tenant's allowed call writes its own).
        const watch = expected === 'allowed' ? [] : call.watch;
        const before = checkUnchanged ? await snapshot(world.tenant.tenantId, watch) : undefined;
        const response = await app.request(call.method, call.path, { ...call.options, ...caller.credential });
        const want = expected === 'allowed' ? (successStatus.get(routeId) ?? 200) : statusOf[expected];
        const where = `${caller.name} → ${call.method} ${call.path} (${call.label})`;
        if (response.status !== want) mismatches.push(`${where}: ${response.status} (${response.body?.code ?? ''}), the policy says ${want} (${expected})`);
        if (expected === 'forbidden' && response.body?.code !== 'insufficient_scope') mismatches.push(`${where}: code ${response.body?.code}`);
        if (expected === 'unauthenticated' && response.body?.code !== 'not_authenticated') mismatches.push(`${where}: code ${response.body?.code}`);
        if (before && JSON.stringify(await snapshot(world.tenant.tenantId, watch)) !== JSON.stringify(before)) mismatches.push(`${where}: the tenant changed`);
        if (caller.otherTenant && response.text.includes(world.tenant.tenantId)) mismatches.push(`${where}: the answer names the tenant`);
        // No caller here presents the offload's token: what it would add stays hidden.
        if (row.elevatedBy && response.status === 200 && 'tenants' in (response.body ?? {})) mismatches.push(`${where}: per-tenant figures without the token`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
