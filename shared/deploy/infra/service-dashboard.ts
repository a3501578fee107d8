import { series } from '../../metrics/catalogue.js';

/**
 * The "keyward service" dashboard Grafana provisions, on the Prometheus datasource: per function,
 * requests, errors and latency; verification outcomes; logins; rate-limited and quota-refused
 * requests; the audit pipeline; Redis; bcrypt. Every query reads the series of
 * shared/metrics/catalogue.ts (a test checks each name against a real exposition).
 */

/** The Prometheus datasource's uid (grafana.ts provisions it under this uid). */
export const prometheusDatasourceUid = 'prometheus';

export interface ServiceTarget {
  expr: string;
  legend: string;
}

export interface ServicePanel {
  title: string;
  description: string;
  unit: string;
  targets: ServiceTarget[];
  gridPos: { h: number; w: number; x: number; y: number };
}

const fn = 'function=~"$function"';
const rate = (expr: string) => `rate(${expr}[$__rate_interval])`;
const quantile = (q: number, bucket: string, by: string) => `histogram_quantile(${q}, sum by (${by}le) (${rate(bucket)}))`;

const s = series;
const row = (y: number, h = 8) => ({ h, w: 8, y });

export const servicePanels: ServicePanel[] = [
  {
    title: 'Requests per second',
    description: 'Answered requests per function (health probes and scrapes are not counted).',
    unit: 'reqps',
    targets: [{ expr: `sum by (function) (${rate(`${s.httpRequests.name}{${fn}}`)})`, legend: '{{function}}' }],
    gridPos: { ...row(0), x: 0 },
  },
  {
    title: 'Errors per second',
    description: '5xx (a dependency down, or a bug) and 4xx (refused requests) per function.',
    unit: 'reqps',
    targets: [
      { expr: `sum by (function) (${rate(`${s.httpRequests.name}{${fn}, status=~"5.."}`)})`, legend: '{{function}} 5xx' },
      { expr: `sum by (function) (${rate(`${s.httpRequests.name}{${fn}, status=~"4.."}`)})`, legend: '{{function}} 4xx' },
    ],
    gridPos: { ...row(0), x: 8 },
  },
  {
    title: 'Latency p50 / p99',
    description: 'Time from a request read to its answer, per function.',
    unit: 's',
    targets: [
      { expr: quantile(0.5, `${s.httpDuration.name}_bucket{${fn}}`, 'function, '), legend: '{{function}} p50' },
      { expr: quantile(0.99, `${s.httpDuration.name}_bucket{${fn}}`, 'function, '), legend: '{{function}} p99' },
    ],
    gridPos: { ...row(0), x: 16 },
  },
  {
    title: 'Verifications by code',
    description: 'POST /api-keys/verify answers: VALID and why the others were not.',
    unit: 'ops',
    targets: [{ expr: `sum by (code) (${rate(s.verifications.name)})`, legend: '{{code}}' }],
    gridPos: { ...row(8), x: 0 },
  },
  {
    title: 'Logins by outcome',
    description: 'POST /token: success, failed (wrong password or unknown user), throttled, disabled.',
    unit: 'ops',
    targets: [{ expr: `sum by (outcome) (${rate(s.logins.name)})`, legend: '{{outcome}}' }],
    gridPos: { ...row(8), x: 8 },
  },
  {
    title: 'Rate-limited and quota-refused',
    description: 'Requests refused 429 because the calling key was over its rate limit or out of quota, and verifications that answered so.',
    unit: 'reqps',
    targets: [
      { expr: `sum(${rate(s.rateLimited.name)})`, legend: 'rate limited (429)' },
      { expr: `sum(${rate(s.usageExceeded.name)})`, legend: 'quota spent (429)' },
      { expr: `sum(${rate(`${s.verifications.name}{code=~"RATE_LIMITED|USAGE_EXCEEDED"}`)}) by (code)`, legend: 'verified {{code}}' },
    ],
    gridPos: { ...row(8), x: 16 },
  },
  {
    title: 'Audit events shipped, retried, dead-lettered',
    description: 'Events the sink stored, pushes tried again (429, 5xx, timeouts), events Loki refused; and key expirations recorded.',
    unit: 'ops',
    targets: [
      { expr: `sum(${rate(s.auditShipped.name)})`, legend: 'shipped' },
      { expr: `sum(${rate(s.auditRetries.name)})`, legend: 'push retries' },
      { expr: `sum(${rate(s.auditDeadLettered.name)})`, legend: 'dead-lettered' },
      { expr: `sum(${rate(s.keyExpirations.name)})`, legend: 'key expirations' },
    ],
    gridPos: { ...row(16), x: 0 },
  },
  {
    title: 'Audit backlog',
    description: 'Events waiting in Redis (GET /backlog) and held in dead-letter streams; per tenant only with METRICS_TENANT_LABELS=true.',
    unit: 'short',
    targets: [
      { expr: `max(${s.auditBacklog.name}{tenant=""})`, legend: 'waiting' },
      { expr: `max(${s.auditDeadLetters.name})`, legend: 'dead letters' },
      { expr: `max by (tenant) (${s.auditBacklog.name}{tenant!=""})`, legend: '{{tenant}}' },
    ],
    gridPos: { ...row(16), x: 8 },
  },
  {
    title: 'Oldest pending event, run duration',
    description: 'Age of the oldest waiting event (alert above 5 minutes), and how long offload runs take.',
    unit: 's',
    targets: [
      { expr: `max(${s.auditOldestPending.name})`, legend: 'oldest pending' },
      { expr: quantile(0.5, `${s.auditRunDuration.name}_bucket`, ''), legend: 'run p50' },
      { expr: quantile(0.99, `${s.auditRunDuration.name}_bucket`, ''), legend: 'run p99' },
    ],
    gridPos: { ...row(16), x: 16 },
  },
  {
    title: 'Redis latency p99 by operation',
    description: "One round trip of each operation's Lua script (with its WAIT when there are replicas).",
    unit: 's',
    targets: [{ expr: quantile(0.99, `${s.redisDuration.name}_bucket{${fn}}`, 'operation, '), legend: '{{operation}}' }],
    gridPos: { ...row(24), x: 0 },
  },
  {
    title: 'Redis errors and replicas',
    description: 'Failures by kind (connection, timeout, unavailable: alert), and the replicas in sync that writes wait for.',
    unit: 'short',
    targets: [
      { expr: `sum by (kind) (${rate(`${s.redisErrors.name}{${fn}}`)})`, legend: '{{kind}} /s' },
      { expr: `min(${s.redisReplicas.name}{${fn}})`, legend: 'replicas in sync' },
    ],
    gridPos: { ...row(24), x: 8 },
  },
  {
    title: 'bcrypt queue depth',
    description: 'Password hashes and checks waiting or running, per function: logins queue here when bcrypt is the bottleneck.',
    unit: 'short',
    targets: [{ expr: `max by (function) (${s.bcryptQueueDepth.name}{${fn}})`, legend: '{{function}}' }],
    gridPos: { ...row(24), x: 16 },
  },
];

/** The dashboard model (Grafana's JSON). */
export function serviceDashboard(): Record<string, unknown> {
  const datasource = { type: 'prometheus', uid: prometheusDatasourceUid };
  return {
    uid: 'keyward-service',
    title: 'keyward service',
    description: "What keyward's functions do: requests, verifications, logins, limits, the audit pipeline, Redis, bcrypt (SPEC §12).",
    tags: ['keyward', 'metrics'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        {
          name: 'function',
          label: 'Function',
          type: 'query',
          datasource,
          query: `label_values(${series.httpRequests.name}, function)`,
          refresh: 2,
          includeAll: true,
          allValue: '.+',
          multi: true,
          hide: 0,
        },
      ],
    },
    panels: servicePanels.map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource,
      gridPos: panel.gridPos,
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((target, refIndex) => ({ refId: String.fromCharCode(65 + refIndex), datasource, expr: target.expr, legendFormat: target.legend })),
    })),
  };
}
