// The audit offload over many tenants: 2 events in each shipped by one run (or as many as it takes),
// then a run with nothing pending, on a Redis of its own, to the Loki stand-in. The run is the real
// one (shared/audit/offload.ts) in this process; the report's size is its JSON's.
import { Redis } from 'ioredis';
import { offloadAudit, type OffloadReport } from '../../shared/audit/offload.js';
import { loadConfig } from '../../shared/config/config.js';
import { createLokiClient } from '../../shared/loki/loki-client.js';
import { globalKeys, tenantKeys } from '../../shared/redis/keys.js';
import { createServices } from '../../shared/services.js';
import { startLokiStandIn } from '../support/loki-stand-in.js';
import { startRedisServer } from '../support/redis-server.js';
import { functionEnv } from './processes.js';

export interface OffloadScale {
  tenants: number;
  /** A run with no event pending, ms. */
  idleRunMs: number;
  /** Shipping every tenant's 2 events (runs back to back until none is pending), s. */
  shipSeconds: number;
  /** The larger run report's JSON, bytes. */
  reportBytes: number;
}

const eventsPerTenant = 2;

export async function measureOffloadScale(options: { quick: boolean; log?: (line: string) => void }): Promise<OffloadScale> {
  const tenants = options.quick ? 2_000 : 10_000;
  const redis = await startRedisServer();
  const loki = await startLokiStandIn({ rateLimit: null });
  const client = new Redis(redis.url);
  // The survey of every tenant is tens of thousands of commands at once: on a loaded bench machine they
  // may outlast the default 1 s command timeout, and this figure is the time taken, not that timeout.
  const env = { ...functionEnv({ REDIS_URL: redis.url }), LOKI_URL: loki.url, AUDIT_MIN_RUN_INTERVAL_MS: '0', REDIS_COMMAND_TIMEOUT_MS: '10000' };
  const services = createServices('audit-offload', loadConfig({ env }), { lokiClient: createLokiClient });
  try {
    await seedEvents(client, tenants);
    options.log?.(`offload scale: ${tenants} tenants seeded with ${eventsPerTenant} events each`);
    const reports: OffloadReport[] = [];
    const began = performance.now();
    for (let run = 0; run < 20; run += 1) {
      const report = await offloadAudit(services);
      reports.push(report);
      if (report.backlog === 0) break;
    }
    const shipSeconds = (performance.now() - began) / 1000;
    const shipped = reports.reduce((sum, report) => sum + report.shipped, 0);
    if (shipped < tenants * eventsPerTenant) throw new Error(`offload scale: ${shipped} of ${tenants * eventsPerTenant} events shipped in ${reports.length} runs`);
    const idleBegan = performance.now();
    const idle = await offloadAudit(services);
    const idleRunMs = performance.now() - idleBegan;
    const reportBytes = Math.max(...[...reports, idle].map((report) => Buffer.byteLength(JSON.stringify(report))));
    const result = { tenants, idleRunMs: Math.round(idleRunMs), shipSeconds: Math.round(shipSeconds * 100) / 100, reportBytes };
    options.log?.(`offload scale: ${JSON.stringify(result)} (${reports.length} run(s) to ship)`);
    return result;
  } finally {
    services.redis.disconnect();
    client.disconnect();
    await loki.close();
    await redis.stop();
  }
}

/** Straight XADDs in the layout the scripts write (field `event`, the event's JSON), and the tenant list. */
async function seedEvents(client: Redis, tenants: number): Promise<void> {
  for (let from = 0; from < tenants; from += 1000) {
    const pipeline = client.pipeline();
    for (let i = from; i < Math.min(tenants, from + 1000); i += 1) {
      const tenantId = `bench-scale-${i}`;
      pipeline.sadd(globalKeys.tenants, tenantId);
      for (let n = 0; n < eventsPerTenant; n += 1) {
        const event = { timestamp: new Date(Date.now() - 60_000 + n).toISOString(), tenant_id: tenantId, request_id: `r-${i}-${n}`, actor: { type: 'user', id: 'bench' }, action: 'get_key', outcome: 'success', key: `k-${n}` };
        pipeline.xadd(tenantKeys(tenantId).audit, '*', 'event', JSON.stringify(event));
      }
    }
    await pipeline.exec();
  }
}
