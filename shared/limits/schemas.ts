import * as z from 'zod';

/** The most uses a sliding-window log may hold: it costs memory per use in the window. */
export const maxLogLimit = 100_000;

/**
 * A rate limit: at most `limit` uses in any window of `window_s` seconds. `log` (the default) is
 * exact, a log of every use in the window; `counter` keeps two counts per limit (this window's and
 * the last one's) and weighs the last by how much of it still overlaps: constant memory, for large
 * limits, approximate at the window's edge (docs/design.md).
 */
export const NamedRateLimitSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,31}$/, 'Name: 1-32 lowercase letters, digits and _ . -'),
    limit: z.number().int().min(1).max(1_000_000_000),
    window_s: z.number().int().min(1).max(2_592_000),
    /** Applied to every use of the key (verifications and requests made with it); else only when a verification names it. */
    auto_apply: z.boolean().default(false),
    algorithm: z.enum(['log', 'counter']).default('log'),
  })
  .refine((limit) => limit.algorithm === 'counter' || limit.limit <= maxLogLimit, {
    message: `A log limit holds at most ${maxLogLimit} uses; use "algorithm": "counter" above that`,
    path: ['limit'],
  })
  .refine((limit) => limit.algorithm === 'counter' || limit.window_s <= 86_400, {
    message: 'A log limit spans at most a day; use "algorithm": "counter" for longer windows',
    path: ['window_s'],
  });
export type NamedRateLimit = z.output<typeof NamedRateLimitSchema>;

export const RateLimitListSchema = z
  .array(NamedRateLimitSchema)
  .max(10)
  .refine((limits) => new Set(limits.map((limit) => limit.name)).size === limits.length, 'Rate limit names must not repeat');

/** Credits (a key's quota): uses left, and an optional refill every day or calendar month from the last one. */
export const CreditsSchema = z.strictObject({
  remaining: z.number().int().min(0).max(1_000_000_000_000),
  refill: z
    .strictObject({
      amount: z.number().int().min(1).max(1_000_000_000_000),
      interval: z.enum(['daily', 'monthly']),
    })
    .optional(),
});
export type Credits = z.output<typeof CreditsSchema>;

export const NamedRateLimitOutput = z.object({
  name: z.string(),
  limit: z.number().int(),
  window_s: z.number().int(),
  auto_apply: z.boolean(),
  algorithm: z.enum(['log', 'counter']),
});

export const CreditsOutput = z.object({
  remaining: z.number().int(),
  refill: z.object({ amount: z.number().int(), interval: z.enum(['daily', 'monthly']) }).nullable(),
});

/** What a verification reports of each rate limit it applied. `reset`: ms since the epoch when room is made. */
export const AppliedRateLimitSchema = z.object({
  name: z.string(),
  limit: z.number().int(),
  remaining: z.number().int(),
  reset: z.number().int(),
  exceeded: z.boolean(),
});
