import { login } from '../../shared/sessions/login.js';
import { LoginBody, TokenResponseSchema } from '../../shared/auth/schemas.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/** POST /token: OAuth2 password grant → JWT. */
export const loginOperation = definePublicOperation({
  route: 'login',
  body: LoginBody,
  form: true,
  response: TokenResponseSchema,
  async handle({ body, event, services }, context) {
    const token = await login(services, { ...body, address: event.remoteAddress, requestId: context.requestId });
    context.headers({ 'cache-control': 'no-store' });
    return { access_token: token.accessToken, token_type: 'bearer', expires_in: token.expiresIn };
  },
});
