import * as z from 'zod';
import { isGrantableScope, reservedScopeNamespaces, scopePattern } from '../auth/scopes.js';
import { AppliedRateLimitSchema, CreditsOutput, CreditsSchema, NamedRateLimitOutput, RateLimitListSchema } from '../limits/schemas.js';
import { CursorSchema, limitSchema } from '../pagination.js';
import { keyPrefixPattern } from './key-format.js';

const ScopeListSchema = z
  .array(
    z
      .string()
      .regex(scopePattern, 'Scope: 1-64 characters, no spaces')
      .refine(isGrantableScope, `Not a built-in scope, and ${reservedScopeNamespaces.join(' ')} are keyward's own namespaces`),
  )
  .max(50)
  .refine((scopes) => new Set(scopes).size === scopes.length, 'Scopes must not repeat');

export const MetaSchema = z.record(z.string().min(1).max(128), z.json());
export const IdentityIdSchema = z.string().regex(/^idt_[0-9A-Z]{26}$/, 'Not an identity id');
const ExpiresAtSchema = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
/** Seconds from now, up to ten years. */
const ExpiresInSchema = z.number().int().min(1).max(315_360_000);

/** At most `limit` uses in any window of `window_s` seconds (a sliding window log: exact). */
export const RateLimitSchema = z.strictObject({
  limit: z.number().int().min(1).max(100_000),
  window_s: z.number().int().min(1).max(86_400),
});

/** Uses left; with `refill`, reset to `amount` every day or calendar month from the last refill. A key's credits. */
export const QuotaSchema = CreditsSchema;

/** The key's `rate_limit` is its limit named `default`, and `quota` its credits: one or the other form, not both. */
function oneFormEach(body: { rate_limit?: unknown; ratelimits?: { name: string }[] | null; quota?: unknown; credits?: unknown }): boolean {
  const defaultTwice = body.rate_limit !== undefined && body.ratelimits?.some((limit) => limit.name === 'default') === true;
  return !defaultTwice && (body.quota === undefined || body.credits === undefined);
}
const oneFormMessage = { message: 'Give rate_limit or a ratelimits entry named default, and quota or credits, not both', path: ['ratelimits'] };

export const CreateApiKeyBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    scopes: ScopeListSchema.default([]),
    expires_at: ExpiresAtSchema.optional(),
    expires_in: ExpiresInSchema.optional(),
    meta: MetaSchema.default({}),
    rate_limit: RateLimitSchema.optional(),
    quota: QuotaSchema.optional(),
    /** Named rate limits (`default` is the same as `rate_limit`). */
    ratelimits: RateLimitListSchema.optional(),
    /** Credits charged by each verification's cost (the same as `quota`). */
    credits: CreditsSchema.optional(),
    /** The identity the key belongs to: it shares that identity's limits and credits. */
    identity_id: IdentityIdSchema.optional(),
    prefix: z.string().regex(keyPrefixPattern, 'Prefix: up to 3 parts of 1-16 letters or digits joined by _').optional(),
  })
  .refine((body) => body.expires_at === undefined || body.expires_in === undefined, {
    message: 'Give expires_at or expires_in, not both',
    path: ['expires_in'],
  })
  .refine(oneFormEach, oneFormMessage);
export type NewApiKey = z.output<typeof CreateApiKeyBody>;

export const UpdateApiKeyBody = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    scopes: ScopeListSchema.optional(),
    enabled: z.boolean().optional(),
    expires_at: ExpiresAtSchema.nullable().optional(),
    expires_in: ExpiresInSchema.optional(),
    meta: MetaSchema.optional(),
    /** null removes the limit. */
    rate_limit: RateLimitSchema.nullable().optional(),
    /** null removes the quota; a new quota starts its refill period now. */
    quota: QuotaSchema.nullable().optional(),
    /** The key's whole list of named limits, `default` included; null or [] removes them all. */
    ratelimits: RateLimitListSchema.nullable().optional(),
    credits: CreditsSchema.nullable().optional(),
    /** Moves the key to another identity; null takes it out of its identity. */
    identity_id: IdentityIdSchema.nullable().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'Give at least one field to change')
  .refine((body) => body.expires_at === undefined || body.expires_in === undefined, {
    message: 'Give expires_at or expires_in, not both',
    path: ['expires_in'],
  })
  .refine(oneFormEach, oneFormMessage);
export type ApiKeyChange = z.output<typeof UpdateApiKeyBody>;

export const ApiKeyParams = z.object({ key_id: z.string().regex(/^key_[0-9A-Z]{26}$/, 'Not a key id') });

export const RotateApiKeyBody = z.strictObject({
  /** How long the old secret keeps working, seconds; 0 (the default) ends it now. Up to 30 days. */
  grace_period_s: z.number().int().min(0).max(2_592_000).default(0),
});

export const ListApiKeysQuery = z.object({ limit: limitSchema(100, 100), cursor: CursorSchema.optional(), identity_id: IdentityIdSchema.optional() });

export const VerifyApiKeyBody = z.strictObject({
  key: z.string().min(1).max(512),
  scope: z.string().regex(scopePattern, 'Scope: 1-64 characters, no spaces').optional(),
  /** Credits this verification spends (of the key's and its identity's). */
  cost: z.number().int().min(0).max(1_000_000_000).default(1),
  /** Rate limits to apply beside the auto-applied ones, each at its own cost. */
  ratelimits: z
    .array(z.strictObject({ name: z.string().min(1).max(32), cost: z.number().int().min(0).max(1_000_000).default(1) }))
    .max(20)
    .optional(),
});
export type VerifyRequest = z.output<typeof VerifyApiKeyBody>;

export const ApiKeySchema = z.object({
  key_id: z.string(),
  name: z.string(),
  start: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string(),
  created_by: z.string(),
  expires_at: z.string().nullable(),
  last_used: z.string().nullable(),
  enabled: z.boolean(),
  rate_limit: z.object({ limit: z.number().int(), window_s: z.number().int() }).nullable(),
  quota: z
    .object({
      remaining: z.number().int(),
      refill: z.object({ amount: z.number().int(), interval: z.enum(['daily', 'monthly']) }).nullable(),
    })
    .nullable(),
  meta: MetaSchema,
  identity_id: z.string().nullable(),
  ratelimits: z.array(NamedRateLimitOutput),
  credits: CreditsOutput.nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const CreatedApiKeySchema = ApiKeySchema.extend({ key_value: z.string() });

export const verifyCodes = ['VALID', 'NOT_FOUND', 'EXPIRED', 'DISABLED', 'FORBIDDEN', 'RATE_LIMITED', 'USAGE_EXCEEDED'] as const;

export const VerificationSchema = z.object({
  valid: z.boolean(),
  code: z.enum(verifyCodes),
  key_id: z.string().nullable(),
  tenant_id: z.string(),
  name: z.string().nullable(),
  scopes: z.array(z.string()),
  meta: MetaSchema.nullable(),
  expires_at: z.string().nullable(),
  enabled: z.boolean().nullable(),
  /** `reset`: when the oldest use in the window leaves it, ms since the epoch. Null for a key without a rate limit. */
  ratelimit: z.object({ limit: z.number().int(), remaining: z.number().int(), reset: z.number().int() }).nullable(),
  quota: z.object({ remaining: z.number().int() }).nullable(),
  /** Every rate limit the verification applied (the key's and its identity's). */
  ratelimits: z.array(AppliedRateLimitSchema),
  /** The credits left: the smaller of the key's and its identity's; null when neither has credits. */
  credits: z.object({ remaining: z.number().int() }).nullable(),
  identity: z.object({ identity_id: z.string(), external_id: z.string(), meta: MetaSchema }).nullable(),
});
export type Verification = z.infer<typeof VerificationSchema>;
