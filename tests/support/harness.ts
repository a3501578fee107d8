import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { operationsByFunction } from '../../functions/operations.js';
import type { Clock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/config.js';
import { createGatewayHandler } from '../../shared/gateway/gateway-handler.js';
import { createLogger } from '../../shared/logging/logger.js';
import { serveMetrics } from '../../shared/metrics/function-metrics.js';
import { redisReady } from '../../shared/redis/client.js';
import { tenantKeys } from '../../shared/redis/keys.js';
import { buildOpenApiDocument } from '../../shared/openapi/document.js';
import type { FunctionHandler } from '../../shared/runtime/context.js';
import { respond } from '../../shared/runtime/respond.js';
import { closeServices, createServices, type Services } from '../../shared/services.js';
import { createTenant } from '../../shared/tenancy/tenants.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The parsed JSON body (undefined when empty). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
  apiKey?: string;
  /** The client's address; a fresh one per request unless given, so login throttling stays per test. */
  address?: string;
}

export interface TestApp {
  services: Services;
  /** Every line the app logged (at debug level). */
  logLines: string[];
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export const testPassword = 'correct horse battery staple';

/** AUDIT_OFFLOAD_TOKEN of every test app (send it as `token`): it shows the offload's per-tenant figures. */
export const offloadToken = 'offload-token-0123456789abcdef';

/** The environment a test app runs with: the run's Redis, fixed secrets, cheap bcrypt. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  // A test that names its own Redis gets only that one.
  const ownRedis = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].some((name) => name in extra);
  return {
    NODE_ENV: 'test',
    ...(ownRedis ? {} : inject('redisEnv')),
    JWT_SIGNING_KEYS: 'test-1:0123456789abcdef0123456789abcdef',
    API_KEY_PEPPER: 'pepper-0123456789abcdef0123456789',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'debug',
    KEYWARD_DATA_DIR: dir,
    AUDIT_DIR: join(dir, 'audit'),
    // Tests trigger offload runs back to back; coalescing them is tested on its own.
    AUDIT_MIN_RUN_INTERVAL_MS: '0',
    // Every test process that logs in over HTTP does so from 127.0.0.1, and the counter is global in
    // the run's Redis: one file's wrong passwords must not throttle another's logins. The address
    // limit is tested with an app of its own (tests/auth.test.ts).
    LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    AUDIT_OFFLOAD_TOKEN: offloadToken,
    KEYWARD_CONSOLE_DIR: inject('consoleDir'),
    ...extra,
  };
}

/** The whole gateway in-process on the run's Redis: requests go through `respond` as over HTTP. */
export async function createTestApp(options: { env?: Record<string, string>; clock?: Clock; handler?: FunctionHandler } = {}): Promise<TestApp> {
  const config = loadConfig({ env: testEnv(options.env), secretsDir: '/nonexistent' });
  const logLines: string[] = [];
  const logger = createLogger({ level: config.logLevel, name: 'test', destination: { write: (line: string) => void logLines.push(line) } });
  const services = createServices('test', config, { logger, ...(options.clock ? { clock: options.clock } : {}) });
  // As the local gateway does: every function's series registered before the first request.
  serveMetrics(services);
  // As a function does at cold start (tests that point at a Redis that is down go on without it).
  await redisReady(services.redis, 5000).catch(() => undefined);
  const operations = Object.values(operationsByFunction).flat();
  const handler = options.handler ?? createGatewayHandler(operationsByFunction, buildOpenApiDocument(operations, { version: 'test' }));
  return {
    services,
    logLines,
    async request(method, path, request = {}) {
      const headers: Record<string, string> = {};
      let body: Buffer | null = null;
      if (request.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = Buffer.from(JSON.stringify(request.json));
      } else if (request.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = Buffer.from(new URLSearchParams(request.form).toString());
      } else if (request.raw !== undefined) {
        body = Buffer.from(request.raw);
      }
      if (request.token) headers.authorization = `Bearer ${request.token}`;
      if (request.apiKey) headers['x-api-key'] = request.apiKey;
      Object.assign(headers, lowerCaseKeys(request.headers ?? {}));
      const response = await respond(handler, services, {
        method,
        url: path,
        headers,
        body,
        remoteAddress: request.address ?? `10.${randomByte()}.${randomByte()}.${randomByte()}`,
      });
      // Only JSON is parsed: the console's routes answer HTML, scripts and styles, the gateway's /metrics the Prometheus text format.
      const json = response.body && (response.headers['content-type'] ?? '').startsWith('application/json');
      return { status: response.status, headers: response.headers, text: response.body, body: json ? JSON.parse(response.body) : undefined };
    },
    async close() {
      await closeServices(services);
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface TestUser {
  username: string;
  password: string;
  token: string;
}

export interface TestTenant {
  tenantId: string;
  admin: TestUser;
}

/** A fresh tenant with an admin, logged in. */
export async function newTenant(app: TestApp): Promise<TestTenant> {
  const tenantId = uniqueName('t');
  const username = uniqueName('admin');
  await createTenant(app.services, tenantId, { username, password: testPassword });
  return { tenantId, admin: { username, password: testPassword, token: await login(app, username, testPassword) } };
}

export async function login(app: TestApp, username: string, password: string): Promise<string> {
  const response = await app.request('POST', '/token', { form: { username, password } });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
  return response.body.access_token as string;
}

/** A user of the tenant, created by its admin, logged in. */
export async function addUser(app: TestApp, tenant: TestTenant, role: 'admin' | 'member' = 'member'): Promise<TestUser> {
  const username = uniqueName(role);
  const created = await app.request('POST', '/users', { token: tenant.admin.token, json: { username, password: testPassword, role } });
  if (created.status !== 201) throw new Error(`user not created: ${created.status} ${created.text}`);
  return { username, password: testPassword, token: await login(app, username, testPassword) };
}

/** An API key made with `token`; returns its secret and id. */
export async function addApiKey(app: TestApp, token: string, body: Record<string, unknown> = {}): Promise<{ key: string; id: string }> {
  const created = await app.request('POST', '/api-keys', { token, json: { name: 'test key', ...body } });
  if (created.status !== 201) throw new Error(`key not created: ${created.status} ${created.text}`);
  return { key: created.body.key_value as string, id: created.body.key_id as string };
}

/** The tenant's audit events still waiting in Redis, oldest first. */
export async function pendingEvents(app: TestApp, tenantId: string): Promise<Record<string, any>[]> {
  const entries = await app.services.redis.xrange(tenantKeys(tenantId).audit, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1] ?? '{}') as Record<string, any>);
}

function randomByte(): number {
  return randomBytes(1)[0] ?? 1;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
