import { Cluster } from 'ioredis';
import type { RedisClient } from './client.js';
import type { LuaScript } from './scripts.js';

/** Runs a script by EVALSHA, falling back to EVAL (which caches it) when the server has not seen it. */
export async function runScript(redis: RedisClient, script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (isNoScript(error)) return redis.eval(script.source, keys.length, ...keys, ...args);
    throw error;
  }
}

/** A write applied on the master that not enough replicas confirmed in time: it could be lost in a failover. */
export class UnconfirmedWriteError extends Error {
  override name = 'UnconfirmedWriteError';
}

/**
 * A pipelined write sent to a node that no longer (MOVED) or not yet (ASK) serves its slot: nothing
 * was applied. ioredis follows redirects for single commands, not for a pipeline whose WAIT succeeded.
 */
export class RedirectedWriteError extends Error {
  override name = 'RedirectedWriteError';
}

/**
 * Runs a script and `WAIT replicas timeout` in one pipeline: one round trip, on the connection (and,
 * on Cluster, the node) that ran the write. Throws UnconfirmedWriteError when fewer replicas confirmed.
 */
export async function runScriptAndWait(
  redis: RedisClient,
  script: LuaScript,
  keys: string[],
  args: (string | number)[],
  wait: { replicas: number; timeoutMs: number },
): Promise<unknown> {
  if (wait.replicas === 0) return runScript(redis, script, keys, args);
  const send = (first: 'evalsha' | 'eval') =>
    (first === 'evalsha' ? redis.pipeline().evalsha(script.sha, keys.length, ...keys, ...args) : redis.pipeline().eval(script.source, keys.length, ...keys, ...args))
      .wait(wait.replicas, wait.timeoutMs)
      .exec();
  let results = await send('evalsha');
  if (isNoScript(results?.[0]?.[0])) results = await send('eval');
  const [[scriptError, reply] = [], [waitError, confirmed] = []] = results ?? [];
  if (scriptError && /^(MOVED|ASK) /.test(scriptError.message)) {
    if (redis instanceof Cluster) redis.refreshSlotsCache();
    throw new RedirectedWriteError(scriptError.message);
  }
  if (scriptError) throw scriptError;
  if (waitError) throw waitError;
  if (Number(confirmed) < wait.replicas) throw new UnconfirmedWriteError(`${String(confirmed)} of ${wait.replicas} replicas confirmed the write`);
  return reply;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
