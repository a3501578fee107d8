import { AppError } from '../errors/app-error.js';
import { globalKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';

/** A login attempt refused before any password was checked. */
export interface Throttled {
  error: AppError;
  /** The first throttled attempt for this username in its window: the one worth an audit event. */
  firstInWindow: boolean;
}

/**
 * Counts a login attempt per client address and per username, in fixed windows, before any password
 * is checked: however many arrive at once, at most LOGIN_MAX_FAILURES_PER_USER of them (and
 * _PER_ADDRESS) per window go on to bcrypt; the rest are refused here (429 with Retry-After). An
 * attempt whose password turns out right is taken back (`releaseLoginAttempt`).
 */
export async function takeLoginAttempt(services: Services, username: string, address: string): Promise<Throttled | null> {
  const { login } = services.config;
  const windowMs = login.windowSeconds * 1000;
  const count = async (key: string) => (await runScript(services.redis, scripts.countAttempt, [key], [windowMs])) as [number, number];
  // The address first: a guesser over the address limit does not lock the usernames it sprays.
  const [byAddress, addressMsLeft] = await count(globalKeys.loginFailuresByAddress(address));
  if (byAddress > login.maxFailuresPerAddress) return throttled(services, username, addressMsLeft);
  const [byUser, userMsLeft] = await count(globalKeys.loginFailuresByUser(username));
  if (byUser > login.maxFailuresPerUser) return throttled(services, username, userMsLeft);
  return null;
}

/**
 * Takes back an attempt whose password was right: it counts against neither limit. A success also
 * clears the username's count (not the address's, which many guessers may share).
 */
export async function releaseLoginAttempt(services: Services, username: string, address: string, success: boolean): Promise<void> {
  const userKey = globalKeys.loginFailuresByUser(username);
  await Promise.all([
    runScript(services.redis, scripts.releaseAttempt, [globalKeys.loginFailuresByAddress(address)], []),
    success ? services.redis.del(userKey) : runScript(services.redis, scripts.releaseAttempt, [userKey], []),
  ]);
}

async function throttled(services: Services, username: string, msLeft: number): Promise<Throttled> {
  const windowMs = services.config.login.windowSeconds * 1000;
  const retryAfter = Math.max(1, Math.ceil((msLeft > 0 ? msLeft : windowMs) / 1000));
  const error = new AppError('login_throttled', undefined, { headers: { 'retry-after': String(retryAfter) } });
  // Anyone can send throttled attempts: one audit event per username and window, however many arrive.
  const first = await services.redis.set(globalKeys.loginThrottleAudited(username), '1', 'PX', windowMs, 'NX');
  return { error, firstInWindow: first === 'OK' };
}
