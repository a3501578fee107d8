import type { IService } from '@kubernetes-models/knative/serving.knative.dev/v1';
import type { IPingSource } from '@kubernetes-models/knative/sources.knative.dev/v1';
import type { IGateway, IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import type { IReferenceGrant } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import type { IConfigMap } from 'kubernetes-models/v1';
import { defaultSecretsDir } from '../config/secrets.js';
import { functionNames, type FunctionName } from '../routes.js';
import {
  clusterLocalHost,
  commonEnvironment,
  imageRepository,
  namespace,
  objectNames,
  type ImageSettings,
  type PublicGatewaySettings,
} from './cluster.js';
import { deployments, metricsPort, metricsPortAnnotation, optionalSecrets, publicPrefixes } from './functions.js';
import { yamlFile, type GeneratedFile } from './yaml-text.js';

export const partOf = { 'app.kubernetes.io/part-of': 'keyward' } as const;

/** Knative's label for a Service reachable only inside the cluster. */
export const visibilityLabel = 'networking.knative.dev/visibility';

/** Labels every function's revision template carries, so each of its pods (the NetworkPolicies select by them). */
export const functionPodLabels = { 'app.kubernetes.io/component': 'function', ...partOf } as const;

/** The Knative Service of one function: autoscaling on the revision template, probes, config and secrets by reference. */
export function functionService(name: FunctionName, images: ImageSettings): IService {
  const { scaling, resources, timeouts } = deployments[name];
  const labels = { 'app.kubernetes.io/name': name, ...functionPodLabels };
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      // Every function is cluster-local: the public surface is exactly the HTTPRoute in public-route.yaml.
      labels: { ...labels, [visibilityLabel]: 'cluster-local' },
    },
    spec: {
      template: {
        metadata: {
          labels,
          // Knative reads these from the revision template only; on the Service's own metadata they are ignored.
          annotations: {
            'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
            'autoscaling.knative.dev/metric': scaling.metric,
            'autoscaling.knative.dev/target': String(scaling.target),
            'autoscaling.knative.dev/min-scale': String(scaling.minScale),
            'autoscaling.knative.dev/max-scale': String(scaling.maxScale),
            'autoscaling.knative.dev/scale-to-zero-pod-retention-period': scaling.scaleToZeroRetention,
            // Knative copies the revision template's annotations onto the pods, where the scrape job reads it.
            [metricsPortAnnotation]: String(metricsPort),
          },
        },
        spec: {
          containerConcurrency: scaling.containerConcurrency,
          // Knative also makes this the pod's termination grace; SHUTDOWN_GRACE_MS stays below it.
          timeoutSeconds: timeouts.knativeTimeoutS,
          containers: [
            {
              name: 'function',
              image: `${images.registry}/${imageRepository(name)}:${images.tag}`,
              // Knative sets PORT (8080) and K_SERVICE: the image's entrypoint then runs the function without of-watchdog.
              ports: [{ name: 'http1', containerPort: 8080 }],
              envFrom: [{ configMapRef: { name: objectNames.functionConfig } }],
              env: [{ name: 'SHUTDOWN_GRACE_MS', value: String(timeouts.shutdownGraceMs) }],
              resources: {
                requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
                limits: { memory: resources.memoryLimit },
              },
              readinessProbe: { httpGet: { path: '/readyz' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              // The same files OpenFaaS mounts, so the same config loader reads them.
              volumeMounts: [{ name: 'secrets', mountPath: defaultSecretsDir, readOnly: true }],
            },
          ],
          volumes: [secretsVolume(name)],
        },
      },
    },
  };
}

/**
 * The keys of the Secret keyward-secrets that one function reads (stack.yml lists the same), each a
 * file named after its key: `data` never sees audit-offload's token or Loki's credentials. The
 * optional ones sit in a source of their own marked optional, so the pod starts when the Secret lacks
 * them; a missing required key keeps the pod from starting, which says what is wrong sooner.
 */
export function secretsVolume(name: FunctionName) {
  const { secrets } = deployments[name];
  const items = (keys: readonly string[]) => keys.map((key) => ({ key, path: key }));
  const required = secrets.filter((secret) => !optionalSecrets.includes(secret));
  const optional = secrets.filter((secret) => optionalSecrets.includes(secret));
  return {
    name: 'secrets',
    projected: {
      sources: [
        { secret: { name: objectNames.functionSecrets, items: items(required) } },
        ...(optional.length > 0 ? [{ secret: { name: objectNames.functionSecrets, items: items(optional), optional: true } }] : []),
      ],
    },
  };
}

/** Settings every function reads from its environment on Knative. */
export function functionConfigMap(): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: objectNames.functionConfig, namespace, labels: { 'app.kubernetes.io/name': 'keyward', ...partOf } },
    data: commonEnvironment('knative'),
  };
}

/** Knative Eventing's PingSource: a CloudEvent POSTed to the scheduled function on its schedule. */
export function scheduleSource(name: FunctionName): IPingSource | null {
  const { schedule } = deployments[name];
  if (!schedule) return null;
  return {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    metadata: { name: `${name}-schedule`, namespace, labels: { 'app.kubernetes.io/name': name, ...partOf } },
    spec: {
      schedule,
      contentType: 'application/json',
      data: '{}',
      sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name } },
    },
  };
}

/** The Gateway clients reach, on the public host (HTTP, and HTTPS with the TLS Secret). */
export function publicGateway(settings: PublicGatewaySettings): IGateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'keyward', namespace, labels: { 'app.kubernetes.io/name': 'keyward-gateway', ...partOf } },
    spec: {
      gatewayClassName: settings.gatewayClassName,
      listeners: [
        { name: 'http', protocol: 'HTTP', port: 80, hostname: settings.host, allowedRoutes: { namespaces: { from: 'Same' } } },
        {
          name: 'https',
          protocol: 'HTTPS',
          port: 443,
          hostname: settings.host,
          tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: settings.tlsSecretName }] },
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
      ],
    },
  };
}

/**
 * One rule per function with public routes: its path prefixes, the Host rewritten to the function's
 * cluster-local host, sent to the Knative ingress's cluster-local gateway. No rule for a function
 * without public routes (audit-offload).
 */
export function publicRoute(settings: PublicGatewaySettings): IHTTPRoute {
  const gateway = settings.knativeLocalGateway;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'keyward-public', namespace, labels: { 'app.kubernetes.io/name': 'keyward-gateway', ...partOf } },
    spec: {
      parentRefs: [{ name: 'keyward' }],
      hostnames: [settings.host],
      rules: functionNames
        .filter((name) => publicPrefixes(name).length > 0)
        .map((name) => ({
          matches: publicPrefixes(name).map((prefix) => ({ path: { type: 'PathPrefix' as const, value: prefix } })),
          filters: [{ type: 'URLRewrite' as const, urlRewrite: { hostname: clusterLocalHost(name) } }],
          backendRefs: [{ name: gateway.name, namespace: gateway.namespace, port: gateway.port }],
        })),
    },
  };
}

/** Lets the HTTPRoute (in keyward) send to the Knative ingress's Service in its own namespace. */
export function ingressReferenceGrant(settings: PublicGatewaySettings): IReferenceGrant {
  const gateway = settings.knativeLocalGateway;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'keyward-public-route', namespace: gateway.namespace, labels: { ...partOf } },
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace }],
      to: [{ group: '', kind: 'Service', name: gateway.name }],
    },
  };
}

/** knative/*.yaml: the config, one file per function (with its PingSource), the public route. */
export function knativeFiles(images: ImageSettings, gateway: PublicGatewaySettings): GeneratedFile[] {
  const files: GeneratedFile[] = [
    {
      path: 'knative/00-config.yaml',
      text: yamlFile([functionConfigMap()], [
        `Settings every function reads. Secrets are not here: create the Secret ${objectNames.functionSecrets} (README "Deploy to Knative"),`,
        `mounted at ${defaultSecretsDir} as OpenFaaS mounts them.`,
      ]),
    },
  ];
  for (const name of functionNames) {
    const source = scheduleSource(name);
    files.push({
      path: `knative/${name}.yaml`,
      text: yamlFile([functionService(name, images), ...(source ? [source] : [])], [`${name}: ${deployments[name].summary}.`]),
    });
  }
  files.push({
    path: 'knative/public-route.yaml',
    text: yamlFile([publicGateway(gateway), publicRoute(gateway), ingressReferenceGrant(gateway)], [
      `Every public path of shared/routes.ts on one host (${gateway.host}), by path prefix, to the function's`,
      'cluster-local Knative host. Needs a Gateway API implementation (docs/deploy.md).',
    ]),
  });
  return files;
}
