import type { FieldProblem } from './strict-fields.js';

/**
 * What the schemas cannot say: Knative reads autoscaling annotations from a revision template
 * only (spec.template.metadata.annotations) and silently ignores them anywhere else, and reads
 * the cluster-local visibility from the Service's own labels. Annotation keys and values are
 * checked against knative/serving's pkg/apis/autoscaling/register.go.
 */
const autoscalingPrefix = 'autoscaling.knative.dev/';
export const autoscalingAnnotations = new Set(
  [
    'class',
    'metric',
    'target',
    'target-utilization-percentage',
    'target-burst-capacity',
    'min-scale',
    'max-scale',
    'initial-scale',
    'activation-scale',
    'scale-down-delay',
    'scale-to-zero-pod-retention-period',
    'window',
    'panic-window-percentage',
    'panic-threshold-percentage',
    'metric-aggregation-algorithm',
  ].map((name) => `${autoscalingPrefix}${name}`),
);
export const visibilityLabel = 'networking.knative.dev/visibility';

const durationPattern = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/;
const wholeNumber = /^\d+$/;

const valueRules: Record<string, (value: string) => boolean> = {
  [`${autoscalingPrefix}class`]: (v) => v === 'kpa.autoscaling.knative.dev' || v === 'hpa.autoscaling.knative.dev',
  [`${autoscalingPrefix}metric`]: (v) => ['concurrency', 'rps', 'cpu', 'memory'].includes(v),
  [`${autoscalingPrefix}target`]: (v) => /^\d+(\.\d+)?$/.test(v) && Number(v) > 0,
  [`${autoscalingPrefix}min-scale`]: (v) => wholeNumber.test(v),
  [`${autoscalingPrefix}max-scale`]: (v) => wholeNumber.test(v),
  [`${autoscalingPrefix}initial-scale`]: (v) => wholeNumber.test(v),
  [`${autoscalingPrefix}scale-to-zero-pod-retention-period`]: (v) => durationPattern.test(v),
  [`${autoscalingPrefix}scale-down-delay`]: (v) => durationPattern.test(v),
  [`${autoscalingPrefix}window`]: (v) => durationPattern.test(v),
};

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function at(object: unknown, path: readonly string[]): Json | undefined {
  let current: unknown = object;
  for (const key of path) current = record(current)?.[key];
  return record(current);
}

/** Every `metadata` object in a manifest, with its path (the object's own, pod templates, claim templates). */
function metadataObjects(value: unknown, path: string, found: { path: string; metadata: Json }[]): void {
  const object = record(value);
  if (object) {
    for (const [key, child] of Object.entries(object)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key === 'metadata' && record(child)) found.push({ path: childPath, metadata: record(child) as Json });
      // Into specs and templates, not into ConfigMap data (whose values are strings anyway).
      if (key !== 'data') metadataObjects(child, childPath, found);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => metadataObjects(item, `${path}[${index}]`, found));
  }
}

export function knativeProblems(manifest: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const object = record(manifest);
  if (!object) return problems;
  const isKnativeService = object.apiVersion === 'serving.knative.dev/v1' && object.kind === 'Service';
  const revisionMetadataPath = 'spec.template.metadata';

  const found: { path: string; metadata: Json }[] = [];
  metadataObjects(object, '', found);
  for (const { path, metadata } of found) {
    const onRevisionTemplate = isKnativeService && path === revisionMetadataPath;
    for (const [key, value] of Object.entries(record(metadata.annotations) ?? {})) {
      if (!key.startsWith(autoscalingPrefix)) continue;
      const where = `${path}.annotations.${key}`;
      if (!onRevisionTemplate) {
        problems.push({ path: where, problem: 'autoscaling annotation outside a Knative Service\'s revision template (spec.template.metadata.annotations): Knative ignores it there' });
        continue;
      }
      if (!autoscalingAnnotations.has(key)) problems.push({ path: where, problem: `unknown autoscaling annotation ${key}` });
      const rule = valueRules[key];
      if (rule && !(typeof value === 'string' && rule(value))) problems.push({ path: where, problem: `invalid value ${JSON.stringify(value)}` });
    }
    if (record(metadata.annotations)?.[visibilityLabel] !== undefined) {
      problems.push({ path: `${path}.annotations.${visibilityLabel}`, problem: 'visibility is a label, not an annotation' });
    }
    const visibility = record(metadata.labels)?.[visibilityLabel];
    if (visibility !== undefined) {
      if (!(isKnativeService && path === 'metadata')) problems.push({ path: `${path}.labels.${visibilityLabel}`, problem: 'Knative reads visibility from the Service\'s own labels only' });
      else if (visibility !== 'cluster-local') problems.push({ path: `${path}.labels.${visibilityLabel}`, problem: `visibility must be "cluster-local", not ${JSON.stringify(visibility)}` });
    }
  }

  if (isKnativeService) {
    const annotations = at(object, ['spec', 'template', 'metadata', 'annotations']) ?? {};
    for (const required of ['class', 'metric', 'target', 'min-scale', 'max-scale', 'scale-to-zero-pod-retention-period']) {
      if (annotations[`${autoscalingPrefix}${required}`] === undefined) {
        problems.push({ path: `${revisionMetadataPath}.annotations`, problem: `missing ${autoscalingPrefix}${required}` });
      }
    }
    // knative/serving's validateContainerPorts: one port across the pod's containers, named http1, h2c or not at all.
    const containers = (at(object, ['spec', 'template', 'spec'])?.containers ?? []) as { ports?: { name?: string }[] }[];
    const ports = containers.flatMap((container) => container.ports ?? []);
    if (ports.length > 1) problems.push({ path: 'spec.template.spec.containers', problem: `${ports.length} container ports: Knative allows one (the port queue-proxy forwards to)` });
    for (const port of ports) {
      if (port.name !== undefined && !['http1', 'h2c'].includes(port.name)) problems.push({ path: 'spec.template.spec.containers', problem: `port name ${port.name}: Knative allows http1, h2c or none` });
    }
    const min = Number(annotations[`${autoscalingPrefix}min-scale`]);
    const max = Number(annotations[`${autoscalingPrefix}max-scale`]);
    if (min > max) problems.push({ path: `${revisionMetadataPath}.annotations`, problem: `min-scale ${min} above max-scale ${max}` });
  }
  return problems;
}
