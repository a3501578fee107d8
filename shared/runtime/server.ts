import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import express, { type Express } from 'express';
import { AppError } from '../errors/app-error.js';
import { toErrorResponse } from '../errors/error-response.js';
import type { Services } from '../services.js';
import { hasBody, readBody } from './body.js';
import type { FunctionHandler } from './context.js';
import { respond, type RawRequest, type RawResponse } from './respond.js';

export interface HttpServer {
  server: Server;
  /** The same serving as an express app (node's server calls its one middleware directly). */
  app: Express;
  /** Starts listening on the configured HOST and PORT (0: any free port); resolves with the port. */
  listen(): Promise<number>;
  /** The address it listens on, as a URL to print: `http://127.0.0.1:8080`, `http://[::1]:8080`. */
  url(): string;
  /** Stops taking requests, waits for those in flight (up to the grace period), then resolves. */
  drain(): Promise<void>;
}

/**
 * Serves one handler: every method and path goes through `respond`. The one middleware is mounted on
 * an express app (`app`, for whoever embeds it), but node's server calls it directly: express's
 * router, which would only find that same catch-all, cost ~6 % of a request's CPU (measured).
 */
export function createHttpServer(handler: FunctionHandler, services: Services): HttpServer {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  const bodyLimit = services.config.limits.bodyBytes;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    inFlight += 1;
    try {
      // A request without a body (most reads) goes straight on: no buffer, no extra promise.
      const response = !hasBody(req)
        ? await respond(handler, services, rawRequest(req, null))
        : await readBody(req, bodyLimit).then(
            (body) => respond(handler, services, rawRequest(req, body)),
            // An unread body (refused as too large): this connection ends with the reply.
            (error: unknown) => respond(failing(error), services, rawRequest(req, null)).then(closing),
          );
      write(res, draining ? closing(response) : response, services);
    } catch (error) {
      // respond() answers every error itself: this is a bug of ours, logged, and the client gets a 500.
      writeFallback(res, '', error, services);
    } finally {
      inFlight -= 1;
      if (inFlight === 0 && idle) idle();
    }
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res) => void serve(req, res));
  const server = createServer((req, res) => void serve(req, res));
  server.keepAliveTimeout = 65_000;

  return {
    server,
    app,
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

/** A handler that fails with `error`: a request refused before its handler still gets the one error reply. */
function failing(error: unknown): FunctionHandler {
  return async (_event, context) => context.fail(error);
}

function rawRequest(req: IncomingMessage, body: Buffer | null): RawRequest {
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, remoteAddress: req.socket.remoteAddress ?? '' };
}

function closing(response: RawResponse): RawResponse {
  response.headers.connection = 'close';
  return response;
}

/**
 * The reply in one write, with its Content-Length (not chunked). A reply node refuses to write (a
 * header value a handler got wrong) becomes our 500, never an unhandled rejection.
 */
function write(res: ServerResponse, response: RawResponse, services: Services): void {
  const { status, headers, body } = response;
  // No length on a 204 or 304, which have no body (RFC 9110 §8.6).
  if (status !== 204 && status !== 304) headers['content-length'] = String(Buffer.byteLength(body));
  try {
    res.writeHead(status, headers);
  } catch (error) {
    writeFallback(res, headers['x-request-id'] ?? '', error, services);
    return;
  }
  res.end(body);
}

/** Our 500 `{detail, code, request_id}` when the reply itself could not be written (logged, never the cause's text to the client). */
function writeFallback(res: ServerResponse, requestId: string, error: unknown, services: Services): void {
  services.logger.error({ request_id: requestId, error: { type: error instanceof Error ? error.name : typeof error, message: error instanceof Error ? error.message : '' } }, 'reply not writable');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const fallback = JSON.stringify(toErrorResponse(new AppError('internal_error'), requestId).body);
  res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(fallback)), 'x-request-id': requestId });
  res.end(fallback);
}
