import { readAuditBacklog } from '../audit/backlog.js';
import { functionNames, type FunctionName } from '../routes.js';
import type { Services } from '../services.js';
import { countRedisFailure } from './redis-metrics.js';

/** Groups of series a function measures beside its requests and Redis, which every function measures. */
export type MeasureGroup = 'apiKeys' | 'logins' | 'bcrypt' | 'audit';

/**
 * What each function measures, registered when it starts so the series begin at 0 (a counter that
 * appears only with its first increment loses that increment to rate()). A function not listed
 * (a new one) still gets its requests, Redis and the process's metrics, and any group it records
 * into is registered then.
 */
export const functionMeasures: Partial<Record<FunctionName, readonly MeasureGroup[]>> = {
  token: ['logins', 'bcrypt'],
  users: ['bcrypt', 'apiKeys'],
  data: ['apiKeys'],
  'api-keys': ['apiKeys'],
  audit: ['apiKeys'],
  'audit-offload': ['audit'],
};

/**
 * Registers what the functions `names` measure in the services' metrics, before their first request:
 * their routes' series, their groups, and for audit-offload the backlog read from Redis when scraped.
 * A deployed function passes its own name; the local gateway every function.
 */
export function serveMetrics(services: Services, names: readonly FunctionName[] = functionNames): void {
  const { metrics } = services;
  for (const name of names) {
    metrics.requests.serve(name);
    for (const group of functionMeasures[name] ?? []) metrics[group].register();
    if (name === 'audit-offload') {
      metrics.audit.watchBacklog(() => readAuditBacklog(services), (error) => countRedisFailure(services.redis, error));
    }
  }
}
