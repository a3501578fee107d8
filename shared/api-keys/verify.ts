import { tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import { runOperation } from '../operations/run-operation.js';
import type { Call } from '../operations/call.js';
import type { Services } from '../services.js';
import { decodeApiKey } from './api-keys.js';
import { checkApiKey } from './key-format.js';
import { hashApiKey } from './key-hash.js';
import type { Verification } from './schemas.js';

/**
 * Verifies a key for the caller's tenant in one Redis round trip (lookup, checks, rate limit, quota,
 * last_used, audit). A VALID verification is one use of the key.
 * A key whose shape or checksum is wrong is NOT_FOUND without a lookup; a key of another tenant is NOT_FOUND.
 */
export async function verifyApiKey(services: Services, call: Call, input: { key: string; scope?: string | undefined }): Promise<Verification> {
  const keyHash = checkApiKey(input.key) ? hashApiKey(input.key, services.config.apiKeys.pepper) : '';
  const keys = tenantKeys(call.caller.tenantId);
  const [code, keyId, rateLimit, rateRemaining, rateReset, quotaRemaining, ...flat] = await runOperation(services, scripts.verifyApiKey, call, {
    keys: [keys.apiKeyHashes],
    args: [keyHash, input.scope ?? ''],
    details: input.scope ? { scope: input.scope } : undefined,
  });
  services.metrics.apiKeys.verified(String(code), call.caller.tenantId);
  const found = keyId ? decodeApiKey(flat) : null;
  return {
    valid: code === 'VALID',
    code: String(code) as Verification['code'],
    key_id: found?.key_id ?? null,
    tenant_id: call.caller.tenantId,
    name: found?.name ?? null,
    scopes: found?.scopes ?? [],
    meta: found?.meta ?? null,
    expires_at: found?.expires_at ?? null,
    enabled: found?.enabled ?? null,
    ratelimit: rateLimit === null || rateLimit === '' ? null : { limit: Number(rateLimit), remaining: Number(rateRemaining), reset: Number(rateReset) },
    quota: quotaRemaining === null || quotaRemaining === '' ? null : { remaining: Number(quotaRemaining) },
  };
}
