import { createServer, type Server } from 'node:http';
import { isIPv6 } from 'node:net';
import express from 'express';
import type { Services } from '../services.js';
import { readBody } from './body.js';
import type { FunctionHandler } from './context.js';
import { respond } from './respond.js';

export interface HttpServer {
  server: Server;
  /** Starts listening on the configured HOST and PORT (0: any free port); resolves with the port. */
  listen(): Promise<number>;
  /** The address it listens on, as a URL to print: `http://127.0.0.1:8080`, `http://[::1]:8080`. */
  url(): string;
  /** Stops taking requests, waits for those in flight (up to the grace period), then resolves. */
  drain(): Promise<void>;
}

/** Serves one handler over express: every method and path goes through `respond`. */
export function createHttpServer(handler: FunctionHandler, services: Services): HttpServer {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;

  app.use(async function serve(req, res) {
    inFlight += 1;
    try {
      let body: Buffer | null = null;
      let bodyError: unknown;
      try {
        body = await readBody(req, services.config.limits.bodyBytes);
      } catch (error) {
        bodyError = error;
      }
      const failing: FunctionHandler = async (_event, context) => context.fail(bodyError);
      const response = await respond(bodyError ? failing : handler, services, {
        method: req.method,
        url: req.originalUrl,
        headers: req.headers,
        body,
        remoteAddress: req.socket.remoteAddress ?? '',
      });
      // An unread body (refused as too large) or a draining server: this connection ends with the reply.
      if (bodyError !== undefined || draining) response.headers.connection = 'close';
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    } finally {
      inFlight -= 1;
      if (inFlight === 0 && idle) idle();
    }
  });

  const server = createServer(app);
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        // HOST, loopback unless configured (SPEC §2): without it Node would take every interface.
        server.listen(services.config.port, services.config.host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : services.config.port);
        });
      });
    },
    url() {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
      return `http://${isIPv6(address.address) ? `[${address.address}]` : address.address}:${address.port}`;
    },
    drain() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const finished = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      const grace = new Promise<void>((resolve) => setTimeout(resolve, services.config.http.shutdownGraceMs).unref());
      return Promise.race([Promise.all([closed, finished]).then(() => undefined), grace]).then(() => {
        server.closeAllConnections();
      });
    },
  };
}
