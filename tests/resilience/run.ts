// `npm run resilience`: the old project's resilience test, for real and locally.
//
// The gateway bundle runs on a real Sentinel set (a master, two replicas, three Sentinels) with the
// audit offload as its own process shipping to the Loki stand-in. Steady mixed traffic (logins,
// data writes and reads, key verifications) runs throughout these phases:
//   1. steady          a baseline
//   2. master-kill     SIGKILL of the Redis master, five times (a new replica replaces each victim)
//   3. function-kill   SIGKILL of the gateway (every function), restarted at once
//   4. offload-kill    SIGKILL of the offload process mid-run, three times, restarted each time
// Then traffic stops, the offload runs until nothing is pending, and it checks that every
// acknowledged write is readable and every acknowledged request's audit event is in Loki.
// Exit code 1 if anything acknowledged was lost.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { startLokiStandIn, type LokiStandIn } from '../support/loki-stand-in.js';
import { startRedisServer, type RedisProcess } from '../support/redis-server.js';
import { command, info, startSentinelSet, waitFor, type SentinelSet } from '../support/redis-topologies.js';

const phases = ['steady', 'master-kill', 'function-kill', 'offload-kill'] as const;
type Phase = (typeof phases)[number];

interface Sample {
  phase: Phase;
  /** When the request was sent and when its answer (or failure) came. */
  started: number;
  at: number;
  ok: boolean;
  status: number;
}

const samples: Sample[] = [];
/** With RESILIENCE_DEBUG set: the bodies of refusals, for a run that goes wrong. */
const failureTexts: string[] = [];
const acknowledgedWrites = new Map<string, number>();
const acknowledgedRequests = new Set<string>();
let phase: Phase = 'steady';
let trafficOn = true;

const password = 'resilience passphrase';
const logDir = join('.data', 'resilience');
const dataDir = mkdtempSync(join(tmpdir(), 'keyward-resilience-'));

async function main(): Promise<number> {
  log('building the gateway, audit-offload and admin bundles');
  const built = spawnSync(process.execPath, ['build.mjs', '--quiet', '--only', 'gateway,audit-offload,admin'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('build failed');

  const set = await startSentinelSet();
  const loki = await startLokiStandIn({ rateLimit: null });
  const extraReplicas: RedisProcess[] = [];
  const gatewayPort = await freePort();
  const offloadPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ...set.env,
    JWT_SIGNING_KEYS: 'res-1:resilience-signing-secret-0123456789abcdef',
    API_KEY_PEPPER: 'resilience-pepper-0123456789abcdef0123',
    LOKI_URL: loki.url,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'warn',
    KEYWARD_DATA_DIR: dataDir,
    SECRETS_DIR: join(dataDir, 'no-secrets'),
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    AUDIT_OFFLOAD_SCHEDULE: '0 0 1 1 *',
    // The offload is triggered right after each kill and then back to back: no interval between runs.
    AUDIT_MIN_RUN_INTERVAL_MS: '0',
    LOKI_TIMEOUT_MS: '1000',
    AUDIT_RETRY_MAX_MS: '1000',
    AUDIT_LEASE_MS: '5000',
  };
  let gateway = await startProcess('dist/gateway/index.js', { ...env, PORT: String(gatewayPort) }, gatewayPort);
  let offload = await startProcess('dist/audit-offload/index.js', { ...env, PORT: String(offloadPort) }, offloadPort);
  const base = `http://127.0.0.1:${gatewayPort}`;

  try {
    const tenants = await Promise.all(['res-a', 'res-b'].map((tenantId) => setUpTenant(env, base, tenantId)));
    log(`tenants ${tenants.map((tenant) => tenant.tenantId).join(', ')} ready; traffic starts`);
    const workers = tenants.flatMap((tenant) => [0, 1, 2].map((worker) => traffic(base, tenant, worker)));

    await sleep(4000);

    phase = 'master-kill';
    const windows: { ms: number; failed: number }[] = [];
    for (let kill = 1; kill <= 5; kill += 1) {
      const victim = await set.currentMaster();
      const killedAt = performance.now();
      processOnPort(set, extraReplicas, victim.port)?.process.kill('SIGKILL');
      await waitFor(async () => (await set.currentMaster()).port !== victim.port, 'a new master', 30_000);
      // Unavailable from the kill until the first request sent after it succeeds.
      const recoveredAfterKill = () => samples.find((sample) => sample.started > killedAt && sample.ok);
      await waitFor(async () => recoveredAfterKill() !== undefined, 'a successful request sent after the kill', 30_000).catch((error: Error) => {
        const statuses = samples.filter((sample) => sample.at > killedAt).map((sample) => sample.status);
        const texts = failureTexts.reduce<Record<string, number>>((counts, text) => ({ ...counts, [text]: (counts[text] ?? 0) + 1 }), {});
        throw new Error(`${error.message}; statuses since: ${JSON.stringify(countBy(statuses))}; refusals: ${JSON.stringify(texts)}`);
      });
      const recovered = recoveredAfterKill()?.at ?? killedAt;
      const failed = samples.filter((sample) => sample.at > killedAt && sample.at <= recovered && !sample.ok).length;
      windows.push({ ms: recovered - killedAt, failed });
      log(`master kill ${kill}: port ${victim.port} down, served again after ${(recovered - killedAt).toFixed(0)} ms, ${failed} requests failed meanwhile`);
      // A new replica replaces the victim, and is in sync before anything else fails: an operator
      // would wait for that too (Sentinel could promote a replica still waiting for its first sync).
      const master = await set.currentMaster();
      const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
      extraReplicas.push(replica);
      await waitFor(async () => (await info(replica.port, 'replication')).includes('master_link_status:up'), 'the new replica in sync', 30_000);
      // Sentinel does not fail the same master name over again within 2 x failover-timeout (3 s):
      // wait that out, so each kill measures a failover rather than that pause.
      await sleep(Math.max(2500, 7000 - (performance.now() - killedAt)));
    }

    phase = 'function-kill';
    gateway.kill('SIGKILL');
    gateway = await startProcess('dist/gateway/index.js', { ...env, PORT: String(gatewayPort) }, gatewayPort);
    log('gateway killed and restarted');
    await sleep(3000);

    phase = 'offload-kill';
    for (let kill = 1; kill <= 3; kill += 1) {
      const run = fetch(`http://127.0.0.1:${offloadPort}/`, { method: 'POST' }).catch(() => undefined);
      await sleep(20 + Math.random() * 150);
      offload.kill('SIGKILL');
      await run;
      offload = await startProcess('dist/audit-offload/index.js', { ...env, PORT: String(offloadPort) }, offloadPort);
      log(`offload killed mid-run (${kill}) and restarted`);
      await sleep(1000);
    }

    trafficOn = false;
    await Promise.all(workers);
    log('traffic stopped; shipping what is pending');
    for (let run = 0; run < 20; run += 1) {
      // Totals only (no AUDIT_OFFLOAD_TOKEN here): the backlog summed over the tenants.
      const report = (await (await fetch(`http://127.0.0.1:${offloadPort}/`, { method: 'POST' })).json()) as { started: boolean; backlog?: number };
      if (report.started && report.backlog === 0) break;
      await sleep(500);
    }

    const lostWrites = await checkWrites(base, tenants);
    const missingEvents = checkEvents(loki);
    report(windows, lostWrites, missingEvents, loki);
    return lostWrites.length === 0 && missingEvents.length === 0 ? 0 : 1;
  } catch (error) {
    console.log(`\n--- sentinel 0's log ---\n${set.sentinelLogs()[0]?.split('\n').slice(-60).join('\n')}`);
    for (const server of [set.master, ...set.replicas, ...extraReplicas]) {
      const state = await Promise.all([command(server.port, ['ROLE']), command(server.port, ['DBSIZE'])]).catch(() => 'down');
      console.log(`redis ${server.port}: ${JSON.stringify(state)}`);
    }
    throw error;
  } finally {
    gateway.kill('SIGKILL');
    offload.kill('SIGKILL');
    await loki.close();
    await Promise.all(extraReplicas.map((replica) => replica.stop().catch(() => undefined)));
    await set.stop();
  }
}

interface Tenant {
  tenantId: string;
  token: string;
  apiKey: string;
}

async function setUpTenant(env: Record<string, string>, base: string, tenantId: string): Promise<Tenant> {
  const admin = `${tenantId}-admin`;
  const created = spawnSync(process.execPath, ['dist/admin/index.js', 'tenants', 'create', tenantId, '--admin', admin, '--password', password], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`tenant ${tenantId}: ${created.stderr}`);
  const token = await login(base, admin);
  const key = await fetch(`${base}/api-keys`, { method: 'POST', headers: json(token), body: JSON.stringify({ name: 'resilience', scopes: ['data:read'] }) });
  return { tenantId, token, apiKey: ((await key.json()) as { key_value: string }).key_value };
}

/** One worker: writes, reads, verifications and logins, each with its own request id. */
async function traffic(base: string, tenant: Tenant, worker: number): Promise<void> {
  let token = tenant.token;
  for (let i = 0; trafficOn; i += 1) {
    const requestId = `res-${tenant.tenantId}-${worker}-${i}-${randomUUID().slice(0, 8)}`;
    const started = performance.now();
    const roll = i % 10;
    let response: Response | undefined;
    try {
      if (roll < 4) {
        const key = `w${worker}-${i}`;
        response = await send(`${base}/data`, 'POST', token, requestId, { key, value: i });
        if (response.status === 201) acknowledgedWrites.set(`${tenant.tenantId}/${key}`, i);
      } else if (roll < 7) {
        const known = [...acknowledgedWrites.keys()].filter((name) => name.startsWith(`${tenant.tenantId}/`));
        const pick = known[Math.floor(Math.random() * known.length)]?.split('/')[1] ?? 'none';
        response = await send(`${base}/data/${pick}`, 'GET', token, requestId);
      } else if (roll < 9) {
        response = await send(`${base}/api-keys/verify`, 'POST', token, requestId, { key: tenant.apiKey });
      } else {
        token = await login(base, `${tenant.tenantId}-admin`, requestId);
        samples.push({ phase, started, at: performance.now(), ok: true, status: 200 });
        acknowledgedRequests.add(requestId);
        continue;
      }
    } catch {
      // connection refused while a process is down
    }
    const ok = response !== undefined && response.status < 300;
    if (ok) acknowledgedRequests.add(requestId);
    if (response && response.status >= 400 && process.env.RESILIENCE_DEBUG) failureTexts.push(`${response.status} ${(await response.text()).replace(/"request_id":"[^"]*"/, '')}`);
    samples.push({ phase, started, at: performance.now(), ok, status: response?.status ?? 0 });
    if (!ok) await sleep(20);
  }
}

async function send(url: string, method: string, token: string, requestId: string, body?: unknown): Promise<Response> {
  return fetch(url, { method, headers: { ...json(token), 'x-request-id': requestId }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
}

async function login(base: string, username: string, requestId: string = randomUUID()): Promise<string> {
  for (;;) {
    try {
      const response = await fetch(`${base}/token`, { method: 'POST', headers: { 'x-request-id': requestId }, body: new URLSearchParams({ username, password }), signal: AbortSignal.timeout(10_000) });
      if (response.status === 200) return ((await response.json()) as { access_token: string }).access_token;
    } catch {
      // down for a moment
    }
    samples.push({ phase, started: performance.now(), at: performance.now(), ok: false, status: 0 });
    await sleep(50);
  }
}

async function checkWrites(base: string, tenants: Tenant[]): Promise<string[]> {
  const lost: string[] = [];
  const tokens = new Map(await Promise.all(tenants.map(async (tenant) => [tenant.tenantId, await login(base, `${tenant.tenantId}-admin`)] as const)));
  for (const [name, value] of acknowledgedWrites) {
    const [tenantId = '', key = ''] = name.split('/');
    const response = await fetch(`${base}/data/${key}`, { headers: json(tokens.get(tenantId) ?? '') });
    const body = response.status === 200 ? ((await response.json()) as { value: number }) : undefined;
    if (body?.value !== value) lost.push(name);
  }
  return lost;
}

/** Every acknowledged request's event in its own tenant's org; and no event in another org. */
function checkEvents(loki: LokiStandIn): string[] {
  const stored = new Map<string, string>();
  for (const entry of loki.entries()) {
    const event = JSON.parse(entry.line) as { request_id: string; tenant_id: string };
    if (event.tenant_id !== entry.org) throw new Error(`event of ${event.tenant_id} in org ${entry.org}`);
    stored.set(event.request_id, entry.org);
  }
  return [...acknowledgedRequests].filter((requestId) => !stored.has(requestId));
}

function report(windows: { ms: number; failed: number }[], lostWrites: string[], missingEvents: string[], loki: LokiStandIn): void {
  const rows = phases.map((name) => {
    const inPhase = samples.filter((sample) => sample.phase === name);
    const successes = inPhase.filter((sample) => sample.ok).map((sample) => sample.at);
    const gaps = successes.slice(1).map((at, i) => at - (successes[i] ?? at));
    return { phase: name, requests: inPhase.length, errors: inPhase.filter((sample) => !sample.ok).length, longestGapMs: Math.round(Math.max(0, ...gaps)) };
  });
  const sorted = [...windows].sort((a, b) => a.ms - b.ms);
  const median = sorted[Math.floor(sorted.length / 2)];
  const summary = {
    phases: rows,
    masterKills: windows.map((window) => ({ unavailableMs: Math.round(window.ms), failedRequests: window.failed })),
    medianUnavailableMs: Math.round(median?.ms ?? 0),
    medianFailedInWindow: median?.failed ?? 0,
    acknowledgedWrites: acknowledgedWrites.size,
    lostWrites: lostWrites.length,
    acknowledgedRequests: acknowledgedRequests.size,
    eventsInLoki: loki.entries().length,
    duplicatesDroppedByLoki: loki.stats.duplicates,
    missingEvents: missingEvents.length,
  };
  console.log('\nphase           requests  errors  longest gap without a success');
  for (const row of rows) console.log(`${row.phase.padEnd(15)} ${String(row.requests).padStart(8)} ${String(row.errors).padStart(7)}  ${row.longestGapMs} ms`);
  console.log(`\nmaster kills: unavailable ${summary.masterKills.map((kill) => `${kill.unavailableMs} ms`).join(', ')}; median ${summary.medianUnavailableMs} ms, ${summary.medianFailedInWindow} requests failed in that window`);
  console.log(`acknowledged writes: ${summary.acknowledgedWrites}, lost: ${summary.lostWrites}`);
  console.log(`acknowledged requests: ${summary.acknowledgedRequests}, their events missing from Loki: ${summary.missingEvents} (events stored: ${summary.eventsInLoki}, duplicates Loki dropped: ${summary.duplicatesDroppedByLoki})`);
  if (lostWrites.length > 0) console.log(`LOST WRITES: ${lostWrites.slice(0, 20).join(', ')}`);
  if (missingEvents.length > 0) console.log(`MISSING EVENTS: ${missingEvents.slice(0, 20).join(', ')}`);
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`results: ${file}`);
}

/** Starts a bundle with its log appended to .data/resilience/<bundle>.log (for a post-mortem). */
async function startProcess(bundle: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  mkdirSync(logDir, { recursive: true });
  const logFile = openSync(join(logDir, `${bundle.split('/')[1]}.log`), 'a');
  const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', logFile, logFile] });
  await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false), `${bundle} listening`, 20_000);
  return child;
}

function processOnPort(set: SentinelSet, extra: RedisProcess[], port: number): RedisProcess | undefined {
  return [set.master, ...set.replicas, ...extra].find((server) => server.port === port);
}

function countBy(values: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function json(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(text: string): void {
  console.log(`[resilience] ${text}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
