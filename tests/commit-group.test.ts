import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runScriptAndWait, UnconfirmedWriteError } from '../shared/redis/run-script.js';
import type { LuaScript } from '../shared/redis/scripts.js';
import { startRedisServer, type RedisProcess } from './support/redis-server.js';
import { waitFor } from './support/redis-topologies.js';

// A real master with one real replica of its own (whatever the project's topology): the group
// commit of shared/redis/commit-group.ts, through runScriptAndWait as the service calls it.

function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex'), durable: true };
}

const setScript = luaScript('test-set', "redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1]");
const failScript = luaScript('test-fail', "redis.call('SET', KEYS[1], 'x') return redis.error_reply('boom')");
const wait = { replicas: 1, timeoutMs: 1000 };

let master: RedisProcess;
let replica: RedisProcess;
let client: Redis;
let admin: Redis;
let onReplica: Redis;

beforeAll(async () => {
  master = await startRedisServer();
  replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  admin = new Redis(master.url);
  onReplica = new Redis(replica.url);
  await waitFor(async () => /state=online/.test(await admin.info('replication')), 'replica online');
  // As the service's client (shared/redis/client.ts): a command in flight when the connection drops is not re-sent.
  client = new Redis(master.url, { autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
}, 30_000);

afterAll(async () => {
  replica?.process.kill('SIGCONT');
  for (const connection of [client, admin, onReplica]) connection?.disconnect();
  await Promise.all([master?.stop(), replica?.stop()]);
});

afterEach(() => {
  replica.process.kill('SIGCONT');
});

async function commandCalls(command: string): Promise<number> {
  const line = (await admin.info('commandstats')).split('\n').find((entry) => entry.startsWith(`cmdstat_${command}:`)) ?? '';
  return Number(/calls=(\d+)/.exec(line)?.[1] ?? 0);
}

function keysOf(count: number): string[] {
  const prefix = `cg:${randomUUID()}`;
  return Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
}

describe('group commit', () => {
  it('covers many concurrent scripts with one WAIT, and each is on the replica once answered', async () => {
    await client.script('LOAD', setScript.source);
    const keys = keysOf(100);
    await admin.config('RESETSTAT');
    const replies = await Promise.all(keys.map((key, i) => runScriptAndWait(client, setScript, [key], [`v${i}`], wait)));
    expect(replies).toEqual(keys.map((_, i) => `v${i}`));
    expect(await commandCalls('evalsha')).toBe(100);
    expect(await commandCalls('wait')).toBe(1);
    // WAIT answered only once the replica had applied them all.
    expect(await onReplica.mget(...keys)).toEqual(keys.map((_, i) => `v${i}`));
  });

  it('caps a group at 256 scripts: the rest go in the groups after it', async () => {
    await client.script('LOAD', setScript.source);
    const keys = keysOf(600);
    await admin.config('RESETSTAT');
    await Promise.all(keys.map((key) => runScriptAndWait(client, setScript, [key], ['v'], wait)));
    expect(await commandCalls('wait')).toBe(3);
  });

  it('sends one script at a time at low load, as before', async () => {
    await client.script('LOAD', setScript.source);
    const [first = '', second = ''] = keysOf(2);
    await admin.config('RESETSTAT');
    expect(await runScriptAndWait(client, setScript, [first], ['a'], wait)).toBe('a');
    expect(await runScriptAndWait(client, setScript, [second], ['b'], wait)).toBe('b');
    expect(await commandCalls('wait')).toBe(2);
  });

  it('gives a failing script its own error and the others their replies', async () => {
    await client.script('LOAD', setScript.source);
    await client.script('LOAD', failScript.source);
    const keys = keysOf(10);
    await admin.config('RESETSTAT');
    const outcomes = await Promise.allSettled(keys.map((key, i) => runScriptAndWait(client, i === 4 ? failScript : setScript, [key], [`v${i}`], wait)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(keys.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    const failed = outcomes[4];
    expect(failed?.status === 'rejected' && String(failed.reason)).toMatch(/boom/);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled').map((outcome) => outcome.value)).toEqual(keys.map((_, i) => `v${i}`).filter((_, i) => i !== 4));
    expect(await commandCalls('wait')).toBe(1);
  });

  it('re-sends by EVAL the scripts the server had not cached, with their own WAIT', async () => {
    const fresh = luaScript('test-fresh', `redis.call('SET', KEYS[1], ARGV[1]) return '${randomUUID()}'`);
    await client.script('FLUSH');
    const keys = keysOf(20);
    await admin.config('RESETSTAT');
    const replies = await Promise.all(keys.map((key, i) => runScriptAndWait(client, i % 2 ? fresh : setScript, [key], [`v${i}`], wait)));
    expect(replies.filter((_, i) => i % 2 === 0)).toEqual(keys.map((_, i) => `v${i}`).filter((_, i) => i % 2 === 0));
    expect(await commandCalls('eval')).toBe(20);
    expect(await commandCalls('wait')).toBe(2);
    expect(await onReplica.mget(...keys)).toEqual(keys.map((_, i) => `v${i}`));
  });

  it('rejects every script of a group its WAIT did not confirm with UnconfirmedWriteError', async () => {
    await client.script('LOAD', setScript.source);
    const keys = keysOf(30);
    replica.process.kill('SIGSTOP');
    await admin.config('RESETSTAT');
    const outcomes = await Promise.allSettled(keys.map((key) => runScriptAndWait(client, setScript, [key], ['v'], { replicas: 1, timeoutMs: 200 })));
    replica.process.kill('SIGCONT');
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(UnconfirmedWriteError);
    }
    expect(await commandCalls('wait')).toBe(1);
    // Applied on the master all the same: "unconfirmed", not "refused".
    expect(await admin.mget(...keys)).toEqual(keys.map(() => 'v'));
  });

  it('rejects every script of a group whose connection is lost in flight, then serves the next group', async () => {
    await client.script('LOAD', setScript.source);
    const keys = keysOf(10);
    replica.process.kill('SIGSTOP');
    const pending = Promise.allSettled(keys.map((key) => runScriptAndWait(client, setScript, [key], ['v'], { replicas: 1, timeoutMs: 5000 })));
    await waitFor(async () => Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1]) === 1, 'the group blocked in WAIT', 5000);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    const outcomes = await pending;
    replica.process.kill('SIGCONT');
    expect(outcomes.map((outcome) => outcome.status)).toEqual(keys.map(() => 'rejected'));
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(String(outcome.reason)).not.toMatch(/UnconfirmedWriteError/);
    await waitFor(async () => /state=online/.test(await admin.info('replication')), 'replica online again');
    const [after = ''] = keysOf(1);
    expect(await runScriptAndWait(client, setScript, [after], ['again'], wait)).toBe('again');
  }, 20_000);
});
