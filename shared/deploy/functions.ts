import { secretSettings } from '../config/secrets.js';
import { functionNames, routes, type FunctionName } from '../routes.js';

/**
 * How each function is deployed: scaling, resources, timeouts, secrets and schedule. This module and
 * the route table (shared/routes.ts) are the one source that stack.yml and knative/ are generated
 * from (shared/deploy/generate.ts); tests fail when the committed files differ from what they give.
 */

export type SecretFile = (typeof secretSettings)[keyof typeof secretSettings];

export interface Scaling {
  /** Pods kept warm. 0: may scale to zero (Knative; OpenFaaS Pro). */
  minScale: number;
  maxScale: number;
  /** What Knative's autoscaler (KPA) and OpenFaaS Pro's scale on. */
  metric: 'concurrency' | 'rps';
  /** Per-pod target of that metric (Knative `autoscaling.knative.dev/target`, OpenFaaS Pro `com.openfaas.scale.target`). */
  target: number;
  /** Hard limit of requests in flight per pod (Knative containerConcurrency; 0: no limit). */
  containerConcurrency: number;
  /** How long Knative keeps the last pod once traffic stops (Go duration). */
  scaleToZeroRetention: string;
  /** OpenFaaS Pro: idle time before scaling to zero (Go duration, whole minutes). */
  zeroDuration: string;
}

export interface Resources {
  cpuRequest: string;
  memoryRequest: string;
  memoryLimit: string;
}

/**
 * Every timeout of one function, in one place so they stay consistent: of-watchdog's
 * (exec ≤ read, exec ≤ write), the function's drain on SIGTERM, and the pod's termination grace.
 */
export interface Timeouts {
  /** of-watchdog exec_timeout: longest a request may run. */
  execS: number;
  readS: number;
  writeS: number;
  /**
   * of-watchdog healthcheck_interval: after SIGTERM it keeps accepting for this long while the pod
   * leaves the endpoints. The template's wrapper holds the function's SIGTERM back as long.
   */
  healthcheckIntervalS: number;
  /** SHUTDOWN_GRACE_MS: how long the function waits for requests in flight once told to stop. */
  shutdownGraceMs: number;
  /** Knative revision timeoutSeconds (request timeout; Knative also makes it the pod's termination grace). */
  knativeTimeoutS: number;
}

export interface FunctionDeployment {
  name: FunctionName;
  summary: string;
  scaling: Scaling;
  resources: Resources;
  timeouts: Timeouts;
  /** Secret files (/var/openfaas/secrets/<name>) the function reads. */
  secrets: readonly SecretFile[];
  /** Cron schedule (5 fields) for a scheduled function: OpenFaaS cron-connector, Knative PingSource. */
  schedule: string | null;
}

/** Kubernetes' default terminationGracePeriodSeconds; faas-netes (CE) does not change it. */
export const kubernetesTerminationGraceS = 30;

/** faas-netes Community Edition refuses com.openfaas.scale.min/max above this (pkg/handlers/replica_reader.go). */
export const communityEditionMaxReplicas = 5;

/** Port the function listens on behind of-watchdog (upstream_url); on Knative it listens on $PORT. */
export const upstreamPort = 3000;

/** of-watchdog's own ports on OpenFaaS: requests (proxied to upstreamPort), and its Prometheus metrics. */
export const watchdogPorts = { http: 8080, metrics: 8081 } as const;

/** keyward's own metrics (METRICS_PORT), on both platforms: beside the request port, never through the platform's proxy. */
export const metricsPort = 9464;

/**
 * The pod annotation that declares metricsPort, which the scrape jobs in knative/infra/prometheus.yaml
 * read. Not a named container port: Knative refuses a second container port (one port per pod,
 * the one queue-proxy forwards to), and faas-netes writes the pod's ports itself; both copy the
 * annotation onto the pods (the revision template's on Knative, stack.yml's on OpenFaaS).
 */
export const metricsPortAnnotation = 'keyward.dev/metrics-port';

/** The OpenFaaS template under template/ that every function is built with. */
export const templateName = 'keyward-node20';

const apiTimeouts: Timeouts = { execS: 10, readS: 15, writeS: 15, healthcheckIntervalS: 5, shutdownGraceMs: 10_000, knativeTimeoutS: 30 };
const redisSecrets: readonly SecretFile[] = ['jwt-signing-keys', 'api-key-pepper', 'redis-password', 'redis-sentinel-password'];
const lokiSecrets: readonly SecretFile[] = ['loki-password', 'loki-bearer-token'];

/**
 * Secret files a function starts without (the setting stays unset): Loki's credentials, which the
 * in-cluster Loki does not want, and audit-offload's token, without which its answers show totals
 * only. On Knative they are mounted as optional keys; OpenFaaS wants each listed Secret to exist, so
 * the README creates them (an empty Secret mounts no file).
 */
export const optionalSecrets: readonly SecretFile[] = ['loki-password', 'loki-bearer-token', 'audit-offload-token'];

export const deployments: Record<FunctionName, FunctionDeployment> = {
  // Login: bcrypt (cost 12) is CPU-bound, so few logins per pod, and one pod always warm so the
  // first login of the day does not pay a cold start.
  token: {
    name: 'token',
    summary: 'login and token revocation',
    scaling: { minScale: 1, maxScale: 10, metric: 'concurrency', target: 4, containerConcurrency: 8, scaleToZeroRetention: '0s', zeroDuration: '15m' },
    resources: { cpuRequest: '500m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    timeouts: apiTimeouts,
    secrets: redisSecrets,
    schedule: null,
  },
  users: {
    name: 'users',
    summary: 'the calling user and tenant-admin user management',
    scaling: { minScale: 0, maxScale: 5, metric: 'concurrency', target: 10, containerConcurrency: 20, scaleToZeroRetention: '2m', zeroDuration: '15m' },
    resources: { cpuRequest: '250m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    timeouts: apiTimeouts,
    secrets: redisSecrets,
    schedule: null,
  },
  data: {
    name: 'data',
    summary: 'tenant key-value data',
    scaling: { minScale: 0, maxScale: 20, metric: 'concurrency', target: 50, containerConcurrency: 100, scaleToZeroRetention: '2m', zeroDuration: '15m' },
    resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    timeouts: apiTimeouts,
    secrets: redisSecrets,
    schedule: null,
  },
  'api-keys': {
    name: 'api-keys',
    summary: 'API keys: issue, list, change, delete, verify',
    scaling: { minScale: 0, maxScale: 20, metric: 'concurrency', target: 50, containerConcurrency: 100, scaleToZeroRetention: '2m', zeroDuration: '15m' },
    resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    timeouts: apiTimeouts,
    secrets: redisSecrets,
    schedule: null,
  },
  audit: {
    name: 'audit',
    summary: "the tenant's audit events (from Loki)",
    scaling: { minScale: 0, maxScale: 3, metric: 'concurrency', target: 10, containerConcurrency: 20, scaleToZeroRetention: '0s', zeroDuration: '15m' },
    resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    timeouts: apiTimeouts,
    secrets: [...redisSecrets, ...lokiSecrets],
    schedule: null,
  },
  // One run at a time: a run ships batches to Loki and may take longer than an API request.
  'audit-offload': {
    name: 'audit-offload',
    summary: 'scheduled: ships pending audit events to Loki, records data-key expirations',
    scaling: { minScale: 0, maxScale: 1, metric: 'concurrency', target: 1, containerConcurrency: 1, scaleToZeroRetention: '0s', zeroDuration: '15m' },
    resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    timeouts: { execS: 20, readS: 20, writeS: 20, healthcheckIntervalS: 5, shutdownGraceMs: 20_000, knativeTimeoutS: 60 },
    // The token shows per-tenant figures of GET /backlog and of a run's answer to the callers holding it.
    secrets: [...redisSecrets, ...lokiSecrets, 'audit-offload-token'],
    schedule: '*/1 * * * *',
  },
  // Static files held in memory: cheap requests, many per pod, scaled to zero when nobody has it open.
  // It reads the same configuration as the others (serveFunction refuses production without the
  // signing keys, and /readyz pings Redis), so it mounts the same secrets, though it serves no API.
  console: {
    name: 'console',
    summary: "the tenant users' web console (static files)",
    scaling: { minScale: 0, maxScale: 3, metric: 'concurrency', target: 100, containerConcurrency: 200, scaleToZeroRetention: '0s', zeroDuration: '15m' },
    resources: { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '128Mi' },
    timeouts: apiTimeouts,
    secrets: redisSecrets,
    schedule: null,
  },
};

/**
 * The functions that talk to Redis, or to Loki: those given its credentials (the NetworkPolicies of
 * Redis, Sentinel and Loki admit these; a test checks that the Loki ones are the entry points built
 * with the Loki client).
 */
export function functionsUsing(service: 'redis' | 'loki'): FunctionName[] {
  const credential: SecretFile = service === 'redis' ? 'redis-password' : 'loki-password';
  return functionNames.filter((name) => deployments[name].secrets.includes(credential));
}

/** The deployments in the route table's function order. */
export function allDeployments(): FunctionDeployment[] {
  return functionNames.map((name) => deployments[name]);
}

/**
 * The public path prefixes of a function: the first segment of each of its public routes
 * (`/token` covers `/token` and `/token/revoke`). What the ingress routes to it; none for audit-offload.
 */
export function publicPrefixes(name: FunctionName): string[] {
  const prefixes = routes.filter((route) => route.fn === name && route.public).map((route) => `/${route.path.split('/')[1] ?? ''}`);
  return [...new Set(prefixes)];
}
