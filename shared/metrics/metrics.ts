import { AggregatorRegistry, Registry, type PrometheusContentType } from 'prom-client';
import { createApiKeyMetrics, type ApiKeyMetrics } from './api-key-metrics.js';
import { createAuditMetrics, type AuditMetrics } from './audit-metrics.js';
import { createBcryptMetrics, type BcryptMetrics } from './bcrypt-queue.js';
import { createLoginMetrics, type LoginMetrics } from './login-metrics.js';
import { processMetrics } from './process-metrics.js';
import { createRedisMetrics, type RedisMetrics } from './redis-metrics.js';
import { createRequestMetrics, type RequestMetrics } from './request-metrics.js';

/** What one Services records (SPEC §12); shared/services.ts builds it, the core records into it. */
export interface Metrics {
  readonly requests: RequestMetrics;
  readonly redis: RedisMetrics;
  readonly apiKeys: ApiKeyMetrics;
  readonly logins: LoginMetrics;
  readonly bcrypt: BcryptMetrics;
  readonly audit: AuditMetrics;
  /** The Prometheus text of everything this process records: its default metrics, then every registry combined. */
  exposition(): Promise<string>;
}

export interface MetricsOptions {
  /** The process's name (a function's name when deployed; "gateway" for npm start). */
  name: string;
  /** METRICS_TENANT_LABELS: a `tenant` label on verifications, refusals and the backlog's largest tenants. */
  tenantLabels: boolean;
}

/** The content type of `exposition()`. */
export const expositionContentType: PrometheusContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * One registry per function (never prom-client's global one): a function's requests go to its own,
 * everything else the process measures (Redis, verifications, logins, the offload) to the registry
 * of the process's own name. Deployed, a process is one function and these are one registry; the
 * local gateway serves every function from one process, and `exposition()` combines their registries
 * (AggregatorRegistry sums series of the same name and labels; the function label keeps them apart).
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registries = new Map<string, Registry>();
  const registryOf = (name: string): Registry => {
    let registry = registries.get(name);
    if (!registry) {
      registry = new Registry();
      registries.set(name, registry);
    }
    return registry;
  };
  const own = registryOf(options.name);
  return {
    requests: createRequestMetrics(options.name, registryOf),
    redis: createRedisMetrics(own),
    apiKeys: createApiKeyMetrics(own, options.tenantLabels),
    logins: createLoginMetrics(own),
    bcrypt: createBcryptMetrics(own),
    audit: createAuditMetrics(own, options.tenantLabels),
    async exposition() {
      const recorded = await Promise.all([...registries.values()].map((registry) => registry.getMetricsAsJSON()));
      const combined = AggregatorRegistry.aggregate<PrometheusContentType>(recorded);
      return `${await processMetrics().metrics()}\n${await combined.metrics()}`;
    },
  };
}
