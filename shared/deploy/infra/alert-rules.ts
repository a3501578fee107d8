import { series } from '../../metrics/catalogue.js';

/**
 * The alerts of SPEC §12, as a Prometheus rules file that the Prometheus of knative/infra/ loads
 * (prometheus.yaml's `keyward-alerts.yaml`). Annotations are plain text, no templates: the README
 * ("Metrics") says what each means and what to do, under a heading named after the alert (`runbook`).
 *
 * The audit gauges come from the audit-offload pod, which scales to zero between runs on Knative:
 * they are read through max_over_time so a pod's absence between two runs is not a change.
 */

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string; runbook: string };
}

const backlogTotal = `max(max_over_time(${series.auditBacklog.name}{tenant=""}[5m]))`;

export const alertRules: AlertRule[] = [
  {
    alert: 'KeywardAuditBacklogGrowing',
    expr: `${backlogTotal} > 1000 and deriv(${backlogTotal}[10m:1m]) > 0`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'The audit backlog keeps growing',
      description: 'More than 1000 audit events wait in Redis and the number has risen for 20 minutes: the offload ships fewer events than the functions write.',
      runbook: 'README.md#keywardauditbackloggrowing',
    },
  },
  {
    alert: 'KeywardAuditOldestPendingTooOld',
    expr: `max(max_over_time(${series.auditOldestPending.name}[5m])) > 300`,
    for: '1m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'An audit event has waited more than 5 minutes',
      description: 'The oldest audit event waiting in Redis is older than 5 minutes: runs happen every minute, so its tenant is not being shipped.',
      runbook: 'README.md#keywardauditoldestpendingtooold',
    },
  },
  {
    alert: 'KeywardAuditDeadLetters',
    expr: `max(max_over_time(${series.auditDeadLetters.name}[5m])) > 0`,
    for: '1m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Loki refused audit events',
      description: 'Audit events sit in a dead-letter stream: Loki answered 400 for them. They are kept, shown by GET /audit-logs, and block tenants delete.',
      runbook: 'README.md#keywardauditdeadletters',
    },
  },
  {
    alert: 'KeywardAuditOffloadNotRunning',
    expr: `time() - max(max_over_time(${series.auditLastRun.name}[15m])) > 300 or absent_over_time(${series.auditLastRun.name}[15m])`,
    for: '1m',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'No audit offload run for 5 minutes',
      description: 'No audit-offload process has finished a run in the last 5 minutes (or none was seen for 15): events pile up in Redis.',
      runbook: 'README.md#keywardauditoffloadnotrunning',
    },
  },
  {
    alert: 'KeywardHighErrorRate',
    expr: `sum by (function) (rate(${series.httpRequests.name}{status=~"5.."}[5m])) / sum by (function) (rate(${series.httpRequests.name}[5m])) > 0.01`,
    for: '5m',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'More than 1% of a function\'s requests fail with 5xx',
      description: 'Over 5 minutes, more than 1% of the function\'s answers were 5xx: a dependency (Redis, Loki) is down or keyward has a bug.',
      runbook: 'README.md#keywardhigherrorrate',
    },
  },
  {
    alert: 'KeywardRedisUnavailable',
    expr: `sum by (function) (increase(${series.redisErrors.name}{kind=~"connection|timeout|unavailable"}[1m])) > 0`,
    for: '2m',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'Redis is unavailable to a function',
      description: 'For 2 minutes, every minute, the function could not reach Redis, timed out or was refused (READONLY, LOADING, MASTERDOWN): a failover that did not finish, or Redis is down.',
      runbook: 'README.md#keywardredisunavailable',
    },
  },
];

/** The rules file. */
export function alertRulesFile(): { groups: { name: string; rules: AlertRule[] }[] } {
  return { groups: [{ name: 'keyward', rules: alertRules }] };
}
