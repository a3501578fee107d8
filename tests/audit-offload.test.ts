import { expectAuditFilters } from './support/audit-filters.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nanoTimestamp, toAuditEntry } from '../shared/audit/audit-entry.js';
import { acknowledge, acquireLease, deadLetter, offloadGroup, readEntries, type StreamEntry } from '../shared/audit/audit-stream.js';
import { reapExpiredItems } from '../shared/audit/expirations.js';
import { createFileSink } from '../shared/audit/file-sink.js';
import { offloadAudit, type OffloadReport } from '../shared/audit/offload.js';
import { pendingKeyOf } from '../shared/audit/pending-tenants.js';
import type { AuditSink } from '../shared/audit/sink.js';
import { createLokiClient } from '../shared/loki/loki-client.js';
import { tenantKeys } from '../shared/redis/keys.js';
import { createAuditSink } from '../shared/services.js';
import { expectExactlyOnce, expectNoLeaks, writeEvents } from './support/audit-events.js';
import { addUser, createTestApp, newTenant, offloadToken, uniqueName, type TestApp, type TestResponse } from './support/harness.js';
import { startLokiStandIn, type LokiStandIn } from './support/loki-stand-in.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

// An offload run ships EVERY tenant's events: this suite has a Redis of its own, so it never takes
// the pending events other suites read from the shared one.
let redis: RedisProcess;
let loki: LokiStandIn;
const apps: TestApp[] = [];

const fastRetries = { LOKI_TIMEOUT_MS: '300', AUDIT_RETRY_BASE_MS: '5', AUDIT_RETRY_MAX_MS: '20', AUDIT_PUSH_ATTEMPTS: '3', AUDIT_LEASE_MS: '2000' };

/** The gateway in-process on the private Redis, shipping to the stand-in (the harness builds no Loki client: wired here). */
async function lokiApp(env: Record<string, string> = {}, url = loki.url): Promise<TestApp> {
  const app = await createTestApp({ env: { REDIS_URL: redis.url, LOKI_URL: url, LOG_LEVEL: 'warn', ...fastRetries, ...env } });
  app.services.auditSink = createAuditSink(app.services.config, createLokiClient);
  apps.push(app);
  return app;
}

/** Runs the offload until nothing is pending (or `maxRuns`), returning every report. */
async function drain(app: TestApp, maxRuns = 30): Promise<OffloadReport[]> {
  const reports: OffloadReport[] = [];
  for (let run = 0; run < maxRuns; run += 1) {
    const report = await offloadAudit(app.services);
    reports.push(report);
    if (report.backlog === 0) break;
  }
  return reports;
}

beforeAll(async () => {
  redis = await startRedisServer();
  loki = await startLokiStandIn({ recordPushes: true });
});
afterEach(() => {
  loki.fault = { kind: 'none' };
  loki.rejectLine = null;
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await loki?.close();
  await redis?.stop();
});

describe('the Loki stand-in is strict to the documented push contract', () => {
  let strict: LokiStandIn;
  beforeAll(async () => {
    strict = await startLokiStandIn();
  });
  afterAll(() => strict.close());
  const push = (body: unknown, headers: Record<string, string> = { 'x-scope-orgid': 'strict-org' }) =>
    fetch(`${strict.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const stream = (values: unknown[], labels: Record<string, unknown> = { job: 'x' }) => ({ streams: [{ stream: labels, values }] });
  const now = `${Date.now()}000000`;

  it('401 "no org id" without X-Scope-OrgID; 204 with it; a duplicate (labels, timestamp, line) is dropped', async () => {
    const missing = await push(stream([[now, 'a']]), {});
    expect(missing.status).toBe(401);
    expect(await missing.text()).toContain('no org id');
    const before = strict.stats.duplicates;
    expect((await push(stream([[now, 'a']]))).status).toBe(204);
    expect((await push(stream([[now, 'a']]))).status).toBe(204);
    expect(strict.stats.duplicates).toBe(before + 1);
    expect(strict.entries('strict-org').filter((entry) => entry.line === 'a')).toHaveLength(1);
  });

  it('400 for a number timestamp, a bad label name, no labels, a line over 256 KB; the valid entries of a batch are kept', async () => {
    expect((await push(stream([[Number(now.slice(0, 15)), 'n']]))).status).toBe(400);
    expect((await push(stream([[`${now}.5`, 'n']]))).status).toBe(400);
    expect((await push(stream([[now, 'l']], { 'bad-name': 'x' }))).status).toBe(400);
    expect((await push(stream([[now, 'l']], { __reserved: 'x' }))).status).toBe(400);
    expect((await push(stream([[now, 'l']], {}))).status).toBe(400);
    const long = await push(stream([[now, 'kept'], [now, 'y'.repeat(256 * 1024 + 1)]]));
    expect(long.status).toBe(400);
    expect(await long.text()).toContain('Max entry size');
    expect(strict.entries('strict-org').some((entry) => entry.line === 'kept')).toBe(true);
  });
});

describe('offload to Loki: the push', () => {
  it("ships each tenant's events to its own org: one stream object per (tenant_id, action) per push, labels exactly job/tenant_id/action, ns string timestamps from the event", async () => {
    const app = await lokiApp();
    const a = await newTenant(app);
    const b = await newTenant(app);
    for (const key of ['x', 'y']) await app.request('POST', '/data', { token: a.admin.token, json: { key, value: 1 } });
    await app.request('GET', '/data/x', { token: b.admin.token });
    const written = {
      [a.tenantId]: (await app.services.redis.xrange(tenantKeys(a.tenantId).audit, '-', '+')).map(([, fields]) => fields[1] ?? ''),
      [b.tenantId]: (await app.services.redis.xrange(tenantKeys(b.tenantId).audit, '-', '+')).map(([, fields]) => fields[1] ?? ''),
    };
    const pushesBefore = loki.pushes.length;

    const response = await app.request('POST', '/function/audit-offload/', { token: offloadToken });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ started: true, sink: 'loki', retried: 0, dead_lettered: 0, backlog: 0 });
    expect(response.body.tenants[a.tenantId]).toMatchObject({ shipped: written[a.tenantId]?.length, backlog: 0, dead_letters: 0 });

    for (const tenant of [a, b]) expectExactlyOnce(loki, tenant.tenantId, written[tenant.tenantId] ?? []);
    const pushes = loki.pushes.slice(pushesBefore).filter((record) => record.org === a.tenantId || record.org === b.tenantId);
    for (const record of pushes) {
      expect(record.status).toBe(204);
      const labelSets = record.labelSets.map((text) => JSON.parse(text) as Record<string, string>);
      expect(new Set(record.labelSets).size).toBe(record.labelSets.length); // one stream object per label set
      for (const labels of labelSets) {
        expect(Object.keys(labels).sort()).toEqual(['action', 'job', 'tenant_id']);
        expect(labels.tenant_id).toBe(record.org);
      }
    }
    expect(await app.services.redis.xlen(tenantKeys(a.tenantId).audit)).toBe(0);
    expectNoLeaks(loki);
  });

  it('derives the same timestamp for an event every time, distinct within a millisecond', () => {
    const line = JSON.stringify({ timestamp: '2030-01-02T03:04:05.678Z', action: 'get_key' });
    const first = toAuditEntry('1893553445690-0', line);
    expect(toAuditEntry('1893553445690-0', line)).toEqual(first);
    expect(first.timestampNs).toBe(`${Date.parse('2030-01-02T03:04:05.678Z')}690000`);
    expect(toAuditEntry('1893553445690-1', line).timestampNs).not.toBe(first.timestampNs);
    expect(nanoTimestamp(1, '5-7')).toBe('1005007');
    expect(toAuditEntry('12-3', 'not json')).toMatchObject({ action: 'unknown', timestampNs: '12012003' });
  });

  it('bounds every push by event count and bytes', async () => {
    const app = await lokiApp({ AUDIT_BATCH_MAX_EVENTS: '40', AUDIT_BATCH_MAX_BYTES: '8192' });
    const tenantId = uniqueName('bounds');
    const lines = await writeEvents(app.services.redis, tenantId, 300, 'bounds', { bytes: 400 });
    const before = loki.pushes.length;
    const [report] = await drain(app);
    expect(report?.tenants[tenantId]).toMatchObject({ shipped: 300, backlog: 0 });
    const pushes = loki.pushes.slice(before).filter((record) => record.org === tenantId);
    expect(pushes.length).toBeGreaterThanOrEqual(300 / 20);
    for (const record of pushes) {
      expect(record.entries).toBeLessThanOrEqual(40);
      expect(record.bytes).toBeLessThan(8192 + 40 * 120); // the lines' bytes plus the JSON around them
    }
    expectExactlyOnce(loki, tenantId, lines);
  });
});

describe('offload to Loki: faults', () => {
  it('Loki down: retried with backoff, left pending, nothing lost; shipped once Loki is back', async () => {
    const app = await lokiApp();
    const tenants = [uniqueName('down'), uniqueName('down'), uniqueName('down')];
    const lines = new Map<string, string[]>();
    for (const tenantId of tenants) lines.set(tenantId, await writeEvents(app.services.redis, tenantId, 50, 'down'));
    await loki.down();
    try {
      const report = await offloadAudit(app.services);
      expect(report.shipped).toBe(0);
      expect(report.retried).toBeGreaterThanOrEqual(2); // attempts - 1 for the first tenant tried
      for (const tenantId of tenants) {
        expect(report.tenants[tenantId]).toMatchObject({ shipped: 0, backlog: 50, stopped: 'sink_unavailable' });
      }
    } finally {
      await loki.up();
    }
    const reports = await drain(app);
    expect(reports.at(-1)?.backlog).toBe(0);
    for (const tenantId of tenants) expectExactlyOnce(loki, tenantId, lines.get(tenantId) ?? []);
  });

  it('429 and 503 at random: retried within the run, the rest left for the next; every event exactly once', async () => {
    const app = await lokiApp({ AUDIT_BATCH_MAX_EVENTS: '25' });
    const tenants = [uniqueName('flaky'), uniqueName('flaky'), uniqueName('flaky'), uniqueName('flaky')];
    const lines = new Map<string, string[]>();
    for (const tenantId of tenants) lines.set(tenantId, await writeEvents(app.services.redis, tenantId, 200, 'flaky'));
    loki.fault = { kind: 'flaky', p429: 0.3, p503: 0.3 };
    const status429 = loki.stats.byStatus[429] ?? 0;
    const status503 = loki.stats.byStatus[503] ?? 0;
    const reports = await drain(app, 60);
    expect(reports.at(-1)?.backlog).toBe(0);
    expect(reports.reduce((sum, report) => sum + report.retried, 0)).toBeGreaterThan(0);
    expect(loki.stats.byStatus[429] ?? 0).toBeGreaterThan(status429);
    expect(loki.stats.byStatus[503] ?? 0).toBeGreaterThan(status503);
    for (const tenantId of tenants) expectExactlyOnce(loki, tenantId, lines.get(tenantId) ?? []);
    expectNoLeaks(loki);
  });

  it("400 for one event of a batch: that event goes to the tenant's dead-letter stream with Loki's reason, the others ship", async () => {
    const app = await lokiApp({ AUDIT_BATCH_MAX_EVENTS: '64' });
    const tenantId = uniqueName('refuse');
    const lines = await writeEvents(app.services.redis, tenantId, 150, 'refuse');
    const refused = lines[77] ?? '';
    loki.rejectLine = (line) => (line === refused ? 'entry for stream has timestamp too old: stand-in refusal' : null);
    const [report] = await drain(app);
    expect(report).toMatchObject({ dead_lettered: 1, backlog: 0 });
    expect(report?.tenants[tenantId]).toMatchObject({ shipped: 149, dead_lettered: 1, dead_letters: 1, backlog: 0 });
    expectExactlyOnce(
      loki,
      tenantId,
      lines.filter((line) => line !== refused),
    );
    const dead = await app.services.redis.xrange(tenantKeys(tenantId).auditDead, '-', '+');
    expect(dead).toHaveLength(1);
    const fields = Object.fromEntries(chunk(dead[0]?.[1] ?? []));
    expect(fields).toMatchObject({ event: refused, status: '400' });
    expect(fields.reason).toContain('stand-in refusal');
    // Kept aside, not retried on every run and not blocking the others: the tenant is no longer due.
    expect(await app.services.redis.zscore(pendingKeyOf(app.services.redis, tenantId), tenantId)).toBeNull();
    const again = await offloadAudit(app.services);
    expect(again.tenants[tenantId]).toBeUndefined();
    expect(again.dead_lettered).toBe(0);
    const backlog = await app.request('GET', '/function/audit-offload/backlog', { token: offloadToken });
    expect(backlog.status).toBe(200);
    expect(backlog.body.tenants[tenantId]).toEqual({ backlog: 0, dead_letters: 1, oldest_pending_age_s: 0 });
  });

  it('slower than the timeout: the push times out and is retried; Loki stored it meanwhile and drops the re-sends as duplicates', async () => {
    const app = await lokiApp({ LOKI_TIMEOUT_MS: '150' });
    const tenantId = uniqueName('slow');
    const lines = await writeEvents(app.services.redis, tenantId, 120, 'slow');
    loki.fault = { kind: 'slow', delayMs: 400 };
    const duplicatesBefore = loki.stats.duplicates;
    const first = await offloadAudit(app.services);
    expect(first.tenants[tenantId]).toMatchObject({ shipped: 0, backlog: 120, stopped: 'sink_unavailable' });
    expect(first.retried).toBeGreaterThan(0);
    loki.fault = { kind: 'none' };
    const reports = await drain(app);
    expect(reports.at(-1)?.tenants[tenantId]).toMatchObject({ backlog: 0 });
    expect(loki.stats.duplicates - duplicatesBefore).toBeGreaterThanOrEqual(120);
    expectExactlyOnce(loki, tenantId, lines);
  });

  it('two offload runs at once: each tenant is shipped by one of them, nothing twice, nothing lost', async () => {
    // A push timing out on a loaded machine would be sent again (a duplicate that is not the leases' doing): time enough.
    const env = { AUDIT_BATCH_MAX_EVENTS: '50', AUDIT_TENANT_CONCURRENCY: '3', LOKI_TIMEOUT_MS: '2000', AUDIT_LEASE_MS: '5000' };
    const first = await lokiApp(env);
    const second = await lokiApp(env);
    const tenants = Array.from({ length: 8 }, () => uniqueName('race'));
    const lines = new Map<string, string[]>();
    for (const tenantId of tenants) lines.set(tenantId, await writeEvents(first.services.redis, tenantId, 400, 'race'));
    const duplicatesBefore = loki.stats.duplicates;
    const [one, two] = await Promise.all([offloadAudit(first.services), offloadAudit(second.services)]);
    for (const tenantId of tenants) {
      const shippedBy = [one, two].filter((report) => (report.tenants[tenantId]?.shipped ?? 0) > 0);
      expect(shippedBy.length, tenantId).toBeLessThanOrEqual(1);
    }
    await drain(first);
    expect(loki.stats.duplicates).toBe(duplicatesBefore); // no double-shipping at all
    for (const tenantId of tenants) expectExactlyOnce(loki, tenantId, lines.get(tenantId) ?? []);
  });

  it('a run that loses its lease (stalled past it) stops pushing; the events it held go with the next run', async () => {
    const app = await lokiApp({ AUDIT_BATCH_MAX_EVENTS: '20' });
    const tenantId = uniqueName('stall');
    const lines = await writeEvents(app.services.redis, tenantId, 100, 'stall');
    const real = app.services.auditSink;
    let writes = 0;
    const stalling: AuditSink = {
      ...real,
      kind: real.kind,
      location: real.location,
      read: real.read,
      async write(tenant, entries) {
        writes += 1;
        // Another run takes the lease while this one is in the middle of a push.
        if (writes === 2) await app.services.redis.set(tenantKeys(tenant).auditLease, 'someone-else', 'PX', 60_000);
        return real.write(tenant, entries);
      },
    };
    app.services.auditSink = stalling;
    const report = await offloadAudit(app.services);
    expect(report.tenants[tenantId]).toMatchObject({ shipped: 40, stopped: 'lease_lost', backlog: 60 });
    expect(await app.services.redis.get(tenantKeys(tenantId).auditLease)).toBe('someone-else'); // not released by the loser
    const leased = await offloadAudit(app.services);
    expect(leased.tenants[tenantId]).toMatchObject({ shipped: 0, stopped: 'leased' });
    await app.services.redis.del(tenantKeys(tenantId).auditLease);
    app.services.auditSink = real;
    await drain(app);
    expectExactlyOnce(loki, tenantId, lines);
  });

  it('authenticates to Loki with basic auth or a bearer token from the config', async () => {
    for (const auth of [{ kind: 'basic', username: 'keyward', password: 's3cret-pass' }, { kind: 'bearer', token: 'tok-123' }] as const) {
      const guarded = await startLokiStandIn({ auth });
      try {
        const env: Record<string, string> = auth.kind === 'basic' ? { LOKI_USERNAME: auth.username, LOKI_PASSWORD: auth.password } : { LOKI_BEARER_TOKEN: auth.token };
        const wrong = await lokiApp(auth.kind === 'basic' ? { LOKI_USERNAME: 'keyward', LOKI_PASSWORD: 'wrong' } : { LOKI_BEARER_TOKEN: 'wrong' }, guarded.url);
        const tenantId = uniqueName('auth');
        const lines = await writeEvents(wrong.services.redis, tenantId, 10, 'auth');
        const refused = await offloadAudit(wrong.services);
        expect(refused.tenants[tenantId]).toMatchObject({ shipped: 0, backlog: 10 });
        expect(guarded.stats.byStatus[401]).toBeGreaterThan(0);
        const right = await lokiApp(env, guarded.url);
        await drain(right);
        expectExactlyOnce(guarded, tenantId, lines);
      } finally {
        await guarded.close();
      }
    }
  });
});

describe('offload: key expirations', () => {
  it('records one key_expiration per expired item incarnation, stamped with its expiry, and cleans the listing index', async () => {
    const app = await lokiApp();
    const tenant = await newTenant(app);
    const token = tenant.admin.token;
    const create = async (key: string, ttl?: number) => expect((await app.request('POST', '/data', { token, json: { key, value: 1, ...(ttl ? { ttl } : {}) } })).status).toBe(201);
    await create('gone-1', 1);
    await create('gone-2', 1);
    await create('kept', 3600);
    await create('forever');
    await create('reborn', 1);
    await create('extended', 1);
    expect((await app.request('PUT', '/data/extended', { token, json: { value: 2, ttl: 3600 } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // A new incarnation of an expired key: the old one's expiry is still recorded, the new item stays listed.
    await create('reborn', 3600);

    const report = await offloadAudit(app.services);
    expect(report.tenants[tenant.tenantId]).toMatchObject({ expired: 3, backlog: 0 });
    const expirations = loki
      .entries(tenant.tenantId)
      .map((entry) => ({ entry, event: JSON.parse(entry.line) as Record<string, any> }))
      .filter(({ event }) => event.action === 'key_expiration');
    expect(expirations.map(({ event }) => event.key).sort()).toEqual(['gone-1', 'gone-2', 'reborn']);
    for (const { entry, event } of expirations) {
      expect(entry.labels).toEqual({ job: 'audit_logs', tenant_id: tenant.tenantId, action: 'key_expiration' });
      expect(event).toMatchObject({ tenant_id: tenant.tenantId, outcome: 'success', actor: { type: 'system', id: 'audit-offload' } });
      expect(Date.parse(event.timestamp)).toBeLessThan(Date.now() - 50);
    }
    const keys = tenantKeys(tenant.tenantId);
    expect(await app.services.redis.zrange(keys.dataIndex, '0', '-1')).toEqual(['extended', 'forever', 'kept', 'reborn']);
    expect(await app.services.redis.zcard(keys.dataExpiry)).toBe(3); // kept, extended, the new reborn
    const listed = await app.request('GET', '/data', { token });
    expect(listed.body.keys).toEqual(['extended', 'forever', 'kept', 'reborn']);

    const again = await offloadAudit(app.services);
    expect(again.tenants[tenant.tenantId]).toMatchObject({ expired: 0 });
  });

  it('two reapers at once record exactly one event per expired incarnation', async () => {
    const app = await lokiApp();
    const tenant = await newTenant(app);
    for (let i = 0; i < 40; i += 1) await app.request('POST', '/data', { token: tenant.admin.token, json: { key: `t-${i}`, value: i, ttl: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const now = Date.now();
    const counts = await Promise.all([1, 2, 3].map((n) => reapExpiredItems(app.services.redis, tenant.tenantId, now, `reaper-${n}`)));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(40);
    const events = (await app.services.redis.xrange(tenantKeys(tenant.tenantId).audit, '-', '+'))
      .map(([, fields]) => JSON.parse(fields[1] ?? '{}') as Record<string, any>)
      .filter((event) => event.action === 'key_expiration');
    expect(events).toHaveLength(40);
    expect(new Set(events.map((event) => event.key)).size).toBe(40);
    expect(await app.services.redis.zcard(tenantKeys(tenant.tenantId).dataIndex)).toBe(0);
  });
});

describe('offload: the entry point', () => {
  it("accepts the cron connector's empty POST and a PingSource CloudEvent, structured or binary", async () => {
    const app = await lokiApp();
    const cloudEvent = { specversion: '1.0', type: 'dev.knative.sources.ping', source: '/apis/v1/namespaces/keyward/pingsources/audit-offload', id: 'ping-1', data: {} };
    // One after the other: triggers that arrive together are coalesced into one run.
    const requests = [
      () => app.request('POST', '/function/audit-offload/'),
      () => app.request('POST', '/function/audit-offload/', { raw: JSON.stringify(cloudEvent), headers: { 'content-type': 'application/cloudevents+json' } }),
      () =>
        app.request('POST', '/function/audit-offload/', {
          raw: '{}',
          headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 'dev.knative.sources.ping', 'ce-source': 'ping', 'ce-id': 'abc-123' },
        }),
    ];
    const responses = [];
    for (const request of requests) responses.push(await request());
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(runKeys);
    }
    expect(responses[2]?.body.run_id).toBe('offload-abc-123');
  });

  it('logs one structured line per run with the report', async () => {
    const app = await lokiApp({ LOG_LEVEL: 'info' });
    const tenantId = uniqueName('logged');
    await writeEvents(app.services.redis, tenantId, 5, 'logged');
    const report = await offloadAudit(app.services, { runId: 'offload-log-check' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = app.logLines.map((line) => JSON.parse(line) as Record<string, any>).filter((line) => line.msg === 'audit offload run');
    const mine = lines.find((line) => line.offload?.run_id === 'offload-log-check');
    expect(mine?.offload).toMatchObject({ shipped: report.shipped, tenants: { [tenantId]: { shipped: 5, backlog: 0 } } });
  });
});

/** A started run's answer without the offload token: its totals, no tenant. */
const runKeys = [
  'backlog',
  'dead_lettered',
  'dead_letters',
  'duration_ms',
  'expired',
  'omitted',
  'retried',
  'run_id',
  'shipped',
  'sink',
  'started',
  'tenants_due',
  'tenants_failed',
  'tenants_leased_elsewhere',
  'tenants_stopped',
];
const backlogKeys = ['backlog', 'dead_letters', 'oldest_pending_age_s'];
const wrongTokens = ['offload-token-0123456789abcdeX', 'wrong', `${offloadToken}x`];

/** The same request as an anonymous caller, with wrong tokens, another scheme, and the right token. */
function asEveryCaller(): { name: string; headers: Record<string, string>; operator: boolean }[] {
  return [
    { name: 'anonymous', headers: {}, operator: false },
    ...wrongTokens.map((token) => ({ name: `wrong token ${token}`, headers: { authorization: `Bearer ${token}` }, operator: false })),
    { name: 'the token under another scheme', headers: { authorization: `Basic ${offloadToken}` }, operator: false },
    { name: 'the token', headers: { authorization: `Bearer ${offloadToken}` }, operator: true },
    { name: 'the token, scheme in lower case', headers: { authorization: `bearer ${offloadToken}` }, operator: true },
  ];
}

function startedRuns(responses: TestResponse[]): TestResponse[] {
  return responses.filter((response) => response.body.started === true);
}

function runLogLines(app: TestApp): Record<string, any>[] {
  return app.logLines.map((line) => JSON.parse(line) as Record<string, any>).filter((line) => line.msg === 'audit offload run');
}

describe('offload: per-tenant figures only for the offload token (SPEC §11)', () => {
  it('GET /backlog: totals to anyone; per-tenant figures only with Authorization: Bearer <AUDIT_OFFLOAD_TOKEN>', async () => {
    const app = await lokiApp({ LOG_LEVEL: 'debug' });
    const tenantId = uniqueName('seen');
    await writeEvents(app.services.redis, tenantId, 7, 'seen');
    for (const caller of asEveryCaller()) {
      const response = await app.request('GET', '/function/audit-offload/backlog', { headers: caller.headers });
      expect(response.status, caller.name).toBe(200);
      if (caller.operator) {
        expect(Object.keys(response.body).sort(), caller.name).toEqual([...backlogKeys, 'tenants'].sort());
        expect(response.body.tenants[tenantId], caller.name).toMatchObject({ backlog: 7, dead_letters: 0 });
      } else {
        expect(Object.keys(response.body).sort(), caller.name).toEqual(backlogKeys);
        expect(response.body.backlog, caller.name).toBeGreaterThanOrEqual(7);
        expect(response.text, caller.name).not.toContain(tenantId);
      }
    }
    // A presented token is never logged, right or wrong.
    const logged = app.logLines.join('\n');
    for (const token of [...wrongTokens, offloadToken]) expect(logged).not.toContain(token);
  });

  it('POST /: the run answers its totals to anyone, its per-tenant figures only with the token', async () => {
    const app = await lokiApp();
    for (const caller of asEveryCaller()) {
      const tenantId = uniqueName('report');
      await writeEvents(app.services.redis, tenantId, 3, 'report');
      const response = await app.request('POST', '/function/audit-offload/', { headers: caller.headers });
      expect(response.status, caller.name).toBe(200);
      expect(response.body, caller.name).toMatchObject({ started: true, backlog: 0 });
      expect(response.body.shipped, caller.name).toBeGreaterThanOrEqual(3);
      if (caller.operator) {
        expect(response.body.tenants[tenantId], caller.name).toMatchObject({ shipped: 3, backlog: 0 });
      } else {
        expect(Object.keys(response.body).sort(), caller.name).toEqual(runKeys);
        expect(response.text, caller.name).not.toContain(tenantId);
      }
    }
  });

  it('no AUDIT_OFFLOAD_TOKEN configured: totals only, whatever the caller sends', async () => {
    const app = await lokiApp({ AUDIT_OFFLOAD_TOKEN: '' });
    const tenantId = uniqueName('untokened');
    await writeEvents(app.services.redis, tenantId, 2, 'untokened');
    const callers: Record<string, string>[] = [{}, { authorization: `Bearer ${offloadToken}` }, { authorization: 'Bearer ' }];
    for (const headers of callers) {
      const backlog = await app.request('GET', '/function/audit-offload/backlog', { headers });
      expect(Object.keys(backlog.body).sort()).toEqual(backlogKeys);
      const run = await app.request('POST', '/function/audit-offload/', { headers });
      expect(Object.keys(run.body).sort()).toEqual(runKeys);
      expect(`${backlog.text}${run.text}`).not.toContain(tenantId);
    }
  });
});

describe('offload: coalesced triggers (SPEC §11)', () => {
  // Runs here take a private Redis each: the interval is kept in one global key.
  const servers: RedisProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });
  async function privateRedis(): Promise<string> {
    const server = await startRedisServer();
    servers.push(server);
    return server.url;
  }

  it('20 triggers at once start exactly one run; the others answer at once that one is running', async () => {
    const app = await lokiApp({ LOG_LEVEL: 'info' });
    const tenantId = uniqueName('burst');
    const lines = await writeEvents(app.services.redis, tenantId, 300, 'burst');
    const pushesBefore = loki.pushes.length;
    const responses = await Promise.all(Array.from({ length: 20 }, () => app.request('POST', '/function/audit-offload/', { token: offloadToken })));
    for (const response of responses) expect(response.status).toBe(200);
    const started = startedRuns(responses);
    expect(started).toHaveLength(1);
    expect(started[0]?.body.tenants[tenantId]).toMatchObject({ shipped: 300, backlog: 0 });
    for (const response of responses.filter((response) => response.body.started === false)) expect(response.body).toEqual({ started: false, reason: 'running' });
    expect(runLogLines(app)).toHaveLength(1);
    expect(loki.pushes.slice(pushesBefore).filter((record) => record.org === tenantId).length).toBeGreaterThan(0);
    expectExactlyOnce(loki, tenantId, lines);
    // Once the run is over, the next trigger starts one (AUDIT_MIN_RUN_INTERVAL_MS=0 here).
    expect((await app.request('POST', '/function/audit-offload/')).body.started).toBe(true);
  });

  it('a trigger within AUDIT_MIN_RUN_INTERVAL_MS of the last run start starts nothing, on any replica; after it, one does', async () => {
    const url = await privateRedis();
    const replicas = [await lokiApp({ REDIS_URL: url, AUDIT_MIN_RUN_INTERVAL_MS: '1500', LOG_LEVEL: 'info' }), await lokiApp({ REDIS_URL: url, AUDIT_MIN_RUN_INTERVAL_MS: '1500', LOG_LEVEL: 'info' })];
    const [one, two] = replicas as [TestApp, TestApp];
    const tenantId = uniqueName('interval');
    await writeEvents(one.services.redis, tenantId, 20, 'interval');

    const first = await one.request('POST', '/function/audit-offload/');
    expect(first.body).toMatchObject({ started: true, shipped: 20 });
    const startedAt = Date.now();
    // Right after it, on the same replica and on another, alone or 20 at once: nothing starts.
    expect((await one.request('POST', '/function/audit-offload/')).body).toEqual({ started: false, reason: 'too_soon' });
    expect((await two.request('POST', '/function/audit-offload/', { token: offloadToken })).body).toEqual({ started: false, reason: 'too_soon' });
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2]?.request('POST', '/function/audit-offload/') ?? Promise.reject(new Error('no replica'))));
    if (Date.now() - startedAt < 1200) expect(startedRuns(burst)).toHaveLength(0);
    expect(runLogLines(one).length + runLogLines(two).length).toBe(1 + startedRuns(burst).length);

    // Once the interval has passed, the next trigger (on either replica) starts a run.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + 1600 - Date.now())));
    const later = await Promise.all([one.request('POST', '/function/audit-offload/'), two.request('POST', '/function/audit-offload/')]);
    expect(startedRuns(later)).toHaveLength(1);
  });

  it('with AUDIT_MIN_RUN_INTERVAL_MS=0, triggers one after the other each start a run', async () => {
    const app = await lokiApp({ REDIS_URL: await privateRedis(), AUDIT_MIN_RUN_INTERVAL_MS: '0' });
    const runIds = new Set<string>();
    for (let run = 0; run < 3; run += 1) {
      const tenantId = uniqueName('again');
      await writeEvents(app.services.redis, tenantId, 4, 'again');
      const response = await app.request('POST', '/function/audit-offload/', { token: offloadToken });
      expect(response.body).toMatchObject({ started: true, tenants: { [tenantId]: { shipped: 4, backlog: 0 } } });
      runIds.add(response.body.run_id);
    }
    expect(runIds.size).toBe(3);
  });
});

describe('GET /audit-logs from Loki', () => {
  let app: TestApp;
  let a: Awaited<ReturnType<typeof newTenant>>;
  let b: Awaited<ReturnType<typeof newTenant>>;

  beforeAll(async () => {
    app = await lokiApp();
    a = await newTenant(app);
    b = await newTenant(app);
    for (const key of ['s1', 's2']) {
      await app.request('POST', '/data', { token: a.admin.token, json: { key, value: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await app.request('POST', '/data', { token: b.admin.token, json: { key: 'b-secret', value: 1 } });
    await offloadAudit(app.services);
    await new Promise((resolve) => setTimeout(resolve, 3));
    for (const key of ['p1', 'p2']) {
      await app.request('POST', '/data', { token: a.admin.token, json: { key, value: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  });

  it("returns the tenant's shipped (from Loki, in its org) and pending events, newest first, each once", async () => {
    const queries = loki.stats.queries;
    const response = await app.request('GET', '/audit-logs?limit=1000', { token: a.admin.token });
    expect(response.status).toBe(200);
    expect(loki.stats.queries).toBeGreaterThan(queries);
    const keys = response.body.filter((event: any) => event.action === 'create_key').map((event: any) => event.key);
    expect(keys).toEqual(['p2', 'p1', 's2', 's1']);
    for (const event of response.body) expect(event.tenant_id).toBe(a.tenantId);
    expect(response.text).not.toContain(b.tenantId);
    expect(response.text).not.toContain('b-secret');
    for (let i = 1; i < response.body.length; i += 1) expect(response.body[i - 1].timestamp >= response.body[i].timestamp).toBe(true);
    const lines = response.body.map((event: any) => JSON.stringify(event));
    expect(new Set(lines).size).toBe(lines.length);
    expect(response.body.at(-1).action).toBe('create_tenant');
  });

  it('filters by action, since and until, and returns at most limit', async () => {
    const all = (await app.request('GET', '/audit-logs?action=create_key', { token: a.admin.token })).body;
    const pivot = all.find((event: any) => event.key === 's2').timestamp as string;
    const since = await app.request('GET', `/audit-logs?action=create_key&since=${encodeURIComponent(pivot)}`, { token: a.admin.token });
    expect(since.body.map((event: any) => event.key)).toEqual(['p2', 'p1', 's2']);
    const until = await app.request('GET', `/audit-logs?action=create_key&until=${encodeURIComponent(pivot)}`, { token: a.admin.token });
    expect(until.body.map((event: any) => event.key)).toEqual(['s2', 's1']);
    const limited = await app.request('GET', '/audit-logs?action=create_key&limit=3', { token: a.admin.token });
    expect(limited.body.map((event: any) => event.key)).toEqual(['p2', 'p1', 's2']);
  });

  it('filters by key_id, identity_id and outcome, the member and line filters sent to Loki', async () => {
    await expectAuditFilters(app, a.admin.token, () => offloadAudit(app.services));
    expect(loki.queryLog.some((query) => query.includes('|= "\\"key_id\\":'))).toBe(true);
  });

  it('shows an event both shipped and still pending (a crash before its acknowledgement) once', async () => {
    const shipped = loki.entries(a.tenantId).find((entry) => entry.line.includes('"key":"s1"'));
    expect(shipped).toBeDefined();
    await app.services.redis.xadd(tenantKeys(a.tenantId).audit, '*', 'event', shipped?.line ?? '');
    const response = await app.request('GET', '/audit-logs?action=create_key', { token: a.admin.token });
    expect(response.body.filter((event: any) => event.key === 's1')).toHaveLength(1);
  });

  it('a member gets 403 and Loki is not asked; B never sees A', async () => {
    const member = await addUser(app, a, 'member');
    const queries = loki.stats.queries;
    const denied = await app.request('GET', '/audit-logs', { token: member.token });
    expect(denied.status).toBe(403);
    expect(loki.stats.queries).toBe(queries);
    const theirs = await app.request('GET', '/audit-logs?limit=1000', { token: b.admin.token });
    expect(theirs.status).toBe(200);
    for (const event of theirs.body) expect(event.tenant_id).toBe(b.tenantId);
    expect(theirs.text).not.toContain(a.tenantId);
  });

  it('includes an event Loki refused (kept in the dead-letter stream), once', async () => {
    await app.request('POST', '/data', { token: a.admin.token, json: { key: 'refused-key', value: 1 } });
    loki.rejectLine = (line) => (line.includes('"key":"refused-key"') ? 'stand-in refusal' : null);
    const report = await offloadAudit(app.services);
    expect(report.tenants[a.tenantId]).toMatchObject({ dead_lettered: 1, dead_letters: 1 });
    expect(loki.entries(a.tenantId).some((entry) => entry.line.includes('refused-key'))).toBe(false);
    const response = await app.request('GET', '/audit-logs?action=create_key', { token: a.admin.token });
    expect(response.body.filter((event: any) => event.key === 'refused-key')).toHaveLength(1);
  });

  it('503 loki_unavailable when Loki cannot answer', async () => {
    await loki.down();
    try {
      const response = await app.request('GET', '/audit-logs', { token: a.admin.token });
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('loki_unavailable');
    } finally {
      await loki.up();
    }
  });
});

describe('the audit scripts', () => {
  it('ack-audit acknowledges and deletes any number of entries (in chunks under Lua unpack limit)', async () => {
    const app = await lokiApp();
    const tenantId = uniqueName('ack');
    await writeEvents(app.services.redis, tenantId, 2500, 'ack');
    const keys = tenantKeys(tenantId);
    const entries = entriesOf(await readEntries(app.services.redis, keys, { pending: '0' }, 3000));
    expect(entries).toHaveLength(2500);
    expect(((await app.services.redis.xpending(keys.audit, offloadGroup)) as unknown[])[0]).toBe(2500);
    expect(await acknowledge(app.services.redis, tenantId, (entries ?? []).map((entry) => entry.id))).toBe(0);
    expect(await app.services.redis.xlen(keys.audit)).toBe(0);
    expect(((await app.services.redis.xpending(keys.audit, offloadGroup)) as unknown[])[0]).toBe(0);
    expect(await readEntries(app.services.redis, tenantKeys(uniqueName('none')), { pending: '0' }, 10)).toBeNull();
  });

  it('dead-letter-audit moves a pending entry once; renew-lease extends only its holder', async () => {
    const app = await lokiApp();
    const tenantId = uniqueName('dl');
    const [line] = await writeEvents(app.services.redis, tenantId, 1, 'dl');
    const keys = tenantKeys(tenantId);
    const [entry] = entriesOf(await readEntries(app.services.redis, keys, { pending: '0' }, 10));
    expect(await deadLetter(app.services.redis, tenantId, entry?.id ?? '', 'refused', 400, 1)).toBe(true);
    expect(await deadLetter(app.services.redis, tenantId, entry?.id ?? '', 'refused', 400, 2)).toBe(false);
    const dead = await app.services.redis.xrange(keys.auditDead, '-', '+');
    expect(dead.map(([, fields]) => Object.fromEntries(chunk(fields)))).toEqual([{ event: line, reason: 'refused', status: '400', source_id: entry?.id, failed_at: '1' }]);
    expect(await app.services.redis.xlen(keys.audit)).toBe(0);
    const lease = await acquireLease(app.services.redis, keys, 'holder', 1000);
    expect(lease).not.toBeNull();
    // A read made under the lease renews it, and reads nothing once it is someone else's.
    await app.services.redis.xadd(keys.audit, '*', 'event', line ?? '');
    await app.services.redis.pexpire(keys.auditLease, 100);
    expect(entriesOf(await readEntries(app.services.redis, keys, 'new', 10, { token: 'holder', ms: 1000 }))).toHaveLength(1);
    expect(await app.services.redis.pttl(keys.auditLease)).toBeGreaterThan(500);
    expect(await readEntries(app.services.redis, keys, { pending: '0' }, 10, { token: 'not-the-holder', ms: 1000 })).toBe('lease_lost');
    expect(await acquireLease(app.services.redis, keys, 'other', 1000)).toBeNull();
    expect(await lease?.renew()).toBe(true);
    await app.services.redis.set(keys.auditLease, 'other', 'PX', 1000);
    expect(await lease?.renew()).toBe(false);
    await lease?.release();
    expect(await app.services.redis.get(keys.auditLease)).toBe('other');
  });
});

describe('the local file sink', () => {
  it('does not write a batch twice when it comes again (a crash between writing and acknowledging)', async () => {
    const dir = `${redis.dir}/file-sink`;
    const sink = createFileSink(dir);
    const entries = ['{"a":1}', '{"a":2}', '{"a":3}'].map((line, i) => toAuditEntry(`1-${i}`, line));
    expect(await sink.write('t-file', entries)).toEqual({ ok: true });
    expect(await sink.write('t-file', entries.slice(1))).toEqual({ ok: true });
    expect(await sink.write('t-file', [...entries, toAuditEntry('2-0', '{"a":4}')])).toEqual({ ok: true });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${dir}/t-file.jsonl`, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n');
  });
});

function entriesOf(batch: Awaited<ReturnType<typeof readEntries>>): StreamEntry[] {
  if (batch === 'lease_lost') throw new Error('lease lost');
  return batch?.entries ?? [];
}

function chunk(fields: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i] ?? '', fields[i + 1] ?? '']);
  return pairs;
}
