import { deleteApiKey } from '../../shared/api-keys/api-keys.js';
import { ApiKeyParams } from '../../shared/api-keys/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** DELETE /api-keys/{key_id}: 204; the key stops working at once everywhere. */
export const deleteApiKeyOperation = defineOperation({
  route: 'deleteApiKey',
  params: ApiKeyParams,
  status: 204,
  async handle({ params, call, services }) {
    await deleteApiKey(services, call, params.key_id);
  },
});
