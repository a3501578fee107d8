// Load scenarios: each driven by autocannon in its own process over loopback, with the serving
// process's CPU time (/proc) and Redis's own time per script call (INFO commandstats) taken over it;
// rounds interleave the scenarios so that the machine's noise falls on all alike.
import { spawn } from 'node:child_process';
import type { Redis } from 'ioredis';
import { cpuSeconds, cpuUsecPerRequest } from './cpu.js';
import { median } from './stats.js';

export interface Scenario {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The login scenario uses fewer connections: each request is a bcrypt hash. */
  connections?: number;
  /** The process serving it, whose CPU time is read. */
  pid: number;
  /** A connection to the Redis it uses, for INFO commandstats; none for the ceilings, which touch no Redis. */
  redis?: Redis;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Requests answered over the scenario. */
  requests: number;
  errors: number;
  non2xx: number;
  /** The serving process's user + system CPU µs per request answered. */
  cpuUsec: number;
  /** Redis's own µs per script call (evalsha) over the scenario; 0 where no script ran. */
  redisUsec: number;
}

interface AutocannonReport {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** One scenario for `seconds` at `connections` (unless the scenario says otherwise). */
export async function runScenario(scenario: Scenario, seconds: number, connections: number): Promise<LoadResult> {
  await scenario.redis?.config('RESETSTAT');
  const cpuBefore = cpuSeconds(scenario.pid);
  const report = await autocannon(scenario, seconds, connections);
  const cpu = cpuSeconds(scenario.pid) - cpuBefore;
  const redisUsec = scenario.redis ? await evalshaUsec(scenario.redis) : 0;
  return {
    rps: report.requests.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    requests: report.requests.total,
    errors: report.errors,
    non2xx: report.non2xx,
    cpuUsec: cpuUsecPerRequest(cpu, report.requests.total),
    redisUsec,
  };
}

/** Every scenario once per round, `rounds` times; each scenario's median result. Scenarios compared with each other should be neighbours. */
export async function runRounds(
  scenarios: Scenario[],
  settings: { rounds: number; seconds: number; connections: number },
  log: (line: string) => void,
): Promise<Map<string, LoadResult>> {
  // A second of each first, discarded: the functions' code is compiled and their connections opened.
  for (const scenario of scenarios) await autocannon(scenario, 1, settings.connections);
  const results = new Map<string, LoadResult[]>();
  for (let round = 1; round <= settings.rounds; round += 1) {
    // Every other round runs backwards, so that a drift of the machine's load falls on both ends alike.
    for (const scenario of round % 2 === 1 ? scenarios : [...scenarios].reverse()) {
      const result = await runScenario(scenario, settings.seconds, settings.connections);
      results.set(scenario.name, [...(results.get(scenario.name) ?? []), result]);
      log(`round ${round}: ${scenario.name}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, CPU ${result.cpuUsec.toFixed(0)} µs/req, Redis ${result.redisUsec.toFixed(1)} µs/call`);
    }
  }
  return new Map([...results].map(([name, list]) => [name, medianResult(list)]));
}

export function medianResult(list: LoadResult[]): LoadResult {
  const of = (pick: (result: LoadResult) => number) => median(list.map(pick));
  return {
    rps: of((r) => r.rps),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    requests: of((r) => r.requests),
    errors: of((r) => r.errors),
    non2xx: of((r) => r.non2xx),
    cpuUsec: of((r) => r.cpuUsec),
    redisUsec: of((r) => r.redisUsec),
  };
}

/** Redis's own µs per EVALSHA since the last RESETSTAT (0 when none ran). */
export async function evalshaUsec(redis: Redis): Promise<number> {
  return usecPerCall(await redis.info('commandstats'), 'evalsha');
}

/** usec_per_call of one command in an INFO commandstats text; 0 when it did not run. */
export function usecPerCall(commandstats: string, command: string): number {
  const line = commandstats.split('\n').find((entry) => entry.startsWith(`cmdstat_${command}:`)) ?? '';
  return Number(/usec_per_call=([\d.]+)/.exec(line)?.[1] ?? 0);
}

/** autocannon in its own process; its JSON report. */
export function autocannon(scenario: Omit<Scenario, 'pid'>, seconds: number, connections: number): Promise<AutocannonReport> {
  const args = ['node_modules/autocannon/autocannon.js', '-j', '-c', String(scenario.connections ?? connections), '-d', String(seconds), '-m', scenario.method ?? 'GET'];
  for (const [name, value] of Object.entries(scenario.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (scenario.body) args.push('-b', scenario.body);
  args.push(scenario.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out) as AutocannonReport);
      } catch (error) {
        reject(new Error(`autocannon gave no report for ${scenario.name}: ${String(error)}`));
      }
    });
  });
}
