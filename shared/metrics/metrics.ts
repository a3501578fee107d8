import { createApiKeyMetrics, type ApiKeyMetrics } from './api-key-metrics.js';
import { createAuditMetrics, type AuditMetrics } from './audit-metrics.js';
import { createBcryptMetrics, type BcryptMetrics } from './bcrypt-queue.js';
import { FamilySet } from './cells.js';
import { renderExposition } from './exposition.js';
import { createLoginMetrics, type LoginMetrics } from './login-metrics.js';
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

/**
 * One registry per function, never prom-client's global one: a function's requests go to its own,
 * everything else the process measures (Redis, verifications, logins, the offload) to the registry
 * of the process's own name. Deployed, a process is one function and these are one registry; the
 * local gateway serves every function from one process, and `exposition()` combines their registries.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registries = new Map<string, FamilySet>();
  const registryOf = (name: string): FamilySet => {
    let registry = registries.get(name);
    if (!registry) {
      registry = new FamilySet();
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
    exposition: () => renderExposition([...registries.values()]),
  };
}
