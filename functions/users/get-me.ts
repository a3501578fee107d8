import { defineOperation } from '../../shared/runtime/operation.js';
import { UserSchema } from '../../shared/users/schemas.js';
import { getMe } from '../../shared/users/users.js';

/** GET /users/me */
export const getMeOperation = defineOperation({
  route: 'getMe',
  response: UserSchema,
  async handle({ call, services }) {
    return await getMe(services, call);
  },
});
