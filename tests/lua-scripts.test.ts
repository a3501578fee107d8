import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../shared/auth/caller.js';
import type { AuditAction } from '../shared/audit/actions.js';
import type { Scope } from '../shared/auth/scopes.js';
import { AppError } from '../shared/errors/app-error.js';
import type { ErrorCode } from '../shared/errors/codes.js';
import { tenantKeyPattern, tenantKeys } from '../shared/redis/keys.js';
import { runScript } from '../shared/redis/run-script.js';
import { scanKeys } from '../shared/redis/scan.js';
import { frameArgList, frameArgs, frameDeclaration, frameKeyList, frameKeys } from '../shared/redis/script-frame.js';
import { scopeConstants } from '../shared/redis/scope-constants.js';
import { offloadLib, optionalLibs, prelude, scripts, type LuaScript } from '../shared/redis/scripts.js';
import type { Call } from '../shared/operations/call.js';
import { runOperation } from '../shared/operations/run-operation.js';
import { setTenantStatus } from '../shared/tenancy/tenants.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';
import { addApiKey, addUser, createTestApp, newTenant, pendingEvents, uniqueName, type TestApp, type TestTenant } from './support/harness.js';

const luaDir = join(import.meta.dirname, '..', 'shared', 'redis', 'lua');
const luaFiles = readdirSync(luaDir).filter((name) => name.endsWith('.lua')).sort();
const libFiles = readdirSync(join(luaDir, 'lib')).filter((name) => name.endsWith('.lua')).sort();
/** The Lua library every tenant script opens with (lib/*.lua, layout first). */
const preludeText = prelude;
const allScripts: LuaScript[] = Object.values(scripts);

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

/** The leading `--` comment block of a Lua file. */
function headerOf(text: string): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break;
    lines.push(line);
  }
  return lines.join('\n');
}

type Slot = 'KEYS' | 'ARGV' | 'KEY' | 'ARG';

function indicesIn(text: string, name: Slot): number[] {
  return [...text.matchAll(new RegExp(`\\b${name}\\[(\\d+)\\]`, 'g'))].map((match) => Number(match[1]));
}

/** True when the header names `NAME[n]` itself or an open range `NAME[m..]` with m ≤ n. */
function headerNames(header: string, name: Slot, index: number): boolean {
  if (indicesIn(header, name).includes(index)) return true;
  return [...header.matchAll(new RegExp(`\\b${name}\\[(\\d+)\\.\\.\\]`, 'g'))].some((match) => Number(match[1]) <= index);
}

describe('lua scripts: registry', () => {
  it.each(allScripts.map((script) => [script.name, script] as const))('%s loads with SCRIPT LOAD under its registered sha', async (_name, script) => {
    const sha = await app.services.redis.script('LOAD', script.source);
    expect(sha).toBe(script.sha);
    expect(script.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('registers every .lua file, under the file name, with the file as its text', () => {
    const byName = new Map(allScripts.map((script) => [script.name, script]));
    const files = luaFiles;
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const script = byName.get(basename(file, '.lua'));
      expect(script, `${file} is not in scripts`).toBeDefined();
      const text = readFileSync(join(luaDir, file), 'utf8');
      // A plain script is its file (an offload script's after its library); a tenant script is the prelude, then the file's text as main().
      const source = script?.source ?? '';
      expect(source === text || source === `${offloadLib}\n${text}` || (source.startsWith(preludeText) && source.includes(`local function main()\n${text}\nend\nreturn finish(main())`))).toBe(true);
    }
    expect(allScripts).toHaveLength(files.length);
    expect(new Set(allScripts.map((script) => script.sha)).size).toBe(allScripts.length);
  });

  it('builds the prelude from the frame declaration, then lib/frame.lua, then every other lib/ file but the optional ones and the offload scripts\' own', () => {
    const optional = Object.values(optionalLibs).join('\n');
    for (const file of libFiles) {
      const text = readFileSync(join(luaDir, 'lib', file), 'utf8');
      const homes = [preludeText.includes(text), optional.includes(text), offloadLib === text].filter(Boolean);
      expect(homes, `${file} is in one of the prelude, the optional parts and the offload library`).toHaveLength(1);
    }
    expect(preludeText.startsWith(`${frameDeclaration()}\n${readFileSync(join(luaDir, 'lib', 'frame.lua'), 'utf8')}`)).toBe(true);
    expect(optionalLibs.targets.startsWith(scopeConstants())).toBe(true);
  });

  it('gives every tenant script the optional library parts whose functions it calls, and only those', () => {
    for (const script of allScripts.filter((candidate) => candidate.source.startsWith(preludeText))) {
      const body = readFileSync(join(luaDir, `${script.name}.lua`), 'utf8');
      for (const [name, text] of Object.entries(optionalLibs)) {
        const functions = [...text.matchAll(/^local function (\w+)/gm)].map((match) => match[1] ?? '');
        const calls = functions.some((fn) => new RegExp(`\\b${fn}\\(`).test(body));
        expect(script.source.includes(text), `${script.name} ${calls ? 'calls' : 'does not call'} ${name}`).toBe(calls);
      }
    }
  });

  it('declares every slot of the frame by its name, in the order the TypeScript side sends them', () => {
    const declaration = frameDeclaration();
    const keyNames = Object.keys(frameKeys);
    const argNames = Object.keys(frameArgs);
    expect(declaration).toContain(`local ${keyNames.join(', ')} = ${keyNames.map((_, i) => `KEYS[${i + 1}]`).join(', ')}\n`);
    expect(declaration).toContain(`local ${argNames.join(', ')} = ${argNames.map((_, i) => `ARGV[${i + 1}]`).join(', ')}\n`);
    expect(declaration).toContain(`local KEY = { unpack(KEYS, ${keyNames.length + 1}) }`);
    expect(declaration).toContain(`local ARG = { unpack(ARGV, ${argNames.length + 1}) }`);
    // Its header names each slot, and the lists the TypeScript side builds follow the same order.
    for (const [i, name] of keyNames.entries()) expect(headerOf(declaration)).toContain(`KEYS[${i + 1}] ${name}:`);
    for (const [i, name] of argNames.entries()) expect(headerOf(declaration)).toContain(`ARGV[${i + 1}] ${name}:`);
    const keys = Object.fromEntries(keyNames.map((name) => [name, `k-${name}`])) as Record<keyof typeof frameKeys, string>;
    const args = Object.fromEntries(argNames.map((name) => [name, `a-${name}`])) as Record<keyof typeof frameArgs, string>;
    expect(frameKeyList(keys)).toEqual(keyNames.map((name) => `k-${name}`));
    expect(frameArgList(args)).toEqual(argNames.map((name) => `a-${name}`));
  });

  it.each(luaFiles)('%s opens with a header naming its keys, arguments and what it returns', (file) => {
    const text = readFileSync(join(luaDir, file), 'utf8');
    const header = headerOf(text);
    const body = text.slice(header.length);
    expect(header.split('\n')[0]).toMatch(new RegExp(`^-- ${basename(file, '.lua')}:`));
    expect(header).toContain('Returns');
    const tenant = allScripts.find((script) => script.name === basename(file, '.lua'))?.source.startsWith(preludeText) === true;
    // A tenant script reads the frame by name and its own slots as KEY[n] and ARG[n], each named in its header;
    // a plain script reads KEYS and ARGV, each named in its header.
    const slots: Slot[] = tenant ? ['KEY', 'ARG'] : ['KEYS', 'ARGV'];
    if (tenant) expect([...indicesIn(body, 'KEYS'), ...indicesIn(body, 'ARGV')], `${file} reads the frame by position`).toEqual([]);
    expect(header.includes(slots[0] ?? '') || /the frame/.test(header)).toBe(true);
    for (const slot of slots) {
      for (const index of indicesIn(body, slot)) expect(headerNames(header, slot, index), `${file}: ${slot}[${index}] not in the header`).toBe(true);
    }
  });
});

/** A user caller as a verified token would give it, carrying the user's current token generation (when the user exists). */
async function userCaller(tenantId: string, username: string, role: 'admin' | 'member', jti = uniqueName('jti'), target: TestApp = app): Promise<Caller> {
  const tokenGen = (await target.services.redis.hget(tenantKeys(tenantId).user(username), 'token_gen')) ?? '';
  return { kind: 'user', tenantId, username, role, jti, expiresAtMs: Date.now() + 600_000, tokenGen };
}

function callOf(caller: Caller, action: AuditAction, scope: Scope | null = null): Call {
  return { caller, action, scope, requestId: uniqueName('req') };
}

/** Runs record-event (no effect but its guard and its event) and returns the error code it threw, if any. */
async function recordWith(call: Call, target: TestApp = app, outcome = 'success'): Promise<ErrorCode | 'ok'> {
  try {
    await runOperation(target.services, scripts.recordEvent, call, { args: [outcome, ''] });
    return 'ok';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

/** SCRIPT commands name no key: on a Cluster they go to every master, elsewhere to the one server. */
function masters(target: TestApp): Redis[] {
  const redis = target.services.redis;
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

async function flushScripts(target: TestApp): Promise<void> {
  await Promise.all(masters(target).map((node) => node.script('FLUSH')));
}

async function cachedAnywhere(target: TestApp, sha: string): Promise<boolean> {
  const found = await Promise.all(masters(target).map((node) => node.script('EXISTS', sha) as Promise<number[]>));
  return found.some(([exists]) => exists === 1);
}

// On a Redis of its own: suites running beside this one would cache the scripts again between the
// flush and the check.
describe('lua scripts: EVALSHA with EVAL fallback', () => {
  let server: RedisProcess;
  let own: TestApp;
  beforeAll(async () => {
    server = await startRedisServer();
    own = await createTestApp({ env: { REDIS_URL: server.url } });
  });
  afterAll(async () => {
    await own.close();
    await server.stop();
  });

  it('still runs a tenant script after SCRIPT FLUSH, and caches it again', async () => {
    const tenant = await newTenant(own);
    await flushScripts(own);
    expect(await cachedAnywhere(own, scripts.recordEvent.sha)).toBe(false);
    const call = callOf(await userCaller(tenant.tenantId, tenant.admin.username, 'admin', uniqueName('jti'), own), 'get_user');
    expect(await recordWith(call, own)).toBe('ok');
    const events = await pendingEvents(own, tenant.tenantId);
    expect(events.at(-1)).toMatchObject({ action: 'get_user', outcome: 'success', request_id: call.requestId, actor: { type: 'user', id: tenant.admin.username } });
    expect(await cachedAnywhere(own, scripts.recordEvent.sha)).toBe(true);
  });

  it('runs a plain script by runScript after SCRIPT FLUSH', async () => {
    const key = `kw:test:${uniqueName('plain')}`;
    const redis = own.services.redis;
    await flushScripts(own);
    expect(((await runScript(redis, scripts.countAttempt, [key], [60_000])) as number[])[0]).toBe(1);
    expect(((await runScript(redis, scripts.countAttempt, [key], [60_000])) as number[])[0]).toBe(2);
    expect(await redis.ttl(key)).toBeGreaterThan(0);
    await flushScripts(own);
    expect(await runScript(redis, scripts.compareAndDelete, [key], ['1'])).toBe(0);
    expect(await runScript(redis, scripts.compareAndDelete, [key], ['2'])).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });
});

describe('lua scripts: the guard', () => {
  let tenant: TestTenant;
  let member: { username: string };

  beforeAll(async () => {
    tenant = await newTenant(app);
    member = await addUser(app, tenant, 'member');
  });

  /** Runs the call, expects the denial code and exactly one access_denied event for it. */
  async function expectDenied(call: Call, code: ErrorCode): Promise<Record<string, unknown>> {
    const before = (await pendingEvents(app, tenant.tenantId)).length;
    expect(await recordWith(call)).toBe(code);
    const events = await pendingEvents(app, tenant.tenantId);
    const added = events.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      action: 'access_denied',
      outcome: 'denied',
      reason: code,
      attempted: call.action,
      tenant_id: tenant.tenantId,
      request_id: call.requestId,
    });
    return added[0] ?? {};
  }

  it('lets a caller through whose live records match, appending the operation event only', async () => {
    const before = (await pendingEvents(app, tenant.tenantId)).length;
    const call = callOf(await userCaller(tenant.tenantId, member.username, 'member'), 'list_keys', 'data:read');
    expect(await recordWith(call)).toBe('ok');
    const added = (await pendingEvents(app, tenant.tenantId)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ action: 'list_keys', outcome: 'success' });
  });

  it('refuses a role claim that does not match the stored role: invalid_token', async () => {
    const event = await expectDenied(callOf(await userCaller(tenant.tenantId, member.username, 'admin'), 'list_users'), 'invalid_token');
    expect(event.actor).toEqual({ type: 'user', id: member.username });
  });

  it('refuses a token whose revoked marker exists: token_revoked', async () => {
    const jti = uniqueName('revoked');
    await app.services.redis.set(tenantKeys(tenant.tenantId).revokedToken(jti), '1', 'PX', 60_000);
    await expectDenied(callOf(await userCaller(tenant.tenantId, member.username, 'member', jti), 'get_key', 'data:read'), 'token_revoked');
  });

  it('refuses a user that does not exist: invalid_token', async () => {
    await expectDenied(callOf(await userCaller(tenant.tenantId, uniqueName('nobody'), 'member'), 'get_key'), 'invalid_token');
  });

  it('refuses a disabled user: user_disabled', async () => {
    const other = await addUser(app, tenant, 'member');
    const patched = await app.request('PATCH', `/users/${other.username}`, { token: tenant.admin.token, json: { disabled: true } });
    expect(patched.status).toBe(200);
    await expectDenied(callOf(await userCaller(tenant.tenantId, other.username, 'member'), 'get_key', 'data:read'), 'user_disabled');
  });

  it('refuses an API key whose hash is unknown: invalid_api_key', async () => {
    const caller: Caller = { kind: 'api_key', tenantId: tenant.tenantId, keyHash: 'f'.repeat(64), start: 'kw_abcd' };
    const event = await expectDenied(callOf(caller, 'get_key', 'data:read'), 'invalid_api_key');
    expect(event.actor).toEqual({ type: 'api_key', id: 'kw_abcd' });
  });

  it('refuses a caller lacking the scope: insufficient_scope (member, users:admin)', async () => {
    await expectDenied(callOf(await userCaller(tenant.tenantId, member.username, 'member'), 'list_users', 'users:admin'), 'insufficient_scope');
  });

  it('refuses an API key lacking the scope: insufficient_scope', async () => {
    const { key } = await addApiKey(app, tenant.admin.token, { scopes: ['data:read'] });
    const denied = await app.request('POST', '/data', { apiKey: key, json: { key: 'x', value: 1 } });
    expect(denied.status).toBe(403);
    const events = await pendingEvents(app, tenant.tenantId);
    expect(events.at(-1)).toMatchObject({ action: 'access_denied', outcome: 'denied', reason: 'insufficient_scope', attempted: 'create_key', actor: { type: 'api_key' } });
    expect(String((events.at(-1)?.actor as { id: string }).id)).toMatch(/^key_/);
  });

  it('refuses every caller of a disabled tenant: tenant_disabled', async () => {
    const disabled = await newTenant(app);
    await setTenantStatus(app.services, disabled.tenantId, 'disabled');
    const before = (await pendingEvents(app, disabled.tenantId)).length;
    const call = callOf(await userCaller(disabled.tenantId, disabled.admin.username, 'admin'), 'get_key', 'data:read');
    expect(await recordWith(call)).toBe('tenant_disabled');
    const added = (await pendingEvents(app, disabled.tenantId)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ action: 'access_denied', outcome: 'denied', reason: 'tenant_disabled', attempted: 'get_key' });
  });

  it('refuses callers of a tenant that does not exist, and creates no audit stream (or any key) for it', async () => {
    const ghost = uniqueName('ghost');
    expect(await recordWith(callOf(await userCaller(ghost, 'someone', 'admin'), 'get_key', 'data:read'))).toBe('invalid_token');
    expect(await recordWith(callOf({ kind: 'api_key', tenantId: ghost, keyHash: 'a'.repeat(64), start: 'kw_zzzz' }, 'get_key'))).toBe('invalid_api_key');
    expect(await app.services.redis.exists(tenantKeys(ghost).audit)).toBe(0);
    expect(await scanKeys(app.services.redis, tenantKeyPattern(ghost))).toEqual([]);
  });

  it('denies before the operation runs: a denied create writes no item', async () => {
    const key = uniqueName('never');
    const keys = tenantKeys(tenant.tenantId);
    const call = callOf(await userCaller(tenant.tenantId, member.username, 'member', uniqueName('jti')), 'create_key', 'data:write');
    await app.services.redis.set(keys.revokedToken((call.caller as { jti: string }).jti), '1', 'PX', 60_000);
    await expect(
      runOperation(app.services, scripts.createItem, call, { keys: [keys.dataItem(key), keys.dataIndex, keys.dataExpiry], args: [key, '1', '{}', '', 100] }),
    ).rejects.toMatchObject({ code: 'token_revoked', audited: true });
    expect(await app.services.redis.exists(keys.dataItem(key))).toBe(0);
    expect(await app.services.redis.zscore(keys.dataIndex, key)).toBeNull();
  });
});

describe('lua scripts: the audit event head', () => {
  it('stays valid JSON for a data key holding quotes, backslashes and unicode (gateway, percent-encoded GET)', async () => {
    const tenant = await newTenant(app);
    const key = 'a"b\\c d ✓ \u{1F511} \u2028';
    const created = await app.request('POST', '/data', { token: tenant.admin.token, json: { key, value: 1 }, headers: { 'X-Request-Id': 'odd-create' } });
    expect(created.status).toBe(201);
    const read = await app.request('GET', `/data/${encodeURIComponent(key)}`, { token: tenant.admin.token, headers: { 'X-Request-Id': 'odd-read' } });
    expect(read.status).toBe(200);
    expect(read.body.key).toBe(key);
    const raw = await app.services.redis.xrange(tenantKeys(tenant.tenantId).audit, '-', '+');
    for (const [, fields] of raw) expect(() => JSON.parse(fields[1] ?? '')).not.toThrow();
    const events = await pendingEvents(app, tenant.tenantId);
    expect(events.find((event) => event.request_id === 'odd-create')).toMatchObject({ action: 'create_key', outcome: 'success', key });
    expect(events.find((event) => event.request_id === 'odd-read')).toMatchObject({ action: 'get_key', outcome: 'success', key });
  });

  it('stays valid JSON for details holding quotes, backslashes, newlines and unicode (API key name)', async () => {
    const tenant = await newTenant(app);
    const name = 'a"b\\c\nd ✓ \t} {"x":1';
    const created = await app.request('POST', '/api-keys', { token: tenant.admin.token, json: { name }, headers: { 'X-Request-Id': 'odd-name' } });
    expect(created.status).toBe(201);
    const events = await pendingEvents(app, tenant.tenantId);
    const event = events.find((candidate) => candidate.request_id === 'odd-name');
    expect(event).toMatchObject({ action: 'create_api_key', outcome: 'success', name, key_id: created.body.key_id });
    expect(event?.x).toBeUndefined();
  });

  it('stays valid JSON when a refused data key holds a newline (422, audited as a failure)', async () => {
    const tenant = await newTenant(app);
    const refused = await app.request('GET', `/data/${encodeURIComponent('a"b\\c\nd ✓')}`, { token: tenant.admin.token, headers: { 'X-Request-Id': 'odd-422' } });
    expect(refused.status).toBe(422);
    const events = await pendingEvents(app, tenant.tenantId);
    expect(events.find((event) => event.request_id === 'odd-422')).toMatchObject({ action: 'get_key', outcome: 'failure', reason: 'validation_error' });
  });

  it('keeps any detail value intact through the head built in TypeScript', async () => {
    const tenant = await newTenant(app);
    const detail = 'q"uote \\back\nnew\rline \u0000 \u001f ✓ \u{1F600}';
    const call = callOf({ kind: 'trusted', tenantId: tenant.tenantId, actor: { type: 'system', id: 'tester' } }, 'get_key');
    await runOperation(app.services, scripts.recordEvent, call, { args: ['success', ''], details: { key: detail, nested: { list: [detail] } } });
    const event = (await pendingEvents(app, tenant.tenantId)).find((candidate) => candidate.request_id === call.requestId);
    expect(event).toMatchObject({ key: detail, nested: { list: [detail] }, actor: { type: 'system', id: 'tester' } });
  });

  it("keeps actor ids free of quotes, backslashes and control characters (Lua safe())", async () => {
    const tenant = await newTenant(app);
    const trusted = callOf({ kind: 'trusted', tenantId: tenant.tenantId, actor: { type: 'system', id: 'sy"s\\te\nm' } }, 'get_key');
    expect(await recordWith(trusted)).toBe('ok');
    const user = callOf(await userCaller(tenant.tenantId, 'ev"il\\user', 'admin'), 'get_key');
    expect(await recordWith(user)).toBe('invalid_token');
    const raw = await app.services.redis.xrange(tenantKeys(tenant.tenantId).audit, '-', '+');
    for (const [, fields] of raw) expect(() => JSON.parse(fields[1] ?? '')).not.toThrow();
    const events = await pendingEvents(app, tenant.tenantId);
    const byRequest = (requestId: string) => events.find((event) => event.request_id === requestId);
    expect(byRequest(trusted.requestId)?.actor).toEqual({ type: 'system', id: 'system' });
    expect(byRequest(user.requestId)).toMatchObject({ action: 'access_denied', reason: 'invalid_token', actor: { type: 'user', id: 'eviluser' } });
  });
});
