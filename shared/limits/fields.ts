import type { Credits, NamedRateLimit } from './schemas.js';

/**
 * How limits and credits are stored in a key's or an identity's record (hash fields), and read back.
 * A key's rate limit named `default` keeps the fields a key's `rate_limit` always had (rl_limit,
 * rl_window_ms, rl_algorithm), so the common case needs no JSON in Lua; other named limits are one
 * JSON field, `ratelimits`. Credits are `<prefix>remaining`, `<prefix>refill_amount`,
 * `<prefix>refill_interval`, `<prefix>refilled_at` (prefix `quota_` on keys, `credits_` on identities).
 */
export type CreditPrefix = 'quota_' | 'credits_';

/** Stored form of one named limit (what lib/api-keys.lua decodes). */
interface StoredLimit {
  name: string;
  limit: number;
  window_ms: number;
  auto_apply: boolean;
  algorithm: 'log' | 'counter';
}

/** Field, value pairs for a key's limits; `clearing` writes empty fields where none is given (a PATCH). */
export function keyLimitFields(limits: NamedRateLimit[] | undefined, clearing = false): string[] {
  if (limits === undefined) return [];
  const fallback = limits.find((limit) => limit.name === 'default');
  const named = limits.filter((limit) => limit.name !== 'default');
  return [...(fallback || clearing ? defaultLimitFields(fallback) : []), ...namedLimitFields(named, clearing)];
}

/** Field, value pairs for a key's limit named `default` (undefined: none). */
export function defaultLimitFields(limit: NamedRateLimit | undefined): string[] {
  if (!limit) return ['rl_limit', '', 'rl_window_ms', '', 'rl_algorithm', ''];
  return ['rl_limit', String(limit.limit), 'rl_window_ms', String(limit.window_s * 1000), 'rl_algorithm', limit.algorithm === 'log' ? '' : limit.algorithm];
}

/** Field, value pairs for an identity's limits (all in `ratelimits`). */
export function namedLimitFields(limits: NamedRateLimit[] | undefined, clearing = false): string[] {
  if (limits === undefined) return [];
  if (limits.length === 0) return clearing ? ['ratelimits', ''] : [];
  const stored: StoredLimit[] = limits.map((limit) => ({ name: limit.name, limit: limit.limit, window_ms: limit.window_s * 1000, auto_apply: limit.auto_apply, algorithm: limit.algorithm }));
  return ['ratelimits', JSON.stringify(stored)];
}

/** Field, value pairs for credits; a new pool starts its refill period at `now`. */
export function creditFields(prefix: CreditPrefix, credits: Credits | null | undefined, now: number): string[] {
  if (credits === undefined) return [];
  if (credits === null) return [`${prefix}remaining`, '', `${prefix}refill_amount`, '', `${prefix}refill_interval`, '', `${prefix}refilled_at`, ''];
  return [
    `${prefix}remaining`,
    String(credits.remaining),
    `${prefix}refill_amount`,
    credits.refill ? String(credits.refill.amount) : '',
    `${prefix}refill_interval`,
    credits.refill?.interval ?? '',
    `${prefix}refilled_at`,
    String(now),
  ];
}

/** The named limits of a record, the key's `default` first. */
export function decodeLimits(record: Map<string, string>): NamedRateLimit[] {
  const limits: NamedRateLimit[] = [];
  const defaultLimit = record.get('rl_limit') ?? '';
  if (defaultLimit !== '') {
    limits.push({
      name: 'default',
      limit: Number(defaultLimit),
      window_s: Number(record.get('rl_window_ms')) / 1000,
      auto_apply: true,
      algorithm: record.get('rl_algorithm') === 'counter' ? 'counter' : 'log',
    });
  }
  const stored = record.get('ratelimits') ?? '';
  if (stored !== '') {
    for (const limit of JSON.parse(stored) as StoredLimit[]) {
      limits.push({ name: limit.name, limit: limit.limit, window_s: limit.window_ms / 1000, auto_apply: limit.auto_apply, algorithm: limit.algorithm });
    }
  }
  return limits;
}

export function decodeCredits(record: Map<string, string>, prefix: CreditPrefix): { remaining: number; refill: { amount: number; interval: 'daily' | 'monthly' } | null } | null {
  const remaining = record.get(`${prefix}remaining`) ?? '';
  if (remaining === '') return null;
  const amount = record.get(`${prefix}refill_amount`) ?? '';
  return {
    remaining: Number(remaining),
    refill: amount === '' ? null : { amount: Number(amount), interval: record.get(`${prefix}refill_interval`) === 'monthly' ? 'monthly' : 'daily' },
  };
}

/** A record from HGETALL's flat field, value list. */
export function decodeRecord(flat: unknown[]): Map<string, string> {
  const record = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) record.set(String(flat[i]), String(flat[i + 1]));
  return record;
}
