import { Document, isMap, isScalar } from 'yaml';
import { functionNames, type FunctionName } from '../routes.js';
import { commonEnvironment, defaultImages, imageRepository, type ImageSettings } from './cluster.js';
import { communityEditionMaxReplicas, deployments, metricsPort, metricsPortAnnotation, templateName, type FunctionDeployment } from './functions.js';
import { generatedNotice, yamlOptions } from './yaml-text.js';

/** Community Edition honours only min and max; faas-netes CE refuses a deploy carrying the others. */
export const proOnlyScalingLabels = ['com.openfaas.scale.zero', 'com.openfaas.scale.zero-duration', 'com.openfaas.scale.type', 'com.openfaas.scale.target'] as const;
export const communityScalingLabels = ['com.openfaas.scale.min', 'com.openfaas.scale.max'] as const;

export type OpenFaasEdition = 'community' | 'pro';

/** Paths faas-cli copies into every function's build context (`configuration.copy`), beside the handler. */
export const buildContextPaths = ['./package.json', './package-lock.json', './build.mjs', './shared', './functions'] as const;

/** What the cron-connector reads from a function's annotations. */
export const cronTopic = 'cron-function';

/** The labels of one function for an edition: CE's min/max, plus Pro's scale-to-zero and target. */
export function scalingLabels(deployment: FunctionDeployment, edition: OpenFaasEdition): Record<string, string> {
  const { scaling } = deployment;
  // OpenFaaS keeps at least one replica; scale to zero is Pro's com.openfaas.scale.zero.
  const min = Math.max(1, scaling.minScale);
  if (edition === 'community') {
    return {
      'com.openfaas.scale.min': String(Math.min(min, communityEditionMaxReplicas)),
      'com.openfaas.scale.max': String(Math.min(scaling.maxScale, communityEditionMaxReplicas)),
    };
  }
  return {
    'com.openfaas.scale.min': String(min),
    'com.openfaas.scale.max': String(scaling.maxScale),
    'com.openfaas.scale.zero': String(scaling.minScale === 0),
    'com.openfaas.scale.zero-duration': scaling.zeroDuration,
    // Pro's "capacity" scales on requests in flight, Knative's "concurrency".
    'com.openfaas.scale.type': scaling.metric === 'concurrency' ? 'capacity' : 'rps',
    'com.openfaas.scale.target': String(scaling.target),
  };
}

/** The function's environment on OpenFaaS: the shared settings, its drain time, and of-watchdog's timeouts. */
export function openfaasEnvironment(deployment: FunctionDeployment): Record<string, string> {
  const { timeouts } = deployment;
  return {
    ...commonEnvironment('openfaas'),
    SHUTDOWN_GRACE_MS: String(timeouts.shutdownGraceMs),
    exec_timeout: `${timeouts.execS}s`,
    read_timeout: `${timeouts.readS}s`,
    write_timeout: `${timeouts.writeS}s`,
    healthcheck_interval: `${timeouts.healthcheckIntervalS}s`,
  };
}

function stackFunction(name: FunctionName, edition: OpenFaasEdition, images: ImageSettings | 'env'): Record<string, unknown> {
  const deployment = deployments[name];
  const image =
    images === 'env'
      ? `\${REGISTRY:-${defaultImages.registry}}/${imageRepository(name)}:\${TAG:-${defaultImages.tag}}`
      : `${images.registry}/${imageRepository(name)}:${images.tag}`;
  return {
    lang: templateName,
    handler: `./functions/${name}`,
    image,
    build_args: { FUNCTION: name },
    environment: openfaasEnvironment(deployment),
    secrets: [...deployment.secrets],
    labels: scalingLabels(deployment, edition),
    // faas-netes puts a function's annotations on its pods, where the scrape job reads the metrics port.
    annotations: { [metricsPortAnnotation]: String(metricsPort), ...(deployment.schedule ? { topic: cronTopic, schedule: deployment.schedule } : {}) },
    requests: { cpu: deployment.resources.cpuRequest, memory: deployment.resources.memoryRequest },
    limits: { memory: deployment.resources.memoryLimit },
    // faas-netes then mounts a writable /tmp (the watchdog's lock file and KEYWARD_DATA_DIR).
    readonly_root_filesystem: true,
  };
}

/** The text of stack.yml for an edition (the committed file is Community Edition's). */
export function renderStack(edition: OpenFaasEdition = 'community', images: ImageSettings | 'env' = 'env'): string {
  const doc = new Document({
    version: 1.0,
    provider: { name: 'openfaas', gateway: '${OPENFAAS_URL:-http://127.0.0.1:8080}' },
    configuration: { copy: [...buildContextPaths] },
    functions: Object.fromEntries(functionNames.map((name) => [name, stackFunction(name, edition, images)])),
  });

  // faas-cli's examples write `version: 1.0`; a plain 1 would read the same, but keep the familiar form.
  const version = doc.get('version', true);
  if (isScalar(version)) version.minFractionDigits = 1;

  for (const name of functionNames) {
    const labels = doc.getIn(['functions', name, 'labels'], true);
    if (!isMap(labels)) continue;
    if (edition === 'community') {
      const pro = scalingLabels(deployments[name], 'pro');
      const proOnly = Object.entries(pro).filter(([label]) => !(communityScalingLabels as readonly string[]).includes(label));
      const proMax = pro['com.openfaas.scale.max'];
      labels.comment = [
        ' OpenFaaS Pro only; Community Edition refuses to deploy a function that carries them:',
        ...proOnly.map(([label, value]) => ` ${label}: "${value}"`),
        ...(proMax !== scalingLabels(deployments[name], 'community')['com.openfaas.scale.max'] ? [` Pro may also raise com.openfaas.scale.max to "${proMax}".`] : []),
      ].join('\n');
    } else {
      labels.commentBefore = ' zero, zero-duration, type and target: OpenFaaS Pro only.';
    }
  }

  doc.commentBefore = [
    ...generatedNotice,
    '',
    'faas-cli up -f stack.yml   (builds with template/keyward-node20, pushes, deploys; README "Deploy to OpenFaaS")',
    'Images: ${REGISTRY}/keyward-<function>:${TAG}. Gateway: ${OPENFAAS_URL}.',
    '',
    'Scaling labels: Community Edition honours com.openfaas.scale.min and com.openfaas.scale.max (at most',
    `${communityEditionMaxReplicas}) and refuses com.openfaas.scale.zero=true, zero-duration, type and target, which are`,
    edition === 'community'
      ? 'OpenFaaS Pro only: they are written below as comments. `npm run deploy:generate -- --openfaas-edition pro` prints a Pro stack.'
      : 'OpenFaaS Pro only. This is the Pro stack; the committed stack.yml is Community Edition\'s.',
  ]
    .map((line) => (line ? ` ${line}` : ''))
    .join('\n');
  return doc.toString(yamlOptions);
}

