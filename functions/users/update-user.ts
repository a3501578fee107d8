import { defineOperation } from '../../shared/runtime/operation.js';
import { UpdateUserBody, UserParams, UserSchema } from '../../shared/users/schemas.js';
import { updateUser } from '../../shared/users/users.js';

/** PATCH /users/{username} (tenant admins) */
export const updateUserOperation = defineOperation({
  route: 'updateUser',
  params: UserParams,
  body: UpdateUserBody,
  response: UserSchema,
  async handle({ params, body, call, services }) {
    return await updateUser(services, call, params.username, body);
  },
});
