import type { AuditBacklog } from '../audit/backlog.js';
import { backlogTopTenants, series, tenantLabel } from './catalogue.js';
import { CounterFamily, GaugeFamily, HistogramFamily, type FamilySet, type GaugeSample } from './cells.js';

/** The offload's run figures, and what GET /backlog answers. */
export interface AuditMetrics {
  shipped(events: number): void;
  retried(): void;
  deadLettered(): void;
  expired(events: number): void;
  runFinished(seconds: number, endedAtMs: number): void;
  /**
   * Exports the backlog gauges, read through `read` (GET /backlog's reader) when scraped: only the
   * process that serves audit-offload does, so one process pays for reading every tenant.
   */
  watchBacklog(read: () => Promise<AuditBacklog>, onError: (error: unknown) => void): void;
  register(): void;
}

export function createAuditMetrics(registry: FamilySet, tenantLabels: boolean): AuditMetrics {
  const families = {
    shipped: new CounterFamily(series.auditShipped),
    retries: new CounterFamily(series.auditRetries),
    deadLettered: new CounterFamily(series.auditDeadLettered),
    expirations: new CounterFamily(series.keyExpirations),
    runDuration: new HistogramFamily(series.auditRunDuration),
  };
  const cells = {
    shipped: families.shipped.cell(),
    retries: families.retries.cell(),
    deadLettered: families.deadLettered.cell(),
    expirations: families.expirations.cell(),
    runs: families.runDuration.cell(),
  };
  let lastRunSeconds = 0;
  const lastRun = new GaugeFamily(series.auditLastRun, () => [{ labels: {}, value: lastRunSeconds }]);
  let registered = false;
  const register = () => {
    if (registered) return;
    registered = true;
    registry.add(...Object.values(families), lastRun);
  };

  return {
    shipped(events) {
      register();
      cells.shipped.inc(events);
    },
    retried() {
      register();
      cells.retries.inc();
    },
    deadLettered() {
      register();
      cells.deadLettered.inc();
    },
    expired(events) {
      register();
      cells.expirations.inc(events);
    },
    runFinished(seconds, endedAtMs) {
      register();
      cells.runs.observe(seconds);
      lastRunSeconds = endedAtMs / 1000;
    },
    watchBacklog(read, onError) {
      register();
      registry.add(...backlogGauges(read, onError, tenantLabels));
    },
    register,
  };
}

/**
 * keyward_audit_backlog_events (the total without labels; with tenant labels also the largest
 * tenants), keyward_audit_dead_letter_events and keyward_audit_oldest_pending_age_seconds, from one
 * read per scrape shared by the three. A failed read keeps the last values (`onError` counts it).
 */
function backlogGauges(read: () => Promise<AuditBacklog>, onError: (error: unknown) => void, tenantLabels: boolean): GaugeFamily[] {
  let last: AuditBacklog = { backlog: 0, dead_letters: 0, oldest_pending_age_s: 0, tenants: {} };
  let reading: Promise<AuditBacklog> | undefined;
  // The three gauges are collected together (Promise.all over a registry): the first starts the read, the others share it.
  const current = async (): Promise<AuditBacklog> => {
    reading ??= read().then(
      (backlog) => (last = backlog),
      (error: unknown) => {
        onError(error);
        return last;
      },
    );
    try {
      return await reading;
    } finally {
      reading = undefined;
    }
  };
  const backlog = new GaugeFamily(series.auditBacklog, async (): Promise<GaugeSample[]> => {
    const now = await current();
    const samples: GaugeSample[] = [{ labels: {}, value: now.backlog }];
    if (!tenantLabels) return samples;
    const largest = Object.entries(now.tenants)
      .filter(([, tenant]) => tenant.backlog > 0)
      .sort(([a, x], [b, y]) => y.backlog - x.backlog || a.localeCompare(b))
      .slice(0, backlogTopTenants);
    return [...samples, ...largest.map(([tenantId, tenant]) => ({ labels: { [tenantLabel]: tenantId }, value: tenant.backlog }))];
  });
  const deadLetters = new GaugeFamily(series.auditDeadLetters, async () => [{ labels: {}, value: (await current()).dead_letters }]);
  const oldest = new GaugeFamily(series.auditOldestPending, async () => [{ labels: {}, value: (await current()).oldest_pending_age_s }]);
  return [backlog, deadLetters, oldest];
}
