import { ConfigError, loadConfig } from '../config/config.js';
import { serveMetrics } from '../metrics/function-metrics.js';
import { createMetricsServer } from '../metrics/metrics-server.js';
import { redisReady } from '../redis/client.js';
import type { FunctionName } from '../routes.js';
import { primingCodeCache } from './code-cache.js';
import { closeServices, createServices, type ServiceOverrides, type Services } from '../services.js';
import type { FunctionHandler } from './context.js';
import { createHttpServer } from './server.js';

/**
 * The entry point of one deployed function: config and clients at cold start, express on HOST:PORT at
 * once (health: the process is up; readiness, /readyz, follows Redis; a request that needs Redis
 * before it is connected waits in the client's bounded queue), and on SIGTERM: stop taking
 * requests, finish those in flight, close Redis, exit.
 */
export function serveFunction(name: FunctionName, handler: FunctionHandler, overrides: Pick<ServiceOverrides, 'lokiClient'> = {}): void {
  if (primingCodeCache()) return;
  // Cold-start phases, in ms since the process started (logged once listening, and once Redis is ready).
  const startup = { modules_loaded: Math.round(performance.now()), services_built: 0, listening: 0 };
  const services = startServices(name, overrides);
  serveMetrics(services, [name]);
  const http = createHttpServer(handler, services);
  const metrics = createMetricsServer(services);
  startup.services_built = Math.round(performance.now());
  http.listen().then(
    (port) => {
      startup.listening = Math.round(performance.now());
      services.logger.info({ port, url: http.url(), startup_ms: startup }, `${name} listening`);
    },
    (error: Error) => {
      process.stderr.write(`${name}: cannot listen on ${services.config.host} port ${services.config.port}: ${error.message}\n`);
      process.exit(1);
    },
  );
  // Metrics are not worth refusing requests for: a port already taken is logged, and the scrape's `up` shows it.
  metrics.listen().then(
    (port) => port !== null && services.logger.info({ port, host: services.config.metrics.host }, `${name} metrics on /metrics`),
    (error: Error) => services.logger.error({ error: { message: error.message } }, `${name}: cannot serve metrics on ${services.config.metrics.host} port ${services.config.metrics.port}`),
  );
  redisReady(services.redis, redisReadyLogAfterMs).then(
    () => services.logger.info({ redis_ready_ms: Math.round(performance.now()) }, 'redis ready'),
    (error: Error) => services.logger.warn({ error: { message: error.message } }, 'redis not ready yet'),
  );
  exitOnSignal(services, async () => {
    await http.drain();
    await metrics.close();
  });
}

/** How long after start a Redis still not ready is worth a warning. */
const redisReadyLogAfterMs = 5000;

/** Loads the config and builds the clients, or exits with the config's complaint. */
export function startServices(name: string, overrides: Pick<ServiceOverrides, 'lokiClient'> = {}): Services {
  try {
    return createServices(name, loadConfig(), overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** On SIGTERM or SIGINT: run `stop` (drain), close the clients, exit 0. */
export function exitOnSignal(services: Services, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    services.logger.info({ signal }, 'draining');
    stop()
      .then(() => closeServices(services))
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
