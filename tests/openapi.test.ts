import { policyOf } from '../shared/auth/policy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsByFunction } from '../functions/operations.js';
import { routes, type RouteSpec } from '../shared/routes.js';
import { createTestApp, type TestApp } from './support/harness.js';

let app: TestApp;
let doc: any;

const allRoutes: readonly RouteSpec[] = routes;
const publicRoutes = allRoutes.filter((route) => route.public);
const operations = Object.values(operationsByFunction).flat();
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

beforeAll(async () => {
  app = await createTestApp();
  const response = await app.request('GET', '/openapi.json');
  expect(response.status).toBe(200);
  doc = response.body;
});
afterAll(() => app.close());

function operationOf(route: RouteSpec): any {
  return doc.paths?.[route.path]?.[route.method.toLowerCase()];
}

/** Every operation object in the document, with its path and method. */
function documentedOperations(): { path: string; method: string; operation: any }[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );
}

/** Every `$ref` in a JSON value, with where it was found. */
function refsIn(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => refsIn(item, `${at}/${index}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([name, child]) =>
    name === '$ref' && typeof child === 'string' ? [{ ref: child, at }] : refsIn(child, `${at}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`),
  );
}

/** Resolves a local JSON pointer (`#/a/b`) against the whole document; undefined when it does not resolve. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const parts = ref.slice(1).split('/').slice(1).map((part) => decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~'));
  let node: unknown = root;
  for (const part of parts) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

describe('openapi: the document', () => {
  it('is served at /openapi.json without authentication as OpenAPI 3.1 JSON', async () => {
    const response = await app.request('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.openapi).toBe('3.1.0');
    expect(response.body.info).toMatchObject({ title: 'keyward' });
    expect(typeof response.body.info.version).toBe('string');
    expect(typeof response.body.paths).toBe('object');
  });

  it.each(publicRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('documents %s with its operationId', (_name, route) => {
    const operation = operationOf(route);
    expect(operation, `${route.method} ${route.path}`).toBeDefined();
    expect(operation.operationId).toBe(route.id);
    expect(Array.isArray(operation.responses) || typeof operation.responses === 'object').toBe(true);
  });

  it('documents exactly the public routes: nothing else, and not the internal offload', () => {
    const documented = documentedOperations().map(({ path, method }) => `${method.toUpperCase()} ${path}`).sort();
    expect(documented).toEqual(publicRoutes.map((route) => `${route.method} ${route.path}`).sort());
    const ids = documentedOperations().map(({ operation }) => operation.operationId);
    expect(ids).not.toContain('runAuditOffload');
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/']).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain('audit-offload');
  });

  it('offers POST /token both as JSON and as a form', () => {
    const content = operationOf(allRoutes.find((route) => route.id === 'login') as RouteSpec).requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    for (const media of Object.values(content) as any[]) {
      expect(media.schema.properties).toHaveProperty('username');
      expect(media.schema.properties).toHaveProperty('password');
      expect(media.schema.required).toEqual(expect.arrayContaining(['username', 'password']));
    }
  });

  it('offers other bodies as JSON only', () => {
    for (const { path, method, operation } of documentedOperations()) {
      if (path === '/token' || !operation.requestBody) continue;
      expect(Object.keys(operation.requestBody.content), `${method} ${path}`).toEqual(['application/json']);
    }
  });

  it('declares security on authenticated routes, with schemes that exist, and none on public ones', () => {
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    expect(schemes.length).toBeGreaterThan(0);
    for (const route of publicRoutes) {
      const operation = operationOf(route);
      const policy = policyOf(route.id);
      if (policy.callers === 'anyone') {
        expect(operation.security ?? [], route.id).toEqual([]);
        continue;
      }
      expect(Array.isArray(operation.security), route.id).toBe(true);
      expect(operation.security.length, route.id).toBeGreaterThan(0);
      for (const requirement of operation.security) {
        expect(Object.keys(requirement).length, route.id).toBeGreaterThan(0);
        for (const name of Object.keys(requirement)) expect(schemes, route.id).toContain(name);
      }
      // user-only routes do not offer the API-key header scheme
      if (!policy.callers.includes('api_key')) expect(operation.security.some((requirement: object) => 'apiKey' in requirement), route.id).toBe(false);
      if (policy.scope) expect(operation['x-required-scope'], route.id).toBe(policy.scope);
    }
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('declares every path parameter as a required parameter in: path', () => {
    for (const route of publicRoutes) {
      const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      const parameters: any[] = operationOf(route).parameters ?? [];
      const inPath = parameters.filter((parameter) => parameter.in === 'path');
      expect(inPath.map((parameter) => parameter.name).sort(), route.id).toEqual([...names].sort());
      for (const parameter of inPath) {
        expect(parameter.required, `${route.id} ${parameter.name}`).toBe(true);
        expect(typeof parameter.schema, `${route.id} ${parameter.name}`).toBe('object');
      }
    }
  });

  it('declares query parameters of listing routes, e.g. limit and cursor, as optional', () => {
    for (const id of ['listItems', 'listApiKeys', 'listUsers', 'listAuditLogs']) {
      const parameters: any[] = operationOf(allRoutes.find((route) => route.id === id) as RouteSpec).parameters ?? [];
      const limit = parameters.find((parameter) => parameter.name === 'limit');
      expect(limit, id).toMatchObject({ in: 'query', required: false });
    }
  });

  it('declares the optional If-Match header that PUT /data/{key} honours', () => {
    const parameters: any[] = operationOf(allRoutes.find((route) => route.id === 'updateItem') as RouteSpec).parameters ?? [];
    const ifMatch = parameters.find((parameter) => parameter.in === 'header' && String(parameter.name).toLowerCase() === 'if-match');
    expect(ifMatch).toMatchObject({ in: 'header', required: false });
  });

  it('resolves every $ref within the document', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(0);
    const broken = refs.filter(({ ref }) => resolvePointer(doc, ref) === undefined).map(({ ref, at }) => `${ref} (at ${at})`);
    expect(broken).toEqual([]);
  });

  it("declares, for every operation, the success status it answers with (spec.status, default 200) and error responses", () => {
    for (const { route, spec } of operations) {
      if (!route.public) continue;
      const operation = operationOf(route);
      const status = String(spec.status ?? 200);
      expect(operation.responses, route.id).toHaveProperty(status);
      expect(typeof operation.responses[status].description, route.id).toBe('string');
      const successes = Object.keys(operation.responses).filter((code) => /^2/.test(code));
      expect(successes, route.id).toEqual([status]);
      if (status === '204') expect(operation.responses[status].content, route.id).toBeUndefined();
      else if (spec.response) expect(operation.responses[status].content?.['application/json']?.schema, route.id).toBeDefined();
      const errors = Object.keys(operation.responses).filter((code) => /^[45]/.test(code));
      expect(errors.length, route.id).toBeGreaterThan(0);
    }
  });

  it('declares the success status the operation really answers with (create 201, delete 204)', () => {
    for (const { route, spec } of operations) {
      if (!route.public) continue;
      const expected = route.method === 'DELETE' ? 204 : route.method === 'POST' && (route.id.startsWith('create') || route.id === 'rotateApiKey') ? 201 : 200;
      expect(spec.status ?? 200, route.id).toBe(expected);
    }
  });

  it('has a unique, summarised, tagged operation for every route', () => {
    for (const route of publicRoutes) {
      const operation = operationOf(route);
      expect(operation.summary, route.id).toBe(route.summary);
      expect(operation.tags, route.id).toEqual([route.fn]);
    }
  });
});
