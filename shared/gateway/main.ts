import { resolve } from 'node:path';
import cron from 'node-cron';
import { operationsByFunction } from '../../functions/operations.js';
import { triggerOffload } from '../audit/offload-trigger.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { createLokiClient } from '../loki/loki-client.js';
import { serveMetrics } from '../metrics/function-metrics.js';
import { buildOpenApiDocument } from '../openapi/document.js';
import { exitOnSignal } from '../runtime/serve-function.js';
import { createHttpServer } from '../runtime/server.js';
import { redisReady } from '../redis/client.js';
import { createServices } from '../services.js';
import { primingCodeCache } from '../runtime/code-cache.js';
import { createDemoTenantIfEmpty } from './demo-tenant.js';
import { createGatewayHandler } from './gateway-handler.js';
import { findRedis, NoRedisError } from './redis-discovery.js';

/** `npm start`: every function in one process on HOST:PORT, Redis found or started, the offload on a timer. */
async function main(): Promise<void> {
  const dataDir = resolve(process.env.KEYWARD_DATA_DIR ?? '.data');
  const redis = await findRedis(process.env, dataDir, { start: true });
  const config = loadConfig({ env: { ...process.env, ...redis.env } });
  const services = createServices('gateway', config, { lokiClient: createLokiClient });
  // Every function's series, served combined at GET /metrics on PORT (the gateway has no METRICS_PORT).
  serveMetrics(services);
  const operations = Object.values(operationsByFunction).flat();
  const openApi = buildOpenApiDocument(operations, { version: process.env.npm_package_version ?? '0.0.0' });
  const http = createHttpServer(createGatewayHandler(operationsByFunction, openApi), services);

  await redisReady(services.redis, 10_000);
  const demo = await createDemoTenantIfEmpty(services);
  const schedule = process.env.AUDIT_OFFLOAD_SCHEDULE ?? '*/10 * * * * *';
  // The timer is one more trigger: coalesced with POST /function/audit-offload/ (and other gateways on this Redis).
  const offload = cron.schedule(schedule, async () => {
    try {
      await triggerOffload(services);
    } catch (error) {
      services.logger.warn({ err: { message: (error as Error).message } }, 'audit offload failed; retried on the next run');
    }
  }, { noOverlap: true });

  await http.listen();
  // The address it really listens on (HOST), and the Redis URL without its password (redis-discovery masks it).
  const base = http.url();
  const lines = [
    `keyward gateway on ${base}  (Redis: ${redis.url}, ${redis.how})`,
    `audit trail: ${services.auditSink.kind === 'loki' ? `Loki at ${services.auditSink.location}` : `${services.auditSink.location}/<tenant>.jsonl`}   OpenAPI: ${base}/openapi.json`,
  ];
  if (demo) {
    lines.push(
      '',
      'Created the demo tenant. Its admin credentials are shown this once:',
      `  tenant:   ${demo.tenantId}`,
      `  username: ${demo.username}`,
      `  password: ${demo.password}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  exitOnSignal(services, async () => {
    await offload.stop();
    await http.drain();
    redis.child?.kill('SIGTERM');
  });
}

if (!primingCodeCache()) main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof NoRedisError) {
    process.stderr.write(`keyward: ${error.message}\n`);
  } else {
    process.stderr.write(`keyward: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
