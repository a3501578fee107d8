// One minified, self-contained esbuild bundle per function under dist/<name>/, plus the local
// gateway (dist/gateway) and the admin CLI (dist/admin). `node build.mjs --only data,token` builds some.
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';

export const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload'];

export const entries = {
  ...Object.fromEntries(functionNames.map((name) => [name, `functions/${name}/index.ts`])),
  gateway: 'shared/gateway/main.ts',
  admin: 'shared/admin/main.ts',
};

// CommonJS inside an ESM bundle (express → debug → tty) calls require() for Node built-ins.
const requireShim = "import { createRequire as __keywardCreateRequire } from 'node:module'; const require = __keywardCreateRequire(import.meta.url);";

/** What every bundle is built with (the bench builds its bare-express baseline with the same). */
export const bundleOptions = {
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  loader: { '.lua': 'text' },
  legalComments: 'none',
  banner: { js: requireShim },
  // Express's body parsers and file serving are never used (keyward reads bodies and writes
  // responses itself): their charset and MIME tables, 630 KiB, are left out.
  alias: {
    'iconv-lite': './shared/runtime/bundle-stubs/iconv-lite.cjs',
    'mime-db': './shared/runtime/bundle-stubs/mime-db.cjs',
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
      const result = await build({
        ...bundleOptions,
        entryPoints: [entry],
        outfile: `${outdir}/index.js`,
        banner: { js: name === 'admin' ? `#!/usr/bin/env node\n${requireShim}` : requireShim },
        metafile: true,
      });
      // bcrypt's worker thread (shared/auth/bcrypt-pool.ts) loads this file from beside index.js.
      await build({ ...bundleOptions, entryPoints: ['shared/auth/bcrypt-worker.mjs'], outfile: `${outdir}/bcrypt-worker.mjs` });
      // The bundle is ESM whatever package.json sits above it once copied into an image.
      await writeFile(`${outdir}/package.json`, '{ "type": "module" }\n');
      sizes[name] = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    }),
  );
  if (!quiet) {
    for (const name of names) process.stdout.write(`dist/${name}/index.js  ${(sizes[name] / 1024).toFixed(0)} KiB\n`);
  }
  return sizes;
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
