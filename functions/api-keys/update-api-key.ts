import { updateApiKey } from '../../shared/api-keys/api-keys.js';
import { ApiKeyParams, ApiKeySchema, UpdateApiKeyBody } from '../../shared/api-keys/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** PATCH /api-keys/{key_id}: name, scopes, enabled, expiry, meta. */
export const updateApiKeyOperation = defineOperation({
  route: 'updateApiKey',
  params: ApiKeyParams,
  body: UpdateApiKeyBody,
  response: ApiKeySchema,
  async handle({ params, body, call, services }) {
    return await updateApiKey(services, call, params.key_id, body);
  },
});
