import { Gauge, type Registry } from 'prom-client';
import type { AuditBacklog } from '../audit/backlog.js';
import { backlogTopTenants, series, tenantLabel } from './catalogue.js';
import { CellCounter, CellHistogram } from './cells.js';

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

export function createAuditMetrics(registry: Registry, tenantLabels: boolean): AuditMetrics {
  const families = {
    shipped: new CellCounter(series.auditShipped),
    retries: new CellCounter(series.auditRetries),
    deadLettered: new CellCounter(series.auditDeadLettered),
    expirations: new CellCounter(series.keyExpirations),
  };
  const cells = {
    shipped: families.shipped.cell(),
    retries: families.retries.cell(),
    deadLettered: families.deadLettered.cell(),
    expirations: families.expirations.cell(),
  };
  const runDuration = new CellHistogram(series.auditRunDuration);
  const runs = runDuration.cell();
  let lastRunSeconds = 0;
  const lastRun = new Gauge({
    name: series.auditLastRun.name,
    help: series.auditLastRun.help,
    registers: [],
    collect() {
      this.set(lastRunSeconds);
    },
  });
  let registered = false;
  const register = () => {
    if (registered) return;
    registered = true;
    for (const family of Object.values(families)) registry.registerMetric(family.metric);
    registry.registerMetric(runDuration);
    registry.registerMetric(lastRun);
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
      runs.observe(seconds);
      lastRunSeconds = endedAtMs / 1000;
    },
    watchBacklog(read, onError) {
      register();
      for (const gauge of backlogGauges(read, onError, tenantLabels)) registry.registerMetric(gauge);
    },
    register,
  };
}

/**
 * keyward_audit_backlog_events (the total without labels; with tenant labels also the largest
 * tenants), keyward_audit_dead_letter_events and keyward_audit_oldest_pending_age_seconds, from one
 * read per scrape shared by the three. A failed read keeps the last values (the failure is counted
 * as a Redis error by `onError`'s caller).
 */
function backlogGauges(read: () => Promise<AuditBacklog>, onError: (error: unknown) => void, tenantLabels: boolean): Gauge<string>[] {
  let last: AuditBacklog = { backlog: 0, dead_letters: 0, oldest_pending_age_s: 0, tenants: {} };
  let reading: Promise<AuditBacklog> | undefined;
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
  const backlog = new Gauge({
    name: series.auditBacklog.name,
    help: series.auditBacklog.help,
    labelNames: [tenantLabel],
    registers: [],
    async collect() {
      const now = await current();
      this.reset();
      this.set({}, now.backlog);
      if (!tenantLabels) return;
      const largest = Object.entries(now.tenants)
        .filter(([, tenant]) => tenant.backlog > 0)
        .sort(([a, x], [b, y]) => y.backlog - x.backlog || a.localeCompare(b))
        .slice(0, backlogTopTenants);
      for (const [tenantId, tenant] of largest) this.set({ [tenantLabel]: tenantId }, tenant.backlog);
    },
  });
  const deadLetters = new Gauge({
    name: series.auditDeadLetters.name,
    help: series.auditDeadLetters.help,
    registers: [],
    async collect() {
      this.set((await current()).dead_letters);
    },
  });
  const oldest = new Gauge({
    name: series.auditOldestPending.name,
    help: series.auditOldestPending.help,
    registers: [],
    async collect() {
      this.set((await current()).oldest_pending_age_s);
    },
  });
  return [backlog, deadLetters, oldest];
}
