import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalKeys, tenantKeyPattern, tenantKeys } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import { createTestApp, testEnv, uniqueName, type TestApp } from './support/harness.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';

// `node dist/admin/index.js` as an operator runs it, against a Redis of this file's own: standard
// input, environment and a pipe to a slow reader are what the in-process tests cannot show.

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const adminEntry = join(root, 'dist', 'admin', 'index.js');

let redis: RedisProcess;
let app: TestApp;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  redis = await startRedisServer();
  app = await createTestApp({ env: { REDIS_URL: redis.url } });
  const env = testEnv({ REDIS_URL: redis.url });
  cliEnv = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    REDIS_URL: redis.url,
    JWT_SIGNING_KEYS: env.JWT_SIGNING_KEYS ?? '',
    API_KEY_PEPPER: env.API_KEY_PEPPER ?? '',
    KEYWARD_DATA_DIR: env.KEYWARD_DATA_DIR ?? '',
    BCRYPT_COST: '4',
  };
  // build.mjs is plain JS without types: imported through a computed specifier so tsc does not ask for them.
  const buildModule: string = new URL('../build.mjs', import.meta.url).href;
  const { buildBundles } = (await import(buildModule)) as { buildBundles(names: string[], options: { quiet: boolean }): Promise<unknown> };
  await buildBundles(['admin'], { quiet: true });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await redis?.stop();
});

interface AdminRun {
  code: number | null;
  out: string;
  err: string;
}

interface AdminOptions {
  /** Written to the CLI's standard input, which is then closed (no input at all when absent). */
  stdin?: string;
  env?: Record<string, string>;
}

function runAdmin(argv: string[], options: AdminOptions = {}): Promise<AdminRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [adminEntry, ...argv], { cwd: root, env: { ...cliEnv, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.stdin.end(options.stdin ?? '');
    child.once('error', fail);
    child.once('close', (code) => done({ code, out, err }));
  });
}

/**
 * `keyward <argv> | node -e <reader>` through a shell: a real pipe (node's own child pipes are socket
 * pairs, whose larger buffers hide the problem). The reader is given a file that exists once the CLI
 * has exited; its stdout is `out`, the CLI's stderr `err`.
 */
function runAdminIntoPipe(argv: string[], reader: string): Promise<AdminRun> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-pipe-'));
  const codeFile = join(dir, 'code');
  const script = '{ "$KW_NODE" "$KW_CLI" "$@"; echo $? > "$KW_CODE"; } | "$KW_NODE" -e "$KW_READER" "$KW_CODE"';
  const env = { ...cliEnv, KW_NODE: process.execPath, KW_CLI: adminEntry, KW_CODE: codeFile, KW_READER: reader };
  return new Promise((done, fail) => {
    const shell = spawn('sh', ['-c', script, 'sh', ...argv], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    shell.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    shell.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    shell.once('error', fail);
    shell.once('close', () => {
      const code = Number(readFileSync(codeFile, 'utf8'));
      rmSync(dir, { recursive: true, force: true });
      done({ code, out, err });
    });
  });
}

/**
 * A reader slower than the CLI whatever the machine's speed: it starts reading once the CLI has
 * exited, or after `patienceMs` if it has not (a CLI that waits for its output to drain).
 */
function slowReader(patienceMs: number): string {
  return `
    const { existsSync } = require('node:fs');
    const startedAt = Date.now();
    const read = () => {
      const chunks = [];
      process.stdin.on('data', (chunk) => chunks.push(chunk)).on('end', () => process.stdout.write(Buffer.concat(chunks)));
    };
    const wait = () => (existsSync(process.argv[1]) || Date.now() - startedAt > ${patienceMs} ? read() : setTimeout(wait, 20));
    wait();`;
}

/** A reader that takes the first 10 bytes and goes away, as `head -c 10` does. */
const headReader = "process.stdin.once('data', (chunk) => { process.stdout.write(chunk.subarray(0, 10)); process.exit(0); });";

/**
 * `keyward <argv>` at a terminal: run under `script` (util-linux), which gives it a pseudo-terminal
 * as standard input and output. `typed` is sent once `prompt` is on the screen (the CLI has put the
 * terminal in the mode it reads with by then); `screen` is everything the terminal showed.
 */
function runAdminAtTerminal(argv: string[], prompt: string, typed: string): Promise<{ code: number | null; screen: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, adminEntry, ...argv].map(quote).join(' ');
  return new Promise((done, fail) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: root, env: { ...cliEnv, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      screen += chunk;
      if (!sent && screen.includes(prompt)) {
        sent = true;
        child.stdin.write(typed);
      }
    });
    child.once('error', fail);
    child.once('close', (code) => {
      child.stdin.destroy();
      done({ code, screen });
    });
  });
}

async function canLogIn(username: string, password: string): Promise<boolean> {
  const response = await app.request('POST', '/token', { form: { username, password } });
  return response.status === 200;
}

async function nothingWritten(tenantId: string, username: string): Promise<void> {
  expect(await app.services.redis.sismember(globalKeys.tenants, tenantId)).toBe(0);
  expect(await scanKeys(app.services.redis, tenantKeyPattern(tenantId))).toEqual([]);
  expect(await app.services.redis.exists(globalKeys.username(username))).toBe(0);
}

describe('admin cli process: the password, never on the command line', () => {
  it.each([
    ['a line ending in \\n', 'stdin passphrase 1\n', 'stdin passphrase 1'],
    ['a line ending in \\r\\n, more lines after it', 'stdin passphrase 2\r\nsecond line\n', 'stdin passphrase 2'],
    ['no line ending at all', 'stdin passphrase 3', 'stdin passphrase 3'],
  ])('--password-stdin takes the first line of standard input (%s) and prints nothing of it', async (_name, stdin, password) => {
    const tenantId = uniqueName('proc');
    const username = uniqueName('stdin');
    const run = await runAdmin(['tenants', 'create', tenantId, '--admin', username, '--password-stdin'], { stdin });
    expect(run.code, run.err).toBe(0);
    expect(run.err).toBe('');
    expect(run.out).toBe(`created tenant ${tenantId} with admin ${username}\n`);
    expect(await canLogIn(username, password)).toBe(true);
  });

  it('--password-stdin at a terminal asks for the password and does not show what is typed (Backspace takes one back)', async () => {
    const tenantId = uniqueName('tty');
    const username = uniqueName('tty');
    const password = 'typed at a terminal 7';
    // A wrong last character, taken back with Backspace (DEL, as terminals send it), then Enter (CR in raw mode).
    const run = await runAdminAtTerminal(['tenants', 'create', tenantId, '--admin', username, '--password-stdin'], "the admin's password, then Enter: ", `${password}x\u007f\r`);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toContain(`created tenant ${tenantId} with admin ${username}`);
    expect(run.screen).not.toContain('typed at a terminal');
    expect(await canLogIn(username, password)).toBe(true);
  });

  it('takes KEYWARD_ADMIN_PASSWORD when no flag gives one, and prints nothing of it (text and --json)', async () => {
    for (const json of [false, true]) {
      const tenantId = uniqueName('proc');
      const username = uniqueName('env');
      const run = await runAdmin(['tenants', 'create', tenantId, '--admin', username, ...(json ? ['--json'] : [])], { env: { KEYWARD_ADMIN_PASSWORD: 'env passphrase 1' } });
      expect(run.code, run.err).toBe(0);
      expect(run.out + run.err).not.toContain('env passphrase 1');
      if (json) expect(JSON.parse(run.out)).toEqual({ tenant_id: tenantId, admin: { username } });
      expect(await canLogIn(username, 'env passphrase 1')).toBe(true);
    }
  });

  it('prefers --password-stdin to KEYWARD_ADMIN_PASSWORD', async () => {
    const tenantId = uniqueName('proc');
    const username = uniqueName('both');
    const run = await runAdmin(['tenants', 'create', tenantId, '--admin', username, '--password-stdin'], { stdin: 'stdin passphrase 4\n', env: { KEYWARD_ADMIN_PASSWORD: 'env passphrase 2' } });
    expect(run.code, run.err).toBe(0);
    expect(await canLogIn(username, 'stdin passphrase 4')).toBe(true);
    expect(await canLogIn(username, 'env passphrase 2')).toBe(false);
  });

  it('still generates a password and prints it once when none is given', async () => {
    const tenantId = uniqueName('proc');
    const username = uniqueName('gen');
    const run = await runAdmin(['tenants', 'create', tenantId, '--admin', username]);
    expect(run.code, run.err).toBe(0);
    const generated = /password \(shown once\): (\S+)/.exec(run.out)?.[1] ?? '';
    expect(generated.length).toBeGreaterThanOrEqual(16);
    expect(await canLogIn(username, generated)).toBe(true);
  });

  it.each([
    ['no input for --password-stdin', ['--password-stdin'], {}, /--password-stdin: standard input gave no password/, ''],
    ['an empty first line for --password-stdin', ['--password-stdin'], { stdin: '\nlong enough later\n' }, /--password-stdin: standard input gave no password/, 'long enough later'],
    ['a short password on standard input', ['--password-stdin'], { stdin: 'short7!\n' }, /--password-stdin: Password must be at least 8 characters/, 'short7!'],
    ['over 72 bytes on standard input', ['--password-stdin'], { stdin: `${'é'.repeat(37)}\n` }, /--password-stdin: Password must be at most 72 bytes/, 'é'.repeat(37)],
    ['a short KEYWARD_ADMIN_PASSWORD', [], { env: { KEYWARD_ADMIN_PASSWORD: 'tiny-pw' } }, /KEYWARD_ADMIN_PASSWORD: Password must be at least 8 characters/, 'tiny-pw'],
    ['an empty KEYWARD_ADMIN_PASSWORD', [], { env: { KEYWARD_ADMIN_PASSWORD: '' } }, /KEYWARD_ADMIN_PASSWORD is set but empty/, ''],
    ['a short --password', ['--password', 'seven77'], {}, /--password: Password must be at least 8 characters/, 'seven77'],
    ['--password with --password-stdin', ['--password', 'flag passphrase', '--password-stdin'], { stdin: 'stdin passphrase 5\n' }, /'--password-stdin' cannot be used with option '--password/, 'passphrase'],
  ])('refuses %s: exit 2, a usage message that does not repeat it, nothing written', async (_name, flags, options: AdminOptions, message, secret) => {
    const tenantId = uniqueName('proc');
    const username = uniqueName('bad');
    const run = await runAdmin(['tenants', 'create', tenantId, '--admin', username, ...flags], options);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toMatch(message);
    expect(run.err).toMatch(/usage/i);
    if (secret !== '') expect(run.err).not.toContain(secret);
    await nothingWritten(tenantId, username);
  });
});

describe('admin cli process: output into a pipe', () => {
  const ids = Array.from({ length: 1200 }, (_, index) => `many-${String(index).padStart(4, '0')}-${uniqueName('t')}`);

  beforeAll(async () => {
    // 1,200 tenant records written straight into this file's Redis, in the layout createTenant
    // writes (shared/redis/lua/create-tenant.lua): the list's output is far over a pipe's 64 KiB.
    const pipeline = app.services.redis.pipeline();
    for (const id of ids) {
      pipeline.hset(tenantKeys(id).tenant, 'id', id, 'status', 'active', 'created_at', String(Date.now()));
      pipeline.sadd(globalKeys.tenants, id);
    }
    await pipeline.exec();
  });

  it('delivers all of `tenants list --json` for 1,200 tenants to a slow reader, with exit code 0', async () => {
    const run = await runAdminIntoPipe(['tenants', 'list', '--json'], slowReader(3000));
    expect(run.code, run.err).toBe(0);
    expect(run.err).toBe('');
    console.log(`tenants list --json: ${Buffer.byteLength(run.out)} bytes arrived`);
    expect(Buffer.byteLength(run.out)).toBeGreaterThan(2 * 65_536);
    const rows = JSON.parse(run.out) as { tenant_id: string; status: string }[];
    const listed = new Set(rows.map((row) => row.tenant_id));
    expect(ids.filter((id) => !listed.has(id))).toEqual([]);
    expect(rows.filter((row) => listed.has(row.tenant_id) && ids.includes(row.tenant_id)).every((row) => row.status === 'active')).toBe(true);
  }, 60_000);

  it('exits quietly when the reader stops early (`| head`): the rest is dropped, no EPIPE stack trace', async () => {
    const run = await runAdminIntoPipe(['tenants', 'list', '--json'], headReader);
    expect(run.out).toBe('[\n  {\n    ');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  }, 60_000);
});
