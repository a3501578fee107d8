import { presentsOffloadToken, withoutTenants } from '../../shared/audit/offload-access.js';
import { triggerOffload } from '../../shared/audit/offload-trigger.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/**
 * POST / (cluster-internal): one offload run, answering with its report (also logged as one line),
 * or at once `{started: false, reason}` when a run is going or started too recently (coalesced).
 * Takes the OpenFaaS cron connector's empty POST and a Knative PingSource's CloudEvent alike
 * (structured `application/cloudevents+json`, or binary with `ce-*` headers): the body is not read.
 * The schedulers send no credentials, so anyone reaching it may trigger; per-tenant figures are
 * answered only to a caller presenting the offload token.
 */
export const runOffloadOperation = definePublicOperation({
  route: 'runAuditOffload',
  async handle({ services, event }, context) {
    const operator = presentsOffloadToken(event.headers.authorization, services.config.audit.offload.token);
    const result = await triggerOffload(services, { runId: runIdOf(event.headers['ce-id'], context.requestId) });
    return operator ? result : withoutTenants(result);
  },
});

/** A PingSource's event id names the run, so its log line can be matched with the trigger. */
function runIdOf(cloudEventId: string | undefined, requestId: string): string {
  const id = cloudEventId && /^[A-Za-z0-9._:-]{1,100}$/.test(cloudEventId) ? cloudEventId : requestId;
  return `offload-${id}`;
}
