import type { FieldProblem } from './strict-fields.js';

/**
 * The fields faas-cli accepts in stack.yml, from openfaas/go-sdk stack/schema.go (Services,
 * Function, FunctionResources, StackConfiguration). Go's yaml decoder skips unknown fields, so a
 * misspelt `lables:` is silently lost there: this check reports it. Map values must be YAML
 * strings (labels, annotations and environment are map[string]string; the OpenFaaS API and
 * Kubernetes labels take strings only).
 */
export type Shape = 'string' | 'boolean' | 'scalar' | { list: Shape } | { map: Shape } | { fields: Record<string, Shape> };

const resources: Shape = { fields: { memory: 'string', cpu: 'string' } };

export const functionShape: Shape = {
  fields: {
    lang: 'string',
    handler: 'string',
    image: 'string',
    fprocess: 'string',
    environment: { map: 'string' },
    secrets: { list: 'string' },
    skip_build: 'boolean',
    constraints: { list: 'string' },
    environment_file: { list: 'string' },
    labels: { map: 'string' },
    limits: resources,
    requests: resources,
    readonly_root_filesystem: 'boolean',
    build_options: { list: 'string' },
    annotations: { map: 'string' },
    namespace: 'string',
    build_args: { map: 'string' },
    platforms: 'string',
    build_secrets: { map: 'string' },
  },
};

export const stackShape: Shape = {
  fields: {
    version: 'scalar',
    provider: { fields: { name: 'string', gateway: 'string' } },
    functions: { map: functionShape },
    configuration: { fields: { templates: { list: { fields: { name: 'string', source: 'string' } } }, copy: { list: 'string' } } },
  },
};

export function shapeProblems(value: unknown, shape: Shape, path = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);
  if (shape === 'string' || shape === 'boolean') {
    if (typeof value !== shape) {
      const hint = shape === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? ' (quote it: YAML reads it as a non-string)' : '';
      problems.push({ path, problem: `${describe(value)} where faas-cli takes a ${shape}${hint}` });
    }
    return problems;
  }
  if (shape === 'scalar') {
    if (typeof value !== 'string' && typeof value !== 'number') problems.push({ path, problem: `${describe(value)} where faas-cli takes a scalar` });
    return problems;
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) return [{ path, problem: `${describe(value)} where faas-cli takes a list` }];
    value.forEach((item, index) => problems.push(...shapeProblems(item, shape.list, `${path}[${index}]`)));
    return problems;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ path, problem: `${describe(value)} where faas-cli takes a map` }];
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if ('map' in shape) problems.push(...shapeProblems(child, shape.map, childPath));
    else if (shape.fields[key]) problems.push(...shapeProblems(child, shape.fields[key], childPath));
    else problems.push({ path: childPath, problem: `unknown field "${key}" (faas-cli ignores it)` });
  }
  return problems;
}

/**
 * faas-cli's environment substitution over the whole file before parsing (drone/envsubst): the
 * `${NAME}` and `${NAME:-default}` forms stack.yml uses. Any other `$` is reported by the caller.
 */
export function substituteEnvironment(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
    const value = env[name];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

/** RFC 1123 label, as faas-netes validates function names (pkg/handlers/validate.go). */
export const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
