import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offloadTenant } from '../shared/audit/offload.js';
import { createLogger } from '../shared/logging/logger.js';
import type { FunctionHandler } from '../shared/runtime/context.js';
import { createTestApp, login, newTenant, pendingEvents, testEnv, testPassword, uniqueName, type TestApp } from './support/harness.js';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

/** The strings that must never reach a log line or an audit event, with what each one is. */
function findLeaks(texts: readonly string[], secrets: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [what, secret] of Object.entries(secrets)) {
    texts.forEach((text, index) => {
      if (text.includes(secret)) leaks.push(`${what} in #${index}: ${text.slice(0, 300)}`);
    });
  }
  return leaks;
}

describe('no secrets in logs or audit events', () => {
  it('keeps passwords, tokens, key secrets, stored values, the pepper and the JWT secret out of a full flow', async () => {
    const env = testEnv();
    const marker = uniqueName('VALUE-MARKER');
    const createdPassword = uniqueName('Pw-create');
    const patchedPassword = uniqueName('Pw-patch');
    const wrongPassword = uniqueName('Pw-wrong');
    const tooLongPassword = `${uniqueName('Pw-toolong')}${'z'.repeat(80)}`;
    const tenant = await newTenant(app);

    // login with a form body
    const formLogin = await app.request('POST', '/token', { form: { username: tenant.admin.username, password: testPassword } });
    expect(formLogin.status).toBe(200);
    const adminToken: string = formLogin.body.access_token;

    // a user with a distinctive password, then a new password for them
    const username = uniqueName('secretive');
    expect((await app.request('POST', '/users', { token: adminToken, json: { username, password: createdPassword, role: 'member' } })).status).toBe(201);
    expect((await app.request('PATCH', `/users/${username}`, { token: adminToken, json: { password: patchedPassword } })).status).toBe(200);
    expect((await app.request('PATCH', `/users/${username}`, { token: adminToken, json: { password: tooLongPassword } })).status).toBe(422);
    const jsonLogin = await app.request('POST', '/token', { json: { username, password: patchedPassword } });
    expect(jsonLogin.status).toBe(200);
    const userToken: string = jsonLogin.body.access_token;

    // data holding a marker, read back by the user and listed
    expect((await app.request('POST', '/data', { token: userToken, json: { key: 'item', value: { note: marker }, metadata: { tag: 'x' } } })).status).toBe(201);
    expect((await app.request('GET', '/data/item', { token: userToken })).body.value.note).toBe(marker);
    expect((await app.request('PUT', '/data/item', { token: userToken, json: { value: [marker] } })).status).toBe(200);
    expect((await app.request('GET', '/data', { token: userToken })).status).toBe(200);

    // an API key: made, used (both headers), verified
    const created = await app.request('POST', '/api-keys', { token: adminToken, json: { name: 'flow', scopes: ['data:read', 'keys:verify'] } });
    expect(created.status).toBe(201);
    const keyValue: string = created.body.key_value;
    expect((await app.request('GET', '/data/item', { apiKey: keyValue })).status).toBe(200);
    expect((await app.request('GET', '/data/item', { headers: { authorization: `Bearer ${keyValue}` } })).status).toBe(200);
    const verified = await app.request('POST', '/api-keys/verify', { apiKey: keyValue, json: { key: keyValue } });
    expect(verified.body.valid).toBe(true);
    // a mistyped key in a verification and as a credential
    const mistyped = `${keyValue.slice(0, -1)}${keyValue.endsWith('A') ? 'B' : 'A'}`;
    expect((await app.request('POST', '/api-keys/verify', { token: adminToken, json: { key: mistyped } })).body.code).toBe('NOT_FOUND');
    expect((await app.request('GET', '/data/item', { apiKey: mistyped })).status).toBe(401);

    // the user's token revoked, then refused
    expect((await app.request('POST', '/token/revoke', { token: userToken })).status).toBe(200);
    expect((await app.request('GET', '/users/me', { token: userToken })).status).toBe(401);

    // failed logins: wrong password for a known user, and for an unknown one
    expect((await app.request('POST', '/token', { form: { username, password: wrongPassword } })).status).toBe(401);
    expect((await app.request('POST', '/token', { form: { username: uniqueName('nobody'), password: wrongPassword } })).status).toBe(401);

    const secrets: Record<string, string> = {
      'admin password': testPassword,
      'created password': createdPassword,
      'patched password': patchedPassword,
      'too-long password': tooLongPassword,
      'wrong password': wrongPassword,
      'admin token (harness login)': tenant.admin.token,
      'admin token (form login)': adminToken,
      'user token': userToken,
      'key secret': keyValue,
      'mistyped key': mistyped,
      'stored value': marker,
      'API key pepper': env.API_KEY_PEPPER ?? 'unset',
      'JWT secret': (env.JWT_SIGNING_KEYS ?? 'unset:unset').split(':')[1] ?? 'unset',
    };
    // Token signatures alone are secret too.
    for (const [name, token] of [['admin token signature', adminToken], ['user token signature', userToken]] as const) {
      secrets[name] = token.split('.')[2] ?? 'unset';
    }

    // The app really logged at debug level, one line per request at least.
    expect(app.logLines.length).toBeGreaterThan(15);
    expect(app.logLines.some((line) => line.includes('"msg":"request"'))).toBe(true);
    expect(findLeaks(app.logLines, secrets)).toEqual([]);

    const pending = await pendingEvents(app, tenant.tenantId);
    expect(pending.length).toBeGreaterThan(15);
    expect(findLeaks(pending.map((event) => JSON.stringify(event)), secrets)).toEqual([]);

    expect((await offloadTenant(app.services, tenant.tenantId)).shipped).toBe(pending.length);
    const file = join(app.services.config.audit.dir, `${tenant.tenantId}.jsonl`);
    expect(existsSync(file)).toBe(true);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBe(pending.length);
    expect(findLeaks(lines, secrets)).toEqual([]);
    // and nothing was logged about it either
    expect(findLeaks(app.logLines, secrets)).toEqual([]);
  });

  it('logs a 500 with its request id but without the request’s credentials or body', async () => {
    const marker = uniqueName('BODY-MARKER');
    const failing: FunctionHandler = async () => {
      throw new Error('handler exploded');
    };
    const broken = await createTestApp({ handler: failing });
    try {
      const token = uniqueName('not-a-real-token');
      const apiKey = uniqueName('kw_not-a-real-key');
      const response = await broken.request('POST', '/data', {
        json: { key: 'k', value: marker, password: marker },
        headers: { authorization: `Bearer ${token}`, 'x-api-key': apiKey, 'X-Request-Id': 'boom-1' },
      });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ detail: 'Internal server error', code: 'internal_error', request_id: 'boom-1' });
      expect(response.text).not.toContain('exploded');
      const errorLines = broken.logLines.filter((line) => line.includes('"request failed"'));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toContain('boom-1');
      expect(findLeaks(broken.logLines, { marker, token, apiKey })).toEqual([]);
    } finally {
      await broken.close();
    }
  });
});

describe('logger redaction', () => {
  function capture(level = 'debug'): { lines: string[]; logger: ReturnType<typeof createLogger> } {
    const lines: string[] = [];
    const logger = createLogger({ level, name: 'redaction-test', destination: { write: (line: string) => void lines.push(line) } });
    return { lines, logger };
  }

  it('blanks passwords, credentials, tokens and values wherever the common paths put them', () => {
    const { lines, logger } = capture();
    logger.info(
      { password: 'p', headers: { authorization: 'Bearer x', 'x-api-key': 'k', cookie: 'c=1', accept: 'json' }, value: 'v', nested: { token: 't', id: 'kept' } },
      'something happened',
    );
    logger.flush();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.password).toBe('[redacted]');
    expect(line.headers.authorization).toBe('[redacted]');
    expect(line.headers['x-api-key']).toBe('[redacted]');
    expect(line.headers.cookie).toBe('[redacted]');
    expect(line.headers.accept).toBe('json');
    expect(line.value).toBe('[redacted]');
    expect(line.nested.token).toBe('[redacted]');
    expect(line.nested.id).toBe('kept');
    expect(line.msg).toBe('something happened');
    expect(line.fn).toBe('redaction-test');
  });

  it('blanks the other listed fields: new_password, access_token, key, key_value, secret, req.headers', () => {
    const { lines, logger } = capture();
    logger.warn({
      new_password: 'np',
      access_token: 'at',
      key: 'kk',
      key_value: 'kv',
      secret: 'ss',
      authorization: 'auth',
      req: { headers: { authorization: 'Bearer r', 'x-api-key': 'rk' } },
      body: { password: 'bp', key_value: 'bkv', value: 'bv', secret: 'bs', access_token: 'bat' },
    });
    const line = JSON.parse(lines[0] ?? '{}');
    for (const field of ['new_password', 'access_token', 'key', 'key_value', 'secret', 'authorization']) expect(line[field], field).toBe('[redacted]');
    expect(line.req.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]' });
    expect(line.body).toEqual({ password: '[redacted]', key_value: '[redacted]', value: '[redacted]', secret: '[redacted]', access_token: '[redacted]' });
    for (const secret of ['"np"', '"at"', '"kk"', '"kv"', '"ss"', '"auth"', 'Bearer r', '"rk"', '"bp"', '"bkv"', '"bv"', '"bs"', '"bat"']) {
      expect(lines[0]).not.toContain(secret);
    }
  });

  it('writes JSON lines with an ISO time and respects the level', () => {
    const { lines, logger } = capture('info');
    logger.debug({ password: 'p' }, 'hidden');
    logger.info('shown');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.msg).toBe('shown');
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
