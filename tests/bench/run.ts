// `npm run bench`: throughput, latency, cold start, bundle size and audit offload, each beside the
// ceilings of our own stack measured in the same run (these machines are noisy: read the ratios).
//   npm run bench                 3 rounds of 10 s per scenario, cold starts median of 20
//   npm run bench -- --quick      1 round of 3 s, cold starts median of 5, 20k offload events
// Prints one table and writes the figures as JSON under .data/bench/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { Redis } from 'ioredis';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { tenantKeys } from '../../shared/redis/keys.js';
import { startLokiStandIn } from '../support/loki-stand-in.js';
import { startRedisServer } from '../support/redis-server.js';
import { measureModelCosts, type ModelCosts } from './model-costs.js';
import { waitFor } from '../support/redis-topologies.js';

const buildModule = new URL('../../build.mjs', import.meta.url).href;
const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 3;
const seconds = quick ? 3 : 10;
const connections = 50;
const coldStartRuns = quick ? 5 : 20;
const offloadEvents = quick ? 20_000 : 100_000;
const offloadTenants = 10;
const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload', 'console'];

const password = 'bench passphrase';
const workDir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Redis's own time per script call while the scenario ran (INFO commandstats, evalsha), µs; 0 where no script ran. */
  redisUsec: number;
}

interface Scenario {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The login scenario uses fewer connections: each request is a bcrypt hash. */
  connections?: number;
}

async function main(): Promise<void> {
  log(`building bundles (${quick ? 'quick' : 'full'} run: ${rounds} round(s) of ${seconds} s at ${connections} connections)`);
  if (spawnSync(process.execPath, ['build.mjs', '--quiet'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  await buildBareExpressBundle();

  const redis = await startRedisServer();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    REDIS_URL: redis.url,
    JWT_SIGNING_KEYS: 'bench-1:bench-signing-secret-0123456789abcdef0123',
    API_KEY_PEPPER: 'bench-pepper-0123456789abcdef0123456789',
    LOG_LEVEL: 'warn',
    KEYWARD_DATA_DIR: workDir,
    SECRETS_DIR: join(workDir, 'no-secrets'),
  };
  const started: ChildProcess[] = [];
  const start = async (script: string, extra: Record<string, string> = {}) => {
    const port = await freePort();
    // Each function serves its metrics as deployed, on a port of its own (the default would be taken by the first).
    const child = spawn(process.execPath, [script], { env: { ...env, ...extra, PORT: String(port), METRICS_PORT: String(await freePort()) }, stdio: ['ignore', 'ignore', 'inherit'] });
    started.push(child);
    await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false), `${script} on ${port}`, 20_000);
    return `http://127.0.0.1:${port}`;
  };

  try {
    const express = await start('tests/bench/ceiling-express.mjs');
    const http = await start('tests/bench/ceiling-http.mjs');
    const token = await start('dist/token/index.js');
    const data = await start('dist/data/index.js');
    const apiKeys = await start('dist/api-keys/index.js');

    const seed = await seedTenant(env, token, apiKeys, data);
    const jwt = { authorization: `Bearer ${seed.token}`, 'content-type': 'application/json' };
    const scenarios: Scenario[] = [
      { name: 'bare node:http (ceiling)', url: `${http}/` },
      { name: 'bare express (ceiling)', url: `${express}/` },
      { name: 'POST /api-keys/verify', url: `${apiKeys}/api-keys/verify`, method: 'POST', headers: jwt, body: JSON.stringify({ key: seed.apiKey }) },
      {
        name: 'POST /api-keys/verify (identity, 2 limits, cost 3)',
        url: `${apiKeys}/api-keys/verify`,
        method: 'POST',
        headers: jwt,
        body: JSON.stringify({ key: seed.meteredKey, cost: 3 }),
      },
      { name: 'GET /data/{key} (JWT)', url: `${data}/data/bench-item`, headers: jwt },
      { name: 'GET /data/{key} (API key)', url: `${data}/data/bench-item`, headers: { 'x-api-key': seed.apiKey } },
      { name: 'PUT /data/{key}', url: `${data}/data/bench-item`, method: 'PUT', headers: jwt, body: JSON.stringify({ value: { hello: 'world', n: 1 } }) },
      {
        name: 'POST /token (bcrypt 12)',
        url: `${token}/token`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=${seed.username}&password=${encodeURIComponent(password)}`,
        connections: 4,
      },
    ];

    const results = new Map<string, LoadResult[]>();
    const stats = new Redis(redis.url);
    for (let round = 1; round <= rounds; round += 1) {
      for (const scenario of scenarios) {
        await stats.config('RESETSTAT');
        // A ceiling touches no Redis: what runs there meanwhile is the tail of the scenario before.
        const ceiling = scenario.name.includes('(ceiling)');
        const result = { ...(await load(scenario)), redisUsec: ceiling ? 0 : await evalshaUsec(stats) };
        results.set(scenario.name, [...(results.get(scenario.name) ?? []), result]);
        log(`round ${round}: ${scenario.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
      }
    }
    stats.disconnect();
    const medians = new Map([...results].map(([name, list]) => [name, medianResult(list)]));
    const modelCosts = await measureModelCosts(apiKeys, jwt, redis.url, 'bench');
    log(`model costs: ${JSON.stringify(modelCosts)}`);
    const healthDuringLogins = await healthLatencyDuringLogins(token, seed.username);
    const redisBenchmark = runRedisBenchmark(redis.port);
    const bundles = bundleSizes();
    const coldStarts = await measureColdStarts(env);
    const offload = await measureOffload(env);

    printReport(medians, healthDuringLogins, redisBenchmark, bundles, coldStarts, offload, modelCosts);
    const out = join('.data', 'bench');
    mkdirSync(out, { recursive: true });
    const file = join(out, `${new Date().toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ machine: machine(), quick, rounds, seconds, connections, load: Object.fromEntries(medians), healthDuringLogins, redisBenchmark, bundles, coldStarts, offload, modelCosts }, null, 2)}\n`,
    );
    log(`results written to ${file}`);
  } finally {
    for (const child of started) child.kill('SIGKILL');
    await redis.stop();
  }
}

/** A tenant, a user token, an API key and a data item for the scenarios. */
async function seedTenant(env: Record<string, string>, token: string, apiKeys: string, data: string) {
  const username = 'bench-admin';
  const created = spawnSync(process.execPath, ['dist/admin/index.js', 'tenants', 'create', 'bench', '--admin', username, '--password', password], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`seeding failed: ${created.stderr}`);
  const login = await fetch(`${token}/token`, { method: 'POST', body: new URLSearchParams({ username, password }) });
  const jwt = ((await login.json()) as { access_token: string }).access_token;
  const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
  const key = await fetch(`${apiKeys}/api-keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench', scopes: ['data:read', 'keys:verify'] }) });
  const apiKey = ((await key.json()) as { key_value: string }).key_value;
  await fetch(`${data}/data`, { method: 'POST', headers, body: JSON.stringify({ key: 'bench-item', value: { hello: 'world', n: 0 } }) });
  // A metered key: an identity with a shared counter limit and credits, the key with a log limit of its
  // own; both auto-applied and roomy enough never to refuse during the load (1 s window).
  const identity = await fetch(`${apiKeys}/identities`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ external_id: 'bench-customer', credits: { remaining: 1_000_000_000_000 }, ratelimits: [{ name: 'shared', limit: 1_000_000_000, window_s: 3600, auto_apply: true, algorithm: 'counter' }] }),
  });
  const identityId = ((await identity.json()) as { identity_id: string }).identity_id;
  const metered = await fetch(`${apiKeys}/api-keys`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'metered', identity_id: identityId, ratelimits: [{ name: 'per-second', limit: 100_000, window_s: 1, auto_apply: true }] }),
  });
  const meteredKey = ((await metered.json()) as { key_value: string }).key_value;
  return { username, token: jwt, apiKey, meteredKey };
}

/** One scenario driven by autocannon in its own process, over loopback. */
function load(scenario: Scenario): Promise<LoadResult> {
  const args = ['node_modules/autocannon/autocannon.js', '-j', '-c', String(scenario.connections ?? connections), '-d', String(seconds), '-m', scenario.method ?? 'GET'];
  for (const [name, value] of Object.entries(scenario.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (scenario.body) args.push('-b', scenario.body);
  args.push(scenario.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', () => {
      try {
        const report = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
        resolve({ rps: report.requests.average, p50: report.latency.p50, p99: report.latency.p99, errors: report.errors, non2xx: report.non2xx, redisUsec: 0 });
      } catch (error) {
        reject(new Error(`autocannon gave no report for ${scenario.name}: ${String(error)}`));
      }
    });
  });
}

/** Health checks on the token function while logins hash: bcrypt must not stall the event loop. */
async function healthLatencyDuringLogins(token: string, username: string): Promise<{ p50: number; p99: number; max: number }> {
  const logins = load({
    name: 'logins',
    url: `${token}/token`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `username=${username}&password=${encodeURIComponent(password)}`,
    connections: 8,
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const latencies: number[] = [];
  const until = performance.now() + (seconds - 1) * 1000;
  while (performance.now() < until) {
    const startedAt = performance.now();
    await fetch(`${token}/healthz`);
    latencies.push(performance.now() - startedAt);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await logins;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1));
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** Redis's own µs per EVALSHA since the last RESETSTAT (0 when none ran). */
async function evalshaUsec(redis: Redis): Promise<number> {
  const line = (await redis.info('commandstats')).split('\n').find((entry) => entry.startsWith('cmdstat_evalsha:')) ?? '';
  return Number(/usec_per_call=([\d.]+)/.exec(line)?.[1] ?? 0);
}

function runRedisBenchmark(port: number): Record<string, number> {
  const run = spawnSync('redis-benchmark', ['-p', String(port), '-c', String(connections), '-n', quick ? '50000' : '200000', '-t', 'get,set', '-q', '--csv'], { encoding: 'utf8' });
  const out: Record<string, number> = {};
  for (const line of run.stdout.split('\n').slice(1)) {
    const [name, rps] = line.split(',').map((cell) => cell.replace(/"/g, ''));
    if (name && rps) out[name] = Number(rps);
  }
  return out;
}

/** The minified code of each bundle, and (functions) its V8 code cache, which ships beside it. */
function bundleSizes(): Record<string, { code: number; cache: number }> {
  const sizes: Record<string, { code: number; cache: number }> = { 'bench-express': { code: statSync('dist/bench-express/index.cjs').size, cache: 0 } };
  for (const name of functionNames) sizes[name] = { code: statSync(join('dist', name, 'bundle.cjs')).size, cache: statSync(join('dist', name, 'bundle.cache')).size };
  return sizes;
}

/**
 * The bare express server bundled with the functions' options (minified, the same stubs), for the
 * cold-start baseline; loaded plainly, without the functions' code cache.
 */
async function buildBareExpressBundle(): Promise<void> {
  mkdirSync('dist/bench-express', { recursive: true });
  const { bundleOptions } = (await import(buildModule)) as { bundleOptions: BuildOptions };
  await build({ ...bundleOptions, entryPoints: ['tests/bench/ceiling-express.mjs'], outfile: 'dist/bench-express/index.cjs' });
}

/** Process spawn to the first 200 on /healthz, median of several starts, per bundle. */
async function measureColdStarts(env: Record<string, string>): Promise<Record<string, number>> {
  const medians: Record<string, number> = {};
  for (const name of ['bench-express', ...functionNames]) {
    const times: number[] = [];
    for (let run = 0; run < coldStartRuns; run += 1) {
      const port = await freePort();
      const begun = performance.now();
      const entry = name === 'bench-express' ? 'dist/bench-express/index.cjs' : join('dist', name, 'index.js');
      const child = spawn(process.execPath, [entry], { env: { ...env, PORT: String(port), METRICS_PORT: String(await freePort()) }, stdio: 'ignore' });
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.status === 200, () => false);
        if (ok) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      times.push(performance.now() - begun);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    medians[name] = Number(median(times).toFixed(1));
    log(`cold start ${name}: median ${medians[name]} ms`);
  }
  return medians;
}

/**
 * 100k events over 10 tenants shipped by the audit-offload bundle to the Loki stand-in, on a Redis
 * of its own (the load scenarios leave a backlog of their own events in theirs).
 */
async function measureOffload(env: Record<string, string>) {
  const redis = await startRedisServer();
  const loki = await startLokiStandIn({ rateLimit: null });
  const client = new Redis(redis.url);
  const tenants = Array.from({ length: offloadTenants }, (_, i) => `bench-offload-${i}`);
  await client.sadd('kw:tenants', ...tenants);
  for (const tenantId of tenants) {
    const stream = tenantKeys(tenantId).audit;
    for (let written = 0; written < offloadEvents / offloadTenants; written += 1000) {
      const pipeline = client.pipeline();
      for (let i = written; i < written + 1000; i += 1) {
        const event = { timestamp: new Date(Date.now() - 60_000 + i).toISOString(), tenant_id: tenantId, request_id: `r-${i}`, actor: { type: 'user', id: 'bench' }, action: i % 2 ? 'get_key' : 'create_key', outcome: 'success', key: `k-${i}` };
        pipeline.xadd(stream, '*', 'event', JSON.stringify(event));
      }
      await pipeline.exec();
    }
  }
  const port = await freePort();
  // Each POST waits for its run; with no interval, the next one starts at once.
  const child = spawn(process.execPath, ['dist/audit-offload/index.js'], {
    env: { ...env, REDIS_URL: redis.url, PORT: String(port), METRICS_PORT: String(await freePort()), LOKI_URL: loki.url, AUDIT_MIN_RUN_INTERVAL_MS: '0' },
    stdio: 'ignore',
  });
  try {
    await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false), 'offload listening', 20_000);
    const begun = performance.now();
    while (loki.entries().length < offloadEvents) {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' });
    }
    const secondsTaken = (performance.now() - begun) / 1000;
    const peakRssMiB = peakRss(child.pid ?? 0);
    const result = { events: offloadEvents, tenants: offloadTenants, eventsPerSecond: Math.round(offloadEvents / secondsTaken), peakRssMiB };
    log(`offload: ${result.eventsPerSecond} events/s, peak RSS ${peakRssMiB} MiB`);
    return result;
  } finally {
    child.kill('SIGKILL');
    client.disconnect();
    await loki.close();
    await redis.stop();
  }
}

/** VmHWM: the process's peak resident set, MiB. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

function printReport(
  medians: Map<string, LoadResult>,
  health: { p50: number; p99: number; max: number },
  redisBenchmark: Record<string, number>,
  bundles: Record<string, { code: number; cache: number }>,
  coldStarts: Record<string, number>,
  offload: { eventsPerSecond: number; peakRssMiB: number },
  model: ModelCosts,
): void {
  const express = medians.get('bare express (ceiling)');
  const http = medians.get('bare node:http (ceiling)');
  const lines = [
    `keyward bench — ${machine().cpus} × ${machine().cpu}, ${machine().memoryGiB} GiB, Node ${process.version}; ${quick ? 'quick' : 'full'}: median of ${rounds} round(s) × ${seconds} s, ${connections} connections`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | errors | ÷ express req/s | ÷ node:http req/s | p99 ÷ express p99 | Redis µs per script |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, result] of medians) {
    const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : '—');
    lines.push(
      `| ${name} | ${result.rps.toFixed(0)} | ${result.p50} | ${result.p99} | ${result.errors + result.non2xx} | ${ratio(result.rps, express?.rps)} | ${ratio(result.rps, http?.rps)} | ${ratio(result.p99, express?.p99)} | ${result.redisUsec ? result.redisUsec.toFixed(1) : '—'} |`,
    );
  }
  lines.push('', `health checks on the token function during 8 concurrent logins: p50 ${health.p50} ms, p99 ${health.p99} ms, max ${health.max} ms`);
  lines.push(`redis-benchmark (database ceiling, ${connections} connections): ${Object.entries(redisBenchmark).map(([name, rps]) => `${name} ${Math.round(rps)} req/s`).join(', ')}`);
  lines.push('', '| bundle | code (bytes, minified) | V8 code cache (bytes) | cold start, median ms | ÷ bare express |', '| --- | ---: | ---: | ---: | ---: |');
  for (const name of ['bench-express', ...functionNames]) {
    const label = name === 'bench-express' ? 'bare express (baseline)' : name;
    const size = bundles[name] ?? { code: 0, cache: 0 };
    lines.push(`| ${label} | ${size.code} | ${size.cache || '—'} | ${coldStarts[name]} | ${((coldStarts[name] ?? 0) / (coldStarts['bench-express'] ?? 1)).toFixed(2)} |`);
  }
  lines.push('', `audit offload: ${offloadEvents} events over ${offloadTenants} tenants to the Loki stand-in: ${offload.eventsPerSecond} events/s, peak RSS ${offload.peakRssMiB} MiB`);
  lines.push(
    '',
    `Redis memory: ${model.bytesPerKey} B per API key, ${model.bytesPerIdentity} B per identity, ${model.bytesPerUsageDay} B of usage per key, identity or tenant per day (hours and days, two codes in every hour)`,
    '',
    '| rate limit, 1,000 uses in its window | state in Redis (bytes) | Redis µs per verification |',
    '| --- | ---: | ---: |',
    ...(['log', 'counter'] as const).map((algorithm) => `| ${algorithm} | ${model.limits[algorithm].stateBytes} | ${model.limits[algorithm].redisUsecPerVerify.toFixed(1)} |`),
  );
  console.log(`\n${lines.join('\n')}\n`);
}

function medianResult(list: LoadResult[]): LoadResult {
  const of = (pick: (result: LoadResult) => number) => median(list.map(pick));
  return { rps: of((r) => r.rps), p50: of((r) => r.p50), p99: of((r) => r.p99), errors: of((r) => r.errors), non2xx: of((r) => r.non2xx), redisUsec: of((r) => r.redisUsec) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function machine() {
  return { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

function log(text: string): void {
  console.log(`[bench] ${text}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
