import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AxiosInstance } from 'axios';
import type { Config } from '../config/config.js';

/** A push's answer: 2xx, or the status (null when no answer came: refused, reset, timed out) and Loki's text. */
export type LokiPushResult = { ok: true; status: number } | { ok: false; status: number | null; reason: string; retryAfterMs?: number };

/** One stream of a `query_range` answer: its labels and `[ns timestamp, line]` pairs. */
export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}

export interface LokiRangeQuery {
  /** LogQL. */
  query: string;
  /** Nanoseconds, inclusive. */
  start: string;
  /** Nanoseconds, exclusive. */
  end: string;
  limit: number;
  direction: 'forward' | 'backward';
}

/** Thrown by queryRange when Loki cannot answer; never carries credentials. */
export class LokiQueryError extends Error {
  override name = 'LokiQueryError';
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

/** Loki's HTTP API as keyward uses it: push (JSON) and query_range, each request in one tenant's org. */
export interface LokiClient {
  push(orgId: string, body: string): Promise<LokiPushResult>;
  queryRange(orgId: string, query: LokiRangeQuery): Promise<LokiStream[]>;
}

const maxReasonLength = 2000;

/** One client per process (keep-alive sockets shared by every push), built in the composition root. */
export function createLokiClient(config: NonNullable<Config['loki']>): LokiClient {
  const headers: Record<string, string> = {};
  if (config.auth.kind === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password}`).toString('base64')}`;
  } else if (config.auth.kind === 'bearer') {
    headers.authorization = `Bearer ${config.auth.token}`;
  }
  // axios is loaded on the first request, not at cold start (a function's health check does not need it).
  let client: Promise<AxiosInstance> | undefined;
  const http = () => (client ??= import('axios').then(({ default: axios }) => createAxios(axios, config, headers)));

  return {
    async push(orgId, body) {
      try {
        const response = await (await http()).post('/loki/api/v1/push', body, {
          headers: { 'content-type': 'application/json', 'x-scope-orgid': orgId },
          signal: AbortSignal.timeout(config.timeoutMs),
        });
        if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
        const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
        return { ok: false, status: response.status, reason: reasonOf(response.data, response.status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
      } catch (error) {
        return { ok: false, status: null, reason: transportReason(error) };
      }
    },
    async queryRange(orgId, query) {
      let response;
      try {
        response = await (await http()).get('/loki/api/v1/query_range', {
          headers: { 'x-scope-orgid': orgId },
          params: { query: query.query, start: query.start, end: query.end, limit: query.limit, direction: query.direction },
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch (error) {
        throw new LokiQueryError(null, transportReason(error));
      }
      if (response.status !== 200) throw new LokiQueryError(response.status, reasonOf(response.data, response.status));
      let parsed: { status?: unknown; data?: { resultType?: unknown; result?: unknown } };
      try {
        parsed = JSON.parse(String(response.data)) as typeof parsed;
      } catch {
        throw new LokiQueryError(response.status, 'query_range answered something that is not JSON');
      }
      if (parsed.status !== 'success' || parsed.data?.resultType !== 'streams' || !Array.isArray(parsed.data.result)) {
        throw new LokiQueryError(response.status, 'query_range answered without a streams result');
      }
      return parsed.data.result as LokiStream[];
    },
  };
}

/** The one axios instance of the Loki client; `timeout` is axios's idle timeout, each request's abort signal bounds its total time. */
function createAxios(axios: typeof import('axios').default, config: NonNullable<Config['loki']>, headers: Record<string, string>): AxiosInstance {
  return axios.create({
    baseURL: config.url,
    timeout: config.timeoutMs,
    headers,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    maxRedirects: 0,
    maxBodyLength: Number.POSITIVE_INFINITY,
    maxContentLength: 64 * 1024 * 1024,
    responseType: 'text',
    // Every status is an answer to interpret here, never an exception; and text stays text.
    validateStatus: () => true,
    transformResponse: [(data: unknown) => data],
  });
}

/** axios marks its errors (checked by shape: axios itself loads only on first use). */
function isAxiosError(error: unknown): error is Error & { code?: string } {
  return error instanceof Error && (error as { isAxiosError?: unknown }).isAxiosError === true;
}

function reasonOf(data: unknown, status: number): string {
  const text = typeof data === 'string' ? data.trim() : '';
  return (text || `HTTP ${status}`).slice(0, maxReasonLength);
}

/** What went wrong on the wire: the error code and axios's message (no URL credentials, no headers). */
function transportReason(error: unknown): string {
  if (isAxiosError(error)) return `${error.code ?? 'ERROR'}: ${error.message}`.slice(0, maxReasonLength);
  return error instanceof Error ? error.message.slice(0, maxReasonLength) : 'request failed';
}

/** `Retry-After` as seconds or an HTTP date, in ms. */
function parseRetryAfter(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
