// The Redis side of what a WAIT costs, without HTTP: scripts sent straight from one client by many
// concurrent callers, each resuming in a callback of its own as requests do, over a standalone Redis
// and over a master with replicas: through runScriptAndWait (group commit), and with one WAIT
// pipelined per script as before it.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { runScriptAndWait } from '../../shared/redis/run-script.js';
import type { LuaScript } from '../../shared/redis/scripts.js';
import { median } from './function-load.js';

export interface ClientWaitResult {
  opsPerSecond: number;
  p99: number;
  /** Node CPU per script, µs (the bench's own process: callers and client). */
  cpuUsec: number;
  scriptsPerWait?: number;
}

/** A write and an audit-like append, as an operation's script does. */
const source = "redis.call('SET', KEYS[1], ARGV[1]) redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', 'event', ARGV[1]) return ARGV[1]";
const script: LuaScript = { name: 'bench-write', source, sha: createHash('sha1').update(source).digest('hex'), durable: true };
const wait = { replicas: 1, timeoutMs: 1000 };

type Send = (client: Redis, key: string) => Promise<unknown>;

const variants: Record<string, { onMaster: boolean; send: Send }> = {
  standalone: { onMaster: false, send: (client, key) => runScriptAndWait(client, script, [key, `${key}:events`], ['v'], { replicas: 0, timeoutMs: 0 }) },
  'sentinel master, group commit': { onMaster: true, send: (client, key) => runScriptAndWait(client, script, [key, `${key}:events`], ['v'], wait) },
  'sentinel master, a WAIT per script': {
    onMaster: true,
    send: async (client, key) => {
      const results = await client.pipeline().evalsha(script.sha, 2, key, `${key}:events`, 'v').wait(wait.replicas, wait.timeoutMs).exec();
      if (Number(results?.[1]?.[1]) < wait.replicas) throw new Error('unconfirmed');
      return results?.[0]?.[1];
    },
  },
};

/** Medians over `rounds` interleaved rounds of `seconds` each, `callers` concurrent callers. */
export async function measureClientWaitCost(standaloneUrl: string, masterUrl: string, options: { rounds: number; seconds: number; callers: number }): Promise<Record<string, ClientWaitResult>> {
  const clientOptions = { enableAutoPipelining: true, autoResendUnfulfilledCommands: false, protocol: 2 as const };
  const master = new Redis(masterUrl);
  const clients = new Map<string, Redis>();
  for (const [name, variant] of Object.entries(variants)) {
    const client = new Redis(variant.onMaster ? masterUrl : standaloneUrl, clientOptions);
    await client.script('LOAD', source);
    clients.set(name, client);
  }
  const results = new Map<string, ClientWaitResult[]>();
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [name, variant] of Object.entries(variants)) {
        const client = clients.get(name);
        if (!client) continue;
        await master.config('RESETSTAT');
        const result = await drive(client, variant.send, options);
        if (variant.onMaster) result.scriptsPerWait = await scriptsPerWait(master);
        results.set(name, [...(results.get(name) ?? []), result]);
      }
    }
  } finally {
    for (const client of [...clients.values(), master]) client.disconnect();
  }
  return Object.fromEntries(
    [...results].map(([name, list]) => [
      name,
      {
        opsPerSecond: median(list.map((r) => r.opsPerSecond)),
        p99: median(list.map((r) => r.p99)),
        cpuUsec: median(list.map((r) => r.cpuUsec)),
        ...(list[0]?.scriptsPerWait !== undefined ? { scriptsPerWait: median(list.map((r) => r.scriptsPerWait ?? 0)) } : {}),
      },
    ]),
  );
}

async function drive(client: Redis, send: Send, options: { seconds: number; callers: number }): Promise<ClientWaitResult> {
  let stop = false;
  let done = 0;
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const caller = async (id: number) => {
    for (let i = 0; !stop; i += 1) {
      const started = performance.now();
      await send(client, `bench:wait:${id}:${i % 100}`);
      latencies.push(performance.now() - started);
      done += 1;
      // The next request arrives in a callback of its own, as a socket's would.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  const callers = Array.from({ length: options.callers }, (_, id) => caller(id));
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  stop = true;
  await Promise.all(callers);
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return { opsPerSecond: done / options.seconds, p99: Number((latencies[Math.floor(latencies.length * 0.99)] ?? 0).toFixed(2)), cpuUsec: (cpu.user + cpu.system) / Math.max(1, done) };
}

/** Scripts run per WAIT on `master` since its last CONFIG RESETSTAT (0 when no WAIT ran). */
export async function scriptsPerWait(master: Redis): Promise<number> {
  const stats = await master.info('commandstats');
  const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  const waits = calls('wait');
  return waits > 0 ? (calls('evalsha') + calls('eval')) / waits : 0;
}

/** One table, each variant beside standalone. */
export function formatClientWaitCost(cost: Record<string, ClientWaitResult>): string {
  const base = cost.standalone;
  const lines = ['| scripts from a client | ops/s | p99 ms | node CPU µs/script | ÷ standalone ops/s | ÷ standalone p99 | scripts per WAIT |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const [name, result] of Object.entries(cost)) {
    const ratio = (a: number, b: number | undefined) => (b && name !== 'standalone' ? (a / b).toFixed(2) : '—');
    lines.push(
      `| ${name} | ${result.opsPerSecond.toFixed(0)} | ${result.p99} | ${result.cpuUsec.toFixed(1)} | ${ratio(result.opsPerSecond, base?.opsPerSecond)} | ${ratio(result.p99, base?.p99)} | ${result.scriptsPerWait ? result.scriptsPerWait.toFixed(1) : '—'} |`,
    );
  }
  return lines.join('\n');
}
