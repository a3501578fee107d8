import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersPing, findRedis, freePort, NoRedisError } from '../shared/gateway/redis-discovery.js';
import { maskRedisUrl } from '../shared/redis/mask-url.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

const buildModule = new URL('../build.mjs', import.meta.url).href;

describe('gateway: finding Redis (SPEC §2)', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-gw-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('takes Sentinels or cluster nodes when they are set, without probing', async () => {
    expect((await findRedis({ REDIS_SENTINELS: 'h:1,h:2' }, tempDir(), { start: true })).how).toBe('configured');
    expect((await findRedis({ REDIS_CLUSTER_NODES: 'h:1' }, tempDir(), { start: true })).env).toEqual({});
  });

  it('takes REDIS_URL when it is set, without probing', async () => {
    const found = await findRedis({ REDIS_URL: 'redis://example:1' }, tempDir(), { start: true });
    expect(found).toEqual({ url: 'redis://example:1', env: {}, how: 'configured' });
  });

  it('shows a configured REDIS_URL without its password (SPEC §2)', async () => {
    const found = await findRedis({ REDIS_URL: 'redis://:s3cret-pass@example:1/2' }, tempDir(), { start: true });
    expect(found.url).toBe('redis://***@example:1/2');
  });

  it('takes the local server when it answers', async () => {
    const local = await startRedisServer();
    try {
      const found = await findRedis({}, tempDir(), { start: true, localPort: local.port });
      expect(found).toEqual({ url: local.url, env: { REDIS_URL: local.url }, how: 'local' });
    } finally {
      await local.stop();
    }
  });

  it('starts a private redis-server keeping its data under the data dir, and reuses it afterwards', async () => {
    const dataDir = tempDir();
    const closedPort = await freePort();
    const started = await findRedis({}, dataDir, { start: true, localPort: closedPort });
    try {
      expect(started.how).toBe('private');
      expect(started.child).toBeDefined();
      const port = Number(new URL(started.url).port);
      expect(await answersPing('127.0.0.1', port)).toBe(true);
      const again = await findRedis({}, dataDir, { start: false, localPort: closedPort });
      expect(again).toEqual({ url: started.url, env: { REDIS_URL: started.url }, how: 'private' });
    } finally {
      started.child?.kill('SIGTERM');
    }
  });

  it('says how to get Redis when there is none and it may not start one', async () => {
    const closedPort = await freePort();
    await expect(findRedis({}, tempDir(), { start: false, localPort: closedPort })).rejects.toThrow(NoRedisError);
    await expect(findRedis({}, tempDir(), { start: false, localPort: closedPort })).rejects.toThrow(/REDIS_URL.*redis-server/);
  });

  it('says how to get Redis when redis-server is not on the PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = tempDir();
    try {
      await expect(findRedis({}, tempDir(), { start: true, localPort: await freePort() })).rejects.toThrow(/apt-get install redis-server/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('gateway: a Redis URL as shown (maskRedisUrl)', () => {
  it('shows the password, a username:password pair, or any user info as ***; keeps the rest', () => {
    const cases: [string, string][] = [
      ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
      ['redis://:s3cret@127.0.0.1:6379', 'redis://***@127.0.0.1:6379'],
      ['redis://alice:s3cret@redis.example:6380/2', 'redis://***@redis.example:6380/2'],
      ['rediss://alice:s3cret@[::1]:6379', 'rediss://***@[::1]:6379'],
      // A bare user info may be a password (older clients read it so): hidden too.
      ['redis://s3cret@host:1', 'redis://***@host:1'],
      // An unencoded @ or / in a password: everything up to the last @ goes.
      ['redis://:p@ss/w@rd@host:1/0', 'redis://***@host:1/0'],
      ['redis://host:1/0?password=s3cret&db=2', 'redis://host:1/0?password=***&db=2'],
      ['redis://host:1?sentinelPassword=s3cret', 'redis://host:1?sentinelPassword=***'],
      ['not a url :s3cret@host', '***@host'],
    ];
    for (const [url, shown] of cases) {
      expect(maskRedisUrl(url), url).toBe(shown);
      expect(maskRedisUrl(url), url).not.toContain('s3cret');
      expect(maskRedisUrl(maskRedisUrl(url)), url).toBe(shown);
    }
  });
});

describe('gateway: the npm start process', () => {
  let redis: RedisProcess;
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    const { buildBundles } = (await import(buildModule)) as { buildBundles(names: string[], options: { quiet: boolean }): Promise<unknown> };
    await buildBundles(['gateway'], { quiet: true });
    redis = await startRedisServer();
    dataDir = mkdtempSync(join(tmpdir(), 'keyward-gw-data-'));
  }, 120_000);
  afterAll(async () => {
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startGateway(env: Record<string, string> = {}): Promise<{ child: ChildProcess; output: () => string; startedInMs: number }> {
    port = await freePort();
    const began = performance.now();
    const child = spawn(process.execPath, ['dist/gateway/index.js'], {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: redis.url,
        PORT: String(port),
        KEYWARD_DATA_DIR: dataDir,
        BCRYPT_COST: '4',
        LOG_LEVEL: 'warn',
        // Not during a test (once a year): its runs would coalesce the test's own triggers.
        AUDIT_OFFLOAD_SCHEDULE: '0 0 1 1 *',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (output.includes('keyward gateway on')) break;
      if (child.exitCode !== null) throw new Error(`gateway exited: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // The banner is written after the demo tenant; give the rest of the lines a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { child, output: () => output, startedInMs: performance.now() - began };
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  it('creates the demo tenant on an empty database, prints its password once, and serves every function', async () => {
    const first = await startGateway();
    console.log(`gateway: process start to listening ${first.startedInMs.toFixed(0)} ms`);
    const password = /password: (\S+)/.exec(first.output())?.[1];
    expect(first.output()).toContain('username: demo-admin');
    expect(password).toBeDefined();

    const base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/token`, { method: 'POST', body: new URLSearchParams({ username: 'demo-admin', password: password ?? '' }) });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await fetch(`${base}/data`, { method: 'POST', headers: auth, body: JSON.stringify({ key: 'k', value: 1 }) })).status).toBe(201);
    expect((await fetch(`${base}/function/data/data/k`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/users/me`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    // The console, built into dist/gateway/app/ (SPEC §13): its page and the script it names.
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${base}${script ?? ''}`)).status).toBe(200);
    const offload = await fetch(`${base}/function/audit-offload/`, { method: 'POST' });
    expect(offload.status).toBe(200);
    expect(((await offload.json()) as { shipped: number }).shipped).toBeGreaterThan(0);
    // Not a public path: the scheduled function is reachable only as /function/audit-offload.
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(404);
    expect(await stop(first.child)).toBe(0);

    const second = await startGateway();
    expect(second.output()).not.toContain('password:');
    expect(await stop(second.child)).toBe(0);
  }, 60_000);

  it('listens on 127.0.0.1 by default and prints that address; HOST=0.0.0.0 serves other machines (SPEC §2)', async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
    if (!outside) console.log('gateway: no non-loopback IPv4 address on this machine; the connection from outside is not tried');

    const loopback = await startGateway();
    try {
      expect(loopback.output()).toContain(`keyward gateway on http://127.0.0.1:${port} `);
      expect(await connects('127.0.0.1', port)).toBe(true);
      if (outside) expect(await connects(outside, port), `${outside}:${port} must refuse`).toBe(false);
    } finally {
      await stop(loopback.child);
    }

    const everywhere = await startGateway({ HOST: '0.0.0.0' });
    try {
      expect(everywhere.output()).toContain(`keyward gateway on http://0.0.0.0:${port} `);
      expect(await connects('127.0.0.1', port)).toBe(true);
      if (outside) {
        expect(await connects(outside, port)).toBe(true);
        expect((await fetch(`http://${outside}:${port}/healthz`)).status).toBe(200);
      }
    } finally {
      await stop(everywhere.child);
    }
  }, 60_000);

  it('never prints the Redis password it was given: the URL shows *** (SPEC §2)', async () => {
    const password = 's3cret-pass-4f9a';
    const guarded = await startRedisServer(['--requirepass', password]);
    try {
      const url = `redis://:${password}@127.0.0.1:${guarded.port}`;
      const gateway = await startGateway({ REDIS_URL: url, KEYWARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'keyward-gw-pass-')) });
      try {
        expect(gateway.output()).toContain(`(Redis: redis://***@127.0.0.1:${guarded.port}, configured)`);
        // It did use the password: the demo tenant was created and the gateway is ready.
        expect(gateway.output()).toContain('username: demo-admin');
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      } finally {
        await stop(gateway.child);
      }
      expect(gateway.output()).not.toContain(password);
    } finally {
      await guarded.stop();
    }
  }, 60_000);

  it("the gateway's offload timer goes through the same coalescing as POST /function/audit-offload/", async () => {
    // A Redis of its own: the interval is kept in one global key.
    const own = await startRedisServer();
    try {
      const gateway = await startGateway({
        REDIS_URL: own.url,
        KEYWARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'keyward-gw-timer-')),
        AUDIT_OFFLOAD_SCHEDULE: '* * * * * *',
        AUDIT_MIN_RUN_INTERVAL_MS: '60000',
        LOG_LEVEL: 'info',
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 2600));
        const manual = await fetch(`http://127.0.0.1:${port}/function/audit-offload/`, { method: 'POST' });
        expect(manual.status).toBe(200);
        expect(await manual.json()).toEqual({ started: false, reason: 'too_soon' });
      } finally {
        await stop(gateway.child);
      }
      // The timer fired every second, but one run started in the interval.
      const runs = gateway.output().split('\n').filter((line) => line.includes('"msg":"audit offload run"'));
      expect(runs).toHaveLength(1);
    } finally {
      await own.stop();
    }
  }, 60_000);
});

/** True when a TCP connection to host:port is accepted within 2 s. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
