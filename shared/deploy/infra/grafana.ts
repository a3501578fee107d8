import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IService } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { grafanaTenants, lokiUrl, namespace, objectNames, prometheusUrl } from '../cluster.js';
import { partOf } from '../knative.js';
import { auditDashboard, tenantDatasourcePrefix } from './dashboard.js';
import { prometheusDatasourceUid, serviceDashboard } from './service-dashboard.js';

/** Grafana 11; the image runs as uid 472. */
export const grafanaImage = 'grafana/grafana:11.5.2';

const dashboardsPath = '/var/lib/grafana/dashboards/keyward';

/**
 * One Loki datasource per tenant: Loki is multi-tenant and every query must name its tenant in
 * X-Scope-OrgID, sent here as a custom header (httpHeaderName1, its value kept in secureJsonData).
 */
export function lokiDatasources(tenants: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: tenants.map((tenant, index) => ({
      name: `${tenantDatasourcePrefix}${tenant}`,
      uid: `loki-${tenant}`,
      type: 'loki',
      access: 'proxy',
      url: lokiUrl,
      isDefault: index === 0,
      editable: false,
      jsonData: { httpHeaderName1: 'X-Scope-OrgID', maxLines: 1000 },
      secureJsonData: { httpHeaderValue1: tenant },
    })),
  };
}

/** The Prometheus of knative/infra/prometheus.yaml, for the "keyward service" dashboard. */
export function prometheusDatasources(): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [{ name: 'Prometheus', uid: prometheusDatasourceUid, type: 'prometheus', access: 'proxy', url: prometheusUrl, isDefault: false, editable: false }],
  };
}

export const dashboardProviders = {
  apiVersion: 1,
  providers: [
    {
      name: 'keyward',
      orgId: 1,
      folder: 'keyward',
      type: 'file',
      disableDeletion: true,
      allowUiUpdates: false,
      options: { path: dashboardsPath },
    },
  ],
};

const labels = { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/component': 'dashboards', ...partOf };

function configMap(name: string, data: Record<string, string>): IConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

export function grafanaObjects(): object[] {
  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'grafana', namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 472, runAsGroup: 472, fsGroup: 472 },
          containers: [
            {
              name: 'grafana',
              image: grafanaImage,
              ports: [{ name: 'http', containerPort: 3000 }],
              env: [
                { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
                { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: objectNames.grafanaAdminSecret, key: 'admin-password' } } },
                { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
                { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
              ],
              readinessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 10, timeoutSeconds: 3 },
              livenessProbe: { httpGet: { path: '/api/health', port: 'http' }, initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 3 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'storage', mountPath: '/var/lib/grafana' },
                { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources' },
                { name: 'dashboard-providers', mountPath: '/etc/grafana/provisioning/dashboards' },
                { name: 'dashboards', mountPath: dashboardsPath },
              ],
            },
          ],
          // Everything Grafana shows is provisioned from these ConfigMaps; its own database is disposable.
          volumes: [
            { name: 'storage', emptyDir: {} },
            { name: 'datasources', configMap: { name: 'grafana-datasources' } },
            { name: 'dashboard-providers', configMap: { name: 'grafana-dashboard-providers' } },
            { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
          ],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'grafana', namespace, labels },
    spec: { selector: { 'app.kubernetes.io/name': 'grafana' }, ports: [{ name: 'http', port: 3000, targetPort: 'http' }] },
  };
  return [
    configMap('grafana-datasources', {
      'loki.yaml': stringify(lokiDatasources(grafanaTenants), { lineWidth: 0 }),
      'prometheus.yaml': stringify(prometheusDatasources(), { lineWidth: 0 }),
    }),
    configMap('grafana-dashboard-providers', { 'keyward.yaml': stringify(dashboardProviders, { lineWidth: 0 }) }),
    configMap('grafana-dashboards', {
      'keyward-audit.json': `${JSON.stringify(auditDashboard(), null, 2)}\n`,
      'keyward-service.json': `${JSON.stringify(serviceDashboard(), null, 2)}\n`,
    }),
    deployment,
    service,
  ];
}
