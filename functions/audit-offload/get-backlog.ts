import { readAuditBacklog } from '../../shared/audit/backlog.js';
import { presentsOffloadToken, withoutTenants } from '../../shared/audit/offload-access.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/**
 * GET /backlog (cluster-internal): events waiting, dead letters and the oldest wait, for alerting.
 * Totals to anyone; per tenant only to a caller presenting the offload token (tenant ids are not
 * for anonymous callers).
 */
export const getBacklogOperation = definePublicOperation({
  route: 'getAuditBacklog',
  async handle({ services, event }) {
    const operator = presentsOffloadToken(event.headers.authorization, services.config.audit.offload.token);
    const backlog = await readAuditBacklog(services);
    return operator ? backlog : withoutTenants(backlog);
  },
});
