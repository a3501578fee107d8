import { isoTime } from '../clock.js';
import { validationError } from '../errors/app-error.js';
import { decodeRecord } from '../limits/fields.js';
import type { Call } from '../operations/call.js';
import { runOperation } from '../operations/run-operation.js';
import { scripts } from '../redis/scripts.js';
import type { Services } from '../services.js';
import type { UsageBucket, UsageRequest } from './schemas.js';

const hourMs = 3_600_000;
const dayMs = 86_400_000;

/** Per granularity: the bucket size, the longest range one query may cover, and the default range. */
const granularities = {
  hour: { code: 'h', size: hourMs, maxRangeMs: 31 * dayMs, defaultRangeMs: dayMs, maxLabel: '31 days' },
  day: { code: 'd', size: dayMs, maxRangeMs: 400 * dayMs, defaultRangeMs: 30 * dayMs, maxLabel: '400 days' },
} as const;

/** Whose usage: one key, one identity, or the tenant's total. */
export type UsageOwner = { kind: 'key'; id: string } | { kind: 'identity'; id: string } | { kind: 'tenant' };

/**
 * Usage buckets, oldest first, empty ones left out: verifications by code and credits spent, written
 * by each verification in the same round trip (shared/redis/lua/lib/usage.lua). Without `until`, up to now;
 * without `since`, the last day of hours or 30 days of days.
 */
export async function readUsage(services: Services, call: Call, owner: UsageOwner, query: UsageRequest): Promise<UsageBucket[]> {
  const granularity = granularities[query.granularity];
  const until = query.until ?? services.clock.now();
  const since = query.since ?? until - granularity.defaultRangeMs;
  if (since > until) throw validationError([{ loc: ['query', 'since'], msg: 'since must not be after until', type: 'value_error' }]);
  if (until - since > granularity.maxRangeMs) {
    throw validationError([{ loc: ['query', 'since'], msg: `A range of ${query.granularity}s covers at most ${granularity.maxLabel}`, type: 'value_error' }]);
  }
  const first = since - (since % granularity.size);
  const last = until - (until % granularity.size);
  const ownerKey = owner.kind === 'tenant' ? 't' : `${owner.kind === 'key' ? 'k' : 'i'}:${owner.id}`;
  const details = owner.kind === 'tenant' ? undefined : { [owner.kind === 'key' ? 'key_id' : 'identity_id']: owner.id };
  const reply = await runOperation(services, scripts.readUsage, call, { args: [ownerKey, granularity.code, first, last], details });
  const buckets: UsageBucket[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const counts: Record<string, number> = {};
    let extra = 0;
    for (const [field, value] of decodeRecord(reply[i + 1] as unknown[])) {
      if (field === 'extra') extra = Number(value);
      else counts[field] = Number(value);
    }
    // Each valid verification spends 1, and `extra` holds what costs other than 1 added.
    buckets.push({ start: isoTime(Number(reply[i])), counts, credits_spent: (counts.VALID ?? 0) + extra });
  }
  return buckets;
}
