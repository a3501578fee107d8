import { getItem } from '../../shared/data/items.js';
import { ItemParams, ItemSchema } from '../../shared/data/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** GET /data/{key} */
export const getItemOperation = defineOperation({
  route: 'getItem',
  params: ItemParams,
  response: ItemSchema,
  async handle({ params, call, services }, context) {
    const item = await getItem(services, call, params.key);
    context.headers({ etag: `"${item.version}"` });
    return item;
  },
});
