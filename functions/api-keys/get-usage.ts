import { ApiKeyParams } from '../../shared/api-keys/schemas.js';
import { IdentityParams } from '../../shared/identities/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';
import { UsageBucketSchema, UsageQuery } from '../../shared/usage/schemas.js';
import { readUsage } from '../../shared/usage/usage.js';

/** GET /usage: the tenant's usage, oldest bucket first, empty ones left out. */
export const getUsageOperation = defineOperation({
  route: 'getUsage',
  query: UsageQuery,
  response: UsageBucketSchema.array(),
  async handle({ query, call, services }) {
    return readUsage(services, call, { kind: 'tenant' }, query);
  },
});

/** GET /api-keys/{key_id}/usage: one key's usage (kept after the key is deleted, until it expires). */
export const getApiKeyUsageOperation = defineOperation({
  route: 'getApiKeyUsage',
  params: ApiKeyParams,
  query: UsageQuery,
  response: UsageBucketSchema.array(),
  async handle({ params, query, call, services }) {
    return readUsage(services, call, { kind: 'key', id: params.key_id }, query);
  },
});

/** GET /identities/{identity_id}/usage: one identity's usage, all its keys together. */
export const getIdentityUsageOperation = defineOperation({
  route: 'getIdentityUsage',
  params: IdentityParams,
  query: UsageQuery,
  response: UsageBucketSchema.array(),
  async handle({ params, query, call, services }) {
    return readUsage(services, call, { kind: 'identity', id: params.identity_id }, query);
  },
});
