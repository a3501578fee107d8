import { defineOperation } from '../../shared/runtime/operation.js';
import { UserParams, UserSchema } from '../../shared/users/schemas.js';
import { getUser } from '../../shared/users/users.js';

/** GET /users/{username} (tenant admins) */
export const getUserOperation = defineOperation({
  route: 'getUser',
  params: UserParams,
  response: UserSchema,
  async handle({ params, call, services }) {
    return await getUser(services, call, params.username);
  },
});
