import { AppError } from '../errors/app-error.js';
import { globalKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';

/**
 * Failed logins are counted per username and per client address in fixed windows; past either
 * limit, logins for them are refused with 429 and Retry-After until the window ends.
 */
export async function checkLoginThrottle(services: Services, username: string, address: string): Promise<void> {
  const { login } = services.config;
  const userKey = globalKeys.loginFailuresByUser(username);
  const addressKey = globalKeys.loginFailuresByAddress(address);
  const [byUser, byAddress] = await Promise.all([services.redis.get(userKey), services.redis.get(addressKey)]);
  const blockedKey =
    Number(byUser ?? 0) >= login.maxFailuresPerUser ? userKey : Number(byAddress ?? 0) >= login.maxFailuresPerAddress ? addressKey : null;
  if (!blockedKey) return;
  const ttlMs = await services.redis.pttl(blockedKey);
  const retryAfter = Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : login.windowSeconds * 1000) / 1000));
  throw new AppError('login_throttled', undefined, { headers: { 'retry-after': String(retryAfter) } });
}

export async function countLoginFailure(services: Services, username: string, address: string): Promise<void> {
  const window = services.config.login.windowSeconds;
  await Promise.all([
    runScript(services.redis, scripts.countFailure, [globalKeys.loginFailuresByUser(username)], [window]),
    runScript(services.redis, scripts.countFailure, [globalKeys.loginFailuresByAddress(address)], [window]),
  ]);
}

/** A successful login clears its username's count (not the address's, which may be shared by many guessers). */
export async function clearLoginFailures(services: Services, username: string): Promise<void> {
  await services.redis.del(globalKeys.loginFailuresByUser(username));
}
