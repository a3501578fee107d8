import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersPing, findRedis, freePort, NoRedisError } from '../shared/gateway/redis-discovery.js';
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

  async function startGateway(): Promise<{ child: ChildProcess; output: () => string; startedInMs: number }> {
    port = await freePort();
    const began = performance.now();
    const child = spawn(process.execPath, ['dist/gateway/index.js'], {
      env: { PATH: process.env.PATH, REDIS_URL: redis.url, PORT: String(port), KEYWARD_DATA_DIR: dataDir, BCRYPT_COST: '4', LOG_LEVEL: 'warn' },
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
});
