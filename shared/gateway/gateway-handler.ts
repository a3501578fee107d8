import type { Operation } from '../runtime/operation.js';
import { createFunctionHandler } from '../runtime/function-handler.js';
import type { FunctionHandler } from '../runtime/context.js';
import { healthCheckFor } from '../runtime/health.js';
import type { FunctionName } from '../routes.js';

/**
 * One process serving every function as an OpenFaaS gateway would: the public paths of the route
 * table, and `/function/<name>/<path>` passed to that function with the prefix removed, health
 * (`/function/<name>/healthz`, `/readyz`) included: a deployed function answers it before routing.
 */
export function createGatewayHandler(operationsByFunction: Record<FunctionName, readonly Operation[]>, openApi: unknown): FunctionHandler {
  const all = Object.values(operationsByFunction).flat();
  const publicHandler = createFunctionHandler(all.filter((operation) => operation.route.public));
  const byFunction = new Map(Object.entries(operationsByFunction).map(([name, operations]) => [name, createFunctionHandler(operations)]));
  const openApiText = JSON.stringify(openApi);

  return async function gateway(event, context) {
    if (event.method === 'GET' && event.path === '/openapi.json') return context.status(200).succeed(openApiText);
    const prefixed = /^\/function\/([a-z0-9-]+)(\/.*)?$/.exec(event.path);
    if (prefixed) {
      const handler = byFunction.get(prefixed[1] ?? '');
      const path = prefixed[2] ?? '/';
      const health = healthCheckFor(event.method, path);
      if (handler && health) return context.succeed(await health(context.services));
      if (handler) return handler({ ...event, path }, context);
    }
    return publicHandler(event, context);
  };
}
