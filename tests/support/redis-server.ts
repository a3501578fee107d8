import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersPing, freePort } from '../../shared/gateway/redis-discovery.js';

export interface RedisProcess {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a real `redis-server` on a free port with a private directory; `extraArgs` add config. */
export async function startRedisServer(extraArgs: string[] = [], options: { port?: number } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'keyward-redis-'));
  return startRedisProcess(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extraArgs], port, dir);
}

/** Runs `redis-server <args>` (a server or a Sentinel) and resolves once it answers PING on `port`. */
export async function startRedisProcess(args: string[], port: number, dir: string): Promise<RedisProcess> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await answersPing('127.0.0.1', port)) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        dir,
        process: child,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null) child.kill(signal);
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server ${args.join(' ')} did not start on port ${port} (is redis-server installed?)`);
}
