import { createItem } from '../../shared/data/items.js';
import { CreateItemBody, CreateItemQuery, ItemSchema } from '../../shared/data/schemas.js';
import { validationError } from '../../shared/errors/app-error.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** POST /data: 201 with the item; 409 when the key exists. The key may come as `?key=`. */
export const createItemOperation = defineOperation({
  route: 'createItem',
  query: CreateItemQuery,
  body: CreateItemBody,
  response: ItemSchema,
  status: 201,
  async handle({ query, body, call, services }, context) {
    const key = body.key ?? query.key;
    if (key === undefined) throw validationError([{ loc: ['body', 'key'], msg: 'Field required', type: 'missing' }]);
    const item = await createItem(services, call, { ...body, key });
    context.headers({ etag: `"${item.version}"` });
    return item;
  },
});
