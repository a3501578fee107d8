import { readAuditBacklog } from '../../shared/audit/backlog.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/** GET /backlog (cluster-internal): events waiting per tenant, dead letters and the oldest wait, for alerting. */
export const getBacklogOperation = definePublicOperation({
  route: 'getAuditBacklog',
  async handle({ services }) {
    return await readAuditBacklog(services);
  },
});
