import { updateItem } from '../../shared/data/items.js';
import { IfMatchHeader, ItemParams, ItemSchema, UpdateItemBody } from '../../shared/data/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';
import { parseInput } from '../../shared/validation/parse-input.js';

/** PUT /data/{key}: 404 when absent; `If-Match: <version>` makes it conditional (412). */
export const updateItemOperation = defineOperation({
  route: 'updateItem',
  params: ItemParams,
  body: UpdateItemBody,
  response: ItemSchema,
  async handle({ params, body, call, services, event }, context) {
    const { 'if-match': ifMatch } = parseInput(IfMatchHeader, { 'if-match': event.headers['if-match'] }, 'header');
    const item = await updateItem(services, call, params.key, { ...body, ifMatch });
    context.status(200).headers({ etag: `"${item.version}"` }).succeed(item);
  },
});
