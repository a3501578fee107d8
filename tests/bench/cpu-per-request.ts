// The serving process's CPU per request (utime + stime from /proc/<pid>/stat, all its threads, GC
// included), for verify and the two data reads beside the bare express ceiling, rounds interleaved.
//   npx tsx tests/bench/cpu-per-request.ts                        3 rounds of 5 s, dist/ as built
//   npx tsx tests/bench/cpu-per-request.ts --rounds 5 --seconds 8
//   npx tsx tests/bench/cpu-per-request.ts --rate 1500              a fixed rate (req/s in all) for every scenario
//   npx tsx tests/bench/cpu-per-request.ts --variant base=/tmp/base/dist --variant new=dist
//       two builds side by side on one Redis, every scenario of each in every round (an A/B)
//   npx tsx tests/bench/cpu-per-request.ts --trace-gc             also heap bytes allocated per request
//       (from the GC's own trace), which a loaded machine does not blur as it does CPU time
//   npx tsx tests/bench/cpu-per-request.ts --cpu-prof .data/prof  also writes V8 CPU profiles of the
//       functions (after the rounds) and prints the self time of their hottest functions
// It neither builds nor rebuilds: run `node build.mjs --quiet --only token,data,api-keys,admin` first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/redis-topologies.js';

export interface CpuOptions {
  /** Builds to compare, by name: each a dist folder (with token, data, api-keys and admin built). */
  variants?: Record<string, string>;
  rounds?: number;
  seconds?: number;
  connections?: number;
  /**
   * Requests per second in all (autocannon -R); unset: as fast as it goes. A fixed rate keeps the
   * batching per event-loop turn the same for every scenario, so a loaded machine skews it less.
   */
  rate?: number;
  /**
   * When set, the functions run under `node --trace-gc` and each sample also gives the bytes the
   * JavaScript heap took per request (from the heap sizes the GC reports): unlike CPU time, a
   * machine busy with other work does not blur it.
   */
  traceGc?: boolean;
  /** When set, the functions run under `node --cpu-prof` and write their profiles here on exit. */
  profileDir?: string;
  log?: (line: string) => void;
}

export interface CpuSample {
  requests: number;
  /** The serving process's CPU (user + system) per request served, µs. */
  cpuUs: number;
  rps: number;
  /** Heap bytes allocated per request (with `traceGc`; 0 otherwise). */
  heapBytes: number;
  /** Answers that were not 2xx, or errors: a scenario that fails measures the wrong thing. */
  bad: number;
}

/** Scenario name → its samples, one per round. Names: `ceiling (bare express)`, then `<variant>: <scenario>`. */
export type CpuResults = Map<string, CpuSample[]>;

interface Target {
  name: string;
  pid: number;
  /** Heap MB allocated so far, as the GC trace tells (traceGc). */
  allocatedMb: () => number;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const password = 'bench passphrase';
const warmupSeconds = 2;

/** Runs the rounds and returns every sample; the caller prints or compares them. */
export async function measureCpuPerRequest(options: CpuOptions = {}): Promise<CpuResults> {
  const variants = options.variants ?? { current: 'dist' };
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 50;
  const log = options.log ?? (() => undefined);
  const workDir = mkdtempSync(join(tmpdir(), 'keyward-cpu-'));
  const redis = await startRedisServer();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    REDIS_URL: redis.url,
    JWT_SIGNING_KEYS: 'bench-1:bench-signing-secret-0123456789abcdef0123',
    API_KEY_PEPPER: 'bench-pepper-0123456789abcdef0123456789',
    LOG_LEVEL: 'warn',
    KEYWARD_DATA_DIR: workDir,
    SECRETS_DIR: join(workDir, 'no-secrets'),
  };
  const started: ChildProcess[] = [];
  const start = async (script: string, profile: string | undefined) => {
    const port = await freePort();
    const flags = [...(profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(profile)] : []), ...(options.traceGc ? ['--trace-gc'] : [])];
    const child = spawn(process.execPath, [...flags, script], { env: { ...env, PORT: String(port), METRICS_PORT: String(await freePort()) }, stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(child);
    const allocatedMb = heapAllocation(child);
    await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false), `${script} on ${port}`, 20_000);
    if (child.pid === undefined) throw new Error(`${script} did not start`);
    return { pid: child.pid, url: `http://127.0.0.1:${port}`, allocatedMb };
  };

  try {
    const ceiling = await start('tests/bench/ceiling-express.mjs', undefined);
    const targets: Target[] = [{ name: 'ceiling (bare express)', ...ceiling, url: `${ceiling.url}/` }];
    let seed: Seed | undefined;
    for (const [variant, dist] of Object.entries(variants)) {
      const profile = options.profileDir ? join(options.profileDir, variant) : undefined;
      if (profile) mkdirSync(profile, { recursive: true });
      const apiKeys = await start(join(dist, 'api-keys', 'index.js'), profile);
      const data = await start(join(dist, 'data', 'index.js'), profile);
      if (!seed) {
        const token = await start(join(dist, 'token', 'index.js'), undefined);
        seed = await seedTenant(env, join(dist, 'admin', 'index.js'), token.url, apiKeys.url, data.url);
      }
      const jwt = { authorization: `Bearer ${seed.token}`, 'content-type': 'application/json' };
      targets.push(
        { name: `${variant}: POST /api-keys/verify`, ...apiKeys, url: `${apiKeys.url}/api-keys/verify`, method: 'POST', headers: jwt, body: JSON.stringify({ key: seed.apiKey }) },
        { name: `${variant}: GET /data/{key} (JWT)`, ...data, url: `${data.url}/data/bench-item`, headers: { authorization: jwt.authorization } },
        { name: `${variant}: GET /data/{key} (API key)`, ...data, url: `${data.url}/data/bench-item`, headers: { 'x-api-key': seed.apiKey } },
      );
    }

    // JIT and caches warm before anything counts.
    for (const target of targets) await sampleCpu(target, warmupSeconds, connections, options.rate);
    const results: CpuResults = new Map();
    for (let round = 1; round <= rounds; round += 1) {
      for (const target of targets) {
        const sample = await sampleCpu(target, seconds, connections, options.rate);
        results.set(target.name, [...(results.get(target.name) ?? []), sample]);
        const heap = options.traceGc ? `, ${(sample.heapBytes / 1024).toFixed(1)} KiB heap/request` : '';
        log(`round ${round}: ${target.name}: ${sample.cpuUs.toFixed(0)} µs/request${heap}, ${sample.rps.toFixed(0)} req/s${sample.bad ? `, ${sample.bad} bad` : ''}`);
      }
    }
    return results;
  } finally {
    // SIGTERM: the functions drain and exit, which is when --cpu-prof writes its profiles.
    await Promise.all(started.map((child) => stop(child)));
    await redis.stop();
  }
}

/** The process's user + system CPU so far, µs. */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond;
}

async function sampleCpu(target: Target, seconds: number, connections: number, rate: number | undefined): Promise<CpuSample> {
  const args = ['node_modules/autocannon/autocannon.js', '-j', '-c', String(connections), '-d', String(seconds), '-m', target.method ?? 'GET'];
  if (rate) args.push('-R', String(rate));
  for (const [name, value] of Object.entries(target.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (target.body) args.push('-b', target.body);
  args.push(target.url);
  const before = processCpuUs(target.pid);
  const allocatedBefore = target.allocatedMb();
  const report = await new Promise<{ requests: { total: number; average: number }; errors: number; non2xx: number }>((resolveReport, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', () => {
      try {
        resolveReport(JSON.parse(out));
      } catch (error) {
        reject(new Error(`autocannon gave no report for ${target.name}: ${String(error)}`));
      }
    });
  });
  const used = processCpuUs(target.pid) - before;
  // The GC trace line of the last collection may still be on its way.
  await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  const allocated = (target.allocatedMb() - allocatedBefore) * 1024 * 1024;
  const requests = report.requests.total;
  return {
    requests,
    cpuUs: requests > 0 ? used / requests : 0,
    heapBytes: requests > 0 ? allocated / requests : 0,
    rps: report.requests.average,
    bad: report.errors + report.non2xx,
  };
}

/**
 * Heap MB a process has allocated, summed from its `--trace-gc` lines: what each collection found in
 * use before it ran, less what the one before left (`Scavenge 9.8 (12.3) -> 1.9 (13.3) MB, ...`).
 */
function heapAllocation(child: ChildProcess): () => number {
  let allocated = 0;
  let lastAfter: number | undefined;
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const sizes = /: (?:Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(/.exec(line);
      if (!sizes) continue;
      const before = Number(sizes[1]);
      if (lastAfter !== undefined && before >= lastAfter) allocated += before - lastAfter;
      lastAfter = Number(sizes[3]);
    }
  });
  return () => allocated;
}

interface Seed {
  token: string;
  apiKey: string;
}

/** A tenant, a user token, an API key that may read data and verify, and a data item (as run.ts seeds them). */
async function seedTenant(env: Record<string, string>, admin: string, token: string, apiKeys: string, data: string): Promise<Seed> {
  const username = 'bench-admin';
  const created = spawnSync(process.execPath, [admin, 'tenants', 'create', 'bench', '--admin', username, '--password', password], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`seeding failed: ${created.stderr}`);
  const login = await fetch(`${token}/token`, { method: 'POST', body: new URLSearchParams({ username, password }) });
  const jwt = ((await login.json()) as { access_token: string }).access_token;
  const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
  const key = await fetch(`${apiKeys}/api-keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench', scopes: ['data:read', 'keys:verify'] }) });
  const apiKey = ((await key.json()) as { key_value: string }).key_value;
  const item = await fetch(`${data}/data`, { method: 'POST', headers, body: JSON.stringify({ key: 'bench-item', value: { hello: 'world', n: 0 } }) });
  if (!item.ok) throw new Error(`seeding the data item failed: ${item.status}`);
  return { token: jwt, apiKey };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

/** The median of each scenario's samples, and its ratio to the ceiling's median. */
export function summarize(results: CpuResults): { name: string; cpuUs: number; ratio: number; heapBytes: number; rps: number; bad: number }[] {
  const ceiling = median((results.get('ceiling (bare express)') ?? []).map((sample) => sample.cpuUs));
  return [...results].map(([name, samples]) => {
    const cpuUs = median(samples.map((sample) => sample.cpuUs));
    return { name, cpuUs, ratio: ceiling > 0 ? cpuUs / ceiling : 0, heapBytes: median(samples.map((sample) => sample.heapBytes)), rps: median(samples.map((sample) => sample.rps)), bad: samples.reduce((sum, sample) => sum + sample.bad, 0) };
  });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The functions with the most self time in a V8 `.cpuprofile`, as shares of all samples. */
export function hottestFunctions(file: string, count = 25): { share: number; name: string }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    const where = frame.url ? `${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = [...self.values()].reduce((sum, n) => sum + n, 0);
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => ({ share: n / total, name }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? 0 : sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const variants: Record<string, string> = {};
  process.argv.forEach((arg, i) => {
    const value = process.argv[i + 1];
    if (arg !== '--variant' || !value) return;
    const [name, dist] = value.split('=');
    if (name && dist) variants[name] = dist;
  });
  const profileDir = option('--cpu-prof');
  const traceGc = process.argv.includes('--trace-gc');
  const results = await measureCpuPerRequest({
    traceGc,
    variants: Object.keys(variants).length > 0 ? variants : undefined,
    rounds: Number(option('--rounds') ?? 3),
    seconds: Number(option('--seconds') ?? 5),
    rate: option('--rate') === undefined ? undefined : Number(option('--rate')),
    profileDir,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  for (const row of summarize(results)) {
    const heap = traceGc ? `  ${(row.heapBytes / 1024).toFixed(2).padStart(6)} KiB heap/request` : '';
    console.log(`${row.name.padEnd(48)} ${row.cpuUs.toFixed(0).padStart(5)} µs/request  ${row.ratio.toFixed(2)}× ceiling${heap}  ${row.rps.toFixed(0).padStart(6)} req/s${row.bad ? `  ${row.bad} bad` : ''}`);
  }
  if (!profileDir) return;
  for (const variant of readdirSync(profileDir)) {
    for (const file of readdirSync(join(profileDir, variant)).filter((name) => name.endsWith('.cpuprofile'))) {
      console.log(`\n${variant}/${file}`);
      for (const hot of hottestFunctions(join(profileDir, variant, file))) console.log(`${(hot.share * 100).toFixed(1).padStart(5)} %  ${hot.name}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
