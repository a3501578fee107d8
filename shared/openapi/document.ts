import * as z from 'zod';
import { policyOf, targetRules } from '../auth/policy.js';
import type { Operation } from '../runtime/operation.js';

type JsonSchema = Record<string, unknown>;

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['detail', 'code', 'request_id'],
  properties: {
    detail: {
      oneOf: [
        { type: 'string' },
        {
          type: 'array',
          items: {
            type: 'object',
            required: ['loc', 'msg', 'type'],
            properties: { loc: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } }, msg: { type: 'string' }, type: { type: 'string' } },
          },
        },
      ],
    },
    code: { type: 'string' },
    request_id: { type: 'string' },
  },
};

/** The OpenAPI 3.1 document, generated from the route table and each operation's zod schemas. */
export function buildOpenApiDocument(operations: readonly Operation[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const components: Record<string, JsonSchema> = { Error: errorSchema };
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => hoistDefinitions(toJsonSchema(schema, io), components);
  const parametersOf = (schema: z.ZodType | undefined, where: 'path' | 'query' | 'header') => {
    if (!schema) return [];
    const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, property]) => ({
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      schema: property,
    }));
  };
  const requestBodyOf = (schema: z.ZodType, formToo: boolean) => {
    const body = { schema: schemaOf(schema, 'input') };
    return { required: true, content: { 'application/json': body, ...(formToo ? { 'application/x-www-form-urlencoded': body } : {}) } };
  };
  for (const { route, spec } of operations) {
    if (!route.public) continue;
    const parameters = [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query'), ...parametersOf(spec.headers, 'header')];
    const status = String(spec.status ?? 200);
    const policy = policyOf(route.id);
    const operation: JsonSchema = {
      operationId: route.id,
      summary: route.summary,
      tags: [route.fn],
      security: policy.callers === 'anyone' ? [] : policy.callers.includes('api_key') ? [{ bearer: [] }, { apiKey: [] }] : [{ bearer: [] }],
      ...(policy.scope ? { 'x-required-scope': policy.scope } : {}),
      ...(policy.target ? { 'x-target-rule': targetRules[policy.target.kind].rule } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(spec.body ? { requestBody: requestBodyOf(spec.body, spec.form === true) } : {}),
      responses: {
        [status]: spec.response ? { description: 'Success', content: { 'application/json': { schema: schemaOf(spec.response, 'output') } } } : { description: 'Success' },
        '4XX': { description: 'Client error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '5XX': { description: 'A dependency is down', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'keyward', version: info.version, description: 'Multi-tenant API key management service' },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A JWT from POST /token, or an API key' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

let hoisted = 0;

/**
 * zod puts shared definitions (recursive JSON values) in a local `$defs` that `#/$defs/...`
 * references resolve against the document root: move them to `components.schemas` and point
 * the references there.
 */
function hoistDefinitions(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const { $defs: definitions, ...rest } = schema as JsonSchema & { $defs?: Record<string, JsonSchema> };
  if (!definitions) return rest;
  const renamed = new Map<string, string>();
  for (const name of Object.keys(definitions)) renamed.set(`#/$defs/${name}`, `#/components/schemas/Def${(hoisted += 1)}`);
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' ? (renamed.get(value) ?? value) : rewrite(value)]),
    );
  };
  for (const [name, definition] of Object.entries(definitions)) {
    const target = renamed.get(`#/$defs/${name}`) ?? '';
    components[target.slice('#/components/schemas/'.length)] = rewrite(definition) as JsonSchema;
  }
  return rewrite(rest) as JsonSchema;
}
