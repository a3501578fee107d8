import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisTopology } from '../shared/deploy/cluster.js';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { dig, loadManifests } from './support/manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-redis-config-'));
const children: ChildProcess[] = [];
const clients: Redis[] = [];
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sleep(50);
  rmSync(dir, { recursive: true, force: true });
});

const configMap = loadManifests('knative/infra').find(({ object }) => object.kind === 'ConfigMap' && dig(object, 'metadata', 'name') === 'redis-config');
const data = dig(configMap?.object, 'data') as Record<string, string>;

/** The text the init scripts write, with this machine's addresses for the pods' DNS names and ports. */
function localize(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function start(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('knative/infra/redis.yaml: the generated configs run on a real redis-server', () => {
  it("the master's redis.conf (with what redis-init.sh appends) and sentinel-init.sh's sentinel.conf are accepted, and the Sentinel monitors the master with the passwords", async () => {
    const port = await freePort();
    const sentinelPort = await freePort();
    const values = { REDIS_PASSWORD: 'redis-pw-0123456789', SENTINEL_PASSWORD: 'sentinel-pw-0123456789', self: '127.0.0.1', master: '127.0.0.1' };

    // redis-init.sh: the base file plus the lines it echoes (password, announced name and port).
    const block = /^\{\n([\s\S]*?)\n\} >> "\$conf"$/m.exec(data['redis-init.sh'] ?? '')?.[1] ?? '';
    const appended = [...block.matchAll(/^ {2}echo "([^"]+)"$/gm)].map((match) => match[1] ?? '');
    expect(appended).toHaveLength(4);
    const redisConf = `${data['redis.conf']}${appended.join('\n')}\n`
      .replace(`port ${redisTopology.port}`, `port ${port}`)
      .replace(/^dir .*$/m, `dir ${dir}`)
      .replace(`replica-announce-port ${redisTopology.port}`, `replica-announce-port ${port}`);
    writeFileSync(join(dir, 'redis.conf'), localize(redisConf, values));
    start([join(dir, 'redis.conf')]);

    const heredoc = /cat > \/etc\/sentinel\/sentinel\.conf <<EOF\n([\s\S]*?)\nEOF/.exec(data['sentinel-init.sh'] ?? '')?.[1];
    expect(heredoc).toBeDefined();
    const sentinelConf = (heredoc ?? '')
      .replaceAll(String(redisTopology.sentinelPort), String(sentinelPort))
      .replace(/^sentinel monitor (\S+) \$\{master\} \d+/m, `sentinel monitor $1 \${master} ${port}`)
      .replace(/^dir .*$/m, `dir ${dir}`);
    writeFileSync(join(dir, 'sentinel.conf'), localize(sentinelConf, values));

    // It wants the password.
    const anonymous = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    clients.push(anonymous);
    anonymous.on('error', () => undefined);
    const refusal = await until(async () => anonymous.ping().then(() => 'answered without a password', (error: Error) => (/NOAUTH/.test(error.message) ? error.message : undefined)), 'redis-server');
    expect(refusal).toMatch(/NOAUTH/);
    const redis = new Redis({ port, host: '127.0.0.1', password: values.REDIS_PASSWORD, maxRetriesPerRequest: 1 });
    clients.push(redis);
    redis.on('error', () => undefined);
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);

    start([join(dir, 'sentinel.conf'), '--sentinel']);
    const sentinel = new Redis({ port: sentinelPort, host: '127.0.0.1', password: values.SENTINEL_PASSWORD, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    clients.push(sentinel);
    sentinel.on('error', () => undefined);
    const address = await until(async () => (await sentinel.call('SENTINEL', 'get-master-addr-by-name', redisTopology.masterName)) as string[] | undefined, 'the Sentinel');
    expect(address).toEqual(['127.0.0.1', String(port)]);
    // Authenticated to the master (auth-pass): its flags settle on plain "master", not down.
    const flags = await until(async () => {
      const fields = (await sentinel.call('SENTINEL', 'master', redisTopology.masterName)) as string[];
      const value = fields[fields.indexOf('flags') + 1];
      const replies = Number(fields[fields.indexOf('last-ok-ping-reply') + 1]);
      return value === 'master' && replies < 1000 ? value : undefined;
    }, 'the Sentinel to reach the master');
    expect(flags).toBe('master');
  }, 30_000);
});
