import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantKeys } from '../shared/redis/keys.js';
import { setTenantStatus } from '../shared/tenancy/tenants.js';
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

const testSecret = '0123456789abcdef0123456789abcdef';
const newSecret = 'fedcba9876543210fedcba9876543210-new';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

/** The token a successful POST /token gives. */
async function tokenOf(response: TestResponse): Promise<string> {
  expect(response.status, response.text).toBe(200);
  return response.body.access_token as string;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Claims shaped like keyward's own, for forged tokens. */
function claimsFor(username: string, tenantId: string, role: 'admin' | 'member', nowS = Math.floor(Date.now() / 1000)) {
  return {
    sub: username,
    tenant_id: tenantId,
    role,
    scope: role === 'admin' ? 'data:read data:write keys:read keys:write keys:verify audit:read users:admin' : 'data:read data:write keys:read keys:write keys:verify',
    iat: nowS,
    exp: nowS + 600,
    iss: 'keyward',
    aud: 'keyward',
    jti: randomUUID(),
  };
}

async function sign(
  claims: Record<string, unknown>,
  options: { secret?: string; kid?: string; alg?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', kid: options.kid ?? 'test-1', typ: 'JWT' })
    .sign(new TextEncoder().encode(options.secret ?? testSecret));
}

/** A client address no other test uses (login throttling counts per address). */
function uniqueAddress(): string {
  return `fd00:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
}

function expectUnauthorized(response: TestResponse, code?: string): void {
  expect(response.status, response.text).toBe(401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  if (code) expect(response.body.code).toBe(code);
  expect(typeof response.body.request_id).toBe('string');
}

describe('POST /token', () => {
  it('issues a bearer JWT for a form body, with every claim and the kid header', async () => {
    const tenant = await newTenant(app);
    const response = await app.request('POST', '/token', { form: { username: tenant.admin.username, password: tenant.admin.password } });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(response.body.token_type).toBe('bearer');
    expect(response.body.expires_in).toBe(1800);
    const token = response.body.access_token as string;
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('HS256');
    expect(header.kid).toBe('test-1');
    const claims = decodeJwt(token);
    expect(claims.sub).toBe(tenant.admin.username);
    expect(claims.tenant_id).toBe(tenant.tenantId);
    expect(claims.role).toBe('admin');
    expect(claims.iss).toBe('keyward');
    expect(claims.aud).toBe('keyward');
    expect(typeof claims.jti).toBe('string');
    expect((claims.jti as string).length).toBeGreaterThan(0);
    const now = Math.floor(Date.now() / 1000);
    expect(claims.iat).toBeGreaterThanOrEqual(now - 5);
    expect(claims.iat).toBeLessThanOrEqual(now + 1);
    expect(claims.exp).toBe((claims.iat as number) + 1800);
    const scopes = (claims.scope as string).split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['users:admin', 'audit:read', 'data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify']));
    expect(claims.scope).not.toMatch(/,|\s{2}/);
  });

  it('accepts a JSON body too, and a member token lacks users:admin and audit:read', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const response = await app.request('POST', '/token', { json: { username: member.username, password: member.password } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'bearer', expires_in: 1800 });
    const token = response.body.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', kid: 'test-1' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: member.username, tenant_id: tenant.tenantId, role: 'member', iss: 'keyward', aud: 'keyward' });
    const scopes = (claims.scope as string).split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['data:read', 'data:write', 'keys:read', 'keys:write', 'keys:verify']));
    expect(scopes).not.toContain('users:admin');
    expect(scopes).not.toContain('audit:read');
    expect(typeof claims.iat).toBe('number');
    expect(typeof claims.exp).toBe('number');
    expect(typeof claims.jti).toBe('string');
    // Each login gets its own jti.
    const again = decodeJwt(await login(app, member.username, member.password));
    expect(again.jti).not.toBe(claims.jti);
  });

  it('takes the OAuth2 form fields (grant_type, scope, client_id) and sends no-store', async () => {
    const tenant = await newTenant(app);
    const response = await app.request('POST', '/token', {
      form: { grant_type: 'password', username: tenant.admin.username, password: tenant.admin.password, scope: '', client_id: 'cli' },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(decodeJwt(response.body.access_token).sub).toBe(tenant.admin.username);
    const otherGrant = await app.request('POST', '/token', { form: { grant_type: 'client_credentials', username: tenant.admin.username, password: tenant.admin.password } });
    expect(otherGrant.status).toBe(422);
    const missing = await app.request('POST', '/token', { form: { username: tenant.admin.username } });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContainEqual({ loc: ['body', 'password'], msg: 'Field required', type: 'missing' });
  });

  it('401 invalid_credentials for a wrong password and for an unknown user, alike', async () => {
    const tenant = await newTenant(app);
    const wrong = await app.request('POST', '/token', { form: { username: tenant.admin.username, password: 'not the password' } });
    const unknown = await app.request('POST', '/token', { form: { username: uniqueName('nobody'), password: testPassword } });
    for (const response of [wrong, unknown]) {
      expectUnauthorized(response, 'invalid_credentials');
      expect(response.body.detail).toBe('Incorrect username or password');
      expect(response.body.access_token).toBeUndefined();
    }
  });
});

describe('POST /token: the 72-byte bcrypt limit', () => {
  it('refuses passwords over 72 bytes at login with 422, ASCII and multibyte', async () => {
    const tenant = await newTenant(app);
    for (const password of ['a'.repeat(73), 'é'.repeat(37)]) {
      expect(Buffer.byteLength(password)).toBeGreaterThan(72);
      for (const body of [{ form: { username: tenant.admin.username, password } }, { json: { username: tenant.admin.username, password } }]) {
        const response = await app.request('POST', '/token', body);
        expect(response.status, response.text).toBe(422);
        expect(response.body.code).toBe('validation_error');
        expect(response.body.detail[0].loc).toEqual(['body', 'password']);
      }
    }
  });

  it('refuses them on POST /users with 422, and nothing is created', async () => {
    const tenant = await newTenant(app);
    for (const password of ['a'.repeat(73), 'é'.repeat(37)]) {
      const username = uniqueName('long');
      const response = await app.request('POST', '/users', { token: tenant.admin.token, json: { username, password } });
      expect(response.status, response.text).toBe(422);
      expect(response.body.code).toBe('validation_error');
      expect(response.body.detail[0].loc).toEqual(['body', 'password']);
      expect((await app.request('GET', `/users/${username}`, { token: tenant.admin.token })).status).toBe(404);
    }
    const member = await addUser(app, tenant, 'member');
    const patched = await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { password: 'é'.repeat(37) } });
    expect(patched.status, patched.text).toBe(422);
    expect(await login(app, member.username, member.password)).toBeTruthy();
  });

  it('never truncates: a 72-byte password works, the same plus one byte is 422, not 200', async () => {
    const tenant = await newTenant(app);
    const username = uniqueName('exact');
    const password = `${'é'.repeat(30)}${'x'.repeat(12)}`; // 60 + 12 bytes
    expect(Buffer.byteLength(password)).toBe(72);
    const created = await app.request('POST', '/users', { token: tenant.admin.token, json: { username, password } });
    expect(created.status, created.text).toBe(201);
    expect((await app.request('POST', '/token', { form: { username, password } })).status).toBe(200);
    const longer = await app.request('POST', '/token', { form: { username, password: `${password}x` } });
    expect(longer.status, longer.text).toBe(422);
    expect(longer.body.access_token).toBeUndefined();
    const ascii = 'A'.repeat(72);
    const asciiUser = uniqueName('ascii');
    expect((await app.request('POST', '/users', { token: tenant.admin.token, json: { username: asciiUser, password: ascii } })).status).toBe(201);
    expect((await app.request('POST', '/token', { json: { username: asciiUser, password: ascii } })).status).toBe(200);
    expect((await app.request('POST', '/token', { json: { username: asciiUser, password: `${ascii}x` } })).status).toBe(422);
  });
});

describe('POST /token: disabled users and tenants', () => {
  it('a disabled user: 403 user_disabled with the right password, 401 with a wrong one', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const disabled = await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { disabled: true } });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    const right = await app.request('POST', '/token', { form: { username: member.username, password: member.password } });
    expect(right.status).toBe(403);
    expect(right.body.code).toBe('user_disabled');
    const wrong = await app.request('POST', '/token', { form: { username: member.username, password: 'wrong password!' } });
    expectUnauthorized(wrong, 'invalid_credentials');
    // Their token from before is refused as well.
    const me = await app.request('GET', '/users/me', { token: member.token });
    expect(me.status).toBe(403);
    expect(me.body.code).toBe('user_disabled');
  });

  it('a disabled tenant: 403 tenant_disabled with the right password, its tokens refused', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    await setTenantStatus(app.services, tenant.tenantId, 'disabled');
    const right = await app.request('POST', '/token', { form: { username: member.username, password: member.password } });
    expect(right.status).toBe(403);
    expect(right.body.code).toBe('tenant_disabled');
    const wrong = await app.request('POST', '/token', { form: { username: member.username, password: 'wrong password!' } });
    expectUnauthorized(wrong, 'invalid_credentials');
    for (const token of [tenant.admin.token, member.token]) {
      const me = await app.request('GET', '/users/me', { token });
      expect(me.status).toBe(403);
      expect(me.body.code).toBe('tenant_disabled');
    }
    await setTenantStatus(app.services, tenant.tenantId, 'active');
    expect((await app.request('GET', '/users/me', { token: member.token })).status).toBe(200);
  });
});

describe('POST /token: throttling', () => {
  let throttled: TestApp;
  let byAddress: TestApp;

  beforeAll(async () => {
    throttled = await createTestApp({ env: { LOGIN_MAX_FAILURES_PER_USER: '3', LOGIN_THROTTLE_WINDOW_S: '60' } });
    byAddress = await createTestApp({ env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '3', LOGIN_THROTTLE_WINDOW_S: '60' } });
  });
  afterAll(async () => {
    await throttled.close();
    await byAddress.close();
  });

  it('429 login_throttled with Retry-After after 3 failures for one username, even with the right password', async () => {
    const tenant = await newTenant(throttled);
    const victim = await addUser(throttled, tenant, 'member');
    const other = await addUser(throttled, tenant, 'member');
    const wrongPassword = 'Wr0ng-pa55word-for-the-audit';
    for (let i = 0; i < 3; i += 1) {
      expectUnauthorized(await throttled.request('POST', '/token', { form: { username: victim.username, password: wrongPassword } }), 'invalid_credentials');
    }
    const blocked = await throttled.request('POST', '/token', { form: { username: victim.username, password: victim.password } });
    expect(blocked.status, blocked.text).toBe(429);
    expect(blocked.body.code).toBe('login_throttled');
    expect(blocked.body.access_token).toBeUndefined();
    const retryAfter = blocked.headers['retry-after'];
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    // Case does not get around it.
    expect((await throttled.request('POST', '/token', { form: { username: victim.username.toUpperCase(), password: victim.password } })).status).toBe(429);
    // Another username is unaffected.
    expect((await throttled.request('POST', '/token', { form: { username: other.username, password: other.password } })).status).toBe(200);

    const events = (await pendingEvents(throttled, tenant.tenantId)).filter((event) => event.actor?.id === victim.username && event.action === 'login_failed');
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.slice(0, 3).map((event) => [event.outcome, event.reason])).toEqual(Array(3).fill(['failure', 'invalid_credentials']));
    expect(events[3]).toMatchObject({ tenant_id: tenant.tenantId, actor: { type: 'user', id: victim.username }, outcome: 'failure', reason: 'login_throttled' });
    const everything = JSON.stringify(await pendingEvents(throttled, tenant.tenantId)) + throttled.logLines.join('\n');
    expect(everything).not.toContain(wrongPassword);
    expect(everything).not.toContain(victim.password);
  });

  // Finding: thirty parallel wrong passwords all reached bcrypt (cost 12 each) and all answered 401.
  it('counts an attempt before the password is checked: of 30 parallel wrong passwords, 3 reach bcrypt, 27 are 429', async () => {
    const tenant = await newTenant(throttled);
    const victim = await addUser(throttled, tenant, 'member');
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => throttled.request('POST', '/token', { form: { username: victim.username, password: 'parallel guess 1234' } })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(27);
    const failures = (await pendingEvents(throttled, tenant.tenantId)).filter((event) => event.action === 'login_failed');
    expect(failures.filter((event) => event.reason === 'invalid_credentials')).toHaveLength(3);
  });

  // Finding: 300 anonymous throttled logins for one username added 300 events to the tenant's trail.
  it('records throttled attempts for one username once per window, however many arrive', async () => {
    const tenant = await newTenant(throttled);
    const victim = await addUser(throttled, tenant, 'member');
    for (let i = 0; i < 3; i += 1) await throttled.request('POST', '/token', { form: { username: victim.username, password: 'wrong guess 1234' } });
    const before = (await pendingEvents(throttled, tenant.tenantId)).length;
    const refused = await Promise.all(
      Array.from({ length: 100 }, () => throttled.request('POST', '/token', { form: { username: victim.username, password: 'wrong guess 1234' } })),
    );
    expect(refused.every((response) => response.status === 429)).toBe(true);
    const added = (await pendingEvents(throttled, tenant.tenantId)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ action: 'login_failed', outcome: 'failure', reason: 'login_throttled', actor: { type: 'user', id: victim.username } });
  });

  it('a successful login clears the username count', async () => {
    const tenant = await newTenant(throttled);
    const user = await addUser(throttled, tenant, 'member');
    for (let i = 0; i < 2; i += 1) await throttled.request('POST', '/token', { form: { username: user.username, password: 'nope nope nope' } });
    expect((await throttled.request('POST', '/token', { form: { username: user.username, password: user.password } })).status).toBe(200);
    for (let i = 0; i < 2; i += 1) await throttled.request('POST', '/token', { form: { username: user.username, password: 'nope nope nope' } });
    expect((await throttled.request('POST', '/token', { form: { username: user.username, password: user.password } })).status).toBe(200);
  });

  it('429 after 3 failures from one address across usernames; another address still logs in', async () => {
    const tenant = await newTenant(byAddress);
    const users = [await addUser(byAddress, tenant), await addUser(byAddress, tenant), await addUser(byAddress, tenant)];
    const target = await addUser(byAddress, tenant);
    const address = uniqueAddress();
    for (const user of users) {
      expectUnauthorized(await byAddress.request('POST', '/token', { form: { username: user.username, password: 'bad guess 123' }, address }), 'invalid_credentials');
    }
    const blocked = await byAddress.request('POST', '/token', { form: { username: target.username, password: target.password }, address });
    expect(blocked.status, blocked.text).toBe(429);
    expect(blocked.body.code).toBe('login_throttled');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    const elsewhere = await byAddress.request('POST', '/token', { form: { username: target.username, password: target.password }, address: uniqueAddress() });
    expect(elsewhere.status).toBe(200);
  });

  it('audits a failed login as login_failed in the user tenant, without the password', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const wrongPassword = 'this-is-a-W R O N G-password';
    await app.request('POST', '/token', { form: { username: member.username, password: wrongPassword } });
    const events = await pendingEvents(app, tenant.tenantId);
    const failed = events.filter((event) => event.action === 'login_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ tenant_id: tenant.tenantId, actor: { type: 'user', id: member.username }, outcome: 'failure', reason: 'invalid_credentials' });
    expect(events.some((event) => event.action === 'login_success' && event.actor.id === member.username)).toBe(true);
    const everything = JSON.stringify(events) + app.logLines.join('\n');
    expect(everything).not.toContain(wrongPassword);
    expect(everything).not.toContain(testPassword);
  });
});

describe('JWT checks on GET /users/me', () => {
  let tenantId: string;
  let memberName: string;
  let memberToken: string;

  beforeAll(async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    tenantId = tenant.tenantId;
    memberName = member.username;
    memberToken = member.token;
  });

  it('works with the real token', async () => {
    const me = await app.request('GET', '/users/me', { token: memberToken });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(memberName);
  });

  it('401 not_authenticated without Authorization, and for a non-Bearer scheme', async () => {
    const missing = await app.request('GET', '/users/me');
    expectUnauthorized(missing, 'not_authenticated');
    expect(missing.body.detail).toBe('Not authenticated');
    const basic = await app.request('GET', '/users/me', { headers: { Authorization: 'Basic xyz' } });
    expectUnauthorized(basic, 'not_authenticated');
  });

  it('401 invalid_token for alg none', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT', kid: 'test-1' })}.${base64url(claimsFor(memberName, tenantId, 'admin'))}.`;
    expectUnauthorized(await app.request('GET', '/users/me', { token }), 'invalid_token');
  });

  it('401 invalid_token for a token signed with another secret under the same kid', async () => {
    const token = await sign(claimsFor(memberName, tenantId, 'member'), { secret: 'another-secret-0123456789abcdef01' });
    expectUnauthorized(await app.request('GET', '/users/me', { token }), 'invalid_token');
  });

  it('401 invalid_token for a tampered payload (member → admin, signature kept)', async () => {
    const [header, payload, signature] = memberToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims.role).toBe('member');
    const tampered = `${header}.${base64url({ ...claims, role: 'admin' })}.${signature}`;
    expectUnauthorized(await app.request('GET', '/users/me', { token: tampered }), 'invalid_token');
    expectUnauthorized(await app.request('GET', '/users', { token: tampered }), 'invalid_token');
  });

  it('401 token_expired for an expired token with a valid signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign({ ...claimsFor(memberName, tenantId, 'member', now - 3600), exp: now - 60 });
    expectUnauthorized(await app.request('GET', '/users/me', { token }), 'token_expired');
  });

  it('401 for an unknown kid', async () => {
    const token = await sign(claimsFor(memberName, tenantId, 'member'), { kid: 'nope-9' });
    expectUnauthorized(await app.request('GET', '/users/me', { token }), 'invalid_token');
    const noKid = await new SignJWT(claimsFor(memberName, tenantId, 'member')).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(testSecret));
    expectUnauthorized(await app.request('GET', '/users/me', { token: noKid }), 'invalid_token');
  });

  it('401 for HS512 with the right secret when only HS256 is configured', async () => {
    const token = await sign(claimsFor(memberName, tenantId, 'member'), { alg: 'HS512' });
    expect(decodeProtectedHeader(token).alg).toBe('HS512');
    expectUnauthorized(await app.request('GET', '/users/me', { token }), 'invalid_token');
  });

  it('401 for a wrong issuer or audience', async () => {
    for (const override of [{ iss: 'someone-else' }, { aud: 'someone-else' }]) {
      const token = await sign({ ...claimsFor(memberName, tenantId, 'member'), ...override });
      expectUnauthorized(await app.request('GET', '/users/me', { token }), 'invalid_token');
    }
  });

  it('401 for a JWT-shaped garbage bearer credential', async () => {
    for (const authorization of ['Bearer abc.def.ghi', `Bearer ${base64url({ alg: 'HS256' })}.e30.`]) {
      expectUnauthorized(await app.request('GET', '/users/me', { headers: { Authorization: authorization } }), 'invalid_token');
    }
  });

  it("401 for garbage 'Bearer abc.def' on user-token routes, as on the others", async () => {
    expectUnauthorized(await app.request('GET', '/data', { headers: { Authorization: 'Bearer abc.def' } }));
    for (const [method, path] of [['GET', '/users/me'], ['POST', '/token/revoke']] as const) {
      for (const authorization of ['Bearer abc.def', 'Bearer garbage']) {
        expectUnauthorized(await app.request(method, path, { headers: { Authorization: authorization } }));
      }
    }
  });
});

describe('signing key rotation', () => {
  it('a new first key signs, the old one still verifies; the old config rejects new-key tokens', async () => {
    const rotated = await createTestApp({ env: { JWT_SIGNING_KEYS: `new-1:${newSecret},test-1:${testSecret}` } });
    try {
      const tenant = await newTenant(app);
      const oldToken = tenant.admin.token;
      expect(decodeProtectedHeader(oldToken).kid).toBe('test-1');
      const me = await rotated.request('GET', '/users/me', { token: oldToken });
      expect(me.status, me.text).toBe(200);
      expect(me.body.username).toBe(tenant.admin.username);

      const newToken = await login(rotated, tenant.admin.username, tenant.admin.password);
      expect(decodeProtectedHeader(newToken)).toMatchObject({ alg: 'HS256', kid: 'new-1' });
      expect((await rotated.request('GET', '/users/me', { token: newToken })).status).toBe(200);
      expectUnauthorized(await app.request('GET', '/users/me', { token: newToken }), 'invalid_token');
    } finally {
      await rotated.close();
    }
  });
});

describe('POST /token/revoke', () => {
  it('refuses the revoked token from then on; another token of the user still works', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const token = await tokenOf(await app.request('POST', '/token', { form: { username: member.username, password: member.password } }));
    const { jti, exp } = decodeJwt(token);
    expect((await app.request('POST', '/data', { token, json: { key: 'k', value: 1 } })).status).toBe(201);

    const revoked = await app.request('POST', '/token/revoke', { token });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body).toEqual({ revoked: true });

    const ttlMs = await app.services.redis.pttl(tenantKeys(tenant.tenantId).revokedToken(jti as string));
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual((exp as number) * 1000 - Date.now() + 1000);

    for (const [method, path] of [['GET', '/users/me'], ['GET', '/data/k'], ['GET', '/data'], ['POST', '/token/revoke']] as const) {
      expectUnauthorized(await app.request(method, path, { token }), 'token_revoked');
    }
    expect((await app.request('GET', '/users/me', { token: member.token })).status).toBe(200);
    const fresh = await login(app, member.username, member.password);
    expect((await app.request('GET', '/data/k', { token: fresh })).status).toBe(200);

    const events = await pendingEvents(app, tenant.tenantId);
    const revokeEvent = events.find((event) => event.action === 'token_revoked');
    expect(revokeEvent).toMatchObject({ tenant_id: tenant.tenantId, actor: { type: 'user', id: member.username }, outcome: 'success' });
    expect(events.some((event) => event.action === 'access_denied' && event.reason === 'token_revoked' && event.attempted === 'get_user')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("keeps the revoked marker exactly as long as the token's remaining life", async () => {
    // A token issued ten minutes ago (by a replica whose clock says so) has 20 of its 30 minutes left.
    const past = await createTestApp({ clock: { now: () => Date.now() - 600_000 } });
    try {
      const tenant = await newTenant(app);
      const token = await login(past, tenant.admin.username, tenant.admin.password);
      const { jti, exp } = decodeJwt(token);
      expect((await app.request('POST', '/token/revoke', { token })).status).toBe(200);
      const ttlMs = await app.services.redis.pttl(tenantKeys(tenant.tenantId).revokedToken(jti as string));
      const remainingMs = (exp as number) * 1000 - Date.now();
      expect(remainingMs).toBeGreaterThan(1_100_000);
      expect(remainingMs).toBeLessThan(1_300_000);
      expect(ttlMs).toBeLessThanOrEqual(remainingMs + 2000);
      expect(ttlMs).toBeGreaterThanOrEqual(remainingMs - 2000);
      expectUnauthorized(await app.request('GET', '/users/me', { token }), 'token_revoked');
    } finally {
      await past.close();
    }
  });

  it('403 with an API key (keys are revoked by deleting them)', async () => {
    const tenant = await newTenant(app);
    const { key } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
    const response = await app.request('POST', '/token/revoke', { apiKey: key });
    expect(response.status, response.text).toBe(403);
    expect((await app.request('GET', '/data', { apiKey: key })).status).toBe(200);
  });

  it('401 without a token', async () => {
    expectUnauthorized(await app.request('POST', '/token/revoke'), 'not_authenticated');
  });
});

describe("tokens follow the user's account", () => {
  it('a role change refuses the old token; a new login carries the new role', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    expect((await app.request('GET', '/users/me', { token: member.token })).status).toBe(200);
    const promoted = await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { role: 'admin' } });
    expect(promoted.status, promoted.text).toBe(200);
    expect(promoted.body.role).toBe('admin');
    expectUnauthorized(await app.request('GET', '/users/me', { token: member.token }), 'token_revoked');
    const fresh = await login(app, member.username, member.password);
    const claims = decodeJwt(fresh);
    expect(claims.role).toBe('admin');
    expect((claims.scope as string).split(' ')).toContain('users:admin');
    const me = await app.request('GET', '/users/me', { token: fresh });
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('admin');
    expect((await app.request('GET', '/users', { token: fresh })).status).toBe(200);
  });

  // Finding: tokens outlived account changes. Each case below answered 200 with the old token.
  it("a password change ends the user's existing tokens; a new login works", async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const newPassword = 'a brand new passphrase';
    expect((await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { password: newPassword } })).status).toBe(200);
    expectUnauthorized(await app.request('GET', '/users/me', { token: member.token }), 'token_revoked');
    expectUnauthorized(await app.request('GET', '/data', { token: member.token }), 'token_revoked');
    expect((await app.request('GET', '/users/me', { token: await login(app, member.username, newPassword) })).status).toBe(200);
    // An admin changing their own password ends their own old tokens too.
    const own = await app.request('PATCH', `/users/${tenant.admin.username}`, { token: tenant.admin.token, json: { password: newPassword } });
    expect(own.status).toBe(200);
    expectUnauthorized(await app.request('GET', '/users/me', { token: tenant.admin.token }), 'token_revoked');
  });

  it('a demoted and re-promoted admin does not get the old admin token back', async () => {
    const tenant = await newTenant(app);
    const admin = await addUser(app, tenant, 'admin');
    expect((await app.request('GET', '/users', { token: admin.token })).status).toBe(200);
    for (const role of ['member', 'admin']) {
      expect((await app.request('PATCH', `/users/${admin.username}`, { token: tenant.admin.token, json: { role } })).status).toBe(200);
    }
    expectUnauthorized(await app.request('GET', '/users', { token: admin.token }), 'token_revoked');
    expectUnauthorized(await app.request('GET', '/users/me', { token: admin.token }), 'token_revoked');
  });

  it('a disabled user stays refused after being enabled again, until a new login', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    for (const disabled of [true, false]) {
      expect((await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { disabled } })).status).toBe(200);
    }
    expectUnauthorized(await app.request('GET', '/users/me', { token: member.token }), 'token_revoked');
    expect((await app.request('GET', '/users/me', { token: await login(app, member.username, member.password) })).status).toBe(200);
  });

  it("a deleted user's token does not come back with a new user of the same name", async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    expect((await app.request('DELETE', `/users/${member.username}`, { token: tenant.admin.token })).status).toBe(204);
    const again = await app.request('POST', '/users', { token: tenant.admin.token, json: { username: member.username, password: testPassword, role: 'member' } });
    expect(again.status, again.text).toBe(201);
    expectUnauthorized(await app.request('GET', '/users/me', { token: member.token }), 'token_revoked');
    expect((await app.request('GET', '/users/me', { token: await login(app, member.username, testPassword) })).status).toBe(200);
  });

  it("changing a user's name or email leaves their tokens working", async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    expect((await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { full_name: 'New Name', email: 'n@example.com' } })).status).toBe(200);
    expect((await app.request('GET', '/users/me', { token: member.token })).status).toBe(200);
  });

  it("a deleted user's token is 401", async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    expect((await app.request('DELETE', `/users/${member.username}`, { token: tenant.admin.token })).status).toBe(204);
    expectUnauthorized(await app.request('GET', '/users/me', { token: member.token }), 'invalid_token');
    expectUnauthorized(await app.request('GET', '/data', { token: member.token }), 'invalid_token');
  });
});

describe('access denials are audited', () => {
  it('a member listing users: 403 insufficient_scope, recorded as access_denied', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    const response = await app.request('GET', '/users', { token: member.token });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('insufficient_scope');
    const events = (await pendingEvents(app, tenant.tenantId)).filter((event) => event.actor?.id === member.username && event.action === 'access_denied');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenant_id: tenant.tenantId,
      actor: { type: 'user', id: member.username },
      action: 'access_denied',
      outcome: 'denied',
      reason: 'insufficient_scope',
      attempted: 'list_users',
    });
  });

  it('a member reading audit logs and a disabled user are recorded too', async () => {
    const tenant = await newTenant(app);
    const member = await addUser(app, tenant, 'member');
    expect((await app.request('GET', '/audit-logs', { token: member.token })).status).toBe(403);
    await app.request('PATCH', `/users/${member.username}`, { token: tenant.admin.token, json: { disabled: true } });
    expect((await app.request('GET', '/data', { token: member.token })).status).toBe(403);
    const denials = (await pendingEvents(app, tenant.tenantId))
      .filter((event) => event.action === 'access_denied' && event.actor?.id === member.username)
      .map((event) => [event.outcome, event.reason, event.attempted]);
    expect(denials).toEqual([
      ['denied', 'insufficient_scope', 'read_audit_logs'],
      ['denied', 'user_disabled', 'list_keys'],
    ]);
  });
});

describe('auth: a verified token remembered by the process', () => {
  it('still expires on time, and a revoked one is still refused', async () => {
    let now = Date.now();
    const clocked = await createTestApp({ clock: { now: () => now } });
    try {
      const tenant = await newTenant(clocked);
      const token = tenant.admin.token;
      expect((await clocked.request('GET', '/users/me', { token })).status).toBe(200);
      expect((await clocked.request('GET', '/users/me', { token })).status).toBe(200);
      now += 1801 * 1000;
      const expired = await clocked.request('GET', '/users/me', { token });
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('token_expired');

      const fresh = await login(clocked, tenant.admin.username, tenant.admin.password);
      expect((await clocked.request('GET', '/users/me', { token: fresh })).status).toBe(200);
      expect((await clocked.request('POST', '/token/revoke', { token: fresh })).status).toBe(200);
      expect((await clocked.request('GET', '/users/me', { token: fresh })).body.code).toBe('token_revoked');
    } finally {
      await clocked.close();
    }
  });
});
