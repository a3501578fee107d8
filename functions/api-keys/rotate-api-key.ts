import { rotateApiKey } from '../../shared/api-keys/api-keys.js';
import { ApiKeyParams, CreatedApiKeySchema, RotateApiKeyBody } from '../../shared/api-keys/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /api-keys/{key_id}/rotate: 201 with the new `key_value`; the old secret works until its grace period ends. */
export const rotateApiKeyOperation = defineOperation({
  route: 'rotateApiKey',
  params: ApiKeyParams,
  body: RotateApiKeyBody,
  response: CreatedApiKeySchema,
  status: 201,
  async handle({ params, body, call, services }, context) {
    const key = await rotateApiKey(services, call, params.key_id, body.grace_period_s);
    context.headers({ 'cache-control': 'no-store' });
    return key;
  },
});
