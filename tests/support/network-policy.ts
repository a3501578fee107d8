import type { INetworkPolicy, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';

/**
 * What Kubernetes does with ingress NetworkPolicies, for the tests to ask "may this pod connect to
 * that one on this port" of the generated policies: a pod is isolated once any policy of its
 * namespace with policyTypes Ingress selects it; then a connection is admitted when some rule of some
 * selecting policy matches both its source (`from`: any peer; within one peer a namespaceSelector and
 * a podSelector must both match, a podSelector alone means the policy's namespace) and its port
 * (`ports`: any entry; protocol TCP by default). Missing `from` or `ports` match everything.
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */

type LabelSelector = NonNullable<INetworkPolicyPeer['podSelector']>;

/** A pod as policies see it. `ports` names its container ports, for policies that use a port's name. */
export interface PodView {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  ports?: Readonly<Record<string, number>>;
}

/** Kubernetes (1.22 and later) labels each namespace with its name; keyward's policies rely on it alone. */
function namespaceLabels(name: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': name };
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const value = labels[key];
    const holds =
      operator === 'In' ? value !== undefined && values.includes(value)
      : operator === 'NotIn' ? value === undefined || !values.includes(value)
      : operator === 'Exists' ? value !== undefined
      : operator === 'DoesNotExist' ? value === undefined
      : undefined;
    if (holds === undefined) throw new Error(`unknown selector operator ${operator}`);
    if (!holds) return false;
  }
  return true;
}

function isIngressPolicy(policy: INetworkPolicy): boolean {
  // Without policyTypes, a policy is always an Ingress policy (and also Egress when it has egress rules).
  return policy.spec?.policyTypes?.includes('Ingress') ?? true;
}

/** The ingress policies that select `pod` (none: the pod takes connections from anywhere). */
export function policiesSelecting(policies: readonly INetworkPolicy[], pod: PodView): INetworkPolicy[] {
  return policies.filter(
    (policy) => isIngressPolicy(policy) && policy.metadata?.namespace === pod.namespace && selectorMatches(policy.spec?.podSelector ?? {}, pod.labels),
  );
}

function peerMatches(peer: INetworkPolicyPeer, policyNamespace: string, source: PodView): boolean {
  if (peer.ipBlock) throw new Error('ipBlock peers are not modelled (keyward writes none)');
  if (!peer.namespaceSelector && !peer.podSelector) throw new Error('a peer with no selector is invalid');
  const namespaceOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, namespaceLabels(source.namespace)) : source.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector ? selectorMatches(peer.podSelector, source.labels) : true);
}

function portMatches(entry: INetworkPolicyPort, target: PodView, port: number, protocol: string): boolean {
  if ((entry.protocol ?? 'TCP') !== protocol) return false;
  if (entry.port === undefined) return true;
  const first = typeof entry.port === 'number' ? entry.port : target.ports?.[entry.port];
  if (first === undefined) return false;
  return entry.endPort === undefined ? port === first : port >= first && port <= entry.endPort;
}

/** Whether the policies let `source` open a connection to `target` on `port`. */
export function admits(policies: readonly INetworkPolicy[], source: PodView, target: PodView, port: number, protocol = 'TCP'): boolean {
  const selecting = policiesSelecting(policies, target);
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    (policy.spec?.ingress ?? []).some((rule) => {
      const fromOk = !rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, policy.metadata?.namespace ?? '', source));
      const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((entry) => portMatches(entry, target, port, protocol));
      return fromOk && portOk;
    }),
  );
}

/**
 * For each named source, the ports (of `ports`) on which it may reach `target`; sources reaching
 * none are left out, so the result reads as "who reaches this pod, and where".
 */
export function admittedSources(policies: readonly INetworkPolicy[], sources: Readonly<Record<string, PodView>>, target: PodView, ports: readonly number[]): Record<string, number[]> {
  const table: Record<string, number[]> = {};
  for (const [name, source] of Object.entries(sources)) {
    const open = [...new Set(ports)].filter((port) => admits(policies, source, target, port)).sort((a, b) => a - b);
    if (open.length > 0) table[name] = open;
  }
  return table;
}
