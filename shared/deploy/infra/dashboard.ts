/**
 * The audit dashboard Grafana provisions. Each tenant is its own Loki org (X-Scope-OrgID), so each
 * has its own datasource; `$datasource` picks the tenant, `$tenant_id` filters within it. Queries
 * read the labels keyward pushes: {job="audit_logs", tenant_id, action} (SPEC §7).
 */

export const auditSelector = 'job="audit_logs", tenant_id=~"$tenant_id"';
/** Grafana datasources of keyward tenants are named with this prefix (one per tenant). */
export const tenantDatasourcePrefix = 'keyward ';

interface PanelSpec {
  title: string;
  type: 'timeseries' | 'logs' | 'stat';
  expr: string;
  legend?: string;
  description: string;
  gridPos: { h: number; w: number; x: number; y: number };
}

const panels: PanelSpec[] = [
  {
    title: 'Events per action',
    type: 'timeseries',
    expr: `sum by (action) (count_over_time({${auditSelector}} [$__interval]))`,
    legend: '{{action}}',
    description: 'Audit events by action, successes and failures alike.',
    gridPos: { h: 9, w: 24, x: 0, y: 0 },
  },
  {
    title: 'Failed logins',
    type: 'timeseries',
    expr: `sum by (tenant_id) (count_over_time({${auditSelector}, action="login_failed"} [$__interval]))`,
    legend: '{{tenant_id}}',
    description: 'login_failed events: wrong passwords, unknown users, throttled attempts.',
    gridPos: { h: 8, w: 12, x: 0, y: 9 },
  },
  {
    title: 'Denied requests',
    type: 'timeseries',
    expr: `sum by (tenant_id, action) (count_over_time({${auditSelector}} | json outcome="outcome" | outcome="denied" [$__interval]))`,
    legend: '{{tenant_id}} {{action}}',
    description: 'Events with outcome "denied": authenticated callers refused by the live checks (access_denied).',
    gridPos: { h: 8, w: 12, x: 12, y: 9 },
  },
  {
    title: 'Events per tenant',
    type: 'timeseries',
    expr: `sum by (tenant_id) (count_over_time({${auditSelector}} [$__interval]))`,
    legend: '{{tenant_id}}',
    description: 'All audit events, per tenant.',
    gridPos: { h: 8, w: 12, x: 0, y: 17 },
  },
  {
    title: 'Failed logins in range',
    type: 'stat',
    expr: `sum(count_over_time({${auditSelector}, action="login_failed"} [$__range]))`,
    description: 'login_failed events over the whole time range.',
    gridPos: { h: 8, w: 12, x: 12, y: 17 },
  },
  {
    title: 'Failures and denials',
    type: 'logs',
    expr: `{${auditSelector}} | json outcome="outcome" | outcome!="success"`,
    description: 'The events themselves (JSON lines), newest first.',
    gridPos: { h: 12, w: 24, x: 0, y: 25 },
  },
];

/** The dashboard model (Grafana's JSON). */
export function auditDashboard(): Record<string, unknown> {
  const datasource = { type: 'loki', uid: '${datasource}' };
  return {
    uid: 'keyward-audit',
    title: 'keyward audit',
    description: 'Audit events per action, failed logins and denied requests, per tenant.',
    tags: ['keyward', 'audit'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Tenant',
          type: 'datasource',
          query: 'loki',
          regex: `/^${tenantDatasourcePrefix}/`,
          hide: 0,
        },
        {
          name: 'tenant_id',
          label: 'tenant_id',
          type: 'query',
          datasource,
          query: 'label_values({job="audit_logs"}, tenant_id)',
          refresh: 2,
          includeAll: true,
          allValue: '.+',
          multi: true,
          hide: 0,
        },
      ],
    },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: panel.type,
      title: panel.title,
      description: panel.description,
      datasource,
      gridPos: panel.gridPos,
      targets: [{ refId: 'A', datasource, expr: panel.expr, ...(panel.legend ? { legendFormat: panel.legend } : {}), queryType: 'range' }],
      ...(panel.type === 'logs' ? { options: { sortOrder: 'Descending', wrapLogMessage: true, showTime: true } } : {}),
    })),
  };
}
