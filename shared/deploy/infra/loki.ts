import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IService } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { namespace } from '../cluster.js';
import { partOf } from '../knative.js';

/** Loki 3 in one process (monolithic), on a persistent volume. The image runs as uid 10001. */
export const lokiImage = 'grafana/loki:3.4.2';

/** How long audit events are kept (Loki needs a whole number of 24h index periods). */
export const lokiRetention = '2160h';

/**
 * Multi-tenant (auth_enabled: every push and query names its tenant in X-Scope-OrgID, which is how
 * keyward ships each tenant's events), filesystem storage, retention applied by the compactor.
 */
export const lokiConfig = {
  auth_enabled: true,
  server: { http_listen_port: 3100, grpc_listen_port: 9095, log_level: 'info' },
  common: {
    instance_addr: '127.0.0.1',
    path_prefix: '/loki',
    replication_factor: 1,
    ring: { kvstore: { store: 'inmemory' } },
    storage: { filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } },
  },
  schema_config: {
    configs: [{ from: '2024-04-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
  },
  limits_config: {
    retention_period: lokiRetention,
    // Events are pushed with the time they happened; a backlog older than this would be refused.
    reject_old_samples: true,
    reject_old_samples_max_age: '168h',
  },
  compactor: {
    working_directory: '/loki/compactor',
    compaction_interval: '10m',
    retention_enabled: true,
    retention_delete_delay: '2h',
    delete_request_store: 'filesystem',
  },
  analytics: { reporting_enabled: false },
};

const labels = { 'app.kubernetes.io/name': 'loki', 'app.kubernetes.io/component': 'logs', ...partOf };

export function lokiObjects(): object[] {
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'loki-config', namespace, labels },
    data: { 'config.yaml': stringify(lokiConfig, { lineWidth: 0 }) },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'loki', namespace, labels },
    spec: {
      selector: { 'app.kubernetes.io/name': 'loki' },
      ports: [{ name: 'http-metrics', port: 3100, targetPort: 'http-metrics' }],
    },
  };
  const statefulSet: IStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'loki', namespace, labels },
    spec: {
      serviceName: 'loki',
      // The compactor, which applies retention, must run as a single instance.
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'loki' } },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
          containers: [
            {
              name: 'loki',
              image: lokiImage,
              args: ['-config.file=/etc/loki/config.yaml'],
              ports: [
                { name: 'http-metrics', containerPort: 3100 },
                { name: 'grpc', containerPort: 9095 },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: 'http-metrics' }, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 3 },
              livenessProbe: { httpGet: { path: '/ready', port: 'http-metrics' }, initialDelaySeconds: 60, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 5 },
              resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/loki' },
                { name: 'storage', mountPath: '/loki' },
              ],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: 'loki-config' } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'storage', labels },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
        },
      ],
    },
  };
  return [configMap, service, statefulSet];
}
