import { VerificationSchema, VerifyApiKeyBody } from '../../shared/api-keys/schemas.js';
import { verifyApiKey } from '../../shared/api-keys/verify.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /api-keys/verify: 200 with `valid` and a code, for a key of the caller's tenant. */
export const verifyApiKeyOperation = defineOperation({
  route: 'verifyApiKey',
  body: VerifyApiKeyBody,
  response: VerificationSchema,
  async handle({ body, call, services }) {
    return await verifyApiKey(services, call, body);
  },
});
