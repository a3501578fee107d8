import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../shared/admin/cli.js';
import { hashApiKey } from '../shared/api-keys/key-hash.js';
import { offloadTenant } from '../shared/audit/offload.js';
import { globalKeys, tenantKeyPattern, tenantKeys } from '../shared/redis/keys.js';
import { scanKeys } from '../shared/redis/scan.js';
import { addApiKey, addUser, createTestApp, login, pendingEvents, testEnv, uniqueName, type TestApp, type TestTenant } from './support/harness.js';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** runCli in-process on the test app's services (which stay open between commands). */
function cli(...argv: string[]): Promise<CliRun> {
  return cliWith({}, ...argv);
}

/** runCli with a standard input (its first line, as main.ts reads it) and an environment. */
async function cliWith(input: { stdinLine?: string; env?: Record<string, string> }, ...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io = {
    out: (text: string) => {
      out += text;
    },
    err: (text: string) => {
      err += text;
    },
    readStdinLine: async () => input.stdinLine ?? '',
    env: input.env ?? {},
  };
  const code = await runCli(argv, io, (work) => work(app.services));
  return { code, out, err };
}

interface TenantRow {
  tenant_id: string;
  status: string;
  created_at: string | null;
  users: number;
  api_keys: number;
  data_keys: number;
}

async function listed(): Promise<TenantRow[]> {
  const run = await cli('tenants', 'list', '--json');
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as TenantRow[];
}

async function row(tenantId: string): Promise<TenantRow | undefined> {
  return (await listed()).find((entry) => entry.tenant_id === tenantId);
}

async function tenantKeysLeft(tenantId: string): Promise<string[]> {
  return scanKeys(app.services.redis, tenantKeyPattern(tenantId));
}

const password = 'a long passphrase 1';

/** A tenant made with the CLI, its admin logged in through the gateway. */
async function cliTenant(): Promise<TestTenant> {
  const tenantId = uniqueName('cli');
  const username = uniqueName('boss');
  const run = await cli('tenants', 'create', tenantId, '--admin', username, '--password', password);
  expect(run.code, run.err).toBe(0);
  return { tenantId, admin: { username, password, token: await login(app, username, password) } };
}

function tokenRequest(username: string, pw: string) {
  return app.request('POST', '/token', { form: { username, password: pw } });
}

describe('admin cli: tenants create', () => {
  it('creates a tenant whose admin can log in with the given password', async () => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('alice');
    const run = await cli('tenants', 'create', tenantId, '--admin', username, '--password', password);
    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    expect(run.out).toContain(tenantId);
    expect(run.out).toContain(username);
    expect(run.out).not.toContain(password);
    const response = await tokenRequest(username, password);
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('bearer');
    const me = await app.request('GET', '/users/me', { token: response.body.access_token });
    expect(me.body).toMatchObject({ username, tenant_id: tenantId, role: 'admin' });
  });

  it('generates a password when none is given and prints it once (text output)', async () => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('gen');
    const run = await cli('tenants', 'create', tenantId, '--admin', username);
    expect(run.code).toBe(0);
    const match = /password \(shown once\): (\S+)/.exec(run.out);
    expect(match).not.toBeNull();
    const generated = match?.[1] ?? '';
    expect(generated.length).toBeGreaterThanOrEqual(16);
    expect(run.out.split(generated)).toHaveLength(2);
    expect((await tokenRequest(username, generated)).status).toBe(200);
  });

  it('generates a password when none is given and returns it as admin.password with --json', async () => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('gen');
    const run = await cli('tenants', 'create', tenantId, '--admin', username, '--json');
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out);
    expect(output).toMatchObject({ tenant_id: tenantId, admin: { username } });
    expect(typeof output.admin.password).toBe('string');
    expect(output.admin.password.length).toBeGreaterThanOrEqual(16);
    expect(run.out.split(output.admin.password)).toHaveLength(2);
    expect((await tokenRequest(username, output.admin.password)).status).toBe(200);
  });

  it('names the admin <tenant_id>-admin when --admin is not given', async () => {
    const tenantId = uniqueName('cli');
    const run = await cli('tenants', 'create', tenantId, '--password', password, '--json');
    expect(run.code).toBe(0);
    const output = JSON.parse(run.out);
    expect(output).toEqual({ tenant_id: tenantId, admin: { username: `${tenantId}-admin` } });
    expect(await app.services.redis.get(globalKeys.username(`${tenantId}-admin`))).toBe(tenantId);
    expect((await tokenRequest(`${tenantId}-admin`, password)).status).toBe(200);
  });

  it('prints JSON that parses for every command with --json', async () => {
    const tenantId = uniqueName('cli');
    for (const argv of [
      ['tenants', 'create', tenantId, '--admin', uniqueName('j'), '--password', password, '--json'],
      ['tenants', 'list', '--json'],
      ['tenants', 'disable', tenantId, '--json'],
      ['tenants', 'enable', tenantId, '--json'],
      ['tenants', 'delete', tenantId, '--json'],
    ]) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).toBe(0);
      expect(() => JSON.parse(run.out), argv.join(' ')).not.toThrow();
    }
  });
});

describe('admin cli: tenants list', () => {
  it('lists the tenant as active with its numbers of users, API keys and data keys', async () => {
    const tenant = await cliTenant();
    await addUser(app, tenant, 'member');
    await addUser(app, tenant, 'admin');
    await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
    for (const key of ['a', 'b', 'c', 'd']) {
      expect((await app.request('POST', '/data', { token: tenant.admin.token, json: { key, value: 1 } })).status).toBe(201);
    }
    const entry = await row(tenant.tenantId);
    expect(entry).toMatchObject({ tenant_id: tenant.tenantId, status: 'active', users: 3, api_keys: 1, data_keys: 4 });
    expect(entry?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const text = await cli('tenants', 'list');
    expect(text.code).toBe(0);
    expect(text.out).toContain(`${tenant.tenantId}\tactive\tusers=3\tapi_keys=1\tdata_keys=4`);
  });
});

describe('admin cli: tenants disable and enable', () => {
  it('refuses logins (403) and existing tokens while disabled, and restores both when enabled', async () => {
    const tenant = await cliTenant();
    const { key } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
    expect((await app.request('GET', '/users/me', { token: tenant.admin.token })).status).toBe(200);

    const disabled = await cli('tenants', 'disable', tenant.tenantId);
    expect(disabled.code).toBe(0);
    expect((await row(tenant.tenantId))?.status).toBe('disabled');

    const refusedLogin = await tokenRequest(tenant.admin.username, password);
    expect(refusedLogin.status).toBe(403);
    expect(refusedLogin.body.code).toBe('tenant_disabled');
    const refusedToken = await app.request('GET', '/users/me', { token: tenant.admin.token });
    expect(refusedToken.status).toBe(403);
    expect(refusedToken.body.code).toBe('tenant_disabled');
    const refusedKey = await app.request('GET', '/data', { apiKey: key });
    expect(refusedKey.status).toBe(403);

    const enabled = await cli('tenants', 'enable', tenant.tenantId);
    expect(enabled.code).toBe(0);
    expect((await row(tenant.tenantId))?.status).toBe('active');
    expect((await tokenRequest(tenant.admin.username, password)).status).toBe(200);
    expect((await app.request('GET', '/users/me', { token: tenant.admin.token })).status).toBe(200);
    expect((await app.request('GET', '/data', { apiKey: key })).status).toBe(200);
  });
});

describe('admin cli: tenants delete', () => {
  it('removes every key of the tenant, its usernames and API keys, and keeps its audit trail in the sink', async () => {
    const tenant = await cliTenant();
    const member = await addUser(app, tenant, 'member');
    const { key } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
    await app.request('POST', '/data', { token: tenant.admin.token, json: { key: 'kept', value: 1 } });
    expect((await app.request('GET', '/data/kept', { apiKey: key })).status).toBe(200);

    // Some events are shipped before the deletion, others are still pending when it runs.
    // (offloadTenant, not the offload route: that would ship other suites' tenants from the shared Redis)
    expect((await offloadTenant(app.services, tenant.tenantId)).shipped).toBeGreaterThan(0);
    expect(await app.services.redis.xlen(tenantKeys(tenant.tenantId).audit)).toBe(0);
    const pendingRequest = 'cli-delete-pending-1';
    await app.request('GET', '/data/kept', { token: tenant.admin.token, headers: { 'X-Request-Id': pendingRequest } });
    expect(await app.services.redis.xlen(tenantKeys(tenant.tenantId).audit)).toBeGreaterThan(0);

    const run = await cli('tenants', 'delete', tenant.tenantId);
    expect(run.code, run.err).toBe(0);

    expect(await tenantKeysLeft(tenant.tenantId)).toEqual([]);
    expect(await app.services.redis.exists(globalKeys.username(tenant.admin.username))).toBe(0);
    expect(await app.services.redis.exists(globalKeys.username(member.username))).toBe(0);
    expect(await app.services.redis.sismember(globalKeys.tenants, tenant.tenantId)).toBe(0);
    expect(await row(tenant.tenantId)).toBeUndefined();

    expect(await app.services.redis.exists(globalKeys.apiKeyTenant(hashApiKey(key, app.services.config.apiKeys.pepper)))).toBe(0);
    // refused by the tenant check (this process cached the key's tenant) and by the global lookup alike
    const byKey = await app.request('GET', '/data/kept', { apiKey: key });
    expect(byKey.status).toBe(401);
    app.services.keyTenants.clear();
    expect((await app.request('GET', '/data/kept', { apiKey: key })).status).toBe(401);
    expect((await app.request('GET', '/users/me', { token: tenant.admin.token })).status).toBe(401);
    expect((await tokenRequest(tenant.admin.username, password)).status).toBe(401);
    // Refused requests of a deleted tenant write nothing back.
    expect(await tenantKeysLeft(tenant.tenantId)).toEqual([]);

    const trail = readFileSync(join(app.services.config.audit.dir, `${tenant.tenantId}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const actions = trail.map((event) => event.action);
    expect(trail.at(-1)).toMatchObject({ action: 'delete_tenant', tenant_id: tenant.tenantId, outcome: 'success', actor: { type: 'system' } });
    expect(actions).toContain('create_tenant');
    expect(actions).toContain('login_success');
    expect(actions).toContain('create_api_key');
    expect(actions).toContain('disable_tenant');
    expect(trail.some((event) => event.request_id === pendingRequest && event.action === 'get_key')).toBe(true);
    expect(actions.indexOf('create_tenant')).toBeLessThan(actions.indexOf('disable_tenant'));
  });

  it('lets the deleted tenant id and its admin username be used again', async () => {
    const tenant = await cliTenant();
    expect((await cli('tenants', 'delete', tenant.tenantId)).code).toBe(0);
    const again = await cli('tenants', 'create', tenant.tenantId, '--admin', tenant.admin.username, '--password', password);
    expect(again.code, again.err).toBe(0);
    expect((await tokenRequest(tenant.admin.username, password)).status).toBe(200);
    expect((await row(tenant.tenantId))?.users).toBe(1);
  });
});

describe('admin cli: incomplete tenants and the audit of its own work', () => {
  it('lists a tenant left incomplete by a crash after its first step, refuses to create it again, and deletes it', async () => {
    const tenantId = uniqueName('crashed');
    await app.services.redis.sadd(globalKeys.tenants, tenantId);
    expect(await row(tenantId)).toMatchObject({ status: 'incomplete', users: 0, created_at: null });
    expect((await cli('tenants', 'create', tenantId, '--admin', uniqueName('late'), '--password', password)).code).toBe(1);
    const run = await cli('tenants', 'delete', tenantId);
    expect(run.code, run.err).toBe(0);
    expect(await row(tenantId)).toBeUndefined();
    expect(await tenantKeysLeft(tenantId)).toEqual([]);
  });

  it("audits the CLI's own operations as the system actor", async () => {
    const tenant = await cliTenant();
    expect((await cli('tenants', 'disable', tenant.tenantId)).code).toBe(0);
    expect((await cli('tenants', 'enable', tenant.tenantId)).code).toBe(0);
    const events = await pendingEvents(app, tenant.tenantId);
    const system = events.filter((event) => event.actor.type === 'system');
    expect(system.map((event) => event.action)).toEqual(['create_tenant', 'create_user', 'disable_tenant', 'enable_tenant']);
    for (const event of system) expect(event).toMatchObject({ tenant_id: tenant.tenantId, outcome: 'success', actor: { type: 'system', id: 'admin-cli' } });
    expect(system[1]?.username).toBe(tenant.admin.username);
  });
});

describe('admin cli: bad arguments (exit 2, nothing written)', () => {
  it.each(['Bad_ID', '-x', 'a'.repeat(64), 'UPPER', 'has space', 'dot.ted', ''])('refuses the tenant id %j', async (badId) => {
    const run = await cli('tenants', 'create', badId, '--admin', uniqueName('nobody'), '--password', password);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/usage/i);
    expect((await listed()).some((entry) => entry.tenant_id === badId)).toBe(false);
    expect(await app.services.redis.sismember(globalKeys.tenants, badId)).toBe(0);
    expect(await tenantKeysLeft(badId)).toEqual([]);
  });

  it('accepts a 63-character tenant id (the upper bound)', async () => {
    const id = `x${uniqueName('m')}`.padEnd(63, '0');
    expect(id).toHaveLength(63);
    const run = await cli('tenants', 'create', id, '--admin', uniqueName('edge'), '--password', password);
    expect(run.code, run.err).toBe(0);
    expect(await row(id)).toBeDefined();
  });

  it.each([
    ['unknown command', ['tenants', 'frobnicate', 'x']],
    ['unknown top-level command', ['frobnicate']],
    ['unknown option', ['tenants', 'list', '--colour']],
    ['missing tenant id for create', ['tenants', 'create']],
    ['missing tenant id for disable', ['tenants', 'disable']],
    ['missing tenant id for enable', ['tenants', 'enable']],
    ['missing tenant id for delete', ['tenants', 'delete']],
    ['missing value of --admin', ['tenants', 'create', 'ok-id', '--admin']],
    ['no arguments at all', []],
    ['a group without its command', ['tenants']],
  ])('%s → 2 with a usage message', async (_name, argv) => {
    const run = await cli(...argv);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/usage/i);
  });

  it.each([
    ['shorter than 8 characters', 'short'],
    ['over 72 bytes (ASCII)', 'x'.repeat(73)],
    ['over 72 bytes though only 37 characters', 'é'.repeat(37)],
  ])('refuses a password %s', async (_name, badPassword) => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('pw');
    const run = await cli('tenants', 'create', tenantId, '--admin', username, '--password', badPassword);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/usage/i);
    expect(run.err).toContain('--password');
    // The refused password is not repeated back (commander's own message for a bad value does).
    expect(run.err).not.toContain(badPassword);
    expect(await row(tenantId)).toBeUndefined();
    expect(await tenantKeysLeft(tenantId)).toEqual([]);
    expect(await app.services.redis.exists(globalKeys.username(username))).toBe(0);
  });

  it.each([
    ['exactly 8 characters', '12345678'],
    ['exactly 72 bytes', 'y'.repeat(72)],
    ['72 bytes of two-byte characters', 'é'.repeat(36)],
  ])('accepts a password of %s', async (_name, edgePassword) => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('pw');
    const run = await cli('tenants', 'create', tenantId, '--admin', username, '--password', edgePassword);
    expect(run.code, run.err).toBe(0);
    expect((await tokenRequest(username, edgePassword)).status).toBe(200);
  });

  it('refuses a bad --admin username', async () => {
    const tenantId = uniqueName('cli');
    const run = await cli('tenants', 'create', tenantId, '--admin', 'me', '--password', password);
    expect(run.code).toBe(2);
    expect(await row(tenantId)).toBeUndefined();
  });

  it('exits 0 for --help', async () => {
    const run = await cli('--help');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/usage/i);
  });
});

describe('admin cli: where tenants create takes the password from', () => {
  async function nothingWritten(tenantId: string, username: string): Promise<void> {
    expect(await app.services.redis.sismember(globalKeys.tenants, tenantId)).toBe(0);
    expect(await tenantKeysLeft(tenantId)).toEqual([]);
    expect(await app.services.redis.exists(globalKeys.username(username))).toBe(0);
  }

  it('takes --password-stdin (the first line) and prints nothing of it', async () => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('stdin');
    const run = await cliWith({ stdinLine: 'piped passphrase 1' }, 'tenants', 'create', tenantId, '--admin', username, '--password-stdin', '--json');
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toEqual({ tenant_id: tenantId, admin: { username } });
    expect(run.out + run.err).not.toContain('piped passphrase 1');
    expect((await tokenRequest(username, 'piped passphrase 1')).status).toBe(200);
  });

  it('takes KEYWARD_ADMIN_PASSWORD when no flag gives one, and prints nothing of it', async () => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('env');
    const run = await cliWith({ env: { KEYWARD_ADMIN_PASSWORD: 'env passphrase 1' } }, 'tenants', 'create', tenantId, '--admin', username);
    expect(run.code, run.err).toBe(0);
    expect(run.out).not.toMatch(/password/i);
    expect(run.out + run.err).not.toContain('env passphrase 1');
    expect((await tokenRequest(username, 'env passphrase 1')).status).toBe(200);
  });

  it('prefers --password, then --password-stdin, to KEYWARD_ADMIN_PASSWORD', async () => {
    const env = { KEYWARD_ADMIN_PASSWORD: 'env passphrase 2' };
    const byFlag = { tenantId: uniqueName('cli'), username: uniqueName('flag') };
    expect((await cliWith({ env }, 'tenants', 'create', byFlag.tenantId, '--admin', byFlag.username, '--password', 'flag passphrase')).code).toBe(0);
    expect((await tokenRequest(byFlag.username, 'flag passphrase')).status).toBe(200);
    expect((await tokenRequest(byFlag.username, 'env passphrase 2')).status).toBe(401);

    const byStdin = { tenantId: uniqueName('cli'), username: uniqueName('pipe') };
    expect((await cliWith({ env, stdinLine: 'stdin passphrase' }, 'tenants', 'create', byStdin.tenantId, '--admin', byStdin.username, '--password-stdin')).code).toBe(0);
    expect((await tokenRequest(byStdin.username, 'stdin passphrase')).status).toBe(200);
  });

  it.each([
    ['an empty first line', { stdinLine: '' }, ['--password-stdin'], /--password-stdin/, ''],
    ['a short password on standard input', { stdinLine: 'short' }, ['--password-stdin'], /--password-stdin: Password must be at least 8/, 'short'],
    ['over 72 bytes on standard input', { stdinLine: 'z'.repeat(73) }, ['--password-stdin'], /--password-stdin: Password must be at most 72 bytes/, 'z'.repeat(73)],
    ['a short KEYWARD_ADMIN_PASSWORD', { env: { KEYWARD_ADMIN_PASSWORD: 'tiny' } }, [], /KEYWARD_ADMIN_PASSWORD: Password must be at least 8/, 'tiny'],
    ['an empty KEYWARD_ADMIN_PASSWORD', { env: { KEYWARD_ADMIN_PASSWORD: '' } }, [], /KEYWARD_ADMIN_PASSWORD is set but empty/, ''],
    ['--password with --password-stdin', { stdinLine: 'piped passphrase 2' }, ['--password', 'flag passphrase', '--password-stdin'], /cannot be used with/, 'passphrase'],
  ])('refuses %s: exit 2, a message, nothing written', async (_name, input, flags, message, secret) => {
    const tenantId = uniqueName('cli');
    const username = uniqueName('bad');
    const run = await cliWith(input, 'tenants', 'create', tenantId, '--admin', username, ...flags);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toMatch(message);
    expect(run.err).toMatch(/usage/i);
    if (secret !== '') expect(run.err).not.toContain(secret);
    await nothingWritten(tenantId, username);
  });

  it('says in --help where the password comes from', async () => {
    const run = await cli('tenants', 'create', '--help');
    expect(run.code).toBe(0);
    expect(run.out).toContain('--password-stdin');
    expect(run.out).toContain('KEYWARD_ADMIN_PASSWORD');
  });
});

describe('admin cli: refusals (exit 1, nothing half written)', () => {
  it('refuses to create a tenant that exists, leaving it untouched', async () => {
    const tenant = await cliTenant();
    const intruder = uniqueName('intruder');
    const run = await cli('tenants', 'create', tenant.tenantId, '--admin', intruder, '--password', 'another passphrase');
    expect(run.code).toBe(1);
    expect(run.err).not.toBe('');
    expect(await app.services.redis.exists(globalKeys.username(intruder))).toBe(0);
    expect(await row(tenant.tenantId)).toMatchObject({ status: 'active', users: 1 });
    expect((await tokenRequest(tenant.admin.username, password)).status).toBe(200);
    expect((await app.request('GET', '/users/me', { token: tenant.admin.token })).status).toBe(200);
    expect((await tokenRequest(intruder, 'another passphrase')).status).toBe(401);
  });

  it("refuses an admin username another tenant's user holds, and writes nothing of the new tenant", async () => {
    const owner = await cliTenant();
    const tenantId = uniqueName('cli');
    const run = await cli('tenants', 'create', tenantId, '--admin', owner.admin.username, '--password', 'another passphrase');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/taken|exists/i);
    expect(await row(tenantId)).toBeUndefined();
    expect(await app.services.redis.sismember(globalKeys.tenants, tenantId)).toBe(0);
    expect(await tenantKeysLeft(tenantId)).toEqual([]);
    expect(await app.services.redis.get(globalKeys.username(owner.admin.username))).toBe(owner.tenantId);
    expect((await tokenRequest(owner.admin.username, password)).status).toBe(200);
    expect((await tokenRequest(owner.admin.username, 'another passphrase')).status).toBe(401);
  });

  it.each(['disable', 'enable', 'delete'])('%s of an unknown tenant → 1 and nothing written', async (command) => {
    const tenantId = uniqueName('ghost');
    const run = await cli('tenants', command, tenantId);
    expect(run.code).toBe(1);
    expect(run.err).not.toBe('');
    expect(await tenantKeysLeft(tenantId)).toEqual([]);
    expect(await row(tenantId)).toBeUndefined();
  });
});

interface BuildModule {
  buildBundles(names?: string[], options?: { quiet?: boolean }): Promise<Record<string, number>>;
}

describe('admin cli: the real process', () => {
  function runAdmin(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['dist/admin/index.js', ...argv], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
      });
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? -1, out, err }));
    });
  }

  beforeAll(async () => {
    // build.mjs is plain JS without types: imported through a computed specifier so tsc does not ask for them.
    const buildModule: string = new URL('../build.mjs', import.meta.url).href;
    const { buildBundles } = (await import(buildModule)) as BuildModule;
    await buildBundles(['admin'], { quiet: true });
  }, 120_000);

  it('exits 2 with a usage message for a bad tenant id', async () => {
    const run = await runAdmin(['tenants', 'create', 'BAD'], { PATH: process.env.PATH });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/usage/i);
  });

  it('creates a tenant against the configured Redis and prints JSON', async () => {
    const tenantId = uniqueName('proc');
    const env = testEnv();
    const redisSettings = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('REDIS_')));
    const run = await runAdmin(['tenants', 'create', tenantId, '--json'], {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      ...redisSettings,
      JWT_SIGNING_KEYS: env.JWT_SIGNING_KEYS,
      API_KEY_PEPPER: env.API_KEY_PEPPER,
      KEYWARD_DATA_DIR: env.KEYWARD_DATA_DIR,
      BCRYPT_COST: '4',
    });
    expect(run.code, run.err).toBe(0);
    const output = JSON.parse(run.out);
    expect(output).toMatchObject({ tenant_id: tenantId, admin: { username: `${tenantId}-admin` } });
    expect((await row(tenantId))?.status).toBe('active');
    expect((await tokenRequest(`${tenantId}-admin`, String(output.admin.password))).status).toBe(200);
  });
});
