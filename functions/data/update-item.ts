import { updateItem } from '../../shared/data/items.js';
import { IfMatchHeader, ItemParams, ItemSchema, UpdateItemBody } from '../../shared/data/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** PUT /data/{key}: 404 when absent; `If-Match: <version>` makes it conditional (412). */
export const updateItemOperation = defineOperation({
  route: 'updateItem',
  params: ItemParams,
  headers: IfMatchHeader,
  body: UpdateItemBody,
  response: ItemSchema,
  async handle({ params, headers, body, call, services }, context) {
    const item = await updateItem(services, call, params.key, { ...body, ifMatch: headers['if-match'] });
    context.headers({ etag: `"${item.version}"` });
    return item;
  },
});
