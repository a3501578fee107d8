import { listIdentities } from '../../shared/identities/identities.js';
import { IdentitySchema, ListIdentitiesQuery } from '../../shared/identities/schemas.js';
import { nextPageHeaders } from '../../shared/pagination.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /identities: a JSON array in creation order (`?external_id=` finds one); the next cursor in X-Next-Cursor and Link. */
export const listIdentitiesOperation = defineOperation({
  route: 'listIdentities',
  query: ListIdentitiesQuery,
  response: IdentitySchema.array(),
  async handle({ query, call, services, event }, context) {
    const page = await listIdentities(services, call, query);
    context.headers(nextPageHeaders(event.path, page.nextCursor, { limit: query.limit, external_id: query.external_id }));
    return page.identities;
  },
});
