import { globalKeys, tenantKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';

/** How long a claim may stay pending (taken, user not yet written) before it lapses by itself. */
const pendingClaimMs = 60_000;

/**
 * Usernames are unique across the service: a global key `username → tenant` is claimed before the
 * user is written in its tenant. The claim is pending (it expires) until the user is written, then
 * confirmed (persistent); it is released when the user is deleted or the write fails.
 *  - claimed: the claim is new and ours (release it if the user cannot be created)
 *  - own: this tenant held it already (the user exists or is being created; do not release)
 *  - taken: another tenant's user has it, or another tenant is creating it
 */
export async function claimUsername(services: Services, username: string, tenantId: string): Promise<'claimed' | 'own' | 'taken'> {
  const key = globalKeys.username(username);
  if ((await services.redis.set(key, tenantId, 'PX', pendingClaimMs, 'NX')) === 'OK') return 'claimed';
  const owner = await services.redis.get(key);
  if (owner === tenantId) return 'own';
  if (owner === null) return claimUsername(services, username, tenantId);
  // A confirmed claim whose user is gone was left by a crash between deleting the user and
  // releasing the claim: take it over. A pending claim is another tenant's create in flight.
  if ((await services.redis.exists(tenantKeys(owner).user(username))) === 1) return 'taken';
  const taken = await runScript(services.redis, scripts.takeOverClaim, [key], [owner, tenantId, pendingClaimMs]);
  return taken === 1 ? 'claimed' : 'taken';
}

/** The user is written: the claim no longer lapses. */
export async function confirmUsername(services: Services, username: string): Promise<void> {
  await services.redis.persist(globalKeys.username(username));
}

export async function releaseUsername(services: Services, username: string, tenantId: string): Promise<void> {
  await runScript(services.redis, scripts.compareAndDelete, [globalKeys.username(username)], [tenantId]);
}
