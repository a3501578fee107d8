// The database's ceiling (redis-benchmark) and the token function's health under bcrypt load.
import { spawnSync } from 'node:child_process';
import { autocannon } from './load.js';
import { benchPassword } from './seed.js';
import { quantile, round1 } from './stats.js';

export function runRedisBenchmark(port: number, connections: number, requests: number): Record<string, number> {
  const run = spawnSync('redis-benchmark', ['-p', String(port), '-c', String(connections), '-n', String(requests), '-t', 'get,set', '-q', '--csv'], { encoding: 'utf8' });
  const out: Record<string, number> = {};
  for (const line of run.stdout.split('\n').slice(1)) {
    const [name, rps] = line.split(',').map((cell) => cell.replace(/"/g, ''));
    if (name && rps) out[name] = Number(rps);
  }
  return out;
}

/** Health checks on the token function while logins hash: bcrypt must not stall the event loop. */
export async function healthLatencyDuringLogins(token: string, username: string, seconds: number): Promise<{ p50: number; p99: number; max: number }> {
  const logins = autocannon(
    { name: 'logins', url: `${token}/token`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${username}&password=${encodeURIComponent(benchPassword)}` },
    seconds,
    8,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const latencies: number[] = [];
  const until = performance.now() + (seconds - 1) * 1000;
  while (performance.now() < until) {
    const startedAt = performance.now();
    await fetch(`${token}/healthz`);
    latencies.push(performance.now() - startedAt);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await logins;
  return { p50: round1(quantile(latencies, 0.5)), p99: round1(quantile(latencies, 0.99)), max: round1(quantile(latencies, 1)) };
}
