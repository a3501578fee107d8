import { createApiKey } from '../../shared/api-keys/api-keys.js';
import { CreateApiKeyBody, CreatedApiKeySchema } from '../../shared/api-keys/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /api-keys: 201 with the record and `key_value`, the only time the secret is shown. */
export const createApiKeyOperation = defineOperation({
  route: 'createApiKey',
  body: CreateApiKeyBody,
  response: CreatedApiKeySchema,
  status: 201,
  async handle({ body, call, services }, context) {
    context.headers({ 'cache-control': 'no-store' });
    return await createApiKey(services, call, body);
  },
});
