import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusUrl } from '../shared/deploy/cluster.js';
import { parseExposition, type Exposition } from './support/exposition.js';
import { createTestApp, type TestApp } from './support/harness.js';
import { dig, loadManifests } from './support/manifests.js';

/**
 * The "keyward service" dashboard as shipped (knative/infra/grafana.yaml): on the Prometheus
 * datasource provisioned beside it, and querying only series keyward exports: every metric name a
 * panel queries is in the exposition of a process serving every function.
 */

const objects = loadManifests('knative').map(({ object }) => object);
const configMap = (name: string) => dig(objects.find((object) => object.kind === 'ConfigMap' && dig(object, 'metadata', 'name') === name), 'data') as Record<string, string>;

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  title: string;
  datasource: { type: string; uid: string };
  targets: Target[];
}
interface Dashboard {
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: string; datasource?: { type: string; uid: string } }[] };
}

const dashboards = configMap('grafana-dashboards');
const service = JSON.parse(dashboards['keyward-service.json'] ?? '{}') as Dashboard;
const prometheusSource = (parseYaml(configMap('grafana-datasources')['prometheus.yaml'] ?? '') as { datasources: { name: string; uid: string; type: string; url: string }[] }).datasources;

/** The metric names a PromQL expression reads (keyward's and the process's), histogram suffixes removed. */
function metricNames(expr: string): string[] {
  const names = [...expr.matchAll(/\b((?:keyward|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1] ?? '');
  return [...new Set(names.map((name) => name.replace(/_(bucket|sum|count)$/, '')))];
}

describe('the "keyward service" dashboard', () => {
  let app: TestApp;
  let exposition: Exposition;
  beforeAll(async () => {
    app = await createTestApp({ env: { LOG_LEVEL: 'warn' } });
    exposition = parseExposition((await app.request('GET', '/metrics')).text);
  });
  afterAll(() => app.close());

  it('is provisioned beside the audit dashboard, with a Prometheus datasource pointing at the Prometheus of knative/infra/', () => {
    expect(Object.keys(dashboards).sort()).toEqual(['keyward-audit.json', 'keyward-service.json']);
    expect(service.title).toBe('keyward service');
    expect(prometheusSource).toEqual([expect.objectContaining({ type: 'prometheus', url: prometheusUrl })]);
  });

  it('every panel, target and variable queries that Prometheus datasource', () => {
    const uid = prometheusSource[0]?.uid;
    expect(service.panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of service.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid });
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual({ type: 'prometheus', uid });
    }
    for (const variable of service.templating.list) expect(variable.datasource, variable.name).toEqual({ type: 'prometheus', uid });
  });

  it('every metric name a panel or variable queries is in the exposition', () => {
    const exported = new Set([...exposition.types.keys()]);
    const queried = [...service.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...service.templating.list.map((variable) => variable.query)];
    const names = new Set(queried.flatMap(metricNames));
    expect(names.size).toBeGreaterThanOrEqual(15);
    for (const name of names) expect(exported.has(name), name).toBe(true);
    // And the check can fail: a misspelt name is not exported.
    expect(metricNames('rate(keyward_http_request_total[5m])').every((name) => exported.has(name))).toBe(false);
  });

  it('shows, per function, requests, errors and latency; verifications; logins; limits; the audit pipeline; Redis; bcrypt', () => {
    const queries = service.panels.map((panel) => panel.targets.map((target) => target.expr).join(' '));
    const shown = (pattern: RegExp) => queries.some((expr) => pattern.test(expr));
    expect(shown(/sum by \(function\) \(rate\(keyward_http_requests_total\{/)).toBe(true);
    expect(shown(/status=~"5\.\."/)).toBe(true);
    expect(shown(/histogram_quantile\(0\.99, sum by \(function, le\) \(rate\(keyward_http_request_duration_seconds_bucket/)).toBe(true);
    for (const name of [
      'keyward_api_key_verifications_total',
      'keyward_logins_total',
      'keyward_rate_limited_total',
      'keyward_usage_exceeded_total',
      'keyward_audit_shipped_total',
      'keyward_audit_push_retries_total',
      'keyward_audit_dead_lettered_total',
      'keyward_audit_backlog_events',
      'keyward_audit_oldest_pending_age_seconds',
      'keyward_audit_offload_run_duration_seconds_bucket',
      'keyward_redis_command_duration_seconds_bucket',
      'keyward_redis_errors_total',
      'keyward_redis_replicas',
      'keyward_bcrypt_queue_depth',
    ]) {
      expect(shown(new RegExp(`\\b${name}\\b`)), name).toBe(true);
    }
  });
});
