// Many keys and items in a tenant, fast: the real create-api-key and create-item scripts, pipelined,
// run as a trusted caller (the admin CLI's frame), plus the global hash → tenant entry that
// createApiKey writes beside its script. The records are the ones the service writes.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { auditEventHead } from '../../shared/audit/event.js';
import { pendingKeyOf } from '../../shared/audit/pending-tenants.js';
import type { AuditAction } from '../../shared/audit/actions.js';
import { globalKeys, tenantKeys } from '../../shared/redis/keys.js';
import { frameArgList, frameKeyList } from '../../shared/redis/script-frame.js';
import { scripts, type LuaScript } from '../../shared/redis/scripts.js';

const batch = 1000;

/** `count` keys without limits and `count` small items (`bulk-<n>`) in an existing tenant; its audit stream is trimmed after. */
export async function bulkSeed(redis: Redis, tenantId: string, count: number): Promise<void> {
  const keys = tenantKeys(tenantId);
  const now = Date.now();
  const run = async (script: LuaScript, action: AuditAction, make: (i: number) => { keys: string[]; args: (string | number)[] }, after?: (pipeline: ReturnType<Redis['pipeline']>, i: number) => void) => {
    const sha = String(await redis.script('LOAD', script.source));
    const frameKeys = frameKeyList({ TENANT_KEY: keys.tenant, PRINCIPAL_KEY: keys.tenant, REVOKED_KEY: keys.tenant, AUDIT_KEY: keys.audit, MARKER_KEY: keys.tenant, PENDING_KEY: pendingKeyOf(redis, tenantId) });
    for (let from = 0; from < count; from += batch) {
      const pipeline = redis.pipeline();
      for (let i = from; i < Math.min(count, from + batch); i += 1) {
        const own = make(i);
        const frameArgs = frameArgList({
          GUARD: 'none',
          PROOF: '',
          TOKEN_GEN: '',
          ROLE_SCOPES: '',
          REQUIRED_SCOPE: '',
          NOW: now,
          EVENT_HEAD: auditEventHead(tenantId, `bulk-${i}`, now),
          ACTION: action,
          API_KEY_PREFIX: keys.apiKeyPrefix,
          IDENTITY_PREFIX: keys.identityPrefix,
          USAGE_PREFIX: keys.usagePrefix,
          ACTOR_TYPE: 'system',
          ACTOR_ID: 'bench',
          MARKER_MS: '',
          TENANT_ID: tenantId,
        });
        pipeline.evalsha(sha, frameKeys.length + own.keys.length, ...frameKeys, ...own.keys, ...frameArgs, ...own.args);
        after?.(pipeline, i);
      }
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error, reply]) => error || (Array.isArray(reply) && reply[0] !== 'ok'));
      if (failed) throw new Error(`bulk ${script.name}: ${String(failed[0] ?? JSON.stringify(failed[1]))}`);
    }
  };
  const hashes = Array.from({ length: count }, () => randomBytes(32).toString('hex'));
  const keyId = (i: number) => `key_bulk${String(i).padStart(22, '0')}`;
  await run(
    scripts.createApiKey,
    'create_api_key',
    (i) => ({
      keys: [keys.apiKey(keyId(i)), keys.apiKeyHashes, keys.apiKeyIndex],
      args: [keyId(i), hashes[i] ?? '', `bulk ${i}`, `kw_bulk${i}`, 'data:read keys:verify', '', '{}', '', 100_000_000, ''],
    }),
    (pipeline, i) => pipeline.set(globalKeys.apiKeyTenant(hashes[i] ?? ''), tenantId),
  );
  await run(scripts.createItem, 'create_key', (i) => ({
    keys: [keys.dataItem(`bulk-${i}`), keys.dataIndex, keys.dataExpiry],
    args: [`bulk-${i}`, JSON.stringify({ hello: 'world', n: i }), '{}', '', 100_000_000],
  }));
  await redis.xtrim(keys.audit, 'MAXLEN', 0);
}
