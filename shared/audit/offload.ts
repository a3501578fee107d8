import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { tenantKeys, type TenantKeys } from '../redis/keys.js';
import type { Services } from '../services.js';
import { toAuditEntry, type AuditEntry } from './audit-entry.js';
import { acknowledge, acquireLease, deadLetter, finishVisit, readEntries, type Lease, type ReadFrom, type StreamEntry } from './audit-stream.js';
import { reapExpiredItems } from './expirations.js';
import { createPacer, type Pacer } from './pacer.js';
import { dueTenants, surveyOnce } from './pending-tenants.js';

/** Why a run left some of a tenant's events for the next run. */
export type StopReason = 'leased' | 'sink_unavailable' | 'rate_limited' | 'lease_lost' | 'budget' | 'error';

/** What a run did, for one tenant or summed over all. */
export interface OffloadCounts {
  /** Events the sink stored (acknowledged and deleted from Redis). */
  shipped: number;
  /** Pushes that failed (429, 5xx, timeout, refused) and were tried again within the run. */
  retried: number;
  /** Events the sink refused (Loki 400) moved to the dead-letter stream in this run. */
  dead_lettered: number;
  /** key_expiration events recorded in this run. */
  expired: number;
  /** Events still waiting in Redis after the run. */
  backlog: number;
  /** Events in the dead-letter stream (all runs). */
  dead_letters: number;
}

const counters = ['shipped', 'retried', 'dead_lettered', 'expired', 'backlog', 'dead_letters'] as const satisfies readonly (keyof OffloadCounts)[];

export interface TenantOffloadReport extends OffloadCounts {
  stopped?: StopReason;
  error?: string;
}

/**
 * What a run did: totals over the tenants it visited (only those the pending set named: a tenant
 * with nothing to ship and no expiry come is not visited, and has no backlog), and some of them by
 * name, so the report and its log line stay small (under reportMaxBytes) whatever the tenant count.
 */
export interface OffloadReport extends OffloadCounts {
  run_id: string;
  sink: 'loki' | 'file';
  duration_ms: number;
  /** Tenants the pending set named when the run started: events to ship, or a data expiry to record. */
  tenants_due: number;
  /** Due tenants whose lease another run held: that run ships them. */
  tenants_leased_elsewhere: number;
  /** Due tenants left with events for the next run (sink unavailable, rate limited, lease lost, budget). */
  tenants_stopped: number;
  /** Due tenants whose visit failed with an error. */
  tenants_failed: number;
  /** Per tenant: first those that failed or were stopped, then those leased elsewhere, then those that did something; as many as fit. */
  tenants: Record<string, TenantOffloadReport>;
  /** Due tenants not listed in `tenants`. */
  omitted: number;
}

/** A run's report (its JSON) stays under this, whatever the number of tenants; its log line adds a few hundred bytes. */
export const reportMaxBytes = 12 * 1024;

type Outcome = 'ok' | Exclude<StopReason, 'leased' | 'error'>;

interface RunState {
  runId: string;
  /** Unique to this run, whatever its id: the value of the leases it holds. */
  token: string;
  /** performance.now() after which no new batch is started. */
  deadline: number;
  /** Set once the sink failed past every retry for a reason not specific to one tenant: the run stops pushing. */
  sinkDown: boolean;
}

interface TenantWork {
  services: Services;
  tenantId: string;
  keys: TenantKeys;
  lease: Lease;
  pacer: Pacer;
  run: RunState;
  report: TenantOffloadReport;
  /** Events left in the stream after the last acknowledgement: 0 ends the visit without another read. */
  left: number | null;
  /** The read just renewed the lease: the next push (its first attempt) needs no renewal of its own. */
  leaseRenewed: boolean;
}

/**
 * One offload run: visits the tenants the pending set names (shared/audit/pending-tenants.ts), never
 * every tenant, records their due key expirations and ships their audit events to the sink, a few
 * tenants at a time, each in batches bounded by count and bytes and paced under Loki's per-tenant
 * rate. An event leaves Redis only after the sink stored the batch holding it (at least once); see
 * docs/design.md for why nothing is lost and what may be sent twice. Runs going at once (replicas)
 * share the tenants: each starts at a random place in the list and skips those another has leased.
 */
export async function offloadAudit(services: Services, options: { runId?: string } = {}): Promise<OffloadReport> {
  const startedAt = performance.now();
  const settings = services.config.audit.offload;
  const run: RunState = { runId: options.runId ?? newRunId(), token: randomBytes(12).toString('hex'), deadline: startedAt + settings.runBudgetMs, sinkDown: false };
  await surveyOnce(services);
  const { due, invalid } = await dueTenants(services.redis, services.clock.now());
  if (invalid > 0) services.logger.warn({ invalid }, 'the audit pending set held members that are not tenant ids; removed');
  const start = Math.floor(Math.random() * due.length);
  const order = [...due.slice(start), ...due.slice(0, start)];
  const visited: [string, TenantOffloadReport][] = [];
  await forEachLimited(order, settings.tenantConcurrency, async ({ tenantId }) => {
    visited.push([tenantId, await offloadTenantInRun(services, tenantId, run)]);
  });

  const seconds = (performance.now() - startedAt) / 1000;
  services.metrics.audit.runFinished(seconds, services.clock.now());
  const report: OffloadReport = {
    run_id: run.runId,
    sink: services.auditSink.kind,
    duration_ms: Math.round(seconds * 1000),
    tenants_due: due.length,
    tenants_leased_elsewhere: visited.filter(([, tenant]) => tenant.stopped === 'leased').length,
    tenants_stopped: visited.filter(([, tenant]) => tenant.stopped && tenant.stopped !== 'leased' && tenant.stopped !== 'error').length,
    tenants_failed: visited.filter(([, tenant]) => tenant.stopped === 'error').length,
    ...emptyTenantReport(),
    tenants: {},
    omitted: 0,
  };
  for (const [, tenant] of visited) for (const counter of counters) report[counter] += tenant[counter];
  listTenants(report, visited);
  logReport(services, report);
  return report;
}

/**
 * Fills `report.tenants` in order of interest (failed or stopped, leased elsewhere, did something)
 * while the report's JSON stays under reportMaxBytes; counts the rest in `omitted`.
 */
function listTenants(report: OffloadReport, visited: readonly [string, TenantOffloadReport][]): void {
  const rank = (tenant: TenantOffloadReport) => (tenant.stopped === 'leased' ? 1 : tenant.stopped ? 0 : tenant.shipped + tenant.expired + tenant.dead_lettered + tenant.retried > 0 ? 2 : 3);
  const ranked = visited.filter(([, tenant]) => rank(tenant) < 3).sort(([, a], [, b]) => rank(a) - rank(b));
  // The report without tenants, `omitted` at its largest, and room for the trigger's `"started":true,`.
  let bytes = Buffer.byteLength(JSON.stringify({ ...report, omitted: visited.length, tenants: {} })) + 16;
  for (const [tenantId, tenant] of ranked) {
    const entry = Buffer.byteLength(JSON.stringify({ [tenantId]: tenant })) - 1;
    if (bytes + entry > reportMaxBytes) break;
    report.tenants[tenantId] = tenant;
    bytes += entry;
  }
  report.omitted = visited.length - Object.keys(report.tenants).length;
}

/**
 * Ships one tenant's pending events (and records its due expirations) outside a scheduled run: the
 * admin CLI drains a tenant before deleting it. `waitForLeaseMs` waits for a scheduled run holding
 * the tenant's lease to finish.
 */
export async function offloadTenant(services: Services, tenantId: string, options: { waitForLeaseMs?: number } = {}): Promise<TenantOffloadReport> {
  const settings = services.config.audit.offload;
  const run: RunState = { runId: newRunId(), token: randomBytes(12).toString('hex'), deadline: performance.now() + settings.runBudgetMs, sinkDown: false };
  const giveUpAt = performance.now() + (options.waitForLeaseMs ?? 0);
  for (;;) {
    const report = await offloadTenantInRun(services, tenantId, run);
    if (report.stopped !== 'leased' || performance.now() >= giveUpAt) return report;
    await sleep(100);
  }
}

async function offloadTenantInRun(services: Services, tenantId: string, run: RunState): Promise<TenantOffloadReport> {
  const { redis } = services;
  const settings = services.config.audit.offload;
  const keys = tenantKeys(tenantId);
  const report = emptyTenantReport();
  if (performance.now() > run.deadline) {
    // Out of time before its turn: only counted, for the next run.
    report.stopped = 'budget';
    [report.backlog, report.dead_letters] = await Promise.all([redis.xlen(keys.audit), redis.xlen(keys.auditDead)]);
    return report;
  }
  // One round trip (auto-pipelined): the lease, and whether any expiry has come.
  const [lease, dueExpirations] = await Promise.all([acquireLease(redis, keys, run.token, settings.leaseMs), redis.zcount(keys.dataExpiry, '-inf', services.clock.now())]);
  if (!lease) {
    report.stopped = 'leased';
    [report.backlog, report.dead_letters] = await Promise.all([redis.xlen(keys.audit), redis.xlen(keys.auditDead)]);
    return report;
  }
  try {
    if (dueExpirations > 0) {
      report.expired = await reapExpiredItems(redis, tenantId, services.clock.now(), run.runId);
      services.metrics.audit.expired(report.expired);
    }
    if (run.sinkDown) report.stopped = 'sink_unavailable';
    else {
      const pacer = createPacer(settings.tenantBytesPerSecond, Math.ceil((settings.tenantBytesPerSecond * 4) / 3), (ms) => sleep(ms));
      await shipTenant({ services, tenantId, keys, lease, pacer, run, report, left: null, leaseRenewed: false });
    }
  } catch (error) {
    report.stopped = 'error';
    report.error = (error instanceof Error ? error.message : String(error)).slice(0, 200);
    services.logger.warn({ tenant_id: tenantId, run_id: run.runId, error: report.error }, 'audit offload of a tenant failed; its events wait for the next run');
  }
  // Releases the lease (if still ours), sets the tenant's pending mark from what is left, counts it.
  const left = await finishVisit(redis, tenantId, run.token);
  report.backlog = left.backlog;
  report.dead_letters = left.deadLetters;
  return report;
}

/** The consumer's pending entries first (a crashed or stopped run's), then new ones, batch after batch, until the stream is empty. */
async function shipTenant(work: TenantWork): Promise<void> {
  const { services, keys, run, report } = work;
  const count = services.config.audit.offload.batchMaxEvents;
  let from: ReadFrom = { pending: '0' };
  for (;;) {
    if (performance.now() > run.deadline) {
      report.stopped = 'budget';
      return;
    }
    const batch = await readEntries(services.redis, keys, from, count, { token: work.lease.token, ms: work.lease.ms });
    if (batch === 'lease_lost') {
      report.stopped = 'lease_lost';
      return;
    }
    if (batch === null || batch.entries.length === 0) return;
    work.leaseRenewed = true;
    from = batch.source === 'new' ? 'new' : { pending: batch.entries[batch.entries.length - 1]?.id ?? '0' };
    const outcome = await deliver(work, batch.entries);
    if (outcome !== 'ok') {
      report.stopped = outcome;
      return;
    }
    if (work.left === 0) return;
  }
}

/** Sends entries in batches bounded by count and bytes; stops at the first batch the sink could not take. */
async function deliver(work: TenantWork, entries: StreamEntry[]): Promise<Outcome> {
  const { services, tenantId } = work;
  const { batchMaxEvents, batchMaxBytes } = services.config.audit.offload;
  // Deleted while pending (a run acknowledged and deleted it, then crashed before the group knew): settle it.
  const deleted = entries.filter((entry) => entry.line === null).map((entry) => entry.id);
  if (deleted.length > 0) work.left = await acknowledge(services.redis, tenantId, deleted);
  let batch: AuditEntry[] = [];
  let bytes = 0;
  for (const stored of entries) {
    if (stored.line === null) continue;
    const entry = toAuditEntry(stored.id, stored.line);
    if (batch.length > 0 && (batch.length >= batchMaxEvents || bytes + entry.bytes > batchMaxBytes)) {
      const outcome = await sendBatch(work, batch);
      if (outcome !== 'ok') return outcome;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += entry.bytes;
  }
  return batch.length > 0 ? sendBatch(work, batch) : 'ok';
}

/**
 * One batch: stored → acknowledged; refused (400) → split in halves until the refused events stand
 * alone, each then moved to the dead-letter stream with Loki's reason (Loki stores the rest of a
 * batch it answers 400 for, so re-sending those halves only adds duplicates it drops).
 */
async function sendBatch(work: TenantWork, batch: AuditEntry[]): Promise<Outcome> {
  const { services, report, tenantId } = work;
  const result = await pushWithRetries(work, batch);
  if (result.kind === 'stored') {
    work.left = await acknowledge(services.redis, tenantId, batch.map((entry) => entry.id));
    report.shipped += batch.length;
    services.metrics.audit.shipped(batch.length);
    return 'ok';
  }
  if (result.kind !== 'rejected') return result.kind;
  if (batch.length === 1) {
    const [entry] = batch as [AuditEntry];
    if (await deadLetter(services.redis, tenantId, entry.id, result.reason, result.status, services.clock.now())) {
      report.dead_lettered += 1;
      services.metrics.audit.deadLettered();
      services.logger.warn({ tenant_id: tenantId, entry_id: entry.id, action: entry.action, status: result.status, reason: result.reason }, 'audit event refused by the sink; kept in the dead-letter stream');
    }
    return 'ok';
  }
  const middle = Math.ceil(batch.length / 2);
  for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
    const outcome = await sendBatch(work, half);
    if (outcome !== 'ok') return outcome;
  }
  return 'ok';
}

type PushResult = { kind: 'stored' } | { kind: 'rejected'; status: number; reason: string } | { kind: Exclude<Outcome, 'ok'> };

/** Pushes a batch, retrying 429, 5xx, timeouts and refused connections with exponential backoff. */
async function pushWithRetries(work: TenantWork, batch: AuditEntry[]): Promise<PushResult> {
  const { services, lease, pacer, run, report, tenantId } = work;
  const { pushAttempts, retryBaseMs, retryMaxMs } = services.config.audit.offload;
  const bytes = batch.reduce((sum, entry) => sum + entry.bytes, 0);
  for (let attempt = 1; ; attempt += 1) {
    // A run that lost its lease (it stalled past it) must not push: another run may be sending the same
    // events. Renewed here, or by the read of this batch just before (as here: renewal, pacing, push).
    const renewedByRead = work.leaseRenewed && attempt === 1;
    work.leaseRenewed = false;
    if (!renewedByRead && !(await lease.renew())) return { kind: 'lease_lost' };
    await pacer.take(bytes);
    const result = await services.auditSink.write(tenantId, batch);
    if (result.ok) return { kind: 'stored' };
    if (result.kind === 'rejected') return { kind: 'rejected', status: result.status, reason: result.reason };
    const wait = Math.min(retryMaxMs, Math.max(result.retryAfterMs ?? 0, backoff(retryBaseMs, attempt)));
    if (attempt >= pushAttempts || performance.now() + wait > run.deadline) {
      services.logger.warn({ tenant_id: tenantId, status: result.status, reason: result.reason, attempts: attempt }, 'audit sink unavailable; events stay pending for the next run');
      if (result.tenantLimited) return { kind: 'rate_limited' };
      run.sinkDown = true;
      return { kind: 'sink_unavailable' };
    }
    report.retried += 1;
    services.metrics.audit.retried();
    await sleep(wait);
  }
}

/** Exponential backoff with jitter: base × 2^(attempt-1), between half and all of it. */
function backoff(baseMs: number, attempt: number): number {
  const full = baseMs * 2 ** (attempt - 1);
  return Math.round(full / 2 + Math.random() * (full / 2));
}

function emptyTenantReport(): TenantOffloadReport {
  return { shipped: 0, retried: 0, dead_lettered: 0, expired: 0, backlog: 0, dead_letters: 0 };
}

/** A run's id when its trigger named none: time-ordered, unique. */
export function newRunId(): string {
  return `offload-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One structured line per run: the report (bounded), at warn when something went wrong. */
function logReport(services: Services, report: OffloadReport): void {
  const troubled = report.retried > 0 || report.dead_lettered > 0 || report.tenants_stopped > 0 || report.tenants_failed > 0;
  if (troubled) services.logger.warn({ offload: report }, 'audit offload run');
  else services.logger.info({ offload: report }, 'audit offload run');
}
