import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultPublicGateway, namespace, openfaasFunctionNamespace, platformNamespaces, prometheusPods, redisTopology } from '../shared/deploy/cluster.js';
import { metricsPort, metricsPortAnnotation, upstreamPort, watchdogPorts } from '../shared/deploy/functions.js';
import { queueProxyPorts } from '../shared/deploy/network-policies.js';
import { functionNames, type FunctionName } from '../shared/routes.js';
import { copy, dig, loadManifests, parseDocuments, repoRoot } from './support/manifests.js';
import { admits, admittedSources, policiesSelecting, type PodView } from './support/network-policy.js';
import { substituteEnvironment } from './support/stack-schema.js';

/**
 * What the generated NetworkPolicies mean, asked of the files as committed: for every pod keyward
 * deploys, which pods (keyward's, the platforms', strangers) may connect to it and on which ports.
 * The pods are built from the generated manifests' own labels, so a selector that misses them fails.
 */

const objects = [...loadManifests('knative'), ...loadManifests('openfaas')].map(({ object }) => object);
const policies = objects.filter((object) => object.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];

function containerPorts(podSpec: unknown): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const container of (dig(podSpec, 'containers') ?? []) as { ports?: { name?: string; containerPort: number }[] }[]) {
    for (const port of container.ports ?? []) ports[port.name ?? String(port.containerPort)] = port.containerPort;
  }
  return ports;
}

/** The port keyward's metrics are served on, as the pod annotation declares it (what the scrape jobs read). */
function annotatedMetricsPort(annotations: Record<string, string> | undefined): Record<string, number> {
  const port = annotations?.[metricsPortAnnotation];
  return port === undefined ? {} : { 'keyward-metrics': Number(port) };
}

/** A Knative function's pod: its revision template's labels plus those Knative adds, queue-proxy's ports beside the function's. */
function knativePod(name: FunctionName): PodView {
  const service = objects.find((object) => object.apiVersion === 'serving.knative.dev/v1' && object.kind === 'Service' && dig(object, 'metadata', 'name') === name);
  const template = dig(service, 'spec', 'template');
  const revision = `${name}-00001`;
  return {
    namespace: dig(service, 'metadata', 'namespace'),
    labels: { ...dig(template, 'metadata', 'labels'), 'serving.knative.dev/service': name, 'serving.knative.dev/configuration': name, 'serving.knative.dev/revision': revision, app: revision },
    ports: {
      ...containerPorts(dig(template, 'spec')),
      ...annotatedMetricsPort(dig(template, 'metadata', 'annotations')),
      'queue-port': queueProxyPorts.http1,
      'http-autometric': queueProxyPorts.autoscalerMetrics,
      'http-usermetric': queueProxyPorts.userMetrics,
    },
  };
}

/** The pods of the Deployments and StatefulSets under knative/infra/, by workload name. */
const workloadPods: Record<string, PodView> = Object.fromEntries(
  objects
    .filter((object) => object.kind === 'StatefulSet' || object.kind === 'Deployment')
    .map((object) => [
      dig(object, 'metadata', 'name') as string,
      { namespace: dig(object, 'metadata', 'namespace'), labels: dig(object, 'spec', 'template', 'metadata', 'labels'), ports: containerPorts(dig(object, 'spec', 'template', 'spec')) },
    ]),
);

/** An OpenFaaS function's pod: faas-netes labels it faas_function=<name> plus the stack's labels. */
const stack = parseDocuments(substituteEnvironment(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}), 'stack.yml')[0] as {
  functions: Record<string, { labels: Record<string, string>; annotations?: Record<string, string> }>;
};
function openfaasPod(name: FunctionName): PodView {
  return {
    namespace: openfaasFunctionNamespace,
    labels: { ...stack.functions[name]?.labels, faas_function: name },
    ports: { http: watchdogPorts.http, metrics: watchdogPorts.metrics, upstream: upstreamPort, ...annotatedMetricsPort(stack.functions[name]?.annotations) },
  };
}

function workload(name: string): PodView {
  const pod = workloadPods[name];
  if (!pod) throw new Error(`no Deployment or StatefulSet ${name} under knative/`);
  return pod;
}

const pod = (podNamespace: string, labels: Record<string, string>): PodView => ({ namespace: podNamespace, labels });

/** Everyone who might try to connect: keyward's pods, the platforms' components, and strangers. */
const sources: Record<string, PodView> = {
  ...Object.fromEntries(functionNames.map((name) => [`knative:${name}`, knativePod(name)])),
  ...Object.fromEntries(functionNames.map((name) => [`openfaas:${name}`, openfaasPod(name)])),
  redis: workload(redisTopology.statefulSet),
  'redis-sentinel': workload(redisTopology.sentinelStatefulSet),
  loki: workload('loki'),
  grafana: workload('grafana'),
  prometheus: pod(prometheusPods.namespace, { ...prometheusPods.labels, 'app.kubernetes.io/managed-by': 'prometheus-operator' }),
  'knative-ingress': pod(defaultPublicGateway.knativeIngressNamespace, { app: '3scale-kourier-gateway' }),
  'knative-serving': pod(platformNamespaces.knativeServing, { app: 'activator' }),
  // Both reach the functions through the Knative ingress only, so neither is admitted to a function pod.
  'knative-eventing': pod('knative-eventing', { 'eventing.knative.dev/source': 'ping-source-controller', 'sources.knative.dev/role': 'adapter' }),
  'public-gateway': pod('envoy-gateway-system', { 'app.kubernetes.io/name': 'envoy', 'gateway.envoyproxy.io/owning-gateway-name': 'keyward' }),
  openfaas: pod(platformNamespaces.openfaas, { app: 'gateway' }),
  'openfaas-cron-connector': pod(platformNamespaces.openfaas, { app: 'cron-connector' }),
  'someone-elses-function': pod(openfaasFunctionNamespace, { faas_function: 'someone-else' }),
  'stranger-in-keyward': pod(namespace, { app: 'debug' }),
  stranger: pod('default', { app: 'debug' }),
  // keyward's labels in the wrong namespace: a podSelector without its namespaceSelector would let them in.
  'impostor-function': pod('default', knativePod('data').labels),
  'impostor-openfaas-function': pod('default', { faas_function: 'data' }),
  'impostor-prometheus': pod('default', { ...prometheusPods.labels }),
};

/** Every port any policy names, the pod's own, the function's own port behind of-watchdog, queue-proxy's admin port. */
function candidatePorts(target: PodView): number[] {
  const named = policies.flatMap((policy) => (policy.spec?.ingress ?? []).flatMap((rule) => (rule.ports ?? []).map((entry) => entry.port)));
  return [...named.filter((port): port is number => typeof port === 'number'), ...Object.values(target.ports ?? {}), upstreamPort, 8022];
}

function reachableBy(target: PodView, withPolicies: readonly INetworkPolicy[] = policies): Record<string, number[]> {
  return admittedSources(withPolicies, sources, target, candidatePorts(target));
}

function each<T>(names: readonly FunctionName[], value: T): Record<string, T> {
  return Object.fromEntries(names.map((name) => [name, value]));
}

const redisPort = workload(redisTopology.statefulSet).ports?.redis ?? NaN;
const sentinelPort = workload(redisTopology.sentinelStatefulSet).ports?.sentinel ?? NaN;
const lokiPort = workload('loki').ports?.['http-metrics'] ?? NaN;
const lokiFunctions: FunctionName[] = ['audit', 'audit-offload'];

/** Who may reach keyward's pods over the pod network, and on which ports: the intent, written out. */
const intended = {
  knativeFunction: {
    'knative-ingress': [queueProxyPorts.http1, queueProxyPorts.h2c, queueProxyPorts.https],
    'knative-serving': [queueProxyPorts.http1, queueProxyPorts.h2c, queueProxyPorts.https, queueProxyPorts.autoscalerMetrics],
    // keyward's own metrics: Prometheus alone, never the ingress (SPEC §12: scrapes are not traffic).
    prometheus: [queueProxyPorts.userMetrics, metricsPort],
  },
  openfaasFunction: {
    // Not the metrics port: the gateway could otherwise serve /function/<name>/metrics.
    openfaas: [watchdogPorts.http, watchdogPorts.metrics],
    'openfaas-cron-connector': [watchdogPorts.http, watchdogPorts.metrics],
    prometheus: [watchdogPorts.metrics, metricsPort],
  },
  redis: {
    redis: [redisPort],
    'redis-sentinel': [redisPort],
    ...Object.fromEntries(functionNames.flatMap((name) => [[`knative:${name}`, [redisPort]], [`openfaas:${name}`, [redisPort]]])),
  },
  sentinel: {
    redis: [sentinelPort],
    'redis-sentinel': [sentinelPort],
    ...Object.fromEntries(functionNames.flatMap((name) => [[`knative:${name}`, [sentinelPort]], [`openfaas:${name}`, [sentinelPort]]])),
  },
  loki: {
    ...Object.fromEntries(lokiFunctions.flatMap((name) => [[`knative:${name}`, [lokiPort]], [`openfaas:${name}`, [lokiPort]]])),
    grafana: [lokiPort],
    prometheus: [lokiPort],
  },
  grafana: {},
};

describe('NetworkPolicies: who reaches each of keyward\'s pods, and where', () => {
  it('the ports are Knative\'s and of-watchdog\'s (knative/serving pkg/networking/constants.go; template/keyward-node20)', () => {
    expect(queueProxyPorts).toEqual({ http1: 8012, h2c: 8013, https: 8112, autoscalerMetrics: 9090, userMetrics: 9091 });
    expect(watchdogPorts).toEqual({ http: 8080, metrics: 8081 });
    // keyward's metrics port, declared on every function's pods on both platforms, is none of theirs.
    for (const name of functionNames) {
      expect(knativePod(name).ports?.['keyward-metrics'], name).toBe(metricsPort);
      expect(openfaasPod(name).ports?.['keyward-metrics'], name).toBe(metricsPort);
    }
    expect([...Object.values(queueProxyPorts), ...Object.values(watchdogPorts), upstreamPort]).not.toContain(metricsPort);
    expect([redisPort, sentinelPort, lokiPort]).toEqual([redisTopology.port, redisTopology.sentinelPort, 3100]);
  });

  it("a Knative function pod: the Knative ingress and Knative Serving on queue-proxy's ports, Prometheus on its metrics; nobody on the function's own port", () => {
    for (const name of functionNames) {
      const target = knativePod(name);
      expect(reachableBy(target), name).toEqual(intended.knativeFunction);
      // The function listens on every interface on Knative (HOST): only the kubelet, from the node, reaches that port.
      const own = target.ports?.http1 ?? NaN;
      expect(Object.values(sources).some((source) => admits(policies, source, target, own)), name).toBe(false);
    }
  });

  it("an OpenFaaS function pod: OpenFaaS's own namespace (gateway, queue-worker) on the watchdog, Prometheus on its metrics", () => {
    for (const name of functionNames) expect(reachableBy(openfaasPod(name)), name).toEqual(intended.openfaasFunction);
    // Another team's function in openfaas-fn is not selected: the policy changes nothing for it.
    expect(policiesSelecting(policies, sources['someone-elses-function'] ?? pod('', {}))).toEqual([]);
  });

  it('Redis and Sentinel: each other and every function on both platforms, on their one port', () => {
    expect(reachableBy(workload(redisTopology.statefulSet))).toEqual(intended.redis);
    expect(reachableBy(workload(redisTopology.sentinelStatefulSet))).toEqual(intended.sentinel);
  });

  it('Loki: the functions that push or query it, Grafana and Prometheus, on its HTTP port only', () => {
    expect(reachableBy(workload('loki'))).toEqual(intended.loki);
  });

  it('Grafana: no pod at all (operators use kubectl port-forward, which the policies do not see)', () => {
    expect(reachableBy(workload('grafana'))).toEqual(intended.grafana);
  });

  it('the functions Loki admits are exactly the entry points built with the Loki client', () => {
    const builtWithLoki = functionNames.filter((name) => readFileSync(join(repoRoot, 'functions', name, 'index.ts'), 'utf8').includes('lokiClient'));
    expect(builtWithLoki).toEqual(lokiFunctions);
  });
});

describe('NetworkPolicies: no pod left open, none selected twice', () => {
  const deployed: Record<string, PodView> = {
    ...Object.fromEntries(functionNames.map((name) => [`knative:${name}`, knativePod(name)])),
    ...Object.fromEntries(functionNames.map((name) => [`openfaas:${name}`, openfaasPod(name)])),
    ...workloadPods,
  };

  it('every pod keyward deploys, on either platform, is selected by exactly one policy, of its own namespace', () => {
    expect(Object.keys(workloadPods).sort()).toEqual(['grafana', 'loki', redisTopology.statefulSet, redisTopology.sentinelStatefulSet].sort());
    for (const [name, target] of Object.entries(deployed)) {
      const selecting = policiesSelecting(policies, target);
      expect(selecting.map((policy) => policy.metadata?.name), name).toHaveLength(1);
      expect(selecting[0]?.metadata?.namespace, name).toBe(target.namespace);
    }
  });

  it('each policy selects keyward\'s pods and no stranger: its selector matches the labels the generated pods carry', () => {
    const selected = (policy: INetworkPolicy) => Object.entries({ ...deployed, ...sources }).filter(([, target]) => policiesSelecting([policy], target).length > 0).map(([name]) => name);
    const byName = (policyNamespace: string, name: string) => policies.find((policy) => policy.metadata?.namespace === policyNamespace && policy.metadata.name === name) ?? ({} as INetworkPolicy);
    expect(new Set(selected(byName(namespace, 'keyward-functions')))).toEqual(new Set(functionNames.map((name) => `knative:${name}`)));
    expect(new Set(selected(byName(openfaasFunctionNamespace, 'keyward-functions')))).toEqual(new Set(functionNames.map((name) => `openfaas:${name}`)));
    for (const name of [redisTopology.statefulSet, redisTopology.sentinelStatefulSet, 'loki', 'grafana']) expect(selected(byName(namespace, name)), name).toEqual([name]);
    expect(policies).toHaveLength(6);
  });

  it('ingress only, TCP only, and every rule names both its sources and its ports', () => {
    for (const policy of policies) {
      expect(policy.spec?.policyTypes, policy.metadata?.name).toEqual(['Ingress']);
      expect(policy.spec?.egress).toBeUndefined();
      for (const rule of policy.spec?.ingress ?? []) {
        expect(rule.from?.length, policy.metadata?.name).toBeGreaterThan(0);
        expect(rule.ports?.length, policy.metadata?.name).toBeGreaterThan(0);
        for (const entry of rule.ports ?? []) expect(entry).toEqual({ protocol: 'TCP', port: expect.any(Number) });
        // Every peer names its namespace: a podSelector alone would mean "this namespace" silently.
        for (const peer of rule.from ?? []) expect(peer.namespaceSelector?.matchLabels, policy.metadata?.name).toEqual({ 'kubernetes.io/metadata.name': expect.any(String) });
      }
    }
  });

  it("Prometheus may scrape every target of knative/infra/prometheus.yaml's jobs, on the port the job scrapes", () => {
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && dig(object, 'metadata', 'name') === 'prometheus-keyward-scrape');
    const jobs = parseYaml(dig(configMap, 'data', 'prometheus.yml')).scrape_configs as { job_name: string; relabel_configs: { source_labels?: string[]; regex?: string; replacement?: string; action?: string; target_label?: string }[] }[];
    const keptPortName = (job: (typeof jobs)[number]) => job.relabel_configs.find((relabel) => relabel.action === 'keep' && relabel.source_labels?.[0] === '__meta_kubernetes_pod_container_port_name')?.regex;
    const prometheus = sources.prometheus ?? pod('', {});
    const targetsOf: Record<string, PodView[]> = {
      'keyward-knative-functions': functionNames.map(knativePod),
      'keyward-openfaas-functions': functionNames.map(openfaasPod),
      'keyward-knative-metrics': functionNames.map(knativePod),
      'keyward-openfaas-metrics': functionNames.map(openfaasPod),
      'keyward-loki': [workload('loki')],
    };
    expect(jobs.map((job) => job.job_name).sort()).toEqual(Object.keys(targetsOf).sort());
    for (const job of jobs) {
      const rewrite = job.relabel_configs.find((relabel) => relabel.target_label === '__address__');
      // A rewrite to a fixed port (of-watchdog's), or to the port the pod's annotation declares (keyward's own).
      const fromAnnotation = rewrite?.source_labels?.some((label) => label.startsWith('__meta_kubernetes_pod_annotation_')) === true;
      for (const target of targetsOf[job.job_name] ?? []) {
        const port = fromAnnotation
          ? (target.ports?.['keyward-metrics'] ?? NaN)
          : rewrite?.replacement
            ? Number(/:(\d+)$/.exec(rewrite.replacement)?.[1])
            : (target.ports?.[keptPortName(job) ?? ''] ?? NaN);
        expect(admits(policies, prometheus, target, port), `${job.job_name} → ${port}`).toBe(true);
      }
    }
  });
});

describe('NetworkPolicies: the checks above catch a loosened rule (broken copies)', () => {
  const withChange = (name: string, policyNamespace: string, change: (policy: INetworkPolicy) => void): INetworkPolicy[] =>
    policies.map((policy) => {
      if (policy.metadata?.name !== name || policy.metadata.namespace !== policyNamespace) return policy;
      const changed = copy(policy);
      change(changed);
      return changed;
    });

  it("Redis's rule without its `from`: every pod in the cluster reaches Redis", () => {
    const loosened = withChange(redisTopology.statefulSet, namespace, (policy) => {
      delete dig(policy, 'spec', 'ingress', 0).from;
    });
    const reach = reachableBy(workload(redisTopology.statefulSet), loosened);
    expect(reach).not.toEqual(intended.redis);
    expect(reach).toMatchObject({ stranger: [redisPort], 'someone-elses-function': [redisPort], 'public-gateway': [redisPort] });
  });

  it('an OpenFaaS peer split in two (namespaceSelector OR podSelector): all of openfaas-fn, and faas_function pods of keyward, reach Redis', () => {
    const loosened = withChange(redisTopology.statefulSet, namespace, (policy) => {
      const from = dig(policy, 'spec', 'ingress', 0, 'from') as { namespaceSelector?: unknown; podSelector?: unknown }[];
      const index = from.findIndex((peer) => JSON.stringify(peer).includes(openfaasFunctionNamespace));
      const peer = from[index] ?? {};
      from.splice(index, 1, { namespaceSelector: peer.namespaceSelector }, { podSelector: peer.podSelector });
    });
    expect(reachableBy(workload(redisTopology.statefulSet), loosened)).toMatchObject({ 'someone-elses-function': [redisPort] });
  });

  it("the Knative functions' rule for Knative Serving without its ports: the function's own port opens to the whole namespace", () => {
    const loosened = withChange('keyward-functions', namespace, (policy) => {
      delete dig(policy, 'spec', 'ingress', 1).ports;
    });
    const target = knativePod('token');
    expect(reachableBy(target, loosened)).not.toEqual(intended.knativeFunction);
    expect(admits(loosened, sources['knative-serving'] ?? pod('', {}), target, target.ports?.http1 ?? NaN)).toBe(true);
  });

  it("Grafana's policy dropped: Grafana is open to every pod", () => {
    const loosened = policies.filter((policy) => policy.metadata?.name !== 'grafana');
    const reach = reachableBy(workload('grafana'), loosened);
    expect(reach).not.toEqual(intended.grafana);
    expect(reach.stranger).toContain(workload('grafana').ports?.http);
  });
});
