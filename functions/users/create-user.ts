import { defineOperation } from '../../shared/runtime/operation.js';
import { CreateUserBody, UserSchema } from '../../shared/users/schemas.js';
import { createUser } from '../../shared/users/users.js';

/** POST /users (tenant admins) */
export const createUserOperation = defineOperation({
  route: 'createUser',
  body: CreateUserBody,
  response: UserSchema,
  status: 201,
  async handle({ body, call, services }) {
    return await createUser(services, call, body);
  },
});
