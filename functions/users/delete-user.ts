import { defineOperation } from '../../shared/runtime/operation.js';
import { UserParams } from '../../shared/users/schemas.js';
import { deleteUser } from '../../shared/users/users.js';

/** DELETE /users/{username} (tenant admins) */
export const deleteUserOperation = defineOperation({
  route: 'deleteUser',
  params: UserParams,
  status: 204,
  async handle({ params, call, services }) {
    await deleteUser(services, call, params.username);
  },
});
