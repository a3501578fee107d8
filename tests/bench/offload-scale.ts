// The offload's cost as the tenant count grows (issue 15): a run with nothing pending, a run shipping
// two events of every tenant to the Loki stand-in, and the size of a run's report when every tenant
// fails. Its own Redis and stand-in; events are written by the real scripts (record-event), so the
// tenants are marked pending as requests mark them.
// Alone: `npx tsx tests/bench/offload-scale.ts [--quick]` (it registers ./lua-loader.mjs itself, and
// loads the service's modules after it); run.ts imports it after registering the loader.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemCaller } from '../../shared/auth/caller.js';
import type { Services } from '../../shared/services.js';
import { startLokiStandIn, type LokiStandIn } from '../support/loki-stand-in.js';
import { startRedisServer, type RedisProcess } from '../support/redis-server.js';

export interface OffloadScale {
  tenants: number;
  /** One run with nothing pending (median of 5), ms. */
  idleRunMs: number;
  /** Two events of every tenant, from the first run's start until nothing is left, s. */
  shipSeconds: number;
  /** The largest report (JSON) of the shipping run and of a run in which every tenant's push fails, bytes. */
  reportBytes: number;
}

/** Measures the offload over 10,000 tenants (2,000 when `quick`). Starts and stops its own Redis and Loki stand-in. */
export async function measureOffloadScale(options: { quick: boolean; log?: (line: string) => void }): Promise<OffloadScale> {
  const log = options.log ?? (() => undefined);
  const tenants = options.quick ? 2000 : 10_000;
  const redis = await startRedisServer();
  const loki = await startLokiStandIn();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-offload-scale-'));
  const opened: Services[] = [];
  try {
    const { closeServices } = await import('../../shared/services.js');
    const open = async (env: Record<string, string> = {}) => {
      const services = await benchServices(redis, loki, dir, env);
      opened.push(services);
      return services;
    };
    const services = await open();
    const { offloadAudit } = await import('../../shared/audit/offload.js');
    const ids = Array.from({ length: tenants }, (_, i) => `scale-${i.toString(36).padStart(4, '0')}`);
    await services.redis.sadd('kw:tenants', ...ids);

    // Every tenant has had events (shipped since): the state an idle run meets.
    await writeEvents(services, ids, 1);
    const first = performance.now();
    await drain(services, offloadAudit);
    log(`offload-scale: ${tenants} tenants, first run (survey + 1 event each) ${((performance.now() - first) / 1000).toFixed(2)} s`);

    const idle: number[] = [];
    for (let run = 0; run < 5; run += 1) {
      const started = performance.now();
      await offloadAudit(services);
      idle.push(performance.now() - started);
    }
    const idleRunMs = median(idle);
    log(`offload-scale: idle run ${idle.map((ms) => ms.toFixed(1)).join(' / ')} ms (median ${idleRunMs.toFixed(1)})`);

    await writeEvents(services, ids, 2);
    const accepted = loki.stats.accepted;
    const shipStart = performance.now();
    const cpuStart = process.cpuUsage();
    const reports = await drain(services, offloadAudit);
    const shipSeconds = (performance.now() - shipStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const shipped = loki.stats.accepted - accepted;
    if (shipped !== tenants * 2) throw new Error(`expected ${tenants * 2} events at the stand-in, got ${shipped}`);
    const shipReport = Math.max(...reports.map((report) => Buffer.byteLength(JSON.stringify(report))));
    // CPU of this process (the offload and the stand-in both): steadier than the wall time on a shared machine.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    log(`offload-scale: ${tenants * 2} events of ${tenants} tenants shipped in ${shipSeconds.toFixed(2)} s, ${cpuSeconds.toFixed(2)} s CPU (${reports.length} run(s)); report ${shipReport} B`);

    // Every push fails at once (503, one attempt): every tenant is stopped, each a candidate for the report.
    const failing = await open({ AUDIT_PUSH_ATTEMPTS: '1' });
    await writeEvents(services, ids, 1);
    loki.fault = { kind: 'status', status: 503 };
    const failed = await offloadAudit(failing);
    loki.fault = { kind: 'none' };
    const failedReport = Buffer.byteLength(JSON.stringify(failed));
    log(`offload-scale: a run where every push fails: ${failed.tenants_stopped} tenants stopped, report ${failedReport} B (${Object.keys(failed.tenants).length} named, ${failed.omitted} omitted)`);

    for (const one of opened.splice(0)) await closeServices(one);
    return { tenants, idleRunMs, shipSeconds, reportBytes: Math.max(shipReport, failedReport) };
  } finally {
    const { closeServices } = await import('../../shared/services.js');
    for (const one of opened) await closeServices(one).catch(() => undefined);
    await loki.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchServices(redis: RedisProcess, loki: LokiStandIn, dir: string, env: Record<string, string>): Promise<Services> {
  const { loadConfig } = await import('../../shared/config/config.js');
  const { createLogger } = await import('../../shared/logging/logger.js');
  const { createAuditSink, createServices } = await import('../../shared/services.js');
  const { createLokiClient } = await import('../../shared/loki/loki-client.js');
  const { redisReady } = await import('../../shared/redis/client.js');
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      REDIS_URL: redis.url,
      LOKI_URL: loki.url,
      JWT_SIGNING_KEYS: 'bench-1:0123456789abcdef0123456789abcdef',
      API_KEY_PEPPER: 'pepper-0123456789abcdef0123456789',
      KEYWARD_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      AUDIT_MIN_RUN_INTERVAL_MS: '0',
      // A loaded machine (the bench shares it) must not turn a slow reply into a failed write.
      REDIS_COMMAND_TIMEOUT_MS: '10000',
      ...env,
    },
    secretsDir: '/nonexistent',
  });
  // The run's log line is written (and so costs what it costs in production), to nowhere.
  const logger = createLogger({ level: config.logLevel, name: 'bench', destination: { write: () => undefined } });
  const services = createServices('bench', config, { logger });
  services.auditSink = createAuditSink(config, createLokiClient);
  await redisReady(services.redis, 5000);
  return services;
}

/** `perTenant` events of every tenant, each by the record-event script as a request writes one. */
async function writeEvents(services: Services, ids: readonly string[], perTenant: number): Promise<void> {
  const { recordEvent } = await import('../../shared/operations/run-operation.js');
  const chunk = 500;
  for (let start = 0; start < ids.length; start += chunk) {
    await Promise.all(
      ids.slice(start, start + chunk).flatMap((tenantId) =>
        Array.from({ length: perTenant }, (_, n) => recordEvent(services, { caller: systemCaller(tenantId, 'bench'), action: 'get_key', scope: null, requestId: `bench-${tenantId}-${n}` }, 'success')),
      ),
    );
  }
}

async function drain<R extends { backlog: number }>(services: Services, run: (services: Services) => Promise<R>, maxRuns = 10): Promise<R[]> {
  const reports: R[] = [];
  for (let i = 0; i < maxRuns; i += 1) {
    const report = await run(services);
    reports.push(report);
    if (report.backlog === 0) return reports;
  }
  throw new Error(`backlog left after ${maxRuns} runs`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { register } = await import('node:module');
  register('./lua-loader.mjs', import.meta.url);
  const result = await measureOffloadScale({ quick: process.argv.includes('--quick'), log: (line) => console.log(line) });
  console.log(JSON.stringify(result));
}
