import { revokeToken } from '../../shared/sessions/revoke-token.js';
import { RevokeResponseSchema } from '../../shared/auth/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /token/revoke: the presented token is refused from now on. */
export const revokeTokenOperation = defineOperation({
  route: 'revokeToken',
  response: RevokeResponseSchema,
  async handle({ call, services }, context) {
    await revokeToken(services, call);
    context.status(200).succeed({ revoked: true });
  },
});
