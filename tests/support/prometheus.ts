import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { dig, loadManifests } from './manifests.js';

/**
 * Debian's `prometheus` package (2.42: `prometheus` and `promtool` on the PATH; .ci/run installs
 * it). It is built without Kubernetes service discovery, so a test scrapes with static_configs.
 */

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function promtool(args: string[], input?: string): CommandResult {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool: ${run.error.message} (apt-get install prometheus)`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The files of the committed ConfigMap prometheus-keyward-scrape (knative/infra/prometheus.yaml), by key. */
export function shippedPrometheusFiles(): Record<string, string> {
  const configMap = loadManifests('knative').find(({ object }) => object.kind === 'ConfigMap' && dig(object, 'metadata', 'name') === 'prometheus-keyward-scrape');
  if (!configMap) throw new Error('no ConfigMap prometheus-keyward-scrape under knative/');
  return dig(configMap.object, 'data') as Record<string, string>;
}

export interface PrometheusServer {
  url: string;
  dir: string;
  /** GET /api/v1/<path> with query parameters; throws unless the answer's status is "success". */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<T>;
  /** An instant query's vector: each series' labels and value. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/**
 * Starts `prometheus` on a free loopback port with a data directory of its own, `config` as its
 * prometheus.yml and `files` beside it (rules), and resolves once it is ready.
 */
export async function startPrometheus(config: Record<string, unknown>, files: Record<string, string> = {}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
    const ready = await fetch(`${url}/-/ready`).then((response) => response.ok, () => false);
    if (ready) break;
    if (attempt > 300) {
      await stop();
      throw new Error(`prometheus not ready on ${url}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    dir,
    api,
    async query(expr) {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('query', { query: expr });
      return data.result.map((entry) => ({ metric: entry.metric, value: Number(entry.value[1]) }));
    },
    stop,
  };
}
