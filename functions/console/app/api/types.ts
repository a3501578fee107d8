import type * as z from 'zod';
import type { ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema, RotateApiKeyBody, UpdateApiKeyBody, VerificationSchema, VerifyApiKeyBody } from '../../../../shared/api-keys/schemas.js';
import type { AuditEventSchema, ListAuditLogsQuery } from '../../../../shared/audit/schemas.js';
import type { TokenResponseSchema } from '../../../../shared/auth/schemas.js';
import type { CreateItemBody, ItemListSchema, ItemSchema, UpdateItemBody } from '../../../../shared/data/schemas.js';
import type { CreateIdentityBody, IdentitySchema, UpdateIdentityBody } from '../../../../shared/identities/schemas.js';
import type { NamedRateLimitSchema } from '../../../../shared/limits/schemas.js';
import type { UsageBucketSchema, UsageQuery } from '../../../../shared/usage/schemas.js';
import type { CreateUserBody, UpdateUserBody, UserSchema } from '../../../../shared/users/schemas.js';

// The wire shapes, taken from the service's own zod schemas (types only: nothing of zod ships in the
// page). Requests are the schemas' input, answers their output, as the OpenAPI document says.

export type TokenResponse = z.output<typeof TokenResponseSchema>;

export type ApiKey = z.output<typeof ApiKeySchema>;
export type CreatedApiKey = z.output<typeof CreatedApiKeySchema>;
export type NewApiKey = z.input<typeof CreateApiKeyBody>;
export type ApiKeyChange = z.input<typeof UpdateApiKeyBody>;
export type Rotation = z.input<typeof RotateApiKeyBody>;
export type VerifyRequest = z.input<typeof VerifyApiKeyBody>;
export type Verification = z.output<typeof VerificationSchema>;

/** A named rate limit as sent (on a key or an identity). */
export type NamedRateLimit = z.input<typeof NamedRateLimitSchema>;

export type Identity = z.output<typeof IdentitySchema>;
export type NewIdentity = z.input<typeof CreateIdentityBody>;
export type IdentityChange = z.input<typeof UpdateIdentityBody>;

export type UsageBucket = z.output<typeof UsageBucketSchema>;
/** The query as sent: times as ISO text. */
export type UsageFilter = z.input<typeof UsageQuery>;

export type Item = z.output<typeof ItemSchema>;
export type ItemList = z.output<typeof ItemListSchema>;
export type NewItem = z.input<typeof CreateItemBody>;
export type ItemChange = z.input<typeof UpdateItemBody>;

export type User = z.output<typeof UserSchema>;
export type NewUser = z.input<typeof CreateUserBody>;
export type UserChange = z.input<typeof UpdateUserBody>;

export type AuditEvent = z.output<typeof AuditEventSchema>;
/** The query as sent: timestamps as ISO text, the limit as a number. */
export type AuditFilter = { [K in keyof z.input<typeof ListAuditLogsQuery>]?: string | number };

/** The error body of every failure (SPEC §3); `detail` is a list for validation errors. */
export interface ErrorBody {
  detail: string | { loc: (string | number)[]; msg: string; type: string }[];
  code: string;
  request_id: string;
}
