import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { secretSettings } from '../shared/config/secrets.js';
import { defaultImages, imageRepository, listenHost } from '../shared/deploy/cluster.js';
import { communityEditionMaxReplicas, deployments, kubernetesTerminationGraceS, metricsPort, metricsPortAnnotation, templateName } from '../shared/deploy/functions.js';
import { communityScalingLabels, proOnlyScalingLabels, renderStack } from '../shared/deploy/stack.js';
import { functionNames } from '../shared/routes.js';
import { copy, parseDocuments, repoRoot } from './support/manifests.js';
import { finalEnv, parseDockerfile } from './support/dockerfile.js';
import { dnsLabel, shapeProblems, stackShape, substituteEnvironment } from './support/stack-schema.js';

const stackText = readFileSync(join(repoRoot, 'stack.yml'), 'utf8');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

interface StackFunction {
  lang: string;
  handler: string;
  image: string;
  environment: Record<string, string>;
  secrets: string[];
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  build_args: Record<string, string>;
}

/** stack.yml as faas-cli reads it: environment substituted over the text, then parsed. */
function parseStack(text: string, env: Record<string, string> = {}): { functions: Record<string, StackFunction> } & Record<string, unknown> {
  const [stack] = parseDocuments(substituteEnvironment(text, env), 'stack.yml');
  if (!stack) throw new Error('stack.yml is empty');
  return stack as { functions: Record<string, StackFunction> } & Record<string, unknown>;
}

const stack = parseStack(stackText);
const seconds = (duration: string | undefined) => {
  const match = /^(\d+)s$/.exec(duration ?? '');
  if (!match) throw new Error(`not a duration in seconds: ${duration}`);
  return Number(match[1]);
};

describe('stack.yml: what faas-cli accepts', () => {
  it('version 1.0, provider openfaas, the gateway from OPENFAAS_URL', () => {
    const version = parseDocument(stackText).get('version', true) as { source?: string } | undefined;
    expect(version?.source).toBe('1.0');
    expect(stack.provider).toEqual({ name: 'openfaas', gateway: 'http://127.0.0.1:8080' });
    expect(parseStack(stackText, { OPENFAAS_URL: 'https://faas.example.com' }).provider).toEqual({ name: 'openfaas', gateway: 'https://faas.example.com' });
  });

  it('every field is one faas-cli knows, and every label, annotation, environment value and build arg is a string', () => {
    expect(shapeProblems(stack, stackShape)).toEqual([]);
  });

  it('one function per function of the route table, named as a DNS label, built with our template from its handler folder', () => {
    expect(Object.keys(stack.functions)).toEqual([...functionNames]);
    for (const [name, fn] of Object.entries(stack.functions)) {
      expect(name).toMatch(dnsLabel);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(fn.lang).toBe(templateName);
      expect(existsSync(join(repoRoot, 'template', fn.lang, 'template.yml'))).toBe(true);
      expect(existsSync(join(repoRoot, 'template', fn.lang, 'Dockerfile'))).toBe(true);
      expect(statSync(join(repoRoot, fn.handler)).isDirectory()).toBe(true);
      expect(existsSync(join(repoRoot, fn.handler, 'index.ts'))).toBe(true);
      expect(fn.build_args).toEqual({ FUNCTION: name });
    }
    for (const path of (stack.configuration as { copy: string[] }).copy) expect(existsSync(join(repoRoot, path)), path).toBe(true);
  });

  it('images are ${REGISTRY}/keyward-<fn>:${TAG}, with defaults', () => {
    for (const name of functionNames) {
      expect(stack.functions[name]?.image).toBe(`${defaultImages.registry}/${imageRepository(name)}:${defaultImages.tag}`);
      expect(parseStack(stackText, { REGISTRY: 'registry.local:5000/team', TAG: '1.2.3' }).functions[name]?.image).toBe(`registry.local:5000/team/keyward-${name}:1.2.3`);
    }
    // faas-cli substitutes every ${...} in the file: none but the three intended.
    expect(new Set([...stackText.matchAll(/\$\{?([A-Za-z_]+)/g)].map((match) => match[1]))).toEqual(new Set(['OPENFAAS_URL', 'REGISTRY', 'TAG']));
  });

  it('every secret referenced is a secret file the config loader reads and is documented in the README', () => {
    const known = Object.values(secretSettings) as string[];
    for (const [name, fn] of Object.entries(stack.functions)) {
      expect(fn.secrets.length, name).toBeGreaterThan(0);
      for (const secret of fn.secrets) {
        expect(known, `${name}: ${secret}`).toContain(secret);
        expect(readme, `README documents ${secret}`).toContain(`faas-cli secret create ${secret}`);
      }
      expect(fn.secrets).toEqual(expect.arrayContaining(['jwt-signing-keys', 'api-key-pepper', 'redis-password']));
    }
    for (const name of ['audit', 'audit-offload']) expect(stack.functions[name]?.secrets).toEqual(expect.arrayContaining(['loki-password', 'loki-bearer-token']));
    // The token that shows audit-offload's per-tenant figures: that function's alone; the README makes it with openssl.
    for (const name of functionNames) expect(stack.functions[name]?.secrets.includes('audit-offload-token'), name).toBe(name === 'audit-offload');
    expect(readme).toMatch(/AUDIT_OFFLOAD_TOKEN=\$\(openssl rand -hex 32\)/);
    expect(readme).toContain('--from-literal=audit-offload-token="$AUDIT_OFFLOAD_TOKEN"');
  });

  it("HOST: loopback, where of-watchdog's upstream_url sends requests in the same container", () => {
    const upstream = new URL(finalEnv(parseDockerfile(readFileSync(join(repoRoot, 'template', templateName, 'Dockerfile'), 'utf8'))).upstream_url ?? '');
    for (const [name, fn] of Object.entries(stack.functions)) {
      expect(fn.environment.HOST, name).toBe(listenHost.openfaas);
      expect(fn.environment.HOST, name).toBe(upstream.hostname);
    }
  });

  it("the NetworkPolicy of openfaas/ is applied in the README's OpenFaaS steps, before the functions start", () => {
    const openfaas = readme.slice(readme.indexOf('### Deploy to OpenFaaS'), readme.indexOf('### Deploy to Knative'));
    const apply = openfaas.indexOf('kubectl apply -f openfaas/network-policy.yaml');
    expect(apply).toBeGreaterThan(0);
    expect(apply).toBeLessThan(openfaas.indexOf('faas-cli up -f stack.yml'));
  });
});

describe('stack.yml: scaling and schedule', () => {
  it('Community Edition labels only, within its limit of 5; login keeps a warm replica', () => {
    for (const [name, fn] of Object.entries(stack.functions)) {
      expect(Object.keys(fn.labels).sort(), name).toEqual([...communityScalingLabels].sort());
      expect(Number(fn.labels['com.openfaas.scale.max'])).toBeLessThanOrEqual(communityEditionMaxReplicas);
      expect(Number(fn.labels['com.openfaas.scale.min'])).toBeGreaterThanOrEqual(1);
    }
    expect(stack.functions.token?.labels['com.openfaas.scale.min']).toBe('1');
  });

  it('the Pro-only labels are written as comments in stack.yml and named Pro-only there and in the README', () => {
    expect(stackText).toMatch(/OpenFaaS Pro only/);
    for (const label of proOnlyScalingLabels) {
      expect(stackText).toMatch(new RegExp(`^ *# ${label.replaceAll('.', '\\.')}: "`, 'm'));
      expect(readme).toMatch(new RegExp(`^\\| \`${label.replaceAll('.', '\\.')}\` \\|.*\\bPro only\\b`, 'm'));
    }
    for (const label of communityScalingLabels) expect(readme).toMatch(new RegExp(`^\\| \`${label.replaceAll('.', '\\.')}\` \\| Community Edition and Pro \\|`, 'm'));
  });

  it('the Pro stack carries every scaling label as a string: scale to zero for all but login', () => {
    const pro = parseStack(renderStack('pro'));
    expect(shapeProblems(pro, stackShape)).toEqual([]);
    for (const [name, fn] of Object.entries(pro.functions)) {
      expect(Object.keys(fn.labels).sort()).toEqual([...communityScalingLabels, ...proOnlyScalingLabels].sort());
      expect(fn.labels['com.openfaas.scale.zero']).toBe(name === 'token' ? 'false' : 'true');
      expect(fn.labels['com.openfaas.scale.zero-duration']).toMatch(/^\d+m$/);
      expect(['capacity', 'rps', 'cpu']).toContain(fn.labels['com.openfaas.scale.type']);
      expect(fn.labels['com.openfaas.scale.target']).toMatch(/^\d+$/);
    }
  });

  it('audit-offload runs on the cron-connector every minute; no other function has a topic; every one declares its metrics port', () => {
    const metrics = { [metricsPortAnnotation]: String(metricsPort) };
    expect(stack.functions['audit-offload']?.annotations).toEqual({ ...metrics, topic: 'cron-function', schedule: '*/1 * * * *' });
    for (const name of functionNames.filter((n) => n !== 'audit-offload')) expect(stack.functions[name]?.annotations).toEqual(metrics);
  });

  it("of-watchdog's timeouts are consistent, and the function drains inside the termination grace", () => {
    for (const [name, fn] of Object.entries(stack.functions)) {
      const exec = seconds(fn.environment.exec_timeout);
      const read = seconds(fn.environment.read_timeout);
      const write = seconds(fn.environment.write_timeout);
      const healthcheck = seconds(fn.environment.healthcheck_interval);
      const graceMs = Number(fn.environment.SHUTDOWN_GRACE_MS);
      expect(read, name).toBeGreaterThanOrEqual(exec);
      expect(write, name).toBeGreaterThanOrEqual(exec);
      // After SIGTERM the watchdog serves for healthcheck_interval, then waits up to write_timeout.
      expect(healthcheck + write, name).toBeLessThan(kubernetesTerminationGraceS);
      // The function gets SIGTERM after healthcheck_interval (run-function.sh), then drains.
      expect(healthcheck * 1000 + graceMs, name).toBeLessThan(kubernetesTerminationGraceS * 1000);
      expect(graceMs, name).toBeLessThanOrEqual(write * 1000);
      expect(graceMs).toBe(deployments[name as keyof typeof deployments].timeouts.shutdownGraceMs);
    }
  });
});

describe('stack.yml: the checks catch broken copies', () => {
  it('a label value that is not a string (an unquoted number)', () => {
    const broken = parseStack(stackText.replace('com.openfaas.scale.min: "1"', 'com.openfaas.scale.min: 1'));
    expect(shapeProblems(broken, stackShape)).toContainEqual({ path: 'functions.token.labels.com.openfaas.scale.min', problem: expect.stringMatching(/number where faas-cli takes a string \(quote it/) });
  });

  it('a misspelt field (lables) and an unknown top-level key', () => {
    const broken = copy(stack);
    const token = broken.functions.token as unknown as Record<string, unknown>;
    token.lables = token.labels;
    delete token.labels;
    (broken as Record<string, unknown>).functionz = {};
    const problems = shapeProblems(broken, stackShape);
    expect(problems).toContainEqual({ path: 'functions.token.lables', problem: 'unknown field "lables" (faas-cli ignores it)' });
    expect(problems).toContainEqual({ path: 'functionz', problem: 'unknown field "functionz" (faas-cli ignores it)' });
  });

  it('an environment value YAML reads as a boolean, and secrets given as a map', () => {
    const broken = copy(stack);
    (broken.functions.data as unknown as Record<string, unknown>).environment = { AUDIT_INCLUDE_VALUES: true };
    (broken.functions.data as unknown as Record<string, unknown>).secrets = { 'api-key-pepper': 'x' };
    const problems = shapeProblems(broken, stackShape);
    expect(problems).toContainEqual({ path: 'functions.data.environment.AUDIT_INCLUDE_VALUES', problem: expect.stringMatching(/boolean where faas-cli takes a string/) });
    expect(problems).toContainEqual({ path: 'functions.data.secrets', problem: 'object where faas-cli takes a list' });
  });

  it('a function name that is not a DNS label', () => {
    for (const name of ['Token', 'api_keys', '-data', 'data-']) expect(name).not.toMatch(dnsLabel);
  });
});
