import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const adminDir = join(root, 'dist', 'admin');
const bundleFiles = ['bcrypt-worker.mjs', 'bundle.cache', 'bundle.cjs', 'index.js', 'package.json'];

interface Run {
  pid: number;
  code: number | null;
  out: string;
  err: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', fail);
    child.once('close', (code) => done({ pid: child.pid ?? -1, code, out, err }));
  });
}

const buildAdmin = () => run(['build.mjs', '--only', 'admin', '--quiet']);

/** Whether V8 takes dist/admin's code cache for its bundle, asked in a fresh node as the loader does. */
async function cacheAccepted(dir: string): Promise<string> {
  const check = `
    const { readFileSync } = require('node:fs');
    const { Module } = require('node:module');
    const { Script } = require('node:vm');
    const dir = process.argv[1];
    const script = new Script(Module.wrap(readFileSync(dir + '/bundle.cjs', 'utf8')), { filename: dir + '/bundle.cjs', cachedData: readFileSync(dir + '/bundle.cache') });
    process.stdout.write(script.cachedDataRejected ? 'rejected' : 'accepted');`;
  const answer = await run(['-e', check, dir]);
  return answer.out || answer.err;
}

/** Folders a build with this pid left in dist/ (its work folder, or an old folder moved aside). */
function leftBy(pid: number): string[] {
  return readdirSync(join(root, 'dist')).filter((entry) => entry.includes(`-${pid}-`));
}

/** dist/admin's files as the first build wrote them: every build of the same source writes the same bytes (but its code cache). */
let reference = new Map<string, Buffer>();

beforeAll(async () => {
  const built = await buildAdmin();
  expect(built.code, built.err).toBe(0);
  reference = new Map(bundleFiles.filter((file) => file !== 'bundle.cache').map((file) => [file, readFileSync(join(adminDir, file))]));
}, 120_000);

/**
 * Reads dist/admin's files over and over while `going()`: each read must find the whole file as the
 * reference build wrote it. (Absent for an instant, between the swap's two renames, is counted apart.)
 */
async function readWhile(going: () => boolean): Promise<{ count: number; absent: number; partial: string[] }> {
  let count = 0;
  let absent = 0;
  const partial: string[] = [];
  while (going()) {
    for (const [file, expected] of reference) {
      try {
        const bytes = readFileSync(join(adminDir, file));
        if (!bytes.equals(expected)) partial.push(`${file}: ${bytes.length} of ${expected.length} bytes, or other bytes`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        absent += 1;
      }
      count += 1;
    }
    await new Promise((done) => setImmediate(done));
  }
  return { count, absent, partial };
}

describe('build.mjs: dist/<name>/ is replaced whole, never written in place', () => {
  it('leaves the files a running process has open untouched, and puts a complete new folder in place', async () => {
    const before = statSync(adminDir).ino;
    const open = bundleFiles.map((file) => {
      const fd = openSync(join(adminDir, file), 'r');
      const stat = fstatSync(fd);
      return { file, fd, mtimeMs: stat.mtimeMs, size: stat.size };
    });
    try {
      const built = await buildAdmin();
      expect(built.code, built.err).toBe(0);
      for (const held of open) {
        const now = fstatSync(held.fd);
        expect({ file: held.file, mtimeMs: now.mtimeMs, size: now.size }).toEqual({ file: held.file, mtimeMs: held.mtimeMs, size: held.size });
      }
      expect(statSync(adminDir).ino).not.toBe(before);
      expect(readdirSync(adminDir).sort()).toEqual(bundleFiles);
      expect(leftBy(built.pid)).toEqual([]);
    } finally {
      for (const held of open) closeSync(held.fd);
    }
  }, 120_000);

  it('two builds at once both succeed while another process keeps loading dist/admin/index.js; every load sees one complete build', async () => {
    const builds = Promise.all([buildAdmin(), buildAdmin()]);
    let building = true;
    void builds.finally(() => (building = false));
    const loads: Run[] = [];
    const loading = (async () => {
      do loads.push(await run([join(adminDir, 'index.js'), '--help']));
      while (building);
    })();
    const reads = await readWhile(() => building);
    await loading;
    const [first, second] = await builds;
    expect(first?.code, first?.err).toBe(0);
    expect(second?.code, second?.err).toBe(0);

    console.log(`${loads.length} loads of dist/admin/index.js during two concurrent builds`);
    expect(loads.length).toBeGreaterThan(1);
    const failed = loads.filter((load) => load.code !== 0 || !load.out.includes('Usage: keyward') || load.err !== '');
    // The one instant dist/admin/ is absent (between the swap's two renames) fails at once in
    // node's own lookup of index.js: not a half-written build. Counted apart, never a hang.
    const absent = failed.filter(
      (load) => load.code === 1 && (load.err.includes(`ENOENT: no such file or directory, lstat '${adminDir}'`) || load.err.includes(`Cannot find module '${adminDir}/index.js'`)),
    );
    if (absent.length > 0) console.log(`${absent.length} loads started in the instant between the two renames`);
    expect(failed.filter((load) => !absent.includes(load)).map((load) => ({ code: load.code, err: load.err.slice(0, 400), out: load.out.slice(0, 80) }))).toEqual([]);

    console.log(`${reads.count} reads of dist/admin/'s files during the builds (${reads.absent} in the instant between the two renames)`);
    expect(reads.count).toBeGreaterThan(10);
    expect(reads.partial).toEqual([]);

    expect(readdirSync(adminDir).sort()).toEqual(bundleFiles);
    expect(leftBy(first?.pid ?? -1)).toEqual([]);
    expect(leftBy(second?.pid ?? -1)).toEqual([]);
    // The cache was made in the work folder and still serves the bundle once moved in.
    expect(await cacheAccepted(adminDir)).toBe('accepted');
    const cold = await run([join(adminDir, 'index.js'), '--help']);
    expect(cold.code).toBe(0);
    expect(cold.err).toBe('');
  }, 180_000);
});

describe('build.mjs: moveIntoPlace, raced', () => {
  it('several processes replacing one folder over and over all succeed and leave one complete folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-move-'));
    try {
      // Each racer makes a folder of three files that name it, then moves it into place, 150 times.
      const racer = `
        import { mkdirSync, writeFileSync } from 'node:fs';
        import { join } from 'node:path';
        const { moveIntoPlace } = await import(${JSON.stringify(new URL('../build.mjs', import.meta.url).href)});
        const [dir] = process.argv.slice(1);
        for (let round = 0; round < 150; round += 1) {
          const built = join(dir, '.build-' + process.pid + '-' + round);
          mkdirSync(built);
          for (const file of ['a', 'b', 'c']) writeFileSync(join(built, file), process.pid + '-' + round);
          moveIntoPlace(built, join(dir, 'target'));
        }`;
      const racers = await Promise.all(Array.from({ length: 4 }, () => run(['--input-type=module', '-e', racer, dir])));
      for (const racer of racers) expect(racer.code, racer.err).toBe(0);
      expect(readdirSync(dir)).toEqual(['target']);
      const target = join(dir, 'target');
      expect(readdirSync(target).sort()).toEqual(['a', 'b', 'c']);
      const [a, b, c] = ['a', 'b', 'c'].map((file) => readFileSync(join(target, file), 'utf8'));
      expect(a).toMatch(/^\d+-149$/);
      expect([b, c]).toEqual([a, a]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
