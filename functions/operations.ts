import type { FunctionName } from '../shared/routes.js';
import type { Operation } from '../shared/runtime/operation.js';
import { apiKeysOperations } from './api-keys/handler.js';
import { auditOffloadOperations } from './audit-offload/handler.js';
import { auditOperations } from './audit/handler.js';
import { consoleOperations } from './console/handler.js';
import { dataOperations } from './data/handler.js';
import { tokenOperations } from './token/handler.js';
import { usersOperations } from './users/handler.js';

/** Every function's operations, for the local gateway and the OpenAPI document. */
export const operationsByFunction: Record<FunctionName, readonly Operation[]> = {
  token: tokenOperations,
  users: usersOperations,
  data: dataOperations,
  'api-keys': apiKeysOperations,
  audit: auditOperations,
  'audit-offload': auditOffloadOperations,
  console: consoleOperations,
};
