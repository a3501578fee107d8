import { describe, expect, it } from 'vitest';
import { operationsByFunction } from '../functions/operations.js';
import { apiKeysOperations } from '../functions/api-keys/handler.js';
import { auditOffloadOperations } from '../functions/audit-offload/handler.js';
import { auditOperations } from '../functions/audit/handler.js';
import { consoleOperations } from '../functions/console/handler.js';
import { dataOperations } from '../functions/data/handler.js';
import { tokenOperations } from '../functions/token/handler.js';
import { usersOperations } from '../functions/users/handler.js';
import { publicPrefixes } from '../shared/deploy/functions.js';
import { functionNames, routes, type FunctionName } from '../shared/routes.js';

const handlerExports: Record<FunctionName, readonly { route: { id: string } }[]> = {
  token: tokenOperations,
  users: usersOperations,
  data: dataOperations,
  'api-keys': apiKeysOperations,
  audit: auditOperations,
  'audit-offload': auditOffloadOperations,
  console: consoleOperations,
};

const describeRoute = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

describe('the route table agrees with what each function serves', () => {
  it("each function's handler serves exactly the route table's routes for it", () => {
    for (const name of functionNames) {
      const served = handlerExports[name].map((operation) => operation.route.id).sort();
      const table = routes.filter((route) => route.fn === name).map((route) => route.id).sort();
      expect(served, name).toEqual(table);
      expect(operationsByFunction[name], name).toBe(handlerExports[name]);
    }
  });

  it('no route is served by two functions, and no function serves a route of another', () => {
    const seen = new Map<string, string>();
    for (const name of functionNames) {
      for (const operation of operationsByFunction[name]) {
        const route = routes.find((r) => r.id === operation.route.id);
        expect(route?.fn, operation.route.id).toBe(name);
        const key = describeRoute(operation.route as { method: string; path: string });
        expect(seen.get(key), key).toBeUndefined();
        seen.set(key, name);
      }
    }
    expect(seen.size).toBe(routes.length);
  });

  it('public path prefixes: one per resource, never shared between functions, none for audit-offload', () => {
    const owner = new Map<string, string>();
    for (const name of functionNames) {
      for (const prefix of publicPrefixes(name)) {
        expect(owner.get(prefix), prefix).toBeUndefined();
        owner.set(prefix, name);
      }
    }
    expect(Object.fromEntries(owner)).toEqual({ '/token': 'token', '/console': 'console', '/users': 'users', '/data': 'data', '/api-keys': 'api-keys', '/identities': 'api-keys', '/usage': 'api-keys', '/audit-logs': 'audit' });
    expect(publicPrefixes('audit-offload')).toEqual([]);
    // Every route under a function's prefixes belongs to that function.
    for (const route of routes) {
      const prefixOwner = [...owner].find(([prefix]) => route.path === prefix || route.path.startsWith(`${prefix}/`))?.[1];
      if (route.public) expect(prefixOwner, describeRoute(route)).toBe(route.fn);
      else expect(prefixOwner, describeRoute(route)).toBeUndefined();
    }
  });

  it("build.mjs bundles exactly the route table's functions", async () => {
    const build = (await import('../build.mjs' as string)) as { functionNames: string[] };
    expect(build.functionNames).toEqual([...functionNames]);
  });
});
