import { revokeToken } from '../../shared/sessions/revoke-token.js';
import { RevokeResponseSchema } from '../../shared/auth/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /token/revoke: the presented token is refused from now on. */
export const revokeTokenOperation = defineOperation({
  route: 'revokeToken',
  response: RevokeResponseSchema,
  async handle({ call, services }) {
    await revokeToken(services, call);
    return { revoked: true };
  },
});
