import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../errors/app-error.js';
import { toErrorResponse } from '../errors/error-response.js';
import { isRedisUnavailable } from '../redis/errors.js';
import type { Services } from '../services.js';
import { parseBody } from './body.js';
import { FunctionContext, type FunctionHandler } from './context.js';
import type { FunctionEvent } from './event.js';
import { healthCheckFor } from './health.js';
import { requestIdFrom } from './request-id.js';

export interface RawRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer | null;
  remoteAddress: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const jsonType = 'application/json; charset=utf-8';

/**
 * The whole request cycle without a socket: health, body, the handler, and every error turned into
 * `{detail, code, request_id}` with its status. The express server and in-process tests both call it.
 */
export async function respond(handler: FunctionHandler, services: Services, raw: RawRequest): Promise<RawResponse> {
  const requestId = requestIdFrom(firstValue(raw.headers['x-request-id']));
  const startedAt = performance.now();
  const context = new FunctionContext(services, requestId);
  let response: RawResponse;
  try {
    response = await run(handler, services, raw, context);
  } catch (error) {
    response = errorResponse(services, error, requestId);
  }
  response.headers['x-request-id'] = requestId;
  const elapsedMs = performance.now() - startedAt;
  // By the route's id (or "none"), never the raw path: the series stay bounded (SPEC §12).
  if (context.metered) services.metrics.requests.record(context.route, raw.method, response.status, elapsedMs / 1000);
  const { logger } = services;
  if (logger.isLevelEnabled('debug')) {
    const path = raw.url.split('?')[0];
    logger.debug({ request_id: requestId, method: raw.method, path, status: response.status, ms: Math.round(elapsedMs) }, 'request');
  }
  return response;
}

async function run(handler: FunctionHandler, services: Services, raw: RawRequest, context: FunctionContext): Promise<RawResponse> {
  const queryStart = raw.url.indexOf('?');
  const path = queryStart === -1 ? raw.url : raw.url.slice(0, queryStart);
  // Before the body is parsed: a probe is answered whatever else it sends.
  const health = healthCheckFor(raw.method, path);
  if (health) {
    context.metered = false;
    return json(200, await health(services));
  }

  if (raw.body && raw.body.length > services.config.limits.bodyBytes) throw new AppError('body_too_large');
  const event: FunctionEvent = {
    body: parseBody(firstValue(raw.headers['content-type']), raw.body),
    headers: flattenHeaders(raw.headers),
    method: raw.method,
    query: queryStart === -1 ? {} : parseQuery(raw.url.slice(queryStart + 1)),
    path,
    remoteAddress: clientAddress(raw, services.config.http.trustedProxyHops),
  };
  await handler(event, context);
  const result = context.result;
  if (!result) throw new Error('handler returned without succeed() or fail()');
  if (result.kind === 'fail') throw result.error;
  const status = context.status();
  // The context is this request's alone: its headers become the reply's without a copy.
  const headers = context.headers();
  if (result.value === undefined || status === 204) return { status, headers, body: '' };
  headers['content-type'] ??= jsonType;
  return { status, headers, body: typeof result.value === 'string' ? result.value : JSON.stringify(result.value) };
}

function errorResponse(services: Services, error: unknown, requestId: string): RawResponse {
  const known = error instanceof AppError ? error : isRedisUnavailable(error) ? new AppError('redis_unavailable', undefined, { cause: error }) : error;
  const { status, headers, body } = toErrorResponse(known, requestId);
  if (status >= 500) {
    const cause = known instanceof AppError ? known.cause : known;
    // Not under `err`: pino's error serializer would copy every field of a dependency's error.
    services.logger.error({ request_id: requestId, code: body.code, error: describe(cause) }, 'request failed');
  }
  return { status, headers: { ...headers, 'content-type': jsonType }, body: JSON.stringify(body) };
}

/** Name, message and stack only: never a request's data. */
function describe(error: unknown): Record<string, unknown> | undefined {
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack };
  return error === undefined ? undefined : { type: typeof error };
}

function json(status: number, value: unknown): RawResponse {
  return { status, headers: { 'content-type': jsonType }, body: JSON.stringify(value) };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const name in headers) {
    const value = headers[name];
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function parseQuery(text: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) if (!Object.hasOwn(query, name)) query[name] = value;
  return query;
}

/** The socket's address, or with N trusted proxies in front the address the outermost of them saw. */
function clientAddress(raw: RawRequest, trustedHops: number): string {
  if (trustedHops === 0) return raw.remoteAddress;
  const forwarded = firstValue(raw.headers['x-forwarded-for']);
  if (!forwarded) return raw.remoteAddress;
  const hops = forwarded.split(',').map((part) => part.trim());
  return hops[Math.max(0, hops.length - trustedHops)] ?? raw.remoteAddress;
}
