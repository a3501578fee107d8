import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { kubernetesTerminationGraceS, templateName, upstreamPort } from '../shared/deploy/functions.js';
import { freePort } from '../shared/gateway/redis-discovery.js';
import { dockerfileProblems, finalEnv, parseDockerfile } from './support/dockerfile.js';
import { repoRoot } from './support/manifests.js';

const templateDir = join(repoRoot, 'template', templateName);
const dockerfile = readFileSync(join(templateDir, 'Dockerfile'), 'utf8');
const templateYml = parseYaml(readFileSync(join(templateDir, 'template.yml'), 'utf8')) as { language: string; fprocess: string };
const workDir = mkdtempSync(join(tmpdir(), 'keyward-template-'));
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

describe('template/keyward-node20: the Dockerfile', () => {
  it('pinned base images, a numeric non-root user, consistent watchdog timeouts: no problems', () => {
    expect(dockerfileProblems(dockerfile, kubernetesTerminationGraceS)).toEqual([]);
  });

  it('multi-stage: builds dist/<FUNCTION>/ with build.mjs and copies only that bundle into a Node 20 image with of-watchdog', () => {
    const stages = parseDockerfile(dockerfile);
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'watchdog', 'ship']);
    for (const stage of [stages[0], stages[2]]) expect(stage?.base).toMatch(/^node:20\.\d+\.\d+-alpine/);
    expect(stages[0]?.base).toBe(stages[2]?.base);
    expect(stages[1]?.base).toMatch(/^ghcr\.io\/openfaas\/of-watchdog:\d+\.\d+\.\d+$/);
    const build = stages[0]?.instructions ?? [];
    expect(build).toContainEqual({ keyword: 'ARG', args: 'FUNCTION' });
    expect(build.find((i) => i.keyword === 'RUN' && i.args.includes('build.mjs'))?.args).toContain('--only "${FUNCTION}"');
    const ship = stages[2]?.instructions ?? [];
    expect(ship).toContainEqual({ keyword: 'COPY', args: '--from=build /src/dist/${FUNCTION}/ ./' });
    expect(ship).toContainEqual({ keyword: 'COPY', args: '--from=watchdog /fwatchdog /usr/bin/fwatchdog' });
    expect(ship.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build'))).toHaveLength(1);
    expect(ship.at(-1)).toEqual({ keyword: 'ENTRYPOINT', args: '["/usr/local/bin/entrypoint.sh"]' });
  });

  it('of-watchdog in http mode in front of the function on 127.0.0.1:3000, starting template.yml\'s fprocess', () => {
    const env = finalEnv(parseDockerfile(dockerfile));
    expect(env).toMatchObject({ mode: 'http', upstream_url: `http://127.0.0.1:${upstreamPort}`, PORT: String(upstreamPort), ready_path: '/readyz', NODE_ENV: 'production' });
    expect(templateYml.language).toBe(templateName);
    expect(env.fprocess).toBe(templateYml.fprocess);
    for (const script of ['entrypoint.sh', 'run-function.sh']) expect(statSync(join(templateDir, script)).mode & 0o111, script).not.toBe(0);
  });

  it('catches broken copies: floating or latest tags, no USER, a root or named USER, inconsistent timeouts', () => {
    const problems = (text: string) => dockerfileProblems(text, kubernetesTerminationGraceS);
    expect(problems(dockerfile.replace('FROM node:20.20.2-alpine AS ship', 'FROM node:20-alpine AS ship'))).toEqual([
      'base image node:20-alpine is not pinned to a full version tag or a digest',
    ]);
    expect(problems(dockerfile.replace('of-watchdog:0.11.6', 'of-watchdog:latest'))).toEqual(['base image ghcr.io/openfaas/of-watchdog:latest is not pinned to a full version tag or a digest']);
    expect(problems(dockerfile.replace('of-watchdog:0.11.6', 'of-watchdog'))).toHaveLength(1);
    expect(problems(dockerfile.replace('of-watchdog:0.11.6', `of-watchdog@sha256:${'a'.repeat(64)}`))).toEqual([]);
    expect(problems(dockerfile.replace('USER 1000:1000', ''))).toEqual(['the final stage sets no USER (it would run as root)']);
    expect(problems(dockerfile.replace('USER 1000:1000', 'USER 0'))).toEqual(['USER 0 is root']);
    expect(problems(dockerfile.replace('USER 1000:1000', 'USER node'))).toEqual(['USER node is not numeric (Kubernetes cannot check runAsNonRoot)']);
    expect(problems(dockerfile.replace('write_timeout="15s"', 'write_timeout="5s"'))).toEqual(expect.arrayContaining(['write_timeout 5s is shorter than exec_timeout 10s']));
    expect(problems(dockerfile.replace('read_timeout="15s"', 'read_timeout="9s"'))).toEqual(['read_timeout 9s is shorter than exec_timeout 10s']);
    expect(problems(dockerfile.replace('healthcheck_interval="5s"', 'healthcheck_interval="20s"'))).toEqual(expect.arrayContaining([expect.stringMatching(/not below the 30s termination grace/)]));
    expect(problems(dockerfile.replace('upstream_url="http://127.0.0.1:3000"', 'upstream_url="http://127.0.0.1:8080"'))).toEqual(["upstream_url port 8080 is not the function's PORT 3000"]);
  });
});

/** The image's environment (the Dockerfile's ENV) plus what the platform adds, as the scripts see it. */
function imageEnv(extra: Record<string, string>): Record<string, string> {
  const bin = join(workDir, 'bin');
  return { ...finalEnv(parseDockerfile(dockerfile)), PATH: `${bin}:${templateDir}:${process.env.PATH ?? ''}`, ...extra };
}

function run(script: string, cwd: string, env: Record<string, string>) {
  const child = spawn('/bin/sh', [join(templateDir, script)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited, output: () => out };
}

describe('template/keyward-node20: one image, two platforms (entrypoint.sh)', () => {
  const app = join(workDir, 'entry');
  mkdirSync(join(workDir, 'bin'), { recursive: true });
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'index.js'), 'console.log(`function alone on HOST=${process.env.HOST} PORT=${process.env.PORT}`);\n');
  // Stands in for of-watchdog: shows what it would be started with.
  writeFileSync(join(workDir, 'bin', 'fwatchdog'), '#!/bin/sh\necho "watchdog mode=$mode upstream=$upstream_url fprocess=$fprocess PORT=$PORT HOST=${HOST:-unset}"\n', { mode: 0o755 });

  it('on OpenFaaS (no K_SERVICE) it starts of-watchdog in http mode; the function keeps to loopback behind it', async () => {
    const started = run('entrypoint.sh', app, imageEnv({}));
    expect(await started.exited).toBe(0);
    expect(started.output().trim()).toBe(`watchdog mode=http upstream=http://127.0.0.1:${upstreamPort} fprocess=run-function.sh PORT=${upstreamPort} HOST=unset`);
  });

  it('on Knative (K_SERVICE and PORT set) it runs the function alone on PORT, on every interface (the liveness probe comes to the pod address), no watchdog', async () => {
    const started = run('entrypoint.sh', app, imageEnv({ K_SERVICE: 'token', PORT: '8080' }));
    expect(await started.exited).toBe(0);
    expect(started.output().trim()).toBe('function alone on HOST=0.0.0.0 PORT=8080');
    const pinned = run('entrypoint.sh', app, imageEnv({ K_SERVICE: 'token', PORT: '8080', HOST: '::' }));
    expect(await pinned.exited).toBe(0);
    expect(pinned.output().trim()).toBe('function alone on HOST=:: PORT=8080');
  });
});

describe('template/keyward-node20: run-function.sh under of-watchdog', () => {
  const app = join(workDir, 'drain');
  mkdirSync(app, { recursive: true });
  // A function that records when SIGTERM reaches it and then drains for 200 ms.
  writeFileSync(
    join(app, 'index.js'),
    `const http = require('node:http');
if (process.env.EXIT_AT_ONCE) process.exit(Number(process.env.EXIT_AT_ONCE));
const server = http.createServer((req, res) => res.end('ok'));
server.listen(Number(process.env.PORT), () => console.log('listening'));
process.on('SIGTERM', () => {
  console.log('SIGTERM at ' + Date.now());
  server.close();
  setTimeout(() => process.exit(0), 200);
});
`,
  );
  writeFileSync(join(app, 'package.json'), '{ "type": "commonjs" }\n');

  it('holds SIGTERM back for healthcheck_interval (the function keeps serving), then passes it on and exits with its status', async () => {
    const port = await freePort();
    const started = run('run-function.sh', app, imageEnv({ PORT: String(port), healthcheck_interval: '1s' }));
    const deadline = Date.now() + 10_000;
    while (!started.output().includes('listening') && Date.now() < deadline) await sleep(20);
    const signalledAt = Date.now();
    started.child.kill('SIGTERM');
    await sleep(300);
    const during = await fetch(`http://127.0.0.1:${port}/`);
    expect(during.status).toBe(200);
    expect(await started.exited).toBe(0);
    const forwardedAt = Number(/SIGTERM at (\d+)/.exec(started.output())?.[1]);
    expect(forwardedAt - signalledAt).toBeGreaterThanOrEqual(900);
    expect(forwardedAt - signalledAt).toBeLessThan(3000);
  }, 20_000);

  it("passes on the function's own exit status (of-watchdog stops when its process fails)", async () => {
    const started = run('run-function.sh', app, imageEnv({ PORT: '0', EXIT_AT_ONCE: '3' }));
    expect(await started.exited).toBe(3);
  });
});
