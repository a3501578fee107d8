import { offloadAudit } from '../../shared/audit/offload.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/**
 * POST / (cluster-internal): one offload run, answering with its report (also logged as one line).
 * Takes the OpenFaaS cron connector's empty POST and a Knative PingSource's CloudEvent alike
 * (structured `application/cloudevents+json`, or binary with `ce-*` headers): the body is not read.
 */
export const runOffloadOperation = definePublicOperation({
  route: 'runAuditOffload',
  async handle({ services, event }, context) {
    const report = await offloadAudit(services, { runId: runIdOf(event.headers['ce-id'], context.requestId) });
    return report;
  },
});

/** A PingSource's event id names the run, so its log line can be matched with the trigger. */
function runIdOf(cloudEventId: string | undefined, requestId: string): string {
  const id = cloudEventId && /^[A-Za-z0-9._:-]{1,100}$/.test(cloudEventId) ? cloudEventId : requestId;
  return `offload-${id}`;
}
