import { nextPageHeaders } from '../../shared/pagination.js';
import { defineOperation } from '../../shared/runtime/operation.js';
import { ListUsersQuery, UserSchema } from '../../shared/users/schemas.js';
import { listUsers } from '../../shared/users/users.js';

/** GET /users (tenant admins): a JSON array; the next page's cursor in X-Next-Cursor and Link. */
export const listUsersOperation = defineOperation({
  route: 'listUsers',
  query: ListUsersQuery,
  response: UserSchema.array(),
  async handle({ query, call, services, event }, context) {
    const page = await listUsers(services, call, query);
    context.headers(nextPageHeaders(event.path, page.nextCursor, { limit: query.limit }));
    return page.users;
  },
});
