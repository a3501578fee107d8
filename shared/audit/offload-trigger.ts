import { globalKeys } from '../redis/keys.js';
import type { Services } from '../services.js';
import { newRunId, offloadAudit, type OffloadReport } from './offload.js';

/** Why a trigger started no run. */
export type SkipReason = 'running' | 'too_soon';

/** A trigger's answer: the run's report, or, at once, why no run was started. */
export type TriggerResult = ({ started: true } & OffloadReport) | { started: false; reason: SkipReason };

/** Processes (one Services each: tests hold several "replicas" in one process) with a run going. */
const running = new WeakSet<Services>();

/**
 * One trigger of the offload: `POST /` of audit-offload (anyone who can reach it) or the local
 * gateway's timer. It starts a run unless this process has one going (`running`) or any replica
 * started one within AUDIT_MIN_RUN_INTERVAL_MS (`too_soon`: the key globalKeys.offloadRecentRun,
 * set when a run starts). A skipped trigger reads nothing else, so a flood of them costs one Redis command
 * each. Runs that still overlap (one longer than the interval, on another replica) are safe: a
 * tenant's lease lets one of them ship it.
 */
export async function triggerOffload(services: Services, options: { runId?: string } = {}): Promise<TriggerResult> {
  // Taken before the first await, so triggers arriving together see it.
  if (running.has(services)) return skipped(services, 'running');
  running.add(services);
  try {
    const runId = options.runId ?? newRunId();
    const intervalMs = services.config.audit.offload.minRunIntervalMs;
    if (intervalMs > 0) {
      const claimed = await services.redis.set(globalKeys.offloadRecentRun, runId, 'PX', intervalMs, 'NX');
      if (claimed === null) return skipped(services, 'too_soon');
    }
    return { started: true, ...(await offloadAudit(services, { runId })) };
  } finally {
    running.delete(services);
  }
}

function skipped(services: Services, reason: SkipReason): TriggerResult {
  services.logger.debug({ reason }, 'audit offload trigger started no run');
  return { started: false, reason };
}
