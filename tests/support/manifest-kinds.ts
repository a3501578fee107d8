import type { IGateway, IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { Gateway, HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import type { IReferenceGrant } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import { ReferenceGrant } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import type { IService as IKnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1';
import type { IPingSource } from '@kubernetes-models/knative/sources.knative.dev/v1';
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1';
import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IConfigMap, INamespace, IService } from 'kubernetes-models/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';

/**
 * The kinds keyward's manifests use, by `apiVersion/kind`, typed with the interfaces the model
 * packages ship (generated from the Kubernetes, Knative and Gateway API schemas). The strict field
 * check walks these types; a kind missing here is itself reported.
 */
export interface ManifestKinds {
  'v1/ConfigMap': IConfigMap;
  'v1/Namespace': INamespace;
  'v1/Service': IService;
  'apps/v1/Deployment': IDeployment;
  'apps/v1/StatefulSet': IStatefulSet;
  'networking.k8s.io/v1/NetworkPolicy': INetworkPolicy;
  'serving.knative.dev/v1/Service': IKnativeService;
  'sources.knative.dev/v1/PingSource': IPingSource;
  'gateway.networking.k8s.io/v1/Gateway': IGateway;
  'gateway.networking.k8s.io/v1/HTTPRoute': IHTTPRoute;
  'gateway.networking.k8s.io/v1beta1/ReferenceGrant': IReferenceGrant;
}

export type KindKey = keyof ManifestKinds;

interface Validating {
  validate(): void;
}

/** The packages' own validators (required fields, types, enums; unknown fields pass them). */
export const modelOf: Record<KindKey, new (data: never) => Validating> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'serving.knative.dev/v1/Service': KnativeService,
  'sources.knative.dev/v1/PingSource': PingSource,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
  'gateway.networking.k8s.io/v1beta1/ReferenceGrant': ReferenceGrant,
};

export function kindKey(object: { apiVersion?: unknown; kind?: unknown }): string {
  return `${String(object.apiVersion)}/${String(object.kind)}`;
}
