import type { FunctionName } from '../routes.js';
import { metricsPort } from './functions.js';

/** Cluster-wide deployment settings: namespace, images, Redis and Sentinel, Loki, the public gateway. */

/** Where the cluster's services live (Knative Services and the infrastructure). */
export const namespace = 'keyward';

/** faas-netes' default namespace for functions. */
export const openfaasFunctionNamespace = 'openfaas-fn';

/** Image names: `<registry>/keyward-<function>:<tag>`. */
export interface ImageSettings {
  registry: string;
  tag: string;
}

export const defaultImages: ImageSettings = { registry: 'ghcr.io/keyward', tag: 'latest' };

export function imageRepository(name: FunctionName): string {
  return `keyward-${name}`;
}

/** Redis with Sentinel as deployed from knative/infra/ (and reached from OpenFaaS the same way). */
export const redisTopology = {
  replicas: 3,
  sentinels: 3,
  masterName: 'mymaster',
  /** Sentinels that must agree the master is down before a failover. */
  quorum: 2,
  port: 6379,
  sentinelPort: 26379,
  statefulSet: 'redis',
  sentinelStatefulSet: 'redis-sentinel',
} as const;

/** `host:port` of every Sentinel, by its stable StatefulSet DNS name. */
export function sentinelAddresses(): string[] {
  const { sentinels, sentinelStatefulSet, sentinelPort } = redisTopology;
  return Array.from({ length: sentinels }, (_, i) => `${sentinelStatefulSet}-${i}.${sentinelStatefulSet}.${namespace}.svc.cluster.local:${sentinelPort}`);
}

export const lokiUrl = `http://loki.${namespace}.svc.cluster.local:3100`;

/**
 * Proxies in front of a function that append to X-Forwarded-For, per platform (login throttling per
 * client address reads it). OpenFaaS: the gateway sets it when absent. Knative: the public gateway,
 * the Knative ingress, and the queue-proxy. Check on your cluster: docs/deploy.md.
 */
export const trustedProxyHops = { openfaas: 1, knative: 3 } as const;

/**
 * The interface each function's HTTP server listens on (HOST), per platform. OpenFaaS: of-watchdog,
 * in the same container, forwards to 127.0.0.1 (template/keyward-node20's upstream_url), so loopback
 * is enough and keeps the function's own port off the pod network. Knative: queue-proxy forwards over
 * the pod's loopback too, but the kubelet sends the liveness probe, which Knative passes through
 * unchanged (only readiness is rewritten to go through queue-proxy), to the pod IP: on loopback the
 * pod would be restarted forever (knative/serving#12940). So every interface; the functions'
 * NetworkPolicy admits no peer to that port, only to queue-proxy's (docs/deploy.md).
 * An IPv6-only cluster needs `::` here instead.
 */
export const listenHost = { openfaas: '127.0.0.1', knative: '0.0.0.0' } as const;

/** Environment every function gets on both platforms (the config loader reads it; secrets come as files). */
export function commonEnvironment(platform: 'openfaas' | 'knative'): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: listenHost[platform],
    LOG_LEVEL: 'info',
    // Anything written at run time goes under /tmp (the image's own files are read-only to the app user).
    KEYWARD_DATA_DIR: '/tmp/keyward',
    REDIS_SENTINELS: sentinelAddresses().join(','),
    REDIS_MASTER_NAME: redisTopology.masterName,
    LOKI_URL: lokiUrl,
    TRUSTED_PROXY_HOPS: String(trustedProxyHops[platform]),
    // Prometheus scrapes the pod's address, so every interface even where requests stay on loopback (OpenFaaS).
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '0.0.0.0',
  };
}

/** The tenants that get a Loki datasource in Grafana (docs/deploy.md: adding a tenant). */
export const grafanaTenants = ['acme'] as const;

/**
 * The one public host. Knative's DomainMapping maps a host to one Service and cannot route by path,
 * so a Gateway API HTTPRoute routes each public path prefix to its function's cluster-local host,
 * through the Knative ingress's cluster-local gateway (docs/deploy.md says why this and not another).
 */
export interface PublicGatewaySettings {
  /** Host clients use; every public path of the route table is served under it. */
  host: string;
  /** GatewayClass of the cluster's Gateway API implementation (Envoy Gateway's quick start names it `eg`). */
  gatewayClassName: string;
  /** TLS certificate Secret (in the keyward namespace) for the HTTPS listener. */
  tlsSecretName: string;
  /** The Knative networking layer's cluster-local gateway Service: Kourier's by default, `istio-system/knative-local-gateway` with net-istio. */
  knativeLocalGateway: { namespace: string; name: string; port: number };
  /**
   * Namespace of the Knative ingress's proxies, which open the connections to the function pods (their
   * NetworkPolicy admits it): Kourier's gateway runs in kourier-system, net-istio's in istio-system,
   * beside their local gateway Service. The public Gateway's own proxies (Envoy Gateway's, in
   * envoy-gateway-system) only reach that Service, never a function pod.
   */
  knativeIngressNamespace: string;
}

export const defaultPublicGateway: PublicGatewaySettings = {
  host: 'keyward.example.com',
  gatewayClassName: 'eg',
  tlsSecretName: 'keyward-tls',
  knativeLocalGateway: { namespace: 'kourier-system', name: 'kourier-internal', port: 80 },
  knativeIngressNamespace: 'kourier-system',
};

/**
 * Namespaces whose pods open connections to keyward's pods, besides keyward's own and the Knative
 * ingress's (docs/deploy.md "Network policies"). Matched by the label `kubernetes.io/metadata.name`,
 * which Kubernetes (1.22 and later) puts on every namespace.
 */
export const platformNamespaces = {
  /** Knative Serving: the activator (requests while a function scales from zero) and the autoscaler (scrapes queue-proxy). */
  knativeServing: 'knative-serving',
  /** OpenFaaS: the gateway and queue-worker (requests) and its Prometheus (watchdog metrics); the cron-connector calls the gateway. */
  openfaas: 'openfaas',
} as const;

/**
 * The Prometheus that runs knative/infra/prometheus.yaml's scrape jobs: its namespace and a label its
 * pods carry (the Prometheus Operator and the prometheus Helm chart both set this one).
 */
export const prometheusPods = { namespace, labels: { 'app.kubernetes.io/name': 'prometheus' } } as const;

/** That Prometheus's query API, for Grafana's Prometheus datasource (its Service `prometheus` on 9090). */
export const prometheusUrl = `http://prometheus.${namespace}.svc.cluster.local:9090`;

/** The cluster-local host Knative gives a Service: what the HTTPRoute rewrites the Host header to. */
export function clusterLocalHost(name: FunctionName): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** Names of the Secrets and ConfigMap the manifests read. */
export const objectNames = {
  /** Every secret file of shared/config/secrets.ts, as keys: mounted at /var/openfaas/secrets. */
  functionSecrets: 'keyward-secrets',
  functionConfig: 'keyward-config',
  grafanaAdminSecret: 'grafana-admin',
} as const;
