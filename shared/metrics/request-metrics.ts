import { routes, type RouteSpec } from '../routes.js';
import { series } from './catalogue.js';
import { CounterFamily, HistogramFamily, type CounterCell, type FamilySet, type HistogramCell } from './cells.js';

/** keyward_http_requests_total and keyward_http_request_duration_seconds. */
export interface RequestMetrics {
  /**
   * One answered request. `route`: the route table's row that served it; undefined when none matched
   * (404, 405, a body refused before routing), recorded as route "none" of this process.
   */
  record(route: RouteSpec | undefined, method: string, status: number, seconds: number): void;
  /** Makes the series of a function's routes before its first request, so their latency starts at zero. */
  serve(fn: string): void;
}

/** The route label of a request no route matched. */
export const unmatchedRoute = 'none';

/**
 * The 5xx keyward answers (internal_error, a dependency unavailable), made at 0 for every route: a
 * series that appears with its first increment hides that increment from rate(), and in a
 * short-lived pod that could be most of its errors (the error-rate alert divides by these).
 */
const seededStatuses = [500, 503];

/** A method outside these (anything Node's parser accepts) is counted as "other": the label stays bounded. */
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface Families {
  requests: CounterFamily;
  duration: HistogramFamily;
}

/** What one route (or the unmatched requests of one method) records into, found once and kept. */
interface RouteCells {
  families: Families;
  labels: { function: string; route: string; method: string };
  statuses: Map<number, CounterCell>;
  duration: HistogramCell;
}

/**
 * Request series, each in the registry of the function that owns the route (`registryOf`), so
 * the local gateway keeps one registry per function. A request costs two map lookups and a few
 * additions; label strings are built only the first time a route answers with a given status.
 */
export function createRequestMetrics(processName: string, registryOf: (name: string) => FamilySet): RequestMetrics {
  const families = new Map<string, Families>();
  const byRoute = new Map<string, RouteCells>();
  const unmatched = new Map<string, RouteCells>();
  let unmatchedDuration: HistogramCell | undefined;

  const familiesOf = (fn: string): Families => {
    const known = families.get(fn);
    if (known) return known;
    const made = { requests: new CounterFamily(series.httpRequests), duration: new HistogramFamily(series.httpDuration) };
    registryOf(fn).add(made.requests, made.duration);
    families.set(fn, made);
    return made;
  };

  const routeCells = (route: RouteSpec): RouteCells => {
    const known = byRoute.get(route.id);
    if (known) return known;
    const own = familiesOf(route.fn);
    const cells: RouteCells = { families: own, labels: { function: route.fn, route: route.id, method: route.method }, statuses: new Map(), duration: own.duration.cell({ function: route.fn, route: route.id }) };
    byRoute.set(route.id, cells);
    return cells;
  };

  const unmatchedCells = (rawMethod: string): RouteCells => {
    const method = knownMethods.has(rawMethod) ? rawMethod : 'other';
    const known = unmatched.get(method);
    if (known) return known;
    const own = familiesOf(processName);
    unmatchedDuration ??= own.duration.cell({ function: processName, route: unmatchedRoute });
    const cells: RouteCells = { families: own, labels: { function: processName, route: unmatchedRoute, method }, statuses: new Map(), duration: unmatchedDuration };
    unmatched.set(method, cells);
    return cells;
  };

  const statusCell = (cells: RouteCells, status: number): CounterCell => {
    let counter = cells.statuses.get(status);
    if (!counter) {
      counter = cells.families.requests.cell({ ...cells.labels, status: String(status) });
      cells.statuses.set(status, counter);
    }
    return counter;
  };

  return {
    record(route, method, status, seconds) {
      const cells = route ? routeCells(route) : unmatchedCells(method);
      statusCell(cells, status).inc();
      cells.duration.observe(seconds);
    },
    serve(fn) {
      familiesOf(fn);
      for (const route of routes) {
        if (route.fn !== fn) continue;
        const cells = routeCells(route);
        for (const status of seededStatuses) statusCell(cells, status);
      }
    },
  };
}
