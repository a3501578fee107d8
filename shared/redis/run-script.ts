import { Cluster } from 'ioredis';
import type { RedisSettings } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { timed } from '../metrics/redis-metrics.js';
import { replicasToWait, type RedisClient } from './client.js';
import { runInCommitGroup, type ReplicaWait } from './commit-group.js';
import { isRedisUnavailable } from './errors.js';
import type { LuaScript } from './scripts.js';
import { confirmedReply, isNoScript, RedirectedWriteError, UnconfirmedWriteError } from './write-errors.js';

/** Runs a script by EVALSHA, falling back to EVAL (which caches it) when the server has not seen it. */
export function runScript(redis: RedisClient, script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  return timed(redis, script.name, () => evalScript(redis, script, keys, args));
}

/** Each round trip is timed by its script's name, failed ones included (SPEC §12 keyward_redis_command_duration_seconds). */
async function evalScript(redis: RedisClient, script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (isNoScript(error)) return redis.eval(script.source, keys.length, ...keys, ...args);
    throw error;
  }
}

export { RedirectedWriteError, UnconfirmedWriteError } from './write-errors.js';

/**
 * Runs a script and has `WAIT replicas timeout` confirm it, on the connection (and, on Cluster, the
 * node) that ran the write. Standalone and Sentinel share one WAIT among the scripts in flight on the
 * connection (a group commit, commit-group.ts); on Cluster each script is pipelined with a WAIT of
 * its own, on its slot's master. Throws UnconfirmedWriteError when fewer replicas confirmed.
 */
export function runScriptAndWait(redis: RedisClient, script: LuaScript, keys: string[], args: (string | number)[], wait: ReplicaWait): Promise<unknown> {
  if (wait.replicas === 0) return runScript(redis, script, keys, args);
  if (redis instanceof Cluster) return timed(redis, script.name, () => evalScriptAndWait(redis, script, keys, args, wait));
  return timed(redis, script.name, () => runInCommitGroup(redis, script, keys, args, wait));
}

async function evalScriptAndWait(redis: Cluster, script: LuaScript, keys: string[], args: (string | number)[], wait: ReplicaWait): Promise<unknown> {
  const send = (first: 'evalsha' | 'eval') =>
    (first === 'evalsha' ? redis.pipeline().evalsha(script.sha, keys.length, ...keys, ...args) : redis.pipeline().eval(script.source, keys.length, ...keys, ...args))
      .wait(wait.replicas, wait.timeoutMs)
      .exec();
  let results = await send('evalsha');
  if (isNoScript(results?.[0]?.[0])) results = await send('eval');
  const [[scriptError, reply] = [], [waitError, confirmed] = []] = results ?? [];
  if (scriptError && /^(MOVED|ASK) /.test(scriptError.message)) {
    redis.refreshSlotsCache();
    throw new RedirectedWriteError(scriptError.message);
  }
  return confirmedReply(scriptError, reply, waitError, confirmed, wait.replicas);
}

/**
 * Runs a script confirmed by a WAIT for a replica when the master has replicas (so neither a write
 * nor an audit event of an acknowledged request can be lost in a failover), trying again with backoff
 * within twice the command timeout when Redis cannot serve: a read only when it certainly did not
 * run (refused, redirected), since a second run would append a second event; a durable write also
 * when its outcome is unknown (connection lost, timeout, no replica confirmation), because it carries
 * an operation marker: a first attempt that was applied answers instead of applying twice.
 * Throws AppError redis_unavailable when every try failed.
 */
export async function runScriptWithRetries(
  redis: RedisClient,
  settings: RedisSettings,
  script: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  // Tries start within twice the command timeout; each may take one timeout: a request answers within three.
  const budgetMs = 2 * settings.commandTimeoutMs;
  const started = Date.now();
  let delayMs = 50;
  let outcomeUnknown = false;
  for (;;) {
    try {
      const wait = { replicas: await replicasToWait(redis, settings.commandTimeoutMs), timeoutMs: settings.waitTimeoutMs };
      return await runScriptAndWait(redis, script, keys, args, wait);
    } catch (error) {
      const unavailable = isRedisUnavailable(error) || error instanceof UnconfirmedWriteError || error instanceof RedirectedWriteError;
      if (!unavailable) throw error;
      const applied = mayHaveApplied(error);
      outcomeUnknown ||= applied;
      const retriable = script.durable || !applied;
      if (!retriable || Date.now() - started + delayMs >= budgetMs) {
        const detail = script.durable && outcomeUnknown ? 'Database unavailable; the change may or may not have been applied' : undefined;
        throw new AppError('redis_unavailable', detail, { cause: error, expose: detail !== undefined });
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 500);
    }
  }
}

/** Refusals before execution (never sent, redirected, read-only replica, loading) leave nothing applied. */
function mayHaveApplied(error: unknown): boolean {
  if (error instanceof UnconfirmedWriteError) return true;
  if (error instanceof RedirectedWriteError) return false;
  const message = error instanceof Error ? error.message : '';
  const neverApplied = ['READONLY', 'LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', "Stream isn't writeable", 'max retries per request'];
  return !neverApplied.some((text) => message.includes(text)) && !(error instanceof Error && error.name === 'MaxRetriesPerRequestError');
}
