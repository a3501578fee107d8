// `npm run bench` (run.ts loads this once .lua files can be imported): every figure issue 15 asks
// for, each beside its baseline measured in the same run, and the targets table. See options.ts
// for what a full and a quick run do, README's Performance section for what is reported.
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedisServer } from '../support/redis-server.js';
import { bulkSeed } from './bulk-seed.js';
import { healthLatencyDuringLogins, runRedisBenchmark } from './ceilings.js';
import { buildBareExpressBundle, bundleSizes, measureColdStarts } from './cold-start.js';
import { runRounds, type LoadResult, type Scenario } from './load.js';
import { measureMemory } from './memory.js';
import { measureModelCosts } from './model-costs.js';
import { measureOffloadScale } from './offload-scale.js';
import { measureOffloadThroughput } from './offload-throughput.js';
import { log, options } from './options.js';
import { functionEnv, ProcessGroup } from './processes.js';
import { profileScripts, type ProfiledTenant } from './redis-profile.js';
import { formatReport, machine, writeResults, type BenchResults } from './report.js';
import { benchPassword, jwtHeaders, seedMeteredKey, seedTenant, type SeededTenant } from './seed.js';
import { sentinelSuffix, startSentinelStand, type SentinelStand } from './sentinel.js';
import { issue15Targets, type TargetFigures } from './targets.js';

/** The load scenarios the targets read, by role. */
const names = {
  express: 'bare express (ceiling)',
  verify: 'POST /api-keys/verify',
  readJwt: 'GET /data/{key} (JWT)',
  readApiKey: 'GET /data/{key} (API key)',
} as const;

export async function main(): Promise<void> {
  const began = performance.now();
  log(`building bundles (${options.quick ? 'quick' : 'full'} run: ${options.rounds} round(s) of ${options.seconds} s at ${options.connections} connections)`);
  if (spawnSync(process.execPath, ['build.mjs', '--quiet'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  await buildBareExpressBundle();

  const redis = await startRedisServer();
  const env = functionEnv({ REDIS_URL: redis.url });
  const processes = new ProcessGroup();
  const stats = new Redis(redis.url);
  let sentinel: SentinelStand | undefined;
  try {
    const http = await processes.start('tests/bench/ceiling-http.mjs', env);
    const express = await processes.start('tests/bench/ceiling-express.mjs', env);
    const token = await processes.start('dist/token/index.js', env);
    const data = await processes.start('dist/data/index.js', env);
    const apiKeys = await processes.start('dist/api-keys/index.js', env);
    const urls = { token: token.url, apiKeys: apiKeys.url, data: data.url };

    const seed = await seedTenant(env, urls, 'bench');
    const meteredKey = await seedMeteredKey(apiKeys.url, seed.token);
    log('starting Redis under Sentinel (a master, two replicas, three Sentinels) and its functions');
    sentinel = await startSentinelStand();

    const jwt = jwtHeaders(seed.token);
    // Each Sentinel scenario right after its standalone twin: the figures compared are neighbours in every round.
    const scenarios: Scenario[] = [
      { name: 'bare node:http (ceiling)', url: `${http.url}/`, pid: http.pid },
      { name: names.express, url: `${express.url}/`, pid: express.pid },
      { name: names.verify, url: `${apiKeys.url}/api-keys/verify`, method: 'POST', headers: jwt, body: JSON.stringify({ key: seed.apiKey }), pid: apiKeys.pid, redis: stats },
      sentinel.scenarios.verify,
      { name: names.readJwt, url: `${data.url}/data/${seed.itemKey}`, headers: jwt, pid: data.pid, redis: stats },
      sentinel.scenarios.readJwt,
      { name: names.readApiKey, url: `${data.url}/data/${seed.itemKey}`, headers: { 'x-api-key': seed.apiKey }, pid: data.pid, redis: stats },
      sentinel.scenarios.readApiKey,
      { name: 'POST /api-keys/verify (identity, 2 limits, cost 3)', url: `${apiKeys.url}/api-keys/verify`, method: 'POST', headers: jwt, body: JSON.stringify({ key: meteredKey, cost: 3 }), pid: apiKeys.pid, redis: stats },
      { name: 'PUT /data/{key}', url: `${data.url}/data/${seed.itemKey}`, method: 'PUT', headers: jwt, body: JSON.stringify({ value: { hello: 'world', n: 1 } }), pid: data.pid, redis: stats },
      {
        name: 'POST /token (bcrypt 12, 4 connections)',
        url: `${token.url}/token`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=${seed.username}&password=${encodeURIComponent(benchPassword)}`,
        connections: 4,
        pid: token.pid,
        redis: stats,
      },
    ];
    const load = await runRounds(scenarios, options, log);
    await sentinel.stop();
    sentinel = undefined;

    // Seeded after the load, so that standalone's Redis is as small as Sentinel's while they are compared.
    log(`seeding a tenant of ${options.growthSize.toLocaleString('en')} keys and items (growth figures)`);
    const one = await seedTenant(env, urls, 'bench-one');
    const many = await seedTenant(env, urls, 'bench-many', () => bulkSeed(stats, 'bench-many', options.growthSize - 1));
    log(`replaying the scripts' captured calls (${options.replayRounds} rounds)`);
    const profiled = (tenant: SeededTenant, size: number): ProfiledTenant => ({ ...tenant, size, trigger: () => triggerCalls(urls, tenant) });
    const profile = await profileScripts(redis.url, env.API_KEY_PEPPER ?? '', profiled(one, 1), profiled(many, options.growthSize), options.replayRounds);
    log('measuring memory at rest and model costs');
    const memory = await measureMemory({ records: options.memoryRecords, tenants: options.memoryTenants });
    const modelCosts = await measureModelCosts(apiKeys.url, jwt, redis.url, 'bench');
    const healthDuringLogins = await healthLatencyDuringLogins(token.url, seed.username, options.seconds);
    const redisBenchmark = runRedisBenchmark(redis.port, options.connections, options.quick ? 50_000 : 100_000);
    processes.stopAll();

    const bundles = bundleSizes();
    const coldStarts = await measureColdStarts(env, options.coldStartRuns, log);
    const offload = await measureOffloadThroughput(options.offloadEvents, log);
    // Another helper's version of this figure replaces offload-scale.ts: a failure here leaves the rest of the run standing.
    const offloadScale = await measureOffloadScale({ quick: options.quick, log }).catch((error: unknown) => {
      log(`offload scale failed: ${String(error)}`);
      return null;
    });

    const targets = issue15Targets(targetFigures(load, profile.figures, memory.bytesPerKey, offloadScale, coldStarts));
    const results: BenchResults = {
      machine: machine(),
      options,
      load: Object.fromEntries(load),
      healthDuringLogins,
      redisBenchmark,
      profile,
      memory,
      modelCosts,
      bundles,
      coldStarts,
      offload,
      offloadScale,
      targets,
    };
    console.log(`\n${formatReport(results)}\n`);
    log(`results written to ${writeResults(results)} (${((performance.now() - began) / 60_000).toFixed(1)} min)`);
  } finally {
    processes.stopAll();
    stats.disconnect();
    await sentinel?.stop();
    await redis.stop();
  }
}

/** One verification (JWT), one data read with the JWT, one with the key: the calls the profile replays. */
async function triggerCalls(urls: { apiKeys: string; data: string }, tenant: SeededTenant): Promise<void> {
  const answers = [
    await fetch(`${urls.apiKeys}/api-keys/verify`, { method: 'POST', headers: jwtHeaders(tenant.token), body: JSON.stringify({ key: tenant.apiKey }) }),
    await fetch(`${urls.data}/data/${tenant.itemKey}`, { headers: jwtHeaders(tenant.token) }),
    await fetch(`${urls.data}/data/${tenant.itemKey}`, { headers: { 'x-api-key': tenant.apiKey } }),
  ];
  const failed = answers.find((answer) => !answer.ok);
  if (failed) throw new Error(`profile trigger: ${failed.url} answered ${failed.status}`);
}

function targetFigures(load: Map<string, LoadResult>, redis: TargetFigures['redis'], bytesPerKey: number, offload: TargetFigures['offload'], coldStarts: Record<string, number>): TargetFigures {
  const pick = (name: string) => load.get(name);
  return {
    load: {
      express: pick(names.express),
      verify: pick(names.verify),
      readJwt: pick(names.readJwt),
      readApiKey: pick(names.readApiKey),
      verifySentinel: pick(`${names.verify}${sentinelSuffix}`),
      readJwtSentinel: pick(`${names.readJwt}${sentinelSuffix}`),
      readApiKeySentinel: pick(`${names.readApiKey}${sentinelSuffix}`),
    },
    redis,
    growthSize: options.growthSize,
    offload,
    bytesPerKey,
    coldStarts,
  };
}
