import type { IConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { functionNames } from '../../routes.js';
import { namespace, openfaasFunctionNamespace } from '../cluster.js';
import { metricsPortAnnotation, watchdogPorts } from '../functions.js';
import { partOf } from '../knative.js';
import { alertRulesFile } from './alert-rules.js';

const functionPattern = functionNames.join('|');

/** The rules file's key in the ConfigMap, beside prometheus.yml (rule_files is relative to it). */
export const rulesFileName = 'keyward-alerts.yaml';

/** Kubernetes SD's name for a pod annotation: non-alphanumerics become `_`. */
const annotationLabel = `__meta_kubernetes_pod_annotation_${metricsPortAnnotation.replace(/[^A-Za-z0-9]/g, '_')}`;

/**
 * keyward's own metrics on one platform: of each function pod, the target of the function's own
 * container (one port on either platform), its address moved to the port the pod's annotation
 * declares. `honor_labels`: the series' own `function` (the route's function, on every request
 * series) wins over the pod's, which labels the rest (Redis, logins, the offload, process).
 */
function keywardMetricsJob(jobName: string, podNamespace: string, functionLabel: string, containerPattern: string) {
  return {
    job_name: jobName,
    honor_labels: true,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [podNamespace] } }],
    relabel_configs: [
      { source_labels: [functionLabel], regex: functionPattern, action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], regex: containerPattern, action: 'keep' },
      { source_labels: [annotationLabel], regex: '\\d+', action: 'keep' },
      { source_labels: ['__address__', annotationLabel], regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' },
      { source_labels: [functionLabel], target_label: 'function' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ],
  };
}

/**
 * Scrape jobs for the functions (kubernetes_sd, pod role): the platform's request metrics (on
 * Knative each pod's queue-proxy serves them on the port named `http-usermetric`; on OpenFaaS
 * of-watchdog on :8081), keyward's own (SPEC §12) on the port of the pod annotation
 * keyward.dev/metrics-port, on both platforms. The `function` label is the function's name. Plus
 * Loki's own metrics.
 */
export const scrapeConfigs = [
  {
    job_name: 'keyward-knative-functions',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_label_serving_knative_dev_service'], regex: functionPattern, action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http-usermetric', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_label_serving_knative_dev_service'], target_label: 'function' },
      { source_labels: ['__meta_kubernetes_pod_label_serving_knative_dev_revision'], target_label: 'revision' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ],
  },
  {
    job_name: 'keyward-openfaas-functions',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [openfaasFunctionNamespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_label_faas_function'], regex: functionPattern, action: 'keep' },
      { source_labels: ['__address__'], regex: '([^:]+)(?::\\d+)?', replacement: `$1:${watchdogPorts.metrics}`, target_label: '__address__' },
      { source_labels: ['__meta_kubernetes_pod_label_faas_function'], target_label: 'function' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ],
  },
  // Knative names the function's container as the Service does (`function`); faas-netes after the function.
  keywardMetricsJob('keyward-knative-metrics', namespace, '__meta_kubernetes_pod_label_serving_knative_dev_service', 'function'),
  keywardMetricsJob('keyward-openfaas-metrics', openfaasFunctionNamespace, '__meta_kubernetes_pod_label_faas_function', functionPattern),
  {
    job_name: 'keyward-loki',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: 'loki', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http-metrics', action: 'keep' },
    ],
  },
];

/**
 * A ConfigMap holding the scrape jobs and the alert rules: mount it into a Prometheus (prometheus.yml
 * loads the rules from beside it), or give the jobs as additional scrape configs and the rules file's
 * groups as a PrometheusRule to the Prometheus Operator.
 */
export function prometheusObjects(): object[] {
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'prometheus-keyward-scrape', namespace, labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'metrics', ...partOf } },
    data: {
      // A whole prometheus.yml for a Prometheus of its own, and the bare job list for the Prometheus Operator's additionalScrapeConfigs.
      'prometheus.yml': stringify({ global: { scrape_interval: '30s', evaluation_interval: '30s' }, rule_files: [rulesFileName], scrape_configs: scrapeConfigs }, { lineWidth: 0 }),
      'scrape-configs.yaml': stringify(scrapeConfigs, { lineWidth: 0 }),
      [rulesFileName]: stringify(alertRulesFile(), { lineWidth: 0 }),
    },
  };
  return [configMap];
}
