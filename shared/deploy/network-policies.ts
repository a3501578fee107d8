import type { INetworkPolicy, INetworkPolicyIngressRule, INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1';
import { functionNames, type FunctionName } from '../routes.js';
import { namespace, openfaasFunctionNamespace, platformNamespaces, prometheusPods, redisTopology, type PublicGatewaySettings } from './cluster.js';
import { functionsUsing, metricsPort, watchdogPorts } from './functions.js';
import { lokiConfig } from './infra/loki.js';
import { functionPodLabels, partOf } from './knative.js';

/**
 * Who may open a connection to which of keyward's pods (SPEC §11: only the ingress, the platform's
 * own components and keyward's functions reach the functions, Redis and Loki). Ingress only: egress
 * stays open (docs/deploy.md says why). Each rule's reason is in docs/deploy.md "Network policies".
 * Traffic from the pod's own node (kubelet probes, `kubectl port-forward`) is not subject to them.
 */

type LabelSelector = NonNullable<INetworkPolicyPeer['podSelector']>;

/** Kubernetes (1.22 and later) labels every namespace with its own name. */
const namespaceNameLabel = 'kubernetes.io/metadata.name';

/**
 * Knative's queue-proxy, in front of the function in every Knative pod (knative/serving
 * pkg/networking/constants.go): requests over HTTP/1 and h2c, HTTPS when system-internal-tls is on,
 * the autoscaler's metrics, the metrics for Prometheus. The function's own port is none of them.
 */
export const queueProxyPorts = { http1: 8012, h2c: 8013, https: 8112, autoscalerMetrics: 9090, userMetrics: 9091 } as const;

/** The label faas-netes puts on every pod of a function, valued with the function's name. */
const openfaasFunctionLabel = 'faas_function';

/** Knative function pods of these functions: the labels of their revision template, which Knative copies onto the pods. */
function knativeFunctionPods(names: readonly FunctionName[]): LabelSelector {
  return { matchLabels: { ...functionPodLabels }, matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: [...names] }] };
}

/** OpenFaaS function pods of these functions. */
function openfaasFunctionPods(names: readonly FunctionName[]): LabelSelector {
  return { matchExpressions: [{ key: openfaasFunctionLabel, operator: 'In', values: [...names] }] };
}

function inNamespace(name: string): INetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { [namespaceNameLabel]: name } } };
}

/** Pods matching `pods` in namespace `name` (both selectors in one peer: they must both match). */
function podsIn(name: string, pods: LabelSelector): INetworkPolicyPeer {
  return { ...inNamespace(name), podSelector: pods };
}

/** These functions' pods on either platform: Knative's in keyward, OpenFaaS's in openfaas-fn. */
function functionPeers(names: readonly FunctionName[]): INetworkPolicyPeer[] {
  return [podsIn(namespace, knativeFunctionPods(names)), podsIn(openfaasFunctionNamespace, openfaasFunctionPods(names))];
}

const prometheus: INetworkPolicyPeer = podsIn(prometheusPods.namespace, { matchLabels: { ...prometheusPods.labels } });

function tcp(...ports: number[]): { protocol: 'TCP'; port: number }[] {
  return ports.map((port) => ({ protocol: 'TCP', port }));
}

function policy(name: string, policyNamespace: string, pods: LabelSelector, ingress: INetworkPolicyIngressRule[]): INetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: policyNamespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'network-policy', ...partOf } },
    // policyTypes names Ingress alone, so egress is untouched; an empty `ingress` then admits nothing.
    spec: { podSelector: pods, policyTypes: ['Ingress'], ingress },
  };
}

/**
 * Knative: the function pods take requests from the Knative ingress and Knative Serving (the
 * activator; the autoscaler also scrapes queue-proxy), on queue-proxy's ports only, and Prometheus'
 * scrapes: queue-proxy's metrics and keyward's own on the metrics port, which no one else reaches.
 * The PingSource and the public Gateway reach a function through the ingress, not directly.
 */
export function knativeFunctionsPolicy(gateway: PublicGatewaySettings): INetworkPolicy {
  const { http1, h2c, https, autoscalerMetrics, userMetrics } = queueProxyPorts;
  return policy('keyward-functions', namespace, knativeFunctionPods(functionNames), [
    { from: [inNamespace(gateway.knativeIngressNamespace)], ports: tcp(http1, h2c, https) },
    { from: [inNamespace(platformNamespaces.knativeServing)], ports: tcp(http1, h2c, https, autoscalerMetrics) },
    { from: [prometheus], ports: tcp(userMetrics, metricsPort) },
  ]);
}

/**
 * OpenFaaS: keyward's function pods in openfaas-fn take requests from OpenFaaS' own namespace (the
 * gateway, the queue-worker; its Prometheus reads the watchdog's metrics) and keyward's Prometheus'
 * scrapes (the watchdog's metrics, and keyward's own on the metrics port, which OpenFaaS does not
 * reach: the gateway cannot serve /function/<name>/metrics from it). Other functions in openfaas-fn
 * are not selected, so not affected.
 */
export function openfaasFunctionsPolicy(): INetworkPolicy {
  return policy('keyward-functions', openfaasFunctionNamespace, openfaasFunctionPods(functionNames), [
    { from: [inNamespace(platformNamespaces.openfaas)], ports: tcp(watchdogPorts.http, watchdogPorts.metrics) },
    { from: [prometheus], ports: tcp(watchdogPorts.metrics, metricsPort) },
  ]);
}

/** The pods of the Redis and Sentinel StatefulSets, which talk to each other (replication, monitoring, failover). */
const redisPeers = podsIn(namespace, { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: [redisTopology.statefulSet, redisTopology.sentinelStatefulSet] }] });

/**
 * knative/infra/ (both platforms): Redis and Sentinel take connections from each other and from the
 * functions that use Redis; Loki from the functions that use it, Grafana and Prometheus; Grafana from
 * no pod at all (operators reach it with `kubectl port-forward`).
 */
export function infraPolicies(): INetworkPolicy[] {
  const redisClients = [redisPeers, ...functionPeers(functionsUsing('redis'))];
  return [
    policy(redisTopology.statefulSet, namespace, { matchLabels: { 'app.kubernetes.io/name': redisTopology.statefulSet } }, [
      { from: redisClients, ports: tcp(redisTopology.port) },
    ]),
    policy(redisTopology.sentinelStatefulSet, namespace, { matchLabels: { 'app.kubernetes.io/name': redisTopology.sentinelStatefulSet } }, [
      { from: redisClients, ports: tcp(redisTopology.sentinelPort) },
    ]),
    policy('loki', namespace, { matchLabels: { 'app.kubernetes.io/name': 'loki' } }, [
      // Push, query and metrics share the HTTP port; the gRPC port serves only Loki itself (one process).
      {
        from: [...functionPeers(functionsUsing('loki')), podsIn(namespace, { matchLabels: { 'app.kubernetes.io/name': 'grafana' } }), prometheus],
        ports: tcp(lokiConfig.server.http_listen_port),
      },
    ]),
    policy('grafana', namespace, { matchLabels: { 'app.kubernetes.io/name': 'grafana' } }, []),
  ];
}
