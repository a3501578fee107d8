import { getApiKey } from '../../shared/api-keys/api-keys.js';
import { ApiKeyParams, ApiKeySchema } from '../../shared/api-keys/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /api-keys/{key_id} */
export const getApiKeyOperation = defineOperation({
  route: 'getApiKey',
  params: ApiKeyParams,
  response: ApiKeySchema,
  async handle({ params, call, services }) {
    return await getApiKey(services, call, params.key_id);
  },
});
