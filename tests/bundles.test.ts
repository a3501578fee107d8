import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { createTestApp, newTenant, type TestApp, type TestTenant } from './support/harness.js';

// ---------------------------------------------------------------------------------------------
// helpers

type BuildBundles = (names?: string[], options?: { quiet?: boolean }) => Promise<Record<string, number>>;

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const jwtKeys = 'test-1:0123456789abcdef0123456789abcdef';
const pepper = 'pepper-0123456789abcdef0123456789';
const workDir = mkdtempSync(join(tmpdir(), 'keyward-bundles-'));
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Started {
  child: ChildProcess;
  port: number;
  /** METRICS_PORT: a free one of its own (several bundles run at once here). */
  metricsPort: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** ms from spawn to the first 200 on /healthz. */
  coldStartMs: number;
}

const children: ChildProcess[] = [];

/** The environment of a production function process, nothing inherited but PATH. */
function productionEnv(port: number, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    PORT: String(port),
    ...inject('redisEnv'),
    NODE_ENV: 'production',
    JWT_SIGNING_KEYS: jwtKeys,
    API_KEY_PEPPER: pepper,
    SECRETS_DIR: join(workDir, 'no-such-secrets-dir'),
    KEYWARD_DATA_DIR: join(workDir, 'data'),
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** `dir`: the bundle's folder (dist/<name>/ unless given). */
function spawnBundle(name: string, env: Record<string, string>, dir = join(root, 'dist', name)): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Started['exited'] } {
  const child = spawn(process.execPath, [join(dir, 'index.js')], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts `node dist/<name>/index.js` on a free port and waits for /healthz to answer 200. */
async function startBundle(name: string, extra: Record<string, string | undefined> = {}, dir?: string): Promise<Started> {
  const port = await freePort();
  const metricsPort = await freePort();
  const startedAt = performance.now();
  const spawned = spawnBundle(name, productionEnv(port, { METRICS_PORT: String(metricsPort), ...extra }), dir);
  let exitedEarly = false;
  void spawned.exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exitedEarly) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return { ...spawned, port, metricsPort, coldStartMs: performance.now() - startedAt };
    await sleep(5);
  }
  spawned.child.kill('SIGKILL');
  throw new Error(`${name} did not answer /healthz on ${port}\nstdout: ${spawned.stdout()}\nstderr: ${spawned.stderr()}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what}: no result within ${ms} ms`)))]);
}

/** Module specifiers a bundle still imports: static `from"x"`, side-effect `import"x"` and dynamic `import("x")`. */
function importedSpecifiers(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s*(["'])([^"'\n]+)\1/g,
    /(?:^|[;\s}])import\s*(["'])([^"'\n]+)\1/g,
    /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g,
    /\brequire\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) if (match[2]) found.add(match[2]);
  return [...found];
}

let buildBundles: BuildBundles;
let sizes: Record<string, number> = {};

beforeAll(async () => {
  ({ buildBundles } = (await import('../build.mjs' as string)) as { buildBundles: BuildBundles });
  // build.mjs resolves its entries and dist/ against the working directory.
  const cwd = process.cwd();
  if (cwd !== root) process.chdir(root);
  try {
    sizes = await buildBundles(['data', 'token', 'console'], { quiet: true });
  } finally {
    if (process.cwd() !== cwd) process.chdir(cwd);
  }
}, 120_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

const luaDir = join(root, 'shared', 'redis', 'lua');
const luaFiles = [...readdirSync(luaDir), ...readdirSync(join(luaDir, 'lib')).map((file) => join('lib', file))].filter((file) => file.endsWith('.lua')).map((file) => join(luaDir, file));

/** Text as esbuild embeds it in a template literal (its `text` loader). */
function asTemplateLiteral(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

describe('bundles: build', () => {
  it('builds dist/data and dist/token: a minified, self-contained bundle, its code cache and the loader', () => {
    for (const name of ['data', 'token']) {
      const file = join(root, 'dist', name, 'bundle.cjs');
      const code = readFileSync(file, 'utf8');
      const bytes = statSync(file).size;
      console.log(`bundle dist/${name}/bundle.cjs: ${(bytes / 1024).toFixed(0)} KiB (${bytes} bytes; build reported ${sizes[name]})`);
      expect(sizes[name]).toBe(bytes);
      expect(JSON.parse(readFileSync(join(root, 'dist', name, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
      expect(statSync(join(root, 'dist', name, 'bundle.cache')).size).toBeGreaterThan(100_000);

      const external = importedSpecifiers(code).filter((specifier) => !isBuiltin(specifier));
      expect(external, `dist/${name}/bundle.cjs still requires packages`).toEqual([]);
      const loader = readFileSync(join(root, 'dist', name, 'index.js'), 'utf8');
      expect(importedSpecifiers(loader).filter((specifier) => !isBuiltin(specifier)), 'the loader imports only Node built-ins').toEqual([]);
      expect(importedSpecifiers(loader)).toContain('node:vm');

      // Minified: long lines. The newlines left are inside the embedded Lua scripts' text, which is
      // taken out first (every script is embedded, each as its file's text: counted once).
      let javascript = code;
      for (const file of luaFiles) javascript = javascript.split(asTemplateLiteral(readFileSync(file, 'utf8'))).join('');
      const lines = javascript.split('\n').length;
      console.log(`bundle dist/${name}/bundle.cjs: ${lines} lines of JavaScript, ${Math.round(javascript.length / lines)} bytes per line on average`);
      expect(javascript.length).toBeLessThan(code.length);
      expect(lines).toBeLessThan(1000);
      expect(javascript.length / lines).toBeGreaterThan(500);
    }
  });
});

describe('bundles: node dist/data/index.js over real HTTP', () => {
  let app: TestApp;
  let tenant: TestTenant;
  let data: Started;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await newTenant(app);
    data = await startBundle('data');
    console.log(`cold start of dist/data/index.js (spawn to first 200 on /healthz): ${data.coldStartMs.toFixed(0)} ms`);
  }, 120_000);

  afterAll(async () => {
    if (data.child.exitCode === null) data.child.kill('SIGKILL');
    await app.close();
  });

  it('serves /healthz and /readyz', async () => {
    const health = await fetch(`http://127.0.0.1:${data.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toBeTruthy();
    const ready = await fetch(`http://127.0.0.1:${data.port}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('GET /data/x without auth is 401 with WWW-Authenticate: Bearer', async () => {
    const response = await fetch(`http://127.0.0.1:${data.port}/data/x`, { headers: { 'x-request-id': 'bundle-req-1' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.headers.get('x-request-id')).toBe('bundle-req-1');
    expect(await response.json()).toEqual({ detail: 'Not authenticated', code: 'not_authenticated', request_id: 'bundle-req-1' });
  });

  it('serves its metrics on METRICS_PORT (its requests moving), never on its request port (SPEC §12)', async () => {
    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${data.metricsPort}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      return Number(/^keyward_http_requests_total\{function="data",route="getItem",method="GET",status="401"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await scrape();
    expect((await fetch(`http://127.0.0.1:${data.port}/data/x`)).status).toBe(401);
    expect(await scrape()).toBe(before + 1);
    const onRequestPort = await fetch(`http://127.0.0.1:${data.port}/metrics`);
    expect(onRequestPort.status).toBe(404);
    expect(await onRequestPort.text()).not.toContain('keyward_');
    // Its own series only: no other function's routes.
    expect(await (await fetch(`http://127.0.0.1:${data.metricsPort}/metrics`)).text()).not.toContain('route="login"');
  });

  it('serves only its own routes: POST /token is 404 here', async () => {
    const response = await fetch(`http://127.0.0.1:${data.port}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: tenant.admin.username, password: tenant.admin.password }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
    expect((await fetch(`http://127.0.0.1:${data.port}/users/me`, { headers: { authorization: `Bearer ${tenant.admin.token}` } })).status).toBe(404);
  });

  it('with a real token, POST /data then GET /data/{key} works over HTTP', async () => {
    const headers = { authorization: `Bearer ${tenant.admin.token}`, 'content-type': 'application/json' };
    const created = await fetch(`http://127.0.0.1:${data.port}/data`, { method: 'POST', headers, body: JSON.stringify({ key: 'from/bundle', value: { n: 1 } }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ key: 'from/bundle', value: { n: 1 }, version: 1 });
    const read = await fetch(`http://127.0.0.1:${data.port}/data/${encodeURIComponent('from/bundle')}`, { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ key: 'from/bundle', value: { n: 1 } });
    // The in-process app shares the Redis: it sees the item too.
    expect((await app.request('GET', `/data/${encodeURIComponent('from/bundle')}`, { token: tenant.admin.token })).body.value).toEqual({ n: 1 });
  });

  it('a thrown error is never a 200 over HTTP: malformed JSON 400, unknown route 404', async () => {
    const bad = await fetch(`http://127.0.0.1:${data.port}/data`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.admin.token}`, 'content-type': 'application/json' },
      body: '{"key":',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_json' });
    expect((await fetch(`http://127.0.0.1:${data.port}/nowhere`)).status).toBe(404);
  });
});

describe('bundles: dist/token/index.js', () => {
  it('logs in over HTTP and serves only its own routes', async () => {
    const app = await createTestApp();
    try {
      const tenant = await newTenant(app);
      const token = await startBundle('token');
      console.log(`cold start of dist/token/index.js: ${token.coldStartMs.toFixed(0)} ms`);
      const login = await fetch(`http://127.0.0.1:${token.port}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: tenant.admin.username, password: tenant.admin.password }),
      });
      expect(login.status).toBe(200);
      const body = (await login.json()) as { access_token: string; token_type: string };
      expect(body.token_type).toBe('bearer');
      expect((await app.request('GET', '/data', { token: body.access_token })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${token.port}/data`, { headers: { authorization: `Bearer ${body.access_token}` } })).status).toBe(404);
      token.child.kill('SIGTERM');
      expect((await withTimeout(token.exited, 15_000, 'token exit')).code).toBe(0);
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe('bundles: dist/console/index.js', () => {
  it('serves the console built beside it (dist/console/app/), whatever the working directory, and nothing of the API', async () => {
    const served = await startBundle('console');
    try {
      console.log(`cold start of dist/console/index.js: ${served.coldStartMs.toFixed(0)} ms`);
      const base = `http://127.0.0.1:${served.port}`;
      const page = await fetch(`${base}/console/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      const script = /src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/.exec(await page.text())?.[1] ?? '';
      const asset = await fetch(`${base}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await asset.text()).toBe(readFileSync(join(root, 'dist', 'console', 'app', script.replace('/console/', '')), 'utf8'));
      expect((await fetch(`${base}/console/assets/..%2Fmanifest.json`)).status).toBe(404);
      expect((await fetch(`${base}/data`)).status).toBe(404);
    } finally {
      served.child.kill('SIGTERM');
      await withTimeout(served.exited, 15_000, 'console exit');
    }
  }, 60_000);
});

describe('bundles: a bcrypt worker that fails to load', () => {
  it('makes a login answer 500 internal_error at once (not hang), and logins work again once the file is fixed', async () => {
    const app = await createTestApp();
    try {
      const tenant = await newTenant(app);
      // A copy of dist/token whose worker file is empty, as a process saw it mid-build.
      const dir = join(workDir, 'token-empty-worker');
      cpSync(join(root, 'dist', 'token'), dir, { recursive: true });
      const workerFile = join(dir, 'bcrypt-worker.mjs');
      const workerCode = readFileSync(workerFile);
      writeFileSync(workerFile, '');
      const token = await startBundle('token', { BCRYPT_COST: '4' }, dir);
      const login = (username: string, password: string) =>
        withTimeout(
          fetch(`http://127.0.0.1:${token.port}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ username, password }),
          }),
          15_000,
          `login of ${username}`,
        );
      try {
        const known = await login(tenant.admin.username, tenant.admin.password);
        expect(known.status).toBe(500);
        expect(await known.json()).toMatchObject({ code: 'internal_error' });
        // An unknown username is checked against a dummy hash, made by the same workers.
        const unknown = await login('nobody-at-all', 'some password');
        expect(unknown.status).toBe(500);
        expect(await unknown.json()).toMatchObject({ code: 'internal_error' });

        writeFileSync(workerFile, workerCode);
        expect((await login(tenant.admin.username, tenant.admin.password)).status).toBe(200);
        expect((await login('nobody-at-all', 'some password')).status).toBe(401);
      } finally {
        token.child.kill('SIGTERM');
        await withTimeout(token.exited, 15_000, 'token exit');
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe('bundles: shutdown and refusal to start', () => {
  it('on SIGTERM finishes the request in flight, drops idle keep-alive connections, exits 0, and refuses afterwards', async () => {
    const app = await createTestApp();
    const tenant = await newTenant(app);
    await app.close();
    const data = await startBundle('data');
    const agent = new Agent({ keepAlive: true });
    try {
      // An idle keep-alive connection: it must not hold the process open.
      const warm = await new Promise<number>((done, fail) => {
        const request = httpRequest({ host: '127.0.0.1', port: data.port, path: '/healthz', agent }, (response) => {
          response.resume();
          response.on('end', () => done(response.statusCode ?? 0));
        });
        request.on('error', fail);
        request.end();
      });
      expect(warm).toBe(200);

      // A request in flight: headers and half its body sent, the rest after SIGTERM.
      const body = JSON.stringify({ key: 'in-flight', value: 'x'.repeat(2000) });
      const inFlight = new Promise<{ status: number; connection: string | undefined; text: string }>((done, fail) => {
        const request = httpRequest(
          {
            host: '127.0.0.1',
            port: data.port,
            method: 'POST',
            path: '/data',
            agent: false,
            headers: { authorization: `Bearer ${tenant.admin.token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => done({ status: response.statusCode ?? 0, connection: response.headers.connection, text }));
          },
        );
        request.on('error', fail);
        request.write(body.slice(0, 1000));
        setTimeout(() => {
          data.child.kill('SIGTERM');
          setTimeout(() => request.end(body.slice(1000)), 300);
        }, 200);
      });

      const finished = await withTimeout(inFlight, 15_000, 'in-flight request');
      expect(finished.status, finished.text).toBe(201);
      expect(finished.connection).toBe('close');
      const exit = await withTimeout(data.exited, 15_000, 'exit after SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
      expect(data.stderr()).toBe('');
      // The process logged its start and its drain (nothing lost at exit).
      expect(data.stdout()).toContain('data listening');
      expect(data.stdout()).toContain('draining');
      await expect(fetch(`http://127.0.0.1:${data.port}/healthz`)).rejects.toThrow();

      const check = await createTestApp();
      try {
        expect((await check.request('GET', '/data/in-flight', { token: tenant.admin.token })).status).toBe(200);
      } finally {
        await check.close();
      }
    } finally {
      agent.destroy();
      if (data.child.exitCode === null) data.child.kill('SIGKILL');
    }
  }, 60_000);

  it('exits quickly on SIGTERM when idle', async () => {
    const data = await startBundle('data');
    const kept = await fetch(`http://127.0.0.1:${data.port}/healthz`);
    expect(kept.status).toBe(200);
    const signalledAt = performance.now();
    data.child.kill('SIGTERM');
    const exit = await withTimeout(data.exited, 15_000, 'exit after SIGTERM');
    expect(exit.code).toBe(0);
    console.log(`dist/data/index.js exited ${(performance.now() - signalledAt).toFixed(0)} ms after SIGTERM`);
    await expect(fetch(`http://127.0.0.1:${data.port}/healthz`)).rejects.toThrow();
  }, 30_000);

  it('refuses to start in production without JWT_SIGNING_KEYS: exit code 1, stderr names it', async () => {
    const port = await freePort();
    const started = spawnBundle('data', productionEnv(port, { JWT_SIGNING_KEYS: undefined }));
    const exit = await withTimeout(started.exited, 15_000, 'exit without secrets');
    expect(exit.code).toBe(1);
    expect(started.stderr()).toContain('JWT_SIGNING_KEYS');
    expect(started.stderr()).not.toContain('API_KEY_PEPPER');
    expect(started.stderr()).not.toMatch(/\bat .*index\.js/); // a message, not a stack trace
  }, 30_000);

  it('refuses to start with an invalid setting: exit code 1, stderr names it', async () => {
    const port = await freePort();
    const started = spawnBundle('data', productionEnv(port, { LOG_LEVEL: 'loud' }));
    const exit = await withTimeout(started.exited, 15_000, 'exit with bad config');
    expect(exit.code).toBe(1);
    expect(started.stderr()).toContain('LOG_LEVEL');
  }, 30_000);
});
