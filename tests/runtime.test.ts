import { createServer, request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { prng } from './support/prng.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { handler as dataHandler } from '../functions/data/handler.js';
import { isoTime } from '../shared/clock.js';
import { AppError } from '../shared/errors/app-error.js';
import { FunctionContext, type FunctionHandler } from '../shared/runtime/context.js';
import { createRouter } from '../shared/runtime/router.js';
import { createHttpServer, type HttpServer } from '../shared/runtime/server.js';
import type { Services } from '../shared/services.js';
import { functionNames, routes } from '../shared/routes.js';
import { createTestApp, newTenant, type TestApp, type TestResponse } from './support/harness.js';

// ---------------------------------------------------------------------------------------------
// helpers

const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectErrorBody(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body).toMatchObject({ code });
  expect(Object.keys(response.body).sort()).toEqual(['code', 'detail', 'request_id']);
  expect(response.body.request_id).toBe(response.headers['x-request-id']);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
}

function parseLogLines(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) =>
    line
      .split('\n')
      .filter((part) => part.trim() !== '')
      .map((part) => JSON.parse(part) as Record<string, unknown>),
  );
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// handlers of our own, through respond()

describe('runtime: handler results and errors (respond)', () => {
  let app: TestApp;
  const handlers: Record<string, FunctionHandler> = {
    '/throws': async () => {
      throw new Error('boom: internal detail that must stay private');
    },
    '/type-error': async () => {
      throw new TypeError('not a function, on purpose');
    },
    '/fail-app-error': async (_event, context) => context.fail(new AppError('not_found')),
    '/fail-string': async (_event, context) => context.fail('a string'),
    '/no-result': async () => {
      // returns without succeed() or fail()
    },
    '/chain': async (_event, context) => context.status(201).headers({ 'x-a': '1' }).headers({ 'x-b': '2' }).succeed({ ok: true }),
    '/no-content': async (_event, context) => context.status(204).succeed(),
    '/no-content-with-value': async (_event, context) => context.status(204).succeed({ ignored: true }),
    '/redis-down': async () => {
      throw new Error('Connection is closed.');
    },
    '/getters': async (_event, context) => {
      const before = { status: context.status(), headers: { ...context.headers() } };
      context.status(202).headers({ 'x-one': 'a' });
      const after = { status: context.status(), headers: { ...context.headers() } };
      context.status(200).succeed({ before, after });
    },
    '/first-wins': async (_event, context) => {
      context.succeed({ first: true });
      context.fail(new AppError('not_found'));
      context.succeed({ second: true });
    },
  };
  const handler: FunctionHandler = async (event, context) => {
    const own = handlers[event.path];
    if (!own) throw new AppError('not_found');
    await own(event, context);
  };

  beforeAll(async () => {
    app = await createTestApp({ handler });
  });
  afterAll(() => app.close());

  it('a handler throwing a plain Error gets a generic 500, never its message or stack, and the 500 is logged without request data', async () => {
    const marker = 'request-secret-marker-7f3a';
    const response = await app.request('POST', `/throws?q=${marker}`, {
      json: { password: marker },
      headers: { authorization: `Bearer ${marker}`, 'x-custom': marker },
    });
    expectErrorBody(response, 500, 'internal_error');
    expect(response.body.detail).toBe('Internal server error');
    expect(response.body.request_id).toMatch(uuidLike);
    expect(response.text).not.toContain('boom');
    expect(response.text).not.toContain('private');
    expect(response.text).not.toMatch(/\bat .*\.ts/);
    expect(response.text).not.toContain(marker);

    const logged = parseLogLines(app.logLines).filter((line) => line.level === 50 && line.request_id === response.body.request_id);
    expect(logged).toHaveLength(1);
    const text = JSON.stringify(logged[0]);
    expect(text).toContain('boom');
    expect(text).not.toContain(marker);
  });

  it("the logged 500 names the error's class (TypeError), its message and stack", async () => {
    const response = await app.request('GET', '/type-error');
    expectErrorBody(response, 500, 'internal_error');
    const logged = parseLogLines(app.logLines).find((line) => line.level === 50 && line.request_id === response.body.request_id);
    expect(logged).toBeDefined();
    const err = logged?.error as { type?: string; message?: string; stack?: string } | undefined;
    expect(err?.message).toBe('not a function, on purpose');
    expect(err?.stack).toContain('TypeError');
    expect(err?.type).toBe('TypeError');
  });

  it('context.fail(new AppError("not_found")) answers 404', async () => {
    const response = await app.request('GET', '/fail-app-error');
    expectErrorBody(response, 404, 'not_found');
    expect(response.body.detail).toBe('Not found');
  });

  it('context.fail("a string") answers 500', async () => {
    const response = await app.request('GET', '/fail-string');
    expectErrorBody(response, 500, 'internal_error');
    expect(response.text).not.toContain('a string');
  });

  it('a handler returning without succeed() or fail() answers 500, not 200', async () => {
    const response = await app.request('GET', '/no-result');
    expectErrorBody(response, 500, 'internal_error');
  });

  it('status().headers().headers().succeed() chains: status, both headers and JSON', async () => {
    const response = await app.request('GET', '/chain');
    expect(response.status).toBe(201);
    expect(response.headers['x-a']).toBe('1');
    expect(response.headers['x-b']).toBe('2');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({ ok: true });
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('succeed() with 204 gives an empty body', async () => {
    for (const path of ['/no-content', '/no-content-with-value']) {
      const response = await app.request('GET', path);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(response.headers['x-request-id']).toBeTruthy();
    }
  });

  it('status() and headers() without arguments return the current values', async () => {
    const response = await app.request('GET', '/getters');
    expect(response.body).toEqual({
      before: { status: 200, headers: {} },
      after: { status: 202, headers: { 'x-one': 'a' } },
    });
    const context = new FunctionContext(app.services, 'rid-1');
    expect(context.status()).toBe(200);
    expect(context.headers()).toEqual({});
    expect(context.status(418)).toBe(context);
    expect(context.headers({ a: '1' })).toBe(context);
    expect(context.status()).toBe(418);
    expect(context.headers()).toEqual({ a: '1' });
    expect(context.requestId).toBe('rid-1');
  });

  it('the first succeed() or fail() is the reply', async () => {
    const response = await app.request('GET', '/first-wins');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ first: true });
  });

  it('an ioredis connection error thrown by a handler becomes 503 redis_unavailable', async () => {
    const response = await app.request('GET', '/redis-down');
    expectErrorBody(response, 503, 'redis_unavailable');
    expect(response.text).not.toContain('Connection is closed');
  });
});

// ---------------------------------------------------------------------------------------------
// the real gateway

describe('runtime: wire errors through the gateway', () => {
  let app: TestApp;
  let small: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await createTestApp();
    small = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
    token = (await newTenant(app)).admin.token;
  });
  afterAll(async () => {
    await app.close();
    await small.close();
  });

  it('unknown path: 404 not_found', async () => {
    expectErrorBody(await app.request('GET', '/no/such/route'), 404, 'not_found');
    expectErrorBody(await app.request('GET', '/no/such/route', { token }), 404, 'not_found');
  });

  it('wrong method on a known path: 405 with an allow header listing GET and POST', async () => {
    const response = await app.request('PATCH', '/data', { token });
    expectErrorBody(response, 405, 'method_not_allowed');
    const allowed = (response.headers.allow ?? '').split(',').map((method) => method.trim()).sort();
    expect(allowed).toEqual(['GET', 'POST']);
  });

  it('malformed JSON: 400 invalid_json', async () => {
    const response = await app.request('POST', '/data', { token, raw: '{"key": "a", "value": ', headers: { 'content-type': 'application/json' } });
    expectErrorBody(response, 400, 'invalid_json');
    const noType = await app.request('POST', '/data', { token, raw: '{oops' });
    expectErrorBody(noType, 400, 'invalid_json');
  });

  it('text/plain body: 415', async () => {
    const response = await app.request('POST', '/data', { token, raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expectErrorBody(response, 415, 'unsupported_media_type');
  });

  it('a form body on a JSON route: 415', async () => {
    const response = await app.request('POST', '/data', { token, form: { key: 'k', value: 'v' } });
    expectErrorBody(response, 415, 'unsupported_media_type');
  });

  it('a body over BODY_LIMIT_BYTES: 413 body_too_large', async () => {
    const response = await small.request('POST', '/data', { token, json: { key: 'big', value: 'x'.repeat(3000) } });
    expectErrorBody(response, 413, 'body_too_large');
    const fits = await small.request('POST', '/data', { token, json: { key: 'fits', value: 'x'.repeat(100) } });
    expect(fits.status).toBe(201);
  });

  it('a 422 has detail as a list of {loc, msg, type}', async () => {
    const response = await app.request('POST', '/data', { token, json: { key: 'k' } });
    expectErrorBody(response, 422, 'validation_error');
    expect(Array.isArray(response.body.detail)).toBe(true);
    expect(response.body.detail.length).toBeGreaterThan(0);
    for (const issue of response.body.detail) {
      expect(Object.keys(issue).sort()).toEqual(['loc', 'msg', 'type']);
      expect(Array.isArray(issue.loc)).toBe(true);
      expect(typeof issue.msg).toBe('string');
      expect(typeof issue.type).toBe('string');
    }
  });

  it('every response, success and error, carries x-request-id', async () => {
    const responses = [
      await app.request('GET', '/healthz'),
      await app.request('GET', '/data', { token }),
      await app.request('GET', '/data'),
      await app.request('GET', '/nowhere'),
      await app.request('POST', '/data', { token, raw: '{' }),
    ];
    for (const response of responses) expect(response.headers['x-request-id']).toMatch(uuidLike);
    expect(new Set(responses.map((response) => response.headers['x-request-id'])).size).toBe(responses.length);
  });

  it('echoes an acceptable client X-Request-Id, also as request_id in an error body', async () => {
    const response = await app.request('GET', '/nowhere', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(response.headers['x-request-id']).toBe('abc-123');
    expect(response.body.request_id).toBe('abc-123');
    const ok = await app.request('GET', '/data', { token, headers: { 'X-Request-Id': 'abc-123' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('abc-123');
  });

  it('replaces an unacceptable X-Request-Id with a generated one', async () => {
    for (const sent of ['a'.repeat(200), 'has spaces in it', 'new\u00e9line']) {
      const response = await app.request('GET', '/nowhere', { headers: { 'X-Request-Id': sent } });
      expect(response.headers['x-request-id']).toMatch(uuidLike);
      expect(response.body.request_id).toBe(response.headers['x-request-id']);
    }
  });

  it('malformed percent-encoding in a path parameter: 400 invalid_path', async () => {
    expectErrorBody(await app.request('GET', '/data/%E0%A4%A', { token }), 400, 'invalid_path');
    expectErrorBody(await app.request('GET', '/data/%zz', { token }), 400, 'invalid_path');
  });

  it('a trailing slash lists like the bare path', async () => {
    await app.request('POST', '/data', { token, json: { key: 'slash-test', value: 1 } });
    const bare = await app.request('GET', '/data', { token });
    const slash = await app.request('GET', '/data/', { token });
    expect(bare.status).toBe(200);
    expect(slash.status).toBe(200);
    expect(slash.body).toEqual(bare.body);
    expect(slash.body.keys).toContain('slash-test');
  });
});

describe('runtime: health', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('GET /healthz is 200 {status: ok} without auth', async () => {
    const response = await app.request('GET', '/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('GET /readyz is 200 when Redis answers', async () => {
    const response = await app.request('GET', '/readyz');
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('every function answers /function/<name>/healthz and /readyz on the gateway as at /healthz and /readyz (SPEC §3)', async () => {
    const bare = { healthz: await app.request('GET', '/healthz'), readyz: await app.request('GET', '/readyz') };
    for (const name of functionNames) {
      for (const check of ['healthz', 'readyz'] as const) {
        const response = await app.request('GET', `/function/${name}/${check}`);
        expect(response.status, `${name} ${check}`).toBe(bare[check].status);
        expect(response.body, `${name} ${check}`).toEqual(bare[check].body);
        expect(response.headers['content-type'], `${name} ${check}`).toBe(bare[check].headers['content-type']);
        expect(response.headers['x-request-id'], `${name} ${check}`).toBeTruthy();
      }
    }
    expect(bare.healthz.body).toEqual({ status: 'ok' });
    expect(bare.readyz.body).toEqual({ status: 'ready' });
  });

  it('an unknown function name stays 404, and so does a health path the functions do not serve', async () => {
    for (const path of ['/function/nope/healthz', '/function/nope/readyz', '/function/data/healthz/extra', '/function/data/livez']) {
      expectErrorBody(await app.request('GET', path), 404, 'not_found');
    }
  });

  it('GET /readyz is 503 redis_unavailable when Redis cannot be reached', async () => {
    const down = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_COMMAND_TIMEOUT_MS: '200' } });
    try {
      const started = Date.now();
      const response = await down.request('GET', '/readyz');
      expectErrorBody(response, 503, 'redis_unavailable');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await down.request('GET', '/healthz')).status).toBe(200);
      for (const name of functionNames) {
        expectErrorBody(await down.request('GET', `/function/${name}/readyz`), 503, 'redis_unavailable');
        expect((await down.request('GET', `/function/${name}/healthz`)).status).toBe(200);
      }
    } finally {
      await Promise.race([down.close(), sleep(5000)]);
      down.services.redis.disconnect();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// fuzz

describe('runtime: fuzz against the gateway', () => {
  let app: TestApp;
  let adminToken: string;
  let tenant: Awaited<ReturnType<typeof newTenant>>;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await newTenant(app);
    adminToken = tenant.admin.token;
  });
  afterAll(() => app.close());

  it('300 random requests: never a 5xx, every error a {detail, code, request_id} JSON body', { timeout: 120_000 }, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const int = (max: number) => Math.floor(random() * max);

    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
    // audit-offload is left out: running it would ship other suites' pending events.
    const table = routes.filter((route) => route.public);
    const prefixed = ['/function/data', '/function/users', '/function/api-keys', '/function/token', '/function/audit', '/function/nope'];
    const segments = [
      'a',
      'me',
      'verify',
      'rotate',
      'ключ',
      '✓✓',
      '😀',
      '%E2%9C%93',
      '%2F',
      '%00',
      '%',
      '%zz',
      '%E0%A4%A',
      '..',
      '.',
      '',
      'x'.repeat(600),
      '%C0%AF',
      'a b',
      '"quote"',
      '<script>',
    ];
    const randomSegment = () => (random() < 0.3 ? String(int(1e6)) : pick(segments));
    const randomPath = (template: string): string => {
      let path = template.replace(/\{[^}]+\}/g, randomSegment);
      const roll = random();
      if (roll < 0.1) path = `${pick(prefixed)}${path}`;
      else if (roll < 0.2) path = `${path}/${randomSegment()}`;
      else if (roll < 0.25) path = `${path}/`;
      if (random() < 0.3) path += `?${pick(['limit', 'cursor', 'prefix', 'key', 'action', 'since', 'until', 'x'])}=${randomSegment()}&limit=${pick(['-1', '0', '5', '1e9', 'abc', ''])}`;
      return path;
    };

    const randomJsonValue = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.3) return pick([null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', 'text', 'ключ', '\u0000', 'x'.repeat(300)]);
      if (roll < 0.6) return Array.from({ length: int(4) }, () => randomJsonValue(depth + 1));
      const fields = ['key', 'value', 'ttl', 'metadata', 'name', 'scopes', 'username', 'password', 'role', 'meta', 'expires_in', 'expires_at', 'rate_limit', 'quota', 'prefix', 'enabled', 'grace_period_s', 'scope', 'full_name', 'email', 'disabled', '__proto__', 'constructor'];
      const object: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i -= 1) object[pick(fields)] = randomJsonValue(depth + 1);
      return object;
    };
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const randomBody = (): { raw?: string | Buffer; type?: string } => {
      const roll = int(10);
      switch (roll) {
        case 0:
          return {};
        case 1:
        case 2:
          return { raw: JSON.stringify(randomJsonValue(0)), type: 'application/json' };
        case 3: {
          const text = JSON.stringify(randomJsonValue(0));
          return { raw: text.slice(0, Math.max(1, int(text.length))), type: pick(['application/json', '']) };
        }
        case 4:
          return { raw: Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))), type: pick(['application/json', 'application/octet-stream', '', 'application/x-www-form-urlencoded']) };
        case 5:
          return { raw: pick(['1e400', '-1e400', '123456789012345678901234567890', '{"key":"n","value":1e999}', '{"ttl":1e400,"key":"k","value":1}', '{"limit":1e400}']), type: 'application/json' };
        case 6:
          return { raw: pick([`{"key":"deep","value":${deep}}`, deep, `{"value":${deep}}`, `{"name":"n","meta":{"x":${deep}}}`]), type: pick(['application/json', 'application/vnd.api+json']) };
        case 8:
          return {
            raw: JSON.stringify(
              pick([
                { key: randomSegment(), value: randomJsonValue(0), ...(random() < 0.5 ? { ttl: pick([1, 60, 0, -5, 1.5, null]) } : {}) },
                { value: randomJsonValue(0), metadata: { a: pick([1, 'x', null, true]) } },
                { name: pick(['k', '', 'x'.repeat(300)]), scopes: [pick(['data:read', 'keys:verify', 'nope', 'orders:read'])], ...(random() < 0.5 ? { expires_in: pick([60, -1, 0]) } : {}) },
                { username: pick(['fuzz-user', 'me', 'ключ', '']), password: pick(['correct horse battery', 'x', 'ø'.repeat(40)]), role: pick(['member', 'admin', 'root']) },
                { key: pick(['kw_abc', 'kw_000000000000000000000000000000', '']), scope: 'data:read' },
              ]),
            ),
            type: 'application/json',
          };
        case 7:
          return { raw: new URLSearchParams({ username: pick(['a', 'ключ', '']), password: pick(['p', 'x'.repeat(100)]), key: 'k' }).toString(), type: 'application/x-www-form-urlencoded' };
        default:
          return { raw: JSON.stringify(randomJsonValue(0)), type: pick(['text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/xml', ';;;']) };
      }
    };

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const send = async (label: string, method: string, path: string, body: { raw?: string | Buffer; type?: string }, headers: Record<string, string>) => {
      if (body.type !== undefined && body.type !== '') headers['content-type'] = body.type;
      const description = `${label} ${method} ${path} ${JSON.stringify(headers).replaceAll(adminToken, '<admin token>').slice(0, 200)} body=${body.raw === undefined ? '-' : JSON.stringify(body.raw.toString().slice(0, 120))}`;
      try {
        const response = await app.request(method, path, { ...(body.raw !== undefined ? { raw: body.raw } : {}), headers });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500) failures.push(`${description} -> ${response.status} ${response.text}`);
        if (!response.headers['x-request-id']) failures.push(`${description} -> no x-request-id`);
        if (response.status >= 400) {
          const parsed = response.body as Record<string, unknown> | undefined;
          if (!parsed || !('detail' in parsed) || typeof parsed.code !== 'string' || typeof parsed.request_id !== 'string') {
            failures.push(`${description} -> ${response.status} without an error body: ${response.text.slice(0, 200)}`);
          }
        }
        // A revoked admin token stops being useful: log in again so the run keeps exercising authenticated paths.
        if (response.status === 401 && response.body?.code === 'token_revoked' && headers.authorization === `Bearer ${adminToken}`) {
          const login = await app.request('POST', '/token', { form: { username: tenant.admin.username, password: tenant.admin.password } });
          if (login.status === 200) adminToken = login.body.access_token as string;
        }
      } catch (error) {
        failures.push(`${description} -> threw ${(error as Error).stack ?? String(error)}`);
      }
    };

    // The nastiest bodies are sent every run, with a valid token, to the routes that take JSON values.
    const nasty: [string, string, string][] = [
      ['POST', '/data', `{"key":"deep","value":${deep}}`],
      ['PUT', '/data/deep', `{"value":${deep}}`],
      ['POST', '/data', `{"key":"deep-meta","value":1,"metadata":{"x":${deep}}}`],
      ['POST', '/api-keys', `{"name":"deep","meta":{"x":${deep}}}`],
      ['POST', '/api-keys/verify', `{"key":${deep}}`],
      ['POST', '/users', `{"username":"deep-user","password":${deep}}`],
      ['POST', '/token', `{"username":${deep},"password":"x"}`],
      ['POST', '/data', deep],
      ['POST', '/data', '{"key":"huge","value":1e400}'],
      ['POST', '/data', '{"key":"huge-ttl","value":1,"ttl":1e400}'],
      ['POST', '/data', `{"key":"long-number","value":${'9'.repeat(5000)}}`],
    ];
    for (const [index, [method, path, raw]] of nasty.entries()) {
      await send(`fixed#${index}`, method, path, { raw, type: 'application/json' }, { authorization: `Bearer ${adminToken}` });
    }

    for (let i = 0; i < 300; i += 1) {
      // Mostly the route's own method, so requests get past routing; sometimes any method.
      const route = pick(table);
      const method = random() < 0.6 ? route.method : pick(methods);
      const path = randomPath(route.path);
      const body = randomBody();
      const headers: Record<string, string> = {};
      if (random() < 0.2) headers['x-request-id'] = pick(['abc', 'a b', 'x'.repeat(300), '']);
      if (random() < 0.1) headers['if-match'] = pick(['"1"', 'W/"2"', 'abc', '*']);
      const authRoll = random();
      if (authRoll < 0.55) headers.authorization = `Bearer ${adminToken}`;
      else if (authRoll < 0.65) headers.authorization = pick(['Bearer', 'Bearer x.y.z', 'Basic abc', `Bearer ${'a'.repeat(5000)}`, 'Bearer kw_000000000000000000000000000000']);
      else if (authRoll < 0.7) headers['x-api-key'] = pick(['kw_abc', '', 'x'.repeat(100)]);
      await send(`#${i}`, method, path, body, headers);
    }
    console.log(`fuzz seed ${seed}: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    if (failures.length > 0) console.error(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed}):\n${failures.join('\n')}`);
    expect(failures, `fuzz seed ${seed}; replay with FUZZ_SEED=${seed}`).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// express over real HTTP

describe('runtime: express server over HTTP', () => {
  let app: TestApp;
  let services: Services;
  let slowEntered: () => void = () => undefined;
  let slowFinishedAt = 0;

  const handler: FunctionHandler = async (event, context) => {
    if (event.path === '/slow') {
      slowEntered();
      await sleep(300);
      slowFinishedAt = performance.now();
      context.status(200).succeed({ slow: true });
      return;
    }
    if (event.path === '/no-content') return context.status(204).succeed();
    if (event.path === '/unicode') return context.succeed({ text: 'grüße, 世界' });
    if (event.path === '/bad-header') return context.headers({ 'x-broken': 'line\nbreak' }).succeed({ never: 'sent' });
    await dataHandler(event, context);
  };

  beforeAll(async () => {
    app = await createTestApp();
    services = { ...app.services, config: { ...app.services.config, port: 0 } };
  });
  afterAll(() => app.close());

  it('listen() resolves a port and a request works over fetch', async () => {
    const http = createHttpServer(handler, services);
    const port = await http.listen();
    try {
      expect(port).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(health.headers.get('x-request-id')).toMatch(uuidLike);

      const denied = await fetch(`http://127.0.0.1:${port}/data/x`, { headers: { 'x-request-id': 'over-http-1' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer');
      expect(denied.headers.get('x-request-id')).toBe('over-http-1');
      expect(await denied.json()).toMatchObject({ code: 'not_authenticated', request_id: 'over-http-1' });

      const slow = await fetch(`http://127.0.0.1:${port}/slow`);
      expect(await slow.json()).toEqual({ slow: true });
    } finally {
      await http.drain();
    }
  });

  it('replies carry Content-Length (never chunked): success, error, unknown route, 405, HEAD; a 204 carries none', async () => {
    const http = createHttpServer(handler, services);
    const port = await http.listen();
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, method, path }, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        });
        request.on('error', reject);
        request.end();
      });
    try {
      for (const [path, method, status] of [
        ['/healthz', 'GET', 200],
        ['/data/x', 'GET', 401],
        ['/nowhere', 'GET', 404],
        ['/data/x', 'PATCH', 405],
        ['/data', 'HEAD', 405],
        ['/no-content', 'GET', 204],
        ['/unicode', 'GET', 200],
      ] as const) {
        const reply = await get(path, method);
        expect(reply.status, `${method} ${path}`).toBe(status);
        expect(reply.headers['transfer-encoding'], `${method} ${path}`).toBeUndefined();
        expect(reply.headers['x-request-id'], `${method} ${path}`).toMatch(uuidLike);
        if (status === 204) {
          expect(reply.headers['content-length']).toBeUndefined();
          expect(reply.body).toBe('');
        } else if (method === 'HEAD') {
          expect(Number(reply.headers['content-length'])).toBeGreaterThan(0);
          expect(reply.body).toBe('');
        } else {
          expect(reply.headers['content-length'], `${method} ${path}`).toBe(String(Buffer.byteLength(reply.body)));
          expect(JSON.parse(reply.body)).toBeTypeOf('object');
        }
      }
      expect(JSON.parse((await get('/unicode')).body)).toEqual({ text: 'grüße, 世界' });
      const notAllowed = await get('/data/x', 'PATCH');
      expect(JSON.parse(notAllowed.body)).toMatchObject({ code: 'method_not_allowed' });
      expect(notAllowed.headers.allow).toBeDefined();
    } finally {
      await http.drain();
    }
  });

  it('a reply node cannot write (a bad header value from a handler) is our 500 JSON, and the server keeps serving', async () => {
    const http = createHttpServer(handler, services);
    const port = await http.listen();
    try {
      const broken = await fetch(`http://127.0.0.1:${port}/bad-header`, { headers: { 'x-request-id': 'bad-header-1' } });
      expect(broken.status).toBe(500);
      expect(await broken.json()).toEqual({ detail: 'Internal server error', code: 'internal_error', request_id: 'bad-header-1' });
      expect(broken.headers.get('x-request-id')).toBe('bad-header-1');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await http.drain();
    }
  });

  it('the same serving is reachable as an express app (http.app), mounted in a server of its own', async () => {
    const http = createHttpServer(handler, services);
    const mounted = createServer(http.app);
    await new Promise<void>((resolve) => mounted.listen(0, '127.0.0.1', resolve));
    const address = mounted.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      expect(typeof http.app.use).toBe('function');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(health.headers.get('content-length')).toBe('15');
      const denied = await fetch(`http://127.0.0.1:${port}/data/x?a=1`, { headers: { 'x-request-id': 'via-express-1' } });
      expect(denied.status).toBe(401);
      expect(await denied.json()).toMatchObject({ code: 'not_authenticated', request_id: 'via-express-1' });
      expect(denied.headers.get('x-powered-by')).toBeNull();
    } finally {
      await new Promise((resolve) => mounted.close(resolve));
    }
  });

  it('listens on config.host (127.0.0.1 by default), and url() names the address it listens on, IPv6 in brackets', async () => {
    expect(app.services.config.host).toBe('127.0.0.1');
    const loopback = createHttpServer(handler, services);
    const port = await loopback.listen();
    try {
      expect(loopback.server.address()).toMatchObject({ address: '127.0.0.1', port });
      expect(loopback.url()).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await loopback.drain();
    }
    if (!Object.values(networkInterfaces()).flat().some((address) => address?.address === '::1')) return; // no IPv6 loopback here
    const ipv6 = createHttpServer(handler, { ...services, config: { ...services.config, host: '::1' } });
    const ipv6Port = await ipv6.listen();
    try {
      expect(ipv6.url()).toBe(`http://[::1]:${ipv6Port}`);
      expect((await fetch(`${ipv6.url()}/healthz`)).status).toBe(200);
    } finally {
      await ipv6.drain();
    }
  });

  it('drain(): the in-flight request completes, new connections are refused, drain resolves after it', async () => {
    const http: HttpServer = createHttpServer(handler, services);
    const port = await http.listen();
    const entered = new Promise<void>((resolve) => (slowEntered = resolve));
    slowFinishedAt = 0;
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).then(async (response) => {
      const body = (await response.json()) as unknown;
      return { status: response.status, body, connection: response.headers.get('connection') };
    });
    await entered;

    let drainedAt = 0;
    const drained = http.drain().then(() => {
      drainedAt = performance.now();
    });
    expect(http.server.listening).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    await expect(
      new Promise((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, path: '/healthz', agent: false }, resolve);
        request.on('error', reject);
        request.end();
      }),
    ).rejects.toThrow(/ECONNREFUSED/);

    await sleep(100);
    expect(drainedAt, 'drain resolved while a request was in flight').toBe(0);

    const result = await inFlight;
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ slow: true });
    expect(result.connection).toBe('close');
    await drained;
    expect(slowFinishedAt).toBeGreaterThan(0);
    expect(drainedAt).toBeGreaterThanOrEqual(slowFinishedAt);
  });

  it('a 2 MB body streamed to a 1 MiB limit gets 413 with connection: close', async () => {
    expect(services.config.limits.bodyBytes).toBe(1024 * 1024);
    const http = createHttpServer(handler, services);
    const port = await http.listen();
    try {
      const result = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        let answered = false;
        const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/data', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
          answered = true;
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, body: text }));
          response.on('error', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, body: text }));
        });
        request.on('error', (error) => {
          if (!answered) reject(error);
        });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const pump = () => {
          while (sent < 2 * 1024 * 1024 && !request.destroyed) {
            sent += chunk.length;
            if (!request.write(chunk)) {
              request.once('drain', pump);
              return;
            }
          }
          if (!request.destroyed) request.end();
        };
        pump();
      });
      expect(result.status).toBe(413);
      expect(result.connection).toBe('close');
      expect(JSON.parse(result.body)).toMatchObject({ code: 'body_too_large' });

      // Declared too large up front: refused the same way, without reading it.
      const declared = await fetch(`http://127.0.0.1:${port}/data`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(2 * 1024 * 1024, 'b'),
      }).catch((error: unknown) => error as Error);
      if (declared instanceof Response) {
        expect(declared.status).toBe(413);
        expect(((await declared.json()) as { code: string }).code).toBe('body_too_large');
      }
    } finally {
      await http.drain();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// router

describe('runtime: isoTime (kept for the last millisecond)', () => {
  it('formats each millisecond right, again and after another, and still throws on an invalid time', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(1_764_750_000_123)).toBe('2025-12-03T08:20:00.123Z');
    expect(isoTime(1_764_750_000_123)).toBe('2025-12-03T08:20:00.123Z');
    expect(isoTime(1_764_750_000_124)).toBe('2025-12-03T08:20:00.124Z');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('runtime: zod', () => {
  it('runs jitless once the config module is loaded (no parser compiled with new Function on a first parse)', async () => {
    await import('../shared/config/config.js');
    expect(z.config().jitless).toBe(true);
  });
});

describe('runtime: router', () => {
  it('a static segment beats a parameter, whatever the order of the routes', () => {
    for (const table of [
      [
        { method: 'GET', path: '/users/{username}', name: 'param' },
        { method: 'GET', path: '/users/me', name: 'static' },
      ],
      [
        { method: 'GET', path: '/users/me', name: 'static' },
        { method: 'GET', path: '/users/{username}', name: 'param' },
      ],
    ]) {
      const match = createRouter(table);
      expect(match('GET', '/users/me').route.name).toBe('static');
      expect(match('GET', '/users/alice')).toMatchObject({ route: { name: 'param' }, params: { username: 'alice' } });
    }
  });

  it('a static route beats a parameter route of another length and method (verify vs rotate)', () => {
    const match = createRouter([
      { method: 'POST', path: '/api-keys/{key_id}/rotate', name: 'rotate' },
      { method: 'POST', path: '/api-keys/verify', name: 'verify' },
    ]);
    expect(match('POST', '/api-keys/verify').route.name).toBe('verify');
    expect(match('POST', '/api-keys/k1/rotate')).toMatchObject({ route: { name: 'rotate' }, params: { key_id: 'k1' } });
  });

  it('decodes parameters', () => {
    const match = createRouter([{ method: 'GET', path: '/data/{key}' }]);
    expect(match('GET', '/data/users%2F42').params).toEqual({ key: 'users/42' });
    expect(match('GET', '/data/%D0%BA%D0%BB%D1%8E%D1%87%20%E2%9C%93').params).toEqual({ key: 'ключ ✓' });
    expect(match('GET', '/data/a+b').params).toEqual({ key: 'a+b' });
    expect(() => match('GET', '/data/%E0%A4%A')).toThrowError(expect.objectContaining({ code: 'invalid_path', status: 400 }));
  });

  it('a parameter never matches an empty segment', () => {
    const match = createRouter([
      { method: 'GET', path: '/users/{username}' },
      { method: 'GET', path: '/a/{x}/b' },
    ]);
    for (const path of ['/users/', '/users//', '/a//b', '/users']) {
      let thrown: unknown;
      try {
        match('GET', path);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, path).toBeInstanceOf(AppError);
      expect((thrown as AppError).code, path).toBe('not_found');
    }
  });

  it('a wrong method is a 405 AppError carrying an allow header', () => {
    const match = createRouter([
      { method: 'POST', path: '/data' },
      { method: 'GET', path: '/data' },
      { method: 'GET', path: '/data/{key}' },
      { method: 'DELETE', path: '/data/{key}' },
    ]);
    let thrown: unknown;
    try {
      match('PATCH', '/data');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const error = thrown as AppError;
    expect(error.status).toBe(405);
    expect(error.code).toBe('method_not_allowed');
    expect(error.headers.allow?.split(',').map((method) => method.trim()).sort()).toEqual(['GET', 'POST']);
    expect(() => match('PUT', '/data/k')).toThrowError(expect.objectContaining({ status: 405, headers: { allow: 'GET, DELETE' } }));
    expect(() => match('GET', '/nothing')).toThrowError(expect.objectContaining({ status: 404 }));
  });
});
