import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { createItemOperation } from './create-item.js';
import { deleteItemOperation } from './delete-item.js';
import { getItemOperation } from './get-item.js';
import { listItemsOperation } from './list-items.js';
import { updateItemOperation } from './update-item.js';

export const dataOperations = [createItemOperation, listItemsOperation, getItemOperation, updateItemOperation, deleteItemOperation];

export const handler = createFunctionHandler(dataOperations);
