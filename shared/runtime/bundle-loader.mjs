// dist/<name>/index.js: loads the bundle (bundle.cjs) with the V8 code cache build.mjs made for it
// (bundle.cache), so a cold start compiles almost nothing. A cache from another Node/V8 version is
// rejected by V8 and the bundle is compiled as usual: slower, never wrong.
// With KEYWARD_PRIME_CODE_CACHE=1 (build.mjs only) it evaluates the modules without starting
// anything (shared/runtime/code-cache.ts) and writes the cache.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'bundle.cjs');
const cacheFile = join(here, 'bundle.cache');
const priming = process.env.KEYWARD_PRIME_CODE_CACHE === '1';

// build.mjs replaces this whole folder by two renames when it rebuilds. The bundle and its cache
// are read from one folder (V8 checks a cache against the source's length only, so a cache of
// another build must not be paired with this bundle), and the instant the folder is absent is
// waited out.
function readBundle() {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const folder = statSync(here).ino;
      const source = readFileSync(bundle, 'utf8');
      const cachedData = !priming && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
      if (statSync(here).ino === folder) return { source, cachedData };
      // Still being replaced after many tries: run this bundle, compiled without a cache.
      if (attempt === 50) return { source, cachedData: undefined };
    } catch (error) {
      if (error?.code !== 'ENOENT' || attempt === 50) throw error;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

const { source, cachedData } = readBundle();
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
if (script.cachedDataRejected) process.stderr.write(`${bundle}: code cache rejected (another Node version, or V8 flags in NODE_OPTIONS?); compiled instead\n`);
if (priming) globalThis.__keywardPrimingCodeCache = true;
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, here);
if (priming) writeFileSync(cacheFile, script.createCachedData());
