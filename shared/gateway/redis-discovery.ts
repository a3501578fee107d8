import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { maskRedisUrl } from '../redis/mask-url.js';

export interface FoundRedis {
  /** What to show: the URL (its password masked), or the Sentinels or cluster nodes configured. */
  url: string;
  /** Environment to add to the process's own: REDIS_URL when the Redis was found rather than configured. */
  env: Record<string, string>;
  how: 'configured' | 'local' | 'private';
  /** Set when this process started the server; stop it on exit. */
  child?: ChildProcess;
}

export class NoRedisError extends Error {
  override name = 'NoRedisError';
}

const noRedisHelp =
  'No Redis found. Set REDIS_URL, run one on 127.0.0.1:6379, or install redis-server (Debian/Ubuntu: apt-get install redis-server) so keyward can start its own.';

/**
 * Redis for local runs (SPEC §2): REDIS_URL (or Sentinels, or cluster nodes) if set; else 127.0.0.1:6379 if it answers; else a
 * private server already started under `<dataDir>/redis`; else (when allowed) a new private
 * `redis-server` keeping its data there.
 */
export async function findRedis(
  env: Record<string, string | undefined>,
  dataDir: string,
  options: { start: boolean; localPort?: number },
): Promise<FoundRedis> {
  const configured =
    (env.REDIS_URL && maskRedisUrl(env.REDIS_URL)) ?? (env.REDIS_SENTINELS && `sentinels ${env.REDIS_SENTINELS}`) ?? (env.REDIS_CLUSTER_NODES && `cluster ${env.REDIS_CLUSTER_NODES}`);
  if (configured) return { url: configured, env: {}, how: 'configured' };
  const localPort = options.localPort ?? 6379;
  const found = (url: string, how: 'local' | 'private', child?: ChildProcess): FoundRedis => ({ url, env: { REDIS_URL: url }, how, ...(child ? { child } : {}) });
  if (await answersPing('127.0.0.1', localPort)) return found(`redis://127.0.0.1:${localPort}`, 'local');
  const dir = join(dataDir, 'redis');
  const urlFile = join(dir, 'url');
  const previous = readText(urlFile);
  if (previous) {
    const { hostname, port } = new URL(previous);
    if (await answersPing(hostname, Number(port))) return found(previous, 'private');
  }
  if (!options.start) throw new NoRedisError(noRedisHelp);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'], {
    stdio: 'ignore',
  });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!spawned) throw new NoRedisError(noRedisHelp);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await answersPing('127.0.0.1', port)) {
      const url = `redis://127.0.0.1:${port}`;
      writeFileSync(urlFile, url);
      return found(url, 'private', child);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new NoRedisError(`redis-server did not answer on port ${port}; see ${dir}`);
}

/** True when a Redis server answers PING at host:port within half a second. */
export function answersPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
