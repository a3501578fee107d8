// One minified, self-contained esbuild bundle per function under dist/<name>/, plus the local
// gateway (dist/gateway) and the admin CLI (dist/admin). `node build.mjs --only data,token` builds some.
// The web console (functions/console/app/) is built into app/ beside the bundles that serve it
// (console, gateway): content-hashed assets, the page naming them, and a manifest.
//
// Each dist/<name>/ holds: bundle.cjs (the code), bundle.cache (its V8 code cache, made here by
// evaluating the modules once), index.js (the loader that runs the bundle with its cache: the
// entry point, `node dist/<name>/index.js`), bcrypt-worker.mjs (bcrypt's worker thread).
//
// A folder is never written in place: it is made whole under dist/.build-<name>-<pid>-<random>/ and
// then swapped in (moveIntoPlace), so a process starting from dist/<name>/ while another build runs
// (two `npm run admin` at once) loads one complete build, never a half-written file.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload', 'console'];

/** The bundles that serve the web console, and so carry its build in app/. */
const servesConsole = new Set(['console', 'gateway']);

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
      const outdir = `dist/.build-${name}-${process.pid}-${randomBytes(4).toString('hex')}`;
      await mkdir(outdir, { recursive: true });
      try {
        sizes[name] = await buildInto(outdir, name, entry);
        moveIntoPlace(outdir, `dist/${name}`);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    }),
  );
  if (!quiet) {
    for (const name of names) process.stdout.write(`dist/${name}/bundle.cjs  ${(sizes[name] / 1024).toFixed(0)} KiB\n`);
    const consoleBuilt = names.find((name) => servesConsole.has(name));
    if (consoleBuilt) {
      const { javascript } = JSON.parse(await readFile(`dist/${consoleBuilt}/app/manifest.json`, 'utf8'));
      process.stdout.write(`dist/${consoleBuilt}/app/  console JavaScript ${(javascript.bytes / 1024).toFixed(1)} KiB, ${(javascript.gzipBytes / 1024).toFixed(1)} KiB gzipped\n`);
    }
  }
  return sizes;
}

/** Writes one bundle's whole folder into `outdir`; returns the bundle's size in bytes. */
async function buildInto(outdir, name, entry) {
  const result = await build({ ...bundleOptions, entryPoints: [entry], outfile: `${outdir}/bundle.cjs`, metafile: true });
  // bcrypt's worker thread (shared/auth/bcrypt-pool.ts) loads this file from beside the bundle.
  await build({ ...bundleOptions, format: 'esm', banner: {}, define: {}, entryPoints: ['shared/auth/bcrypt-worker.mjs'], outfile: `${outdir}/bcrypt-worker.mjs` });
  const loader = await readFile('shared/runtime/bundle-loader.mjs', 'utf8');
  await writeFile(`${outdir}/index.js`, name === 'admin' ? `#!/usr/bin/env node\n${loader}` : loader, { mode: 0o755 });
  // index.js is an ES module whatever package.json sits above it once copied into an image.
  await writeFile(`${outdir}/package.json`, '{ "type": "module" }\n');
  if (servesConsole.has(name)) await buildConsoleApp(`${outdir}/app`);
  // Primed here, before the move: V8 checks a code cache against the source (its length), the V8
  // version and its flags, not the file's path, so the cache stays good at dist/<name>/.
  primeCodeCache(outdir);
  return Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}

/** The console's shipped JavaScript must stay under this, gzipped (the budget). */
export const consoleGzipBudget = 150 * 1024;

/**
 * Builds the web console into `dir`: assets/ with content-hashed names (so they can be cached for a
 * year), index.html naming them (no inline script or style: the CSP forbids both), and
 * manifest.json listing what may be served. Returns the manifest.
 */
export async function buildConsoleApp(dir) {
  const assets = `${dir}/assets`;
  const result = await build({
    entryPoints: { main: 'functions/console/app/main.tsx', styles: 'functions/console/app/styles.css' },
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox111', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // Given here, not read from functions/console/app/tsconfig.json: the image's build stage has no root tsconfig.json for it to extend.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const icon = await readFile('functions/console/app/icon.svg');
  const iconName = `icon-${createHash('sha256').update(icon).digest('hex').slice(0, 10)}.svg`;
  await writeFile(`${assets}/${iconName}`, icon);
  const script = outputs.find((file) => file.startsWith('main-') && file.endsWith('.js'));
  const style = outputs.find((file) => file.startsWith('styles-') && file.endsWith('.css'));
  if (!script || !style) throw new Error(`console build: no script or style among ${outputs.join(', ')}`);
  const page = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>keyward console</title>',
    `<link rel="icon" type="image/svg+xml" href="/console/assets/${iconName}">`,
    `<link rel="stylesheet" href="/console/assets/${style}">`,
    `<script type="module" src="/console/assets/${script}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"></div>',
    '<noscript><p>The keyward console needs JavaScript.</p></noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  await writeFile(`${dir}/index.html`, page);
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of outputs.filter((name) => name.endsWith('.js'))) {
    const code = await readFile(`${assets}/${file}`);
    bytes += code.length;
    gzipBytes += gzipSync(code, { level: 9 }).length;
  }
  if (gzipBytes > consoleGzipBudget) throw new Error(`console JavaScript is ${gzipBytes} bytes gzipped, over the budget of ${consoleGzipBudget}`);
  const manifest = { page: 'index.html', assets: [...outputs, iconName].sort(), javascript: { bytes, gzipBytes } };
  await writeFile(`${dir}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Puts the finished folder `built` at `target` (dist/<name>), replacing what is there. Linux renames a folder
 * onto an empty one only, so an existing one is renamed aside first, then `built` renamed in: a
 * process never sees a mix of two builds, and dist/<name>/ is absent only between two back-to-back
 * renames. A concurrent build may take the free place in between: its folder is then moved aside
 * in turn, so both builds succeed and the folder of the last one in stays.
 */
export function moveIntoPlace(built, target) {
  const taken = (error) => error.code === 'ENOTEMPTY' || error.code === 'EEXIST';
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    try {
      renameSync(built, target);
      return;
    } catch (error) {
      if (!taken(error)) throw error;
    }
    const aside = join(dirname(target), `.old-${basename(target)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      renameSync(target, aside);
    } catch (error) {
      // Another build moved it aside first: go round and take the free place.
      if (error.code === 'ENOENT') continue;
      throw error;
    }
    try {
      renameSync(built, target);
      return;
    } catch (error) {
      // Another build's folder went in between our two renames: go round again.
      if (!taken(error)) throw error;
    } finally {
      rmSync(aside, { recursive: true, force: true });
    }
  }
  throw new Error(`could not move ${built} to ${target}: other builds kept taking its place`);
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
