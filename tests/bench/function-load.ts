// Load for the benches: a function started from its bundle as deployed, driven by autocannon in a
// process of its own over loopback, and the serving process's CPU time meanwhile.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { waitFor } from '../support/redis-topologies.js';
import { cpuSeconds, cpuUsecPerRequest } from './cpu.js';
import { autocannon } from './load.js';

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
  const pid = options.served?.pid;
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const report = await autocannon(scenario, options.seconds, options.connections);
  const answered = report.requests.total - report.non2xx;
  return {
    rps: report.requests.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    failed: report.errors + report.timeouts + report.non2xx,
    cpuUsecPerRequest: pid ? cpuUsecPerRequest(cpuSeconds(pid) - cpuBefore, answered) : 0,
  };
}

export { median } from './stats.js';
