import { ConfigError, loadConfig } from '../config/config.js';
import { redisReady } from '../redis/client.js';
import { closeServices, createServices, type ServiceOverrides, type Services } from '../services.js';
import type { FunctionHandler } from './context.js';
import { createHttpServer } from './server.js';

/** How long a cold start waits for Redis before listening anyway (then /readyz answers 503 until it comes). */
const redisWaitAtStartMs = 5000;

/**
 * The entry point of one deployed function: config and clients at cold start, express on PORT once
 * Redis is connected and its replicas counted (so the first write already waits for one), and on
 * SIGTERM: stop taking requests, finish those in flight, close Redis, exit.
 */
export function serveFunction(name: string, handler: FunctionHandler, overrides: Pick<ServiceOverrides, 'lokiClient'> = {}): Services {
  const services = startServices(name, overrides);
  const http = createHttpServer(handler, services);
  redisReady(services.redis, redisWaitAtStartMs)
    .catch((error: Error) => services.logger.warn({ error: { message: error.message } }, 'listening before Redis is ready'))
    .then(() => http.listen())
    .then(
    (port) => services.logger.info({ port }, `${name} listening`),
    (error: Error) => {
      process.stderr.write(`${name}: cannot listen on port ${services.config.port}: ${error.message}\n`);
      process.exit(1);
    },
  );
  exitOnSignal(services, () => http.drain());
  return services;
}

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
