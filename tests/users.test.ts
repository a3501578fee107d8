import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/clock.js';
import { globalKeys } from '../shared/redis/keys.js';
import {
  addApiKey,
  addUser,
  createTestApp,
  login,
  newTenant,
  pendingEvents,
  testPassword,
  uniqueName,
  type TestApp,
  type TestResponse,
} from './support/harness.js';

const userKeys = ['created_at', 'disabled', 'email', 'full_name', 'role', 'tenant_id', 'username'];
const isoZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

function expectUser(body: any, expected: Record<string, unknown>): void { // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies
  expect(Object.keys(body).sort()).toEqual(userKeys);
  expect(body).toMatchObject(expected);
  expect(body.created_at).toMatch(isoZ);
}

function expectCode(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body.code).toBe(code);
}

function loginStatus(username: string, password: string): Promise<number> {
  return app.request('POST', '/token', { form: { username, password } }).then((response) => response.status);
}

describe('GET /users/me', () => {
  it('returns exactly the public fields, never a hash', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const me = await app.request('GET', '/users/me', { token: member.token });
    expect(me.status).toBe(200);
    expectUser(me.body, { username: member.username, tenant_id: tenant.tenantId, role: 'member', full_name: null, email: null, disabled: false });
    expect(me.text).not.toMatch(/password|hash|\$2[aby]\$/i);
    expect(Math.abs(Date.parse(me.body.created_at) - Date.now())).toBeLessThan(60_000);

    const adminMe = await app.request('GET', '/users/me', { token: tenant.admin.token });
    expectUser(adminMe.body, { username: tenant.admin.username, tenant_id: tenant.tenantId, role: 'admin' });
  });

  it('is for user tokens: an API key is refused', async () => {
    const tenant = await newTenant(app);
    const { key } = await addApiKey(app, tenant.admin.token, { scopes: ['users:admin'] });
    expect((await app.request('GET', '/users/me', { apiKey: key })).status).toBe(403);
  });
});

describe('admin: user lifecycle', () => {
  it('creates a user with role member by default, full_name and email optional', async () => {
    const tenant = await newTenant(app);
    const username = uniqueName('plain');
    const created = await app.request('POST', '/users', { token: tenant.admin.token, json: { username, password: testPassword } });
    expect(created.status, created.text).toBe(201);
    expectUser(created.body, { username, tenant_id: tenant.tenantId, role: 'member', full_name: null, email: null, disabled: false });

    const full = uniqueName('full');
    const withDetails = await app.request('POST', '/users', {
      token: tenant.admin.token,
      json: { username: full, password: testPassword, role: 'admin', full_name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    expect(withDetails.status, withDetails.text).toBe(201);
    expectUser(withDetails.body, { username: full, role: 'admin', full_name: 'Ada Lovelace', email: 'ada@example.com', disabled: false });

    const read = await app.request('GET', `/users/${full}`, { token: tenant.admin.token });
    expect(read.status).toBe(200);
    expectUser(read.body, { username: full, tenant_id: tenant.tenantId, role: 'admin', full_name: 'Ada Lovelace', email: 'ada@example.com', disabled: false });
    expect(decodeJwt(await login(app, full, testPassword)).role).toBe('admin');
    expect(decodeJwt(await login(app, username, testPassword)).role).toBe('member');
  });

  it('answers POST /users with the record as stored (GET gives the same)', async () => {
    // A clock that moves on by a millisecond each time it is read, as real time does between two reads.
    let tick = Date.now();
    const clock: Clock = { now: () => (tick += 1) };
    const ticking = await createTestApp({ clock });
    try {
      const tenant = await newTenant(ticking);
      const username = uniqueName('stored');
      const created = await ticking.request('POST', '/users', { token: tenant.admin.token, json: { username, password: testPassword, full_name: 'S' } });
      expect(created.status, created.text).toBe(201);
      const read = await ticking.request('GET', `/users/${username}`, { token: tenant.admin.token });
      expect(read.status).toBe(200);
      expect(created.body).toEqual(read.body);
    } finally {
      await ticking.close();
    }
  });

  it('lists users as a JSON array, sorted, paged with X-Next-Cursor and Link', async () => {
    const tenant = await newTenant(app);
    const names = [tenant.admin.username];
    for (const prefix of ['zed', 'bob', 'amy', 'kim']) {
      const username = uniqueName(prefix);
      names.push(username);
      expect((await app.request('POST', '/users', { token: tenant.admin.token, json: { username, password: testPassword } })).status).toBe(201);
    }
    names.sort();

    const all = await app.request('GET', '/users', { token: tenant.admin.token });
    expect(all.status).toBe(200);
    expect(Array.isArray(all.body)).toBe(true);
    expect(all.body.map((user: { username: string }) => user.username)).toEqual(names);
    for (const user of all.body) expectUser(user, { tenant_id: tenant.tenantId });
    expect(all.headers['x-next-cursor']).toBeUndefined();
    expect(all.headers.link).toBeUndefined();

    // Follow X-Next-Cursor.
    const seen: string[] = [];
    let path: string | null = '/users?limit=2';
    let pages = 0;
    while (path) {
      const page: TestResponse = await app.request('GET', path, { token: tenant.admin.token });
      expect(page.status, page.text).toBe(200);
      expect(Array.isArray(page.body)).toBe(true);
      expect(page.body.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.map((user: { username: string }) => user.username));
      pages += 1;
      const cursor = page.headers['x-next-cursor'];
      if (cursor) {
        expect(page.headers.link).toBe(`</users?limit=2&cursor=${cursor}>; rel="next"`);
        path = `/users?limit=2&cursor=${cursor}`;
      } else {
        expect(page.headers.link).toBeUndefined();
        path = null;
      }
      expect(pages).toBeLessThan(10);
    }
    expect(seen).toEqual(names);
    expect(pages).toBe(3);

    // Follow Link.
    const viaLink: string[] = [];
    let next: string | null = '/users?limit=2';
    while (next) {
      const page: TestResponse = await app.request('GET', next, { token: tenant.admin.token });
      viaLink.push(...page.body.map((user: { username: string }) => user.username));
      const link = page.headers.link;
      next = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null) : null;
      expect(viaLink.length).toBeLessThanOrEqual(names.length);
    }
    expect(viaLink).toEqual(names);
  });

  it('refuses a bad limit and cursor with 422', async () => {
    const tenant = await newTenant(app);
    expectCode(await app.request('GET', '/users?limit=0', { token: tenant.admin.token }), 422, 'validation_error');
    expectCode(await app.request('GET', '/users?limit=abc', { token: tenant.admin.token }), 422, 'validation_error');
    expectCode(await app.request('GET', '/users?cursor=%25%25', { token: tenant.admin.token }), 422, 'validation_error');
  });

  it('gets one user, 404 for one that does not exist', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const read = await app.request('GET', `/users/${member.username}`, { token: tenant.admin.token });
    expect(read.status).toBe(200);
    expectUser(read.body, { username: member.username, tenant_id: tenant.tenantId, role: 'member' });
    expectCode(await app.request('GET', `/users/${uniqueName('ghost')}`, { token: tenant.admin.token }), 404, 'not_found');
    expectCode(await app.request('PATCH', `/users/${uniqueName('ghost')}`, { token: tenant.admin.token, json: { full_name: 'x' } }), 404, 'not_found');
    expectCode(await app.request('DELETE', `/users/${uniqueName('ghost')}`, { token: tenant.admin.token }), 404, 'not_found');
  });

  it('updates full_name, email, role and password; the old password stops working', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const path = `/users/${member.username}`;
    const named = await app.request('PATCH', path, { token: tenant.admin.token, json: { full_name: 'Grace Hopper', email: 'grace@example.com' } });
    expect(named.status, named.text).toBe(200);
    expectUser(named.body, { username: member.username, role: 'member', full_name: 'Grace Hopper', email: 'grace@example.com', disabled: false });

    const cleared = await app.request('PATCH', path, { token: tenant.admin.token, json: { email: null } });
    expectUser(cleared.body, { full_name: 'Grace Hopper', email: null });

    const promoted = await app.request('PATCH', path, { token: tenant.admin.token, json: { role: 'admin' } });
    expect(promoted.status).toBe(200);
    expect(promoted.body.role).toBe('admin');
    expect((await app.request('GET', path, { token: tenant.admin.token })).body).toMatchObject({ role: 'admin', full_name: 'Grace Hopper' });

    const newPassword = 'a brand new passphrase 42';
    const changed = await app.request('PATCH', path, { token: tenant.admin.token, json: { password: newPassword } });
    expect(changed.status, changed.text).toBe(200);
    expectUser(changed.body, { username: member.username, role: 'admin' });
    expect(await loginStatus(member.username, newPassword)).toBe(200);
    expect(await loginStatus(member.username, member.password)).toBe(401);
  });

  it('disables and re-enables a user', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const disabled = await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { disabled: true } });
    expect(disabled.body.disabled).toBe(true);
    expect(await loginStatus(member.username, member.password)).toBe(403);
    const enabled = await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { disabled: false } });
    expect(enabled.body.disabled).toBe(false);
    expect(await loginStatus(member.username, member.password)).toBe(200);
  });

  it('deletes a user: 204, then 404, and they cannot log in', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const deleted = await app.request('DELETE', `/users/${member.username}`, { token: tenant.admin.token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectCode(await app.request('GET', `/users/${member.username}`, { token: tenant.admin.token }), 404, 'not_found');
    expectCode(await app.request('DELETE', `/users/${member.username}`, { token: tenant.admin.token }), 404, 'not_found');
    const listed = await app.request('GET', '/users', { token: tenant.admin.token });
    expect(listed.body.map((user: { username: string }) => user.username)).toEqual([tenant.admin.username]);
    const attempt = await app.request('POST', '/token', { form: { username: member.username, password: member.password } });
    expectCode(attempt, 401, 'invalid_credentials');
  });
});

describe('who may manage users', () => {
  it('a member gets 403 insufficient_scope on every admin route, and nothing changes', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const newName = uniqueName('bymember');
    const admin = tenant.admin.username;
    const attempts: [string, string, Record<string, unknown> | undefined][] = [
      ['POST', '/users', { username: newName, password: testPassword }],
      ['GET', '/users', undefined],
      ['GET', `/users/${admin}`, undefined],
      ['PATCH', `/users/${admin}`, { full_name: 'pwned' }],
      ['PATCH', `/users/${member.username}`, { role: 'admin' }],
      ['DELETE', `/users/${admin}`, undefined],
    ];
    for (const [method, path, json] of attempts) {
      const response = await app.request(method, path, { token: member.token, ...(json ? { json } : {}) });
      expectCode(response, 403, 'insufficient_scope');
    }
    expectCode(await app.request('GET', `/users/${newName}`, { token: tenant.admin.token }), 404, 'not_found');
    expect((await app.request('GET', `/users/${admin}`, { token: tenant.admin.token })).body).toMatchObject({ full_name: null, role: 'admin' });
    expect((await app.request('GET', `/users/${member.username}`, { token: tenant.admin.token })).body.role).toBe('member');
    // The member's attempt left no claim on the name: another tenant can take it.
    const other = await newTenant(app);
    expect((await app.request('POST', '/users', { token: other.admin.token, json: { username: newName, password: testPassword } })).status).toBe(201);
  });

  it('a member probing a name taken in another tenant gets 403, not 409', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const elsewhere = await newTenant(app);
    const response = await app.request('POST', '/users', { token: member.token, json: { username: elsewhere.admin.username, password: testPassword } });
    expectCode(response, 403, 'insufficient_scope');
  });

  it('an API key without users:admin gets 403; one with it and every member scope (made by the admin) creates members', async () => {
    const tenant = await newTenant(app);
    const { key: weak } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read', 'data:write', 'keys:read'] });
    const name = uniqueName('bykey');
    expectCode(await app.request('POST', '/users', { apiKey: weak, json: { username: name, password: testPassword } }), 403, 'insufficient_scope');
    expectCode(await app.request('GET', '/users', { apiKey: weak }), 403, 'insufficient_scope');
    expectCode(await app.request('GET', `/users/${tenant.admin.username}`, { apiKey: weak }), 403, 'insufficient_scope');
    expectCode(await app.request('PATCH', `/users/${tenant.admin.username}`, { apiKey: weak, json: { full_name: 'x' } }), 403, 'insufficient_scope');
    expectCode(await app.request('DELETE', `/users/${tenant.admin.username}`, { apiKey: weak }), 403, 'insufficient_scope');

    // Nobody gains a scope through a key: users:admin alone cannot make a member, who holds more.
    const { key: bare } = await addApiKey(app, tenant.admin.token, { scopes: ['users:admin'] });
    expectCode(await app.request('POST', '/users', { apiKey: bare, json: { username: name, password: testPassword } }), 403, 'insufficient_scope');
    expect(await app.services.redis.exists(globalKeys.username(name))).toBe(0);
    const memberScopes = ['users:admin', 'data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify'];
    const { key: strong } = await addApiKey(app, tenant.admin.token, { scopes: memberScopes });
    expectCode(await app.request('POST', '/users', { apiKey: strong, json: { username: uniqueName('admin'), password: testPassword, role: 'admin' } }), 403, 'insufficient_scope');
    const created = await app.request('POST', '/users', { apiKey: strong, json: { username: name, password: testPassword } });
    expect(created.status, created.text).toBe(201);
    expectUser(created.body, { username: name, tenant_id: tenant.tenantId, role: 'member' });
    expect(decodeJwt(await login(app, name, testPassword)).tenant_id).toBe(tenant.tenantId);
    expect((await app.request('GET', '/users', { apiKey: strong })).body.map((user: { username: string }) => user.username)).toContain(name);
  });

  it('a member cannot make an API key with users:admin', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const response = await app.request('POST', '/api-keys', { token: member.token, json: { name: 'escalate', scopes: ['users:admin'] } });
    expect(response.status).toBe(403);
  });
});

describe('usernames', () => {
  it('are unique across tenants: 409 already_exists, nothing written in the second tenant', async () => {
    const first = await newTenant(app);
    const second = await newTenant(app);
    const member = await addUser(app, first, 'member');
    const clash = await app.request('POST', '/users', { token: second.admin.token, json: { username: member.username, password: 'another password here' } });
    expectCode(clash, 409, 'already_exists');
    expectCode(await app.request('GET', `/users/${member.username}`, { token: second.admin.token }), 404, 'not_found');
    expect((await app.request('GET', '/users', { token: second.admin.token })).body.map((user: { username: string }) => user.username)).toEqual([second.admin.username]);
    // The original user is untouched and still logs in to their own tenant.
    expect(await loginStatus(member.username, 'another password here')).toBe(401);
    expect(decodeJwt(await login(app, member.username, member.password)).tenant_id).toBe(first.tenantId);
    // The same tenant again: 409 too.
    expectCode(await app.request('POST', '/users', { token: first.admin.token, json: { username: member.username, password: testPassword } }), 409, 'already_exists');
  });

  it('are case-insensitive and stored in lower case', async () => {
    const tenant = await newTenant(app);
    const other = await newTenant(app);
    const lower = uniqueName('alice');
    expect((await app.request('POST', '/users', { token: tenant.admin.token, json: { username: lower, password: testPassword } })).status).toBe(201);
    const upper = lower.toUpperCase();
    expectCode(await app.request('POST', '/users', { token: tenant.admin.token, json: { username: upper, password: testPassword } }), 409, 'already_exists');
    expectCode(await app.request('POST', '/users', { token: other.admin.token, json: { username: `A${lower.slice(1)}`, password: testPassword } }), 409, 'already_exists');

    const response = await app.request('POST', '/token', { form: { username: upper, password: testPassword } });
    expect(response.status, response.text).toBe(200);
    expect(decodeJwt(response.body.access_token).sub).toBe(lower);
    const me = await app.request('GET', '/users/me', { token: response.body.access_token });
    expect(me.body.username).toBe(lower);
    expect((await app.request('GET', `/users/${upper}`, { token: tenant.admin.token })).body.username).toBe(lower);

    const mixed = uniqueName('Bob');
    const created = await app.request('POST', '/users', { token: tenant.admin.token, json: { username: mixed, password: testPassword } });
    expect(created.status).toBe(201);
    expect(created.body.username).toBe(mixed.toLowerCase());
  });

  it('are free again after DELETE, for any tenant', async () => {
    const first = await newTenant(app);
    const second = await newTenant(app);
    const member = await addUser(app, first, 'member');
    expect((await app.request('DELETE', `/users/${member.username}`, { token: first.admin.token })).status).toBe(204);
    const taken = await app.request('POST', '/users', { token: second.admin.token, json: { username: member.username, password: 'the second owner pw' } });
    expect(taken.status, taken.text).toBe(201);
    expect(taken.body.tenant_id).toBe(second.tenantId);
    expect(decodeJwt(await login(app, member.username, 'the second owner pw')).tenant_id).toBe(second.tenantId);
    expect(await loginStatus(member.username, member.password)).toBe(401);
    // The first tenant cannot take it back now.
    expectCode(await app.request('POST', '/users', { token: first.admin.token, json: { username: member.username, password: testPassword } }), 409, 'already_exists');
  });

  it('racing creates of one name in different tenants give exactly one 201', async () => {
    const tenants = await Promise.all(Array.from({ length: 6 }, () => newTenant(app)));
    for (let round = 0; round < 5; round += 1) {
      const username = uniqueName('race');
      const responses = await Promise.all(
        tenants.map((tenant) => app.request('POST', '/users', { token: tenant.admin.token, json: { username, password: testPassword } })),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 201), statuses.join(',')).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(tenants.length - 1);
      const owners = [];
      for (const tenant of tenants) {
        if ((await app.request('GET', `/users/${username}`, { token: tenant.admin.token })).status === 200) owners.push(tenant.tenantId);
      }
      expect(owners).toHaveLength(1);
    }
  });
});

describe('an admin cannot lock themselves out', () => {
  it('409 cannot_modify_self for deleting, disabling or demoting themselves; their name is fine', async () => {
    const tenant = await newTenant(app);
    const self = `/users/${tenant.admin.username}`;
    const token = tenant.admin.token;
    expectCode(await app.request('DELETE', self, { token }), 409, 'cannot_modify_self');
    expectCode(await app.request('PATCH', self, { token, json: { disabled: true } }), 409, 'cannot_modify_self');
    expectCode(await app.request('PATCH', self, { token, json: { role: 'member' } }), 409, 'cannot_modify_self');
    expectCode(await app.request('PATCH', `/users/${tenant.admin.username.toUpperCase()}`, { token, json: { role: 'member' } }), 409, 'cannot_modify_self');
    const renamed = await app.request('PATCH', self, { token, json: { full_name: 'The Admin' } });
    expect(renamed.status, renamed.text).toBe(200);
    expectUser(renamed.body, { username: tenant.admin.username, role: 'admin', full_name: 'The Admin', disabled: false });
    const me = await app.request('GET', '/users/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'admin', disabled: false, full_name: 'The Admin' });
  });

  it('another admin may demote them', async () => {
    const tenant = await newTenant(app);
    const second = await addUser(app, tenant, 'admin');
    const demoted = await app.request('PATCH', `/users/${tenant.admin.username}`, { token: second.token, json: { role: 'member' } });
    expect(demoted.status, demoted.text).toBe(200);
    expect(demoted.body.role).toBe('member');
  });
});

describe('validation', () => {
  let token: string;
  let member: string;

  beforeAll(async () => {
    const tenant = await newTenant(app);
    token = tenant.admin.token;
    member = (await addUser(app, tenant, 'member')).username;
  });

  it("422 for the reserved username 'me' and malformed usernames", async () => {
    for (const username of ['me', 'ME', '', ' spaced', 'a/b', 'x'.repeat(65), '-dash']) {
      const response = await app.request('POST', '/users', { token, json: { username, password: testPassword } });
      expectCode(response, 422, 'validation_error');
      expect(response.body.detail[0].loc).toEqual(['body', 'username']);
    }
  });

  it('422 for a bad email, a short password, a bad role, missing fields', async () => {
    const username = uniqueName('valid');
    const badEmail = await app.request('POST', '/users', { token, json: { username, password: testPassword, email: 'not-an-email' } });
    expectCode(badEmail, 422, 'validation_error');
    expect(badEmail.body.detail[0].loc).toEqual(['body', 'email']);
    const short = await app.request('POST', '/users', { token, json: { username, password: 'short7!' } });
    expectCode(short, 422, 'validation_error');
    expect(short.body.detail[0].loc).toEqual(['body', 'password']);
    expectCode(await app.request('POST', '/users', { token, json: { username, password: testPassword, role: 'owner' } }), 422, 'validation_error');
    const missing = await app.request('POST', '/users', { token, json: { username } });
    expectCode(missing, 422, 'validation_error');
    expect(missing.body.detail).toContainEqual({ loc: ['body', 'password'], msg: 'Field required', type: 'missing' });
    expectCode(await app.request('PATCH', `/users/${member}`, { token, json: { email: 'nope' } }), 422, 'validation_error');
    expectCode(await app.request('PATCH', `/users/${member}`, { token, json: { password: '1234567' } }), 422, 'validation_error');
    expectCode(await app.request('GET', `/users/${username}`, { token }), 404, 'not_found');
  });

  it('422 extra_forbidden for an unknown field', async () => {
    const username = uniqueName('extra');
    const extra = await app.request('POST', '/users', { token, json: { username, password: testPassword, is_superuser: true } });
    expectCode(extra, 422, 'validation_error');
    expect(extra.body.detail).toContainEqual({ loc: ['body', 'is_superuser'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    const patch = await app.request('PATCH', `/users/${member}`, { token, json: { tenant_id: 'elsewhere' } });
    expectCode(patch, 422, 'validation_error');
    expect(patch.body.detail).toContainEqual({ loc: ['body', 'tenant_id'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
  });

  it('422 for a PATCH with nothing to change', async () => {
    expectCode(await app.request('PATCH', `/users/${member}`, { token, json: {} }), 422, 'validation_error');
    expectCode(await app.request('PATCH', `/users/${member}`, { token }), 422, 'validation_error');
  });

  it('415 for a form body on /users', async () => {
    const response = await app.request('POST', '/users', { token, form: { username: uniqueName('form'), password: testPassword } });
    expectCode(response, 415, 'unsupported_media_type');
  });
});

describe('auditing user management', () => {
  it('records create, update (fields, never the password) and delete, and never logs a password', async () => {
    const tenant = await newTenant(app);
    const username = uniqueName('audited');
    const firstPassword = 'first-Secret-passw0rd';
    const secondPassword = 'second-Secret-passw0rd';
    const token = tenant.admin.token;
    expect((await app.request('POST', '/users', { token, json: { username, password: firstPassword, full_name: 'Audit Me' } })).status).toBe(201);
    expect((await app.request('PATCH', `/users/${username}`, { token, json: { password: secondPassword, full_name: 'Audited' } })).status).toBe(200);
    expect((await app.request('POST', '/token', { form: { username, password: secondPassword } })).status).toBe(200);
    expect((await app.request('DELETE', `/users/${username}`, { token })).status).toBe(204);
    await app.request('POST', '/users', { token, json: { username: 'me', password: firstPassword } });

    const events = await pendingEvents(app, tenant.tenantId);
    const actor = { type: 'user', id: tenant.admin.username };
    const about = events.filter((event) => event.username === username);
    expect(about.map((event) => [event.action, event.outcome])).toEqual([
      ['create_user', 'success'],
      ['update_user', 'success'],
      ['delete_user', 'success'],
    ]);
    expect(about[0]).toMatchObject({ tenant_id: tenant.tenantId, actor, role: 'member' });
    expect(about[1]).toMatchObject({ tenant_id: tenant.tenantId, actor });
    expect([...(about[1]?.fields as string[])].sort()).toEqual(['full_name', 'password']);
    expect(about[2]).toMatchObject({ tenant_id: tenant.tenantId, actor });
    expect(events.some((event) => event.action === 'create_user' && event.outcome === 'failure' && event.reason === 'validation_error')).toBe(true);

    const everything = JSON.stringify(events) + app.logLines.join('\n');
    for (const secret of [firstPassword, secondPassword, testPassword]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/\$2[aby]\$/);
  });

  it('records failures: a name taken elsewhere, a self-delete', async () => {
    const tenant = await newTenant(app);
    const elsewhere = await newTenant(app);
    await app.request('POST', '/users', { token: tenant.admin.token, json: { username: elsewhere.admin.username, password: testPassword } });
    await app.request('DELETE', `/users/${tenant.admin.username}`, { token: tenant.admin.token });
    const failures = (await pendingEvents(app, tenant.tenantId))
      .filter((event) => event.outcome === 'failure')
      .map((event) => [event.action, event.reason]);
    expect(failures).toEqual([
      ['create_user', 'already_exists'],
      ['delete_user', 'cannot_modify_self'],
    ]);
  });
});
