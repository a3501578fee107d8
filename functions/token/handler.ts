import { createFunctionHandler } from '../../shared/runtime/function-handler.js';
import { loginOperation } from './login.js';
import { revokeTokenOperation } from './revoke-token.js';

export const tokenOperations = [loginOperation, revokeTokenOperation];

export const handler = createFunctionHandler(tokenOperations);
