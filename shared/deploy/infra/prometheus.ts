import type { IConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { functionNames } from '../../routes.js';
import { namespace, openfaasFunctionNamespace } from '../cluster.js';
import { watchdogPorts } from '../functions.js';
import { partOf } from '../knative.js';

const functionPattern = functionNames.join('|');

/**
 * Scrape jobs for the functions (kubernetes_sd, pod role): on Knative each pod's queue-proxy
 * serves the request metrics on the port named `http-usermetric`; on OpenFaaS of-watchdog serves
 * them on :8081. The `function` label is the function's name. Plus Loki's own metrics.
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
  {
    job_name: 'keyward-loki',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: 'loki', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http-metrics', action: 'keep' },
    ],
  },
];

/** A ConfigMap holding the scrape jobs: mount it into a Prometheus, or give it as additional scrape configs. */
export function prometheusObjects(): object[] {
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'prometheus-keyward-scrape', namespace, labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'metrics', ...partOf } },
    data: {
      // A whole prometheus.yml for a Prometheus of its own, and the bare job list for the Prometheus Operator's additionalScrapeConfigs.
      'prometheus.yml': stringify({ global: { scrape_interval: '30s' }, scrape_configs: scrapeConfigs }, { lineWidth: 0 }),
      'scrape-configs.yaml': stringify(scrapeConfigs, { lineWidth: 0 }),
    },
  };
  return [configMap];
}
