import { ConfigError, loadConfig } from '../config/config.js';
import { closeServices, createServices, type ServiceOverrides, type Services } from '../services.js';
import type { FunctionHandler } from './context.js';
import { createHttpServer } from './server.js';

/**
 * The entry point of one deployed function: config and clients at cold start, express on PORT,
 * and on SIGTERM: stop taking requests, finish those in flight, close Redis, exit.
 */
export function serveFunction(name: string, handler: FunctionHandler, overrides: Pick<ServiceOverrides, 'lokiClient'> = {}): Services {
  const services = startServices(name, overrides);
  const http = createHttpServer(handler, services);
  http.listen().then(
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
