import { checkApiKey } from '../api-keys/key-format.js';
import { hashApiKey } from '../api-keys/key-hash.js';
import { AppError } from '../errors/app-error.js';
import { globalKeys } from '../redis/keys.js';
import type { FunctionEvent } from '../runtime/event.js';
import type { Services } from '../services.js';
import type { Caller } from './caller.js';
import type { CallerKind } from './policy.js';

const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const maxCredentialLength = 4096;
const keyTenantCacheSize = 10_000;

/**
 * The local half of authentication: a JWT's signature and claims, or an API key's shape, checksum
 * and tenant. Revocation, disabled users, tenants and keys, and scopes are checked by the guard
 * in the Redis script that runs the operation. Throws 401 for a missing or unusable credential, 403
 * for a kind of caller the route does not admit.
 */
export async function authenticate(event: FunctionEvent, services: Services, admitted: readonly CallerKind[]): Promise<Caller> {
  const credential = credentialOf(event);
  if (credential === undefined) throw new AppError('not_authenticated');
  if (credential.length > maxCredentialLength) throw new AppError('invalid_token');

  if (jwtShape.test(credential)) {
    const claims = await services.keyring.verify(credential, services.clock.now());
    if (!admitted.includes('user')) throw new AppError('insufficient_scope', 'This route needs an API key, not a user token');
    return { kind: 'user', ...claims };
  }
  const keysAdmitted = admitted.includes('api_key');
  const checked = checkApiKey(credential);
  if (!checked) throw new AppError(keysAdmitted ? 'invalid_api_key' : 'invalid_token');
  if (!keysAdmitted) throw new AppError('insufficient_scope', 'This route needs a user token, not an API key');
  const keyHash = hashApiKey(credential, services.config.apiKeys.pepper);
  const tenantId = await tenantOfKey(services, keyHash);
  if (!tenantId) throw new AppError('invalid_api_key');
  return { kind: 'api_key', tenantId, keyHash, start: checked.start };
}

/** `X-API-Key: <key>`, else `Authorization: Bearer <jwt or key>`. */
function credentialOf(event: FunctionEvent): string | undefined {
  const apiKey = event.headers['x-api-key']?.trim();
  if (apiKey) return apiKey;
  const authorization = event.headers.authorization;
  if (!authorization) return undefined;
  const [scheme, value] = authorization.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() !== 'bearer' || !value) return undefined;
  return value;
}

async function tenantOfKey(services: Services, keyHash: string): Promise<string | undefined> {
  const cached = services.keyTenants.get(keyHash);
  if (cached) return cached;
  const tenantId = await services.redis.get(globalKeys.apiKeyTenant(keyHash));
  if (!tenantId) return undefined;
  if (services.keyTenants.size >= keyTenantCacheSize) services.keyTenants.clear();
  services.keyTenants.set(keyHash, tenantId);
  return tenantId;
}
