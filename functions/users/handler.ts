import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { createUserOperation } from './create-user.js';
import { deleteUserOperation } from './delete-user.js';
import { getMeOperation } from './get-me.js';
import { getUserOperation } from './get-user.js';
import { listUsersOperation } from './list-users.js';
import { updateUserOperation } from './update-user.js';

export const usersOperations = [getMeOperation, createUserOperation, listUsersOperation, getUserOperation, updateUserOperation, deleteUserOperation];

export const handler = createFunctionHandler(usersOperations);
