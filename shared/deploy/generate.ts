import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultImages, defaultPublicGateway, type PublicGatewaySettings } from './cluster.js';
import { generatedFiles, type GenerateOptions } from './manifests.js';
import type { GeneratedFile } from './yaml-text.js';

/** The folders whose .yaml files are all the generator's (a stray file there is drift too). */
export const generatedFolders = ['knative', 'openfaas'] as const;

export interface Drift {
  missing: string[];
  changed: string[];
  /** YAML files under knative/ or openfaas/ that the generator does not write. */
  extra: string[];
}

function yamlFilesUnder(root: string, folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.ya?ml$/.test(path))
    .map((path) => join(folder, path).split('\\').join('/'))
    .sort();
}

/** How the files under `root` differ from what the generator writes now. */
export function findDrift(root: string, files: readonly GeneratedFile[] = generatedFiles()): Drift {
  const drift: Drift = { missing: [], changed: [], extra: [] };
  for (const file of files) {
    const path = join(root, file.path);
    if (!existsSync(path)) drift.missing.push(file.path);
    else if (readFileSync(path, 'utf8') !== file.text) drift.changed.push(file.path);
  }
  const known = new Set(files.map((file) => file.path));
  drift.extra = generatedFolders.flatMap((folder) => yamlFilesUnder(root, folder)).filter((path) => !known.has(path));
  return drift;
}

/** Writes the files under `root`, removing YAML files under knative/ and openfaas/ that are no longer generated. */
export function writeFiles(root: string, files: readonly GeneratedFile[]): void {
  for (const path of findDrift(root, files).extra) rmSync(join(root, path));
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.text);
  }
}

const usage = `npm run deploy:generate [-- options]
  Writes stack.yml, openfaas/ and knative/ from shared/routes.ts and shared/deploy/.

  --check                     write nothing; exit 1 and list the files that differ
  --out DIR                   write under DIR instead of the repository (for a deployment's own settings)
  --registry REGISTRY         image registry (default ${defaultImages.registry}; stack.yml keeps \${REGISTRY} unless given)
  --tag TAG                   image tag (default ${defaultImages.tag})
  --host HOST                 public host of the Knative HTTPRoute (default ${defaultPublicGateway.host})
  --gateway-class NAME        GatewayClass of the cluster's Gateway API implementation (default ${defaultPublicGateway.gatewayClassName})
  --knative-gateway NS/NAME:PORT  the Knative ingress's cluster-local gateway Service (default kourier-system/kourier-internal:80)
  --knative-ingress-namespace NS  where the Knative ingress's proxies run, admitted to the function pods
                              (default: the namespace of --knative-gateway, else ${defaultPublicGateway.knativeIngressNamespace})
  --openfaas-edition community|pro  scaling labels of stack.yml (default community)
`;

function parseLocalGateway(text: string): PublicGatewaySettings['knativeLocalGateway'] {
  const match = /^([a-z0-9-]+)\/([a-z0-9-]+):(\d+)$/.exec(text);
  if (!match) throw new Error(`--knative-gateway: expected NAMESPACE/NAME:PORT, got ${text}`);
  return { namespace: match[1] ?? '', name: match[2] ?? '', port: Number(match[3]) };
}

function parseNamespace(text: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text)) throw new Error(`--knative-ingress-namespace: not a namespace name: ${text}`);
  return text;
}

export function main(argv: string[], root: string): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      check: { type: 'boolean', default: false },
      out: { type: 'string' },
      registry: { type: 'string' },
      tag: { type: 'string' },
      host: { type: 'string' },
      'gateway-class': { type: 'string' },
      'knative-gateway': { type: 'string' },
      'knative-ingress-namespace': { type: 'string' },
      'openfaas-edition': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const edition = values['openfaas-edition'] ?? 'community';
  if (edition !== 'community' && edition !== 'pro') throw new Error('--openfaas-edition: community or pro');
  // Kourier's and Istio's proxies run beside their local gateway Service: its namespace is the ingress's too.
  const localGateway = values['knative-gateway'] ? parseLocalGateway(values['knative-gateway']) : undefined;
  const options: GenerateOptions = {
    edition,
    gateway: {
      ...defaultPublicGateway,
      ...(values.host ? { host: values.host } : {}),
      ...(values['gateway-class'] ? { gatewayClassName: values['gateway-class'] } : {}),
      ...(localGateway ? { knativeLocalGateway: localGateway, knativeIngressNamespace: localGateway.namespace } : {}),
      ...(values['knative-ingress-namespace'] ? { knativeIngressNamespace: parseNamespace(values['knative-ingress-namespace']) } : {}),
    },
  };
  if (values.registry || values.tag) options.images = { registry: values.registry ?? defaultImages.registry, tag: values.tag ?? defaultImages.tag };
  const files = generatedFiles(options);
  const target = values.out ? resolve(values.out) : root;

  if (values.check) {
    const drift = findDrift(target, files);
    const lines = [...drift.missing.map((p) => `missing  ${p}`), ...drift.changed.map((p) => `differs  ${p}`), ...drift.extra.map((p) => `extra    ${p}`)];
    if (lines.length === 0) {
      process.stdout.write(`${files.length} generated files are up to date\n`);
      return 0;
    }
    process.stderr.write(`${lines.join('\n')}\nrun: npm run deploy:generate\n`);
    return 1;
  }
  writeFiles(target, files);
  for (const file of files) process.stdout.write(`wrote ${relative(process.cwd(), join(target, file.path)) || file.path}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  try {
    process.exitCode = main(process.argv.slice(2), root);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exitCode = 2;
  }
}
