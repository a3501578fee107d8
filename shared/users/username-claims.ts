import { globalKeys, tenantKeys } from '../redis/keys.js';
import { runScript } from '../redis/run-script.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';

/**
 * Usernames are unique across the service: a global key `username → tenant` is claimed before the
 * user is written in its tenant, and released when the user is deleted or the write fails.
 *  - claimed: the claim is new and ours (release it if the user cannot be created)
 *  - own: this tenant held it already (the user exists or is being created; do not release)
 *  - taken: another tenant's user has it
 */
export async function claimUsername(services: Services, username: string, tenantId: string): Promise<'claimed' | 'own' | 'taken'> {
  const key = globalKeys.username(username);
  if ((await services.redis.set(key, tenantId, 'NX')) === 'OK') return 'claimed';
  const owner = await services.redis.get(key);
  if (owner === tenantId) return 'own';
  if (owner === null) return claimUsername(services, username, tenantId);
  // A claim left behind by a crash between claiming and writing the user: take it over.
  if ((await services.redis.exists(tenantKeys(owner).user(username))) === 1) return 'taken';
  const taken = await runScript(services.redis, scripts.compareAndSet, [key], [owner, tenantId]);
  return taken === 1 ? 'claimed' : 'taken';
}

export async function releaseUsername(services: Services, username: string, tenantId: string): Promise<void> {
  await runScript(services.redis, scripts.compareAndDelete, [globalKeys.username(username)], [tenantId]);
}
