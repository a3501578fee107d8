import { deleteItem } from '../../shared/data/items.js';
import { ItemParams } from '../../shared/data/schemas.js';
import { defineOperation } from '../../shared/runtime/operation.js';

/** DELETE /data/{key}: 204, 404 when absent. */
export const deleteItemOperation = defineOperation({
  route: 'deleteItem',
  params: ItemParams,
  status: 204,
  async handle({ params, call, services }) {
    await deleteItem(services, call, params.key);
  },
});
