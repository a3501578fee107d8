import type { LuaScript } from './scripts.js';
import type { RedisClient } from './client.js';

/** Runs a script by EVALSHA, falling back to EVAL (which caches it) when the server has not seen it. */
export async function runScript(redis: RedisClient, script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return redis.eval(script.source, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
