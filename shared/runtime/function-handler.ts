import type { FunctionHandler } from './context.js';
import type { Operation } from './operation.js';
import { createRouter } from './router.js';

/** A function's `(event, context)` handler: routes the request to one of its operations (404, 405 otherwise). */
export function createFunctionHandler(operations: readonly Operation[]): FunctionHandler {
  const match = createRouter(operations.map((operation) => ({ method: operation.route.method, path: operation.route.path, operation })));
  return async function handler(event, context) {
    const { route, params } = match(event.method, event.path);
    context.route = route.operation.route;
    await route.operation.run(event, params, context);
  };
}
