import { expectAuditFilters } from './support/audit-filters.js';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditActions } from '../shared/audit/actions.js';
import { AuditEventSchema } from '../shared/audit/schemas.js';
import { deleteTenant } from '../shared/tenancy/tenants.js';
import { duplicateMembers } from './support/json-duplicates.js';
import { tenantKeys } from '../shared/redis/keys.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';
import { addApiKey, addUser, createTestApp, login, newTenant, offloadToken, pendingEvents, testPassword, uniqueName, type TestApp, type TestTenant } from './support/harness.js';

// The offload route ships every tenant's events; on the run's shared Redis it would take other
// suites' pending events away from them mid-test. This suite has a Redis of its own.
let redis: RedisProcess;
let app: TestApp;

beforeAll(async () => {
  redis = await startRedisServer();
  app = await createTestApp({ env: { REDIS_URL: redis.url } });
});
afterAll(async () => {
  await app.close();
  await redis.stop();
});

const isoZ = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function trailOf(tenantId: string): Record<string, any>[] {
  const file = join(app.services.config.audit.dir, `${tenantId}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>);
}

function expectWellFormed(event: Record<string, any>, tenantId: string): void {
  expect(event.timestamp).toMatch(isoZ);
  expect(auditActions).toContain(event.action);
  expect(event.tenant_id).toBe(tenantId);
  expect(['user', 'api_key', 'system']).toContain(event.actor?.type);
  expect(typeof event.actor?.id).toBe('string');
  expect(event.actor.id.length).toBeGreaterThan(0);
  expect(['success', 'failure', 'denied']).toContain(event.outcome);
  expect(typeof event.request_id).toBe('string');
}

describe('audit: one event per operation, in the same round trip', () => {
  it('appends exactly one event per request, in order, with matching request ids', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const spareToken = await login(app, tenant.admin.username, testPassword);
    const token = tenant.admin.token;
    const run = uniqueName('seq');
    const expected: { requestId: string; action: string; outcome: string; actor: string; reason?: string }[] = [];
    let keyId = '';
    let keyValue = '';
    const newUser = uniqueName('seq-user');

    type Step = [action: string, outcome: string, actor: string, send: (headers: Record<string, string>) => Promise<{ status: number; body: any }>, status: number, reason?: string];
    const admin = tenant.admin.username;
    const steps: Step[] = [
      ['login_success', 'success', admin, (headers) => app.request('POST', '/token', { form: { username: admin, password: testPassword }, headers }), 200],
      ['login_failed', 'failure', admin, (headers) => app.request('POST', '/token', { form: { username: admin, password: 'wrong password' }, headers }), 401, 'invalid_credentials'],
      ['create_key', 'success', admin, (headers) => app.request('POST', '/data', { token, json: { key: 'k', value: { n: 1 } }, headers }), 201],
      ['get_key', 'success', admin, (headers) => app.request('GET', '/data/k', { token, headers }), 200],
      ['update_key', 'success', admin, (headers) => app.request('PUT', '/data/k', { token, json: { value: 2 }, headers }), 200],
      ['update_key', 'failure', admin, (headers) => app.request('PUT', '/data/k', { token, json: { value: 3 }, headers: { ...headers, 'If-Match': '"99"' } }), 412, 'precondition_failed'],
      ['create_key', 'failure', admin, (headers) => app.request('POST', '/data', { token, json: { key: 'k', value: 1 }, headers }), 409, 'already_exists'],
      ['create_key', 'failure', admin, (headers) => app.request('POST', '/data', { token, form: { key: 'f', value: '1' }, headers }), 415, 'unsupported_media_type'],
      ['list_keys', 'success', admin, (headers) => app.request('GET', '/data', { token, headers }), 200],
      ['delete_key', 'success', admin, (headers) => app.request('DELETE', '/data/k', { token, headers }), 204],
      ['get_key', 'failure', admin, (headers) => app.request('GET', '/data/k', { token, headers }), 404, 'not_found'],
      [
        'create_api_key',
        'success',
        admin,
        async (headers) => {
          const response = await app.request('POST', '/api-keys', { token, json: { name: 'seq', scopes: ['data:read', 'keys:verify'] }, headers });
          keyId = response.body.key_id;
          keyValue = response.body.key_value;
          return response;
        },
        201,
      ],
      ['list_api_keys', 'success', admin, (headers) => app.request('GET', '/api-keys', { token, headers }), 200],
      ['get_api_key', 'success', admin, (headers) => app.request('GET', `/api-keys/${keyId}`, { token, headers }), 200],
      ['update_api_key', 'success', admin, (headers) => app.request('PATCH', `/api-keys/${keyId}`, { token, json: { name: 'renamed' }, headers }), 200],
      ['verify_api_key', 'success', admin, (headers) => app.request('POST', '/api-keys/verify', { token, json: { key: keyValue }, headers }), 200],
      ['verify_api_key', 'failure', admin, (headers) => app.request('POST', '/api-keys/verify', { token, json: { key: 'kw_not-a-key' }, headers }), 200],
      ['get_key', 'failure', 'key', (headers) => app.request('GET', '/data/none', { apiKey: keyValue, headers }), 404, 'not_found'],
      ['list_keys', 'success', 'key', (headers) => app.request('GET', '/data', { apiKey: keyValue, headers }), 200],
      ['access_denied', 'denied', 'key', (headers) => app.request('DELETE', '/data/none', { apiKey: keyValue, headers }), 403, 'insufficient_scope'],
      ['delete_api_key', 'success', admin, (headers) => app.request('DELETE', `/api-keys/${keyId}`, { token, headers }), 204],
      ['create_user', 'success', admin, (headers) => app.request('POST', '/users', { token, json: { username: newUser, password: testPassword }, headers }), 201],
      ['create_user', 'failure', admin, (headers) => app.request('POST', '/users', { token, json: { username: member.username, password: testPassword }, headers }), 409, 'already_exists'],
      ['update_user', 'success', admin, (headers) => app.request('PATCH', `/users/${newUser}`, { token, json: { full_name: 'Seq User' }, headers }), 200],
      ['get_user', 'success', admin, (headers) => app.request('GET', `/users/${newUser}`, { token, headers }), 200],
      ['list_users', 'success', admin, (headers) => app.request('GET', '/users', { token, headers }), 200],
      ['delete_user', 'success', admin, (headers) => app.request('DELETE', `/users/${newUser}`, { token, headers }), 204],
      ['access_denied', 'denied', member.username, (headers) => app.request('GET', '/users', { token: member.token, headers }), 403, 'insufficient_scope'],
      ['create_key', 'failure', admin, (headers) => app.request('POST', '/data', { token, json: { key: 'no-value' }, headers }), 422, 'validation_error'],
      ['get_user', 'success', member.username, (headers) => app.request('GET', '/users/me', { token: member.token, headers }), 200],
      ['read_audit_logs', 'success', admin, (headers) => app.request('GET', '/audit-logs?limit=5', { token, headers }), 200],
      ['token_revoked', 'success', admin, (headers) => app.request('POST', '/token/revoke', { token: spareToken, headers }), 200],
      ['access_denied', 'denied', admin, (headers) => app.request('GET', '/users/me', { token: spareToken, headers }), 401, 'token_revoked'],
    ];

    for (const [index, [action, outcome, actor, send, status, reason]] of steps.entries()) {
      const requestId = `${run}-${index}`;
      const response = await send({ 'X-Request-Id': requestId });
      expect(response.status, `${action} ${requestId}`).toBe(status);
      expected.push({ requestId, action, outcome, actor, ...(reason ? { reason } : {}) });
    }

    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => String(event.request_id).startsWith(`${run}-`));
    expect(events.map((event) => event.request_id)).toEqual(expected.map((step) => step.requestId));
    for (const [index, event] of events.entries()) {
      const step = expected[index];
      expectWellFormed(event, tenant.tenantId);
      expect({ action: event.action, outcome: event.outcome, reason: event.reason }, step?.requestId).toEqual({ action: step?.action, outcome: step?.outcome, reason: step?.reason });
      if (step?.actor === 'key') expect(event.actor).toEqual({ type: 'api_key', id: keyId });
      else expect(event.actor).toEqual({ type: 'user', id: step?.actor });
    }
    const denials = events.filter((event) => event.reason === 'insufficient_scope').map((event) => [event.actor.type, event.attempted]);
    expect(denials).toEqual([
      ['api_key', 'delete_key'],
      ['user', 'list_users'],
    ]);
    expect(events.find((event) => event.reason === 'token_revoked')?.attempted).toBe('get_user');
    expect(events.find((event) => event.action === 'delete_api_key')?.key_id).toBe(keyId);
    expect(events.find((event) => event.action === 'create_user')?.username).toBe(newUser);
  });
});

describe('audit: the events themselves', () => {
  // Events were assembled as strings in four places, and create and rotate carried key_id twice.
  it('every event, from an operation, an expiration or a tenant delete, is one object with no member twice, as AuditEventSchema says', async () => {
    const tenant = await newTenant(app);
    const token = tenant.admin.token;
    const created = await app.request('POST', '/api-keys', { token, json: { name: 'shape', scopes: ['data:read'] } });
    expect(created.status).toBe(201);
    const keyId = created.body.key_id as string;
    expect((await app.request('POST', `/api-keys/${keyId}/rotate`, { token, json: { grace_period_s: 60 } })).status).toBe(201);
    expect((await app.request('PATCH', `/api-keys/${keyId}`, { token, json: { name: 'renamed' } })).status).toBe(200);
    expect((await app.request('POST', '/api-keys/verify', { token, json: { key: created.body.key_value, scope: 'data:read' } })).status).toBe(200);
    expect((await app.request('POST', '/data', { token, json: { key: 'brief', value: 1, ttl: 1 } })).status).toBe(201);
    expect((await app.request('DELETE', '/data/none', { apiKey: created.body.key_value })).status).toBe(403);
    expect((await app.request('DELETE', `/api-keys/${keyId}`, { token })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await app.request('POST', '/function/audit-offload/')).status).toBe(200);
    await deleteTenant(app.services, tenant.tenantId);

    const file = join(app.services.config.audit.dir, `${tenant.tenantId}.jsonl`);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const actions = new Set<string>();
    for (const line of lines) {
      expect(duplicateMembers(line), line).toEqual([]);
      const event = AuditEventSchema.parse(JSON.parse(line));
      expect(event.tenant_id).toBe(tenant.tenantId);
      actions.add(event.action);
    }
    for (const action of ['create_api_key', 'rotate_api_key', 'update_api_key', 'verify_api_key', 'delete_api_key', 'key_expiration', 'delete_tenant', 'access_denied']) {
      expect(actions, action).toContain(action);
    }
  });
});

describe('audit: offload', () => {
  it('ships pending events to <audit dir>/<tenant>.jsonl in order and empties the stream', async () => {
    const tenant = await newTenant(app);
    const other = await newTenant(app);
    for (const key of ['a', 'b', 'c']) await app.request('POST', '/data', { token: tenant.admin.token, json: { key, value: 1 } });
    await app.request('GET', '/data/a', { token: other.admin.token });
    const pending = await pendingEvents(app, tenant.tenantId);
    const otherPending = await pendingEvents(app, other.tenantId);
    const alreadyShipped = trailOf(tenant.tenantId).length;

    const response = await app.request('POST', '/function/audit-offload/', { token: offloadToken });
    expect(response.status).toBe(200);
    // The shared Redis holds other suites' tenants too: the report names as many as fit in its size.
    const { tenants, omitted, tenants_due: due } = response.body as { tenants: Record<string, unknown>; omitted: number; tenants_due: number };
    expect(Object.keys(tenants).length + omitted).toBe(due);
    if (tenants[tenant.tenantId]) expect(tenants[tenant.tenantId]).toMatchObject({ shipped: pending.length, backlog: 0, dead_letters: 0 });
    if (tenants[other.tenantId]) expect(tenants[other.tenantId]).toMatchObject({ shipped: otherPending.length, backlog: 0, dead_letters: 0 });
    expect(response.body.shipped).toBeGreaterThanOrEqual(pending.length + otherPending.length);

    expect(await app.services.redis.xlen(tenantKeys(tenant.tenantId).audit)).toBe(0);
    expect(await pendingEvents(app, tenant.tenantId)).toEqual([]);
    expect(trailOf(tenant.tenantId).slice(alreadyShipped)).toEqual(pending);
    expect(trailOf(other.tenantId)).toEqual(otherPending);

    const again = await app.request('POST', '/function/audit-offload/', { token: offloadToken });
    // Nothing left to ship: the tenant is not even visited.
    expect(again.body.tenants[tenant.tenantId]).toBeUndefined();
    expect(trailOf(tenant.tenantId).slice(alreadyShipped)).toEqual(pending);
  });

  it('is not served on the public paths', async () => {
    expect((await app.request('POST', '/audit-offload')).status).toBe(404);
    expect((await app.request('POST', '/')).status).toBe(404);
  });
});

describe('audit: GET /audit-logs', () => {
  let tenant: TestTenant;
  let all: Record<string, any>[];

  beforeAll(async () => {
    tenant = await newTenant(app);
    for (const key of ['s1', 's2']) await app.request('POST', '/data', { token: tenant.admin.token, json: { key, value: 1 } });
    await app.request('POST', '/function/audit-offload/');
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const key of ['p1', 'p2', 'p3']) {
      await app.request('POST', '/data', { token: tenant.admin.token, json: { key, value: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await app.request('GET', '/data/p1', { token: tenant.admin.token });
    const response = await app.request('GET', '/audit-logs?limit=1000', { token: tenant.admin.token });
    expect(response.status).toBe(200);
    all = response.body;
  });

  it("returns the tenant's shipped and pending events, newest first", async () => {
    const shipped = trailOf(tenant.tenantId);
    const pending = await pendingEvents(app, tenant.tenantId);
    expect(shipped.length).toBeGreaterThan(0);
    expect(all.length).toBe(shipped.length + pending.length - 1); // less the read's own event, appended after reading
    for (const event of all) expectWellFormed(event, tenant.tenantId);
    for (let i = 1; i < all.length; i += 1) expect(all[i - 1]?.timestamp >= all[i]?.timestamp).toBe(true);
    const keys = all.filter((event) => event.action === 'create_key').map((event) => event.key);
    expect(keys).toEqual(['p3', 'p2', 'p1', 's2', 's1']);
    expect(all.at(-1)?.action).toBe('create_tenant');
    expect(all[0]).toMatchObject({ action: 'get_key', key: 'p1' });
  });

  it('filters by action', async () => {
    const response = await app.request('GET', '/audit-logs?action=create_key', { token: tenant.admin.token });
    expect(response.status).toBe(200);
    expect(response.body.map((event: any) => event.key)).toEqual(['p3', 'p2', 'p1', 's2', 's1']);
    const none = await app.request('GET', '/audit-logs?action=delete_user', { token: tenant.admin.token });
    expect(none.body).toEqual([]);
  });

  it('filters by since and until (inclusive, ISO 8601)', async () => {
    const created = all.filter((event) => event.action === 'create_key');
    const pivot = created.find((event) => event.key === 'p2')?.timestamp as string;
    const since = await app.request('GET', `/audit-logs?action=create_key&since=${encodeURIComponent(pivot)}`, { token: tenant.admin.token });
    expect(since.status).toBe(200);
    expect(since.body.map((event: any) => event.key)).toEqual(created.filter((event) => event.timestamp >= pivot).map((event) => event.key));
    expect(since.body.map((event: any) => event.key)).toContain('p2');
    expect(since.body.map((event: any) => event.key)).not.toContain('s1');

    const until = await app.request('GET', `/audit-logs?action=create_key&until=${encodeURIComponent(pivot)}`, { token: tenant.admin.token });
    expect(until.body.map((event: any) => event.key)).toEqual(created.filter((event) => event.timestamp <= pivot).map((event) => event.key));
    expect(until.body.map((event: any) => event.key)).toContain('s1');
    expect(until.body.map((event: any) => event.key)).not.toContain('p3');

    const window = await app.request('GET', `/audit-logs?since=${encodeURIComponent(pivot)}&until=${encodeURIComponent(pivot)}&action=create_key`, { token: tenant.admin.token });
    expect(window.body.every((event: any) => event.timestamp === pivot)).toBe(true);
    expect(window.body.map((event: any) => event.key)).toContain('p2');

    const offset = new Date(Date.parse(pivot)).toISOString().replace('Z', '+00:00');
    const withOffset = await app.request('GET', `/audit-logs?action=create_key&since=${encodeURIComponent(offset)}`, { token: tenant.admin.token });
    expect(withOffset.body.map((event: any) => event.key)).toEqual(since.body.map((event: any) => event.key));

    const future = await app.request('GET', `/audit-logs?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, { token: tenant.admin.token });
    expect(future.body).toEqual([]);
  });

  it('returns at most limit events, the newest', async () => {
    const two = await app.request('GET', '/audit-logs?action=create_key&limit=2', { token: tenant.admin.token });
    expect(two.body.map((event: any) => event.key)).toEqual(['p3', 'p2']);
    const one = await app.request('GET', '/audit-logs?limit=1', { token: tenant.admin.token });
    expect(one.body).toHaveLength(1);
  });

  it('422 for an unknown action, a malformed time or a limit out of range', async () => {
    for (const query of ['action=nope', 'action=', 'since=yesterday', 'until=2024-13-01T00:00:00Z', 'limit=0', 'limit=1001']) {
      const response = await app.request('GET', `/audit-logs?${query}`, { token: tenant.admin.token });
      expect(response.status, query).toBe(422);
      expect(response.body.code).toBe('validation_error');
    }
  });

  it('403 for a member, who lacks audit:read', async () => {
    const member = await addUser(app, tenant, 'member');
    const response = await app.request('GET', '/audit-logs', { token: member.token });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('insufficient_scope');
  });

  it('works for an API key holding audit:read, and not for one without it', async () => {
    const { key, id } = await addApiKey(app, tenant.admin.token, { scopes: ['audit:read'] });
    const response = await app.request('GET', '/audit-logs?action=create_key', { apiKey: key });
    expect(response.status).toBe(200);
    expect(response.body.map((event: any) => event.key)).toEqual(['p3', 'p2', 'p1', 's2', 's1']);
    const read = (await pendingEvents(app, tenant.tenantId)).at(-1);
    expect(read).toMatchObject({ action: 'read_audit_logs', outcome: 'success', actor: { type: 'api_key', id } });
    const { key: noScope } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
    expect((await app.request('GET', '/audit-logs', { apiKey: noScope })).status).toBe(403);
  });

  it('audits the read itself as read_audit_logs', async () => {
    const requestId = uniqueName('read');
    const response = await app.request('GET', '/audit-logs?limit=3', { token: tenant.admin.token, headers: { 'X-Request-Id': requestId } });
    expect(response.status).toBe(200);
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.request_id === requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'read_audit_logs', outcome: 'success', actor: { type: 'user', id: tenant.admin.username } });
    const next = await app.request('GET', '/audit-logs?limit=1', { token: tenant.admin.token });
    expect(next.body[0]).toMatchObject({ action: 'read_audit_logs', request_id: requestId });
  });

  it('skips a torn line in the trail (a crash in the middle of a write) instead of failing the read', async () => {
    const torn = await newTenant(app);
    await app.request('POST', '/data', { token: torn.admin.token, json: { key: 'before', value: 1 } });
    await app.request('POST', '/function/audit-offload/');
    appendFileSync(join(app.services.config.audit.dir, `${torn.tenantId}.jsonl`), '{"timestamp":"2030-01-01T00:00:00.000Z","tenant_id":"');
    await app.request('POST', '/data', { token: torn.admin.token, json: { key: 'after', value: 1 } });
    await app.request('POST', '/function/audit-offload/');
    const response = await app.request('GET', '/audit-logs?action=create_key', { token: torn.admin.token });
    expect(response.status).toBe(200);
    expect(response.body.map((event: any) => event.key)).toContain('before');
    // the next write starts on a line of its own, so the event shipped after the tear is not lost either
    expect(response.body.map((event: any) => event.key)).toContain('after');
  });

  it("never shows another tenant's events", async () => {
    const other = await newTenant(app);
    await app.request('POST', '/data', { token: other.admin.token, json: { key: 'theirs', value: 1 } });
    const mine = await app.request('GET', '/audit-logs?limit=1000', { token: tenant.admin.token });
    expect(mine.body.every((event: any) => event.tenant_id === tenant.tenantId)).toBe(true);
    expect(mine.body.some((event: any) => event.key === 'theirs')).toBe(false);
  });
});

describe('audit: GET /audit-logs filters', () => {
  it('filters by key_id, identity_id and outcome, from the file sink and what is pending', async () => {
    const tenant = await newTenant(app);
    await expectAuditFilters(app, tenant.admin.token, () => app.request('POST', '/function/audit-offload/'));
  });
});

describe('audit: AUDIT_INCLUDE_VALUES', () => {
  it('leaves stored values out of data events by default', async () => {
    const tenant = await newTenant(app);
    await app.request('POST', '/data', { token: tenant.admin.token, json: { key: 'secretish', value: { card: '4111' } } });
    await app.request('PUT', '/data/secretish', { token: tenant.admin.token, json: { value: { card: '4222' } } });
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.action === 'create_key' || event.action === 'update_key');
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event.key).toBe('secretish');
      expect(event).not.toHaveProperty('value');
    }
    expect(JSON.stringify(events)).not.toContain('4111');
    expect(JSON.stringify(events)).not.toContain('4222');
  });

  it('puts the value in data events when AUDIT_INCLUDE_VALUES=true', async () => {
    const valued = await createTestApp({ env: { REDIS_URL: redis.url, AUDIT_INCLUDE_VALUES: 'true' } });
    try {
      const tenant = await newTenant(valued);
      const value = { card: '4111', list: [1, 'two', null] };
      expect((await valued.request('POST', '/data', { token: tenant.admin.token, json: { key: 'v', value } })).status).toBe(201);
      expect((await valued.request('PUT', '/data/v', { token: tenant.admin.token, json: { value: 'next' } })).status).toBe(200);
      const events = await pendingEvents(valued, tenant.tenantId);
      expect(events.find((event) => event.action === 'create_key')).toMatchObject({ key: 'v', value });
      expect(events.find((event) => event.action === 'update_key')).toMatchObject({ key: 'v', value: 'next' });
    } finally {
      await valued.close();
    }
  });
});
