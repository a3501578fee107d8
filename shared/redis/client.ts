import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/config.js';
import type { Logger } from '../logging/logger.js';

/** The one Redis client of a process; nothing outside this module knows which mode it is in. */
export type RedisClient = Redis | Cluster;

interface ReplicaWatch {
  /** Replicas a write waits for now (0 when waiting is off). */
  count(): number;
  /** Replicas in sync with the master, as last seen (keyward_redis_replicas). */
  inSync(): number;
  /** False when REDIS_WAIT_REPLICAS is 0: writes never wait, the count is only reported. */
  waits: boolean;
  /** Settles once the first count after connecting is known. */
  first: Promise<void>;
  known: boolean;
}

const replicaWatch = new WeakMap<RedisClient, ReplicaWatch>();
const replicaRefreshMs = 10_000;

/**
 * Builds the process's Redis client: standalone (`REDIS_URL`, TLS with `rediss://`), Sentinel
 * (follows the master through failovers) or Cluster (MOVED/ASK handled by the client).
 *
 * During a failover commands wait in the offline queue at most `commandTimeoutMs`, then fail
 * (the request answers 503). Commands in flight when a connection drops are not silently
 * re-sent: their outcome is unknown, and the caller retries them idempotently (runScriptWithRetries in run-script.ts).
 * A READONLY reply (a demoted master) reconnects and re-sends: the write was refused, so that is safe.
 */
export function createRedisClient(settings: RedisSettings, logger: Logger): RedisClient {
  const common: RedisOptions = {
    username: settings.username,
    password: settings.password,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 3,
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: Math.max(1000, settings.commandTimeoutMs),
    autoResendUnfulfilledCommands: false,
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
    connectionName: 'keyward',
    // RESP2: Lua `false` arrives as null, and replies have one shape whatever the server speaks.
    protocol: 2,
  };
  let client: RedisClient;
  if (settings.mode === 'cluster') {
    const { retryStrategy: _perNode, ...perNode } = common;
    client = new Cluster(settings.clusterNodes as ClusterNode[], {
      redisOptions: { ...perNode, ...(settings.tls ? { tls: {} } : {}) },
      enableAutoPipelining: true,
      scaleReads: 'master',
      maxRedirections: 16,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    });
  } else if (settings.mode === 'sentinel') {
    client = new Redis({
      ...common,
      sentinels: settings.sentinels,
      name: settings.masterName,
      role: 'master',
      sentinelPassword: settings.sentinelPassword,
      failoverDetector: true,
      sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 1000),
      ...(settings.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    });
  } else {
    client = new Redis(settings.url ?? 'redis://127.0.0.1:6379', common);
  }
  client.on('error', (error: Error) => logger.warn({ error: { message: error.message } }, 'redis connection error'));
  watchReplicas(client, settings, logger);
  return client;
}

/**
 * How many replicas a write should WAIT for now: 0 when waiting is off or the master has none.
 * Until the first count after connecting is known (at most `boundMs`), it waits for it, so a
 * write right after a cold start does not skip the WAIT.
 */
export async function replicasToWait(client: RedisClient, boundMs: number): Promise<number> {
  const watch = replicaWatch.get(client);
  if (!watch?.waits) return 0;
  if (!watch.known) await Promise.race([watch.first, new Promise((resolve) => setTimeout(resolve, boundMs).unref())]);
  return watch.count();
}

/** Resolves once the client is connected and knows its replicas (or rejects after `timeoutMs`). */
export async function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  await connected(client, timeoutMs);
  const watch = replicaWatch.get(client);
  if (watch?.waits) await watch.first;
}

function connected(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** Replicas in sync with the master, as the process last saw them (0 before it knows). */
export function replicasInSync(client: RedisClient): number {
  return replicaWatch.get(client)?.inSync() ?? 0;
}

/** Watched even when writes do not wait (REDIS_WAIT_REPLICAS=0), so the metric is still reported; INFO every 10 s is cheap. */
function watchReplicas(client: RedisClient, settings: RedisSettings, logger: Logger): void {
  const waits = settings.waitReplicas > 0;
  if (client instanceof Cluster) {
    // The slot table lists each slot's master, then its replicas (known even though reads never go to them).
    const hasReplicas = () => client.slots.some((owners) => owners.length > 1);
    const fewest = () => client.slots.reduce((least, owners) => (owners.length > 0 ? Math.min(least, owners.length - 1) : least), Infinity);
    replicaWatch.set(client, {
      count: () => (hasReplicas() ? settings.waitReplicas : 0),
      inSync: () => {
        const least = fewest();
        return Number.isFinite(least) ? least : 0;
      },
      waits,
      first: Promise.resolve(),
      known: true,
    });
    return;
  }
  let replicas = 0;
  let markFirst: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (markFirst = resolve));
  const watch: ReplicaWatch = { count: () => Math.min(replicas, settings.waitReplicas), inSync: () => replicas, waits, first, known: false };
  const refresh = () => {
    if (client.status !== 'ready') return;
    client.info('replication').then(
      (info) => {
        // Only replicas in sync: one doing a full resync cannot confirm a write until it is done.
        replicas = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
        watch.known = true;
        markFirst();
      },
      (error: Error) => logger.debug({ error: { message: error.message } }, 'replica count not refreshed'),
    );
  };
  client.on('ready', refresh);
  const timer = setInterval(refresh, replicaRefreshMs).unref();
  client.once('end', () => clearInterval(timer));
  replicaWatch.set(client, watch);
}
