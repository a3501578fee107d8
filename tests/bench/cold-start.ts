// Bundle sizes and cold starts (process spawn to the first 200 on /healthz), beside a bare express
// server bundled the same way.
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { functionNames } from './options.js';
import { median } from './stats.js';

const buildModule = new URL('../../build.mjs', import.meta.url).href;
export const bareExpress = 'bench-express';

/**
 * The bare express server bundled with the functions' options (minified, the same stubs), for the
 * cold-start baseline; loaded plainly, without the functions' code cache.
 */
export async function buildBareExpressBundle(): Promise<void> {
  mkdirSync('dist/bench-express', { recursive: true });
  const { bundleOptions } = (await import(buildModule)) as { bundleOptions: BuildOptions };
  await build({ ...bundleOptions, entryPoints: ['tests/bench/ceiling-express.mjs'], outfile: 'dist/bench-express/index.cjs' });
}

/** The minified code of each bundle, and (functions) its V8 code cache, which ships beside it. */
export function bundleSizes(): Record<string, { code: number; cache: number }> {
  const sizes: Record<string, { code: number; cache: number }> = { [bareExpress]: { code: statSync('dist/bench-express/index.cjs').size, cache: 0 } };
  for (const name of functionNames) sizes[name] = { code: statSync(join('dist', name, 'bundle.cjs')).size, cache: statSync(join('dist', name, 'bundle.cache')).size };
  return sizes;
}

/** Median ms from spawn to the first 200 on /healthz, per bundle; runs interleaved across bundles. */
export async function measureColdStarts(env: Record<string, string>, runs: number, log: (line: string) => void): Promise<Record<string, number>> {
  const names = [bareExpress, ...functionNames];
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const name of names) times.get(name)?.push(await coldStart(env, name === bareExpress ? 'dist/bench-express/index.cjs' : join('dist', name, 'index.js')));
  }
  const medians: Record<string, number> = {};
  for (const name of names) medians[name] = Math.round(median(times.get(name) ?? []) * 10) / 10;
  log(`cold starts (median of ${runs}): ${JSON.stringify(medians)}`);
  return medians;
}

async function coldStart(env: Record<string, string>, entry: string): Promise<number> {
  const port = await freePort();
  const metricsPort = await freePort();
  const begun = performance.now();
  const child = spawn(process.execPath, [entry], { env: { ...env, PORT: String(port), METRICS_PORT: String(metricsPort) }, stdio: 'ignore' });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.status === 200, () => false);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const took = performance.now() - begun;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return took;
}
