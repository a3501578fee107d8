import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IEnvVar, IService, IProbe } from 'kubernetes-models/v1';
import { namespace, objectNames, redisTopology } from '../cluster.js';
import { partOf } from '../knative.js';

/** Redis 7.4 (Sentinel with hostnames needs 6.2+). The image runs as uid 999, group 1000. */
export const redisImage = 'redis:7.4.2-alpine';

const { masterName, quorum, port, sentinelPort, replicas, sentinels, statefulSet, sentinelStatefulSet } = redisTopology;
const domain = '${NAMESPACE}.svc.cluster.local';

/** Redis' base config; the init script adds the password and the replica role. */
export const redisConf = `# keyward's Redis: one master and ${replicas - 1} replicas, persistent (AOF), failover by Sentinel.
bind * -::*
port ${port}
dir /data
appendonly yes
appendfsync everysec
replica-read-only yes
repl-diskless-sync yes
`;

/**
 * Writes this pod's redis.conf: the base, the password, and `replicaof` the current master as the
 * Sentinels know it (after a failover that is not pod 0); on a first start with no Sentinel, pod 0.
 */
export const redisInitScript = `#!/bin/sh
set -eu
self="\${HOSTNAME}.${statefulSet}.${domain}"
conf=/etc/redis/redis.conf
cp /config/redis.conf "$conf"
{
  echo "requirepass \${REDIS_PASSWORD}"
  echo "masterauth \${REDIS_PASSWORD}"
  # Sentinel and clients see this pod by its stable DNS name, not its (changing) pod IP.
  echo "replica-announce-ip \${self}"
  echo "replica-announce-port ${port}"
} >> "$conf"

master=""
i=0
while [ "$i" -lt ${sentinels} ]; do
  sentinel="${sentinelStatefulSet}-\${i}.${sentinelStatefulSet}.${domain}"
  i=$((i + 1))
  reply="$(REDISCLI_AUTH="\${SENTINEL_PASSWORD}" timeout 3 redis-cli -h "$sentinel" -p ${sentinelPort} sentinel get-master-addr-by-name ${masterName} 2>/dev/null | head -n 1)" || reply=""
  case "$reply" in
    "" | *" "*) ;;
    *) master="$reply"; break ;;
  esac
done
if [ -z "$master" ]; then
  master="${statefulSet}-0.${statefulSet}.${domain}"
fi
if [ "$master" = "$self" ]; then
  echo "starting as the master"
else
  echo "starting as a replica of \${master}"
  echo "replicaof \${master} ${port}" >> "$conf"
fi
`;

/**
 * Writes this Sentinel's config: monitor the master the other Sentinels know (else pod 0), once it
 * answers, with both passwords, announcing this pod's stable DNS name.
 */
export const sentinelInitScript = `#!/bin/sh
set -eu
self="\${HOSTNAME}.${sentinelStatefulSet}.${domain}"
master=""
i=0
while [ "$i" -lt ${sentinels} ]; do
  peer="${sentinelStatefulSet}-\${i}.${sentinelStatefulSet}.${domain}"
  i=$((i + 1))
  [ "$peer" = "$self" ] && continue
  reply="$(REDISCLI_AUTH="\${SENTINEL_PASSWORD}" timeout 3 redis-cli -h "$peer" -p ${sentinelPort} sentinel get-master-addr-by-name ${masterName} 2>/dev/null | head -n 1)" || reply=""
  case "$reply" in
    "" | *" "*) ;;
    *) master="$reply"; break ;;
  esac
done
if [ -z "$master" ]; then
  master="${statefulSet}-0.${statefulSet}.${domain}"
fi
echo "waiting for the master \${master}"
until [ "$(REDISCLI_AUTH="\${REDIS_PASSWORD}" timeout 3 redis-cli -h "$master" -p ${port} ping 2>/dev/null)" = "PONG" ]; do
  sleep 2
done
cat > /etc/sentinel/sentinel.conf <<EOF
port ${sentinelPort}
dir /tmp
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip \${self}
sentinel announce-port ${sentinelPort}
requirepass \${SENTINEL_PASSWORD}
sentinel sentinel-pass \${SENTINEL_PASSWORD}
sentinel monitor ${masterName} \${master} ${port} ${quorum}
sentinel auth-pass ${masterName} \${REDIS_PASSWORD}
sentinel down-after-milliseconds ${masterName} 5000
sentinel failover-timeout ${masterName} 60000
sentinel parallel-syncs ${masterName} 1
EOF
`;

const secretEnv = (name: string, key: string): IEnvVar => ({ name, valueFrom: { secretKeyRef: { name: objectNames.functionSecrets, key } } });
const passwordEnv: IEnvVar[] = [
  { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  secretEnv('REDIS_PASSWORD', 'redis-password'),
  secretEnv('SENTINEL_PASSWORD', 'redis-sentinel-password'),
];

function pingProbe(passwordVariable: string, probePort: number, periodSeconds: number): IProbe {
  return {
    exec: { command: ['sh', '-c', `REDISCLI_AUTH="$${passwordVariable}" redis-cli -h 127.0.0.1 -p ${probePort} ping | grep -q PONG`] },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold: 3,
  };
}

const podSecurity = { runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000, fsGroup: 1000 };
const containerSecurity = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

function labels(name: string) {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'database', ...partOf };
}

export function redisConfigMap(): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'redis-config', namespace, labels: labels(statefulSet) },
    data: { 'redis.conf': redisConf, 'redis-init.sh': redisInitScript, 'sentinel-init.sh': sentinelInitScript },
  };
}

/** Headless: each pod gets a stable DNS name, published before it is ready so bootstrapping pods find each other. */
export function headlessService(name: string, servicePort: number, portName: string): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: labels(name) },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { 'app.kubernetes.io/name': name },
      ports: [{ name: portName, port: servicePort, targetPort: portName }],
    },
  };
}

export function redisStatefulSet(): IStatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: statefulSet, namespace, labels: labels(statefulSet) },
    spec: {
      serviceName: statefulSet,
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': statefulSet } },
      template: {
        metadata: { labels: labels(statefulSet) },
        spec: {
          securityContext: podSecurity,
          terminationGracePeriodSeconds: 30,
          initContainers: [configInitContainer('redis-init.sh', '/etc/redis')],
          containers: [
            {
              name: 'redis',
              image: redisImage,
              command: ['redis-server', '/etc/redis/redis.conf'],
              ports: [{ name: 'redis', containerPort: port }],
              env: [secretEnv('REDIS_PASSWORD', 'redis-password')],
              readinessProbe: pingProbe('REDIS_PASSWORD', port, 5),
              livenessProbe: { ...pingProbe('REDIS_PASSWORD', port, 15), initialDelaySeconds: 15 },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'data', mountPath: '/data' },
                { name: 'runtime', mountPath: '/etc/redis' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'redis-config' } },
            { name: 'runtime', emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: labels(statefulSet) },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
        },
      ],
    },
  };
}

/** The init container that writes a server's (or Sentinel's) config from the ConfigMap's script into a writable volume. */
function configInitContainer(script: string, runtimeDir: string) {
  return {
    name: 'config',
    image: redisImage,
    command: ['sh', `/config/${script}`],
    env: passwordEnv,
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'config', mountPath: '/config' },
      { name: 'runtime', mountPath: runtimeDir },
    ],
  };
}

/** Sentinels keep no state worth a volume: on restart the init script asks the others for the master. */
export function sentinelStatefulSetObject(): IStatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: sentinelStatefulSet, namespace, labels: labels(sentinelStatefulSet) },
    spec: {
      serviceName: sentinelStatefulSet,
      replicas: sentinels,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { 'app.kubernetes.io/name': sentinelStatefulSet } },
      template: {
        metadata: { labels: labels(sentinelStatefulSet) },
        spec: {
          securityContext: podSecurity,
          initContainers: [configInitContainer('sentinel-init.sh', '/etc/sentinel')],
          containers: [
            {
              name: 'sentinel',
              image: redisImage,
              // Sentinel rewrites its config file as it learns the topology: it lives on a writable emptyDir.
              command: ['redis-sentinel', '/etc/sentinel/sentinel.conf'],
              ports: [{ name: 'sentinel', containerPort: sentinelPort }],
              env: [secretEnv('SENTINEL_PASSWORD', 'redis-sentinel-password')],
              readinessProbe: pingProbe('SENTINEL_PASSWORD', sentinelPort, 5),
              livenessProbe: { ...pingProbe('SENTINEL_PASSWORD', sentinelPort, 15), initialDelaySeconds: 15 },
              resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '64Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'runtime', mountPath: '/etc/sentinel' }],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'redis-config' } },
            { name: 'runtime', emptyDir: {} },
          ],
        },
      },
    },
  };
}

export function redisObjects(): object[] {
  return [
    redisConfigMap(),
    headlessService(statefulSet, port, 'redis'),
    headlessService(sentinelStatefulSet, sentinelPort, 'sentinel'),
    redisStatefulSet(),
    sentinelStatefulSetObject(),
  ];
}
