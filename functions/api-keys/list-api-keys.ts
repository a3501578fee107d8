import { listApiKeys } from '../../shared/api-keys/api-keys.js';
import { ApiKeySchema, ListApiKeysQuery } from '../../shared/api-keys/schemas.js';
import { nextPageHeaders } from '../../shared/pagination.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /api-keys: a JSON array (`?identity_id=`: one identity's keys); the next page's cursor in X-Next-Cursor and Link. */
export const listApiKeysOperation = defineOperation({
  route: 'listApiKeys',
  query: ListApiKeysQuery,
  response: ApiKeySchema.array(),
  async handle({ query, call, services, event }, context) {
    const page = await listApiKeys(services, call, query);
    context.headers(nextPageHeaders(event.path, page.nextCursor, { limit: query.limit, identity_id: query.identity_id }));
    return page.keys;
  },
});
