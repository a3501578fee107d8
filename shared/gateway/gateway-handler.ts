import { expositionContentType } from '../metrics/exposition.js';
import type { Operation } from '../runtime/operation.js';
import { createFunctionHandler } from '../runtime/function-handler.js';
import type { FunctionHandler } from '../runtime/context.js';
import { healthCheckFor } from '../runtime/health.js';
import type { FunctionName } from '../routes.js';

/**
 * One process serving every function as an OpenFaaS gateway would: the public paths of the route
 * table, and `/function/<name>/<path>` passed to that function with the prefix removed, health
 * (`/function/<name>/healthz`, `/readyz`) included: a deployed function answers it before routing.
 * Plus `GET /metrics`, every function's series combined (SPEC §12): a deployed function serves its
 * own on METRICS_PORT only, so `/function/<name>/metrics` is a 404 here as there.
 */
export function createGatewayHandler(operationsByFunction: Record<FunctionName, readonly Operation[]>, openApi: unknown): FunctionHandler {
  const all = Object.values(operationsByFunction).flat();
  const publicHandler = createFunctionHandler(all.filter((operation) => operation.route.public));
  const byFunction = new Map(Object.entries(operationsByFunction).map(([name, operations]) => [name, createFunctionHandler(operations)]));
  const openApiText = JSON.stringify(openApi);

  return async function gateway(event, context) {
    if (event.method === 'GET' && event.path === '/openapi.json') return context.status(200).succeed(openApiText);
    if (event.method === 'GET' && event.path === '/metrics') {
      // A scrape is not traffic: it is not counted among the requests it reports.
      context.metered = false;
      return context.headers({ 'content-type': expositionContentType }).succeed(await context.services.metrics.exposition());
    }
    const prefixed = /^\/function\/([a-z0-9-]+)(\/.*)?$/.exec(event.path);
    if (prefixed) {
      const handler = byFunction.get(prefixed[1] ?? '');
      const path = prefixed[2] ?? '/';
      const health = healthCheckFor(event.method, path);
      if (handler && health) {
        context.metered = false;
        return context.succeed(await health(context.services));
      }
      if (handler) return handler({ ...event, path }, context);
    }
    return publicHandler(event, context);
  };
}
