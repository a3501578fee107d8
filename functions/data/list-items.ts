import { listItems } from '../../shared/data/items.js';
import { ItemListSchema, ListItemsQuery } from '../../shared/data/schemas.js';
import { encodeCursor, nextPageHeaders } from '../../shared/pagination.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /data?prefix=&limit=&cursor=: `{keys, next_cursor}`, also X-Next-Cursor and Link. */
export const listItemsOperation = defineOperation({
  route: 'listItems',
  query: ListItemsQuery,
  response: ItemListSchema,
  async handle({ query, call, services, event }, context) {
    const page = await listItems(services, call, query);
    const nextCursor = page.nextCursor === null ? null : encodeCursor(page.nextCursor);
    context.headers(nextPageHeaders(event.path, page.nextCursor, { prefix: query.prefix, limit: query.limit }));
    return { keys: page.keys, next_cursor: nextCursor };
  },
});
