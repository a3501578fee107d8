import { offloadAudit } from '../../shared/audit/offload.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/**
 * POST / (cluster-internal): one offload run. Accepts the cron connector's empty POST and a
 * PingSource CloudEvent alike; the body is not read.
 */
export const runOffloadOperation = definePublicOperation({
  route: 'runAuditOffload',
  async handle({ services }, context) {
    const report = await offloadAudit(services);
    services.logger.info({ offload: report }, 'audit offload run');
    context.status(200).succeed(report);
  },
});
