// The functions (and the ceilings) as separate processes, each on ports of its own, as deployed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { waitFor } from '../support/redis-topologies.js';

export interface Served {
  url: string;
  pid: number;
}

const workDir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));

/** The environment every bench function runs with; `redis`: REDIS_URL or the Sentinel settings. */
export function functionEnv(redis: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ...redis,
    JWT_SIGNING_KEYS: 'bench-1:bench-signing-secret-0123456789abcdef0123',
    API_KEY_PEPPER: 'bench-pepper-0123456789abcdef0123456789',
    // The growth and memory figures hold more than the default limits of a tenant.
    API_KEYS_MAX_PER_TENANT: '10000000',
    DATA_MAX_KEYS_PER_TENANT: '10000000',
    LOG_LEVEL: 'warn',
    KEYWARD_DATA_DIR: workDir,
    SECRETS_DIR: join(workDir, 'no-secrets'),
  };
}

/** Starts processes and kills them all at the end. */
export class ProcessGroup {
  private readonly children: ChildProcess[] = [];

  /** Runs `script` with `env` and resolves once its /healthz answers. */
  async start(script: string, env: Record<string, string>): Promise<Served> {
    const port = await freePort();
    // Each function serves its metrics on a port of its own (the default would be taken by the first).
    const child = spawn(process.execPath, [script], { env: { ...env, PORT: String(port), METRICS_PORT: String(await freePort()) }, stdio: ['ignore', 'ignore', 'inherit'] });
    this.children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${url}/healthz`).then((response) => response.ok, () => false), `${script} on ${port}`, 30_000);
    if (child.pid === undefined) throw new Error(`${script} has no pid`);
    return { url, pid: child.pid };
  }

  stopAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}
