// The bench's printed report (Markdown tables) and its JSON under .data/bench/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { bareExpress } from './cold-start.js';
import type { LoadResult } from './load.js';
import type { MemoryCosts } from './memory.js';
import type { ModelCosts } from './model-costs.js';
import type { OffloadScale } from './offload-scale.js';
import type { OffloadThroughput } from './offload-throughput.js';
import { functionNames, type BenchOptions } from './options.js';
import { formatProfile, type ScriptProfile } from './redis-profile.js';
import { targetsTable, type Target } from './targets.js';

export interface BenchResults {
  machine: { cpus: number; cpu: string; memoryGiB: number; node: string };
  options: BenchOptions;
  load: Record<string, LoadResult>;
  healthDuringLogins: { p50: number; p99: number; max: number };
  redisBenchmark: Record<string, number>;
  profile: ScriptProfile;
  memory: MemoryCosts;
  modelCosts: ModelCosts;
  bundles: Record<string, { code: number; cache: number }>;
  coldStarts: Record<string, number>;
  offload: OffloadThroughput;
  offloadScale: OffloadScale | null;
  targets: Target[];
}

export function machine(): BenchResults['machine'] {
  return { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

const fixed = (value: number | null | undefined, digits = 2) => (value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));

export function formatReport(results: BenchResults): string {
  const { options, load, profile, memory, modelCosts: model, offload, offloadScale } = results;
  const express = load['bare express (ceiling)'];
  const lines = [
    `keyward bench — ${results.machine.cpus} × ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; ${options.quick ? 'quick' : 'full'}: median of ${options.rounds} round(s) × ${options.seconds} s, ${options.connections} connections`,
    '',
    '## Issue 15 targets',
    '',
    ...targetsTable(results.targets),
    '',
    '## Load (scenarios interleaved in rounds)',
    '',
    '| scenario | req/s | p50 ms | p99 ms | errors | CPU µs per request | CPU ÷ express | req/s ÷ express | Redis µs per script |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(load).map(
      ([name, r]) =>
        `| ${name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} | ${r.cpuUsec.toFixed(0)} | ${fixed(express ? r.cpuUsec / express.cpuUsec : null)} | ${fixed(express ? r.rps / express.rps : null)} | ${r.redisUsec ? r.redisUsec.toFixed(1) : '—'} |`,
    ),
    '',
    `Health checks on the token function during 8 concurrent logins: p50 ${results.healthDuringLogins.p50} ms, p99 ${results.healthDuringLogins.p99} ms, max ${results.healthDuringLogins.max} ms.`,
    `redis-benchmark (the database's ceiling, ${options.connections} connections): ${Object.entries(results.redisBenchmark).map(([name, rps]) => `${name} ${Math.round(rps)} req/s`).join(', ')}.`,
    '',
    `## Redis time per script call (captured calls replayed, ${options.replayRounds} interleaved rounds of 300)`,
    '',
    ...formatProfile(profile),
    '',
    '## Memory at rest',
    '',
    `Redis memory: ${memory.bytesPerKey} B per API key, ${memory.bytesPerItem} B per data item (a 26-byte value), ${memory.bytesPerTenant} B per tenant with its admin (over ${memory.records} keys, ${memory.records} items, ${memory.tenants} tenants on a Redis of their own; operation markers deleted, audit events trimmed).`,
    `${model.bytesPerIdentity} B per identity, ${model.bytesPerUsageDay} B of usage per key, identity or tenant per day (hours and days, two codes in every hour).`,
    '',
    '| rate limit, 1,000 uses in its window | state in Redis (bytes) | Redis µs per verification |',
    '| --- | ---: | ---: |',
    ...(['log', 'counter'] as const).map((algorithm) => `| ${algorithm} | ${model.limits[algorithm].stateBytes} | ${model.limits[algorithm].redisUsecPerVerify.toFixed(1)} |`),
    '',
    '## Bundles and cold starts',
    '',
    `| bundle | code (bytes, minified) | V8 code cache (bytes) | cold start, median of ${options.coldStartRuns} (ms) | ÷ bare express |`,
    '| --- | ---: | ---: | ---: | ---: |',
    ...[bareExpress, ...functionNames].map((name) => {
      const size = results.bundles[name] ?? { code: 0, cache: 0 };
      const label = name === bareExpress ? 'bare express (baseline)' : name;
      return `| ${label} | ${size.code} | ${size.cache || '—'} | ${results.coldStarts[name]} | ${fixed((results.coldStarts[name] ?? 0) / (results.coldStarts[bareExpress] ?? 1))} |`;
    }),
    '',
    '## Audit offload',
    '',
    `${offload.events} events over ${offload.tenants} tenants to the Loki stand-in: ${offload.eventsPerSecond} events/s, peak RSS ${offload.peakRssMiB} MiB.`,
    offloadScale
      ? `${offloadScale.tenants} tenants with 2 events each: shipped in ${offloadScale.shipSeconds.toFixed(2)} s; a run with nothing pending ${offloadScale.idleRunMs.toFixed(2)} ms; run report ${offloadScale.reportBytes.toLocaleString('en')} bytes of JSON.`
      : 'The offload over many tenants failed (see the log above).',
  ];
  return lines.join('\n');
}

/** Writes the results as JSON under .data/bench/; returns the file. */
export function writeResults(results: BenchResults): string {
  const out = join('.data', 'bench');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${new Date().toISOString().replace(/[:.]/g, '-')}${results.options.quick ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
