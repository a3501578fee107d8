import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisProcess, startRedisServer, type RedisProcess } from './redis-server.js';

/** Settings a keyward process needs to reach a topology, as environment variables. */
export type RedisEnv = Record<string, string>;

export interface Topology {
  env: RedisEnv;
  /** A direct URL to the current master (standalone, Sentinel) or to one cluster node. */
  url: string;
  stop(): Promise<void>;
}

export async function startStandalone(): Promise<Topology> {
  const server = await startRedisServer();
  return { env: { REDIS_URL: server.url }, url: server.url, stop: () => server.stop() };
}

export interface SentinelSet extends Topology {
  master: RedisProcess;
  replicas: RedisProcess[];
  sentinelPorts: number[];
  /** Each Sentinel's log so far (for reports of a failover that did not happen). */
  sentinelLogs(): string[];
  /** The address Sentinel currently gives for the master. */
  currentMaster(): Promise<{ host: string; port: number }>;
}

export const masterName = 'mymaster';

/**
 * A real master with two replicas and three Sentinels (quorum 2, a master is down after 1 s),
 * each its own `redis-server` process on a free port.
 */
export async function startSentinelSet(): Promise<SentinelSet> {
  const master = await startRedisServer();
  const replicas = await Promise.all([0, 1].map(() => startRedisServer(['--replicaof', '127.0.0.1', String(master.port)])));
  await waitFor(async () => ((await info(master.port, 'replication')).match(/state=online/g) ?? []).length === 2, 'replicas online');
  const sentinels = await Promise.all([0, 1, 2].map(() => startSentinel(master.port)));
  const sentinelPorts = sentinels.map((sentinel) => sentinel.port);
  await waitFor(async () => {
    const counts = await Promise.all(sentinelPorts.map((port) => command(port, ['SENTINEL', 'REPLICAS', masterName]).then((reply) => (reply as unknown[]).length)));
    const peers = await Promise.all(sentinelPorts.map((port) => command(port, ['SENTINEL', 'SENTINELS', masterName]).then((reply) => (reply as unknown[]).length)));
    return counts.every((count) => count === 2) && peers.every((count) => count === 2);
  }, 'sentinels know the replicas and each other');
  const currentMaster = async () => {
    const [host = '', port = '0'] = (await command(sentinelPorts[0] ?? 0, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName])) as string[];
    return { host, port: Number(port) };
  };
  return {
    env: { REDIS_SENTINELS: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','), REDIS_MASTER_NAME: masterName },
    url: master.url,
    master,
    replicas,
    sentinelPorts,
    sentinelLogs: () => sentinels.map((sentinel) => readFileSync(join(sentinel.dir, 'sentinel.log'), 'utf8')),
    currentMaster,
    async stop() {
      await Promise.all([...sentinels, master, ...replicas].map((server) => server.stop().catch(() => undefined)));
    },
  };
}

async function startSentinel(masterPort: number): Promise<RedisProcess> {
  const port = await lowPort();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 3000`,
      `sentinel parallel-syncs ${masterName} 1`,
      '',
    ].join('\n'),
  );
  return startRedisProcess([conf, '--sentinel'], port, dir);
}

export interface ClusterSet extends Topology {
  nodes: RedisProcess[];
  ports: number[];
}

/** Six real cluster nodes: three masters, each with a replica. Ports stay at or below 55535 (bus = port + 10000). */
export async function startCluster(): Promise<ClusterSet> {
  const ports: number[] = [];
  while (ports.length < 6) {
    const port = await lowPort();
    if (!ports.includes(port)) ports.push(port);
  }
  const nodes = await Promise.all(
    ports.map((port) =>
      startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000'], { port }),
    ),
  );
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'], {
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  await waitFor(async () => {
    const states = await Promise.all(ports.map((port) => info(port, 'cluster').then(() => command(port, ['CLUSTER', 'INFO']))));
    return states.every((state) => String(state).includes('cluster_state:ok') && String(state).includes('cluster_slots_ok:16384'));
  }, 'cluster state ok');
  // CLUSTER SLOTS lists a replica only once it is synced and healthy: wait for all three.
  await waitFor(async () => {
    const ranges = (await command(ports[0] ?? 0, ['CLUSTER', 'SLOTS'])) as unknown[][];
    return ranges.length === 3 && ranges.every((range) => range.length === 4);
  }, 'replicas serving their slots', 30_000);
  return {
    env: { REDIS_CLUSTER_NODES: ports.map((port) => `127.0.0.1:${port}`).join(',') },
    url: nodes[0]?.url ?? '',
    nodes,
    ports,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)));
    },
  };
}

/** One command on a fresh direct connection. */
export async function command(port: number, args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [name = '', ...rest] = args;
    return await client.call(name, ...rest);
  } finally {
    client.disconnect();
  }
}

export async function info(port: number, section: string): Promise<string> {
  return String(await command(port, ['INFO', section]));
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A free port between 20000 and 45000 whose cluster bus port (+10000) is free too. */
export async function lowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if ((await canListen(port)) && (await canListen(port + 10_000))) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
