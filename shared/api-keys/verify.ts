import type { Call } from '../operations/call.js';
import { runOperation } from '../operations/run-operation.js';
import { tenantKeys } from '../redis/keys.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';
import { decodeApiKey } from './api-keys.js';
import { checkApiKey } from './key-format.js';
import { hashApiKey } from './key-hash.js';
import type { Verification, VerifyRequest } from './schemas.js';

/**
 * Verifies a key for the caller's tenant in one Redis round trip: lookup, checks, the key's and its
 * identity's rate limits and credits (all or nothing), last_used, usage and the audit event. A VALID
 * verification is one use of the key, spending `cost` credits. A key whose shape or checksum is wrong
 * is NOT_FOUND without a lookup; a key of another tenant is NOT_FOUND.
 */
export async function verifyApiKey(services: Services, call: Call, input: VerifyRequest): Promise<Verification> {
  const keyHash = checkApiKey(input.key) ? hashApiKey(input.key, services.config.apiKeys.pepper) : '';
  const keys = tenantKeys(call.caller.tenantId);
  const [code, keyId, fallback, keyCredits, credits, identity, limits, flat] = await runOperation(services, scripts.verifyApiKey, call, {
    keys: [keys.apiKeyHashes],
    args: [keyHash, input.scope ?? '', input.cost, input.ratelimits ? JSON.stringify(input.ratelimits) : ''],
    details: input.scope ? { scope: input.scope } : undefined,
  });
  services.metrics.apiKeys.verified(String(code), call.caller.tenantId);
  const found = keyId ? decodeApiKey(flat as unknown[]) : null;
  const [limit, remaining, reset] = (fallback as unknown[]).map(Number);
  const [identityId, externalId, identityMeta] = (identity as unknown[]).map(String);
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
    ratelimit: limit === undefined ? null : { limit, remaining: remaining ?? 0, reset: reset ?? 0 },
    quota: keyCredits === '' || keyCredits === null ? null : { remaining: Number(keyCredits) },
    ratelimits: (limits as unknown[][]).map(([name, max, left, resetAt, exceeded]) => ({
      name: String(name),
      limit: Number(max),
      remaining: Number(left),
      reset: Number(resetAt),
      exceeded: Number(exceeded) === 1,
    })),
    credits: credits === '' || credits === null ? null : { remaining: Number(credits) },
    identity: identityId === undefined ? null : { identity_id: identityId, external_id: externalId ?? '', meta: JSON.parse(identityMeta || '{}') as Record<string, never> },
  };
}
