import type { INamespace } from 'kubernetes-models/v1';
import { defaultImages, defaultPublicGateway, namespace, type ImageSettings, type PublicGatewaySettings } from './cluster.js';
import { grafanaObjects } from './infra/grafana.js';
import { lokiObjects } from './infra/loki.js';
import { prometheusObjects } from './infra/prometheus.js';
import { redisObjects } from './infra/redis.js';
import { knativeFiles, partOf } from './knative.js';
import { infraPolicies, knativeFunctionsPolicy, openfaasFunctionsPolicy } from './network-policies.js';
import { renderStack, type OpenFaasEdition } from './stack.js';
import { yamlFile, type GeneratedFile } from './yaml-text.js';

export interface GenerateOptions {
  images?: ImageSettings;
  gateway?: PublicGatewaySettings;
  edition?: OpenFaasEdition;
}

function namespaceObject(): INamespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { ...partOf } } };
}

/** knative/infra/: the namespace, Redis with Sentinel, Loki, Grafana, the Prometheus scrape config. */
export function infraFiles(): GeneratedFile[] {
  return [
    { path: 'knative/infra/00-namespace.yaml', text: yamlFile([namespaceObject()], ['Apply first: everything of keyward lives in this namespace.']) },
    {
      path: 'knative/infra/redis.yaml',
      text: yamlFile(redisObjects(), [
        'Redis: a StatefulSet of 3 (one master, two replicas, persistent) and a Sentinel StatefulSet of 3',
        'watching it as "mymaster": what REDIS_SENTINELS and REDIS_MASTER_NAME point the functions at.',
        'Passwords: keys redis-password and redis-sentinel-password of the Secret keyward-secrets.',
      ]),
    },
    { path: 'knative/infra/loki.yaml', text: yamlFile(lokiObjects(), ['Loki, multi-tenant (auth_enabled: true; tenant = X-Scope-OrgID), with retention.']) },
    {
      path: 'knative/infra/grafana.yaml',
      text: yamlFile(grafanaObjects(), [
        'Grafana with a Loki datasource per tenant and the audit dashboard, the Prometheus datasource and the',
        '"keyward service" dashboard, all provisioned. Adding a tenant: docs/deploy.md.',
      ]),
    },
    {
      path: 'knative/infra/prometheus.yaml',
      text: yamlFile(prometheusObjects(), [
        'Scrape jobs for the functions (the platform\'s metrics and keyward\'s own, SPEC §12) and Loki, and the',
        'alert rules (keyward-alerts.yaml), for the cluster\'s Prometheus.',
      ]),
    },
    {
      path: 'knative/infra/network-policies.yaml',
      text: yamlFile(infraPolicies(), [
        'Who may connect to Redis, Sentinel, Loki and Grafana: keyward\'s functions (Knative\'s in this namespace,',
        'OpenFaaS\'s in openfaas-fn), each other, Grafana and Prometheus. Ingress only. Why each rule: docs/deploy.md.',
      ]),
    },
  ];
}

/** The NetworkPolicy of the Knative function pods (knative/, applied with them). */
export function knativePolicyFile(gateway: PublicGatewaySettings): GeneratedFile {
  return {
    path: 'knative/network-policy.yaml',
    text: yamlFile([knativeFunctionsPolicy(gateway)], [
      `The function pods take connections only from the Knative ingress (${gateway.knativeIngressNamespace}), Knative Serving`,
      'and Prometheus, and only on queue-proxy\'s ports. Why each rule: docs/deploy.md.',
    ]),
  };
}

/** openfaas/: what OpenFaaS needs beside stack.yml (faas-cli does not apply NetworkPolicies). */
export function openfaasFiles(): GeneratedFile[] {
  return [
    {
      path: 'openfaas/network-policy.yaml',
      text: yamlFile([openfaasFunctionsPolicy()], [
        'OpenFaaS only: keyward\'s function pods in openfaas-fn take connections only from OpenFaaS (the gateway,',
        'the queue-worker, its Prometheus) and keyward\'s Prometheus. README "Deploy to OpenFaaS"; why: docs/deploy.md.',
      ]),
    },
  ];
}

/** Every file the generator owns, with the given settings (the committed files use the defaults). */
export function generatedFiles(options: GenerateOptions = {}): GeneratedFile[] {
  const images = options.images ?? defaultImages;
  const gateway = options.gateway ?? defaultPublicGateway;
  const stackImages = options.images ? options.images : 'env';
  return [
    { path: 'stack.yml', text: renderStack(options.edition ?? 'community', stackImages) },
    ...openfaasFiles(),
    ...knativeFiles(images, gateway),
    knativePolicyFile(gateway),
    ...infraFiles(),
  ];
}
