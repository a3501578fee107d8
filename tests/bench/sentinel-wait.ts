// What high availability costs: the same functions over a standalone Redis and over Sentinel (a
// master with two replicas, every script confirmed by a WAIT), in one run, rounds interleaved.
//   npx tsx tests/bench/sentinel-wait.ts                       3 rounds of 5 s per scenario and target
//   npx tsx tests/bench/sentinel-wait.ts --baseline main,abc1234  also Sentinel with the bundles of other commits
//   npx tsx tests/bench/sentinel-wait.ts --rounds 5 --seconds 8 --connections 50
//   npx tsx tests/bench/sentinel-wait.ts --client-only      only scripts straight from a client (client-wait.ts)
// Prints one table (Sentinel ÷ standalone: req/s, p99, CPU per request; scripts per WAIT) and writes
// the figures as JSON under .data/bench/. run.ts can call measureSentinelCost.
import { execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../support/redis-server.js';
import { startSentinelSet } from '../support/redis-topologies.js';
import { formatClientWaitCost, measureClientWaitCost, scriptsPerWait, type ClientWaitResult } from './client-wait.js';
import { load, median, startFunction, type LoadResult, type LoadScenario, type StartedFunction } from './function-load.js';

export interface SentinelCostOptions {
  rounds: number;
  seconds: number;
  connections: number;
  /** False: only the scripts straight from a client (client-wait.ts), no functions. */
  functions?: boolean;
  /** Git refs whose api-keys and data bundles also run over Sentinel (each built in a scratch copy), for a before/after in one run. */
  baselineRefs?: string[];
}

export interface TargetResult extends LoadResult {
  /** Scripts run per WAIT on the master meanwhile (Sentinel only; INFO commandstats). */
  scriptsPerWait?: number;
  /**
   * Median over the rounds of this target's figure ÷ standalone's in the same round (taken minutes
   * closer together than the medians of the whole run, so less moved by a machine whose load drifts).
   */
  paired?: { rps: number; p99: number; cpu: number };
}

export interface SentinelCost {
  /** Per scenario, per target ('standalone', 'sentinel', 'sentinel <ref>'): medians over the rounds. */
  functions: Record<string, Record<string, TargetResult>>;
  /** The Redis side alone (client-wait.ts), on the same servers. */
  client: Record<string, ClientWaitResult>;
}

interface Target {
  name: string;
  apiKeys: StartedFunction;
  data: StartedFunction;
  /** The master's direct connection, for its command statistics (Sentinel). */
  master?: Redis;
  seed: Seed;
}

interface Seed {
  jwt: string;
  apiKey: string;
}

const password = 'bench passphrase';
const baseEnv = {
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'production',
  JWT_SIGNING_KEYS: 'bench-1:bench-signing-secret-0123456789abcdef0123',
  API_KEY_PEPPER: 'bench-pepper-0123456789abcdef0123456789',
  LOG_LEVEL: 'warn',
};

/** Starts both topologies and their functions, seeds a tenant in each, and drives every scenario on every target. */
export async function measureSentinelCost(options: SentinelCostOptions): Promise<SentinelCost> {
  if (spawnSync(process.execPath, ['build.mjs', '--quiet', '--only', 'api-keys,data,token,admin'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  const baselines = (options.baselineRefs ?? []).map((ref) => ({ ref, dir: buildBaseline(ref) }));
  const workDir = mkdtempSync(join(tmpdir(), 'keyward-bench-sentinel-'));
  const standalone = await startRedisServer();
  const sentinel = await startSentinelSet();
  const started: StartedFunction[] = [];
  const targets: Target[] = [];
  try {
    const envOf = (redis: Record<string, string>, name: string) => ({ ...baseEnv, ...redis, KEYWARD_DATA_DIR: join(workDir, name), SECRETS_DIR: join(workDir, 'no-secrets') });
    const startTarget = async (name: string, env: Record<string, string>, dist: string, seed: Seed, master?: Redis) => {
      const apiKeys = await startFunction(join(dist, 'api-keys', 'index.js'), env);
      const data = await startFunction(join(dist, 'data', 'index.js'), env);
      started.push(apiKeys, data);
      targets.push({ name, apiKeys, data, seed, master });
    };
    const standaloneEnv = envOf({ REDIS_URL: standalone.url }, 'standalone');
    const sentinelEnv = envOf(sentinel.env, 'sentinel');
    const master = new Redis(sentinel.master.url);
    await startTarget('standalone', standaloneEnv, 'dist', await seedTenant(standaloneEnv));
    await startTarget('sentinel', sentinelEnv, 'dist', await seedTenant(sentinelEnv), master);
    for (const { ref, dir } of baselines) await startTarget(`sentinel ${ref.slice(0, 10)}`, sentinelEnv, join(dir, 'dist'), targets[1]?.seed ?? (await seedTenant(sentinelEnv)), master);

    const results = new Map<string, Map<string, TargetResult[]>>();
    for (let round = 1; round <= (options.functions === false ? 0 : options.rounds); round += 1) {
      for (const scenario of ['verify', 'data read', 'data write']) {
        // The order of the targets turns each round, so none always runs after the same one.
        const order = targets.map((_, i) => targets[(i + round) % targets.length]).filter((target): target is Target => target !== undefined);
        for (const target of order) {
          await target.master?.config('RESETSTAT');
          const { request, served } = scenarioOn(scenario, target);
          const result: TargetResult = await load(request, { seconds: options.seconds, connections: options.connections, served });
          if (target.master) result.scriptsPerWait = await scriptsPerWait(target.master);
          const byTarget = results.get(scenario) ?? new Map<string, TargetResult[]>();
          byTarget.set(target.name, [...(byTarget.get(target.name) ?? []), result]);
          results.set(scenario, byTarget);
          log(`round ${round}: ${scenario} on ${target.name}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, ${result.cpuUsecPerRequest.toFixed(0)} µs CPU/req${result.scriptsPerWait ? `, ${result.scriptsPerWait.toFixed(1)} scripts per WAIT` : ''}${result.failed ? `, ${result.failed} failed` : ''}`);
        }
      }
    }
    master.disconnect();
    for (const { child } of started) child.kill('SIGKILL');
    log('scripts straight from a client');
    const cost: SentinelCost = { functions: {}, client: await measureClientWaitCost(standalone.url, sentinel.master.url, { rounds: options.rounds, seconds: options.seconds, callers: options.connections }) };
    for (const [scenario, byTarget] of results) {
      const base = byTarget.get('standalone') ?? [];
      cost.functions[scenario] = Object.fromEntries([...byTarget].map(([name, list]) => [name, name === 'standalone' ? medianOf(list) : { ...medianOf(list), paired: pairedRatios(list, base) }]));
    }
    return cost;
  } finally {
    for (const { child } of started) child.kill('SIGKILL');
    await Promise.all([standalone.stop(), sentinel.stop()]);
    rmSync(workDir, { recursive: true, force: true });
    for (const { dir } of baselines) rmSync(dir, { recursive: true, force: true });
  }
}

function scenarioOn(scenario: string, target: Target): { request: LoadScenario; served: StartedFunction['child'] } {
  const headers = { authorization: `Bearer ${target.seed.jwt}`, 'content-type': 'application/json' };
  if (scenario === 'verify') {
    return { request: { name: scenario, url: `${target.apiKeys.url}/api-keys/verify`, method: 'POST', headers, body: JSON.stringify({ key: target.seed.apiKey }) }, served: target.apiKeys.child };
  }
  if (scenario === 'data read') return { request: { name: scenario, url: `${target.data.url}/data/bench-item`, headers }, served: target.data.child };
  return { request: { name: scenario, url: `${target.data.url}/data/bench-item`, method: 'PUT', headers, body: JSON.stringify({ value: { hello: 'world', n: 1 } }) }, served: target.data.child };
}

/** A tenant with an admin, an API key and a data item, made through the admin CLI and a token function started for it. */
async function seedTenant(env: Record<string, string>): Promise<Seed> {
  const username = 'bench-admin';
  const created = spawnSync(process.execPath, ['dist/admin/index.js', 'tenants', 'create', 'bench', '--admin', username, '--password', password], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`seeding failed: ${created.stderr}`);
  const token = await startFunction('dist/token/index.js', env);
  const apiKeys = await startFunction('dist/api-keys/index.js', env);
  const data = await startFunction('dist/data/index.js', env);
  try {
    const login = await fetch(`${token.url}/token`, { method: 'POST', body: new URLSearchParams({ username, password }) });
    const jwt = ((await login.json()) as { access_token: string }).access_token;
    const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
    const key = await fetch(`${apiKeys.url}/api-keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench', scopes: ['data:read', 'keys:verify'] }) });
    const apiKey = ((await key.json()) as { key_value: string }).key_value;
    const item = await fetch(`${data.url}/data`, { method: 'POST', headers, body: JSON.stringify({ key: 'bench-item', value: { hello: 'world', n: 0 } }) });
    if (item.status !== 201) throw new Error(`seeding the data item failed: ${item.status}`);
    return { jwt, apiKey };
  } finally {
    for (const started of [token, apiKeys, data]) started.child.kill('SIGKILL');
  }
}

/** The api-keys and data bundles of `ref`, built in a scratch copy of its tree (this checkout's node_modules). */
function buildBaseline(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-baseline-'));
  execSync(`git archive ${ref} | tar -x -C ${dir}`, { stdio: 'inherit' });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  const built = spawnSync(process.execPath, ['build.mjs', '--quiet', '--only', 'api-keys,data'], { cwd: dir, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`building ${ref} failed`);
  return dir;
}

function medianOf(list: TargetResult[]): TargetResult {
  const of = (pick: (result: TargetResult) => number) => median(list.map(pick));
  return {
    rps: of((r) => r.rps),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    failed: of((r) => r.failed),
    cpuUsecPerRequest: of((r) => r.cpuUsecPerRequest),
    ...(list.some((r) => r.scriptsPerWait !== undefined) ? { scriptsPerWait: of((r) => r.scriptsPerWait ?? 0) } : {}),
  };
}

function pairedRatios(list: TargetResult[], base: TargetResult[]): { rps: number; p99: number; cpu: number } {
  const ratio = (pick: (result: TargetResult) => number) => median(list.map((result, round) => pick(result) / (pick(base[round] ?? result) || 1)));
  return { rps: ratio((r) => r.rps), p99: ratio((r) => r.p99), cpu: ratio((r) => r.cpuUsecPerRequest) };
}

/** One table: each target's medians and, for Sentinel, its ratios to standalone (of the medians, and paired per round). */
export function formatSentinelCost(cost: SentinelCost): string {
  return `${formatFunctionCost(cost.functions)}\n\n${formatClientWaitCost(cost.client)}`;
}

function formatFunctionCost(cost: SentinelCost['functions']): string {
  const lines = [
    '| scenario | target | req/s | p50 ms | p99 ms | CPU µs/req | ÷ standalone req/s | ÷ standalone p99 | ÷ standalone CPU | paired per round: req/s, p99, CPU | scripts per WAIT |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [scenario, byTarget] of Object.entries(cost)) {
    const base = byTarget.standalone;
    for (const [name, result] of Object.entries(byTarget)) {
      const ratio = (a: number, b: number | undefined) => (b && name !== 'standalone' ? (a / b).toFixed(2) : '—');
      lines.push(
        `| ${scenario} | ${name} | ${result.rps.toFixed(0)} | ${result.p50} | ${result.p99} | ${result.cpuUsecPerRequest.toFixed(0)} | ${ratio(result.rps, base?.rps)} | ${ratio(result.p99, base?.p99)} | ${ratio(result.cpuUsecPerRequest, base?.cpuUsecPerRequest)} | ${result.paired ? `${result.paired.rps.toFixed(2)}, ${result.paired.p99.toFixed(2)}, ${result.paired.cpu.toFixed(2)}` : '—'} | ${result.scriptsPerWait ? result.scriptsPerWait.toFixed(1) : '—'} |`,
      );
    }
  }
  return lines.join('\n');
}

function log(text: string): void {
  console.log(`[bench sentinel] ${text}`);
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options: SentinelCostOptions = {
    rounds: Number(option('rounds') ?? 3),
    seconds: Number(option('seconds') ?? 5),
    connections: Number(option('connections') ?? 50),
    baselineRefs: option('baseline')?.split(','),
    functions: !process.argv.includes('--client-only'),
  };
  measureSentinelCost(options).then(
    (cost) => {
      console.log(`\n${formatSentinelCost(cost)}\n`);
      const out = join('.data', 'bench');
      mkdirSync(out, { recursive: true });
      const file = join(out, `sentinel-wait-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      writeFileSync(file, `${JSON.stringify({ options, cost }, null, 2)}\n`);
      log(`results written to ${file}`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
