import { AppError } from '../errors/app-error.js';

export interface RoutePattern {
  method: string;
  /** e.g. `/api-keys/{key_id}/rotate`; a `{param}` matches one path segment. */
  path: string;
}

export interface RouteMatch<R> {
  route: R;
  /** Decoded path parameters. */
  params: Record<string, string>;
}

interface Compiled<R> {
  route: R;
  segments: string[];
  params: (string | null)[];
}

/** Matches a method and raw path against routes; static segments win over parameters. 404 and 405 as AppErrors. */
export function createRouter<R extends RoutePattern>(routes: readonly R[]): (method: string, path: string) => RouteMatch<R> {
  const compiled: Compiled<R>[] = routes
    .map((route) => {
      const segments = route.path.split('/').slice(1);
      const params = segments.map((segment) => (segment.startsWith('{') && segment.endsWith('}') ? segment.slice(1, -1) : null));
      return { route, segments, params };
    })
    // A route with fewer parameters first, so `/users/me` beats `/users/{username}`.
    .sort((a, b) => a.params.filter(Boolean).length - b.params.filter(Boolean).length);

  return function match(method, path) {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const parts = trimmed.split('/');
    parts.shift();
    let allowed: Set<string> | undefined;
    for (const candidate of compiled) {
      if (!fits(candidate, parts)) continue;
      if (candidate.route.method !== method) {
        (allowed ??= new Set()).add(candidate.route.method);
        continue;
      }
      return { route: candidate.route, params: decodeParams(candidate, parts) };
    }
    if (allowed) throw new AppError('method_not_allowed', undefined, { headers: { allow: [...allowed].join(', ') } });
    throw new AppError('not_found');
  };
}

function fits<R>(candidate: Compiled<R>, parts: string[]): boolean {
  const { segments, params } = candidate;
  if (segments.length !== parts.length) return false;
  for (let i = 0; i < segments.length; i += 1) {
    if (params[i] ? parts[i] === '' : segments[i] !== parts[i]) return false;
  }
  return true;
}

function decodeParams<R>(candidate: Compiled<R>, parts: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < candidate.params.length; i += 1) {
    const name = candidate.params[i];
    if (!name) continue;
    const part = parts[i] ?? '';
    try {
      // Most parameters hold no escape: no decoding (and no new string) for them.
      params[name] = part.includes('%') ? decodeURIComponent(part) : part;
    } catch {
      throw new AppError('invalid_path', `Path parameter ${name} is not valid percent-encoding`);
    }
  }
  return params;
}
