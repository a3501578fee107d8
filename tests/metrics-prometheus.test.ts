import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesFileName } from '../shared/deploy/infra/prometheus.js';
import { serviceDashboard } from '../shared/deploy/infra/service-dashboard.js';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { scripts } from '../shared/redis/scripts.js';
import { repoRoot } from './support/manifests.js';
import { promtool, shippedPrometheusFiles, startPrometheus, type PrometheusServer } from './support/prometheus.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

/**
 * SPEC §12 against the real thing: `npm start`'s gateway (dist/gateway) on a Redis of its own,
 * scraped every second by Debian's Prometheus (static_configs: it has no Kubernetes discovery),
 * which also loads the shipped alert rules. Known requests are made; the series are read back
 * through Prometheus's HTTP API and their increments must be exact. The panel queries' data is
 * written to .data/metrics-test/ for the README's picture (npm run docs:dashboard).
 */

const buildModule = new URL('../build.mjs', import.meta.url).href;
const scrapeSeconds = 1;

let redis: RedisProcess;
let prometheus: PrometheusServer;
let gateway: ChildProcess;
let base = '';
let demoPassword = '';
let dataDir = '';
let scrapingSince = 0;

beforeAll(async () => {
  const { buildBundles } = (await import(buildModule)) as { buildBundles(names: string[], options: { quiet: boolean }): Promise<unknown> };
  await buildBundles(['gateway'], { quiet: true });
  redis = await startRedisServer();
  dataDir = mkdtempSync(join(tmpdir(), 'keyward-prom-gw-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gateway = spawn(process.execPath, ['dist/gateway/index.js'], {
    env: {
      PATH: process.env.PATH,
      REDIS_URL: redis.url,
      PORT: String(port),
      KEYWARD_DATA_DIR: dataDir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'warn',
      LOGIN_MAX_FAILURES_PER_USER: '2',
      // The test triggers the offload itself: no timer run, no interval between runs.
      AUDIT_OFFLOAD_SCHEDULE: '0 0 1 1 *',
      AUDIT_MIN_RUN_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  gateway.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  gateway.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let attempt = 0; !/password: (\S+)/.test(output); attempt += 1) {
    if (gateway.exitCode !== null || attempt > 400) throw new Error(`gateway did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  demoPassword = /password: (\S+)/.exec(output)?.[1] ?? '';

  // As knative/infra/prometheus.yaml's jobs do: honor_labels, and the target's function label for
  // the series that carry none of their own (the gateway is every function: "gateway").
  prometheus = await startPrometheus(
    {
      global: { scrape_interval: `${scrapeSeconds}s`, evaluation_interval: `${scrapeSeconds}s` },
      rule_files: [rulesFileName],
      scrape_configs: [{ job_name: 'keyward', honor_labels: true, static_configs: [{ targets: [base.replace('http://', '')], labels: { function: 'gateway' } }] }],
    },
    { [rulesFileName]: shippedPrometheusFiles()[rulesFileName] ?? '' },
  );
  scrapingSince = Date.now() / 1000;
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, options: { token?: string; json?: unknown; form?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function login(username: string, password: string): Promise<Reply> {
  return call('POST', '/token', { form: { username, password } });
}

/** Waits until Prometheus holds a scrape that started after `sinceMs`: it has seen everything done before. */
async function scrapedAfter(sinceMs: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const [latest] = await prometheus.query('timestamp(up{job="keyward"})');
    if (latest && latest.value * 1000 > sinceMs) {
      expect((await prometheus.query('up{job="keyward"}'))[0]?.value).toBe(1);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no scrape of the gateway after ${new Date(sinceMs).toISOString()}`);
}

/** The value of each expression (summed over its series; 0 when there are none), read through the query API. */
async function read(exprs: Record<string, string>): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const [name, expr] of Object.entries(exprs)) values[name] = (await prometheus.query(`sum(${expr})`))[0]?.value ?? 0;
  return values;
}

function increments(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
}

const verifyScript = scripts.verifyApiKey.name;
const requests = (route: string, status: number) => `keyward_http_requests_total{route="${route}",status="${status}"}`;

describe('metrics through a real Prometheus (SPEC §12)', () => {
  it('Prometheus scrapes the gateway, loads the shipped rules, and promtool check metrics passes the exposition', async () => {
    await scrapedAfter(Date.now());
    const rules = await prometheus.api<{ groups: { rules: { name: string; health: string }[] }[] }>('rules');
    expect(rules.groups.flatMap((group) => group.rules.map((rule) => rule.name))).toHaveLength(6);
    const exposition = await (await fetch(`${base}/metrics`)).text();
    const lint = promtool(['check', 'metrics'], exposition);
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout + lint.stderr).toBe('');
  });

  it('verifications with each outcome, logins with each outcome, a rate-limited and a spent key: exact increments, read back through the query API', async () => {
    const admin = (await login('demo-admin', demoPassword)).body.access_token as string;
    expect(admin).toBeTruthy();
    const token = { token: admin };
    const createKey = async (body: Record<string, unknown>) => {
      const created = await call('POST', '/api-keys', { ...token, json: { name: 'metrics', scopes: ['data:read'], ...body } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return { key: created.body.key_value as string, id: created.body.key_id as string };
    };
    const createUser = async (username: string) => expect((await call('POST', '/users', { ...token, json: { username, password: 'a metrics password', role: 'member' } })).status).toBe(201);
    const valid = await createKey({});
    const expired = await createKey({ expires_in: 1 });
    const disabled = await createKey({});
    expect((await call('PATCH', `/api-keys/${disabled.id}`, { ...token, json: { enabled: false } })).status).toBe(200);
    const limited = await createKey({ rate_limit: { limit: 1, window_s: 60 } });
    const metered = await createKey({ quota: { remaining: 1 } });
    const limitedUse = await createKey({ rate_limit: { limit: 1, window_s: 60 } });
    const meteredUse = await createKey({ quota: { remaining: 1 } });
    await createUser('metrics-alice');
    await createUser('metrics-victim');
    await createUser('metrics-disabled');
    expect((await call('PATCH', '/users/metrics-disabled', { ...token, json: { disabled: true } })).status).toBe(200);
    expect((await call('POST', '/data', { ...token, json: { key: 'greeting', value: 'hello' } })).status).toBe(201);
    // Gone before the offload below runs: one key_expiration.
    expect((await call('POST', '/data', { ...token, json: { key: 'fleeting', value: 1, ttl: 1 } })).status).toBe(201);
    // A series appears with its first increment, which rate() cannot see: the 401s below must not be the first.
    expect((await login('metrics-nobody', 'no such user')).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 1200));

    const exprs = {
      valid: 'keyward_api_key_verifications_total{code="VALID"}',
      notFound: 'keyward_api_key_verifications_total{code="NOT_FOUND"}',
      expired: 'keyward_api_key_verifications_total{code="EXPIRED"}',
      disabled: 'keyward_api_key_verifications_total{code="DISABLED"}',
      forbidden: 'keyward_api_key_verifications_total{code="FORBIDDEN"}',
      rateLimitedCode: 'keyward_api_key_verifications_total{code="RATE_LIMITED"}',
      usageExceededCode: 'keyward_api_key_verifications_total{code="USAGE_EXCEEDED"}',
      verifyRequests: requests('verifyApiKey', 200),
      verifyFunction: 'keyward_http_requests_total{function="api-keys",route="verifyApiKey",method="POST"}',
      verifyLatency: 'keyward_http_request_duration_seconds_count{function="api-keys",route="verifyApiKey"}',
      verifyRoundTrips: `keyward_redis_command_duration_seconds_count{operation="${verifyScript}"}`,
      loginSuccess: 'keyward_logins_total{outcome="success"}',
      loginFailed: 'keyward_logins_total{outcome="failed"}',
      loginThrottled: 'keyward_logins_total{outcome="throttled"}',
      loginDisabled: 'keyward_logins_total{outcome="disabled"}',
      login200: requests('login', 200),
      login401: requests('login', 401),
      login403: requests('login', 403),
      login429: requests('login', 429),
      rateLimited: 'keyward_rate_limited_total',
      usageExceeded: 'keyward_usage_exceeded_total',
      read200: requests('getItem', 200),
      read429: requests('getItem', 429),
      unmatched: 'keyward_http_requests_total{function="gateway",route="none",method="GET",status="404"}',
      redisErrors: 'keyward_redis_errors_total',
    };
    await scrapedAfter(Date.now());
    const before = await read(exprs);

    const verify = async (key: string, scope?: string) => (await call('POST', '/api-keys/verify', { ...token, json: { key, ...(scope ? { scope } : {}) } })).body.code;
    expect(await verify(valid.key)).toBe('VALID');
    expect(await verify('kw_not-a-key')).toBe('NOT_FOUND');
    expect(await verify(expired.key)).toBe('EXPIRED');
    expect(await verify(disabled.key)).toBe('DISABLED');
    expect(await verify(valid.key, 'orders:read')).toBe('FORBIDDEN');
    expect([await verify(limited.key), await verify(limited.key)]).toEqual(['VALID', 'RATE_LIMITED']);
    expect([await verify(metered.key), await verify(metered.key)]).toEqual(['VALID', 'USAGE_EXCEEDED']);

    expect((await login('metrics-alice', 'a metrics password')).status).toBe(200);
    expect((await login('metrics-alice', 'not the password')).status).toBe(401);
    expect((await login('metrics-victim', 'wrong one')).status).toBe(401);
    expect((await login('metrics-victim', 'wrong two')).status).toBe(401);
    expect((await login('metrics-victim', 'wrong three')).status).toBe(429);
    expect((await login('metrics-disabled', 'a metrics password')).status).toBe(403);

    const readWith = async (key: string) => (await fetch(`${base}/data/greeting`, { headers: { 'x-api-key': key } })).status;
    expect([await readWith(limitedUse.key), await readWith(limitedUse.key)]).toEqual([200, 429]);
    expect([await readWith(meteredUse.key), await readWith(meteredUse.key)]).toEqual([200, 429]);
    expect((await fetch(`${base}/no-such-route`)).status).toBe(404);

    await scrapedAfter(Date.now());
    expect(increments(before, await read(exprs))).toEqual({
      valid: 3,
      notFound: 1,
      expired: 1,
      disabled: 1,
      forbidden: 1,
      rateLimitedCode: 1,
      usageExceededCode: 1,
      verifyRequests: 9,
      verifyFunction: 9,
      verifyLatency: 9,
      verifyRoundTrips: 9,
      loginSuccess: 1,
      loginFailed: 3,
      loginThrottled: 1,
      loginDisabled: 1,
      login200: 1,
      login401: 3,
      login403: 1,
      login429: 1,
      rateLimited: 1,
      usageExceeded: 1,
      read200: 2,
      read429: 2,
      unmatched: 1,
      redisErrors: 0,
    });
  }, 60_000);

  it('an offload run with a backlog: the backlog gauges show GET /backlog, then the run\'s figures move by its report', async () => {
    const backlog = await call('GET', '/function/audit-offload/backlog');
    const waiting = backlog.body.backlog as number;
    expect(waiting).toBeGreaterThan(20);
    await scrapedAfter(Date.now());
    const exprs = {
      backlog: 'keyward_audit_backlog_events{tenant=""}',
      deadLetters: 'keyward_audit_dead_letter_events',
      shipped: 'keyward_audit_shipped_total',
      expirations: 'keyward_key_expirations_total',
      runs: 'keyward_audit_offload_run_duration_seconds_count',
      retries: 'keyward_audit_push_retries_total',
      deadLettered: 'keyward_audit_dead_lettered_total',
    };
    const before = await read(exprs);
    expect(before.backlog).toBe(waiting);
    expect(before.deadLetters).toBe(0);
    expect((await prometheus.query('keyward_audit_oldest_pending_age_seconds'))[0]?.value).toBeGreaterThanOrEqual(1);
    // No tenant label (METRICS_TENANT_LABELS is off): the total is the only backlog series.
    expect(await prometheus.query('keyward_audit_backlog_events')).toHaveLength(1);

    const runStarted = Date.now();
    const run = await call('POST', '/function/audit-offload/');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ started: true, expired: 1, backlog: 0, dead_lettered: 0, retried: 0 });
    // Every event that waited, and the key_expiration the run recorded itself.
    expect(run.body.shipped).toBe(waiting + 1);
    await scrapedAfter(Date.now());
    const after = await read(exprs);
    expect(increments(before, after)).toEqual({ backlog: -waiting, deadLetters: 0, shipped: waiting + 1, expirations: 1, runs: 1, retries: 0, deadLettered: 0 });
    const lastRun = (await prometheus.query('keyward_audit_offload_last_run_timestamp_seconds'))[0]?.value ?? 0;
    expect(lastRun * 1000).toBeGreaterThanOrEqual(runStarted);
    expect(lastRun * 1000).toBeLessThanOrEqual(Date.now());
  }, 30_000);

  it('every panel of the "keyward service" dashboard is a query Prometheus answers; the data is kept for the README\'s picture', async () => {
    // A few seconds of mixed traffic first, so the picture shows rates rather than single steps.
    const admin = (await login('demo-admin', demoPassword)).body.access_token as string;
    const key = (await call('POST', '/api-keys', { token: admin, json: { name: 'load', scopes: ['data:read'] } })).body.key_value as string;
    const until = Date.now() + 5000;
    const worker = async (lane: number) => {
      for (let i = 0; Date.now() < until; i += 1) {
        const pick = (i * 7 + lane * 3) % 60;
        if (pick < 36) await call('POST', '/api-keys/verify', { token: admin, json: { key } });
        else if (pick < 45) await call('POST', '/api-keys/verify', { token: admin, json: { key: `kw_unknown${i}` } });
        else if (pick < 56) await fetch(`${base}/data/greeting`, { headers: { 'x-api-key': key } });
        // Few logins, failures under unknown names: one address (loopback) may fail 50 times a window.
        else if (pick < 58) await login(pick === 56 ? 'metrics-alice' : `metrics-nobody-${lane}-${i}`, 'a metrics password');
        else await call('POST', '/function/audit-offload/');
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    };
    await Promise.all([0, 1, 2].map(worker));
    await scrapedAfter(Date.now());
    const end = Date.now() / 1000;
    const start = scrapingSince;
    const dashboard = serviceDashboard() as { panels: { title: string; fieldConfig: { defaults: { unit: string } }; targets: { expr: string; legendFormat: string }[] }[] };
    const panels: { title: string; unit: string; series: { legend: string; points: [number, number][] }[] }[] = [];
    for (const panel of dashboard.panels) {
      const series: { legend: string; points: [number, number][] }[] = [];
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll('$__rate_interval', `${4 * scrapeSeconds}s`).replaceAll('$function', '.+');
        const data = await prometheus.api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>('query_range', { query: expr, start: String(start), end: String(end), step: String(scrapeSeconds) });
        for (const result of data.result) {
          const points = result.values.map(([time, value]): [number, number] => [time, Number(value)]);
          series.push({ legend: target.legendFormat.replace(/\{\{(\w+)\}\}/g, (_, label: string) => result.metric[label] ?? ''), points });
        }
      }
      panels.push({ title: panel.title, unit: panel.fieldConfig.defaults.unit, series });
    }
    const withData = (title: string) => panels.find((panel) => panel.title === title)?.series.some((entry) => entry.points.some(([, value]) => value > 0));
    for (const title of ['Requests per second', 'Errors per second', 'Verifications by code', 'Logins by outcome', 'Rate-limited and quota-refused', 'Audit events shipped, retried, dead-lettered', 'Redis latency p99 by operation']) {
      expect(withData(title), title).toBe(true);
    }
    const count = async (expr: string) => (await prometheus.query(expr))[0]?.value ?? 0;
    const seriesCount = { all: await count('count({job="keyward"})'), keyward: await count('count({job="keyward",__name__=~"keyward_.+"})') };
    console.log(`series after the test: ${seriesCount.all} scraped from the gateway, ${seriesCount.keyward} of them keyward_`);
    const out = join(repoRoot, '.data', 'metrics-test');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'service-dashboard.json'), `${JSON.stringify({ start, end, scrapeSeconds, seriesCount, panels }, null, 1)}\n`);
  }, 30_000);
});
