import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditActions } from '../shared/audit/actions.js';
import { loadConfig } from '../shared/config/config.js';
import { defaultSecretsDir, secretSettings } from '../shared/config/secrets.js';
import { clusterLocalHost, defaultImages, defaultPublicGateway, grafanaTenants, imageRepository, listenHost, lokiUrl, namespace, objectNames, openfaasFunctionNamespace, redisTopology, sentinelAddresses } from '../shared/deploy/cluster.js';
import { deployments, metricsPort, metricsPortAnnotation, optionalSecrets } from '../shared/deploy/functions.js';
import { functionNames, routes } from '../shared/routes.js';
import { isTenantId } from '../shared/tenancy/tenant-id.js';
import { knativeProblems } from './support/knative-rules.js';
import { kindKey, modelOf, type KindKey } from './support/manifest-kinds.js';
import { copy, dig, loadManifests, repoRoot, yamlFiles, type ManifestDocument } from './support/manifests.js';
import { StrictFieldChecker, type FieldProblem } from './support/strict-fields.js';

let checker: StrictFieldChecker;
let manifests: ManifestDocument[];

beforeAll(() => {
  checker = new StrictFieldChecker();
  // openfaas/ holds plain Kubernetes objects too (the functions' NetworkPolicy): the same checks apply.
  manifests = [...loadManifests('knative'), ...loadManifests('openfaas')];
});

/** The models' own validation (required fields, types, enums), as an error message or null. */
function modelError(object: Record<string, unknown>): string | null {
  const model = modelOf[kindKey(object) as KindKey];
  if (!model) return `no model for ${kindKey(object)}`;
  try {
    new model(object as never).validate();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Everything the suite checks about one manifest object: schema, unknown fields, Knative's rules. */
function allProblems(object: Record<string, unknown>): FieldProblem[] {
  const validation = modelError(object);
  return [...(validation ? [{ path: '', problem: `validate(): ${validation}` }] : []), ...checker.check(object), ...knativeProblems(object)];
}

function find(kind: string, name: string, apiVersion?: string): Record<string, unknown> {
  const found = manifests.find(
    ({ object }) => object.kind === kind && dig(object, 'metadata', 'name') === name && (apiVersion === undefined || object.apiVersion === apiVersion),
  );
  if (!found) throw new Error(`no ${kind} ${name} under knative/`);
  return found.object;
}

function knativeService(name: string): Record<string, unknown> {
  return find('Service', name, 'serving.knative.dev/v1');
}

function configMapData(name: string): Record<string, string> {
  return dig(find('ConfigMap', name), 'data') as Record<string, string>;
}

describe('knative/: every manifest parses and validates', () => {
  it('every YAML file parses as YAML documents, each a Kubernetes object with apiVersion, kind and a name', () => {
    expect(yamlFiles('knative').length).toBeGreaterThanOrEqual(10);
    expect(manifests.length).toBeGreaterThanOrEqual(20);
    for (const { file, index, object } of manifests) {
      expect(typeof object.apiVersion, `${file}#${index}`).toBe('string');
      expect(typeof object.kind, `${file}#${index}`).toBe('string');
      expect(dig(object, 'metadata', 'name'), `${file}#${index}`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it('every object passes the validator of its model package (kubernetes-models, @kubernetes-models/knative, gateway-api)', () => {
    for (const { file, index, object } of manifests) expect(modelError(object), `${file}#${index} ${kindKey(object)}`).toBeNull();
  });

  it('every object passes the strict unknown-field check against its kind\'s schema', () => {
    for (const { file, index, object } of manifests) expect(checker.check(object), `${file}#${index} ${kindKey(object)}`).toEqual([]);
  });

  it("Knative's own rules hold: autoscaling annotations on revision templates only, known keys and values, visibility as a Service label", () => {
    for (const { file, index, object } of manifests) expect(knativeProblems(object), `${file}#${index}`).toEqual([]);
  });

  it("every object is in the keyward namespace (the ReferenceGrant in the Knative gateway's, openfaas/ in openfaas-fn) and labelled part-of keyward", () => {
    for (const { file, object } of manifests) {
      const expected =
        object.kind === 'Namespace'
          ? undefined
          : object.kind === 'ReferenceGrant'
            ? defaultPublicGateway.knativeLocalGateway.namespace
            : file.startsWith('openfaas/')
              ? openfaasFunctionNamespace
              : namespace;
      expect(dig(object, 'metadata', 'namespace'), file).toBe(expected);
      expect(dig(object, 'metadata', 'labels', 'app.kubernetes.io/part-of'), file).toBe('keyward');
    }
    expect(find('Namespace', namespace)).toBeTruthy();
  });
});

describe('knative/: the strict check catches what the validators let through (broken copies)', () => {
  const expectCaught = (object: Record<string, unknown>, path: string, problem: RegExp) => {
    const problems = allProblems(object);
    expect(problems, JSON.stringify(problems)).toContainEqual({ path, problem: expect.stringMatching(problem) });
  };

  it('a misspelt `containerz` beside `containers` in a Knative Service: the Knative model accepts it, the strict check does not', () => {
    const broken = copy(knativeService('token'));
    broken.spec = { ...dig(broken, 'spec'), template: { ...dig(broken, 'spec', 'template'), spec: { ...dig(broken, 'spec', 'template', 'spec'), containerz: [] } } };
    expect(modelError(broken)).toBeNull();
    expectCaught(broken, 'spec.template.spec.containerz', /unknown field "containerz"/);
  });

  it('`containers` renamed to `containerz`: caught as unknown (and as missing by the model)', () => {
    const broken = copy(knativeService('data'));
    const spec = dig(broken, 'spec', 'template', 'spec');
    spec.containerz = spec.containers;
    delete spec.containers;
    expectCaught(broken, 'spec.template.spec.containerz', /unknown field/);
  });

  it('a second container port (a named `metrics` one) in a Knative Service: the models accept it, Knative refuses it', () => {
    const broken = copy(knativeService('data'));
    dig(broken, 'spec', 'template', 'spec', 'containers', 0).ports.push({ name: 'metrics', containerPort: metricsPort });
    expect(modelError(broken)).toBeNull();
    expectCaught(broken, 'spec.template.spec.containers', /2 container ports: Knative allows one/);
    expectCaught(broken, 'spec.template.spec.containers', /port name metrics: Knative allows http1, h2c or none/);
  });

  it('a misspelt `imagee` in a Knative container and in the Redis StatefulSet\'s container', () => {
    const service = copy(knativeService('api-keys'));
    dig(service, 'spec', 'template', 'spec', 'containers', 0).imagee = 'x';
    expect(modelError(service)).toBeNull();
    expectCaught(service, 'spec.template.spec.containers[0].imagee', /unknown field "imagee"/);

    const redis = copy(find('StatefulSet', redisTopology.statefulSet));
    const container = dig(redis, 'spec', 'template', 'spec', 'containers', 0);
    container.imagee = container.image;
    delete container.image;
    expect(modelError(redis)).toBeNull();
    expectCaught(redis, 'spec.template.spec.containers[0].imagee', /unknown field "imagee"/);
  });

  it('an autoscaling annotation moved onto the Service\'s own metadata, where Knative ignores it', () => {
    const broken = copy(knativeService('token'));
    const template = dig(broken, 'spec', 'template', 'metadata', 'annotations');
    const minScale = template['autoscaling.knative.dev/min-scale'];
    delete template['autoscaling.knative.dev/min-scale'];
    dig(broken, 'metadata').annotations = { 'autoscaling.knative.dev/min-scale': minScale };
    expect(modelError(broken)).toBeNull();
    expect(checker.check(broken)).toEqual([]);
    expectCaught(broken, 'metadata.annotations.autoscaling.knative.dev/min-scale', /Knative ignores it/);
    expectCaught(broken, 'spec.template.metadata.annotations', /missing autoscaling.knative.dev\/min-scale/);
  });

  it('a misspelt autoscaling annotation, a bad class, and a label value that is not a string', () => {
    const broken = copy(knativeService('users'));
    const annotations = dig(broken, 'spec', 'template', 'metadata', 'annotations');
    annotations['autoscaling.knative.dev/max-scales'] = '3';
    annotations['autoscaling.knative.dev/class'] = 'kpa';
    dig(broken, 'metadata', 'labels').tier = 1;
    expectCaught(broken, 'spec.template.metadata.annotations.autoscaling.knative.dev/max-scales', /unknown autoscaling annotation/);
    expectCaught(broken, 'spec.template.metadata.annotations.autoscaling.knative.dev/class', /invalid value/);
    expectCaught(broken, 'metadata.labels.tier', /\(number\) where the schema has string/);
  });

  it('the cluster-local label moved to the revision template, or dropped to an annotation', () => {
    const broken = copy(knativeService('audit-offload'));
    delete dig(broken, 'metadata', 'labels')['networking.knative.dev/visibility'];
    dig(broken, 'spec', 'template', 'metadata', 'labels')['networking.knative.dev/visibility'] = 'cluster-local';
    expectCaught(broken, 'spec.template.metadata.labels.networking.knative.dev/visibility', /Service's own labels/);
    const annotated = copy(knativeService('audit-offload'));
    dig(annotated, 'metadata').annotations = { 'networking.knative.dev/visibility': 'cluster-local' };
    expectCaught(annotated, 'metadata.annotations.networking.knative.dev/visibility', /a label, not an annotation/);
  });

  it('misspelt fields in the HTTPRoute, the PingSource, the Loki StatefulSet and a ConfigMap', () => {
    const route = copy(find('HTTPRoute', 'keyward-public'));
    dig(route, 'spec', 'rules', 0).backendRefz = dig(route, 'spec', 'rules', 0, 'backendRefs');
    expectCaught(route, 'spec.rules[0].backendRefz', /unknown field/);

    const ping = copy(find('PingSource', 'audit-offload-schedule'));
    dig(ping, 'spec').shedule = '* * * * *';
    expectCaught(ping, 'spec.shedule', /unknown field/);

    const loki = copy(find('StatefulSet', 'loki'));
    dig(loki, 'spec').volumeClaimTemplate = dig(loki, 'spec', 'volumeClaimTemplates');
    expectCaught(loki, 'spec.volumeClaimTemplate', /unknown field/);

    const config = copy(find('ConfigMap', objectNames.functionConfig));
    dig(config, 'data').TRUSTED_PROXY_HOPS = 3;
    expectCaught(config, 'data.TRUSTED_PROXY_HOPS', /\(number\) where the schema has string/);
  });

  it('a kind the check has no schema for is reported, not passed', () => {
    expect(checker.check({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' } })).toEqual([
      { path: '', problem: 'kind networking.k8s.io/v1/Ingress is not known to the strict check' },
    ]);
  });
});

describe('knative/: one Service per function', () => {
  it('a Knative Service for every function of the route table and no other, with its image', () => {
    const services = manifests.filter(({ object }) => object.apiVersion === 'serving.knative.dev/v1' && object.kind === 'Service');
    expect(services.map(({ object }) => dig(object, 'metadata', 'name')).sort()).toEqual([...functionNames].sort());
    for (const name of functionNames) {
      expect(dig(knativeService(name), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(`${defaultImages.registry}/${imageRepository(name)}:${defaultImages.tag}`);
    }
  });

  it('scaling from shared/deploy/functions.ts: login keeps one warm pod, the others may scale to zero', () => {
    for (const name of functionNames) {
      const service = knativeService(name);
      const annotations = dig(service, 'spec', 'template', 'metadata', 'annotations');
      const { scaling } = deployments[name];
      expect(annotations).toEqual({
        'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
        'autoscaling.knative.dev/metric': scaling.metric,
        'autoscaling.knative.dev/target': String(scaling.target),
        'autoscaling.knative.dev/min-scale': String(scaling.minScale),
        'autoscaling.knative.dev/max-scale': String(scaling.maxScale),
        'autoscaling.knative.dev/scale-to-zero-pod-retention-period': scaling.scaleToZeroRetention,
        // Not scaling: the port of keyward's metrics, read by the scrape job from the pods (SPEC §12).
        [metricsPortAnnotation]: String(metricsPort),
      });
      expect(dig(service, 'spec', 'template', 'spec', 'containerConcurrency')).toBe(scaling.containerConcurrency);
      expect(annotations['autoscaling.knative.dev/min-scale']).toBe(name === 'token' ? '1' : '0');
      expect(dig(service, 'metadata', 'annotations')).toBeUndefined();
    }
  });

  it('probes: readiness on /readyz, liveness on /healthz; resources set; drain shorter than the termination grace', () => {
    for (const name of functionNames) {
      const spec = dig(knativeService(name), 'spec', 'template', 'spec');
      const container = dig(spec, 'containers', 0);
      expect(dig(container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
      expect(dig(container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
      expect(dig(container, 'resources', 'requests', 'cpu')).toBeTruthy();
      expect(dig(container, 'resources', 'requests', 'memory')).toBeTruthy();
      expect(dig(container, 'resources', 'limits', 'memory')).toBeTruthy();
      // Knative makes timeoutSeconds the pod's termination grace (reconciler/revision/resources/deploy.go).
      const grace = Number(dig(container, 'env').find((env: { name: string }) => env.name === 'SHUTDOWN_GRACE_MS').value);
      expect(grace).toBe(deployments[name].timeouts.shutdownGraceMs);
      expect(grace).toBeLessThan(dig(spec, 'timeoutSeconds') * 1000);
      expect(dig(container, 'securityContext', 'runAsNonRoot')).toBe(true);
    }
  });

  it('config from the ConfigMap in knative/, secrets by reference mounted where the config loader reads them', () => {
    const config = configMapData(objectNames.functionConfig);
    expect(config.REDIS_MASTER_NAME).toBe(redisTopology.masterName);
    for (const name of functionNames) {
      const spec = dig(knativeService(name), 'spec', 'template', 'spec');
      const container = dig(spec, 'containers', 0);
      expect(dig(container, 'envFrom')).toEqual([{ configMapRef: { name: objectNames.functionConfig } }]);
      expect(dig(container, 'volumeMounts')).toEqual([{ name: 'secrets', mountPath: defaultSecretsDir, readOnly: true }]);
      expect(dig(spec, 'volumes')).toHaveLength(1);
      expect(dig(spec, 'volumes', 0, 'name')).toBe('secrets');
      // Nothing secret inline.
      expect(JSON.stringify(container)).not.toMatch(/PASSWORD|PEPPER|SIGNING/);
    }
  });

  it("each function mounts exactly its own keys of the Secret (stack.yml's list), the optional ones (audit-offload's token, Loki's credentials) as optional", () => {
    type Source = { secret: { name: string; items: { key: string; path: string }[]; optional?: boolean } };
    for (const name of functionNames) {
      const sources = dig(knativeService(name), 'spec', 'template', 'spec', 'volumes', 0, 'projected', 'sources') as Source[];
      for (const { secret } of sources) {
        expect(secret.name).toBe(objectNames.functionSecrets);
        // Each key becomes the file of its own name: what shared/config/secrets.ts reads.
        for (const item of secret.items) expect(item.path).toBe(item.key);
      }
      const keys = (optional: boolean) => sources.filter(({ secret }) => (secret.optional ?? false) === optional).flatMap(({ secret }) => secret.items.map((item) => item.key));
      const { secrets } = deployments[name];
      expect([...keys(false), ...keys(true)].sort(), name).toEqual([...secrets].sort());
      expect(keys(true).sort(), name).toEqual(secrets.filter((secret) => optionalSecrets.includes(secret)).sort());
      expect(keys(false), name).toEqual(expect.arrayContaining(['jwt-signing-keys', 'api-key-pepper', 'redis-password', 'redis-sentinel-password']));
    }
    // audit-offload alone gets its token, and starts without it (it then shows totals only).
    expect(functionNames.filter((name) => deployments[name].secrets.includes('audit-offload-token'))).toEqual(['audit-offload']);
    expect(optionalSecrets).toEqual(expect.arrayContaining(['audit-offload-token', 'loki-password', 'loki-bearer-token']));
    expect(secretSettings.AUDIT_OFFLOAD_TOKEN).toBe('audit-offload-token');
  });

  it('with only the required keys mounted, a function starts on the ConfigMap as generated; the token file, when there, is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-secrets-'));
    try {
      const env = { ...configMapData(objectNames.functionConfig) };
      writeFileSync(join(dir, 'jwt-signing-keys'), `k1:${'a'.repeat(64)}\n`);
      writeFileSync(join(dir, 'api-key-pepper'), `${'b'.repeat(64)}\n`);
      writeFileSync(join(dir, 'redis-password'), 'redis\n');
      writeFileSync(join(dir, 'redis-sentinel-password'), 'sentinel\n');
      const config = loadConfig({ env, secretsDir: dir });
      expect(config.audit.offload.token).toBeUndefined();
      expect(config.loki?.url).toBe(lokiUrl);
      writeFileSync(join(dir, 'audit-offload-token'), `${'c'.repeat(64)}\n`);
      expect(loadConfig({ env, secretsDir: dir }).audit.offload.token).toBe('c'.repeat(64));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("HOST: every interface on Knative, since the kubelet sends the (unrewritten) liveness probe to the pod IP", () => {
    const host = configMapData(objectNames.functionConfig).HOST;
    expect(host).toBe(listenHost.knative);
    for (const name of functionNames) {
      const probe = dig(knativeService(name), 'spec', 'template', 'spec', 'containers', 0, 'livenessProbe', 'httpGet');
      // No host in the probe: the kubelet dials the pod IP, which a loopback-only server never answers.
      expect(probe?.host, name).toBeUndefined();
    }
    expect(['0.0.0.0', '::']).toContain(host);
  });

  it('every Service is cluster-local; audit-offload is triggered every minute by the one PingSource', () => {
    for (const name of functionNames) expect(dig(knativeService(name), 'metadata', 'labels', 'networking.knative.dev/visibility')).toBe('cluster-local');
    const sources = manifests.filter(({ object }) => object.kind === 'PingSource').map(({ object }) => object);
    expect(sources).toHaveLength(1);
    expect(dig(sources[0], 'spec', 'schedule')).toBe('*/1 * * * *');
    expect(dig(sources[0], 'spec', 'sink', 'ref')).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'audit-offload' });
    // A PingSource POSTs its CloudEvent to the sink's root: audit-offload serves POST /, and nothing of it is public.
    const offloadRoutes = routes.filter((route) => route.fn === 'audit-offload');
    expect(offloadRoutes.map((route) => `${route.method} ${route.path}`)).toContain('POST /');
    expect(offloadRoutes.every((route) => !route.public)).toBe(true);
  });

  it('the settings in the ConfigMap are ones the config loader reads', () => {
    const configSource = readFileSync(join(repoRoot, 'shared/config/config.ts'), 'utf8');
    // Being added with Redis Sentinel/Cluster and Loki support (README lists them once they land).
    const pending = ['REDIS_SENTINELS', 'REDIS_MASTER_NAME', 'LOKI_URL'];
    for (const name of Object.keys(configMapData(objectNames.functionConfig))) {
      expect(configSource.includes(`${name}:`) || pending.includes(name) || name in secretSettings, name).toBe(true);
    }
    expect(configMapData(objectNames.functionConfig).REDIS_SENTINELS).toBe(sentinelAddresses().join(','));
    expect(configMapData(objectNames.functionConfig).LOKI_URL).toBe(lokiUrl);
  });
});

/** Gateway API PathPrefix: element-wise, `/token` matches `/token` and `/token/revoke`, not `/tokens`. */
function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}

describe('knative/: one public host routes every public path to its function, none to audit-offload', () => {
  const rules = () => dig(find('HTTPRoute', 'keyward-public'), 'spec', 'rules') as { matches: { path: { type: string; value: string } }[]; filters: { type: string; urlRewrite: { hostname: string } }[]; backendRefs: { name: string; namespace: string; port: number }[] }[];
  const functionOfHost = (host: string) => functionNames.find((name) => clusterLocalHost(name) === host);

  /** The function a request path reaches: the longest matching prefix wins, as Gateway API says. */
  function routedTo(path: string): string | undefined {
    let best: { length: number; fn: string | undefined } | undefined;
    for (const rule of rules()) {
      for (const match of rule.matches) {
        if (match.path.type !== 'PathPrefix' || !prefixMatches(match.path.value, path)) continue;
        if (!best || match.path.value.length > best.length) best = { length: match.path.value.length, fn: functionOfHost(rule.filters[0]?.urlRewrite.hostname ?? '') };
      }
    }
    return best?.fn;
  }

  it('every public route of shared/routes.ts reaches the function that serves it', () => {
    for (const route of routes.filter((r) => r.public)) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x');
      expect(routedTo(path), `${route.method} ${route.path}`).toBe(route.fn);
    }
  });

  it('no rule reaches audit-offload or matches every path; other paths reach nothing', () => {
    for (const rule of rules()) {
      expect(rule.filters).toHaveLength(1);
      expect(rule.filters[0]?.type).toBe('URLRewrite');
      const fn = functionOfHost(rule.filters[0]?.urlRewrite.hostname ?? '');
      expect(fn).toBeDefined();
      expect(fn).not.toBe('audit-offload');
      for (const match of rule.matches) expect(match.path.value).not.toBe('/');
    }
    for (const path of ['/', '/function/audit-offload', '/audit-offload', '/tokens', '/openapi.json', '/healthz']) expect(routedTo(path), path).toBeUndefined();
  });

  it('each rule rewrites to a Service in knative/ and is sent to the Knative local gateway, which a ReferenceGrant opens to it', () => {
    const route = find('HTTPRoute', 'keyward-public');
    const gateway = find('Gateway', 'keyward');
    expect(dig(route, 'spec', 'parentRefs')).toEqual([{ name: 'keyward' }]);
    const listenerHosts = dig(gateway, 'spec', 'listeners').map((listener: { hostname: string }) => listener.hostname);
    for (const host of dig(route, 'spec', 'hostnames')) expect(listenerHosts).toContain(host);
    const grant = find('ReferenceGrant', 'keyward-public-route');
    for (const rule of rules()) {
      const fn = functionOfHost(rule.filters[0]?.urlRewrite.hostname ?? '');
      expect(knativeService(fn ?? '')).toBeTruthy();
      for (const backend of rule.backendRefs) {
        expect(backend).toEqual({ ...defaultPublicGateway.knativeLocalGateway });
        expect(dig(grant, 'metadata', 'namespace')).toBe(backend.namespace);
        expect(dig(grant, 'spec', 'to')).toContainEqual({ group: '', kind: 'Service', name: backend.name });
      }
    }
    expect(dig(grant, 'spec', 'from')).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace }]);
  });
});

describe('knative/infra/: Redis with Sentinel, Loki, Grafana, Prometheus', () => {
  it('Redis: a StatefulSet of 3 with persistence behind a headless Service; Sentinel: a StatefulSet of 3, headless', () => {
    const redis = find('StatefulSet', redisTopology.statefulSet);
    expect(dig(redis, 'spec', 'replicas')).toBe(3);
    expect(dig(redis, 'spec', 'volumeClaimTemplates', 0, 'spec', 'resources', 'requests', 'storage')).toMatch(/Gi$/);
    expect(dig(redis, 'spec', 'template', 'spec', 'containers', 0, 'volumeMounts')).toContainEqual({ name: dig(redis, 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name'), mountPath: '/data' });
    const sentinel = find('StatefulSet', redisTopology.sentinelStatefulSet);
    expect(dig(sentinel, 'spec', 'replicas')).toBe(3);
    for (const set of [redis, sentinel]) {
      const service = find('Service', dig(set, 'spec', 'serviceName'), 'v1');
      expect(dig(service, 'spec', 'clusterIP')).toBe('None');
      expect(dig(service, 'spec', 'publishNotReadyAddresses')).toBe(true);
      expect(dig(service, 'spec', 'selector')).toEqual(dig(set, 'spec', 'selector', 'matchLabels'));
    }
  });

  it("one master and two replicas, monitored as the client's REDIS_MASTER_NAME by Sentinels at the client's REDIS_SENTINELS", () => {
    const data = configMapData('redis-config');
    expect(data['redis.conf']).toMatch(/^appendonly yes$/m);
    // Replicas follow whichever master the Sentinels name (pod 0 on a first start).
    expect(data['redis-init.sh']).toContain(`sentinel get-master-addr-by-name ${redisTopology.masterName}`);
    expect(data['redis-init.sh']).toContain('replicaof ${master} 6379');
    expect(data['redis-init.sh']).toContain(`master="${redisTopology.statefulSet}-0.${redisTopology.statefulSet}.`);
    const monitor = /^sentinel monitor (\S+) \$\{master\} (\d+) (\d+)$/m.exec(data['sentinel-init.sh'] ?? '');
    expect(monitor?.slice(1)).toEqual([redisTopology.masterName, String(redisTopology.port), String(redisTopology.quorum)]);
    expect(redisTopology.quorum).toBeGreaterThan(redisTopology.sentinels / 2);
    expect(data['sentinel-init.sh']).toMatch(/^sentinel auth-pass mymaster \$\{REDIS_PASSWORD\}$/m);
    expect(data['sentinel-init.sh']).toMatch(/^requirepass \$\{SENTINEL_PASSWORD\}$/m);

    // The client's view, built from the same StatefulSet, headless Service, namespace and port.
    const sentinel = find('StatefulSet', redisTopology.sentinelStatefulSet);
    const port = dig(sentinel, 'spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort');
    const expected = Array.from({ length: dig(sentinel, 'spec', 'replicas') }, (_, i) => `${dig(sentinel, 'metadata', 'name')}-${i}.${dig(sentinel, 'spec', 'serviceName')}.${namespace}.svc.cluster.local:${port}`);
    expect(configMapData(objectNames.functionConfig).REDIS_SENTINELS?.split(',')).toEqual(expected);
  });

  it('Redis and Sentinel passwords come from keys of the functions\' Secret that the config loader knows', () => {
    const keys = manifests
      .flatMap(({ object }) => JSON.stringify(object).match(/"secretKeyRef":\{[^}]*\}/g) ?? [])
      .map((text) => JSON.parse(`{${text}}`).secretKeyRef as { name: string; key: string });
    const functionSecretKeys = keys.filter((ref) => ref.name === objectNames.functionSecrets).map((ref) => ref.key);
    expect(new Set(functionSecretKeys)).toEqual(new Set(['redis-password', 'redis-sentinel-password']));
    for (const key of functionSecretKeys) expect(Object.values(secretSettings)).toContain(key);
    expect(keys.filter((ref) => ref.name !== objectNames.functionSecrets)).toEqual([{ name: objectNames.grafanaAdminSecret, key: 'admin-password' }]);
  });

  it('Loki: auth_enabled true, retention applied by the compactor, on a persistent volume, where LOKI_URL points', () => {
    const config = parseYaml(configMapData('loki-config')['config.yaml'] ?? '');
    expect(config.auth_enabled).toBe(true);
    expect(config.compactor).toMatchObject({ retention_enabled: true, delete_request_store: 'filesystem' });
    expect(config.limits_config.retention_period).toMatch(/^\d+h$/);
    expect(Number.parseInt(config.limits_config.retention_period, 10) % 24).toBe(0);
    expect(config.schema_config.configs[0]).toMatchObject({ store: 'tsdb', schema: 'v13', index: { period: '24h' } });
    const loki = find('StatefulSet', 'loki');
    expect(dig(loki, 'spec', 'replicas')).toBe(1);
    const claim = dig(loki, 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name');
    expect(dig(loki, 'spec', 'template', 'spec', 'containers', 0, 'volumeMounts')).toContainEqual({ name: claim, mountPath: config.common.path_prefix });
    const service = find('Service', 'loki', 'v1');
    expect(lokiUrl).toBe(`http://${dig(service, 'metadata', 'name')}.${namespace}.svc.cluster.local:${dig(service, 'spec', 'ports', 0, 'port')}`);
    expect(dig(service, 'spec', 'ports', 0, 'port')).toBe(config.server.http_listen_port);
  });

  it('Grafana: a Loki datasource per tenant sending X-Scope-OrgID, provisioned with the dashboards from mounted ConfigMaps', () => {
    const datasources = parseYaml(configMapData('grafana-datasources')['loki.yaml'] ?? '');
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources.map((source: { secureJsonData: { httpHeaderValue1: string } }) => source.secureJsonData.httpHeaderValue1)).toEqual([...grafanaTenants]);
    for (const source of datasources.datasources) {
      expect(source).toMatchObject({ type: 'loki', access: 'proxy', url: lokiUrl, jsonData: { httpHeaderName1: 'X-Scope-OrgID' } });
      expect(isTenantId(source.secureJsonData.httpHeaderValue1)).toBe(true);
    }
    const providers = parseYaml(configMapData('grafana-dashboard-providers')['keyward.yaml'] ?? '');
    const deployment = find('Deployment', 'grafana');
    const mounts = dig(deployment, 'spec', 'template', 'spec', 'containers', 0, 'volumeMounts') as { name: string; mountPath: string }[];
    const volumes = dig(deployment, 'spec', 'template', 'spec', 'volumes') as { name: string; configMap?: { name: string } }[];
    const mountOf = (configMap: string) => mounts.find((mount) => mount.name === volumes.find((volume) => volume.configMap?.name === configMap)?.name)?.mountPath;
    expect(mountOf('grafana-datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(mountOf('grafana-dashboard-providers')).toBe('/etc/grafana/provisioning/dashboards');
    expect(mountOf('grafana-dashboards')).toBe(providers.providers[0].options.path);
  });

  it('the audit dashboard: events per action, failed logins, denied requests, per tenant, in LogQL on {job="audit_logs"}', () => {
    const dashboard = JSON.parse(configMapData('grafana-dashboards')['keyward-audit.json'] ?? '');
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title);
    expect(titles).toEqual(expect.arrayContaining(['Events per action', 'Failed logins', 'Denied requests', 'Events per tenant']));
    const exprOf = (title: string): string => dashboard.panels.find((panel: { title: string }) => panel.title === title).targets[0].expr;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        expect(target.expr).toContain('{job="audit_logs", tenant_id=~"$tenant_id"');
        expect(panel.datasource).toEqual({ type: 'loki', uid: '${datasource}' });
        for (const [, action] of target.expr.matchAll(/action="([a-z_]+)"/g)) expect(auditActions).toContain(action);
      }
    }
    expect(exprOf('Events per action')).toMatch(/sum by \(action\)/);
    expect(exprOf('Failed logins')).toContain('action="login_failed"');
    expect(exprOf('Denied requests')).toContain('outcome="denied"');
    expect(exprOf('Events per tenant')).toMatch(/sum by \(tenant_id\)/);
    const variables = dashboard.templating.list.map((variable: { name: string; type: string }) => `${variable.name}:${variable.type}`);
    expect(variables).toEqual(['datasource:datasource', 'tenant_id:query']);
  });

  it('Prometheus: scrape jobs for every function on Knative and on OpenFaaS', () => {
    const data = configMapData('prometheus-keyward-scrape');
    const config = parseYaml(data['prometheus.yml'] ?? '');
    expect(parseYaml(data['scrape-configs.yaml'] ?? '')).toEqual(config.scrape_configs);
    const jobs = new Map<string, { relabel_configs: { regex?: string; action?: string }[] }>(config.scrape_configs.map((job: { job_name: string }) => [job.job_name, job]));
    for (const job of ['keyward-knative-functions', 'keyward-openfaas-functions']) {
      const keep = jobs.get(job)?.relabel_configs.find((relabel) => relabel.action === 'keep');
      expect(keep?.regex?.split('|').sort(), job).toEqual([...functionNames].sort());
    }
  });
});
