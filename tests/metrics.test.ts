import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOperations } from '../functions/data/handler.js';
import { generateApiKey } from '../shared/api-keys/key-format.js';
import { verifyCodes } from '../shared/api-keys/schemas.js';
import { hashPassword } from '../shared/auth/passwords.js';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { createLokiClient } from '../shared/loki/loki-client.js';
import { verificationCodes } from '../shared/metrics/catalogue.js';
import { createMetricsServer } from '../shared/metrics/metrics-server.js';
import { redisErrorKind } from '../shared/metrics/redis-metrics.js';
import { createFunctionHandler } from '../shared/runtime/function-handler.js';
import { respond } from '../shared/runtime/respond.js';
import { scripts } from '../shared/redis/scripts.js';
import { RedirectedWriteError, UnconfirmedWriteError } from '../shared/redis/run-script.js';
import { createAuditSink } from '../shared/services.js';
import { writeEvents } from './support/audit-events.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from './support/exposition.js';
import { addApiKey, createTestApp, newTenant, testPassword, uniqueName, type TestApp } from './support/harness.js';
import { startLokiStandIn, type LokiStandIn } from './support/loki-stand-in.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

/**
 * SPEC §12 in-process: the series and their labels, what is and is not counted, bounded
 * cardinality, tenant labels only when asked for, the offload's figures, Redis failures, the
 * metrics port. tests/metrics-prometheus.test.ts reads the same series back through a real Prometheus.
 */

const apps: TestApp[] = [];
async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const made = await createTestApp({ env: { LOG_LEVEL: 'warn', ...env } });
  apps.push(made);
  return made;
}
afterAll(async () => {
  for (const made of apps) await made.close();
});

async function scrape(target: TestApp): Promise<Exposition> {
  const response = await target.request('GET', '/metrics');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(response.text);
}

/** Every keyward_ sample line, labels and all: what a series count counts. */
function keywardSeries(exposition: Exposition): string[] {
  return exposition.samples.filter((sample) => sample.name.startsWith('keyward_')).map((sample) => `${sample.name}${JSON.stringify(sample.labels)}`);
}

describe('metrics: the series of SPEC §12', () => {
  let gateway: TestApp;
  beforeAll(async () => {
    gateway = await app();
  });

  it('every name SPEC §12 lists is exported with its type, beside the process default metrics', async () => {
    const { types } = await scrape(gateway);
    // Written out here, not read from the catalogue: renaming a series must fail this.
    const spec: Record<string, string> = {
      keyward_http_requests_total: 'counter',
      keyward_http_request_duration_seconds: 'histogram',
      keyward_api_key_verifications_total: 'counter',
      keyward_logins_total: 'counter',
      keyward_rate_limited_total: 'counter',
      keyward_usage_exceeded_total: 'counter',
      keyward_redis_command_duration_seconds: 'histogram',
      keyward_redis_errors_total: 'counter',
      keyward_redis_replicas: 'gauge',
      keyward_bcrypt_queue_depth: 'gauge',
      keyward_audit_shipped_total: 'counter',
      keyward_audit_push_retries_total: 'counter',
      keyward_audit_dead_lettered_total: 'counter',
      keyward_audit_backlog_events: 'gauge',
      keyward_audit_oldest_pending_age_seconds: 'gauge',
      keyward_audit_offload_run_duration_seconds: 'histogram',
      keyward_key_expirations_total: 'counter',
      process_cpu_user_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(spec)) expect(types.get(name), name).toBe(type);
  });

  it("the catalogue's verification codes are the verify schema's (each starts at 0)", () => {
    expect([...verificationCodes]).toEqual([...verifyCodes]);
  });

  it('series start at 0 before anything happened: every verification code, every login outcome, each route\'s latency', async () => {
    const fresh = await scrape(await app());
    for (const code of ['VALID', 'NOT_FOUND', 'EXPIRED', 'DISABLED', 'FORBIDDEN', 'RATE_LIMITED', 'USAGE_EXCEEDED']) {
      expect(samplesOf(fresh, 'keyward_api_key_verifications_total', { code }), code).toHaveLength(1);
    }
    for (const outcome of ['success', 'failed', 'throttled', 'disabled']) expect(samplesOf(fresh, 'keyward_logins_total', { outcome }), outcome).toHaveLength(1);
    expect(valueOf(fresh, 'keyward_http_request_duration_seconds_count', { function: 'api-keys', route: 'verifyApiKey' })).toBe(0);
    expect(samplesOf(fresh, 'keyward_http_request_duration_seconds_count', { route: 'verifyApiKey' })).toHaveLength(1);
  });

  it('a request is counted by function, route id, method and status, and timed; probes, scrapes and raw paths are not labels', async () => {
    const tenant = await newTenant(gateway);
    const before = await scrape(gateway);
    const item = uniqueName('item');
    expect((await gateway.request('POST', '/data', { token: tenant.admin.token, json: { key: item, value: 1 } })).status).toBe(201);
    expect((await gateway.request('GET', `/data/${item}`, { token: tenant.admin.token })).status).toBe(200);
    expect((await gateway.request('GET', `/data/${item}-missing`, { token: tenant.admin.token })).status).toBe(404);
    expect((await gateway.request('GET', `/function/data/data/${item}`, { token: tenant.admin.token })).status).toBe(200);
    expect((await gateway.request('DELETE', '/token', { token: tenant.admin.token })).status).toBe(405);
    expect((await gateway.request('GET', '/no/such/path')).status).toBe(404);
    expect((await gateway.request('BREW', '/coffee')).status).toBe(404);
    for (const path of ['/healthz', '/readyz', '/function/data/healthz', '/function/token/readyz', '/metrics']) expect((await gateway.request('GET', path)).status, path).toBe(200);
    const after = await scrape(gateway);
    const delta = (labels: Record<string, string>) => valueOf(after, 'keyward_http_requests_total', labels) - valueOf(before, 'keyward_http_requests_total', labels);

    expect(delta({ function: 'data', route: 'createItem', method: 'POST', status: '201' })).toBe(1);
    expect(delta({ function: 'data', route: 'getItem', method: 'GET', status: '200' })).toBe(2);
    expect(delta({ function: 'data', route: 'getItem', method: 'GET', status: '404' })).toBe(1);
    // No route matched: this process's "none", by method (an unknown one as "other").
    expect(delta({ function: 'test', route: 'none', method: 'DELETE', status: '405' })).toBe(1);
    expect(delta({ function: 'test', route: 'none', method: 'GET', status: '404' })).toBe(1);
    expect(delta({ function: 'test', route: 'none', method: 'other', status: '404' })).toBe(1);
    const count = (exposition: Exposition) => samplesOf(exposition, 'keyward_http_request_duration_seconds_count').reduce((sum, sample) => sum + sample.value, 0);
    const total = (exposition: Exposition) => samplesOf(exposition, 'keyward_http_requests_total').reduce((sum, sample) => sum + sample.value, 0);
    // Seven requests routed or refused; the five probes and the scrape are not traffic.
    expect(total(after) - total(before)).toBe(7);
    expect(count(after) - count(before)).toBe(7);
    expect(valueOf(after, 'keyward_http_request_duration_seconds_count', { function: 'data', route: 'getItem' }) - valueOf(before, 'keyward_http_request_duration_seconds_count', { function: 'data', route: 'getItem' })).toBe(3);
    const routeLabels = new Set(samplesOf(after, 'keyward_http_requests_total').map((sample) => sample.labels.route));
    expect([...routeLabels].filter((route) => route?.startsWith('/') || route?.includes(item))).toEqual([]);
  });

  it('each Redis round trip is timed by its script\'s name; a verification is one', async () => {
    const tenant = await newTenant(gateway);
    const key = await addApiKey(gateway, tenant.admin.token, { scopes: ['data:read'] });
    const operation = { operation: scripts.verifyApiKey.name };
    const before = await scrape(gateway);
    for (let i = 0; i < 3; i += 1) expect((await gateway.request('POST', '/api-keys/verify', { token: tenant.admin.token, json: { key: key.key } })).body.code).toBe('VALID');
    const after = await scrape(gateway);
    expect(valueOf(after, 'keyward_redis_command_duration_seconds_count', operation) - valueOf(before, 'keyward_redis_command_duration_seconds_count', operation)).toBe(3);
    expect(valueOf(after, 'keyward_api_key_verifications_total', { code: 'VALID' }) - valueOf(before, 'keyward_api_key_verifications_total', { code: 'VALID' })).toBe(3);
    expect(valueOf(after, 'keyward_redis_command_duration_seconds_sum', operation)).toBeGreaterThan(valueOf(before, 'keyward_redis_command_duration_seconds_sum', operation));
  });
});

describe('metrics: cardinality is bounded by construction', () => {
  it('1,000 distinct API keys, usernames and paths add no series, and none of them (nor a tenant id) appears', async () => {
    const gateway = await app();
    const tenant = await newTenant(gateway);
    const valid = await addApiKey(gateway, tenant.admin.token, { scopes: ['data:read', 'keys:verify'] });
    const keys = Array.from({ length: 1000 }, () => generateApiKey('kw').key);
    const usernames = Array.from({ length: 1000 }, (_, i) => `card-${i}-${randomBytes(4).toString('hex')}`);
    const paths = Array.from({ length: 1000 }, (_, i) => `/data/card-${i}-${randomBytes(4).toString('hex')}`);
    const each = async <T>(items: readonly T[], work: (item: T) => Promise<unknown>) => {
      for (let start = 0; start < items.length; start += 25) await Promise.all(items.slice(start, start + 25).map(work));
    };
    // One of each kind first: the series a kind of request makes exist before counting.
    const verify = (key: string) => gateway.request('POST', '/api-keys/verify', { token: tenant.admin.token, json: { key } });
    const login = (username: string) => gateway.request('POST', '/token', { form: { username, password: testPassword } });
    const read = (path: string) => gateway.request('GET', path, { token: tenant.admin.token });
    const asKey = (key: string) => gateway.request('GET', '/data/x', { apiKey: key });
    expect((await verify(keys[0] ?? '')).body.code).toBe('NOT_FOUND');
    expect((await login(usernames[0] ?? '')).status).toBe(401);
    expect((await read(paths[0] ?? '')).status).toBe(404);
    expect((await asKey(keys[0] ?? '')).status).toBe(401);
    expect((await gateway.request('GET', '/data/x', { apiKey: valid.key })).status).toBe(404);
    const before = keywardSeries(await scrape(gateway));

    await each(keys, verify);
    await each(usernames, login);
    await each(paths, read);
    await each(keys, asKey);
    const text = (await gateway.request('GET', '/metrics')).text;
    const after = keywardSeries(parseExposition(text));

    console.log(`cardinality: ${after.length} keyward series before and after 4,000 requests with 1,000 distinct keys, usernames and paths`);
    expect(after.sort()).toEqual(before.sort());
    const exposition = parseExposition(text);
    // A fresh app's own counters: the 1,000 and the one made first.
    expect(valueOf(exposition, 'keyward_logins_total', { outcome: 'failed' })).toBe(1001);
    expect(valueOf(exposition, 'keyward_api_key_verifications_total', { code: 'NOT_FOUND' })).toBe(1001);
    for (const secret of [...keys, ...usernames, ...paths.map((path) => path.slice('/data/'.length)), valid.key, tenant.tenantId, tenant.admin.username]) {
      expect(text.includes(secret), secret).toBe(false);
    }
  }, 120_000);
});

describe('metrics: tenant labels only with METRICS_TENANT_LABELS=true', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('off (the default): no tenant label and no tenant id; on: verifications and refusals per tenant, the backlog\'s 20 largest tenants beside the total', async () => {
    // 25 tenants with backlogs of 1..25 events (a Redis of this test's own: the backlog counts every tenant).
    const writer = await app({ REDIS_URL: redis.url });
    const tenantIds = Array.from({ length: 25 }, (_, i) => `lbl-${String(i + 1).padStart(2, '0')}-${randomBytes(3).toString('hex')}`);
    for (const [index, tenantId] of tenantIds.entries()) await writeEvents(writer.services.redis, tenantId, index + 1, 'labels');
    const total = (25 * 26) / 2;

    const plain = await app({ REDIS_URL: redis.url });
    const plainTenant = await newTenant(plain);
    const key = await addApiKey(plain, plainTenant.admin.token, { scopes: ['data:read'], rate_limit: { limit: 1, window_s: 60 } });
    await plain.request('GET', '/data/x', { apiKey: key.key });
    expect((await plain.request('GET', '/data/x', { apiKey: key.key })).status).toBe(429);
    const plainText = (await plain.request('GET', '/metrics')).text;
    const plainExposition = parseExposition(plainText);
    expect(plainExposition.samples.filter((sample) => 'tenant' in sample.labels)).toEqual([]);
    for (const tenantId of [...tenantIds, plainTenant.tenantId]) expect(plainText.includes(tenantId), tenantId).toBe(false);
    // The 25 tenants' events, and those creating this tenant and its key wrote.
    const waiting = (await plain.request('GET', '/function/audit-offload/backlog')).body.backlog;
    expect(waiting).toBeGreaterThan(total);
    expect(valueOf(plainExposition, 'keyward_audit_backlog_events')).toBe(waiting);
    expect(valueOf(plainExposition, 'keyward_rate_limited_total')).toBe(1);

    const labelled = await app({ REDIS_URL: redis.url, METRICS_TENANT_LABELS: 'true' });
    const labelledTenant = await newTenant(labelled);
    const quota = await addApiKey(labelled, labelledTenant.admin.token, { scopes: ['data:read'], quota: { remaining: 1 } });
    await labelled.request('GET', '/data/x', { apiKey: quota.key });
    expect((await labelled.request('GET', '/data/x', { apiKey: quota.key })).status).toBe(429);
    expect((await labelled.request('POST', '/api-keys/verify', { token: labelledTenant.admin.token, json: { key: quota.key } })).body.code).toBe('USAGE_EXCEEDED');
    const exposition = await scrape(labelled);
    expect(valueOf(exposition, 'keyward_usage_exceeded_total', { tenant: labelledTenant.tenantId })).toBe(1);
    expect(valueOf(exposition, 'keyward_api_key_verifications_total', { tenant: labelledTenant.tenantId, code: 'USAGE_EXCEEDED' })).toBe(1);
    expect(valueOf(exposition, 'keyward_api_key_verifications_total', { tenant: labelledTenant.tenantId, code: 'VALID' })).toBe(0);

    const backlog = await labelled.request('GET', '/function/audit-offload/backlog', { token: 'offload-token-0123456789abcdef' });
    const perTenant = Object.entries(backlog.body.tenants as Record<string, { backlog: number }>).sort(([a, x], [b, y]) => y.backlog - x.backlog || a.localeCompare(b));
    const largest = perTenant.slice(0, 20);
    const named = samplesOf(exposition, 'keyward_audit_backlog_events').filter((sample) => 'tenant' in sample.labels);
    expect(named).toHaveLength(20);
    expect(Object.fromEntries(named.map((sample) => [sample.labels.tenant, sample.value]))).toEqual(Object.fromEntries(largest.map(([tenantId, figures]) => [tenantId, figures.backlog])));
    expect(valueOf(exposition, 'keyward_audit_backlog_events', {}, ['tenant'])).toBe(backlog.body.backlog);
    // The five smallest backlogs (1..5 events) are left out.
    for (const tenantId of tenantIds.slice(0, 5)) expect(samplesOf(exposition, 'keyward_audit_backlog_events', { tenant: tenantId }), tenantId).toEqual([]);
  }, 60_000);
});

describe('metrics: the offload\'s figures (a Redis and a Loki stand-in of this test\'s own)', () => {
  let redis: RedisProcess;
  let loki: LokiStandIn;
  beforeAll(async () => {
    redis = await startRedisServer();
    loki = await startLokiStandIn();
  });
  afterAll(async () => {
    await loki?.close();
    await redis?.stop();
  });

  it('shipped, push retries, dead letters, key expirations, run duration and last run are what the runs report', async () => {
    const offload = await app({ REDIS_URL: redis.url, LOKI_URL: loki.url, LOKI_TIMEOUT_MS: '300', AUDIT_RETRY_BASE_MS: '5', AUDIT_RETRY_MAX_MS: '20', AUDIT_PUSH_ATTEMPTS: '4', AUDIT_LEASE_MS: '2000' });
    // The stand-in's sink, whose first two pushes find Loki unavailable (retried within the run).
    const sink = createAuditSink(offload.services.config, createLokiClient);
    let unavailable = 2;
    offload.services.auditSink = {
      ...sink,
      async write(tenantId, batch) {
        if (unavailable === 0) return sink.write(tenantId, batch);
        unavailable -= 1;
        return { ok: false, kind: 'unavailable', status: 503, reason: 'stand-in: unavailable', tenantLimited: false };
      },
    };
    const tenant = await newTenant(offload);
    expect((await offload.request('POST', '/data', { token: tenant.admin.token, json: { key: 'short-lived', value: 1, ttl: 1 } })).status).toBe(201);
    const lines = await writeEvents(offload.services.redis, tenant.tenantId, 40, 'figures');
    const refused = lines[17] ?? '';
    loki.rejectLine = (line) => (line === refused ? 'entry too far behind: stand-in refusal' : null);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = await scrape(offload);
    const startedAt = Date.now();
    const run = await offload.request('POST', '/function/audit-offload/', { token: 'offload-token-0123456789abcdef' });
    const after = await scrape(offload);
    const delta = (name: string) => valueOf(after, name) - valueOf(before, name);

    expect(run.body.started).toBe(true);
    expect(run.body.expired).toBe(1);
    expect(run.body.dead_lettered).toBe(1);
    expect(run.body.retried).toBe(2);
    expect(delta('keyward_audit_shipped_total')).toBe(run.body.shipped);
    expect(delta('keyward_audit_push_retries_total')).toBe(run.body.retried);
    expect(delta('keyward_audit_dead_lettered_total')).toBe(1);
    expect(delta('keyward_key_expirations_total')).toBe(1);
    expect(delta('keyward_audit_offload_run_duration_seconds_count')).toBe(1);
    expect(delta('keyward_audit_offload_run_duration_seconds_sum')).toBeCloseTo(run.body.duration_ms / 1000, 2);
    expect(valueOf(after, 'keyward_audit_offload_last_run_timestamp_seconds') * 1000).toBeGreaterThanOrEqual(startedAt);
    // What GET /backlog answers, read when scraped: the refused event waits in the dead-letter stream.
    expect(valueOf(after, 'keyward_audit_backlog_events')).toBe(0);
    expect(valueOf(after, 'keyward_audit_dead_letter_events')).toBe(1);
    expect(valueOf(after, 'keyward_audit_oldest_pending_age_seconds')).toBe(0);
  }, 60_000);
});

describe('metrics: Redis failures and bcrypt', () => {
  it('classifies failures by kind', () => {
    const cases: [unknown, string][] = [
      [new Error('Command timed out'), 'timeout'],
      [new Error('Connection is closed.'), 'connection'],
      [new Error('connect ECONNREFUSED 127.0.0.1:1'), 'connection'],
      [Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }), 'connection'],
      [new Error("READONLY You can't write against a read only replica."), 'unavailable'],
      [new Error('LOADING Redis is loading the dataset in memory'), 'unavailable'],
      [new Error('ERR Error running script (call to f_x): @user_script:1: -MASTERDOWN Link with MASTER is down'), 'unavailable'],
      [new UnconfirmedWriteError('0 of 1 replicas confirmed the write'), 'unconfirmed'],
      [new RedirectedWriteError('MOVED 3999 127.0.0.1:6381'), 'redirected'],
      [new Error('ERR Error running script: attempt to compare nil with number'), 'script'],
    ];
    for (const [error, kind] of cases) expect(redisErrorKind(error), String(error)).toBe(kind);
  });

  it('a Redis that goes away: the failed round trips are counted by kind and still timed', async () => {
    const redis = await startRedisServer();
    const gateway = await app({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '100' });
    const tenant = await newTenant(gateway);
    const before = await scrape(gateway);
    await redis.stop();
    expect((await gateway.request('GET', '/data/x', { token: tenant.admin.token })).status).toBe(503);
    const after = await scrape(gateway);
    const failed = ['connection', 'timeout', 'unavailable'].reduce((sum, kind) => sum + valueOf(after, 'keyward_redis_errors_total', { kind }) - valueOf(before, 'keyward_redis_errors_total', { kind }), 0);
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'keyward_redis_errors_total', { kind: 'script' })).toBe(0);
    const operation = { operation: scripts.getItem.name };
    expect(valueOf(after, 'keyward_redis_command_duration_seconds_count', operation)).toBeGreaterThan(valueOf(before, 'keyward_redis_command_duration_seconds_count', operation));
  }, 30_000);

  it('bcrypt queue depth: the hashes in flight, 0 once they are done', async () => {
    const gateway = await app();
    const hashes = Array.from({ length: 3 }, () => hashPassword('a password to hash', 10));
    const during = await scrape(gateway);
    await Promise.all(hashes);
    const after = await scrape(gateway);
    expect(valueOf(during, 'keyward_bcrypt_queue_depth')).toBe(3);
    expect(valueOf(after, 'keyward_bcrypt_queue_depth')).toBe(0);
  });
});

describe('metrics: where they are served', () => {
  it('a function serves /metrics on METRICS_PORT, nothing else there; 0 turns it off', async () => {
    const port = await freePort();
    const served = await app({ METRICS_PORT: String(port) });
    const server = createMetricsServer(served.services);
    try {
      expect(await server.listen()).toBe(port);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await response.text()).toContain('keyward_http_requests_total');
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
    const off = await app({ METRICS_PORT: '0' });
    expect(await createMetricsServer(off.services).listen()).toBeNull();
  });

  it("a function's request port does not serve /metrics (neither does the gateway's /function/<name>/metrics)", async () => {
    const gateway = await app();
    const data = createFunctionHandler(dataOperations);
    const direct = await respond(data, gateway.services, { method: 'GET', url: '/metrics', headers: {}, body: null, remoteAddress: '10.0.0.1' });
    expect(direct.status).toBe(404);
    expect((await gateway.request('GET', '/function/data/metrics')).status).toBe(404);
    expect((await gateway.request('GET', '/metrics')).status).toBe(200);
  });
});
