// Load for the benches: a function started from its bundle as deployed, driven by autocannon in a
// process of its own over loopback, and the serving process's CPU time meanwhile.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { waitFor } from '../support/redis-topologies.js';

export interface LoadScenario {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failed: number;
  /** The serving process's user + system CPU per request answered, µs (0 when no process was given). */
  cpuUsecPerRequest: number;
}

export interface StartedFunction {
  url: string;
  child: ChildProcess;
}

/** Starts `node <entry>` (a dist/<name>/index.js) on free ports and resolves once /healthz answers. */
export async function startFunction(entry: string, env: Record<string, string>): Promise<StartedFunction> {
  const port = await freePort();
  const child = spawn(process.execPath, [entry], { env: { ...env, PORT: String(port), METRICS_PORT: String(await freePort()) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${url}/healthz`).then((response) => response.ok, () => false), `${entry} on ${port}`, 20_000);
  return { url, child };
}

/** Drives `scenario` for `seconds` over `connections`; CPU per request is `served`'s, when given. */
export async function load(scenario: LoadScenario, options: { seconds: number; connections: number; served?: ChildProcess }): Promise<LoadResult> {
  const args = ['node_modules/autocannon/autocannon.js', '-j', '-c', String(options.connections), '-d', String(options.seconds), '-m', scenario.method ?? 'GET'];
  for (const [name, value] of Object.entries(scenario.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (scenario.body) args.push('-b', scenario.body);
  args.push(scenario.url);
  const pid = options.served?.pid;
  const cpuBefore = pid ? cpuTicks(pid) : 0;
  const report = await new Promise<AutocannonReport>((resolve, reject) => {
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
  const answered = report.requests.total - report.non2xx;
  const cpuUsec = pid ? ((cpuTicks(pid) - cpuBefore) * 1e6) / ticksPerSecond : 0;
  return {
    rps: report.requests.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    failed: report.errors + report.timeouts + report.non2xx,
    cpuUsecPerRequest: answered > 0 ? cpuUsec / answered : 0,
  };
}

interface AutocannonReport {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Linux's USER_HZ, what /proc/<pid>/stat counts CPU time in. */
const ticksPerSecond = 100;

/** utime + stime of a process so far (fields 14 and 15 of /proc/<pid>/stat, after the command's closing parenthesis). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
