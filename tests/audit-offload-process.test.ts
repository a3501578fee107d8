import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { tenantKeys } from '../shared/redis/keys.js';
import { expectExactlyOnce, expectNoLeaks, writeEvents } from './support/audit-events.js';
import { prng, startLokiStandIn, type LokiStandIn } from './support/loki-stand-in.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

// The offload as deployed: dist/audit-offload/index.js in a child process of its own, on a private
// Redis (a run ships every tenant's events) and the Loki stand-in in this process.
const buildModule: string = new URL('../build.mjs', import.meta.url).href;

interface OffloadProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
  output: () => string;
}

let redis: RedisProcess;
let client: Redis;
let dataDir: string;

beforeAll(async () => {
  const { buildBundles } = (await import(buildModule)) as { buildBundles(names: string[], options: { quiet: boolean }): Promise<unknown> };
  await buildBundles(['audit-offload'], { quiet: true });
  redis = await startRedisServer();
  client = new Redis(redis.url, { protocol: 2 });
  dataDir = mkdtempSync(join(tmpdir(), 'keyward-offload-proc-'));
}, 120_000);

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function startOffload(loki: LokiStandIn, env: Record<string, string> = {}): Promise<OffloadProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/audit-offload/index.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      REDIS_URL: redis.url,
      LOKI_URL: loki.url,
      JWT_SIGNING_KEYS: 'proc-1:0123456789abcdef0123456789abcdef0123',
      API_KEY_PEPPER: 'pepper-0123456789abcdef0123456789abcdef',
      SECRETS_DIR: '/nonexistent',
      KEYWARD_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      // Runs are triggered back to back, and again right after a kill: no interval between them.
      AUDIT_MIN_RUN_INTERVAL_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`audit-offload exited: ${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return { child, port, exited, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  throw new Error(`audit-offload did not start: ${output}`);
}

/** One run, as the cron connector or a PingSource triggers it: POST /. */
async function trigger(offload: OffloadProcess): Promise<Record<string, any>> {
  const response = await fetch(`http://127.0.0.1:${offload.port}/`, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

/** Peak resident memory of a process so far (Linux: VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 'NaN');
  return kib / 1024;
}

describe('audit-offload killed with SIGKILL at random points, many times', () => {
  it('loses nothing and stores every event exactly once (after de-duplication) in its own org', { timeout: 90_000 }, async () => {
    const seed = Number(process.env.KILL_SEED ?? 20240611);
    const random = prng(seed);
    const loki = await startLokiStandIn({ seed });
    // Every push is stored, then answered 15 ms later (network and Loki's own latency): runs last long
    // enough for the kills to land in the middle of them, between a push and its acknowledgement too.
    loki.fault = { kind: 'slow', delayMs: 15 };
    try {
      const tenants = Array.from({ length: 8 }, (_, i) => `kill-${i}-${seed.toString(36)}`);
      const written = new Map<string, string[]>();
      for (const tenantId of tenants) written.set(tenantId, await writeEvents(client, tenantId, 4000, `kill-${tenantId}`));
      const env = { AUDIT_BATCH_MAX_EVENTS: '25', LOKI_TIMEOUT_MS: '150', AUDIT_RETRY_BASE_MS: '5', AUDIT_RETRY_MAX_MS: '20', AUDIT_LEASE_MS: '400', AUDIT_TENANT_CONCURRENCY: '3' };

      const kills = 25;
      let killedMidRun = 0;
      for (let cycle = 0; cycle < kills; cycle += 1) {
        const offload = await startOffload(loki, env);
        const run = fetch(`http://127.0.0.1:${offload.port}/`, { method: 'POST' }).then(
          () => 'answered',
          () => 'killed',
        );
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(random() * 400)));
        offload.child.kill('SIGKILL');
        await offload.exited;
        if ((await run) === 'killed') killedMidRun += 1;
        // Traffic goes on between the crashes.
        const tenantId = tenants[cycle % tenants.length] ?? '';
        written.get(tenantId)?.push(...(await writeEvents(client, tenantId, 40, `kill-late-${cycle}`)));
      }

      // The leases of the last killed run expire on their own; then runs go to completion.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const offload = await startOffload(loki, env);
      let report: Record<string, any> = {};
      for (let run = 0; run < 20; run += 1) {
        report = await trigger(offload);
        if (report.backlog === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      offload.child.kill('SIGTERM');
      await offload.exited;

      expect(report.backlog).toBe(0);
      let total = 0;
      for (const tenantId of tenants) {
        const lines = written.get(tenantId) ?? [];
        total += lines.length;
        expectExactlyOnce(loki, tenantId, lines);
        expect(await client.xlen(tenantKeys(tenantId).audit)).toBe(0);
        expect(await client.xlen(tenantKeys(tenantId).auditDead)).toBe(0);
      }
      expectNoLeaks(loki);
      const stored = loki.entries().length;
      console.log(
        `kill test (seed ${seed}): ${kills} SIGKILLs (${killedMidRun} before the run answered); events written ${total}, ` +
          `stored in Loki ${stored}, re-sends dropped by Loki as duplicates ${loki.stats.duplicates}, lost ${total - stored}`,
      );
      expect(killedMidRun).toBeGreaterThan((kills * 3) / 4);
    } finally {
      await loki.close();
    }
  });
});

describe('audit-offload throughput and memory (a measurement, not a pass/fail figure)', () => {
  it('ships 100k events of 10 tenants to the stand-in', { timeout: 120_000 }, async () => {
    const loki = await startLokiStandIn();
    try {
      const tenants = Array.from({ length: 10 }, (_, i) => `bench-${i}`);
      const written = new Map<string, string[]>();
      for (const tenantId of tenants) written.set(tenantId, await writeEvents(client, tenantId, 10_000, `bench-${tenantId}`));
      const offload = await startOffload(loki);
      const idleMiB = peakRssMiB(offload.child.pid ?? 0);
      const began = performance.now();
      const report = await trigger(offload);
      const seconds = (performance.now() - began) / 1000;
      const peakMiB = peakRssMiB(offload.child.pid ?? 0);
      offload.child.kill('SIGTERM');
      await offload.exited;

      expect(report.shipped).toBe(100_000);
      expect(report.backlog).toBe(0);
      expect(loki.stats.byStatus[429] ?? 0).toBe(0); // paced under the per-tenant ingestion limit
      for (const tenantId of tenants) expectExactlyOnce(loki, tenantId, written.get(tenantId) ?? []);
      const bytes = [...written.values()].flat().reduce((sum, line) => sum + Buffer.byteLength(line), 0);
      console.log(
        `offload throughput: 100000 events (${(bytes / 1e6).toFixed(1)} MB of lines) over 10 tenants in ${seconds.toFixed(2)} s ` +
          `= ${Math.round(100_000 / seconds)} events/s (run's own duration_ms ${report.duration_ms}); ` +
          `offload process peak RSS ${peakMiB.toFixed(0)} MiB (idle ${idleMiB.toFixed(0)} MiB); ${loki.stats.pushes} pushes`,
      );
    } finally {
      await loki.close();
    }
  });
});
