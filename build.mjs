// One minified, self-contained esbuild bundle per function under dist/<name>/, plus the local
// gateway (dist/gateway) and the admin CLI (dist/admin). `node build.mjs --only data,token` builds some.
//
// Each dist/<name>/ holds: bundle.cjs (the code), bundle.cache (its V8 code cache, made here by
// evaluating the modules once), index.js (the loader that runs the bundle with its cache: the
// entry point, `node dist/<name>/index.js`), bcrypt-worker.mjs (bcrypt's worker thread).
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

export const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload'];

export const entries = {
  ...Object.fromEntries(functionNames.map((name) => [name, `functions/${name}/index.ts`])),
  gateway: 'shared/gateway/main.ts',
  admin: 'shared/admin/main.ts',
};

// The bundle is CommonJS (V8 code caches apply to scripts, not ES modules); import.meta.url, which
// our code and node-cron read, becomes the bundle's own file URL.
const importMetaUrl = "const __keywardImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

/** What every bundle is built with (the bench builds its bare-express baseline with the same). */
export const bundleOptions = {
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  loader: { '.lua': 'text' },
  legalComments: 'none',
  banner: { js: importMetaUrl },
  define: { 'import.meta.url': '__keywardImportMetaUrl' },
  // Express's body parsers, query-string library and file serving are never used (keyward reads
  // bodies, parses queries and writes responses itself): they are left out, 650 KiB and ~6 ms of
  // start-up, for stubs that fail loudly if ever called.
  alias: {
    'body-parser': './shared/runtime/bundle-stubs/body-parser.cjs',
    'iconv-lite': './shared/runtime/bundle-stubs/iconv-lite.cjs',
    'mime-db': './shared/runtime/bundle-stubs/mime-db.cjs',
    qs: './shared/runtime/bundle-stubs/qs.cjs',
  },
  logLevel: 'warning',
};

/** Builds the named bundles (all by default); returns each bundle's size in bytes. */
export async function buildBundles(names = Object.keys(entries), { quiet = false } = {}) {
  const sizes = {};
  await Promise.all(
    names.map(async (name) => {
      const entry = entries[name];
      if (!entry) throw new Error(`unknown bundle ${name}; known: ${Object.keys(entries).join(', ')}`);
      const outdir = `dist/${name}`;
      await mkdir(outdir, { recursive: true });
      const result = await build({ ...bundleOptions, entryPoints: [entry], outfile: `${outdir}/bundle.cjs`, metafile: true });
      // bcrypt's worker thread (shared/auth/bcrypt-pool.ts) loads this file from beside the bundle.
      await build({ ...bundleOptions, format: 'esm', banner: {}, define: {}, entryPoints: ['shared/auth/bcrypt-worker.mjs'], outfile: `${outdir}/bcrypt-worker.mjs` });
      const loader = await readFile('shared/runtime/bundle-loader.mjs', 'utf8');
      await writeFile(`${outdir}/index.js`, name === 'admin' ? `#!/usr/bin/env node\n${loader}` : loader, { mode: 0o755 });
      // index.js is an ES module whatever package.json sits above it once copied into an image.
      await writeFile(`${outdir}/package.json`, '{ "type": "module" }\n');
      primeCodeCache(outdir);
      sizes[name] = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    }),
  );
  if (!quiet) {
    for (const name of names) process.stdout.write(`dist/${name}/bundle.cjs  ${(sizes[name] / 1024).toFixed(0)} KiB\n`);
  }
  return sizes;
}

/** Evaluates the bundle's modules once (starting nothing) so the loader can write their code cache. */
function primeCodeCache(outdir) {
  const primed = spawnSync(process.execPath, [`${outdir}/index.js`], { env: { ...process.env, KEYWARD_PRIME_CODE_CACHE: '1' }, encoding: 'utf8' });
  if (primed.status !== 0) throw new Error(`priming the code cache of ${outdir} failed: ${primed.stderr}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv.indexOf('--only');
  const names = only === -1 ? undefined : process.argv[only + 1]?.split(',');
  const quiet = process.argv.includes('--quiet');
  buildBundles(names, { quiet }).catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
