import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster, startSentinelSet, startStandalone, type RedisEnv, type Topology } from './redis-topologies.js';

let topology: Topology | undefined;
let consoleDir: string | undefined;

const buildModule = new URL('../../build.mjs', import.meta.url).href;

/**
 * One real Redis topology per test project, named after the mode it runs in: standalone, sentinel
 * (master, two replicas, three Sentinels) or cluster (three masters, three replicas). Every test
 * works in tenants of its own.
 */
export async function setup(project: TestProject): Promise<void> {
  const mode = project.name || 'standalone';
  topology = mode === 'sentinel' ? await startSentinelSet() : mode === 'cluster' ? await startCluster() : await startStandalone();
  project.provide('redisEnv', topology.env);
  project.provide('redisUrl', topology.url);
  project.provide('redisMode', mode);
  // The web console, built once per run as build.mjs builds it, served by every test app (KEYWARD_CONSOLE_DIR).
  consoleDir = mkdtempSync(join(tmpdir(), 'keyward-console-'));
  const { buildConsoleApp } = (await import(buildModule)) as { buildConsoleApp: (dir: string) => Promise<unknown> };
  await buildConsoleApp(consoleDir);
  project.provide('consoleDir', consoleDir);
}

export async function teardown(): Promise<void> {
  await topology?.stop();
  if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The environment that points keyward at the run's Redis (REDIS_URL, or REDIS_SENTINELS, or REDIS_CLUSTER_NODES). */
    redisEnv: RedisEnv;
    /** A direct URL to the master (or one cluster node), for tests that talk to a server itself. */
    redisUrl: string;
    redisMode: string;
    /** The web console built for this run (build.mjs buildConsoleApp). */
    consoleDir: string;
  }
}
