import { createServer, type Server } from 'node:http';
import type { Services } from '../services.js';
import { expositionContentType } from './exposition.js';

export interface MetricsServer {
  /** Listens on METRICS_HOST:METRICS_PORT; resolves with the port, or null when METRICS_PORT is 0 (off). */
  listen(): Promise<number | null>;
  close(): Promise<void>;
}

/**
 * A deployed function's `GET /metrics`, on a port of its own (SPEC §12): Prometheus's scrapes then
 * never pass Knative's queue-proxy (they would count as traffic and keep a scaled-to-zero function
 * awake), and on OpenFaaS `/function/<name>/metrics` is not served through the gateway. Nothing
 * else is served here. It holds no secrets and no tenant ids (unless METRICS_TENANT_LABELS=true);
 * the NetworkPolicies admit only Prometheus to it.
 */
export function createMetricsServer(services: Services): MetricsServer {
  const { port, host } = services.config.metrics;
  let server: Server | undefined;
  return {
    listen() {
      if (port === 0) return Promise.resolve(null);
      server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
          res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' }).end(path === '/metrics' ? 'method not allowed\n' : 'not found\n');
          return;
        }
        services.metrics.exposition().then(
          (text) => res.writeHead(200, { 'content-type': expositionContentType }).end(req.method === 'HEAD' ? undefined : text),
          (error: Error) => {
            services.logger.error({ error: { message: error.message } }, 'metrics exposition failed');
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
          },
        );
      });
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          const address = listening.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    close() {
      const closing = server;
      if (!closing?.listening) return Promise.resolve();
      return new Promise((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}
