import type { ErrorBody } from './types.js';

/** An answer other than 2xx, with the API's own `detail` as its message. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

export interface Answer<T> {
  body: T;
  headers: Headers;
}

/** Who is calling: the bearer token, and what to do when the service refuses it (expired, revoked). */
export interface Credentials {
  token(): string | null;
  onRefused(detail: string): void;
}

let credentials: Credentials = { token: () => null, onRefused: () => undefined };

/** Set once by the session: every request carries its token, and a 401 ends it. */
export function useCredentials(given: Credentials): void {
  credentials = given;
}

/** One call to keyward's public API on this origin (the console is served beside it). */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const token = credentials.token();
  if (token) headers.authorization = `Bearer ${token}`;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') query.set(name, String(value));
  const url = query.size > 0 ? `${path}?${query.toString()}` : path;

  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network_error', 'keyward could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  const parsed: unknown = text ? parseJson(text) : undefined;
  if (!response.ok) {
    const error = toApiError(response.status, parsed);
    if (response.status === 401 && token) credentials.onRefused(error.message);
    throw error;
  }
  return { body: parsed as T, headers: response.headers };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'detail' in value && 'code' in value;
}

/** The API's `detail`, as a sentence: a validation error's list becomes "body.name: too short; ...". */
function toApiError(status: number, body: unknown): ApiError {
  if (!isErrorBody(body)) return new ApiError(status, 'unexpected', `keyward answered ${status} without an explanation`);
  const detail = typeof body.detail === 'string' ? body.detail : body.detail.map((issue) => `${issue.loc.slice(1).join('.') || issue.loc.join('.')}: ${issue.msg}`).join('; ');
  return new ApiError(status, body.code, detail);
}
