import * as z from 'zod';
import { IdentityIdSchema, MetaSchema } from '../api-keys/schemas.js';
import { CreditsOutput, CreditsSchema, NamedRateLimitOutput, RateLimitListSchema } from '../limits/schemas.js';
import { CursorSchema, limitSchema } from '../pagination.js';

const controlCharacters = /[\u0000-\u001f\u007f]/;

/** The tenant's own id for its customer: 1-256 characters without control characters, unique in the tenant. */
export const ExternalIdSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((id) => !controlCharacters.test(id), 'external_id must not contain control characters');

export const CreateIdentityBody = z.strictObject({
  external_id: ExternalIdSchema,
  meta: MetaSchema.default({}),
  /** Shared by all the identity's keys. */
  ratelimits: RateLimitListSchema.optional(),
  /** Shared by all the identity's keys: every verification of one of them spends its cost here too. */
  credits: CreditsSchema.optional(),
});
export type NewIdentity = z.output<typeof CreateIdentityBody>;

export const UpdateIdentityBody = z
  .strictObject({
    external_id: ExternalIdSchema.optional(),
    meta: MetaSchema.optional(),
    /** The whole list; null or [] removes them. */
    ratelimits: RateLimitListSchema.nullable().optional(),
    /** null removes the credits; new credits start their refill period now. */
    credits: CreditsSchema.nullable().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'Give at least one field to change');
export type IdentityChange = z.output<typeof UpdateIdentityBody>;

export const IdentityParams = z.object({ identity_id: IdentityIdSchema });

export const ListIdentitiesQuery = z.object({ limit: limitSchema(100, 100), cursor: CursorSchema.optional(), external_id: ExternalIdSchema.optional() });

export const IdentitySchema = z.object({
  identity_id: z.string(),
  external_id: z.string(),
  meta: MetaSchema,
  ratelimits: z.array(NamedRateLimitOutput),
  credits: CreditsOutput.nullable(),
  /** How many keys belong to it. */
  keys: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Identity = z.infer<typeof IdentitySchema>;
