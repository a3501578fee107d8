// Audit offload throughput: events over 10 tenants shipped by the audit-offload bundle (its own
// process) to the Loki stand-in, on a Redis of its own (the load scenarios leave a backlog in theirs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { globalKeys, tenantKeys } from '../../shared/redis/keys.js';
import { startLokiStandIn } from '../support/loki-stand-in.js';
import { startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/redis-topologies.js';
import { functionEnv } from './processes.js';

export interface OffloadThroughput {
  events: number;
  tenants: number;
  eventsPerSecond: number;
  peakRssMiB: number;
}

const tenantCount = 10;

export async function measureOffloadThroughput(events: number, log: (line: string) => void): Promise<OffloadThroughput> {
  const redis = await startRedisServer();
  const loki = await startLokiStandIn({ rateLimit: null });
  const client = new Redis(redis.url);
  const tenants = Array.from({ length: tenantCount }, (_, i) => `bench-offload-${i}`);
  await client.sadd(globalKeys.tenants, ...tenants);
  for (const tenantId of tenants) {
    const stream = tenantKeys(tenantId).audit;
    for (let written = 0; written < events / tenantCount; written += 1000) {
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
    env: { ...functionEnv({ REDIS_URL: redis.url }), PORT: String(port), METRICS_PORT: String(await freePort()), LOKI_URL: loki.url, AUDIT_MIN_RUN_INTERVAL_MS: '0' },
    stdio: 'ignore',
  });
  try {
    await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false), 'offload listening', 20_000);
    const begun = performance.now();
    while (loki.entries().length < events) await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' });
    const seconds = (performance.now() - begun) / 1000;
    const result = { events, tenants: tenantCount, eventsPerSecond: Math.round(events / seconds), peakRssMiB: peakRss(child.pid ?? 0) };
    log(`offload: ${result.eventsPerSecond} events/s, peak RSS ${result.peakRssMiB} MiB`);
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
