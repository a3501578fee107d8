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
    const parts = trimmed.split('/').slice(1);
    const allowed = new Set<string>();
    for (const candidate of compiled) {
      if (!fits(candidate, parts)) continue;
      if (candidate.route.method !== method) {
        allowed.add(candidate.route.method);
        continue;
      }
      return { route: candidate.route, params: decodeParams(candidate, parts) };
    }
    if (allowed.size > 0) throw new AppError('method_not_allowed', undefined, { headers: { allow: [...allowed].join(', ') } });
    throw new AppError('not_found');
  };
}

function fits<R>(candidate: Compiled<R>, parts: string[]): boolean {
  if (candidate.segments.length !== parts.length) return false;
  return candidate.segments.every((segment, i) => (candidate.params[i] ? parts[i] !== '' : segment === parts[i]));
}

function decodeParams<R>(candidate: Compiled<R>, parts: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  candidate.params.forEach((name, i) => {
    if (!name) return;
    try {
      params[name] = decodeURIComponent(parts[i] ?? '');
    } catch {
      throw new AppError('invalid_path', `Path parameter ${name} is not valid percent-encoding`);
    }
  });
  return params;
}
