import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createBcryptPool, type BcryptPool } from '../shared/auth/bcrypt-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-bcrypt-pool-'));
const realWorker = new URL('../shared/auth/bcrypt-worker.mjs', import.meta.url);
const knownHash = bcrypt.hashSync('right password', 4);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker module in the temp dir; `source` is its whole text. */
function workerFile(name: string, source: string): URL {
  const file = join(dir, name);
  writeFileSync(file, source);
  return pathToFileURL(file);
}

/** The real worker, loaded from the repository (where it finds bcryptjs) by a module in the temp dir. */
const fixedSource = `import ${JSON.stringify(realWorker.href)};\n`;

function poolOf(url: URL, jobTimeoutMs = 60_000): BcryptPool {
  const pool = createBcryptPool(url, { jobTimeoutMs, size: 1 });
  if (!pool) throw new Error(`no pool for ${url.href}`);
  return pool;
}

/** Settles the promise or fails the test after `ms`: a hang is a failure here, never a pass. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('bcrypt pool: workers that work', () => {
  it('hashes and compares with the real worker', async () => {
    const pool = poolOf(realWorker);
    const hash = await within(pool.hash('a long passphrase', 4), 20_000);
    expect(bcrypt.compareSync('a long passphrase', hash)).toBe(true);
    expect(await within(pool.compare('a long passphrase', hash), 20_000)).toBe(true);
    expect(await within(pool.compare('something else', hash), 20_000)).toBe(false);
  });

  it('runs many jobs on several workers and answers each its own result', async () => {
    const pool = createBcryptPool(realWorker, { size: 3 });
    if (!pool) throw new Error('no pool');
    const answers = await within(Promise.all(Array.from({ length: 12 }, (_, index) => pool.compare(index % 2 === 0 ? 'right password' : 'wrong', knownHash))), 30_000);
    expect(answers).toEqual(Array.from({ length: 12 }, (_, index) => index % 2 === 0));
  });

  it('is null when the worker file is missing (bcrypt then runs in-thread)', () => {
    expect(createBcryptPool(pathToFileURL(join(dir, 'no-such-worker.mjs')))).toBeNull();
  });
});

describe('bcrypt pool: workers that fail', () => {
  it('rejects promptly when the worker module is empty (a half-written file), and a fresh worker works once the file is fixed', async () => {
    const url = workerFile('empty-then-fixed.mjs', '');
    const pool = poolOf(url);
    await expect(within(pool.compare('right password', knownHash), 10_000)).rejects.toThrow(/bcrypt worker exited/);
    await expect(within(pool.hash('right password', 4), 10_000)).rejects.toThrow(/bcrypt worker exited/);

    writeFileSync(join(dir, 'empty-then-fixed.mjs'), fixedSource);
    expect(await within(pool.compare('right password', knownHash), 20_000)).toBe(true);
    expect(await within(pool.compare('wrong', knownHash), 20_000)).toBe(false);
  });

  it('rejects every job a worker holds when it exits mid-job (process.exit(1)), then starts a fresh one', async () => {
    const url = workerFile('crashes.mjs', "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(1));\n");
    const pool = poolOf(url);
    const jobs: Promise<unknown>[] = [pool.compare('right password', knownHash), pool.hash('x', 4), pool.compare('y', knownHash)];
    for (const job of jobs) await expect(within(job, 10_000)).rejects.toThrow(/exited \(code 1\)/);

    writeFileSync(join(dir, 'crashes.mjs'), fixedSource);
    expect(await within(pool.compare('right password', knownHash), 20_000)).toBe(true);
  });

  it('rejects a job the worker never answers once the bound has passed, and replaces the worker', async () => {
    const url = workerFile('silent.mjs', "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => {});\n");
    const pool = poolOf(url, 300);
    const startedAt = performance.now();
    await expect(within(pool.compare('right password', knownHash), 10_000)).rejects.toThrow(/no answer within 300 ms/);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);

    writeFileSync(join(dir, 'silent.mjs'), fixedSource);
    expect(await within(pool.compare('right password', knownHash), 20_000)).toBe(true);
  });

  it('rejects a job whose worker fails to load (a syntax error: the error event)', async () => {
    const url = workerFile('broken.mjs', 'export const half = ');
    const pool = poolOf(url);
    await expect(within(pool.compare('right password', knownHash), 10_000)).rejects.toThrow();

    writeFileSync(join(dir, 'broken.mjs'), fixedSource);
    expect(await within(pool.compare('right password', knownHash), 20_000)).toBe(true);
  });
});
